"""The demo-sized book of issue 7's tests: a small store + lake with several month-end snapshots.

API (import from a test module; ``tests/`` is on the path):

- ``report_book`` — a **module-scoped** fixture (request it from ``@pytest.mark.db`` tests). It simulates a
  ``LOANS``-loan book as of ``BOOK_DAY`` (the extract folder is cached for the whole session), loads it into
  the test database and runs ``apps.eod.services.run.run_eod`` at each day of ``MONTH_ENDS`` (oldest first,
  engine ``polars``), so the lake holds one snapshot per month-end and the store holds the loans, payments,
  statuses, cases, actions and outbox rows those runs made, plus some collection activity (``add_activity``):
  teams 一组 / 二组 with collectors ``rc1``…``rc3``, every case assigned, and in each month-end's month one
  call per open case (every other one reaching the debtor, every third reaching one a promise due on the
  month-end's 25th, kept when the case's index is even). The rows are **committed** (outside any test
  transaction), so ADBC (``Sources.sql``) sees them; the database is flushed when the module ends.
  Returns a ``ReportBook``:

  - ``book.lake`` — the lake root (``QINGSHOU_LAKE`` points at it and ``QINGSHOU_TODAY`` is ``TODAY`` while
    the module runs);
  - ``book.month_ends`` — ``MONTH_ENDS``; ``book.months`` — their first days;
  - ``book.sources(month, **options)`` — ``analytics.sources.sources_for(month, lake, store, **options)``
    with a store opened on the test database (closed when the module ends);
  - ``book.store`` — that ``Store``.

- Tests that use it should be ``@pytest.mark.django_db`` **without** ``transaction=True`` (a transactional
  test flushes the database at its end, which would empty the module's book for the tests after it); the
  writes a test makes (e.g. a ``ReportRun``) are rolled back with its transaction.
- ``EMPTY_MONTH`` — a month before the book's first snapshot (the lake has no snapshot in it).

Hand-built months (no database): ``contract_table(key, rows)`` — a contract ``Table`` from row dicts (columns
left out are null; checked with ``check_table``); ``hand_month(figures=(), month_day=..., **rows_by_table)`` —
a ``MonthData`` whose tables are the given ones and ``empty_table`` for every other key;
``pricing_row(grade, rate, decision, pd_=…, loss=…, required=…)`` — one row of the ``pricing`` table.

Building it takes about 10–20 s on the shared machine (simulate once per session, then load + 4 EOD runs per
module that uses it).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from qingshou.analytics.contract import DTYPES, TABLES, Figure, MonthData, Table, check_table, empty_table
from qingshou.analytics.sources import Sources, sources_for
from qingshou.store import Store

#: The simulated book's day (payments up to it); the last month-end.
BOOK_DAY = date(2026, 6, 30)
#: "Today" while the book is used: the morning after the last month-end.
TODAY = "2026-07-01"
#: The month-ends EOD runs at (the lake's snapshots).
MONTH_ENDS = (date(2026, 3, 31), date(2026, 4, 30), date(2026, 5, 31), date(2026, 6, 30))
#: A month without any snapshot.
EMPTY_MONTH = date(2025, 12, 1)
LOANS = 400
SEED = 7


@dataclass
class ReportBook:
    """The book ``report_book`` built: its lake, its month-ends and a store on the test database."""

    lake: Path
    store: Store
    month_ends: tuple[date, ...] = MONTH_ENDS
    extract: Path = field(default_factory=Path)

    @property
    def months(self) -> tuple[date, ...]:
        return tuple(day.replace(day=1) for day in self.month_ends)

    def sources(self, month: date, **options: Any) -> Sources:
        """The ``Sources`` of ``month`` on this book (options as ``sources_for``: months, filters, reserves_fen)."""
        return sources_for(month, self.lake, self.store, **options)


def contract_table(key: str, rows: list[dict[str, Any]]) -> Table:
    """A contract table from rows (columns left out are null)."""
    import polars as pl

    schema = {column.name: DTYPES[column.kind] for column in TABLES[key].columns}
    frame = pl.DataFrame([{name: row.get(name) for name in schema} for row in rows], schema=schema)
    made = Table(key, frame)
    check_table(made)
    return made


def hand_month(
    figures: tuple[Figure, ...] = (), month_day: date = date(2026, 5, 1), **rows: list[dict[str, Any]]
) -> MonthData:
    """A month with the given tables (by key) and every other table empty."""
    unknown = set(rows) - set(TABLES)
    if unknown:
        raise KeyError(f"hand_month: unknown tables {sorted(unknown)}")
    tables = {key: contract_table(key, rows[key]) if key in rows else empty_table(key) for key in TABLES}
    return MonthData(month_day, month_day.replace(day=28), None, {}, figures, tables)


def pricing_row(
    grade: str, rate: str, decision: str, pd_: float = 0.02, loss: str = "0.01", required: str | None = None
) -> dict[str, Any]:
    """One row of the ``pricing`` table (rates as decimal strings; ``required`` defaults to ``rate``)."""
    return {
        "grade": grade,
        "loans": 100,
        "pd": pd_,
        "lgd": 0.5,
        "expected_loss_rate": loss,
        "funding_rate": "0.03",
        "operating_rate": "0.02",
        "margin_rate": "0.02",
        "required_rate": required or rate,
        "rate": rate,
        "decision": decision,
    }


_EXTRACTS: dict[tuple[int, int], Path] = {}


def _extract(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The simulated extract (written once per session)."""
    from qingshou.simulate import SimulationConfig, simulate_book

    if (LOANS, SEED) not in _EXTRACTS:
        folder = tmp_path_factory.mktemp(f"report-book-{LOANS}-{SEED}")
        simulate_book(SimulationConfig(loans=LOANS, seed=SEED, as_of=BOOK_DAY), folder, workers=1)
        _EXTRACTS[LOANS, SEED] = folder
    return _EXTRACTS[LOANS, SEED]


