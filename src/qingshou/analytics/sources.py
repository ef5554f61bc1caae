"""Where a month's metrics read from: the lake's month-end snapshots and the store (issue 7).

``Sources`` is built once per month (report) or per dashboard request and handed to every metric module;
nothing else opens the lake or the store. Snapshots are read with the columns a metric asks for (Parquet
projection), so 13 month-ends of a 1M-loan book stay cheap.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl

from qingshou.lake.snapshots import partition_path, snapshot_dates
from qingshou.store import Store


class NoSnapshot(LookupError):
    """The lake holds no snapshot in the month asked for."""

    def __init__(self, month: date) -> None:
        super().__init__(f"the lake has no snapshot in {month:%Y-%m}: run `qingshou eod` for its days first")
        self.month = month


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def month_ends(days: Sequence[date]) -> list[date]:
    """The last snapshot day of every month among ``days`` (sorted)."""
    last: dict[tuple[int, int], date] = {}
    for day in sorted(days):
        last[(day.year, day.month)] = day
    return sorted(last.values())


@dataclass(frozen=True, slots=True)
class Sources:
    """The month and the readers. ``as_of``: the last snapshot day in the month; ``history``: the month-end
    snapshot days up to and including ``as_of`` (oldest first, at most ``months`` of them);
    ``previous_as_of``: the one before ``as_of``, if any. ``filters``: ``product``, ``branch``, ``team`` —
    a metric applies the ones that concern it (loans by product / branch, cases and contacts by team)."""

    month: date
    as_of: date
    history: tuple[date, ...]
    lake: Path
    store: Store
    filters: Mapping[str, str] = field(default_factory=dict)
    #: The institution's loan-loss reserves at month-end, when supplied (provision coverage 拨备覆盖率 and
    #: loan provision ratio 贷款拨备率 need them; without them the report says so and shows neither).
    reserves_fen: int | None = None

    @property
    def previous_as_of(self) -> date | None:
        return self.history[-2] if len(self.history) > 1 else None

    def snapshot(self, day: date, columns: Sequence[str] | None = None) -> pl.DataFrame:
        """The snapshot of ``day`` (only ``columns`` when given), restricted by the product filter."""
        parts = sorted(partition_path(self.lake, day).glob("*.parquet"))
        if not parts:
            raise NoSnapshot(day)
        wanted = list(columns) if columns is not None else None
        if wanted is not None and "product" in self.filters and "product_id" not in wanted:
            frame = pl.read_parquet(parts, columns=[*wanted, "product_id"])
            return frame.filter(pl.col("product_id") == self.filters["product"]).select(wanted)
        frame = pl.read_parquet(parts, columns=wanted)
        if "product" in self.filters:
            frame = frame.filter(pl.col("product_id") == self.filters["product"])
        return frame

    def sql(self, query: str) -> pl.DataFrame:
        """A read of the store (ADBC, as Arrow → Polars)."""
        return self.store.read(query)


def sources_for(
    month: date,
    lake: Path | str,
    store: Store,
    *,
    months: int = 13,
    filters: Mapping[str, str] | None = None,
    reserves_fen: int | None = None,
) -> Sources:
    """The ``Sources`` of ``month`` (any day in it): ``NoSnapshot`` when the lake has no day in the month."""
    days = [day for day in snapshot_dates(lake) if day <= month_end(month)]
    in_month = [day for day in days if month_start(day) == month_start(month)]
    if not in_month:
        raise NoSnapshot(month_start(month))
    ends = month_ends(days)
    return Sources(
        month=month_start(month),
        as_of=in_month[-1],
        history=tuple(ends[-months:]),
        lake=Path(lake),
        store=store,
        filters=dict(filters or {}),
        reserves_fen=reserves_fen,
    )
