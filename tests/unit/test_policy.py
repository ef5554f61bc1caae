"""ProductPolicy.build: every per-product parameter validated, each bad field named (C2–C6)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from qingshou.domain.errors import PolicyError
from qingshou.domain.money import Rounding
from qingshou.domain.policy import (
    CARD_FLOORS,
    DEFAULT_BUCKETS,
    DEFAULT_WATERFALL,
    RETAIL_FLOORS,
    Bucket,
    ClassFloor,
    Component,
    Direction,
    DpdOrigin,
    HolidayRule,
    LoanClass,
    ProductKind,
    ProductPolicy,
)


def test_c2_c6_defaults_are_the_conventions() -> None:
    """C2–C6: holiday none, grace 0, dpd from the original date, 360 days, markup 0.5, compound on, half-up,
    the art. 561 waterfall horizontally, the default buckets and retail floors."""
    policy = ProductPolicy.build("P")
    assert (policy.holiday_rule, policy.grace_days, policy.dpd_origin) == (
        HolidayRule.NONE,
        0,
        DpdOrigin.ORIGINAL,
    )
    assert (policy.day_count, policy.penalty_markup, policy.compound) == (360, Decimal("0.5"), True)
    assert (policy.rounding, policy.waterfall, policy.direction) == (
        Rounding.HALF_UP,
        DEFAULT_WATERFALL,
        Direction.HORIZONTAL,
    )
    assert (policy.buckets, policy.class_floors, policy.kind) == (
        DEFAULT_BUCKETS,
        RETAIL_FLOORS,
        ProductKind.RETAIL,
    )
    assert policy.penalty_rate_factor == Decimal("1.5")


def test_c6_card_products_get_card_floors() -> None:
    """C6: a card product defaults to the 2011 Measures floors."""
    assert ProductPolicy.build("C", kind="card").class_floors == CARD_FLOORS


def test_c2_c4_values_are_read_from_extract_strings() -> None:
    """C2/C4: values from a products extract (strings) are parsed."""
    policy = ProductPolicy.build(
        " P1 ", day_count="365", penalty_markup="0.3", compound="否", grace_days="3",
        holiday_rule="NEXT_BUSINESS_DAY", dpd_origin="effective", rounding="down", waterfall="costs, fees, penalty, compound, interest, principal",
        direction="vertical", prepayment="yes",
    )  # fmt: skip
    assert policy.product_id == "P1"
    assert (policy.day_count, policy.penalty_markup, policy.compound, policy.grace_days) == (
        365,
        Decimal("0.3"),
        False,
        3,
    )
    assert (policy.holiday_rule, policy.dpd_origin, policy.rounding) == (
        HolidayRule.NEXT_BUSINESS_DAY,
        DpdOrigin.EFFECTIVE,
        Rounding.DOWN,
    )
    assert (policy.direction, policy.prepayment) == (Direction.VERTICAL, True)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        # parameter                                                        field named
        ({"day_count": 364}, "day_count"),
        ({"day_count": "three hundred"}, "day_count"),
        ({"penalty_markup": "1.5"}, "penalty_markup"),
        ({"penalty_markup": "-0.1"}, "penalty_markup"),
        ({"penalty_markup": 0.5}, "penalty_markup"),  # a float is refused (C9)
        ({"penalty_markup": "half"}, "penalty_markup"),
        ({"grace_days": 91}, "grace_days"),
        ({"grace_days": "-1"}, "grace_days"),
        ({"compound": "maybe"}, "compound"),
        ({"holiday_rule": "previous_business_day"}, "holiday_rule"),
        ({"dpd_origin": "effective_plus_grace"}, "dpd_origin"),
        ({"rounding": "bankers"}, "rounding"),
        ({"direction": "diagonal"}, "direction"),
        ({"kind": "corporate"}, "kind"),
        ({"waterfall": "costs,fees,penalty,compound,interest"}, "waterfall"),  # principal missing
        ({"waterfall": "costs,fees,penalty,compound,interest,principal,fees"}, "waterfall"),  # fees twice
        (
            {"waterfall": "costs,fees,penalty,compound,interest,interest"},
            "waterfall",
        ),  # duplicate replaces principal
        ({"waterfall": "costs,fees,penalty,compound,interest,capital"}, "waterfall"),  # unknown component
        ({"colour": "red"}, "colour"),
    ],
)
def test_c2_c6_bad_parameter_is_refused_naming_the_field(params: dict[str, object], field: str) -> None:
    """C2–C6: each wrong product parameter raises PolicyError naming that field."""
    with pytest.raises(PolicyError) as err:
        ProductPolicy.build("P", **params)
    assert err.value.field == field


def test_c5_waterfall_message_says_what_is_wrong() -> None:
    """C5: a missing component is named; a repeated one is reported as repeated."""
    with pytest.raises(PolicyError, match="missing principal"):
        ProductPolicy.build("P", waterfall="costs,fees,penalty,compound,interest")
    with pytest.raises(PolicyError, match="repeated"):
        ProductPolicy.build("P", waterfall=[*DEFAULT_WATERFALL, Component.FEES])


def test_c5_custom_waterfall_order_is_kept() -> None:
    """C5: a custom order naming every component once is accepted as given."""
    order = "principal,interest,compound,penalty,fees,costs"
    assert [c.value for c in ProductPolicy.build("P", waterfall=order).waterfall] == order.split(",")


@pytest.mark.parametrize(
    ("buckets", "message"),
    [
        ((Bucket("M1", 1, 30), Bucket("M2", 30, None)), "overlap or leave a gap"),  # overlap
        ((Bucket("M1", 1, 30), Bucket("M2", 32, None)), "overlap or leave a gap"),  # gap
        ((Bucket("M1", 1, None), Bucket("M2", 31, None)), "open-ended but is not the last"),
        ((Bucket("M1", 1, 30), Bucket("M2", 31, 60)), "must be open-ended"),
        ((Bucket("M1", 2, None),), "start at dpd 1"),
        ((Bucket("M1", 1, 0), Bucket("M2", 1, None)), "ends before it starts"),
        ((), "at least one bucket"),
    ],
)
def test_c3_buckets_must_not_overlap_or_leave_gaps(buckets: tuple[Bucket, ...], message: str) -> None:
    """C3: bucket ranges must not overlap or leave gaps; the last, and only the last, is open-ended."""
    with pytest.raises(PolicyError, match=message) as err:
        ProductPolicy.build("P", buckets=buckets)
    assert err.value.field == "buckets"


def test_c3_custom_buckets_are_used() -> None:
    """C3: a product's own buckets decide the bucket name."""
    policy = ProductPolicy.build("P", buckets=(Bucket("B1", 1, 90), Bucket("B2", 91, None)))
    assert [policy.bucket_of(d, True) for d in (1, 90, 91, 5000)] == ["B1", "B1", "B2", "B2"]
    assert policy.bucket_of(40, False) == "M0"


def test_c6_class_floors_must_rise() -> None:
    """C6: custom class floors must rise strictly in dpd and in class."""
    bad = (ClassFloor(1, LoanClass.SPECIAL_MENTION), ClassFloor(1, LoanClass.SUBSTANDARD))
    with pytest.raises(PolicyError) as err:
        ProductPolicy.build("P", class_floors=bad)
    assert err.value.field == "class_floors"


def test_product_id_is_required() -> None:
    """C2–C6: a policy belongs to a product."""
    with pytest.raises(PolicyError) as err:
        ProductPolicy.build("  ")
    assert err.value.field == "product_id"


def test_c6_loan_class_codes() -> None:
    """C6: classes order best to worst, 次级 and worse are NPL, codes round-trip."""
    assert [c.code for c in LoanClass] == ["normal", "special_mention", "substandard", "doubtful", "loss"]
    assert [c.is_npl for c in LoanClass] == [False, False, True, True, True]
    assert LoanClass.from_code("Doubtful") is LoanClass.DOUBTFUL
    with pytest.raises(PolicyError):
        LoanClass.from_code("bad")
