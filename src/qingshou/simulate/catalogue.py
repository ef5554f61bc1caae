"""Catalogue: the product shelf of the synthetic lender and how each product's loans are drawn.

A ``ProductSpec`` couples a validated domain ``ProductPolicy`` (the row of the products extract) with
the simulation's parameters: share of new loans, repayment methods, terms, rate range, loan size as a
multiple of monthly income, how far back loans are disbursed, origination channels and a risk shift for
the behaviour model. The shelf mixes what a Chinese bank or consumer-finance company sells: 消费贷,
credit-card instalments, 房贷, 小微经营贷 and a short-term 到期一次还本付息 loan, with varied policies
(grace 0/3 days, holiday rule, day count 360/365, markup 0.3–0.5, a vertical card product, one product
rounding down, one with a custom waterfall).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from itertools import accumulate
from typing import Final

from qingshou.domain.loan import RepaymentMethod
from qingshou.domain.policy import ProductPolicy


@dataclass(frozen=True, slots=True)
class ProductSpec:
    """A product: its policy plus how the simulator draws its loans.

    Rates are in basis points (``rate_bps`` inclusive range, drawn in steps of ``rate_step_bps``). The loan
    size follows from a payment burden — the monthly payment as per-mille of the borrower's monthly
    income, drawn from the triangle ``burden_permille`` (low, mode, high) — clamped to ``principal_range``
    yuan and rounded down to ``principal_step`` yuan. ``max_age_days`` bounds how long before as_of a loan
    may have been disbursed.
    """

    policy: ProductPolicy
    share: int
    methods: tuple[tuple[RepaymentMethod, int], ...]
    terms: tuple[tuple[int, int], ...]
    rate_bps: tuple[int, int]
    rate_step_bps: int
    burden_permille: tuple[int, int, int]
    principal_range: tuple[int, int]
    principal_step: int
    max_age_days: int
    channels: tuple[tuple[str, int], ...]
    risk_shift: float

    @property
    def product_id(self) -> str:
        """The product id of the policy."""
        return self.policy.product_id


_EI = RepaymentMethod.EQUAL_INSTALLMENT
_EP = RepaymentMethod.EQUAL_PRINCIPAL
_IO = RepaymentMethod.INTEREST_ONLY
_BULLET = RepaymentMethod.BULLET
_FIVE_YEARS = 5 * 365
_EIGHT_YEARS = 8 * 365

PRODUCTS: Final = (
    ProductSpec(
        policy=ProductPolicy.build(
            "XF01", name="消费贷·随心借", kind="retail", day_count=360, penalty_markup=Decimal("0.5"),
            grace_days=3, prepayment=True,
        ),
        share=38, methods=((_EI, 1),), terms=((12, 3), (18, 2), (24, 3), (36, 2)),
        rate_bps=(800, 1800), rate_step_bps=1, burden_permille=(40, 150, 450), principal_range=(5_000, 200_000),
        principal_step=100, max_age_days=_FIVE_YEARS,
        channels=(("app", 5), ("online", 3), ("partner", 2), ("branch", 1)), risk_shift=0.3,
    ),
    ProductSpec(
        policy=ProductPolicy.build(
            "XF02", name="消费贷·薪享贷", kind="retail", day_count=365, penalty_markup=Decimal("0.3"),
            holiday_rule="next_business_day", dpd_origin="effective", rounding="down",
        ),
        share=14, methods=((_EI, 1),), terms=((12, 1), (24, 1), (36, 1)),
        rate_bps=(800, 1500), rate_step_bps=1, burden_permille=(50, 180, 450), principal_range=(10_000, 300_000),
        principal_step=1000, max_age_days=_FIVE_YEARS,
        channels=(("branch", 2), ("app", 3), ("online", 1)), risk_shift=0.0,
    ),
    ProductSpec(
        policy=ProductPolicy.build(
            "KD01", name="信用卡账单分期", kind="card", day_count=360, penalty_markup=Decimal("0.5"),
            compound=False, grace_days=3, direction="vertical",
        ),
        share=14, methods=((_EI, 1),), terms=((3, 2), (6, 3), (9, 1), (12, 3), (18, 1), (24, 1)),
        rate_bps=(1200, 1800), rate_step_bps=1, burden_permille=(30, 100, 350), principal_range=(1_000, 80_000),
        principal_step=100, max_age_days=_FIVE_YEARS,
        channels=(("app", 4), ("online", 3), ("branch", 1)), risk_shift=0.5,
    ),
    ProductSpec(
        policy=ProductPolicy.build(
            "KD02", name="信用卡现金分期", kind="card", day_count=365, penalty_markup=Decimal("0.5"),
            holiday_rule="next_business_day", prepayment=True,
        ),
        share=8, methods=((_EP, 2), (_EI, 1)), terms=((6, 1), (12, 2), (24, 1)),
        rate_bps=(1200, 1800), rate_step_bps=1, burden_permille=(30, 120, 400), principal_range=(2_000, 100_000),
        principal_step=100, max_age_days=_FIVE_YEARS,
        channels=(("app", 4), ("online", 2), ("branch", 1)), risk_shift=0.6,
    ),
    ProductSpec(
        policy=ProductPolicy.build(
            "FD01", name="个人住房按揭贷款", kind="retail", day_count=360, penalty_markup=Decimal("0.5"),
            grace_days=3, holiday_rule="next_business_day", prepayment=True,
        ),
        share=4, methods=((_EI, 3), (_EP, 1)), terms=((120, 1), (180, 2), (240, 3), (300, 2), (360, 3)),
        rate_bps=(300, 490), rate_step_bps=5, burden_permille=(150, 330, 550),
        principal_range=(100_000, 5_000_000), principal_step=10_000, max_age_days=_EIGHT_YEARS,
        channels=(("branch", 6), ("partner", 2), ("app", 1)), risk_shift=-1.2,
    ),
    ProductSpec(
        policy=ProductPolicy.build(
            "XW01", name="小微经营贷·先息后本", kind="non_retail", day_count=360, penalty_markup=Decimal("0.5"),
            waterfall="costs,fees,principal,interest,penalty,compound", prepayment=True,
        ),
        share=8, methods=((_IO, 1),), terms=((6, 1), (12, 3), (24, 2), (36, 1)),
        rate_bps=(400, 1200), rate_step_bps=5, burden_permille=(50, 200, 500),
        principal_range=(50_000, 3_000_000), principal_step=1000, max_age_days=_FIVE_YEARS,
        channels=(("branch", 5), ("partner", 3), ("app", 1)), risk_shift=0.2,
    ),
    ProductSpec(
        policy=ProductPolicy.build(
            "XW02", name="小微经营贷·等额本息", kind="retail", day_count=365, penalty_markup=Decimal("0.5"),
            grace_days=3, prepayment=True,
        ),
        share=11, methods=((_EI, 1),), terms=((6, 1), (12, 2), (24, 2), (36, 2)),
        rate_bps=(400, 1200), rate_step_bps=5, burden_permille=(60, 220, 500), principal_range=(30_000, 1_000_000),
        principal_step=1000, max_age_days=_FIVE_YEARS,
        channels=(("branch", 3), ("partner", 2), ("app", 2), ("online", 1)), risk_shift=0.1,
    ),
    ProductSpec(
        policy=ProductPolicy.build(
            "DQ01", name="短期周转贷·到期一次还本付息", kind="retail", day_count=360, penalty_markup=Decimal("0.4"),
            prepayment=True,
        ),
        share=3, methods=((_BULLET, 1),), terms=((3, 1), (6, 2), (12, 2)),
        rate_bps=(450, 1200), rate_step_bps=5, burden_permille=(30, 150, 400), principal_range=(10_000, 500_000),
        principal_step=1000, max_age_days=3 * 365,
        channels=(("branch", 3), ("app", 1)), risk_shift=0.2,
    ),
)  # fmt: skip

PRODUCT_CUM_WEIGHTS: Final = tuple(accumulate(spec.share for spec in PRODUCTS))
