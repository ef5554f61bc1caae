"""Write-off (核销) of a loan: eligibility on its grounds, the amounts written off and what stays tracked
off-balance (账销案存), and the recovery after write-off.

**Grounds.** A loan qualifies when at least one ENABLED ground is met on the as-of day; the grounds and their
thresholds are configuration (``WriteOffRules``), because each institution writes its own rules under
《金融企业呆账核销管理办法》(财金〔2017〕90号, and its later revisions) and its regulator's guidance; the
defaults below are house defaults, not quotations of that text:

| ground | met when |
| --- | --- |
| ``loss_class`` | the loan's five-category class is 损失 (C6) |
| ``enforcement_terminated`` | enforcement ended without recovery (终结本次执行 / 终结执行, a court ruling the proposer cites) and the loan is at least ``enforcement_dpd`` days past due (default 180) |
| ``debtor_deceased`` | the debtor died or was declared dead / missing (the estate did not pay) |
| ``debtor_bankrupt`` | the debtor was declared bankrupt, dissolved or closed (the liquidation did not pay) |
| ``limitation_expired`` | the limitation period (C7) expired before the as-of day |
| ``small_balance`` | outstanding principal at most ``small_balance_cap`` yuan and at least ``small_balance_dpd`` days past due (disabled unless a cap is configured) |

Nothing is eligible without an on-balance amount left to write off. The answer lists the grounds met, or — when
none is — why each enabled ground is not met.

**Amounts.** The on-balance claim is written off: outstanding principal + unpaid contractual interest (the
interest receivable). Penalty and compound interest (C4), fees and costs of enforcement are not written off:
they stay owed and tracked off-balance (表外), and collection goes on for everything (账销案存 — the loan stays in
the book, the debtor still owes it all).

**Recovery after write-off**: cash paid on the loan AFTER the write-off day (a payment on that day is already
in the amounts of the day's end, C1); non-cash kinds (waivers, discounts, restructuring) recover nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Final

from qingshou.domain.errors import DomainError
from qingshou.domain.policy import LoanClass

ZERO: Final = Decimal("0.00")


class WriteOffError(DomainError):
    """A write-off rule refused the request, or its configuration is invalid."""

    code = "writeoff_refused"


class Ground(StrEnum):
    """A ground on which a loan may be written off (module docstring)."""

    LOSS_CLASS = "loss_class"
    ENFORCEMENT_TERMINATED = "enforcement_terminated"
    DEBTOR_DECEASED = "debtor_deceased"
    DEBTOR_BANKRUPT = "debtor_bankrupt"
    LIMITATION_EXPIRED = "limitation_expired"
    SMALL_BALANCE = "small_balance"


@dataclass(frozen=True, slots=True)
class WriteOffRules:
    """Which grounds are enabled and their thresholds (module docstring)."""

    grounds: frozenset[Ground] = frozenset(Ground)
    enforcement_dpd: int = 180
    small_balance_cap: Decimal | None = None
    small_balance_dpd: int = 180

    @property
    def enabled(self) -> tuple[Ground, ...]:
        """The enabled grounds in the order of ``Ground`` (the small-balance ground only with a cap)."""
        return tuple(
            ground
            for ground in Ground
            if ground in self.grounds
            and (ground is not Ground.SMALL_BALANCE or self.small_balance_cap is not None)
        )


def _days(raw: Mapping[str, object], name: str, default: int) -> int:
    value = raw.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise WriteOffError(
            f"write-off rule {name} must be a whole number of days, not {value!r}", field=name
        )
    try:
        number = int(value)
    except ValueError:
        raise WriteOffError(
            f"write-off rule {name} must be a whole number of days, not {value!r}", field=name
        ) from None
    if number < 0:
        raise WriteOffError(f"write-off rule {name} must not be negative, not {number}", field=name)
    return number


def parse_rules(raw: Mapping[str, object]) -> WriteOffRules:
    """``QINGSHOU_WRITEOFF_RULES`` validated: ``grounds`` (names), ``enforcement_dpd``, ``small_balance_cap``
    (yuan as a string or integer, never a float; empty: the ground is off), ``small_balance_dpd``. Unknown keys
    and unknown ground names are errors naming them."""
    known = {"grounds", "enforcement_dpd", "small_balance_cap", "small_balance_dpd"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise WriteOffError(f"unknown write-off rule settings: {', '.join(unknown)}", field=unknown[0])
    names = raw.get("grounds", [ground.value for ground in Ground])
    if isinstance(names, str) or not isinstance(names, Iterable):
        raise WriteOffError("write-off rule grounds must be a list of ground names", field="grounds")
    grounds: set[Ground] = set()
    for name in names:
        try:
            grounds.add(Ground(str(name)))
        except ValueError:
            allowed = " | ".join(ground.value for ground in Ground)
            raise WriteOffError(
                f"unknown write-off ground {name!r} (one of {allowed})", field="grounds"
            ) from None
    cap_raw = raw.get("small_balance_cap")
    cap: Decimal | None = None
    if cap_raw is not None and cap_raw != "":
        if isinstance(cap_raw, bool) or not isinstance(cap_raw, int | str):
            raise WriteOffError(
                f"small_balance_cap must be yuan as a string or an integer, not {cap_raw!r}",
                field="small_balance_cap",
            )
        try:
            cap = Decimal(str(cap_raw).replace(",", "").strip())
        except InvalidOperation:
            raise WriteOffError(
                f"small_balance_cap is not an amount: {cap_raw!r}", field="small_balance_cap"
            ) from None
        if not cap.is_finite() or cap < 0 or cap != cap.quantize(Decimal("0.01")):
            raise WriteOffError(
                f"small_balance_cap must be a non-negative amount with at most 2 decimals, not {cap_raw!r}",
                field="small_balance_cap",
            )
    return WriteOffRules(
        grounds=frozenset(grounds),
        enforcement_dpd=_days(raw, "enforcement_dpd", 180),
        small_balance_cap=cap,
        small_balance_dpd=_days(raw, "small_balance_dpd", 180),
    )


@dataclass(frozen=True, slots=True)
class WriteOffFacts:
    """What eligibility reads about one loan at the end of a day (yuan amounts)."""

    loan_id: str
    loan_class: LoanClass
    dpd: int
    outstanding_principal: Decimal
    overdue_interest: Decimal
    limitation_expires_on: date | None = None
    debtor_deceased: bool = False
    debtor_bankrupt: bool = False
    enforcement_terminated: bool = False


@dataclass(frozen=True, slots=True)
class Eligibility:
    """The grounds met (eligible when any), or the reasons each enabled ground is not met."""

    loan_id: str
    as_of: date
    grounds: tuple[Ground, ...]
    refusals: tuple[str, ...] = field(default=())

    @property
    def eligible(self) -> bool:
        """Whether the loan may be proposed for write-off."""
        return bool(self.grounds)


_CLASS_NAMES: Final = {
    LoanClass.NORMAL: "正常 normal",
    LoanClass.SPECIAL_MENTION: "关注 special mention",
    LoanClass.SUBSTANDARD: "次级 substandard",
    LoanClass.DOUBTFUL: "可疑 doubtful",
    LoanClass.LOSS: "损失 loss",
}


def _loss_class(facts: WriteOffFacts, _as_of: date, _rules: WriteOffRules) -> str | None:
    if facts.loan_class is LoanClass.LOSS:
        return None
    return f"loss_class: the loan is classified {_CLASS_NAMES[facts.loan_class]}, not 损失 loss"


def _enforcement_terminated(facts: WriteOffFacts, _as_of: date, rules: WriteOffRules) -> str | None:
    if not facts.enforcement_terminated:
        return "enforcement_terminated: no ruling ending enforcement without recovery (终本) is on record"
    if facts.dpd < rules.enforcement_dpd:
        return f"enforcement_terminated: {facts.dpd} days past due, below {rules.enforcement_dpd}"
    return None


def _debtor_deceased(facts: WriteOffFacts, _as_of: date, _rules: WriteOffRules) -> str | None:
    return None if facts.debtor_deceased else "debtor_deceased: the debtor is not recorded as deceased"


def _debtor_bankrupt(facts: WriteOffFacts, _as_of: date, _rules: WriteOffRules) -> str | None:
    return None if facts.debtor_bankrupt else "debtor_bankrupt: the debtor is not recorded as bankrupt"


def _limitation_expired(facts: WriteOffFacts, as_of: date, _rules: WriteOffRules) -> str | None:
    expires = facts.limitation_expires_on
    if expires is not None and expires < as_of:
        return None
    shown = expires.isoformat() if expires is not None else "unknown"
    return f"limitation_expired: the limitation period runs until {shown}"


def _small_balance(facts: WriteOffFacts, _as_of: date, rules: WriteOffRules) -> str | None:
    cap = rules.small_balance_cap
    if cap is None:
        return "small_balance: no cap configured"
    if facts.outstanding_principal > cap:
        return f"small_balance: outstanding principal {facts.outstanding_principal:.2f} is above {cap:.2f}"
    if facts.dpd < rules.small_balance_dpd:
        return f"small_balance: {facts.dpd} days past due, below {rules.small_balance_dpd}"
    return None


#: Each ground's check: why it is not met (None: it is).
_CHECKS: Final[Mapping[Ground, Callable[[WriteOffFacts, date, WriteOffRules], str | None]]] = {
    Ground.LOSS_CLASS: _loss_class,
    Ground.ENFORCEMENT_TERMINATED: _enforcement_terminated,
    Ground.DEBTOR_DECEASED: _debtor_deceased,
    Ground.DEBTOR_BANKRUPT: _debtor_bankrupt,
    Ground.LIMITATION_EXPIRED: _limitation_expired,
    Ground.SMALL_BALANCE: _small_balance,
}


def eligibility(facts: WriteOffFacts, as_of: date, rules: WriteOffRules) -> Eligibility:
    """The write-off eligibility of one loan at the end of ``as_of`` (module docstring)."""
    if facts.outstanding_principal + facts.overdue_interest <= 0:
        return Eligibility(facts.loan_id, as_of, (), ("nothing on balance to write off",))
    met: list[Ground] = []
    refusals: list[str] = []
    for ground in rules.enabled:
        reason = _CHECKS[ground](facts, as_of, rules)
        if reason is None:
            met.append(ground)
        else:
            refusals.append(reason)
    if not rules.enabled:
        refusals.append("no write-off ground is enabled")
    return Eligibility(facts.loan_id, as_of, tuple(met), () if met else tuple(refusals))


@dataclass(frozen=True, slots=True)
class WriteOffAmounts:
    """What a write-off takes off the balance sheet and what stays tracked off-balance (yuan)."""

    principal: Decimal
    interest: Decimal
    penalty: Decimal
    compound: Decimal
    fees: Decimal
    costs: Decimal

    @property
    def written_off(self) -> Decimal:
        """On-balance principal + interest receivable: the amount written off."""
        return self.principal + self.interest

    @property
    def off_balance(self) -> Decimal:
        """Penalty, compound interest, fees and costs: still owed, tracked off-balance."""
        return self.penalty + self.compound + self.fees + self.costs

    @property
    def total_claim(self) -> Decimal:
        """Everything the debtor still owes (collection goes on for all of it)."""
        return self.written_off + self.off_balance


def writeoff_amounts(
    outstanding_principal: Decimal,
    overdue_interest: Decimal,
    penalty: Decimal,
    compound: Decimal,
    fees: Decimal = ZERO,
    costs: Decimal = ZERO,
) -> WriteOffAmounts:
    """The amounts of a write-off from the loan's quote at the end of the write-off day; a negative amount
    is an error naming the component."""
    named = {
        "principal": outstanding_principal,
        "interest": overdue_interest,
        "penalty": penalty,
        "compound": compound,
        "fees": fees,
        "costs": costs,
    }
    for name, amount in named.items():
        if amount < 0:
            raise WriteOffError(f"the {name} of a write-off cannot be negative: {amount}", field=name)
    return WriteOffAmounts(outstanding_principal, overdue_interest, penalty, compound, fees, costs)


@dataclass(frozen=True, slots=True)
class PaymentFact:
    """A payment as recovery reads it: day, amount (yuan) and kind (``cash`` or a non-cash kind)."""

    paid_on: date
    amount: Decimal
    kind: str = "cash"


def recovered_after(payments: Iterable[PaymentFact], written_off_on: date) -> Decimal:
    """Cash paid after the write-off day (module docstring)."""
    return sum(
        (item.amount for item in payments if item.kind == "cash" and item.paid_on > written_off_on),
        ZERO,
    )


def month_of(day: date) -> str:
    """``YYYY-MM``."""
    return f"{day.year:04d}-{day.month:02d}"


def parse_month(text: str) -> tuple[date, date]:
    """``YYYY-MM`` → (first day, last day) of the month; anything else is an error naming the value."""
    parts = text.strip().split("-")
    if len(parts) != 2 or not all(part.isdigit() for part in parts) or len(parts[0]) != 4:
        raise WriteOffError(f"month must be YYYY-MM, not {text!r}", field="month")
    year, month = int(parts[0]), int(parts[1])
    if not 1 <= month <= 12:
        raise WriteOffError(f"month must be YYYY-MM, not {text!r}", field="month")
    first = date(year, month, 1)
    last = date(year + (month == 12), month % 12 + 1, 1).toordinal() - 1
    return first, date.fromordinal(last)


def recoveries_by_month(payments: Iterable[PaymentFact], written_off_on: date) -> dict[str, Decimal]:
    """Cash recovered after the write-off day, by month of payment (``YYYY-MM`` → yuan), months in order."""
    months: dict[str, Decimal] = {}
    for item in sorted(payments, key=lambda payment: payment.paid_on):
        if item.kind == "cash" and item.paid_on > written_off_on:
            key = month_of(item.paid_on)
            months[key] = months.get(key, ZERO) + item.amount
    return months
