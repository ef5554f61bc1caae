"""Parity of the vectorised replay with ``domain.ledger.replay`` on random books (C1, C2, C4, C5).

Each example is a book of many loans (different disbursement days, product policies — holiday rules,
grace, both day counts, every waterfall and direction, prepayment, compound, cap —, schedules, on-time /
early / late / partial / over- / backdated payments, several on one day, charges, acceleration), replayed
at an as_of before, on or after its due dates and payments. The replay must equal the domain row for row —
with the closed-form jumps, with every event through the rounds, and with jumps looking at one line at a
time — and refuse the same loans with the same codes.
"""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from replay_support import START, assert_same_ledgers, book_of, books, expected, replayed

from qingshou.engine.reference import LoanInputs

PARITY = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)

as_of_days = st.integers(min_value=0, max_value=260).map(lambda offset: START + timedelta(days=offset))


@PARITY
@given(items=books(size=25), as_of=as_of_days)
def test_c4_c5_replay_equals_the_domain_ledger_for_every_loan(items: list[LoanInputs], as_of: date) -> None:
    book = book_of(items)
    assert_same_ledgers(replayed(book, as_of), expected(book, as_of))


@PARITY
@given(items=books(size=25), as_of=as_of_days)
def test_c4_c5_every_event_through_the_rounds_equals_the_domain(items: list[LoanInputs], as_of: date) -> None:
    book = book_of(items)
    assert_same_ledgers(replayed(book, as_of, closed_form=False), expected(book, as_of))


@PARITY
@given(
    items=books(size=12, longest=10),
    as_of=st.integers(min_value=20, max_value=400).map(lambda offset: START + timedelta(days=offset)),
    window=st.sampled_from([1, 2, 4]),
)
def test_c4_c5_long_schedules_with_jumps_through_narrow_windows(
    items: list[LoanInputs], as_of: date, window: int
) -> None:
    """Schedules of up to 10 lines: a jump back into closed form that looks at ``window`` lines at a time
    stops at the window's edge and goes on from there."""
    book = book_of(items)
    assert_same_ledgers(replayed(book, as_of, window=window), expected(book, as_of))


@PARITY
@given(items=books(size=20, broken=True), as_of=as_of_days)
def test_loans_the_domain_refuses_are_error_rows_and_the_others_still_replay(
    items: list[LoanInputs], as_of: date
) -> None:
    book = book_of(items)
    assert_same_ledgers(replayed(book, as_of), expected(book, as_of))


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(items=books(size=10))
def test_c1_the_replay_agrees_on_the_days_around_due_dates_and_payments(items: list[LoanInputs]) -> None:
    """as_of on, the day before and the day after due dates and payments of the book."""
    book = book_of(items)
    days: set[date] = set()
    for item in items:
        for day in [row.due_date for row in item.schedule] + [p.paid_on for p in item.payments]:
            days.update({day - timedelta(days=1), day, day + timedelta(days=1)})
    for as_of in sorted(days)[:: max(len(days) // 8, 1)]:
        assert_same_ledgers(replayed(book, as_of), expected(book, as_of))
