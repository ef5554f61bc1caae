"""Legal recovery (法务): court fees, preservation terms, legal deadlines, delay interest, the stage machine.

Sources (verified texts in ``shared/domain/legal-fees-periods.md``):

* **受理费** — 《诉讼费用交纳办法》 第十三条(一): cumulative bands (分段累计, "超过…的部分"); the first band is a flat
  50 元 per case; 2.5 % / 2 % / 1.5 % / 1 % / 0.9 % / 0.8 % / 0.7 % / 0.6 % / 0.5 % above 1万 / 10万 / 20万 /
  50万 / 100万 / 200万 / 500万 / 1000万 / 2000万.
* **申请费** — 第十四条: enforcement (一)2 (50 元 up to 1万, then 1.5 % / 1 % / 0.5 % / 0.1 %), preservation (二)
  (30 元 up to 1,000 or without an amount, then 1 % / 0.5 %, at most 5,000 元), payment order (三) = 1/3 of the
  受理费 scale.
* **Halving** — 第十五条 (mediation, withdrawal), 第十六条 (simplified procedure), of the 受理费 only; 民诉法解释
  第二百零六条: a fee is halved **once** however many grounds apply.
* **Rounding** — how courts round a third or a half is [UNVERIFIED]: a named choice (``FeeRounding``), by
  default 2 decimals (the fen, half up) as the reference suggests; ``yuan`` rounds half up to whole yuan.
  Fees are computed exactly and rounded once, after any halving.
* **Preservation terms** — 民诉法解释 (2022) 第四百八十五条: bank deposits ≤ 1 year, movables ≤ 2 years,
  immovables and other property rights ≤ 3 years; a renewal (续行) is again at most the same term, with no
  limit on their number, and must be made before expiry; 保全规定 第十八条: the creditor applies at least 7
  days before expiry (used for enforcement measures too). A measure takes effect on its start day, which
  counts: 1 year from 15 Mar 2024 ends on 14 Mar 2025 (the ruling states "自…起至…止"); its renewal starts
  the next day. A measure not renewed lapses at expiry (查封规定 第二十七条).
* **Enforcement deadline** — C7 / 民诉法 第二百五十条: 2 years from the performance date
  (``limitation.enforcement_deadline``, moved off non-business days).
* **Delay interest** — 民诉法 第二百六十四条 and 法释〔2014〕8号: the **加倍部分** = unpaid money debt fixed by
  the judgment, general interest excluded (court costs excluded by default, [V-sec], configurable) × 日万分之
  一点七五 × days of delay. It runs from the day the performance period expires (第二条, "届满之日起"; the
  next day as a configurable alternative, [V-sec]) to each payment day inclusive (第三条); payments go to the
  money debt first (第四条); suspended periods not caused by the debtor are not counted (第三条第三款).
  The general interest (一般债务利息) is whatever the judgment awards and is not computed here.
* **Stages** — preparation → filed → accepted → hearing → judgment → effective → enforcement applied →
  enforcement → closed (recovered / terminated without assets 终本 / withdrawn), with each case type's own
  subset (``TRANSITIONS``); a 终本 case may resume enforcement (恢复执行) when assets are found.

Everything here is pure: ``Decimal`` money, explicit dates, no clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Final

from qingshou.domain.calendar import BusinessCalendar
from qingshou.domain.errors import DomainError
from qingshou.domain.limitation import Deadline, enforcement_deadline
from qingshou.domain.money import FEN, ZERO
from qingshou.domain.schedule import add_months

__all__ = [
    "ACCEPTANCE_BANDS",
    "DAILY_DELAY_RATE",
    "ENFORCEMENT_BANDS",
    "MAX_TERM_MONTHS",
    "PRESERVATION_BANDS",
    "PRESERVATION_CAP",
    "RENEWAL_LEAD_DAYS",
    "TRANSITIONS",
    "AssetKind",
    "Band",
    "CaseType",
    "CourtFee",
    "DelayInterest",
    "DelayStart",
    "FeeKind",
    "FeeRounding",
    "LegalError",
    "Outcome",
    "PreservationTerm",
    "Reduction",
    "Stage",
    "acceptance_fee",
    "check_stage_date",
    "check_transition",
    "court_fee",
    "delay_interest",
    "enforcement_application_deadline",
    "enforcement_fee",
    "filing_fee_kind",
    "interruption_kind",
    "next_stages",
    "payment_order_fee",
    "preservation_fee",
    "preservation_term",
    "reduced",
    "renewal_deadline",
    "renewal_term",
    "round_fee",
    "stages_of",
]


class LegalError(DomainError):
    """A legal-recovery rule was broken (an illegal stage change, a term above the legal maximum …)."""

    code = "invalid_legal"


# --- court fees (《诉讼费用交纳办法》) ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Band:
    """The part of an amount above ``lower`` and up to ``upper`` (``None``: no upper bound) pays ``rate``."""

    lower: Decimal
    upper: Decimal | None
    rate: Decimal


def _bands(*rows: tuple[int, int | None, str]) -> tuple[Band, ...]:
    return tuple(
        Band(Decimal(lower), None if upper is None else Decimal(upper), Decimal(rate))
        for lower, upper, rate in rows
    )


#: 第十三条(一): 50 元 up to 1万 (flat), then by band.
ACCEPTANCE_BASE: Final = Decimal(50)
ACCEPTANCE_BANDS: Final = _bands(
    (10_000, 100_000, "0.025"),
    (100_000, 200_000, "0.02"),
    (200_000, 500_000, "0.015"),
    (500_000, 1_000_000, "0.01"),
    (1_000_000, 2_000_000, "0.009"),
    (2_000_000, 5_000_000, "0.008"),
    (5_000_000, 10_000_000, "0.007"),
    (10_000_000, 20_000_000, "0.006"),
    (20_000_000, None, "0.005"),
)
#: 第十四条(一)2: 50 元 up to 1万, then by band.
ENFORCEMENT_BASE: Final = Decimal(50)
ENFORCEMENT_BANDS: Final = _bands(
    (10_000, 500_000, "0.015"),
    (500_000, 5_000_000, "0.01"),
    (5_000_000, 10_000_000, "0.005"),
    (10_000_000, None, "0.001"),
)
#: 第十四条(二): 30 元 up to 1,000 (or no amount), then by band, at most 5,000 元.
PRESERVATION_BASE: Final = Decimal(30)
PRESERVATION_BANDS: Final = _bands((1_000, 100_000, "0.01"), (100_000, None, "0.005"))
PRESERVATION_CAP: Final = Decimal(5_000)
#: 第十四条(三): a payment order pays a third of the 受理费 scale.
PAYMENT_ORDER_DIVISOR: Final = Decimal(3)


class FeeKind(StrEnum):
    """A court fee by its article."""

    ACCEPTANCE = "acceptance"  # 案件受理费, 第十三条(一)
    PAYMENT_ORDER = "payment_order"  # 支付令申请费, 第十四条(三)
    PRESERVATION = "preservation"  # 保全申请费, 第十四条(二)
    ENFORCEMENT = "enforcement"  # 执行申请费, 第十四条(一)


#: The article each fee is computed by (shown with the figure).
FEE_ARTICLES: Final[Mapping[FeeKind, str]] = {
    FeeKind.ACCEPTANCE: "《诉讼费用交纳办法》第十三条(一)",
    FeeKind.PAYMENT_ORDER: "《诉讼费用交纳办法》第十四条(三)",
    FeeKind.PRESERVATION: "《诉讼费用交纳办法》第十四条(二)",
    FeeKind.ENFORCEMENT: "《诉讼费用交纳办法》第十四条(一)",
}


class Reduction(StrEnum):
    """A ground for halving the 受理费 (only once, 民诉法解释 第二百零六条)."""

    MEDIATION = "mediation"  # 调解结案, 第十五条
    WITHDRAWAL = "withdrawal"  # 撤诉, 第十五条
    SIMPLIFIED = "simplified"  # 简易程序, 第十六条


class FeeRounding(StrEnum):
    """How a computed fee is rounded (court practice [UNVERIFIED]; default: keep 2 decimals)."""

    FEN = "fen"  # 2 decimals, half up
    YUAN = "yuan"  # whole yuan, half up


_ROUNDING_UNIT: Final = {FeeRounding.FEN: FEN, FeeRounding.YUAN: Decimal(1)}


def round_fee(amount: Decimal, rounding: FeeRounding = FeeRounding.FEN) -> Decimal:
    """``amount`` rounded half up to the unit of ``rounding``, always shown with 2 decimals."""
    return amount.quantize(_ROUNDING_UNIT[FeeRounding(rounding)], rounding=ROUND_HALF_UP).quantize(FEN)


def _positive(amount: Decimal, field: str) -> Decimal:
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise LegalError(f"{field} must be a decimal amount, got {amount!r}", field=field)
    if amount <= 0:
        raise LegalError(f"{field} must be more than 0, got {amount}", field=field)
    return amount


def _cumulative(amount: Decimal, base: Decimal, bands: Iterable[Band]) -> Decimal:
    """``base`` plus each band's rate on the part of ``amount`` inside the band (分段累计)."""
    total = base
    for band in bands:
        top = amount if band.upper is None else min(amount, band.upper)
        if top > band.lower:
            total += (top - band.lower) * band.rate
    return total


