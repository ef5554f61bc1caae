"""Risk-based pricing at origination (issue 8, ``qingshou.domain.pricing``): grades by PD band, the rate that
covers expected loss + funding + operating cost + margin, rounded up to a basis point, within the legal cap of
C4 (licensed threshold 24 %; private lender 4 × the one-year LPR at the contract date), Decimal only (C9)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qingshou.domain.pricing import (
    BASIS_POINT,
    DEFAULT_GRADES,
    Decision,
    GradeBand,
    Lender,
    PricingError,
    PricingPolicy,
    annual_pd,
    grade_of,
    grades_from,
    legal_cap,
    price_for,
    price_grade,
    price_table,
)

D = Decimal
POLICY = PricingPolicy()


@pytest.mark.parametrize(
    ("probability", "grade"),
    [("0", "A"), ("0.02", "A"), ("0.0201", "B"), ("0.05", "B"), ("0.07", "C"), ("0.2", "D"), ("0.9", "E")],
)
def test_grade_is_the_first_band_the_pd_does_not_exceed(probability: str, grade: str) -> None:
    """A PD on a band's bound belongs to that band (bands are inclusive upper bounds)."""
    assert grade_of(D(probability), POLICY).label == grade


def test_grade_c_hand_worked() -> None:
    """C4 / C9: grade C (max PD 10 %, 12-month horizon): EL = 0.10 × 0.45 = 0.045; + 0.03 + 0.02 + 0.02 =
    0.115 → 11.50 %, under the 24 % licensed cap, approved with the margin intact."""
    price = price_grade(DEFAULT_GRADES[2], POLICY, term_months=24)
    assert price.expected_loss == D("0.045")
    assert price.annual_rate == D("0.1150")
    assert price.decision is Decision.APPROVE
    assert not price.capped
    assert price.expected_margin == D("0.0200")
    assert price.cap == D("0.24")


def test_rounding_is_up_to_a_basis_point() -> None:
    """C9: a required rate of 0.0001 × 0.45 + 0.07 = 0.070045 is quoted 0.0701 (up, not half-up to 0.0700), so
    the margin is never rounded away."""
    band = GradeBand("A", D("0.0001"))
    price = price_grade(band, PricingPolicy(grades=(band, GradeBand("Z", D(1)))), term_months=12)
    assert price.expected_loss == D("0.000045")
    assert price.required_rate == D("0.0701")
    assert price.annual_rate == D("0.0701")


def test_worst_grade_is_declined_at_the_licensed_cap() -> None:
    """C4: grade E (PD up to 100 %) needs more than 24 %: declined, quoted at the cap, never above, and the
    reason names the cap."""
    price = price_grade(DEFAULT_GRADES[-1], POLICY, term_months=12)
    assert price.capped
    assert price.decision is Decision.DECLINE
    assert price.annual_rate == D("0.2400")
    assert "0.24" in price.reason
    assert "C4" in price.reason


def test_private_lender_cap_is_four_times_lpr() -> None:
    """C4: a private lender's hard cap is 4 × the one-year LPR at the contract date: LPR 3 % → 12 %; grade D
    (0.2 × 0.45 + 0.07 = 16 %) is declined there while a licensed lender approves it."""
    private = PricingPolicy(lender=Lender.PRIVATE)
    assert legal_cap(private, D("0.03")) == D("0.12")
    price = price_grade(DEFAULT_GRADES[3], private, term_months=12, lpr=D("0.03"))
    assert price.decision is Decision.DECLINE
    assert price.annual_rate == D("0.12")
    assert price_grade(DEFAULT_GRADES[3], POLICY, term_months=12).decision is Decision.APPROVE


def test_private_lender_needs_the_lpr() -> None:
    """C4: without the LPR the private cap cannot be known — an error naming the field."""
    with pytest.raises(PricingError) as error:
        legal_cap(PricingPolicy(lender=Lender.PRIVATE))
    assert error.value.field == "lpr"


def test_annual_pd_of_a_term_horizon() -> None:
    """A 24-month PD of 19 % is an annual PD of 1 − 0.81^(1/2) = 10 % under a constant hazard."""
    assert annual_pd(D("0.19"), 24).quantize(D("0.000001")) == D("0.100000")
    assert annual_pd(D("0.1"), 12) == D("0.1")
    assert annual_pd(D(1), 6) == D(1)


