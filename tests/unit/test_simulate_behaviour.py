"""The behaviour model of the simulator: late charges, profiles and the bounds every payment respects."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qingshou.simulate.behaviour import (
    LoanFacts,
    Pricing,
    Profile,
    SimPayment,
    choose_profile,
    default_probability,
    late_charge,
    simulate_behaviour,
)
from qingshou.simulate.book import draw_loan, loan_facts
from qingshou.simulate.people import draw_borrower

# amount (fen), days late, annual rate (ppm), markup (ppm), day count → upper estimate (fen)
LATE_CHARGES = [
    (1_000_000, 10, 180_000, 500_000, 360, 7_500),  # 10 000.00 × 18 % × 1.5 / 360 × 10 = 75.00
    (1_000_000, 10, 180_000, 300_000, 365, 6_411),  # × 1.3 / 365 → 64.109… rounded up
    (1, 1, 40_000, 500_000, 360, 1),  # any charge at all is at least one fen
    (1_000_000, 0, 180_000, 500_000, 360, 0),  # not late: nothing
    (0, 30, 180_000, 500_000, 360, 0),  # nothing unpaid: nothing
]


@pytest.mark.parametrize(("amount", "days", "rate", "markup", "day_count", "expected"), LATE_CHARGES)
def test_late_charge_is_the_penalty_rate_per_day_rounded_up(
    amount: int, days: int, rate: int, markup: int, day_count: int, expected: int
) -> None:
    """C4: penalty rate = contract rate × (1 + markup) on the day-count basis, charged per day late."""
    assert late_charge(amount, days, Pricing(rate, markup, day_count, grace_days=0)) == expected


def test_riskier_loans_default_more_often() -> None:
    """Default probability falls with willingness and rises with the payment burden and product risk."""
    base = default_probability(willingness=0.0, burden=0.3, risk_shift=0.0)
    assert default_probability(-1.5, 0.3, 0.0) > base > default_probability(1.5, 0.3, 0.0)
    assert default_probability(0.0, 0.8, 0.0) > base > default_probability(0.0, 0.3, -1.2)


def test_products_without_prepayment_never_draw_an_early_payoff() -> None:
    """C5: an early payoff needs a product that allows prepayment."""
    rng = random.Random(1)
    assert Profile.EARLY_PAYOFF not in {choose_profile(rng, 0.05, prepayment=False) for _ in range(5000)}
    assert Profile.EARLY_PAYOFF in {choose_profile(rng, 0.05, prepayment=True) for _ in range(5000)}


def facts_from_seed(seed: int, as_of: date) -> LoanFacts:
    rng = random.Random(seed)
    borrower = draw_borrower(rng, "B000000001", as_of)
    return loan_facts(draw_loan(rng, "L000000001", borrower, as_of), as_of)


def paid_by(payments: tuple[SimPayment, ...], day: date) -> int:
    return sum(payment.amount for payment in payments if payment.paid_on <= day)


@settings(max_examples=150, deadline=None)
@given(st.integers(min_value=0, max_value=2**32), st.sampled_from(list(Profile)))
def test_every_payment_is_positive_dated_after_disbursement_and_by_as_of(seed: int, profile: Profile) -> None:
    """C1: whatever the profile, payments are in date order, positive, after disbursement and ≤ as_of."""
    as_of = date(2025, 6, 30)
    facts = facts_from_seed(seed, as_of)
    outcome = simulate_behaviour(random.Random(seed), profile, facts)
    days = [payment.paid_on for payment in outcome.payments]
    assert days == sorted(days)
    assert all(facts.disbursed_on < day <= as_of for day in days)
    assert all(payment.amount > 0 for payment in outcome.payments)
    if outcome.accelerated_on is not None:
        assert profile is Profile.DEFAULTED
        assert facts.disbursed_on < outcome.accelerated_on <= as_of
        assert outcome.accelerated_on < facts.dues[-1].due_date


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=0, max_value=2**32))
def test_an_on_time_borrower_has_paid_everything_due_within_three_days(seed: int) -> None:
    """C2: an on-time loan has paid each installment by its due date, or slipped by at most three days."""
    as_of = date(2025, 6, 30)
    facts = facts_from_seed(seed, as_of)
    outcome = simulate_behaviour(random.Random(seed), Profile.ON_TIME, facts)
    owed = 0
    for due in facts.dues:
        owed += due.total
        checked = due.due_date + timedelta(days=3)
        if checked > as_of:
            break
        assert paid_by(outcome.payments, checked) >= owed


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=0, max_value=2**32))
def test_a_defaulted_borrower_never_pays_the_whole_loan(seed: int) -> None:
    """A defaulted loan's payments, sporadic ones included, stay below what the schedule asks in total."""
    as_of = date(2025, 6, 30)
    facts = facts_from_seed(seed, as_of)
    outcome = simulate_behaviour(random.Random(seed), Profile.DEFAULTED, facts)
    assert paid_by(outcome.payments, as_of) < sum(due.total for due in facts.dues)
