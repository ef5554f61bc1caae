"""The collection steps of EOD: cases, the strategy's assignment, the day's action plan, its compliance
check and the notices it sends (issue 4). They plug into ``apps.eod.services.run`` as further steps.

=====================  ======================================================================  ===========
step                   what it does                                                            kind
=====================  ======================================================================  ===========
read collection        the cases that may be open on the day, the borrowers' features          read_store
                       (``services.inputs``), the active strategy, the last assignment of
                       every case, the debtor parties
plan collection        cases of the day (``engine.cases``), the strategy's assignment and      compute
                       plan (``engine.strategy``)
read contact facts     the contact day's facts (C8) of the borrowers the plan contacts         read_store
check contacts         the compliance check of every planned contact                           compute
                       (``engine.compliance``, C8)
— inside the EOD store transaction —
write cases            dropped cases deleted (closed instead when people worked on them),      write_store
                       kept / closed ones updated, new ones inserted, the day's events replaced
write actions          the day's plan replaced                                                 write_store
stage notices          the allowed and deferred notices into the outbox (a rerun adds none      write_store
                       twice: the outbox key is unique)
=====================  ======================================================================  ===========

Every step is a set-based operation over the whole book (Polars frames, bulk SQL through ADBC); a rerun of
the day leaves exactly what a single run leaves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any, Final

import polars as pl
from django.conf import settings

from qingshou import clock
from qingshou.apps.cases.services.inputs import borrower_features, strategy_inputs
from qingshou.apps.cases.services.plan import (
    CONTACT_CHANNELS,
    PlanFacts,
    contact_day,
    debtor_parties,
    decide,
    notice_frame,
    time_barred_loans,
)
from qingshou.apps.contacts.profiles import active_profile
from qingshou.apps.contacts.selectors import facts_frame
from qingshou.apps.notices.services.outbox import stage_outbox
from qingshou.apps.strategy.selectors import StrategyInForce, active_strategy
from qingshou.domain.compliance import ComplianceProfile, PartyKind
from qingshou.engine.book import Book
from qingshou.engine.cases import CLOSE, OPEN_CASES, CaseDay, case_day
from qingshou.engine.strategy import assign, plan
from qingshou.store import Dialect, Store

if TYPE_CHECKING:
    from qingshou.apps.eod.services.run import EodContext

READ_STORE: Final = "read_store"
COMPUTE: Final = "compute"
WRITE_STORE: Final = "write_store"
_IDS_PER_STATEMENT: Final = 500
#: The key of the collection state in ``EodContext.extras``.
COLLECTION: Final = "collection"
#: The local time planned contacts are made at on the contact day (``QINGSHOU_COLLECTION["contact_time"]``).
DEFAULT_CONTACT_TIME: Final = "09:00"


def contact_time() -> time:
    """The configured local time of planned contacts (``HH:MM``)."""
    value = str(getattr(settings, "QINGSHOU_COLLECTION", {}).get("contact_time", DEFAULT_CONTACT_TIME))
    try:
        return time.fromisoformat(value)
    except ValueError as error:
        raise ValueError(f"QINGSHOU_COLLECTION['contact_time'] must be HH:MM, got {value!r}") from error


#: The assignment a case carries (and an ``assigned`` event records).
ASSIGNMENT: Final = {
    "segment": pl.String(),
    "path": pl.String(),
    "arm": pl.String(),
    "strategy_version": pl.Int32(),
    "state_day": pl.Int32(),
}


def _day(as_of: date) -> str:
    return f"'{as_of.isoformat()}'"


def _id_lists(ids: list[int]) -> list[str]:
    """``ids`` as comma-separated SQL lists of at most ``_IDS_PER_STATEMENT`` each."""
    return [
        ", ".join(str(int(value)) for value in ids[start : start + _IDS_PER_STATEMENT])
        for start in range(0, len(ids), _IDS_PER_STATEMENT)
    ]


#: A stored case as ``write_cases`` compares it: ``OPEN_CASES`` and what else a day may change.
STORED_CASES: Final = {
    **OPEN_CASES,
    "status": pl.String(),
    "close_reason": pl.String(),
    "lead_loan_id": pl.String(),
    "segment": pl.String(),
    "path": pl.String(),
    "arm": pl.String(),
    "strategy_version": pl.Int32(),
}


def read_open_cases(store: Store, as_of: date) -> pl.DataFrame:
    """Cases that may be open on ``as_of`` (``STORED_CASES``): opened on or before it and not closed
    before it."""
    day = _day(as_of)
    columns = ", ".join("id AS case_id" if name == "case_id" else name for name in STORED_CASES)
    return store.read(
        f"SELECT {columns} FROM qs_case WHERE opened_on <= {day} AND (closed_on IS NULL OR closed_on >= {day})",
        STORED_CASES,
    )


_ASSIGNMENT_COLUMNS: Final = {
    "case_id": pl.Int64(),
    "segment": pl.String(),
    "path": pl.String(),
    "arm": pl.String(),
    "strategy_version": pl.Int32(),
}


def read_last_assignments(store: Store, as_of: date, stored: pl.DataFrame) -> pl.DataFrame:
    """Per case, its assignment before ``as_of``: the case row holds it (``stored``) — unless the day is
    being run again, when the row already holds the day's; then the latest event before the day that
    carries one (opened or assigned) is read instead."""
    if not store.scalar(f"SELECT COUNT(*) FROM qs_case_event WHERE as_of = {_day(as_of)}"):
        return stored.select(_ASSIGNMENT_COLUMNS.keys())
    return store.read(
        "SELECT e.case_id, e.segment, e.path, e.arm, e.strategy_version FROM qs_case_event e"
        " JOIN (SELECT case_id, MAX(as_of) AS as_of FROM qs_case_event"
        f"       WHERE kind IN ('opened', 'assigned') AND as_of < {_day(as_of)} GROUP BY case_id) last"
        " ON last.case_id = e.case_id AND last.as_of = e.as_of WHERE e.kind IN ('opened', 'assigned')",
        _ASSIGNMENT_COLUMNS,
    )


@dataclass(frozen=True, slots=True)
class CaseWrite:
    """What ``write_cases`` needs: the day's case rows, each borrower's assignment (``ASSIGNMENT`` by
    ``borrower_id``, empty when no strategy ran), the last assignment of every case before the day and the
    stored cases the day started from (``STORED_CASES``)."""

    day: CaseDay
    assignments: pl.DataFrame
    last_assigned: pl.DataFrame
    stored: pl.DataFrame


#: The columns of ``qs_case`` a day writes.
_CASE_COLUMNS: Final = (
    "borrower_id",
    "status",
    "opened_on",
    "closed_on",
    "close_reason",
    "updated_on",
    "lead_loan_id",
)
#: What makes a kept case's row change.
_COMPARED: Final = (
    "status",
    "closed_on",
    "close_reason",
    "lead_loan_id",
    "segment",
    "path",
    "arm",
    "strategy_version",
)


def write_cases(store: Store, as_of: date, write: CaseWrite) -> pl.DataFrame:
    """Apply the day's cases to the store and replace the day's case events; return the open cases of the
    day (``case_id``, ``borrower_id``) for the action plan. Call inside the store transaction."""
    day = _keep_worked_cases(store, write.day, as_of)
    dropped = day.dropped.get_column("case_id").to_list()
    for ids in _id_lists(dropped):
        store.execute(f"DELETE FROM qs_action WHERE case_id IN ({ids})")
        store.execute(f"DELETE FROM qs_case_event WHERE case_id IN ({ids})")
        store.execute(f"DELETE FROM qs_case WHERE id IN ({ids})")
    assigned = write.assignments.select("borrower_id", "segment", "path", "arm", "strategy_version")
    # Close first (frees the borrower's one open case), then update the kept cases that changed, then
    # insert the new ones: they cannot clash with a stored case (a borrower's case open on the day is kept).
    closed = _with_assignment(day.closed, None).rename({"case_id": "id"}).drop("change")
    store.upsert("qs_case", closed, ["id"])
    kept = _with_assignment(day.kept, assigned)
    changed = kept.join(
        write.stored.select("case_id", *_COMPARED), on=["case_id", *_COMPARED], how="anti", nulls_equal=True
    )
    store.upsert("qs_case", changed.rename({"case_id": "id"}).drop("change"), ["id"])
    store.append("qs_case", _with_assignment(day.opened, assigned).drop("case_id", "change"))
    opened = store.read(
        f"SELECT id AS case_id, borrower_id FROM qs_case WHERE opened_on = {_day(as_of)}",
        {"case_id": pl.Int64(), "borrower_id": pl.String()},
    )
    cases = pl.concat(
        [
            day.opened.select("borrower_id", "opened_on", "change").join(
                opened, on="borrower_id", how="inner"
            ),
            day.kept.select("borrower_id", "opened_on", "change", "case_id"),
            day.closed.select("borrower_id", "opened_on", "change", "case_id"),
        ],
        how="diagonal",
    ).select("case_id", "borrower_id", "opened_on", "change")
    store.execute(f"DELETE FROM qs_case_event WHERE as_of = {_day(as_of)}")
    store.append("qs_case_event", _events(cases, day, assigned, write, as_of))
    return cases.filter(pl.col("change") != "close").select("case_id", "borrower_id")


#: Tables EOD itself rewrites for a case (a dropped case's rows there go with it).
_EOD_CASE_TABLES: Final = frozenset({"qs_action", "qs_case_event"})


def _work_references() -> list[tuple[str, str]]:
    """(table, column) of every table that points at a case and is written by people, not by EOD: promises,
    call-backs, notes, visit requests, documents, arrangements … — read from the models, so an app added
    later is covered."""
    from qingshou.apps.cases.models import Case

    return sorted(
        {
            (relation.related_model._meta.db_table, str(relation.field.column))
            for relation in Case._meta.related_objects
            if relation.related_model._meta.db_table not in _EOD_CASE_TABLES
        }
    )


def _keep_worked_cases(store: Store, day: CaseDay, as_of: date) -> CaseDay:
    """A case an earlier run of the day opened and this run drops is *closed* on the day instead when
    someone has already recorded work on it (a promise, a note, a visit request …): that work must not be
    lost, and its rows must keep their case. Only untouched cases are deleted."""
    dropped = day.dropped.get_column("case_id").to_list()
    if not dropped:
        return day
    worked: set[int] = set()
    for ids in _id_lists(dropped):
        for table, column in _work_references():
            found = store.read(
                f"SELECT DISTINCT {column} AS case_id FROM {table} WHERE {column} IN ({ids})",
                {"case_id": pl.Int64()},
            )
            worked.update(found.get_column("case_id").to_list())
    if not worked:
        return day
    is_worked = pl.col("case_id").is_in(sorted(worked))
    closed = day.dropped.filter(is_worked).with_columns(
        pl.lit("closed").alias("status"),
        pl.lit(as_of, pl.Date).alias("closed_on"),
        pl.lit(CLOSE).alias("change"),
    )
    return CaseDay(
        opened=day.opened,
        kept=day.kept,
        closed=pl.concat([day.closed, closed]),
        dropped=day.dropped.filter(~is_worked),
    )


def _with_assignment(rows: pl.DataFrame, assigned: pl.DataFrame | None) -> pl.DataFrame:
    """Case rows, with the borrower's assignment unless ``assigned`` is None (a case closed today keeps
    its last assignment: those columns are not written)."""
    base = rows.select("case_id", *_CASE_COLUMNS, "change").with_columns(pl.col("close_reason").fill_null(""))
    if assigned is None:
        return base
    return base.join(assigned, on="borrower_id", how="left").with_columns(
        [pl.col(name).fill_null("") for name in ("segment", "path", "arm")]
    )


def _events(
    cases: pl.DataFrame,
    day: CaseDay,
    assigned: pl.DataFrame,
    write: CaseWrite,
    as_of: date,
) -> pl.DataFrame:
    """The day's events: opened (with the assignment), closed, and assigned where the assignment of a case
    opened before the day differs from its last one. A case opened and closed on the day (a rerun kept it for
    the work recorded on it) gets both, its opened event with the assignment stored on the case."""
    last = write.last_assigned
    figures = pl.concat([day.opened, day.kept, day.closed]).select(
        "borrower_id", "opened_on", "worst_dpd", "total_overdue_fen"
    )
    rows = cases.join(figures, on=["borrower_id", "opened_on"], how="left")
    blank = {name: pl.lit("") for name in ("segment", "path", "arm")}
    # Opened today (a new case, or one an earlier run of the day opened): the event carries the assignment.
    current = rows.filter(pl.col("change") != "close").join(assigned, on="borrower_id", how="left")
    opened = current.filter(pl.col("opened_on") == as_of).with_columns(
        pl.lit("opened").alias("kind"), *[pl.col(name).fill_null("") for name in blank]
    )
    born_closed = (
        rows.filter((pl.col("change") == "close") & (pl.col("opened_on") == as_of))
        .join(write.stored.select("case_id", *blank, "strategy_version"), on="case_id", how="left")
        .with_columns(pl.lit("opened").alias("kind"), *[pl.col(name).fill_null("") for name in blank])
    )
    closed = rows.filter(pl.col("change") == "close").with_columns(
        pl.lit("closed").alias("kind"), **blank, strategy_version=pl.lit(None, pl.Int32)
    )
    changed = (
        current.filter((pl.col("opened_on") < as_of) & pl.col("segment").is_not_null())
        .join(
            last, on=["case_id", "segment", "path", "arm", "strategy_version"], how="anti", nulls_equal=True
        )
        .with_columns(pl.lit("assigned").alias("kind"))
    )
    columns = [
        "case_id",
        "kind",
        "segment",
        "path",
        "arm",
        "strategy_version",
        "worst_dpd",
        "total_overdue_fen",
    ]
    return pl.concat(
        [frame.select(columns) for frame in (opened, born_closed, closed, changed)], how="vertical_relaxed"
    ).with_columns(pl.lit(as_of, pl.Date).alias("as_of"), pl.lit("").alias("detail"))


def _moment_text(column: str, store: Store) -> pl.Expr:
    """A UTC moment as the store keeps it: SQLite (Django) naive UTC text, PostgreSQL the moment itself."""
    if store.dialect is Dialect.SQLITE:
        return pl.col(column).dt.convert_time_zone("UTC").dt.strftime("%Y-%m-%d %H:%M:%S%.f").alias(column)
    return pl.col(column)


def _held_borrowers(context: EodContext) -> pl.Series:
    """Borrowers with a loan the run could not compute (their cases are left alone today)."""
    failed = context.errors.get_column("loan_id").unique().to_list()
    if not failed:
        return pl.Series("borrower_id", [], pl.String())
    found = [
        context.store.read(
            f"SELECT borrower_id FROM qs_loan WHERE loan_id IN ({', '.join(_text(i) for i in chunk)})",
            {"borrower_id": pl.String()},
        )
        for chunk in (
            failed[start : start + _IDS_PER_STATEMENT] for start in range(0, len(failed), _IDS_PER_STATEMENT)
        )
    ]
    return pl.concat(found).get_column("borrower_id").unique()


def _text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


@dataclass
class Collection:
    """What the collection steps share through ``context.extras["collection"]``."""

    open_cases: pl.DataFrame
    last_assigned: pl.DataFrame
    features: pl.DataFrame
    in_force: StrategyInForce
    parties: pl.DataFrame
    profile: ComplianceProfile
    held: pl.Series
    day: CaseDay | None = None
    inputs: pl.DataFrame | None = None
    assignments: pl.DataFrame | None = None
    actions: pl.DataFrame | None = None
    facts: pl.DataFrame | None = None
    plan: pl.DataFrame | None = None
    day_cases: pl.DataFrame | None = None


@dataclass(frozen=True, slots=True)
class Skipped:
    """Why the collection steps did nothing for the day."""

    reason: str


def latest_collection_day(store: Store) -> date | None:
    """The latest day whose cases or plan were written (None: never)."""
    found = store.read(
        "SELECT MAX(day) AS day FROM (SELECT MAX(updated_on) AS day FROM qs_case"
        " UNION ALL SELECT MAX(as_of) AS day FROM qs_action) days",
        {"day": pl.Date()},
    )
    return found.get_column("day").max()  # type: ignore[return-value]


def collection_of(context: EodContext) -> Collection | None:
    """The collection state of the run (after ``read collection``); None when the day is skipped: cases
    move forward only, so a backfill of a day older than the latest planned day leaves them alone."""
    found = context.extras.get(COLLECTION)
    if isinstance(found, Skipped):
        return None
    if not isinstance(found, Collection):
        raise RuntimeError("the collection inputs have not been read yet")
    return found


class ReadCollection:
    """Cases, borrower features, the strategy in force and the debtor parties."""

    name, kind = "read collection", READ_STORE

    def __call__(self, context: EodContext) -> None:
        store, as_of = context.store, context.as_of
        latest = latest_collection_day(store)
        if latest is not None and as_of < latest:
            context.extras[COLLECTION] = Skipped(f"cases and plans already run for the later day {latest}")
            return
        snapshot = context.require_snapshot()
        stored = read_open_cases(store, as_of)
        context.extras[COLLECTION] = Collection(
            open_cases=stored,
            last_assigned=read_last_assignments(store, as_of, stored),
            features=borrower_features(store, snapshot.get_column("borrower_id").unique()),
            in_force=active_strategy(),
            parties=debtor_parties(store),
            profile=active_profile(),
            held=_held_borrowers(context),
        )


class PlanCollection:
    """The day's cases, the strategy's assignment and plan."""

    name, kind = "plan collection", COMPUTE

    def __call__(self, context: EodContext) -> None:
        state = collection_of(context)
        if state is not None:
            plan_collection(state, context.require_snapshot(), context.book, context.as_of)


def plan_collection(state: Collection, snapshot: pl.DataFrame, book: Book, as_of: date) -> None:
    """Fill ``state`` with the day's cases, inputs, assignments and planned actions (pure frame work)."""
    state.day = case_day(snapshot, state.open_cases.select(OPEN_CASES.keys()), as_of, state.held)
    inputs = strategy_inputs(snapshot, book, state.features, as_of)
    if state.held.len():
        inputs = inputs.filter(~pl.col("borrower_id").is_in(state.held.implode()))
    state.inputs = inputs
    assignments = assign(inputs, state.in_force.strategy, as_of)
    state.assignments = assignments.with_columns(
        pl.lit(state.in_force.version, pl.Int32).alias("strategy_version")
    )
    state.actions = plan(assignments, state.in_force.strategy, as_of)


