"""Delinquency: days past due, the delinquent flag and the bucket of a loan on a day (C2, C3).

The rules work on a plain timeline of ``DueItem`` — each installment's due date and the day it was fully
settled — so they can be tested and reused without the ledger. "As of D" is the end of day D (C1): an item
settled on D is paid at the end of D. ``dpd`` counts from the *origin* of the oldest unpaid installment
(the original due date by default, the holiday-shifted one under ``dpd_origin = effective``; the due date
itself is day 0); ``delinquent`` means an unpaid installment is past its last on-time day (effective due
date + grace). Both only look at installments due by D, so a calendar gap after D never matters.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from qingshou.domain.calendar import BusinessCalendar
from qingshou.domain.duedates import last_on_time_day, overdue_origin
from qingshou.domain.policy import ProductPolicy


@dataclass(frozen=True, slots=True)
class DueItem:
    """One installment on the timeline: ``settled_on`` is the day its principal, interest and fee were
    fully paid (end of that day), ``None`` while anything is unpaid."""

    seq: int
    due_date: date
    settled_on: date | None

    def unpaid_at(self, as_of: date) -> bool:
        """Whether anything of the installment is unpaid at the end of ``as_of`` (due or not)."""
        return self.settled_on is None or self.settled_on > as_of

    def overdue_at(self, as_of: date) -> bool:
        """Whether the installment has fallen due by ``as_of`` and is unpaid at its end."""
        return self.due_date <= as_of and self.unpaid_at(as_of)


@dataclass(frozen=True, slots=True)
class Delinquency:
    """The delinquency state of a loan at the end of a day."""

    dpd: int
    delinquent: bool
    bucket: str


def oldest_unpaid(items: Iterable[DueItem], as_of: date) -> DueItem | None:
    """The installment with the earliest due date that is due by ``as_of`` and unpaid at its end."""
    unpaid = [item for item in items if item.overdue_at(as_of)]
    return min(unpaid, key=lambda item: (item.due_date, item.seq)) if unpaid else None


def days_past_due(
    items: Iterable[DueItem], as_of: date, policy: ProductPolicy, calendar: BusinessCalendar
) -> int:
    """C3: as_of − origin of the oldest installment unpaid at the end of ``as_of``; 0 when none; never < 0."""
    oldest = oldest_unpaid(items, as_of)
    if oldest is None:
        return 0
    return max(0, (as_of - overdue_origin(oldest.due_date, policy, calendar)).days)


def is_delinquent(
    items: Iterable[DueItem], as_of: date, policy: ProductPolicy, calendar: BusinessCalendar
) -> bool:
    """C2/C3: some installment unpaid at the end of ``as_of`` is past its last on-time day."""
    return any(
        as_of > last_on_time_day(item.due_date, policy, calendar)
        for item in items
        if item.due_date < as_of and item.unpaid_at(as_of)
    )


def bucket(dpd: int, delinquent: bool, policy: ProductPolicy) -> str:
    """C3: the product's bucket for ``dpd`` — ``M0`` when the loan is not delinquent."""
    return policy.bucket_of(dpd, delinquent)


def delinquency_on(
    items: Iterable[DueItem], as_of: date, policy: ProductPolicy, calendar: BusinessCalendar
) -> Delinquency:
    """dpd, delinquent flag and bucket of the loan at the end of ``as_of``."""
    timeline = tuple(items)
    dpd = days_past_due(timeline, as_of, policy, calendar)
    delinquent = is_delinquent(timeline, as_of, policy, calendar)
    return Delinquency(dpd, delinquent, bucket(dpd, delinquent, policy))
