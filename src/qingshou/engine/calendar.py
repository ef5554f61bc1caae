"""The business calendar as a frame, so kernels can join instead of asking day by day (C2, C7).

``CalendarFrame.of(calendar)`` lists every day of the years the domain calendar covers with its next business
day (the day itself on a business day). A day whose next business day falls in a year nobody covers gets a
null — exactly where the domain raises ``CalendarError`` — so a kernel can turn it into an error row
(due dates) or an unconfirmed deadline (limitation), as the domain does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl

from qingshou.domain.calendar import BusinessCalendar


@dataclass(frozen=True, slots=True)
class CalendarFrame:
    """``days``: one row per covered day — ``day`` (Date) and ``next_business_day`` (Date, null when the
    calendar cannot say); ``calendar``: the domain calendar it was built from."""

    days: pl.DataFrame
    calendar: BusinessCalendar

    @classmethod
    def of(cls, calendar: BusinessCalendar) -> CalendarFrame:
        """Tabulate ``calendar`` (a few thousand rows per decade: built once per run)."""
        days: list[date] = []
        following: list[date | None] = []
        next_known: date | None = None
        for year in sorted(calendar.covered_years, reverse=True):
            day = date(year, 12, 31)
            if year + 1 not in calendar.covered_years:
                next_known = None
            while day.year == year:
                if calendar.is_business_day(day):
                    next_known = day
                days.append(day)
                following.append(next_known)
                day -= timedelta(days=1)
        frame = pl.DataFrame(
            {"day": days, "next_business_day": following},
            schema={"day": pl.Date(), "next_business_day": pl.Date()},
        ).sort("day")
        return cls(frame, calendar)

    def next_business_day(self, column: str, alias: str, frame: pl.DataFrame) -> pl.DataFrame:
        """``frame`` with ``alias`` = the next business day of ``column`` (null: not covered / unknown)."""
        lookup = self.days.rename({"day": column, "next_business_day": alias})
        return frame.join(lookup, on=column, how="left")