SHANGHAI = ZoneInfo("Asia/Shanghai")
#: Collectors of the book: username, team.
COLLECTORS = (("rc1", "一组"), ("rc2", "一组"), ("rc3", "二组"))


def add_activity() -> None:
    """Teams, collectors, assignments, calls and promises on the book's cases (see the module docstring)."""
    from qingshou.apps.accounts.models import Team
    from qingshou.apps.cases.models import Case, Promise
    from qingshou.apps.contacts.models import ContactAttempt, ContactParty
    from workbench_support import create_user

    teams = {name: Team.objects.create(name=name) for name in ("一组", "二组")}
    users = [create_user("collector", username=name, team=teams[team]) for name, team in COLLECTORS]
    parties = {party.borrower_id: party for party in ContactParty.objects.filter(kind="debtor")}
    for index, case in enumerate(Case.objects.order_by("id")):
        collector = users[index % len(users)]
        case.collector = collector
        case.team = teams[COLLECTORS[index % len(users)][1]]
        case.save(update_fields=["collector", "team"])
        party = parties.get(case.borrower_id)
        if party is None:
            continue
        for day in MONTH_ENDS:
            if day < case.opened_on or (case.closed_on is not None and day > case.closed_on):
                continue
            at = datetime(day.year, day.month, 20, 10, 0, tzinfo=SHANGHAI)
            connected = index % 2 == 0
            ContactAttempt.objects.create(
                initiator="user",
                initiator_id=collector.username,
                borrower_id=case.borrower_id,
                loan_id=case.lead_loan_id,
                party=party,
                party_kind="debtor",
                channel="call",
                address=party.phone,
                time_zone="Asia/Shanghai",
                planned_at=at,
                local_day=at.date(),
                profile="default",
                outcome="allow",
                reason="ok",
                attempted_at=at,
                result="connected" if connected else "no_answer",
                conversation_about_debt=connected,
                result_recorded_at=at,
            )
            if index % 3 == 0:
                due = date(day.year, day.month, 25)
                Promise.objects.create(
                    case=case,
                    loan_id=case.lead_loan_id,
                    amount_fen=50_000,
                    due_on=due,
                    status=Promise.Status.KEPT if index % 2 == 0 else Promise.Status.BROKEN,
                    created_at=at,
                    created_by=collector.username,
                    taken_on=at.date(),
                    evaluated_on=due,
                )


def _flush() -> None:
    from django.core.management import call_command

    call_command("flush", interactive=False, verbosity=0)


@pytest.fixture(scope="module")
def report_book(
    django_db_setup: None,
    django_db_blocker: Any,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[ReportBook]:
    """The demo-sized book (see the module docstring)."""
    from qingshou import config
    from qingshou.apps.eod.services.run import run_eod
    from qingshou.apps.loans.services.load import load_extracts

    folder = _extract(tmp_path_factory)
    lake = tmp_path_factory.mktemp("report-lake") / "lake"
    with pytest.MonkeyPatch.context() as patch, django_db_blocker.unblock():
        patch.setenv("QINGSHOU_LAKE", str(lake))
        patch.setenv("QINGSHOU_TODAY", TODAY)
        try:
            report = load_extracts(folder)
            assert report.exit_code == 0, report.as_json()
            for day in MONTH_ENDS:
                run_eod(day, "polars", lake=lake)
            add_activity()
            store = Store(config.adbc_uri())
            try:
                yield ReportBook(lake=lake, store=store, extract=folder)
            finally:
                store.close()
        finally:
            _flush()
