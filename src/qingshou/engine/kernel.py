"""The engine's kernel: the snapshot of a book at the end of a day, computed as columns.

``compute`` is the one entry point every runner calls (local Polars, Spark partitions): a pure function of
the book, the day, the calendar and the previous day's snapshot. It chains the steps:

1. ``engine.replay`` — the ledger of every loan (allocation and accrual, C4/C5), as the domain's
   ``ledger.replay`` computes it, to the fen; loans whose data break an invariant become error rows;
   loans with a waiver go through the domain's ledger instead (``engine.adjusted``, issue 5 plans);
2. ``engine.derive`` — delinquency (C2/C3), overdue amounts and payoff, classification with the history
   carried from the previous snapshot (C6), limitation (C7), borrower aggregates and the changes since the
   previous snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from qingshou.engine import adjusted, derive, schema
from qingshou.engine.book import Book
from qingshou.engine.calendar import CalendarFrame


@dataclass(frozen=True, slots=True)
class KernelResult:
    """``snapshot``: one SNAPSHOT row per computable loan; ``errors``: ERRORS rows for the others."""

    snapshot: pl.DataFrame
    errors: pl.DataFrame


def compute(
    book: Book, as_of: date, calendar: CalendarFrame, previous: pl.DataFrame | None = None
) -> KernelResult:
    """The snapshot of ``book`` at the end of ``as_of`` (``previous``: the snapshot of the day before)."""
    ledger = adjusted.replay_book(book, as_of, calendar)
    snapshot = derive.derive_snapshot(book, ledger, as_of, calendar, previous)
    return KernelResult(
        schema.conform(snapshot, schema.SNAPSHOT), schema.conform(ledger.errors, schema.ERRORS)
    )