def acceptance_fee(claim: Decimal) -> Decimal:
    """第十三条(一): the 受理费 of a property case claiming ``claim`` yuan, exact (not rounded)."""
    return _cumulative(_positive(claim, "claim"), ACCEPTANCE_BASE, ACCEPTANCE_BANDS)


def payment_order_fee(claim: Decimal) -> Decimal:
    """第十四条(三): a third of the 受理费 scale, exact (not rounded)."""
    return acceptance_fee(claim) / PAYMENT_ORDER_DIVISOR


def enforcement_fee(amount: Decimal) -> Decimal:
    """第十四条(一)2: the 执行申请费 of an enforcement of ``amount`` yuan, exact. (Without an amount the fee is
    50–500 元 per case, set by the court: not computed.)"""
    return _cumulative(_positive(amount, "amount"), ENFORCEMENT_BASE, ENFORCEMENT_BANDS)


def preservation_fee(amount: Decimal) -> Decimal:
    """第十四条(二): the 保全申请费 of preserving ``amount`` yuan (0: no amount involved → 30 元), at most 5,000."""
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount < 0:
        raise LegalError(f"the preserved amount must be 0 or more, got {amount!r}", field="amount")
    return min(_cumulative(amount, PRESERVATION_BASE, PRESERVATION_BANDS), PRESERVATION_CAP)