class ReadContactFacts:
    """The compliance facts (C8) of the contact day for the borrowers the plan contacts — only theirs."""

    name, kind = "read contact facts", READ_STORE

    def __call__(self, context: EodContext) -> None:
        state = collection_of(context)
        if state is None:
            return
        if state.actions is None:
            raise RuntimeError("the collection has not been planned yet")
        contacted = state.actions.filter(pl.col("action").is_in(list(CONTACT_CHANNELS)))
        state.facts = facts_frame(
            contacted.get_column("borrower_id").unique().to_list(),
            contact_day(context.as_of),
            time_barred_loan_ids=time_barred_loans(context.require_snapshot(), context.as_of),
        )


class CheckContacts:
    """The compliance check of every planned contact (``engine.compliance`` over the plan)."""

    name, kind = "check contacts", COMPUTE

    def __call__(self, context: EodContext) -> None:
        state = collection_of(context)
        if state is None:
            return
        if state.actions is None or state.facts is None:
            raise RuntimeError("the contact facts have not been read yet")
        facts = PlanFacts(state.parties, state.facts, state.profile, contact_time())
        state.plan = decide(state.actions, facts, context.as_of)


class WriteCases:
    """The day's cases and case events (module docstring)."""

    name, kind = "write cases", WRITE_STORE

    def __call__(self, context: EodContext) -> None:
        state = collection_of(context)
        if state is None:
            return
        if state.day is None or state.assignments is None:
            raise RuntimeError("the collection has not been planned yet")
        state.day_cases = write_cases(
            context.store,
            context.as_of,
            CaseWrite(state.day, state.assignments, state.last_assigned, state.open_cases),
        )


