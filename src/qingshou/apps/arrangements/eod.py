"""The two EOD steps of plans, waivers and settlements (issue 5; ``apps.eod.services.run``).

``ExecuteArrangements`` runs before the book is read (``COMPUTE_STEPS``, after "read calendar"): it executes
what is due by the end of the day (``services.execute_due``: approved plans and waivers whose effective day
has come; settlements whose cash since approval reached the amount — settled on the day it was reached — and
lapses the settlements not paid by their pay-by day). Those are ledger facts (successor loans, non-cash
payments), so the book read next holds them; a backfill re-reads the book after a day that executed
something.

``WatchPlans`` runs in the EOD store transaction after the cases are written (``STORE_STEPS``, after
"write cases"): a plan whose successor loan is more than ``QINGSHOU_PLAN_BREACH_DPD`` days past due (C3,
default 3) is ``breached`` — its successor's delinquency already opens or keeps the borrower's case, so the
strategy takes it again — with a case event ``plan_breached`` on the borrower's open case; a plan whose
successor is paid off (nothing outstanding) is ``completed``. Both audited (actor ``system``). It writes through
the run's store connection (the same transaction as the statuses); a rerun of the day writes the events again
(``write cases`` replaces the day's events) and changes nothing else.
"""

from __future__ import annotations

import json
from datetime import UTC, date
from typing import TYPE_CHECKING, Final

import polars as pl
from django.conf import settings
from django.utils import timezone

from qingshou.apps.arrangements.rules import Kind, Status
from qingshou.store import Dialect

if TYPE_CHECKING:
    from qingshou.apps.eod.services.run import EodContext
    from qingshou.store import Store

#: ``context.extras`` keys: what the two steps did.
EXECUTED: Final = "arrangements_executed"
WATCHED: Final = "plans_watched"
#: The case event kind of a breached plan.
PLAN_BREACHED: Final = "plan_breached"
DEFAULT_BREACH_DPD: Final = 3


def breach_dpd() -> int:
    """Days past due of a successor loan beyond which its plan is breached (``QINGSHOU_PLAN_BREACH_DPD``)."""
    return int(getattr(settings, "QINGSHOU_PLAN_BREACH_DPD", DEFAULT_BREACH_DPD))


class ExecuteArrangements:
    """EOD step before "read book": execute the arrangements due by the end of the day (module docstring)."""

    name, kind = "execute arrangements", "write_store"

    def __call__(self, context: EodContext) -> None:
        from qingshou.apps.arrangements.services import execute_due

        run = execute_due(context.as_of)
        context.extras[EXECUTED] = run.as_json()
        if run.changed:
            context.shared.book = None  # the ledger changed: read the book again (backfills reuse it)


def _day(value: date) -> str:
    return f"'{value.isoformat()}'"


def _moment(dialect: Dialect) -> str:
    utc = timezone.now().astimezone(UTC)
    return f"'{utc.replace(tzinfo=None)}'" if dialect is Dialect.SQLITE else f"'{utc.isoformat()}'"


def _ids(values: list[int]) -> str:
    return ", ".join(str(int(value)) for value in values)


def watch_plans(store: Store, as_of: date, snapshot: pl.DataFrame, tolerance: int) -> dict[str, list[int]]:
    """Mark breached / completed plans from the day's snapshot and write the breach case events and audit
    events (module docstring). Returns the ids of the plans that changed, by new status."""
    plans = store.read(
        "SELECT id, successor_loan_id FROM qs_arrangement"
        f" WHERE kind = '{Kind.PLAN.value}' AND status = '{Status.EXECUTED.value}'"
        f" AND executed_on <= {_day(as_of)} AND successor_loan_id <> ''",
        {"id": pl.Int64(), "successor_loan_id": pl.String()},
    )
    found = plans.join(
        snapshot.select(
            pl.col("loan_id").alias("successor_loan_id"),
            "dpd",
            "outstanding_principal_fen",
            "payoff_amount_fen",
        ),
        on="successor_loan_id",
        how="inner",
    )
    breached = found.filter(pl.col("dpd") > tolerance).get_column("id").to_list()
    completed = (
        found.filter(
            (pl.col("dpd") <= tolerance)
            & (pl.col("payoff_amount_fen") == 0)
            & (pl.col("outstanding_principal_fen") == 0)
        )
        .get_column("id")
        .to_list()
    )
    for status, ids in ((Status.BREACHED, breached), (Status.COMPLETED, completed)):
        if ids:
            store.execute(
                f"UPDATE qs_arrangement SET status = '{status.value}', ended_on = {_day(as_of)}"
                f" WHERE id IN ({_ids(ids)}) AND status = '{Status.EXECUTED.value}'"
            )
            _audit_sql(store, as_of, ids, status)
    _breach_events(store, as_of)
    return {Status.BREACHED.value: breached, Status.COMPLETED.value: completed}