_FEE_FUNCTIONS: Final = {
    FeeKind.ACCEPTANCE: acceptance_fee,
    FeeKind.PAYMENT_ORDER: payment_order_fee,
    FeeKind.PRESERVATION: preservation_fee,
    FeeKind.ENFORCEMENT: enforcement_fee,
}


def reduced(fee: Decimal, reductions: Iterable[Reduction]) -> Decimal:
    """The fee halved when at least one ground applies — once, never ¼ (民诉法解释 第二百零六条)."""
    grounds = {Reduction(ground) for ground in reductions}
    return fee / 2 if grounds else fee


@dataclass(frozen=True, slots=True)
class CourtFee:
    """A computed court fee: the basis, the exact fee by the scale, the grounds that halved it, the amount
    due after rounding, and the article."""

    kind: FeeKind
    basis: Decimal
    exact: Decimal
    reductions: tuple[Reduction, ...]
    rounding: FeeRounding
    amount: Decimal
    article: str


def court_fee(
    kind: FeeKind | str,
    basis: Decimal,
    *,
    reductions: Iterable[Reduction | str] = (),
    rounding: FeeRounding | str = FeeRounding.FEN,
) -> CourtFee:
    """The fee of ``kind`` on ``basis`` yuan, halved once for any ground (受理费 only), rounded once."""
    try:
        fee_kind = FeeKind(kind)
    except ValueError:
        allowed = " | ".join(item.value for item in FeeKind)
        raise LegalError(f"fee kind must be one of {allowed}, got {kind!r}", field="kind") from None
    try:
        grounds = tuple(sorted({Reduction(ground) for ground in reductions}))
        mode = FeeRounding(rounding)
    except ValueError as error:
        raise LegalError(f"unknown reduction or rounding: {error}", field="reductions") from None
    if grounds and fee_kind is not FeeKind.ACCEPTANCE:
        raise LegalError(
            f"only the 受理费 (acceptance fee) is halved (第十五条, 第十六条), not the {fee_kind.value} fee",
            field="reductions",
        )
    exact = _FEE_FUNCTIONS[fee_kind](basis)
    return CourtFee(
        kind=fee_kind,
        basis=basis,
        exact=exact,
        reductions=grounds,
        rounding=mode,
        amount=round_fee(reduced(exact, grounds), mode),
        article=FEE_ARTICLES[fee_kind],
    )


