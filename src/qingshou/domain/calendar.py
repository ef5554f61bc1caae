"""Business calendar: China's official holidays and adjusted workdays, plus operator overrides (C2, C7).

The calendar is data handed in: ``qingshou.calendars`` builds it from the ``chinesecalendar`` package
(2004–2026) and the operator-maintained override table for later years. A date in a year that neither
covers is an error (``CalendarError``), never a silent weekday guess.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from qingshou.domain.errors import CalendarError

_SATURDAY = 5


@dataclass(frozen=True, slots=True)
class BusinessCalendar:
    """Holidays and adjusted workdays for the years in ``covered_years``.

    A day is a business day when it is an adjusted workday (调休), or a weekday that is not a holiday.
    """

    covered_years: frozenset[int] = field(default_factory=frozenset)
    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)

    @classmethod
    def of(
        cls, years: Iterable[int], holidays: Iterable[date] = (), workdays: Iterable[date] = ()
    ) -> BusinessCalendar:
        """Build a calendar from plain iterables."""
        return cls(frozenset(years), frozenset(holidays), frozenset(workdays))

    def merged(self, other: BusinessCalendar) -> BusinessCalendar:
        """This calendar with ``other`` laid over it: for the years ``other`` covers, ``other`` wins."""
        keep_holidays = {d for d in self.holidays if d.year not in other.covered_years}
        keep_workdays = {d for d in self.workdays if d.year not in other.covered_years}
        return BusinessCalendar(
            self.covered_years | other.covered_years,
            frozenset(keep_holidays | other.holidays),
            frozenset(keep_workdays | other.workdays),
        )

    def covers(self, day: date) -> bool:
        """Whether the calendar can answer for ``day``."""
        return day.year in self.covered_years

    def is_business_day(self, day: date) -> bool:
        """Whether ``day`` is a business day; ``CalendarError`` for a year the calendar does not cover."""
        if day.year not in self.covered_years:
            raise CalendarError(
                f"no holiday calendar for {day.year}: add the year's holidays and adjusted workdays to the"
                " calendar override table"
            )
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < _SATURDAY

    def next_business_day(self, day: date) -> date:
        """``day`` itself when it is a business day, else the first business day after it."""
        current = day
        while not self.is_business_day(current):
            current += timedelta(days=1)
        return current
