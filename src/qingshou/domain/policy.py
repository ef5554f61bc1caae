"""Product policy: every per-product parameter of the conventions, validated (C2–C6).

A ``ProductPolicy`` is built once per product (from the products extract or the admin) with
``ProductPolicy.build(...)``, which checks every field and names the field that is wrong. Defaults are
the ones the conventions give; the rules read the policy and never hard-code a parameter.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import IntEnum, StrEnum
from itertools import pairwise
from typing import Final, TypeVar

from qingshou.domain.errors import PolicyError
from qingshou.domain.money import Rounding

_E = TypeVar("_E", bound=StrEnum)


class ProductKind(StrEnum):
    """Which classification schedule and debtor rules apply (C6)."""

    RETAIL = "retail"
    CARD = "card"
    NON_RETAIL = "non_retail"


class HolidayRule(StrEnum):
    """C2: whether a due date on a non-business day is payable on the next business day."""

    NONE = "none"
    NEXT_BUSINESS_DAY = "next_business_day"


class DpdOrigin(StrEnum):
    """C2: count overdue days (and penalty accrual) from the original or the holiday-shifted due date."""

    ORIGINAL = "original"
    EFFECTIVE = "effective"


class Component(StrEnum):
    """A component of what a borrower owes, as named in the waterfall (C5)."""

    COSTS = "costs"
    FEES = "fees"
    PENALTY = "penalty"
    COMPOUND = "compound"
    INTEREST = "interest"
    PRINCIPAL = "principal"


class Direction(StrEnum):
    """C5: allocate component by component across installments, or installment by installment."""

    HORIZONTAL = "horizontal"
    VERTICAL = "vertical"


class LoanClass(IntEnum):
    """Five-category classification (五级分类, C6), ordered from best to worst."""

    NORMAL = 1  # 正常
    SPECIAL_MENTION = 2  # 关注
    SUBSTANDARD = 3  # 次级
    DOUBTFUL = 4  # 可疑
    LOSS = 5  # 损失

    @property
    def code(self) -> str:
        """The stable lower-case name used in JSON and the database."""
        return self.name.lower()

    @property
    def is_npl(self) -> bool:
        """次级, 可疑 and 损失 together are non-performing."""
        return self >= LoanClass.SUBSTANDARD

    @classmethod
    def from_code(cls, code: str) -> LoanClass:
        """Parse ``normal`` … ``loss``."""
        try:
            return cls[code.upper()]
        except KeyError:
            raise PolicyError(f"unknown classification {code!r}", field="classification") from None


DEFAULT_WATERFALL: Final = (
    Component.COSTS,
    Component.FEES,
    Component.PENALTY,
    Component.COMPOUND,
    Component.INTEREST,
    Component.PRINCIPAL,
)


@dataclass(frozen=True, slots=True)
class Bucket:
    """A delinquency bucket: dpd from ``low`` to ``high`` inclusive; ``high`` None is open-ended (C3)."""

    name: str
    low: int
    high: int | None

    def contains(self, dpd: int) -> bool:
        """Whether ``dpd`` days falls in this bucket."""
        return dpd >= self.low and (self.high is None or dpd <= self.high)


DEFAULT_BUCKETS: Final = (
    Bucket("M1", 1, 30),
    Bucket("M2", 31, 60),
    Bucket("M3", 61, 90),
    Bucket("M4", 91, 120),
    Bucket("M5", 121, 150),
    Bucket("M6", 151, 180),
    Bucket("M7+", 181, None),
)
#: The bucket of a loan that is not delinquent (C3).
CURRENT_BUCKET: Final = "M0"


@dataclass(frozen=True, slots=True)
class ClassFloor:
    """A dpd floor: a delinquent loan with dpd ≥ ``min_dpd`` is at least ``loan_class`` (C6)."""

    min_dpd: int
    loan_class: LoanClass


#: Retail and non-retail floors (2023 Measures): 关注 1–90, 次级 91–270, 可疑 271–360, 损失 over 360.
RETAIL_FLOORS: Final = (
    ClassFloor(1, LoanClass.SPECIAL_MENTION),
    ClassFloor(91, LoanClass.SUBSTANDARD),
    ClassFloor(271, LoanClass.DOUBTFUL),
    ClassFloor(361, LoanClass.LOSS),
)
#: Card floors (2011 Measures art. 92): 关注 1–90, 次级 91–120, 可疑 121–180, 损失 over 180.
CARD_FLOORS: Final = (
    ClassFloor(1, LoanClass.SPECIAL_MENTION),
    ClassFloor(91, LoanClass.SUBSTANDARD),
    ClassFloor(121, LoanClass.DOUBTFUL),
    ClassFloor(181, LoanClass.LOSS),
)


@dataclass(frozen=True, slots=True)
class ProductPolicy:
    """Every per-product parameter the rules read. Build it with :meth:`build` to validate it."""

    product_id: str
    name: str = ""
    kind: ProductKind = ProductKind.RETAIL
    day_count: int = 360
    penalty_markup: Decimal = Decimal("0.5")
    compound: bool = True
    grace_days: int = 0
    holiday_rule: HolidayRule = HolidayRule.NONE
    dpd_origin: DpdOrigin = DpdOrigin.ORIGINAL
    rounding: Rounding = Rounding.HALF_UP
    waterfall: tuple[Component, ...] = DEFAULT_WATERFALL
    direction: Direction = Direction.HORIZONTAL
    prepayment: bool = False
    buckets: tuple[Bucket, ...] = DEFAULT_BUCKETS
    class_floors: tuple[ClassFloor, ...] = field(default=RETAIL_FLOORS)
    #: Card rule (C4 caps): penalty + compound + fees + interest charged on an overdue account ≤ principal.
    cap_charges_at_principal: bool = False

    @property
    def penalty_rate_factor(self) -> Decimal:
        """1 + markup: the penalty rate is the contract rate times this (C4)."""
        return Decimal(1) + self.penalty_markup

    def bucket_of(self, dpd: int, delinquent: bool) -> str:
        """The bucket name for a loan: M0 when not delinquent, else the bucket that holds ``dpd`` (C3)."""
        if not delinquent:
            return CURRENT_BUCKET
        for bucket in self.buckets:
            if bucket.contains(dpd):
                return bucket.name
        return self.buckets[0].name if dpd < self.buckets[0].low else self.buckets[-1].name

    @classmethod
    def build(cls, product_id: str, **params: object) -> ProductPolicy:
        """Validate and build a policy; unknown or wrong parameters raise ``PolicyError`` naming the field."""
        unknown = set(params) - {f for f in cls.__dataclass_fields__ if f != "product_id"}
        if unknown:
            raise PolicyError(
                f"unknown product parameter(s): {', '.join(sorted(unknown))}", field=min(unknown)
            )
        if not product_id or not str(product_id).strip():
            raise PolicyError("product_id is required", field="product_id")
        kind = _enum(ProductKind, params.get("kind", ProductKind.RETAIL), "kind")
        floors_default = CARD_FLOORS if kind is ProductKind.CARD else RETAIL_FLOORS
        policy = cls(
            product_id=str(product_id).strip(),
            name=str(params.get("name", "")),
            kind=kind,
            day_count=_day_count(params.get("day_count", 360)),
            penalty_markup=_markup(params.get("penalty_markup", Decimal("0.5"))),
            compound=_bool(params.get("compound", True), "compound"),
            grace_days=_grace(params.get("grace_days", 0)),
            holiday_rule=_enum(HolidayRule, params.get("holiday_rule", HolidayRule.NONE), "holiday_rule"),
            dpd_origin=_enum(DpdOrigin, params.get("dpd_origin", DpdOrigin.ORIGINAL), "dpd_origin"),
            rounding=_enum(Rounding, params.get("rounding", Rounding.HALF_UP), "rounding"),
            waterfall=parse_waterfall(params.get("waterfall", DEFAULT_WATERFALL)),
            direction=_enum(Direction, params.get("direction", Direction.HORIZONTAL), "direction"),
            prepayment=_bool(params.get("prepayment", False), "prepayment"),
            buckets=validate_buckets(params.get("buckets", DEFAULT_BUCKETS)),  # type: ignore[arg-type]
            class_floors=validate_floors(params.get("class_floors", floors_default)),  # type: ignore[arg-type]
            cap_charges_at_principal=_bool(
                params.get("cap_charges_at_principal", False), "cap_charges_at_principal"
            ),
        )
        return policy


def _enum(enum: type[_E], value: object, name: str) -> _E:
    try:
        return enum(str(value).strip().lower())
    except ValueError:
        allowed = " | ".join(member.value for member in enum)
        raise PolicyError(f"{name} must be one of {allowed}, got {value!r}", field=name) from None


def _bool(value: object, name: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"true", "1", "yes", "y", "是"}:
        return True
    if text in {"false", "0", "no", "n", "否"}:
        return False
    raise PolicyError(f"{name} must be true or false, got {value!r}", field=name)


def _day_count(value: object) -> int:
    try:
        days = int(str(value).strip())
    except ValueError:
        raise PolicyError(f"day_count must be 360 or 365, got {value!r}", field="day_count") from None
    if days not in (360, 365):
        raise PolicyError(f"day_count must be 360 or 365, got {value!r}", field="day_count")
    return days


def _markup(value: object) -> Decimal:
    if isinstance(value, float):
        raise PolicyError("penalty_markup must be a decimal string, not a float", field="penalty_markup")
    try:
        markup = Decimal(str(value).strip())
    except ArithmeticError:
        raise PolicyError(f"penalty_markup is not a number: {value!r}", field="penalty_markup") from None
    if not markup.is_finite() or not Decimal(0) <= markup <= Decimal(1):
        raise PolicyError(
            f"penalty_markup must be between 0 and 1 (law: 0.3–0.5 overdue, 0.5–1.0 misuse), got {value!r}",
            field="penalty_markup",
        )
    return markup


def _grace(value: object) -> int:
    try:
        days = int(str(value).strip())
    except ValueError:
        raise PolicyError(
            f"grace_days must be a whole number of days, got {value!r}", field="grace_days"
        ) from None
    if not 0 <= days <= 90:
        raise PolicyError(f"grace_days must be between 0 and 90, got {days}", field="grace_days")
    return days


def parse_waterfall(value: object) -> tuple[Component, ...]:
    """Read a waterfall (comma list or sequence); it must name each of the six components once (C5)."""
    items: Iterable[object] = value.split(",") if isinstance(value, str) else value  # type: ignore[assignment]
    try:
        order = tuple(Component(str(item).strip().lower()) for item in items)
    except ValueError as exc:
        raise PolicyError(f"waterfall has an unknown component: {exc}", field="waterfall") from None
    if sorted(order) != sorted(Component):
        missing = sorted(set(Component) - set(order))
        raise PolicyError(
            "waterfall must list costs, fees, penalty, compound, interest, principal each exactly once"
            + (f"; missing {', '.join(missing)}" if missing else "; a component is repeated"),
            field="waterfall",
        )
    return order


def validate_buckets(buckets: Sequence[Bucket]) -> tuple[Bucket, ...]:
    """Buckets start at dpd 1, do not overlap or leave gaps, and only the last is open-ended (C3)."""
    result = tuple(buckets)
    if not result:
        raise PolicyError("at least one bucket is required", field="buckets")
    if result[0].low != 1:
        raise PolicyError(f"the first bucket must start at dpd 1, not {result[0].low}", field="buckets")
    for before, after in pairwise(result):
        if before.high is None:
            raise PolicyError(f"bucket {before.name} is open-ended but is not the last", field="buckets")
        if after.low != before.high + 1:
            raise PolicyError(
                f"buckets {before.name} and {after.name} overlap or leave a gap ({before.high} → {after.low})",
                field="buckets",
            )
    for bucket in result:
        if bucket.high is not None and bucket.high < bucket.low:
            raise PolicyError(f"bucket {bucket.name} ends before it starts", field="buckets")
    if result[-1].high is not None:
        raise PolicyError(f"the last bucket {result[-1].name} must be open-ended", field="buckets")
    return result


def validate_floors(floors: Sequence[ClassFloor]) -> tuple[ClassFloor, ...]:
    """Class floors rise strictly in dpd and in class (C6)."""
    result = tuple(floors)
    for before, after in pairwise(result):
        if after.min_dpd <= before.min_dpd or after.loan_class <= before.loan_class:
            raise PolicyError("class floors must rise strictly in dpd and in class", field="class_floors")
    return result