# --- the stages of a legal case --------------------------------------------------------------------------


class CaseType(StrEnum):
    """The kind of legal action."""

    DEMAND_LETTER = "demand_letter"  # 律师函
    PAYMENT_ORDER = "payment_order"  # 支付令
    LAWSUIT = "lawsuit"  # 诉讼
    ARBITRATION = "arbitration"  # 仲裁
    SECURITY_REALISATION = "security_realisation"  # 实现担保物权 (special procedure)
    ENFORCEMENT = "enforcement"  # 强制执行 on an existing title (赋强公证, an earlier judgment)


class Stage(StrEnum):
    """Where a legal case stands (in this order)."""

    PREPARATION = "preparation"
    FILED = "filed"
    ACCEPTED = "accepted"
    HEARING = "hearing"
    JUDGMENT = "judgment"
    EFFECTIVE = "effective"
    ENFORCEMENT_APPLIED = "enforcement_applied"
    ENFORCEMENT = "enforcement"
    CLOSED = "closed"


class Outcome(StrEnum):
    """How a closed legal case ended."""

    RECOVERED = "recovered"  # paid / recovered
    TERMINATED = "terminated"  # 终结本次执行程序 (终本): no assets found
    WITHDRAWN = "withdrawn"  # 撤诉 / 撤回申请 / the title lapsed


