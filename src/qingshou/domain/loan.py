"""Loan terms and the facts of a loan's life: schedule, payments, charges, acceleration.

These are the inputs of the ledger replay (``qingshou.domain.ledger``). They are facts as recorded; the
derived state (allocations, accruals, arrears) is always recomputed from them (C5: allocations are derived
data, recomputable at any time from schedule + payments + events).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from qingshou.domain.errors import LedgerError
from qingshou.domain.policy import Component


class RepaymentMethod(StrEnum):
    """How the schedule is built from the terms."""

    EQUAL_INSTALLMENT = "equal_installment"  # 等额本息
    EQUAL_PRINCIPAL = "equal_principal"  # 等额本金
    INTEREST_ONLY = "interest_only"  # 先息后本
    BULLET = "bullet"  # 到期一次还本付息


class PaymentKind(StrEnum):
    """What a payment is (issue 5 plans, C5). Only ``cash`` is money received: collections, promises and
    limitation (C7) count cash alone. The non-cash kinds are the facts an arrangement leaves in the ledger:
    ``restructure`` closes a loan replaced by its successor, ``discount`` closes a loan settled for less,
    ``waiver`` forgives penalty / compound interest / fees (allocated only to the ``waives`` components)."""

    CASH = "cash"
    RESTRUCTURE = "restructure"
    DISCOUNT = "discount"
    WAIVER = "waiver"


#: The components a waiver may forgive (issue 5 plans: 减免 of penalty, compound interest and fees).
WAIVABLE: frozenset[Component] = frozenset({Component.FEES, Component.PENALTY, Component.COMPOUND})


class ChargeKind(StrEnum):
    """A charge posted on the loan after origination, by its place in the waterfall (C5)."""

    COST = "costs"  # 实现债权的费用: court, preservation, enforcement, lawyer fees
    FEE = "fees"  # fees and 违约金


@dataclass(frozen=True, slots=True)
class LoanTerms:
    """The contract: amount, rate, dates, term and method. ``accelerated_on`` calls the loan early."""

    loan_id: str
    product_id: str
    principal: Decimal
    annual_rate: Decimal
    disbursed_on: date
    term_months: int
    method: RepaymentMethod
    first_due_date: date | None = None
    accelerated_on: date | None = None
    borrower_id: str = ""

    def __post_init__(self) -> None:
        if self.principal <= 0:
            raise LedgerError(f"loan {self.loan_id}: principal must be positive", field="principal")
        if self.annual_rate < 0:
            raise LedgerError(f"loan {self.loan_id}: annual_rate must not be negative", field="annual_rate")
        if self.term_months < 1:
            raise LedgerError(f"loan {self.loan_id}: term_months must be at least 1", field="term_months")
        if self.first_due_date is not None and self.first_due_date <= self.disbursed_on:
            raise LedgerError(
                f"loan {self.loan_id}: first_due_date must be after disbursed_on", field="first_due_date"
            )
        if self.accelerated_on is not None and self.accelerated_on < self.disbursed_on:
            raise LedgerError(
                f"loan {self.loan_id}: accelerated_on is before disbursed_on", field="accelerated_on"
            )


@dataclass(frozen=True, slots=True)
class ScheduledInstallment:
    """One installment of the contractual schedule. Amounts in yuan at fen precision."""

    seq: int
    due_date: date
    principal_due: Decimal
    interest_due: Decimal
    fee_due: Decimal = Decimal("0.00")

    @property
    def total_due(self) -> Decimal:
        """Principal + interest + fee of the installment."""
        return self.principal_due + self.interest_due + self.fee_due


@dataclass(frozen=True, slots=True)
class Payment:
    """A payment valued on ``paid_on`` (end of that day, C1). ``payment_id`` is the external id.

    ``kind`` is cash (money received) or one of the non-cash kinds of an arrangement (``PaymentKind``);
    ``waives`` names the components a WAIVER forgives (a non-empty subset of ``WAIVABLE``; empty otherwise).
    """

    payment_id: str
    paid_on: date
    amount: Decimal
    kind: PaymentKind = PaymentKind.CASH
    waives: frozenset[Component] = frozenset()

    def __post_init__(self) -> None:
        if self.amount <= 0:
            raise LedgerError(f"payment {self.payment_id}: amount must be positive", field="amount")
        try:
            object.__setattr__(self, "kind", PaymentKind(self.kind))
            object.__setattr__(self, "waives", frozenset(Component(c) for c in self.waives))
        except ValueError as exc:
            raise LedgerError(f"payment {self.payment_id}: {exc}", field="kind") from exc
        if self.kind is PaymentKind.WAIVER:
            if not self.waives or not self.waives <= WAIVABLE:
                raise LedgerError(
                    f"payment {self.payment_id}: a waiver forgives some of fees, penalty, compound"
                    f" (got {', '.join(sorted(self.waives)) or 'nothing'})",
                    field="waives",
                )
        elif self.waives:
            raise LedgerError(
                f"payment {self.payment_id}: only a waiver names components to forgive", field="waives"
            )

    @property
    def is_cash(self) -> bool:
        """Whether the payment is money received (the only kind collections and limitation count)."""
        return self.kind is PaymentKind.CASH


@dataclass(frozen=True, slots=True)
class Charge:
    """A cost or fee posted on the loan after origination; due from ``posted_on``."""

    charge_id: str
    kind: ChargeKind
    posted_on: date
    amount: Decimal
    description: str = ""

    def __post_init__(self) -> None:
        if self.amount <= 0:
            raise LedgerError(f"charge {self.charge_id}: amount must be positive", field="amount")
