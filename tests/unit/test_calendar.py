"""China's business calendar from chinesecalendar plus operator overrides (C2, C7)."""

from __future__ import annotations

from datetime import date

import pytest
from chinese_calendar import constants

from qingshou.calendars import CalendarOverride, build_calendar, china_calendar
from qingshou.domain.errors import CalendarError


def test_c2_national_day_2026_is_a_holiday_and_10_october_an_adjusted_workday() -> None:
    """C2: 1 Oct 2026 is a statutory holiday; Sat 10 Oct 2026 is an adjusted workday (调休)."""
    calendar = china_calendar()
    assert not calendar.is_business_day(date(2026, 10, 1))
    assert date(2026, 10, 10).weekday() == 5
    assert calendar.is_business_day(date(2026, 10, 10))
    assert calendar.next_business_day(date(2026, 10, 1)) == date(2026, 10, 8)


def test_c2_plain_weekdays_and_weekends() -> None:
    """C2: an ordinary Wednesday is a business day, an ordinary Saturday is not."""
    calendar = china_calendar()
    assert calendar.is_business_day(date(2025, 3, 12))
    assert not calendar.is_business_day(date(2025, 3, 15))


def test_c2_covered_years_come_from_the_package_data() -> None:
    """C2: the covered years are the years present in chinesecalendar's tables (2004–2026 in 1.11.0)."""
    years = {d.year for d in constants.holidays} | {d.year for d in constants.workdays}
    assert china_calendar().covered_years == frozenset(years)
    assert min(years) == 2004
    assert max(years) == 2026


def test_c2_2027_needs_an_override() -> None:
    """C2: 4 Jan 2027 raises CalendarError without an override and is answered with one."""
    with pytest.raises(CalendarError):
        china_calendar().is_business_day(date(2027, 1, 4))
    calendar = build_calendar(
        [
            CalendarOverride(date(2027, 1, 1), is_workday=False, name="元旦"),
            CalendarOverride(date(2027, 1, 4), is_workday=False, name="元旦 (假设的调休)"),
        ],
        override_years=[2027],
    )
    assert not calendar.is_business_day(date(2027, 1, 4))
    assert calendar.is_business_day(date(2027, 1, 5))
    assert calendar.next_business_day(date(2027, 1, 1)) == date(2027, 1, 5)
    # the package's years are still answered
    assert not calendar.is_business_day(date(2026, 10, 1))


def test_c2_a_declared_year_without_rows_is_plain_weekdays() -> None:
    """C2: declaring a year with no rows covers it as weekdays only (the operator said so explicitly)."""
    calendar = build_calendar([], override_years=[2027])
    assert calendar.is_business_day(date(2027, 1, 4))
    assert not calendar.is_business_day(date(2027, 1, 2))


def test_c2_overrides_for_a_covered_year_replace_the_package_data() -> None:
    """C2: overriding 2026 replaces the package's 2026 entirely (1 Oct becomes a plain Thursday)."""
    calendar = build_calendar([CalendarOverride(date(2026, 5, 6), is_workday=False, name="test")], [2026])
    assert calendar.is_business_day(date(2026, 10, 1))
    assert not calendar.is_business_day(date(2026, 10, 10))
    assert not calendar.is_business_day(date(2026, 5, 6))
    # other years keep the package data
    assert not calendar.is_business_day(date(2025, 10, 1))


def test_c2_rows_of_an_undeclared_year_do_not_cover_it() -> None:
    """C2: rows for 2028 without declaring 2028 leave 2028 uncovered (CalendarError), never guessed."""
    calendar = build_calendar(
        [CalendarOverride(date(2028, 1, 3), is_workday=False, name="元旦")], override_years=[2027]
    )
    with pytest.raises(CalendarError):
        calendar.is_business_day(date(2028, 1, 3))
    assert calendar.is_business_day(date(2027, 1, 4))


def test_c2_a_day_both_holiday_and_workday_is_refused() -> None:
    """C2: contradictory override rows for one day are refused."""
    rows = [
        CalendarOverride(date(2027, 2, 6), is_workday=False, name="春节"),
        CalendarOverride(date(2027, 2, 6), is_workday=True, name="调休"),
    ]
    with pytest.raises(CalendarError):
        build_calendar(rows, override_years=[2027])