_S = Stage
_ENFORCE: Final = {_S.EFFECTIVE: {_S.ENFORCEMENT_APPLIED}, _S.ENFORCEMENT_APPLIED: {_S.ENFORCEMENT}}
#: Case type → stage → the stages it may move to next (closing is allowed from every open stage).
TRANSITIONS: Final[Mapping[CaseType, Mapping[Stage, frozenset[Stage]]]] = {
    CaseType.DEMAND_LETTER: {_S.PREPARATION: frozenset({_S.FILED}), _S.FILED: frozenset()},
    CaseType.PAYMENT_ORDER: {
        _S.PREPARATION: frozenset({_S.FILED}),
        _S.FILED: frozenset({_S.ACCEPTED}),
        _S.ACCEPTED: frozenset({_S.EFFECTIVE}),  # no objection within 15 days: the order takes effect
        **{stage: frozenset(after) for stage, after in _ENFORCE.items()},
        _S.ENFORCEMENT: frozenset(),
    },
    CaseType.LAWSUIT: {
        _S.PREPARATION: frozenset({_S.FILED}),
        _S.FILED: frozenset({_S.ACCEPTED}),
        _S.ACCEPTED: frozenset({_S.HEARING, _S.EFFECTIVE}),  # a 调解书 before any hearing is effective
        _S.HEARING: frozenset({_S.JUDGMENT, _S.EFFECTIVE}),
        _S.JUDGMENT: frozenset({_S.EFFECTIVE}),
        **{stage: frozenset(after) for stage, after in _ENFORCE.items()},
        _S.ENFORCEMENT: frozenset(),
    },
    CaseType.ARBITRATION: {
        _S.PREPARATION: frozenset({_S.FILED}),
        _S.FILED: frozenset({_S.ACCEPTED}),
        _S.ACCEPTED: frozenset({_S.HEARING, _S.EFFECTIVE}),
        _S.HEARING: frozenset({_S.JUDGMENT, _S.EFFECTIVE}),
        _S.JUDGMENT: frozenset({_S.EFFECTIVE}),  # the award (裁决)
        **{stage: frozenset(after) for stage, after in _ENFORCE.items()},
        _S.ENFORCEMENT: frozenset(),
    },
    CaseType.SECURITY_REALISATION: {
        _S.PREPARATION: frozenset({_S.FILED}),
        _S.FILED: frozenset({_S.ACCEPTED}),
        _S.ACCEPTED: frozenset({_S.HEARING, _S.JUDGMENT}),  # the court may rule without a hearing
        _S.HEARING: frozenset({_S.JUDGMENT}),
        _S.JUDGMENT: frozenset({_S.EFFECTIVE}),  # the ruling (裁定)
        **{stage: frozenset(after) for stage, after in _ENFORCE.items()},
        _S.ENFORCEMENT: frozenset(),
    },
    CaseType.ENFORCEMENT: {
        _S.PREPARATION: frozenset({_S.ENFORCEMENT_APPLIED}),
        _S.ENFORCEMENT_APPLIED: frozenset({_S.ENFORCEMENT}),
        _S.ENFORCEMENT: frozenset(),
    },
}


def stages_of(case_type: CaseType | str) -> tuple[Stage, ...]:
    """The stages a case of this type can be in, in order (closed last)."""
    stages = TRANSITIONS[_case_type(case_type)]
    return (*(stage for stage in Stage if stage in stages), Stage.CLOSED)


def _case_type(value: CaseType | str) -> CaseType:
    try:
        return CaseType(value)
    except ValueError:
        allowed = " | ".join(item.value for item in CaseType)
        raise LegalError(f"case type must be one of {allowed}, got {value!r}", field="case_type") from None


def _stage(value: Stage | str, field: str = "stage") -> Stage:
    try:
        return Stage(value)
    except ValueError:
        allowed = " | ".join(item.value for item in Stage)
        raise LegalError(f"stage must be one of {allowed}, got {value!r}", field=field) from None


def next_stages(
    case_type: CaseType | str, current: Stage | str, outcome: Outcome | str | None = None
) -> tuple[Stage, ...]:
    """The stages a case of ``case_type`` in ``current`` (closed with ``outcome``) may move to, in order."""
    kind, stage = _case_type(case_type), _stage(current)
    if stage is Stage.CLOSED:
        resumable = outcome is not None and Outcome(outcome) is Outcome.TERMINATED
        has_enforcement = Stage.ENFORCEMENT_APPLIED in TRANSITIONS[kind]
        return (Stage.ENFORCEMENT_APPLIED,) if resumable and has_enforcement else ()
    following = TRANSITIONS[kind].get(stage)
    if following is None:
        return ()
    return (*(item for item in Stage if item in following), Stage.CLOSED)


