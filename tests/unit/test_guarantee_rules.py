"""The guarantee period (C7: 6 months from the principal debt's due date when none is agreed, not interruptible;
Civil Code art. 692–693) at its boundaries, what preserves a claim on the guarantor, and the reminder days
(issue 6 "Guarantors and write-off")."""

from __future__ import annotations

from datetime import date

import pytest

from qingshou.domain.calendar import BusinessCalendar
from qingshou.domain.guarantees import (
    Act,
    GuaranteeError,
    GuaranteeKind,
    check_act,
    guarantee_period,
    parse_lead_days,
    principal_due_date,
    reminder_dates,
    reminder_due,
)

CAL_2025 = BusinessCalendar.of(
    [2025, 2026], holidays=[date(2025, 10, 1), date(2025, 10, 2), date(2025, 10, 3)]
)


@pytest.mark.parametrize(
    ("due", "end"),
    [
        (date(2025, 3, 15), date(2025, 9, 15)),  # the corresponding day 6 months later (art. 202)
        (date(2025, 3, 31), date(2025, 9, 30)),  # month-end clamp: no 31 September
        (date(2025, 8, 31), date(2026, 2, 28)),  # clamp into a common-year February
        (date(2023, 8, 31), date(2024, 2, 29)),  # … and a leap-year February
        (date(2025, 12, 31), date(2026, 6, 30)),  # across the year
    ],
)
def test_c7_period_without_agreement_ends_six_months_after_the_due_date(due: date, end: date) -> None:
    period = guarantee_period(due)
    assert (period.starts_on, period.ends_on, period.last_day, period.agreed) == (
        date.fromordinal(due.toordinal() + 1),
        end,
        end,
        False,
    )
    assert not period.calendar_confirmed  # no calendar given: the day is not moved


def test_c7_a_demand_on_the_last_day_is_in_time_the_day_after_is_not() -> None:
    period = guarantee_period(date(2025, 3, 31))  # ends 2025-09-30
    on_last = check_act(period, GuaranteeKind.JOINT, Act.DEMAND, date(2025, 9, 30), delivered=True)
    assert on_last.refusal is None
    assert on_last.preserves
    after = check_act(period, GuaranteeKind.JOINT, Act.DEMAND, date(2025, 10, 1), delivered=True)
    assert after.refusal is not None
    assert "ended on 2025-09-30" in after.refusal
    assert not after.preserves
    assert period.days_left(date(2025, 9, 30)) == 0
    assert period.days_left(date(2025, 10, 1)) == -1


def test_c7_the_due_date_itself_is_not_in_the_period() -> None:
    period = guarantee_period(date(2025, 3, 31))
    assert not period.contains(date(2025, 3, 31))
    assert period.contains(date(2025, 4, 1))
    early = check_act(period, GuaranteeKind.JOINT, Act.DEMAND, date(2025, 3, 31), delivered=True)
    assert early.refusal is not None
    assert "starts on 2025-04-01" in early.refusal


def test_c7_last_day_on_a_holiday_moves_to_the_next_business_day() -> None:
    # due 2025-04-01 → ends 2025-10-01 (National Day holiday): last day 2025-10-04? 10-04 is a Saturday → 10-06
    period = guarantee_period(date(2025, 4, 1), calendar=CAL_2025)
    assert period.ends_on == date(2025, 10, 1)
    assert period.last_day == date(2025, 10, 6)
    assert period.calendar_confirmed
    assert check_act(period, GuaranteeKind.JOINT, Act.DEMAND, date(2025, 10, 6), delivered=True).preserves
    assert check_act(period, GuaranteeKind.JOINT, Act.DEMAND, date(2025, 10, 7), delivered=True).refusal
    uncovered = guarantee_period(date(2027, 4, 1), calendar=CAL_2025)  # 2027 not covered: never guessed
    assert (uncovered.last_day, uncovered.calendar_confirmed) == (date(2027, 10, 1), False)


