"""The kernel in worker processes (``engine.parallel``, issue 3: the book in seconds on this machine's two
cores) gives exactly what one ``kernel.compute`` of the whole book gives: the same snapshot rows in the same
order (borrower aggregates need a borrower's loans in one part), the same error rows in the same order (a
refused loan at its book position, one row per listing), with and without the previous snapshot (C6)."""

from __future__ import annotations

import os
from datetime import date, timedelta

import polars as pl
import pytest
import replay_support
from derive_support import CAL_FRAME, as_of_days, books
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qingshou.engine import kernel, parallel
from qingshou.engine.book import Book
from qingshou.engine.reference import LoanInputs

#: Each example starts worker processes (about a second): a few examples only.
WORKERS = settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SPLITS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _assert_same(got: kernel.KernelResult, want: kernel.KernelResult) -> None:
    assert got.snapshot.schema == want.snapshot.schema
    assert got.snapshot.equals(want.snapshot), "the snapshots differ"
    assert got.errors.equals(want.errors), (got.errors, want.errors)


@WORKERS
@given(book=books(min_loans=10, max_loans=16), as_of=as_of_days(200, 1500), workers=st.sampled_from([2, 3]))
def test_issue3_workers_give_the_snapshot_of_one_kernel_compute(
    book: Book, as_of: date, workers: int
) -> None:
    """Random books (several loans per borrower, late / partial / missing payments, NPL and cures) on two
    consecutive days, the second with the first's snapshot as ``previous`` (C6 carry, changes)."""
    day_before = as_of - timedelta(days=1)
    previous = kernel.compute(book, day_before, CAL_FRAME, None)
    _assert_same(parallel.compute(book, day_before, CAL_FRAME, None, workers=workers), previous)
    want = kernel.compute(book, as_of, CAL_FRAME, previous.snapshot)
    run = parallel.run(book, as_of, CAL_FRAME, previous.snapshot, workers=workers)
    _assert_same(run.result, want)
    assert 1 <= len(run.worker_peak_rss_mb) <= workers  # one per part holding a loan
    assert all(peak > 0 for peak in run.worker_peak_rss_mb)


def _listed_twice(book: Book) -> Book:
    """``book`` with its first loan listed a second time at the end, under another borrower (refused: one
    error row per listing, whichever part the other borrower falls in)."""
    again = book.loans.head(1).with_columns(pl.lit("someone-else").alias("borrower_id"))
    return Book(
        book.products,
        pl.concat([book.loans, again]),
        book.installments,
        book.payments,
        book.charges,
        book.interruptions,
    )


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(items=replay_support.books(size=20, broken=True), offset=st.integers(30, 260))
def test_issue3_workers_refuse_the_same_loans_in_the_same_order(items: list[LoanInputs], offset: int) -> None:
    """Loans breaking an invariant and a loan listed twice: the same error rows, in the book's order."""
    book = _listed_twice(replay_support.book_of(items))
    as_of = replay_support.START + timedelta(days=offset)
    calendar = replay_support.CALENDAR_FRAME
    want = kernel.compute(book, as_of, calendar, None)
    assert want.errors.height >= 2
    _assert_same(parallel.compute(book, as_of, calendar, None, workers=2), want)


@SPLITS
@given(book=books(min_loans=6, max_loans=20), parts=st.integers(1, 4))
def test_issue3_the_split_keeps_each_borrower_whole_and_each_fact_with_its_loan(
    book: Book, parts: int
) -> None:
    split = parallel.split(book, None, parts)
    assert len(split) == parts
    loans = pl.concat([part.loans for part, _ in split])
    assert sorted(loans["loan_id"].to_list()) == sorted(book.loans["loan_id"].to_list())
    owners = [set(part.loans["borrower_id"].to_list()) for part, _ in split]
    for first in range(parts):
        for second in range(first + 1, parts):
            assert not owners[first] & owners[second], "a borrower in two parts"
    for part, _ in split:
        ids = set(part.loans["loan_id"].to_list())
        for name in ("installments", "payments", "charges", "interruptions"):
            frame: pl.DataFrame = getattr(part, name)
            assert set(frame["loan_id"].to_list()) <= ids, name
            # the part keeps the book's row order
            assert frame.equals(getattr(book, name).filter(pl.col("loan_id").is_in(sorted(ids))))
    for name in ("installments", "payments"):
        assert sum(getattr(part, name).height for part, _ in split) == getattr(book, name).height


@settings(max_examples=5, deadline=None)
@given(items=replay_support.books(size=4))
def test_issue3_facts_of_loans_the_book_does_not_hold_are_dropped_by_the_split(
    items: list[LoanInputs],
) -> None:
    book = replay_support.book_of(items)
    stray = book.installments.head(2).with_columns(pl.lit("nobody").alias("loan_id"))
    widened = Book(
        book.products,
        book.loans,
        pl.concat([book.installments, stray]),
        book.payments,
        book.charges,
        book.interruptions,
    )
    split = parallel.split(widened, None, 2)
    assert sum(part.installments.height for part, _ in split) == book.installments.height


CPUS = os.cpu_count() or 1
BIG, SMALL = parallel.AUTO_MIN_LOANS, parallel.AUTO_MIN_LOANS - 1


@pytest.mark.parametrize(
    ("value", "loans", "load", "workers"),
    [
        (None, SMALL, 0.0, 1),
        ("auto", 10, 0.0, 1),
        ("", BIG, 0.0, min(parallel.AUTO_WORKERS, CPUS) if CPUS >= parallel.AUTO_IDLE_CPUS else 1),
        ("auto", BIG, CPUS - parallel.AUTO_IDLE_CPUS + 0.5, 1),  # the CPUs are busy: one process
        ("3", 10, 50.0, 3),  # a number is used as given
        (" 1 ", 5_000_000, 0.0, 1),
    ],
)
def test_issue3_the_workers_setting(value: str | None, loans: int, load: float, workers: int) -> None:
    environ = {} if value is None else {parallel.WORKERS_SETTING: value}
    assert parallel.configured_workers(loans, environ, load) == workers


@pytest.mark.parametrize("value", ["0", "-2", "two", "1.5"])
def test_issue3_a_bad_workers_setting_is_refused_naming_it(value: str) -> None:
    with pytest.raises(ValueError, match=parallel.WORKERS_SETTING):
        parallel.configured_workers(10, {parallel.WORKERS_SETTING: value})
