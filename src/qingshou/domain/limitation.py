"""Limitation: the limitation period (诉讼时效) and the other legal clocks of a claim (C7).

The period starts the day after the last installment's due date, or after the acceleration date when the
loan was called earlier (Civil Code art. 189), and runs 3 years (art. 188). The day that sets it running
(the last due date or the acceleration date) is not counted (art. 201), so the period ends on the
corresponding day 3 years after it (art. 202; 29 Feb → 28 Feb): due 15 Mar 2024 → counted from 16 Mar 2024
→ expires 15 Mar 2027. Each interruption on a day d from the start on restarts it by the same rule: the
expiry becomes d + 3 years (art. 195) — the base case and the restart are one rule applied to two dates. Interruptions are taken in date order and count
only while the period is still running (d ≤ the current expiry): an act after expiry does not revive an
expired claim (a debtor's later promise is a waiver under art. 192, a different question). The expiry is
then moved to the next business day when it is not one (art. 203). That move treats weekends as
non-business days as well as statutory holidays, and honours adjusted workdays (调休), because the
calendar is China's working calendar. When the calendar does not cover the expiry's year the date is
never guessed: ``calendar_confirmed`` is False and ``expires_on`` is the unadjusted day. Enforcement must
be applied for within 2 years of the performance date (Civil Procedure Law art. 250, same date rules);
the guarantee period without agreement ends 6 months after the principal's due date and cannot be
interrupted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from qingshou.domain.calendar import BusinessCalendar
from qingshou.domain.errors import CalendarError, LimitationError
from qingshou.domain.schedule import add_months

#: Acts that interrupt the limitation period (art. 195 and the SPC limitation rules).
INTERRUPTION_KINDS: Final = frozenset(
    {
        "demand_delivered",
        "account_debit",
        "partial_payment",
        "promise_to_pay",
        "repayment_plan",
        "suit_filed",
        "payment_order",
        "enforcement_applied",
    }
)
LIMITATION_YEARS: Final = 3
ENFORCEMENT_YEARS: Final = 2
GUARANTEE_MONTHS: Final = 6


@dataclass(frozen=True, slots=True)
class Interruption:
    """An act that interrupts limitation on ``on``, with its evidence (receipt, message log, recording)."""

    on: date
    kind: str
    evidence: str

    def __post_init__(self) -> None:
        if self.kind not in INTERRUPTION_KINDS:
            allowed = " | ".join(sorted(INTERRUPTION_KINDS))
            raise LimitationError(
                f"interruption kind must be one of {allowed}, got {self.kind!r}", field="kind"
            )
        if not self.evidence or not self.evidence.strip():
            raise LimitationError(f"interruption on {self.on} needs its evidence", field="evidence")


@dataclass(frozen=True, slots=True)
class Deadline:
    """A legal deadline: the computed day, and the day it falls on after the business-day move."""

    unadjusted_on: date
    expires_on: date
    calendar_confirmed: bool


@dataclass(frozen=True, slots=True)
class LimitationExpiry:
    """When the limitation period started and when it expires; ``last_interruption`` restarted it."""

    start: date
    expires_on: date
    unadjusted_on: date
    calendar_confirmed: bool
    last_interruption: Interruption | None


def add_years(day: date, years: int) -> date:
    """The same calendar day ``years`` later; 29 Feb becomes 28 Feb in a common year."""
    return add_months(day, 12 * years)


def business_day_deadline(unadjusted: date, calendar: BusinessCalendar) -> Deadline:
    """Move ``unadjusted`` to the next business day (art. 203), or flag it when the calendar cannot say."""
    try:
        return Deadline(unadjusted, calendar.next_business_day(unadjusted), calendar_confirmed=True)
    except CalendarError:
        return Deadline(unadjusted, unadjusted, calendar_confirmed=False)


def limitation_start(last_due_date: date, accelerated_on: date | None) -> date:
    """The first day of the period: the day after the last due date, or after an earlier acceleration."""
    trigger = (
        accelerated_on if accelerated_on is not None and accelerated_on < last_due_date else last_due_date
    )
    return trigger + timedelta(days=1)


def limitation_expiry(
    last_due_date: date,
    accelerated_on: date | None,
    interruptions: Iterable[Interruption],
    calendar: BusinessCalendar,
) -> LimitationExpiry:
    """C7: the limitation expiry of a claim after its interruptions (rules in the module docstring)."""
    start = limitation_start(last_due_date, accelerated_on)
    trigger = start - timedelta(days=1)
    deadline = business_day_deadline(add_years(trigger, LIMITATION_YEARS), calendar)
    last: Interruption | None = None
    for interruption in sorted(interruptions, key=lambda item: item.on):
        if start <= interruption.on <= deadline.expires_on:
            deadline = business_day_deadline(add_years(interruption.on, LIMITATION_YEARS), calendar)
            last = interruption
    return LimitationExpiry(
        start, deadline.expires_on, deadline.unadjusted_on, deadline.calendar_confirmed, last
    )


def enforcement_deadline(performance_date: date, calendar: BusinessCalendar) -> Deadline:
    """C7: the last day to apply for enforcement: performance date + 2 years, moved off non-business days."""
    return business_day_deadline(add_years(performance_date, ENFORCEMENT_YEARS), calendar)


def guarantee_period_end(principal_due_date: date) -> date:
    """C7: the guarantee period without agreement: principal due date + 6 months (month-end clamp)."""
    return add_months(principal_due_date, GUARANTEE_MONTHS)
