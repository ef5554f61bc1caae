"""Every deadline of the legal cases, from plain facts: one function for the calendar page, the command line
and the EOD reminder step (``build_deadlines``).

| kind | due on | act by | reminded from |
| --- | --- | --- | --- |
| ``hearing`` | the hearing day | the hearing day | ``hearing_lead_days`` before |
| ``preservation_expiry`` | the measure's last day | its renewal day (expiry − ``renewal_lead_days``, 保全规定 第十八条) | ``preservation_lead_days`` before the renewal day |
| ``enforcement_application`` | performance date + 2 years, next business day (C7) | the same | ``enforcement_lead_days`` before |
| ``limitation_expiry`` | a loan's limitation expiry (C7), for loans under an open legal case | the same | ``limitation_lead_days`` before |

A measure counts while it is neither released nor renewed; an enforcement deadline while the case is at
``effective`` (judgment, award or order in force, enforcement not yet applied for). The ``key`` names the
deadline and its day, so a moved hearing is a new deadline (and gets its own reminder).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from qingshou.apps.legal.conf import LegalSettings
from qingshou.domain.calendar import BusinessCalendar
from qingshou.domain.legal import Stage, enforcement_application_deadline

HEARING: Final = "hearing"
PRESERVATION_EXPIRY: Final = "preservation_expiry"
ENFORCEMENT_APPLICATION: Final = "enforcement_application"
LIMITATION_EXPIRY: Final = "limitation_expiry"
KINDS: Final = (HEARING, PRESERVATION_EXPIRY, ENFORCEMENT_APPLICATION, LIMITATION_EXPIRY)


@dataclass(frozen=True, slots=True)
class CaseFacts:
    """What the deadlines need of a legal case."""

    legal_case_id: int
    case_id: int
    case_type: str
    stage: str
    hearing_on: date | None
    effective_on: date | None
    performance_due_on: date | None


@dataclass(frozen=True, slots=True)
class MeasureFacts:
    """A preservation measure in force (neither released nor renewed)."""

    preservation_id: int
    legal_case_id: int
    case_id: int
    asset_kind: str
    description: str
    expires_on: date
    renewal_due_on: date


@dataclass(frozen=True, slots=True)
class LimitationFacts:
    """A loan under an open legal case and its limitation expiry (C7)."""

    legal_case_id: int
    case_id: int
    loan_id: str
    expires_on: date


@dataclass(frozen=True, slots=True)
class Deadline:
    """One deadline (module docstring)."""

    key: str
    kind: str
    due_on: date
    act_by: date
    remind_from: date
    legal_case_id: int
    case_id: int
    detail: str
    calendar_confirmed: bool = True

    def in_window(self, day: date) -> bool:
        """Whether ``day`` is inside the reminder window (from ``remind_from`` through the due day)."""
        return self.remind_from <= day <= self.due_on

    def days_left(self, day: date) -> int:
        """Days from ``day`` to the day to act by (negative: past it)."""
        return (self.act_by - day).days


def build_deadlines(
    cases: Iterable[CaseFacts],
    measures: Iterable[MeasureFacts],
    limitations: Iterable[LimitationFacts],
    conf: LegalSettings,
    calendar: BusinessCalendar,
) -> list[Deadline]:
    """Every deadline of the facts, by the day to act by (module docstring)."""
    rows: list[Deadline] = []
    for case in cases:
        if case.stage == Stage.CLOSED.value:
            continue
        if case.hearing_on is not None and case.stage in (Stage.ACCEPTED.value, Stage.HEARING.value):
            rows.append(
                Deadline(
                    key=f"{HEARING}:{case.legal_case_id}:{case.hearing_on.isoformat()}",
                    kind=HEARING,
                    due_on=case.hearing_on,
                    act_by=case.hearing_on,
                    remind_from=case.hearing_on - timedelta(days=conf.hearing_lead_days),
                    legal_case_id=case.legal_case_id,
                    case_id=case.case_id,
                    detail=case.case_type,
                )
            )
        performance = case.performance_due_on or case.effective_on
        if case.stage == Stage.EFFECTIVE.value and performance is not None:
            deadline = enforcement_application_deadline(performance, calendar)
            rows.append(
                Deadline(
                    key=f"{ENFORCEMENT_APPLICATION}:{case.legal_case_id}:{deadline.expires_on.isoformat()}",
                    kind=ENFORCEMENT_APPLICATION,
                    due_on=deadline.expires_on,
                    act_by=deadline.expires_on,
                    remind_from=deadline.expires_on - timedelta(days=conf.enforcement_lead_days),
                    legal_case_id=case.legal_case_id,
                    case_id=case.case_id,
                    detail=f"performance due {performance.isoformat()}",
                    calendar_confirmed=deadline.calendar_confirmed,
                )
            )
    for measure in measures:
        rows.append(
            Deadline(
                key=f"{PRESERVATION_EXPIRY}:{measure.preservation_id}:{measure.expires_on.isoformat()}",
                kind=PRESERVATION_EXPIRY,
                due_on=measure.expires_on,
                act_by=measure.renewal_due_on,
                remind_from=measure.renewal_due_on - timedelta(days=conf.preservation_lead_days),
                legal_case_id=measure.legal_case_id,
                case_id=measure.case_id,
                detail=f"{measure.asset_kind}: {measure.description}"[:300],
            )
        )
    for loan in limitations:
        rows.append(
            Deadline(
                key=f"{LIMITATION_EXPIRY}:{loan.legal_case_id}:{loan.loan_id}:{loan.expires_on.isoformat()}",
                kind=LIMITATION_EXPIRY,
                due_on=loan.expires_on,
                act_by=loan.expires_on,
                remind_from=loan.expires_on - timedelta(days=conf.limitation_lead_days),
                legal_case_id=loan.legal_case_id,
                case_id=loan.case_id,
                detail=loan.loan_id,
            )
        )
    return sorted(rows, key=lambda row: (row.act_by, row.due_on, row.key))


def upcoming(deadlines: Iterable[Deadline], today: date, days: int) -> list[Deadline]:
    """The deadlines still ahead (due today or later) whose day to act by is within ``days`` of ``today``,
    or that are already inside their reminder window."""
    horizon = today + timedelta(days=days)
    return [
        row for row in deadlines if row.due_on >= today and (row.act_by <= horizon or row.in_window(today))
    ]