class WriteActions:
    """The day's plan replaces any plan an earlier run wrote for the day; planned contacts are recorded
    with their compliance decision (``qs_contact_attempt``, started by the engine) the same way."""

    name, kind = "write actions", WRITE_STORE

    def __call__(self, context: EodContext) -> None:
        state = collection_of(context)
        if state is None:
            return
        if state.plan is None or state.day_cases is None:
            raise RuntimeError("the cases have not been written yet")
        write_actions(context.store, context.as_of, state, context.require_snapshot())


#: ``initiator_id`` of the contacts EOD plans for a day (a rerun replaces them).
ENGINE_INITIATOR_ID: Final = "eod:{as_of}"


def write_actions(store: Store, as_of: date, state: Collection, snapshot: pl.DataFrame) -> None:
    """Replace the day's ``qs_action`` rows and the engine's planned ``qs_contact_attempt`` rows."""
    if state.plan is None or state.day_cases is None:
        raise RuntimeError("the cases have not been written yet")
    store.execute(f"DELETE FROM qs_action WHERE as_of = {_day(as_of)}")
    rows = state.plan.join(state.day_cases, on="borrower_id", how="left")
    store.append(
        "qs_action",
        rows.select(
            "as_of",
            "case_id",
            "borrower_id",
            "loan_id",
            "segment",
            "path",
            "arm",
            "step",
            "action",
            pl.col("template").fill_null(""),
            pl.col("queue").fill_null(""),
            pl.col("priority").cast(pl.Int32),
            "recipient",
            _moment_text("planned_at", store),
            "outcome",
            pl.col("reason").fill_null(""),
            _moment_text("not_before", store),
        ),
    )
    initiator = _text(ENGINE_INITIATOR_ID.format(as_of=as_of.isoformat()))
    store.execute(f"DELETE FROM qs_contact_attempt WHERE initiator = 'engine' AND initiator_id = {initiator}")
    store.append("qs_contact_attempt", _attempt_rows(rows, state, store, as_of, snapshot))


