"""Due dates, the holiday shift and the last on-time day of an installment (C2).

An installment falls due at the end of its due date. Under ``next_business_day`` a due date on a
non-business day is payable on time until the next business day (the *effective* due date). Grace adds
``grace_days`` calendar days after the effective due date: an installment paid in full by
``last_on_time_day`` is on time — no penalty, never delinquent. Overdue days and penalty accrual count
from the *origin*: the original due date by default, or the effective one (per product ``dpd_origin``).
"""

from __future__ import annotations

from datetime import date, timedelta

from qingshou.domain.calendar import BusinessCalendar
from qingshou.domain.policy import DpdOrigin, HolidayRule, ProductPolicy


def effective_due_date(due_date: date, policy: ProductPolicy, calendar: BusinessCalendar) -> date:
    """The day until which paying is on time before grace: shifted only under ``next_business_day``."""
    if policy.holiday_rule is HolidayRule.NEXT_BUSINESS_DAY:
        return calendar.next_business_day(due_date)
    return due_date


def last_on_time_day(due_date: date, policy: ProductPolicy, calendar: BusinessCalendar) -> date:
    """Effective due date + grace days: the last day on which paying in full is on time (inclusive)."""
    return effective_due_date(due_date, policy, calendar) + timedelta(days=policy.grace_days)


def overdue_origin(due_date: date, policy: ProductPolicy, calendar: BusinessCalendar) -> date:
    """Day 0 of the overdue count and of penalty accrual (C2 ``dpd_origin``, C3, C4)."""
    if policy.dpd_origin is DpdOrigin.EFFECTIVE:
        return effective_due_date(due_date, policy, calendar)
    return due_date