def check_transition(
    case_type: CaseType | str,
    current: Stage | str,
    target: Stage | str,
    *,
    outcome: Outcome | str | None = None,
    current_outcome: Outcome | str | None = None,
) -> None:
    """Refuse a stage change the case type does not allow, with the reason and what is allowed instead.

    Closing needs an ``outcome``; ``terminated`` (终本) only from enforcement. A case closed as terminated may
    resume enforcement (恢复执行: back to enforcement applied). Any other move needs no outcome."""
    kind, now, then = _case_type(case_type), _stage(current), _stage(target, "target")
    label = kind.value.replace("_", " ")
    if then not in TRANSITIONS[kind] and then is not Stage.CLOSED:
        raise LegalError(f"a {label} case has no {then.value} stage", field="target")
    if now not in TRANSITIONS[kind] and now is not Stage.CLOSED:
        raise LegalError(f"a {label} case has no {now.value} stage", field="stage")
    allowed = next_stages(kind, now, current_outcome)
    if then not in allowed:
        options = ", ".join(stage.value for stage in allowed) or "nothing (the case is closed)"
        raise LegalError(
            f"a {label} case cannot move from {now.value} to {then.value}; allowed next: {options}",
            field="target",
        )
    if then is Stage.CLOSED:
        if outcome is None:
            raise LegalError("closing a legal case needs its outcome", field="outcome")
        try:
            result = Outcome(outcome)
        except ValueError:
            allowed_outcomes = " | ".join(item.value for item in Outcome)
            raise LegalError(
                f"outcome must be one of {allowed_outcomes}, got {outcome!r}", field="outcome"
            ) from None
        if result is Outcome.TERMINATED and now is not Stage.ENFORCEMENT:
            raise LegalError(
                f"only an enforcement can be terminated without assets (终本), not a case in {now.value}",
                field="outcome",
            )
    elif outcome is not None:
        raise LegalError("an outcome is given only when closing", field="outcome")


def check_stage_date(previous_on: date | None, on: date, *, today: date | None = None) -> None:
    """A stage's day is not before the previous stage's day, nor (when ``today`` is given) in the future."""
    if previous_on is not None and on < previous_on:
        raise LegalError(f"the day {on} is before the previous stage's day {previous_on}", field="on")
    if today is not None and on > today:
        raise LegalError(f"the day {on} is after today ({today})", field="on")


#: (case type, stage reached) → the limitation interruption it records (C7, ``limitation.INTERRUPTION_KINDS``):
#: a suit, an arbitration or a special procedure filed (民法典 第一百九十五条(三)), a payment order applied
#: for, an enforcement applied for; a lawyer's letter delivered is a demand that reached the debtor.
_INTERRUPTIONS: Final[Mapping[tuple[CaseType, Stage], str]] = {
    (CaseType.DEMAND_LETTER, Stage.FILED): "demand_delivered",
    (CaseType.PAYMENT_ORDER, Stage.FILED): "payment_order",
    (CaseType.LAWSUIT, Stage.FILED): "suit_filed",
    (CaseType.ARBITRATION, Stage.FILED): "suit_filed",
    (CaseType.SECURITY_REALISATION, Stage.FILED): "suit_filed",
    **{(kind, Stage.ENFORCEMENT_APPLIED): "enforcement_applied" for kind in CaseType},
}


def interruption_kind(case_type: CaseType | str, stage: Stage | str) -> str | None:
    """The limitation interruption reaching ``stage`` records (C7), or ``None``."""
    return _INTERRUPTIONS.get((_case_type(case_type), _stage(stage)))


#: The court fee filing a case of each type costs (None: not on the court schedule — a lawyer's letter;
#: arbitration, whose fee is the arbitration commission's own schedule; the special procedure, whose fee
#: basis is [UNVERIFIED] in the reference: entered by hand as another cost).
FILING_FEES: Final[Mapping[CaseType, FeeKind | None]] = {
    CaseType.DEMAND_LETTER: None,
    CaseType.PAYMENT_ORDER: FeeKind.PAYMENT_ORDER,
    CaseType.LAWSUIT: FeeKind.ACCEPTANCE,
    CaseType.ARBITRATION: None,
    CaseType.SECURITY_REALISATION: None,
    CaseType.ENFORCEMENT: FeeKind.ENFORCEMENT,
}


def filing_fee_kind(case_type: CaseType | str) -> FeeKind | None:
    """The court fee of filing a case of ``case_type`` (``FILING_FEES``)."""
    return FILING_FEES[_case_type(case_type)]


# --- preservation (查封 / 扣押 / 冻结) ---------------------------------------------------------------------


