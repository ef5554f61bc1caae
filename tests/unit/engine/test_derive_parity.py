"""Parity of ``derive_snapshot`` with the domain's quote over random books (C2–C7), fed the domain's own
ledgers: every loan, every quote field, to the fen; and the classification state carried day by day equals
both the domain and the state derived from the timeline alone."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
from derive_support import STATE_FIELDS, as_of_days, assert_parity, books, derived, differences
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qingshou.engine import schema
from qingshou.engine.book import Book

PARITY = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
STALE = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CARRY = settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PARITY
@given(book=books(), days=st.lists(as_of_days(), min_size=2, max_size=3, unique=True))
def test_c2_c7_derived_quote_fields_equal_the_domain_for_every_loan(book: Book, days: list[date]) -> None:
    """C2–C7: dpd, bucket, class, stage, every amount, payoff and limitation equal ``quote_loan`` for each
    loan of a random book (late, partial, catch-up and missing payments; NPL, cures and relapses), on as_of
    dates spread over the loans' lives."""
    for as_of in days:
        snapshot = derived(book, as_of)
        assert snapshot.schema == pl.Schema(schema.SNAPSHOT)
        assert_parity(snapshot, book, as_of)
        assert (snapshot["npl_state_on"] == as_of).all()


@STALE
@given(book=books(), as_of=as_of_days(150, 1300), gap=st.integers(2, 40))
def test_c6_a_stale_previous_snapshot_is_not_carried(book: Book, as_of: date, gap: int) -> None:
    """C6: a previous snapshot of an older day (a gap in the runs) is not stepped once: the state is derived
    from the timeline and still equals the domain."""
    older = derived(book, as_of - timedelta(days=gap))
    assert_parity(derived(book, as_of, previous=older), book, as_of)


def _walk(book: Book, first: date, days: int) -> None:
    """Derive day by day from ``first`` with the day before's snapshot as ``previous``: each day equals the
    domain, and equals the snapshot derived without a previous one (quote fields and carried state)."""
    previous = None
    for offset in range(days):
        as_of = first + timedelta(days=offset)
        carried = derived(book, as_of, previous)
        problems = differences(carried, book, as_of)
        fresh = derived(book, as_of)
        columns = [*schema.QUOTE_FIELDS, *STATE_FIELDS]
        assert carried.select(columns).equals(fresh.select(columns)), (as_of, _state_diff(carried, fresh))
        assert not problems, "\n".join(problems[:20])
        previous = carried


def _state_diff(carried: pl.DataFrame, fresh: pl.DataFrame) -> list[tuple[object, ...]]:
    joined = carried.select("loan_id", *STATE_FIELDS).join(
        fresh.select("loan_id", *STATE_FIELDS), on="loan_id", suffix="_fresh"
    )
    differs = pl.any_horizontal(
        pl.col(name).ne_missing(pl.col(f"{name}_fresh")) for name in STATE_FIELDS if name != "npl_state_on"
    )
    return joined.filter(differs).rows()


@CARRY
@given(book=books(min_loans=8, max_loans=12), first=as_of_days(90, 900))
def test_c6_state_carried_day_by_day_equals_the_domain_and_the_derived_state(book: Book, first: date) -> None:
    """C6 carry: for a random book, each day's snapshot computed from the day before's (one NPL-hold step)
    equals the domain and the snapshot derived from the timeline alone, over 45 consecutive days."""
    _walk(book, first, 45)
