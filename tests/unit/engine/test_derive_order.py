"""The derivation does not depend on the order of the replay's lines: ``keyed_lines`` no longer sorts them
(only the rows whose order matters are sorted), so a book whose lines come shuffled, or with each loan's
lines split into two runs as the replay writes them (head lines first, then the untouched ones), must give
the very same snapshot — dpd and delinquency (C2/C3), amounts and payoff (C4/C5), the NPL hold (C6) and
limitation (C7)."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
from derive_support import CAL_FRAME, cure_books, ledgers_of
from hypothesis import HealthCheck, given, settings

from qingshou.engine import schema
from qingshou.engine.book import Book
from qingshou.engine.derive import derive_snapshot

ORDER = settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def reordered(ledger: schema.LedgerFrames, lines: pl.DataFrame) -> schema.LedgerFrames:
    return schema.LedgerFrames(lines, ledger.charges, ledger.loans, ledger.errors)


def split_runs(lines: pl.DataFrame) -> pl.DataFrame:
    """Every loan's first half of lines (by seq) for all loans, then every loan's second half."""
    ordered = lines.sort("loan_id", "seq")
    rank = pl.col("seq").rank("ordinal").over("loan_id")
    head = rank <= pl.len().over("loan_id") // 2
    return pl.concat([ordered.filter(head), ordered.filter(~head)])


@ORDER
@given(cure_books())
def test_c2_c6_snapshot_ignores_line_order(case: tuple[Book, date]) -> None:
    book, first = case
    for as_of in (first + timedelta(days=40), first + timedelta(days=200)):
        ledger = ledgers_of(book, as_of)
        day_before = as_of - timedelta(days=1)
        previous = derive_snapshot(book, ledgers_of(book, day_before), day_before, CAL_FRAME, None)
        for before in (None, previous):
            expected = derive_snapshot(book, ledger, as_of, CAL_FRAME, before)
            for lines in (
                ledger.lines.sample(fraction=1.0, shuffle=True, seed=7),
                split_runs(ledger.lines),
                ledger.lines.reverse(),
            ):
                got = derive_snapshot(book, reordered(ledger, lines), as_of, CAL_FRAME, before)
                assert got.equals(expected), as_of