def _attempt_rows(
    rows: pl.DataFrame, state: Collection, store: Store, as_of: date, snapshot: pl.DataFrame
) -> pl.DataFrame:
    """The plan's checked contacts as ``qs_contact_attempt`` rows (a contact without a party has none)."""
    barred = time_barred_loans(snapshot, as_of)
    checked = rows.filter(pl.col("action").is_in(list(CONTACT_CHANNELS)) & pl.col("party_id").is_not_null())
    now = datetime.now(UTC)
    return checked.select(
        pl.lit("engine").alias("initiator"),
        pl.lit(ENGINE_INITIATOR_ID.format(as_of=as_of.isoformat())).alias("initiator_id"),
        "borrower_id",
        "loan_id",
        "party_id",
        pl.lit(PartyKind.DEBTOR.value).alias("party_kind"),
        pl.col("action").replace_strict(CONTACT_CHANNELS, return_dtype=pl.String()).alias("channel"),
        pl.col("recipient").alias("address"),
        pl.when(pl.col("time_zone") == "")
        .then(pl.lit(state.profile.default_time_zone))
        .otherwise(pl.col("time_zone"))
        .alias("time_zone"),
        _moment_text("planned_at", store),
        pl.lit(contact_day(as_of), pl.Date).alias("local_day"),
        pl.lit(True).alias("mentions_debt"),
        pl.lit(False).alias("threatens_legal_action"),
        pl.lit(0, pl.Int32).alias("collectors"),
        pl.col("loan_id").is_in(barred).alias("time_barred"),
        pl.lit(state.profile.name).alias("profile"),
        "outcome",
        "reason",
        _moment_text("not_before", store).alias("deferred_to"),
        pl.lit(_now_text(now, store)).alias("checked_at"),
        pl.lit("").alias("result"),
    )


