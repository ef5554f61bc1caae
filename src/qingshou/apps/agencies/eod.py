"""The EOD step of the agencies app (issue 6; ``apps.eod.services.run``).

``RecallPlacements`` runs in the EOD store transaction after "write cases" (``STORE_STEPS``): every active
placement whose term ended by the day (``term_ends_on <= as_of``) is recalled on its term's last day, and
every active placement whose case the day closed (cured or settled) is recalled on the day. The agency's data
access ends with it: ``qs_case.agency_id`` is cleared (and the work lock), so every page, API call and
document of the case answers 404 to the agency's users. One audit event ``agency.recall`` (actor ``system``)
per placement. It writes through the run's store connection (the same transaction as the day's statuses and
cases); ``services.recall_due`` is the same rule through the ORM. A rerun of the day finds nothing more to
recall. A backfill older than the latest planned day (cases left alone) recalls nothing.
"""

from __future__ import annotations

from datetime import UTC, date
from typing import TYPE_CHECKING, Final

import polars as pl
from django.utils import timezone

from qingshou.store import Dialect

if TYPE_CHECKING:
    from qingshou.apps.eod.services.run import EodContext
    from qingshou.store import Store

#: ``context.extras`` key: the ids of the placements recalled, by reason.
RECALLED: Final = "placements_recalled"


def _day(value: date) -> str:
    return f"'{value.isoformat()}'"


def _moment(dialect: Dialect) -> str:
    utc = timezone.now().astimezone(UTC)
    return f"'{utc.replace(tzinfo=None)}'" if dialect is Dialect.SQLITE else f"'{utc.isoformat()}'"


def _ids(values: list[int]) -> str:
    return ", ".join(str(int(value)) for value in values)


def recall_placements(store: Store, as_of: date) -> dict[str, list[int]]:
    """Recall the placements due on ``as_of`` (module docstring); returns their ids by reason."""
    day = _day(as_of)
    due = store.read(
        "SELECT p.id, CASE WHEN p.term_ends_on <= "
        + day
        + " THEN 'term_end' ELSE 'case_closed' END AS reason"
        " FROM qs_agency_placement p JOIN qs_case c ON c.id = p.case_id"
        f" WHERE p.status = 'active' AND p.placed_on <= {day}"
        f" AND (p.term_ends_on <= {day} OR c.status = 'closed')",
        {"id": pl.Int64(), "reason": pl.String()},
    )
    result: dict[str, list[int]] = {
        reason: due.filter(pl.col("reason") == reason).get_column("id").sort().to_list()
        for reason in ("term_end", "case_closed")
    }
    ids = due.get_column("id").to_list()
    if not ids:
        return result
    chosen = f"p.id IN ({_ids(ids)})"
    store.execute(
        "UPDATE qs_case SET agency_id = NULL, locked_by_id = NULL, locked_until = NULL"
        " WHERE EXISTS (SELECT 1 FROM qs_agency_placement p WHERE p.case_id = qs_case.id"
        f" AND p.agency_id = qs_case.agency_id AND {chosen})"
    )
    for reason, recalled_on in (("term_end", "term_ends_on"), ("case_closed", day)):
        if result[reason]:
            store.execute(
                f"UPDATE qs_agency_placement SET status = 'recalled', recalled_on = {recalled_on},"
                f" recall_reason = '{reason}' WHERE id IN ({_ids(result[reason])})"
            )
    build = "jsonb_build_object" if store.dialect is Dialect.POSTGRESQL else "json_object"
    store.execute(
        "INSERT INTO qs_audit_event (at, actor_id, actor_name, action, target_type, target_id, detail, reason, ip)"
        f" SELECT {_moment(store.dialect)}, NULL, 'system', 'agency.recall', 'agencies.placement',"
        f" CAST(p.id AS TEXT), {build}('as_of', {day}, 'case', p.case_id, 'agency', p.agency_id,"
        " 'reason', p.recall_reason), '', NULL"
        f" FROM qs_agency_placement p WHERE {chosen}"
    )
    return result


class RecallPlacements:
    """EOD store step after "write cases": recall expired placements and end the agencies' access."""

    name, kind = "recall placements", "write_store"

    def __call__(self, context: EodContext) -> None:
        from qingshou.apps.cases.services.daily import COLLECTION, Skipped

        if isinstance(context.extras.get(COLLECTION), Skipped):
            return
        context.extras[RECALLED] = recall_placements(context.store, context.as_of)


__all__ = ["RecallPlacements", "recall_placements"]
