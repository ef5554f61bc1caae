"""Guarantees (保证) on loans: the guarantee period (保证期间, C7), what preserves a claim on the guarantor, and
the reminder days before the period ends.

**Kinds** (Civil Code art. 686–688). A 一般保证 (general guarantee) lets the guarantor refuse to pay until the
debtor's assets were enforced against (先诉抗辩权); a 连带责任保证 (joint and several liability) does not. A
guarantee whose kind the contract does not state is a general guarantee (art. 686 para. 2): callers that do not
know the kind pass ``GuaranteeKind.GENERAL``.

**The period** (art. 692, C7). It runs from the day after the principal debt's performance period ends (art.
201: the start day is not counted) and cannot be suspended, interrupted or extended. An agreed end is used when
it falls after the principal's due date; an agreed period that ends on or before the principal's due date is
treated as no agreement (art. 692 para. 2), and so is no agreement at all: the period then ends 6 months after
the principal's due date, on the corresponding day (art. 202; 31 Aug → 28/29 Feb, the month-end clamp of
``limitation.guarantee_period_end``). When its last day is not a business day it moves to the next business
day (art. 203, with the house calendar as for limitation; ``calendar_confirmed`` is False and the day is not
moved when the calendar does not cover its year).

**The principal debt's due date of a loan** is its last installment's due date: an instalment loan is one debt
performed in parts, and the period of the guarantee of the whole debt runs from the last part (the same reading
as limitation, art. 189). When the lender called the loan early (宣布提前到期) before that day, the acceleration
date is used instead: acceleration makes the whole debt due on that day, so the principal's performance period
ended then. Courts are not unanimous on whether acceleration moves the guarantee period; taking the EARLIER of
the two dates is the creditor's safe side: the period then ends as early as any reading allows, so a demand
made in time by this rule is in time under the other reading too (a later acceleration changes nothing: the
debt was already due).

**What preserves the claim** (art. 693). For a joint-liability guarantee: a demand on the guarantor that reached
them within the period. For a general guarantee: a suit or arbitration against the DEBTOR filed within the
period — a letter to a general guarantor does not preserve it. After the period, nothing revives the claim.

**Reminders**: the days ``lead`` days before the period's unadjusted last day (the conservative one), for each
configured lead time; a reminder is due on a day when the latest reminder day up to it has not been reminded
yet, until the period ends.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Final

from qingshou.domain.calendar import BusinessCalendar
from qingshou.domain.errors import DomainError
from qingshou.domain.limitation import business_day_deadline, guarantee_period_end

#: The default lead times of the reminders (days before the period's last day).
DEFAULT_REMINDER_DAYS: Final = (30, 7)


class GuaranteeError(DomainError):
    """A guarantee or a demand on a guarantor breaks a rule (period ended, bad input)."""

    code = "guarantee_refused"


class GuaranteeKind(StrEnum):
    """一般保证 (general) or 连带责任保证 (joint and several liability)."""

    GENERAL = "general"
    JOINT = "joint"


class Act(StrEnum):
    """What the creditor did against the guarantee: a demand on the guarantor, or a suit / arbitration against
    the debtor (what preserves a general guarantee)."""

    DEMAND = "demand"
    SUIT = "suit"
    ARBITRATION = "arbitration"


#: The acts that preserve each kind of guarantee (art. 693).
PRESERVING_ACTS: Final = {
    GuaranteeKind.JOINT: frozenset({Act.DEMAND}),
    GuaranteeKind.GENERAL: frozenset({Act.SUIT, Act.ARBITRATION}),
}


def principal_due_date(last_due_date: date, accelerated_on: date | None) -> date:
    """The day the principal debt's performance period ended: the last installment's due date, or the
    acceleration date when the loan was called earlier (module docstring, "principal debt's due date")."""
    if accelerated_on is not None and accelerated_on < last_due_date:
        return accelerated_on
    return last_due_date


@dataclass(frozen=True, slots=True)
class GuaranteePeriod:
    """The guarantee period: first day, the computed last day, the last day after the business-day move, and
    whether the agreed end was used."""

    principal_due: date
    starts_on: date
    ends_on: date
    last_day: date
    calendar_confirmed: bool
    agreed: bool

    def contains(self, day: date) -> bool:
        """Whether an act on ``day`` is within the period (from its first day to its last day, both in)."""
        return self.starts_on <= day <= self.last_day

    def days_left(self, day: date) -> int:
        """Days from ``day`` to the last day (0 on the last day, negative after it)."""
        return (self.last_day - day).days


def guarantee_period(
    principal_due: date,
    agreed_end: date | None = None,
    calendar: BusinessCalendar | None = None,
) -> GuaranteePeriod:
    """C7 / art. 692: the guarantee period of a debt due on ``principal_due`` (module docstring)."""
    agreed = agreed_end is not None and agreed_end > principal_due
    end = agreed_end if agreed and agreed_end is not None else guarantee_period_end(principal_due)
    if calendar is None:
        last, confirmed = end, False
    else:
        deadline = business_day_deadline(end, calendar)
        last, confirmed = deadline.expires_on, deadline.calendar_confirmed
    return GuaranteePeriod(
        principal_due=principal_due,
        starts_on=principal_due + timedelta(days=1),
        ends_on=end,
        last_day=last,
        calendar_confirmed=confirmed,
        agreed=agreed,
    )


@dataclass(frozen=True, slots=True)
class ActCheck:
    """Whether an act on a day is allowed (``refusal`` None) and whether it preserves the guarantee."""

    refusal: str | None
    preserves: bool


def check_act(
    period: GuaranteePeriod, kind: GuaranteeKind, act: Act, on: date, *, delivered: bool
) -> ActCheck:
    """An act against the guarantee on ``on``: refused after the period's last day (the claim on the guarantor
    is lost, art. 693) and before its first day (the principal is not due yet); otherwise allowed, and it
    preserves the guarantee when the act is the one the kind needs (art. 693) and — for a demand — it reached
    the guarantor (``delivered``)."""
    if on > period.last_day:
        return ActCheck(
            f"the guarantee period ended on {period.last_day.isoformat()}: a {act.value} on"
            f" {on.isoformat()} no longer preserves the claim on the guarantor (Civil Code art. 693)",
            preserves=False,
        )
    if on < period.starts_on:
        return ActCheck(
            f"the principal debt is due on {period.principal_due.isoformat()}: the guarantee period starts on"
            f" {period.starts_on.isoformat()}",
            preserves=False,
        )
    preserves = act in PRESERVING_ACTS[kind] and (act is not Act.DEMAND or delivered)
    return ActCheck(None, preserves)


def parse_lead_days(raw: Iterable[int | str] | int | str) -> tuple[int, ...]:
    """Reminder lead times (days before the period's end) validated: integers from 0 to 366, no float."""
    values = [raw] if isinstance(raw, int | str) else list(raw)
    days: set[int] = set()
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise GuaranteeError(f"a reminder lead time must be a whole number of days, not {value!r}")
        try:
            number = int(value)
        except ValueError:
            raise GuaranteeError(
                f"a reminder lead time must be a whole number of days, not {value!r}"
            ) from None
        if not 0 <= number <= 366:
            raise GuaranteeError(f"a reminder lead time must be 0 to 366 days, not {number}")
        days.add(number)
    if not days:
        raise GuaranteeError("give at least one reminder lead time")
    return tuple(sorted(days, reverse=True))


def reminder_dates(period: GuaranteePeriod, lead_days: Iterable[int]) -> tuple[date, ...]:
    """The reminder days: ``lead`` days before the computed last day (never before the period starts)."""
    days = {period.ends_on - timedelta(days=lead) for lead in lead_days}
    return tuple(sorted(day for day in days if day >= period.starts_on))


def reminder_due(
    period: GuaranteePeriod, lead_days: Iterable[int], as_of: date, last_reminded_on: date | None
) -> date | None:
    """The reminder day a reminder on ``as_of`` answers, or None: the latest reminder day up to ``as_of``,
    when it was not reminded on or after that day yet and the period has not ended (a day missed by the
    batch is reminded on the next run)."""
    if as_of > period.last_day:
        return None
    passed = [day for day in reminder_dates(period, lead_days) if day <= as_of]
    if not passed:
        return None
    latest = passed[-1]
    if last_reminded_on is not None and last_reminded_on >= latest:
        return None
    return latest
