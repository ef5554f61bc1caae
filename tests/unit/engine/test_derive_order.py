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
from qingshou.engine.derive_timeline import KEY, keyed_lines, keyed_loans, state_on

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


def in_chunks(lines: pl.DataFrame, *, aligned: bool) -> pl.DataFrame:
    """The same rows cut into three chunks per column, at the same rows (``aligned``, as the replay hands
    them on: head lines, then the untouched ones) or with ``loan_id`` cut at other rows than the rest."""
    third = max(lines.height // 3, 1)
    pieces = pl.concat(
        [lines.slice(0, third), lines.slice(third, third), lines.slice(2 * third)], rechunk=False
    )
    if aligned:
        return pieces
    ids = pl.concat([lines["loan_id"].slice(0, 1), lines["loan_id"].slice(1)], rechunk=False)
    return pl.DataFrame([ids, *(pieces[name] for name in lines.columns if name != "loan_id")])


@ORDER
@given(cure_books())
def test_c2_c6_snapshot_ignores_how_the_lines_are_chunked(case: tuple[Book, date]) -> None:
    """Columns added to the lines keep the lines' chunks (no copy of the whole frame into one chunk to align
    them); whatever the chunks, the snapshot is the same."""
    book, first = case
    as_of = first + timedelta(days=200)
    ledger = ledgers_of(book, as_of)
    expected = derive_snapshot(book, ledger, as_of, CAL_FRAME, None)
    loans = keyed_loans(ledger.loans, book.loans)
    for aligned in (True, False):
        lines = in_chunks(ledger.lines, aligned=aligned)
        got = derive_snapshot(book, reordered(ledger, lines), as_of, CAL_FRAME, None)
        assert got.equals(expected), aligned
        keyed = keyed_lines(lines, loans)
        assert keyed.drop(KEY).equals(lines.drop("loan_id"))
        assert keyed[KEY].equals(keyed_lines(lines.rechunk(), loans)[KEY])
        if aligned and lines.height > 2:
            assert keyed[KEY].chunk_lengths() == lines["seq"].chunk_lengths()


def test_c3_state_on_holds_when_every_line_shares_its_origin_and_last_on_time_day() -> None:
    """C3 delinquency of two loans whose oldest unpaid lines have the same origin and last on-time day, held
    as constant columns (as a frame built with ``pl.lit`` is): both loans are delinquent with their dpd —
    polars 2.1 returns a one-row result for ``lit > constant column``, which made this select fail."""
    day, origin = date(2023, 11, 11), date(2021, 7, 1)
    lines = pl.DataFrame(
        {KEY: pl.Series([2, 6], dtype=pl.UInt32), "seq": pl.Series([1, 1], dtype=pl.Int32)}
    ).with_columns(
        pl.lit(origin).alias("due_date"),
        pl.lit(None, pl.Date).alias("settled_on"),
        pl.lit(origin).alias("origin"),
        pl.lit(origin).alias("on_time_until"),
    )
    loans = pl.DataFrame({KEY: pl.Series([2, 6], dtype=pl.UInt32)})
    state = state_on(lines, loans, day)
    assert state.rows() == [(2, (day - origin).days, True, False), (6, (day - origin).days, True, False)]
