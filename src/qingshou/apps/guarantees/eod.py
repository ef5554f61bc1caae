"""The EOD step of guarantees (issue 6; ``apps.eod.services.run``): reminders before a guarantee period ends.

``GuaranteeReminders`` runs in the EOD store transaction after "watch plans" (``STORE_STEPS``). For every
guarantee not yet preserved (no act that preserves it, ``qs_guarantor_demand.preserves``) whose period has not
ended, it asks the domain whether a reminder is due on the day (``domain.guarantees.reminder_due``: the latest
reminder day — ``QINGSHOU_GUARANTEE_REMINDER_DAYS`` days before the period's end, default 30 and 7 — not yet
reminded) and writes one ``qs_guarantee_reminder`` row on the borrower's open case (none open: the row has no
case). It writes through the run's store connection; the row is unique per guarantee and day and inserted only
when missing, so a rerun of the day changes nothing. A backfill older than the latest planned day leaves
reminders alone, like the other collection steps.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Final

import polars as pl
from django.conf import settings

from qingshou.domain.calendar import BusinessCalendar
from qingshou.domain.guarantees import (
    DEFAULT_REMINDER_DAYS,
    guarantee_period,
    parse_lead_days,
    principal_due_date,
    reminder_due,
)

if TYPE_CHECKING:
    from qingshou.apps.eod.services.run import EodContext
    from qingshou.store import Store

#: ``context.extras`` key: the guarantees reminded on the day.
REMINDED: Final = "guarantees_reminded"


def lead_days() -> tuple[int, ...]:
    """``QINGSHOU_GUARANTEE_REMINDER_DAYS`` validated (days before the period's end; default 30 and 7)."""
    return parse_lead_days(getattr(settings, "QINGSHOU_GUARANTEE_REMINDER_DAYS", DEFAULT_REMINDER_DAYS))


def _day(value: date) -> str:
    return f"'{value.isoformat()}'"


_SCHEMA: Final = {
    "id": pl.Int64(),
    "last_due": pl.Date(),
    "accelerated_on": pl.Date(),
    "agreed_end": pl.Date(),
    "case_id": pl.Int64(),
    "last_reminded": pl.Date(),
}


def remind(store: Store, as_of: date, calendar: BusinessCalendar, leads: tuple[int, ...]) -> list[int]:
    """Write the reminders due on ``as_of`` (module docstring); the ids of the guarantees reminded."""
    day = _day(as_of)
    rows = store.read(
        "SELECT g.id, (SELECT MAX(i.due_date) FROM qs_installment i WHERE i.loan_id = g.loan_id) AS last_due,"
        " l.accelerated_on, g.agreed_end,"
        " (SELECT MIN(c.id) FROM qs_case c WHERE c.borrower_id = l.borrower_id AND c.status = 'open') AS case_id,"
        f" (SELECT MAX(r.as_of) FROM qs_guarantee_reminder r WHERE r.guarantee_id = g.id AND r.as_of < {day})"
        " AS last_reminded"
        " FROM qs_guarantee g JOIN qs_loan l ON l.loan_id = g.loan_id"
        " WHERE NOT EXISTS (SELECT 1 FROM qs_guarantor_demand d WHERE d.guarantee_id = g.id AND d.preserves)"
        " ORDER BY g.id",
        _SCHEMA,
    )
    reminded: list[int] = []
    for row in rows.iter_rows(named=True):
        if row["last_due"] is None:
            continue  # no schedule: the period is unknown (the case page says so)
        period = guarantee_period(
            principal_due_date(row["last_due"], row["accelerated_on"]), row["agreed_end"], calendar
        )
        due = reminder_due(period, leads, as_of, row["last_reminded"])
        if due is None:
            continue
        case = "NULL" if row["case_id"] is None else str(int(row["case_id"]))
        store.execute(
            "INSERT INTO qs_guarantee_reminder (guarantee_id, case_id, as_of, reminder_day, period_last_day,"
            f" days_left) SELECT {int(row['id'])}, {case}, {day}, {_day(due)}, {_day(period.last_day)},"
            f" {period.days_left(as_of)}"
            f" WHERE NOT EXISTS (SELECT 1 FROM qs_guarantee_reminder r WHERE r.guarantee_id = {int(row['id'])}"
            f" AND r.as_of = {day})"
        )
        reminded.append(int(row["id"]))
    return reminded


class GuaranteeReminders:
    """EOD store step after "watch plans": reminders before guarantee periods end (module docstring)."""

    name, kind = "guarantee reminders", "write_store"

    def __call__(self, context: EodContext) -> None:
        from qingshou.apps.cases.services.daily import COLLECTION, Skipped

        if isinstance(context.extras.get(COLLECTION), Skipped):
            return
        context.extras[REMINDED] = remind(
            context.store, context.as_of, context.calendar.calendar, lead_days()
        )


__all__ = ["GuaranteeReminders", "remind"]
