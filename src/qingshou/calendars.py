"""Calendars: the adapter that builds the domain's ``BusinessCalendar`` from China's official data.

Holidays and adjusted workdays (调休) come from the ``chinesecalendar`` package (its ``constants.holidays``
and ``constants.workdays`` tables); the years it covers are read from that data, never hard-coded. Years
the package does not know yet are supplied by operators as ``CalendarOverride`` rows; a year counts as
covered only when the operator declares it in ``override_years``, and for such a year the operator's rows
replace the package's data entirely (``BusinessCalendar.merged``). A date in a year nobody covers stays an
error (``CalendarError``), never a weekday guess.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from chinese_calendar import constants

from qingshou.domain.calendar import BusinessCalendar
from qingshou.domain.errors import CalendarError


@dataclass(frozen=True, slots=True)
class CalendarOverride:
    """One operator-declared day: a holiday (``is_workday`` False) or an adjusted workday (True)."""

    day: date
    is_workday: bool
    name: str


@lru_cache(maxsize=1)
def china_calendar() -> BusinessCalendar:
    """China's official calendar as published in ``chinesecalendar`` (covered years derived from the data)."""
    holidays = frozenset(constants.holidays)
    workdays = frozenset(constants.workdays)
    years = {day.year for day in holidays} | {day.year for day in workdays}
    return BusinessCalendar.of(years, holidays, workdays)


def override_calendar(
    overrides: Iterable[CalendarOverride], override_years: Iterable[int]
) -> BusinessCalendar:
    """The operators' calendar alone, for the declared years only.

    Rows for a year not (yet) declared are left out: that year stays uncovered, so asking about it raises
    ``CalendarError`` — operators can enter a year's rows before declaring it complete.
    """
    years = frozenset(override_years)
    rows = tuple(row for row in overrides if row.day.year in years)
    holidays = {row.day for row in rows if not row.is_workday}
    workdays = {row.day for row in rows if row.is_workday}
    clash = holidays & workdays
    if clash:
        raise CalendarError(
            f"calendar override declares {min(clash)} both a holiday and a workday", field="day"
        )
    return BusinessCalendar.of(years, holidays, workdays)


def build_calendar(overrides: Iterable[CalendarOverride], override_years: Iterable[int]) -> BusinessCalendar:
    """China's calendar with the operators' overrides laid over it for ``override_years``."""
    return china_calendar().merged(override_calendar(overrides, override_years))