def _now_text(now: datetime, store: Store) -> str:
    return now.strftime("%Y-%m-%d %H:%M:%S.%f") if store.dialect is Dialect.SQLITE else now.isoformat()


class StageNotices:
    """The plan's notices into the outbox, in the EOD transaction (the worker sends them after the commit).

    Only a plan whose contact day has not passed stages notices: a backfill of history must not send
    letters about a day long gone. A rerun of the day first removes the day's notices no worker has tried
    yet, then stages the new plan's; a notice already sent keeps its key, so it is never sent twice."""

    name, kind = "stage notices", WRITE_STORE

    def __call__(self, context: EodContext) -> None:
        state = collection_of(context)
        if state is None or contact_day(context.as_of) < clock.today():
            return
        if state.plan is None or state.inputs is None:
            raise RuntimeError("the collection has not been planned yet")
        store = context.store
        store.execute(
            f"DELETE FROM qs_outbox WHERE as_of = {_day(context.as_of)} AND status = 'pending' AND attempts = 0"
        )
        frame = notice_frame(state.plan, state.inputs, state.parties)
        context.extras[NOTICES_STAGED] = stage_outbox(store, frame).inserted


#: ``context.extras`` key: how many notices the run put into the outbox.
NOTICES_STAGED: Final = "notices_staged"
#: ``context.extras`` key: what the case assignment after the commit did (``AssignResult.as_json``).
ASSIGNED: Final = "assigned"


def collection_summary(context: EodContext) -> dict[str, Any]:
    """What the collection steps did, for the run's JSON: cases opened / closed, actions by outcome,
    notices staged (or why the day was skipped)."""
    found = context.extras.get(COLLECTION)
    if isinstance(found, Skipped):
        return {"skipped": found.reason}
    if not isinstance(found, Collection) or found.day is None or found.plan is None:
        return {}
    outcomes = dict(found.plan.group_by("outcome").len().sort("outcome").iter_rows())
    return {
        "cases_opened": found.day.opened.height,
        "cases_closed": found.day.closed.height,
        "cases_open": found.day.opened.height + found.day.kept.height,
        "actions": found.plan.height,
        "actions_by_outcome": {str(name): int(count) for name, count in outcomes.items()},
        "notices_staged": int(context.extras.get(NOTICES_STAGED, 0)),
        "strategy_version": found.in_force.version,
        "field_visits_requested": int(context.extras.get("field_visits_requested", 0)),
        "assigned": context.extras.get(ASSIGNED, {}),
    }