def _audit_sql(store: Store, as_of: date, ids: list[int], status: Status) -> None:
    detail = json.dumps({"as_of": as_of.isoformat(), "status": status.value})
    cast = "::jsonb" if store.dialect is Dialect.POSTGRESQL else ""
    action = "arrangement.breach" if status is Status.BREACHED else "arrangement.complete"
    store.execute(
        "INSERT INTO qs_audit_event (at, actor_id, actor_name, action, target_type, target_id, detail, reason, ip)"
        f" SELECT {_moment(store.dialect)}, NULL, 'system', '{action}', 'arrangements.arrangement',"
        f" CAST(a.id AS TEXT), '{detail}'{cast}, '', NULL FROM qs_arrangement a WHERE a.id IN ({_ids(ids)})"
    )


def _breach_events(store: Store, as_of: date) -> None:
    """One ``plan_breached`` case event per plan breached on ``as_of`` on the borrower's open case (none when
    the borrower has no open case), with the successor's dpd and total overdue of the day."""
    day = _day(as_of)
    store.execute(
        "INSERT INTO qs_case_event (case_id, as_of, kind, segment, path, arm, strategy_version, worst_dpd,"
        " total_overdue_fen, detail)"
        f" SELECT c.id, {day}, '{PLAN_BREACHED}', c.segment, c.path, c.arm, c.strategy_version,"
        " COALESCE(s.dpd, 0), COALESCE(s.total_overdue_fen, 0),"
        " 'arrangement ' || CAST(a.id AS TEXT) || ' successor ' || a.successor_loan_id"
        " FROM qs_arrangement a"
        " JOIN qs_loan l ON l.loan_id = a.successor_loan_id"
        " JOIN qs_case c ON c.borrower_id = l.borrower_id AND c.status = 'open'"
        " LEFT JOIN qs_loan_status s ON s.loan_id = a.successor_loan_id"
        f" WHERE a.kind = '{Kind.PLAN.value}' AND a.status = '{Status.BREACHED.value}' AND a.ended_on = {day}"
        f" AND a.id = (SELECT MIN(b.id) FROM qs_arrangement b JOIN qs_loan bl ON bl.loan_id = b.successor_loan_id"
        f" WHERE bl.borrower_id = l.borrower_id AND b.status = '{Status.BREACHED.value}' AND b.ended_on = {day})"
        f" AND NOT EXISTS (SELECT 1 FROM qs_case_event e WHERE e.case_id = c.id AND e.as_of = {day}"
        f" AND e.kind = '{PLAN_BREACHED}')"
    )


class WatchPlans:
    """EOD store step after "write cases": breached and completed plans (module docstring)."""

    name, kind = "watch plans", "write_store"

    def __call__(self, context: EodContext) -> None:
        from qingshou.apps.cases.services.daily import COLLECTION, Skipped

        if isinstance(context.extras.get(COLLECTION), Skipped):
            return  # a backfill older than the latest planned day leaves cases (and plans) alone
        context.extras[WATCHED] = watch_plans(
            context.store, context.as_of, context.require_snapshot(), breach_dpd()
        )


__all__ = ["ExecuteArrangements", "WatchPlans"]