class AssetKind(StrEnum):
    """What a preservation measure holds, by its legal maximum term."""

    BANK_DEPOSIT = "bank_deposit"  # 冻结银行存款: ≤ 1 year
    MOVABLE = "movable"  # 查封、扣押动产: ≤ 2 years
    IMMOVABLE = "immovable"  # 查封不动产: ≤ 3 years
    OTHER_RIGHT = "other_right"  # 冻结其他财产权: ≤ 3 years


#: 民诉法解释 (2022) 第四百八十五条: the longest term of one measure or one renewal, in months.
MAX_TERM_MONTHS: Final[Mapping[AssetKind, int]] = {
    AssetKind.BANK_DEPOSIT: 12,
    AssetKind.MOVABLE: 24,
    AssetKind.IMMOVABLE: 36,
    AssetKind.OTHER_RIGHT: 36,
}
#: 保全规定 第十八条: a renewal is applied for at least 7 days before expiry.
RENEWAL_LEAD_DAYS: Final = 7


@dataclass(frozen=True, slots=True)
class PreservationTerm:
    """One measure (or renewal): from ``start`` (counted) through ``expires_on``; ``renewal_due`` is the last
    day to apply for its renewal."""

    kind: AssetKind
    start: date
    months: int
    expires_on: date
    renewal_due: date


def _asset_kind(value: AssetKind | str) -> AssetKind:
    try:
        return AssetKind(value)
    except ValueError:
        allowed = " | ".join(item.value for item in AssetKind)
        raise LegalError(f"asset kind must be one of {allowed}, got {value!r}", field="asset_kind") from None


def renewal_deadline(expires_on: date, lead_days: int = RENEWAL_LEAD_DAYS) -> date:
    """The last day to apply for the renewal of a measure expiring on ``expires_on``."""
    if lead_days < 0:
        raise LegalError(f"the renewal lead must be 0 days or more, got {lead_days}", field="lead_days")
    return expires_on - timedelta(days=lead_days)


def preservation_term(
    kind: AssetKind | str, start: date, months: int | None = None, *, lead_days: int = RENEWAL_LEAD_DAYS
) -> PreservationTerm:
    """A measure on ``kind`` from ``start`` for ``months`` (default: the legal maximum), refused above it."""
    asset = _asset_kind(kind)
    longest = MAX_TERM_MONTHS[asset]
    term = longest if months is None else months
    if isinstance(term, bool) or not isinstance(term, int) or term < 1:
        raise LegalError(f"the term must be a whole number of months ≥ 1, got {months!r}", field="months")
    if term > longest:
        raise LegalError(
            f"a {asset.value.replace('_', ' ')} measure lasts at most {longest} months "
            f"(民诉法解释 第四百八十五条), not {term}",
            field="months",
        )
    expires = add_months(start, term) - timedelta(days=1)
    return PreservationTerm(asset, start, term, expires, renewal_deadline(expires, lead_days))


def renewal_term(
    kind: AssetKind | str,
    previous_expires_on: date,
    renewed_on: date,
    months: int | None = None,
    *,
    lead_days: int = RENEWAL_LEAD_DAYS,
) -> PreservationTerm:
    """The renewal (续行) of a measure expiring on ``previous_expires_on``, made on ``renewed_on``: it starts the
    next day and lasts at most the same maximum. Refused after expiry — the measure has lapsed (查封规定
    第二十七条) and only a new measure can hold the asset."""
    if renewed_on > previous_expires_on:
        raise LegalError(
            f"the measure expired on {previous_expires_on} and lapsed; a renewal on {renewed_on} is too late",
            field="renewed_on",
        )
    return preservation_term(kind, previous_expires_on + timedelta(days=1), months, lead_days=lead_days)


# --- enforcement deadline and delay interest ---------------------------------------------------------------


def enforcement_application_deadline(performance_due: date, calendar: BusinessCalendar) -> Deadline:
    """C7: the last day to apply for enforcement — 2 years from the performance date (民诉法 第二百五十条),
    moved to the next business day (``limitation.enforcement_deadline``)."""
    return enforcement_deadline(performance_due, calendar)


