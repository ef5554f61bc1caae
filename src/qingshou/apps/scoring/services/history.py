"""Past snapshots for a young lake: the days a model needs, computed from the book as it is now (issue 8).

A collection model learns from delinquent borrowers on past days and what they did in the next 30 days. A
lake that EOD has filled for a week only has no such days. ``fill_history(first, last, every)`` computes the
snapshot of each wanted day the lake lacks with the engine's kernel — the book read once from the store
(``apps.eod.book.read_book``), restricted to the loans disbursed by the day, and the business calendar as EOD
uses it — and publishes it into the lake (stage, then the two renames of ``qingshou.lake.snapshots``). The
store is only read: no run row, no status, no case, no action; the days EOD wrote stay as they are.

The wanted days are ``first``, ``first + every`` … up to ``last``, and with ``with_horizon`` each such day
+ 30 as well (the day the label looks at), when it is not after ``last``. A computed day uses the previous
day's snapshot for the classification history when the lake has it, else the kernel derives it from the
loan's timeline (``engine.schema.CARRIED_STATE``).

Limits: the book is today's — a loan restructured or written off later is computed with today's facts (a
payment posted later with an earlier value date counts on its value date, as a rerun of EOD would).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Final

import polars as pl

from qingshou.apps.eod.book import read_book
from qingshou.apps.eod.engines import kernel_for
from qingshou.apps.loans.selectors import business_calendar
from qingshou.engine import schema
from qingshou.engine.calendar import CalendarFrame
from qingshou.lake import previous_snapshot, snapshot_dates, stage_snapshot
from qingshou.risk.collection import HORIZON
from qingshou.store import Store

#: ``progress(completed, total)`` after each day.
Progress = Callable[[int, int], None]
ENGINE: Final = "polars"


@dataclass(frozen=True, slots=True)
class HistoryResult:
    """What ``fill_history`` did: the days computed, the days the lake already had, rows written."""

    computed: tuple[date, ...] = ()
    present: tuple[date, ...] = ()
    rows: int = 0
    errors: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        return {
            "computed": [day.isoformat() for day in self.computed],
            "already_in_lake": [day.isoformat() for day in self.present],
            "rows": self.rows,
            "error_rows": self.errors,
        }


def wanted_days(first: date, last: date, every: int, *, with_horizon: bool = True) -> list[date]:
    """The days to hold (module docstring), in order; ``ValueError`` for an empty range or ``every`` < 1."""
    if first > last:
        raise ValueError(f"the range starts {first}, after its end {last}")
    if every < 1:
        raise ValueError(f"every must be at least 1 day, got {every}")
    days = {first + timedelta(days=offset) for offset in range(0, (last - first).days + 1, every)}
    if with_horizon:
        days |= {day + timedelta(days=HORIZON) for day in days if day + timedelta(days=HORIZON) <= last}
    return sorted(days)


def _noop(completed: int, total: int) -> None:
    """No progress display."""


def fill_history(
    store: Store,
    lake: Path | str,
    first: date,
    last: date,
    every: int = 7,
    *,
    with_horizon: bool = True,
    progress: Progress | None = None,
) -> HistoryResult:
    """Compute and publish the lake snapshots of the wanted days the lake lacks (module docstring)."""
    root = Path(lake)
    days = wanted_days(first, last, every, with_horizon=with_horizon)
    have = set(snapshot_dates(root))
    missing = [day for day in days if day not in have]
    report = progress or _noop
    report(0, len(missing))
    if not missing:
        return HistoryResult(present=tuple(days))
    book = read_book(store).book
    calendar = CalendarFrame.of(business_calendar())
    kernel = kernel_for(ENGINE)
    rows = 0
    errors: dict[str, int] = {}
    for index, day in enumerate(missing):
        loans = book.loans.filter(pl.col("disbursed_on") <= day).get_column("loan_id")
        previous = previous_snapshot(root, day)
        if previous is not None:
            previous = schema.conform(previous, schema.SNAPSHOT)
        computed = kernel(book.only(loans.to_list()), day, calendar, previous)
        stage_snapshot(root, day, computed.snapshot).publish()
        rows += computed.snapshot.height
        if computed.errors.height:
            errors[day.isoformat()] = computed.errors.height
        report(index + 1, len(missing))
    return HistoryResult(
        computed=tuple(missing),
        present=tuple(day for day in days if day in have),
        rows=rows,
        errors=errors,
    )