@pytest.mark.parametrize(
    ("agreed", "end", "used"),
    [
        (date(2027, 3, 31), date(2027, 3, 31), True),  # an agreed end after the due date is used
        (date(2025, 4, 1), date(2025, 4, 1), True),  # … even one day after it
        (date(2025, 3, 31), date(2025, 9, 30), False),  # ending with the principal: as if none (art. 692)
        (date(2025, 1, 31), date(2025, 9, 30), False),  # ending before the principal: as if none
    ],
)
def test_an_agreed_period_is_used_only_when_it_ends_after_the_principal(
    agreed: date, end: date, used: bool
) -> None:
    period = guarantee_period(date(2025, 3, 31), agreed)
    assert (period.ends_on, period.agreed) == (end, used)


def test_the_principal_is_due_on_the_last_due_date_or_an_earlier_acceleration() -> None:
    assert principal_due_date(date(2026, 1, 1), None) == date(2026, 1, 1)
    assert principal_due_date(date(2026, 1, 1), date(2025, 6, 10)) == date(2025, 6, 10)
    assert principal_due_date(date(2026, 1, 1), date(2026, 2, 1)) == date(
        2026, 1, 1
    )  # after maturity: no change


def test_what_preserves_each_kind_art_693() -> None:
    period = guarantee_period(date(2025, 3, 31))
    day = date(2025, 6, 1)
    assert check_act(period, GuaranteeKind.JOINT, Act.DEMAND, day, delivered=True).preserves
    assert not check_act(period, GuaranteeKind.JOINT, Act.DEMAND, day, delivered=False).preserves
    assert not check_act(period, GuaranteeKind.GENERAL, Act.DEMAND, day, delivered=True).preserves
    assert check_act(period, GuaranteeKind.GENERAL, Act.SUIT, day, delivered=False).preserves
    assert check_act(period, GuaranteeKind.GENERAL, Act.ARBITRATION, day, delivered=False).preserves
    assert not check_act(period, GuaranteeKind.JOINT, Act.SUIT, day, delivered=False).preserves


def test_reminder_days_before_the_end_and_which_one_is_due() -> None:
    period = guarantee_period(date(2025, 3, 31))  # ends 2025-09-30
    assert reminder_dates(period, (30, 7, 0)) == (date(2025, 8, 31), date(2025, 9, 23), date(2025, 9, 30))
    leads = (30, 7)
    assert reminder_due(period, leads, date(2025, 8, 30), None) is None  # before the first reminder day
    assert reminder_due(period, leads, date(2025, 8, 31), None) == date(2025, 8, 31)
    assert reminder_due(period, leads, date(2025, 9, 1), date(2025, 8, 31)) is None  # already reminded
    assert reminder_due(period, leads, date(2025, 9, 2), None) == date(2025, 8, 31)  # a missed day: next run
    assert reminder_due(period, leads, date(2025, 9, 23), date(2025, 8, 31)) == date(2025, 9, 23)
    assert reminder_due(period, leads, date(2025, 9, 30), date(2025, 9, 23)) is None
    assert reminder_due(period, leads, date(2025, 10, 1), None) is None  # the period ended


def test_reminder_days_never_before_the_period_starts() -> None:
    period = guarantee_period(date(2025, 3, 31), date(2025, 4, 10))  # a 10-day agreed period
    assert reminder_dates(period, (30, 7)) == (date(2025, 4, 3),)


@pytest.mark.parametrize("raw", [[-1], [367], ["x"], [1.5], [], [True]])
def test_lead_days_are_validated(raw: list[object]) -> None:
    with pytest.raises(GuaranteeError):
        parse_lead_days(raw)  # type: ignore[arg-type]


def test_lead_days_parse() -> None:
    assert parse_lead_days([7, "30", 7]) == (30, 7)
    assert parse_lead_days(14) == (14,)