#: 法释〔2014〕8号 第一条: 日万分之一点七五.
DAILY_DELAY_RATE: Final = Decimal("0.000175")


class DelayStart(StrEnum):
    """The first day of delay interest: the day the performance period expires (the text, 第二条) or the next
    day (some practice, [V-sec])."""

    EXPIRY_DAY = "expiry_day"
    NEXT_DAY = "next_day"


@dataclass(frozen=True, slots=True)
class DelayInterest:
    """The 加倍部分债务利息 through ``as_of``: the base, the first day, the days counted, what is still
    unpaid of the base, the exact and the rounded (fen, half up) amount."""

    base: Decimal
    first_day: date
    as_of: date
    days: int
    unpaid: Decimal
    exact: Decimal
    amount: Decimal


def _periods(suspended: Iterable[tuple[date, date]]) -> list[tuple[date, date]]:
    periods = sorted(suspended)
    for low, high in periods:
        if high < low:
            raise LegalError(f"a suspended period ends ({high}) before it starts ({low})", field="suspended")
    return periods


def _paid_by_day(payments: Iterable[tuple[date, Decimal]]) -> dict[date, Decimal]:
    paid: dict[date, Decimal] = {}
    for day, amount in payments:
        if not isinstance(amount, Decimal) or not amount.is_finite() or amount < 0:
            raise LegalError(
                f"a payment on {day} must be an amount of 0 or more, got {amount!r}", field="payments"
            )
        paid[day] = paid.get(day, ZERO) + amount
    return paid


def delay_interest(
    base: Decimal,
    performance_due: date,
    as_of: date,
    payments: Iterable[tuple[date, Decimal]] = (),
    *,
    start: DelayStart | str = DelayStart.EXPIRY_DAY,
    suspended: Iterable[tuple[date, date]] = (),
) -> DelayInterest:
    """法释〔2014〕8号: the doubled part of the interest for delayed performance of ``base`` (the money debt the
    judgment fixed, general interest excluded) due by ``performance_due``, through the end of ``as_of``.

    Each day from the first day (``start``) to ``as_of`` accrues 0.0175 % on what was unpaid of the base at the
    start of that day: a payment reduces the base from the day after it (第三条: interest runs to each payment
    day), payments go to the base first (第四条); a payment by the performance date (within the period) or
    before the first day of delay reduces the base before any accrual;
    days inside a ``suspended`` period (first, last inclusive) accrue nothing (第三条第三款)."""
    if not isinstance(base, Decimal) or not base.is_finite() or base < 0:
        raise LegalError(f"the base must be an amount of 0 or more, got {base!r}", field="base")
    try:
        first = performance_due + timedelta(days=0 if DelayStart(start) is DelayStart.EXPIRY_DAY else 1)
    except ValueError:
        raise LegalError(f"delay start must be expiry_day | next_day, got {start!r}", field="start") from None
    periods = _periods(suspended)
    paid = _paid_by_day(payments)
    unpaid = base
    for pay_day in [item for item in paid if item <= performance_due or item < first]:
        unpaid -= paid.pop(pay_day)  # paid within the period or before the first day of delay
    exact, days = Decimal(0), 0
    day = first
    while day <= as_of:
        if unpaid <= 0:
            break
        if not any(low <= day <= high for low, high in periods):
            exact += unpaid * DAILY_DELAY_RATE
            days += 1
        unpaid -= paid.get(day, ZERO)
        day += timedelta(days=1)
    # payments after the accrual stopped still reduce what is unpaid
    unpaid -= sum((amount for pay_day, amount in paid.items() if day <= pay_day <= as_of), ZERO)
    remaining = max(unpaid, ZERO).quantize(FEN)
    return DelayInterest(
        base=base,
        first_day=first,
        as_of=as_of,
        days=days,
        unpaid=remaining,
        exact=exact,
        amount=exact.quantize(FEN, rounding=ROUND_HALF_UP),
    )