def test_horizon_none_uses_the_term() -> None:
    """With ``pd_horizon_months=None`` the PD is over the loan's term: a longer term spreads it thinner."""
    policy = PricingPolicy(pd_horizon_months=None)
    short = price_grade(DEFAULT_GRADES[2], policy, term_months=6)
    long = price_grade(DEFAULT_GRADES[2], policy, term_months=36)
    assert long.annual_rate < short.annual_rate


@pytest.mark.parametrize(
    ("grades", "message"),
    [
        ((("A", "0.05"), ("B", "0.02"), ("C", "1")), "rise"),
        ((("A", "0.05"), ("B", "0.5")), "PD 1"),
        ((("A", "0.05"), ("A", "1")), "unique"),
        ((("A", "-0.1"), ("B", "1")), "between"),
    ],
)
def test_bad_bands_are_refused(grades: tuple[tuple[str, str], ...], message: str) -> None:
    """Bands must rise, reach PD 1, have unique labels and lie in 0–1."""
    with pytest.raises(PricingError) as error:
        PricingPolicy(grades=grades_from(grades))
    assert message in error.value.message


def test_float_is_refused() -> None:
    """C9: rates and PDs are Decimal, never float."""
    with pytest.raises(PricingError):
        grade_of(0.05, POLICY)  # type: ignore[arg-type]
    with pytest.raises(PricingError):
        grades_from((("A", 0.05),))  # type: ignore[arg-type]


def test_table_lists_every_grade_best_first() -> None:
    """C4: the table has every grade, rates never falling from A to E, none above the cap."""
    table = price_table(POLICY, term_months=12)
    assert [price.grade for price in table] == ["A", "B", "C", "D", "E"]
    rates = [price.annual_rate for price in table]
    assert rates == sorted(rates)
    assert max(rates) <= D("0.24")


probabilities = st.decimals(min_value=0, max_value=1, places=6, allow_nan=False, allow_infinity=False)
rates = st.decimals(min_value=0, max_value=D("0.2"), places=4, allow_nan=False, allow_infinity=False)
policies = st.builds(
    PricingPolicy,
    lgd=st.decimals(min_value=0, max_value=1, places=2, allow_nan=False, allow_infinity=False),
    funding_rate=rates,
    operating_rate=rates,
    margin_rate=rates,
    lender=st.sampled_from(list(Lender)),
    pd_horizon_months=st.one_of(st.none(), st.integers(1, 60)),
)
terms = st.integers(1, 60)
lprs = st.decimals(min_value=D("0.01"), max_value=D("0.06"), places=4, allow_nan=False, allow_infinity=False)


@given(probabilities, policies, terms, lprs)
def test_price_never_exceeds_the_cap(
    probability: Decimal, policy: PricingPolicy, term: int, lpr: Decimal
) -> None:
    """C4: whatever the PD, costs and lender, the quoted rate is at most the legal cap."""
    price = price_for(probability, policy, term_months=term, lpr=lpr)
    assert price.annual_rate <= legal_cap(policy, lpr)
    assert price.capped == (price.decision is Decision.DECLINE)


@given(probabilities, probabilities, policies, terms, lprs)
def test_price_is_monotone_in_pd(
    first: Decimal, second: Decimal, policy: PricingPolicy, term: int, lpr: Decimal
) -> None:
    """C4: a worse PD (so a worse or equal grade) is never cheaper, and is never approved where the better one
    is declined."""
    low, high = sorted((first, second))
    better = price_for(low, policy, term_months=term, lpr=lpr)
    worse = price_for(high, policy, term_months=term, lpr=lpr)
    assert worse.annual_rate >= better.annual_rate
    assert not (better.decision is Decision.DECLINE and worse.decision is Decision.APPROVE)


@given(probabilities, policies, terms, lprs)
def test_approved_price_covers_the_costs(
    probability: Decimal, policy: PricingPolicy, term: int, lpr: Decimal
) -> None:
    """C4 / C9: under the cap, the quoted rate leaves at least the target margin after expected loss (at the
    grade's worst PD, so for every applicant in the grade), funding and operating cost; it is a whole number
    of basis points."""
    price = price_for(probability, policy, term_months=term, lpr=lpr)
    if price.decision is Decision.APPROVE:
        assert price.expected_margin >= policy.margin_rate
        horizon = policy.pd_horizon_months or term
        assert price.annual_rate - price.funding - price.operating - price.margin >= (
            annual_pd(probability, horizon) * policy.lgd
        )
        assert price.annual_rate == price.annual_rate.quantize(BASIS_POINT)
