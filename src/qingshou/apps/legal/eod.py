"""The EOD step of legal recovery (issue 6; ``apps.eod.services.run.STORE_STEPS``, after "watch plans").

``RecordLegalReminders`` records one ``qs_legal_reminder`` row for each deadline of an open legal case
(``deadlines.build_deadlines``: hearings, preservation renewals and expiries, enforcement application
deadlines, limitation expiries of the loans under legal action) on the first EOD day it is inside its
reminder window (the lead times of ``QINGSHOU_LEGAL``). A deadline's key carries its day, so a moved hearing
is reminded again. Idempotent: a deadline already reminded (on this day or an earlier one) gets nothing more,
and the unique (key, day) constraint refuses a duplicate — a rerun of the day writes nothing.

The facts are read through Django (legal cases and measures are few and not written by EOD); the loans'
limitation expiries come from the day's snapshot (its statuses are not committed yet). The rows are written
through the run's store connection, in the EOD store transaction. A backfill of a day older than the latest
planned day (collection skipped) records nothing.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Final

import polars as pl

from qingshou.apps.legal.conf import legal_settings
from qingshou.apps.legal.deadlines import Deadline, build_deadlines

if TYPE_CHECKING:
    from qingshou.apps.eod.services.run import EodContext
    from qingshou.store import Store

#: ``context.extras`` key: the keys of the deadlines reminded.
REMINDED: Final = "legal_reminders"
_IDS_PER_STATEMENT: Final = 500


def _text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def due_reminders(as_of: date, snapshot: pl.DataFrame | None = None) -> list[Deadline]:
    """The deadlines of the open legal cases inside their reminder window on ``as_of``."""
    from qingshou.apps.legal.models import LegalCase
    from qingshou.apps.legal.selectors import deadline_facts
    from qingshou.apps.loans.selectors import business_calendar

    limitation: dict[str, date] | None = None
    if snapshot is not None and "limitation_expires_on" in snapshot.columns:
        rows = snapshot.select("loan_id", "limitation_expires_on").drop_nulls().iter_rows()
        limitation = {str(loan_id): day for loan_id, day in rows}
    cases, measures, limitations = deadline_facts(LegalCase.objects.all(), limitation)
    deadlines = build_deadlines(cases, measures, limitations, legal_settings(), business_calendar())
    return [row for row in deadlines if row.in_window(as_of)]


def record_reminders(store: Store, as_of: date, snapshot: pl.DataFrame | None = None) -> list[str]:
    """Write the reminders of ``as_of`` that no earlier run wrote (module docstring); returns their keys."""
    due = due_reminders(as_of, snapshot)
    if not due:
        return []
    keys = sorted({row.key for row in due})
    known: set[str] = set()
    for start in range(0, len(keys), _IDS_PER_STATEMENT):
        chunk = ", ".join(_text(key) for key in keys[start : start + _IDS_PER_STATEMENT])
        found = store.read(f"SELECT key FROM qs_legal_reminder WHERE key IN ({chunk})", {"key": pl.String()})
        known.update(found.get_column("key").to_list())
    new = [row for row in due if row.key not in known]
    if new:
        frame = pl.DataFrame(
            {
                "legal_case_id": [row.legal_case_id for row in new],
                "as_of": [as_of] * len(new),
                "key": [row.key for row in new],
                "kind": [row.kind for row in new],
                "due_on": [row.due_on for row in new],
                "detail": [row.detail[:300] for row in new],
            },
            schema={
                "legal_case_id": pl.Int64(),
                "as_of": pl.Date(),
                "key": pl.String(),
                "kind": pl.String(),
                "due_on": pl.Date(),
                "detail": pl.String(),
            },
        )
        store.append("qs_legal_reminder", frame)
    return [row.key for row in new]


class RecordLegalReminders:
    """EOD store step after "watch plans": reminders of legal deadlines entering their window."""

    name, kind = "legal reminders", "write_store"

    def __call__(self, context: EodContext) -> None:
        from qingshou.apps.cases.services.daily import COLLECTION, Skipped

        if isinstance(context.extras.get(COLLECTION), Skipped):
            return
        context.extras[REMINDED] = record_reminders(context.store, context.as_of, context.snapshot)


__all__ = ["RecordLegalReminders", "due_reminders", "record_reminders"]
