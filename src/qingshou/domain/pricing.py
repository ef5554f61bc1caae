"""Risk-based pricing at origination (issue 8): the grade of a probability of default and the annual rate of a
grade that covers expected loss, funding, operating cost and the target margin, never above the legal cap (C4).

Grades are PD bands, best first: a PD belongs to the first grade whose ``max_pd`` it does not exceed (default
A ≤ 2 %, B ≤ 5 %, C ≤ 10 %, D ≤ 20 %, E ≤ 100 %). The PD is the model's probability of the bad event over its
horizon (``pd_horizon_months``; ``None`` = over the loan's term).

The rate of a grade is priced at the grade's worst PD (its ``max_pd``), so it covers every applicant the grade
holds (pricing per grade, not per applicant: one price list)::

    annual_pd      = 1 − (1 − PD) ^ (12 / H)          H = the PD's horizon in months (the term when None)
    expected_loss  = annual_pd × LGD                  Basel EL = PD × LGD × EAD, per unit of exposure a year
    required       = expected_loss + funding + operating + margin
    annual_rate    = required rounded UP to a basis point (0.0001), so the expected margin is ≥ the target

``annual_pd`` assumes a constant default hazard over the horizon (the usual conversion of a cumulative PD to
a one-year PD); EL = PD × LGD per unit of exposure with a one-year PD and the 45 % foundation LGD are the IRB
approach of BCBS, "International Convergence of Capital Measurement and Capital Standards" (2006, Part 2 III);
the build-up of the rate (cost of funds + operating cost + expected loss + margin) is the classic risk-based
loan-pricing formula.

Cap (C4, rules-cn §3.3): a licensed institution's total annual cost threshold (default 24 %, [UNVERIFIED] in
rules-cn, so configurable); a private lender's hard cap is 4 × the one-year LPR at the contract date (the LPR is
an input). When the required rate exceeds the cap the grade is **declined** (``decision = decline``, the reason
says by how much); the quoted rate is then the cap and never more. Rates are ``Decimal`` fractions (C9:
"0.1250" = 12.5 % a year); floats are refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, localcontext
from enum import StrEnum
from typing import Final

from qingshou.domain.errors import DomainError
from qingshou.domain.money import rate as read_rate

BASIS_POINT: Final = Decimal("0.0001")
ONE: Final = Decimal(1)
ZERO: Final = Decimal(0)
#: The licensed-institution total annual cost threshold (C4; rules-cn §3.3, flagged [UNVERIFIED] there).
LICENSED_CAP: Final = Decimal("0.24")
#: Private lenders: the agreed rate is supported up to 4 × the one-year LPR at contract formation (民间借贷规定
#: 第二十五条, [V-law]).
LPR_MULTIPLE: Final = Decimal(4)


class PricingError(DomainError):
    """A pricing input is invalid (a PD outside 0–1, a band out of order, a private lender without LPR)."""

    code = "invalid_pricing"


class Lender(StrEnum):
    """Which legal cap applies (C4)."""

    LICENSED = "licensed"
    PRIVATE = "private"


class Decision(StrEnum):
    """What a lender does with a grade."""

    APPROVE = "approve"
    DECLINE = "decline"


@dataclass(frozen=True, slots=True)
class GradeBand:
    """One grade: applicants whose PD is at most ``max_pd`` (and above the previous band's)."""

    label: str
    max_pd: Decimal


DEFAULT_GRADES: Final = (
    GradeBand("A", Decimal("0.02")),
    GradeBand("B", Decimal("0.05")),
    GradeBand("C", Decimal("0.10")),
    GradeBand("D", Decimal("0.20")),
    GradeBand("E", Decimal("1")),
)


def _fraction(value: Decimal, name: str, *, high: Decimal = ONE) -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise PricingError(f"{name} must be a finite Decimal, got {value!r}", field=name)
    if value < ZERO or value > high:
        raise PricingError(f"{name} must be between 0 and {high}, got {value}", field=name)
    return value


@dataclass(frozen=True, slots=True)
class PricingPolicy:
    """The pricing settings (module docstring). Rates are annual fractions; ``lgd`` is the loss given default
    (default 45 %, the Basel foundation-IRB value for senior unsecured claims)."""

    grades: tuple[GradeBand, ...] = DEFAULT_GRADES
    lgd: Decimal = Decimal("0.45")
    funding_rate: Decimal = Decimal("0.03")
    operating_rate: Decimal = Decimal("0.02")
    margin_rate: Decimal = Decimal("0.02")
    lender: Lender = Lender.LICENSED
    licensed_cap: Decimal = LICENSED_CAP
    pd_horizon_months: int | None = 12

    def __post_init__(self) -> None:
        if not self.grades:
            raise PricingError("at least one grade is needed", field="grades")
        previous = ZERO
        for band in self.grades:
            _fraction(band.max_pd, f"grades.{band.label}")
            if band.max_pd <= previous:
                raise PricingError(
                    f"grade {band.label}: max_pd {band.max_pd} must rise above the previous band's {previous}",
                    field="grades",
                )
            previous = band.max_pd
        if self.grades[-1].max_pd != ONE:
            raise PricingError("the last grade must reach PD 1 (every PD needs a grade)", field="grades")
        if len({band.label for band in self.grades}) != len(self.grades):
            raise PricingError("grade labels must be unique", field="grades")
        _fraction(self.lgd, "lgd")
        for name in ("funding_rate", "operating_rate", "margin_rate"):
            _fraction(getattr(self, name), name)
        _fraction(self.licensed_cap, "licensed_cap")
        if self.pd_horizon_months is not None and self.pd_horizon_months <= 0:
            raise PricingError("pd_horizon_months must be positive", field="pd_horizon_months")


@dataclass(frozen=True, slots=True)
class Price:
    """The price of one grade: the rate and how it is built (annual fractions)."""

    grade: str
    max_pd: Decimal
    annual_pd: Decimal
    expected_loss: Decimal
    funding: Decimal
    operating: Decimal
    margin: Decimal
    required_rate: Decimal
    annual_rate: Decimal
    cap: Decimal
    capped: bool
    decision: Decision
    reason: str

    @property
    def expected_margin(self) -> Decimal:
        """What the quoted rate leaves after expected loss, funding and operating cost."""
        return self.annual_rate - self.expected_loss - self.funding - self.operating


def legal_cap(policy: PricingPolicy, lpr: Decimal | None = None) -> Decimal:
    """The highest annual rate allowed (C4): the licensed threshold, or 4 × the one-year LPR at the contract
    date for a private lender (``lpr`` required then)."""
    if policy.lender is Lender.PRIVATE:
        if lpr is None:
            raise PricingError(
                "a private lender's cap needs the one-year LPR at the contract date", field="lpr"
            )
        return LPR_MULTIPLE * _fraction(lpr, "lpr")
    return policy.licensed_cap


def grade_of(probability: Decimal, policy: PricingPolicy) -> GradeBand:
    """The grade of a probability of default: the first band whose ``max_pd`` it does not exceed."""
    _fraction(probability, "probability")
    for band in policy.grades:
        if probability <= band.max_pd:
            return band
    return policy.grades[-1]  # pragma: no cover - the last band reaches 1 (checked by the policy)


def annual_pd(probability: Decimal, horizon_months: int) -> Decimal:
    """The one-year PD of a PD over ``horizon_months`` under a constant hazard: 1 − (1 − PD)^(12 / H)."""
    _fraction(probability, "probability")
    if horizon_months <= 0:
        raise PricingError("the PD horizon must be positive", field="term_months")
    if probability == ONE:
        return ONE
    if horizon_months == 12:
        return probability
    with localcontext() as context:
        context.prec = 28
        survival = (ONE - probability) ** (Decimal(12) / Decimal(horizon_months))
        return min(ONE, max(ZERO, ONE - survival))


def _up_to_basis_point(value: Decimal) -> Decimal:
    return value.quantize(BASIS_POINT, rounding=ROUND_CEILING)


def price_grade(
    band: GradeBand, policy: PricingPolicy, *, term_months: int, lpr: Decimal | None = None
) -> Price:
    """The price of ``band`` for a loan of ``term_months`` (module docstring's formula; C4 cap, C9 Decimal)."""
    if term_months <= 0:
        raise PricingError("term_months must be positive", field="term_months")
    cap = legal_cap(policy, lpr)
    horizon = policy.pd_horizon_months or term_months
    yearly = annual_pd(band.max_pd, horizon)
    expected_loss = yearly * policy.lgd
    required = _up_to_basis_point(
        expected_loss + policy.funding_rate + policy.operating_rate + policy.margin_rate
    )
    capped = required > cap
    reason = (
        f"required rate {required} exceeds the legal cap {cap} (C4): not covered, declined" if capped else ""
    )
    return Price(
        grade=band.label,
        max_pd=band.max_pd,
        annual_pd=yearly,
        expected_loss=expected_loss,
        funding=policy.funding_rate,
        operating=policy.operating_rate,
        margin=policy.margin_rate,
        required_rate=required,
        annual_rate=min(required, cap.quantize(BASIS_POINT, rounding=ROUND_FLOOR)),
        cap=cap,
        capped=capped,
        decision=Decision.DECLINE if capped else Decision.APPROVE,
        reason=reason,
    )


def price_for(
    probability: Decimal, policy: PricingPolicy, *, term_months: int, lpr: Decimal | None = None
) -> Price:
    """The price of the grade ``probability`` falls in."""
    return price_grade(grade_of(probability, policy), policy, term_months=term_months, lpr=lpr)


def price_table(policy: PricingPolicy, *, term_months: int = 12, lpr: Decimal | None = None) -> list[Price]:
    """Every grade's price, best first."""
    return [price_grade(band, policy, term_months=term_months, lpr=lpr) for band in policy.grades]


def grades_from(pairs: Sequence[tuple[str, str | int | Decimal]]) -> tuple[GradeBand, ...]:
    """Grade bands from ``(label, max_pd)`` pairs (settings form: max_pd as a decimal string)."""
    try:
        return tuple(GradeBand(str(label), read_rate(value)) for label, value in pairs)
    except DomainError as error:
        raise PricingError(error.message, field="grades") from None
