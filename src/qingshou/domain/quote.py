"""A loan's quote: the domain's whole view of one loan at the end of a day (C1–C7).

``quote_loan`` replays the ledger (allocation and accrual, C4/C5), measures delinquency (C2/C3), classifies
(C6) and dates the limitation period (C7). It is the reference every other computation of these numbers
(the EOD engine) must equal to the fen.

Definitions used in the quote (documented in docs/conventions.md):

- *overdue* amounts are those of installments whose (possibly accelerated) due date is on or before
  ``as_of`` and still unpaid at its end, plus every unpaid penalty, compound interest, fee and cost;
- ``payoff_amount`` settles the loan at the end of ``as_of``: total overdue + principal not yet due +
  contractual interest of the current period accrued pro rata by days (rounded half-up), less interest
  already paid on that installment and less unapplied credit, never below zero;
- every cash payment received on or after the limitation start interrupts limitation (a partial payment or
  account debit, SPC limitation rules art. 8, 14); a non-cash payment of an arrangement does not (the plan
  itself is recorded as an interruption, issue 5 plans).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from qingshou.domain.calendar import BusinessCalendar
from qingshou.domain.classification import (
    Classification,
    ManualDowngrade,
    Restructuring,
    classify,
)
from qingshou.domain.delinquency import DueItem, delinquency_on
from qingshou.domain.duedates import last_on_time_day
from qingshou.domain.ledger import InstallmentState, Ledger, replay
from qingshou.domain.limitation import Interruption, LimitationExpiry, limitation_expiry
from qingshou.domain.loan import Charge, ChargeKind, LoanTerms, Payment, ScheduledInstallment
from qingshou.domain.money import EXACT_CONTEXT, ZERO, Rounding, to_fen
from qingshou.domain.policy import LoanClass, ProductPolicy

#: Interruption kind recorded for a payment received after the limitation period started.
PAYMENT_INTERRUPTION = "partial_payment"


@dataclass(frozen=True, slots=True)
class InstallmentQuote:
    """One installment as the quote shows it."""

    seq: int
    due_date: date
    principal_due: Decimal
    interest_due: Decimal
    principal_paid: Decimal
    interest_paid: Decimal
    penalty_accrued: Decimal
    penalty_paid: Decimal
    compound_accrued: Decimal
    compound_paid: Decimal
    status: str


@dataclass(frozen=True, slots=True)
class Quote:
    """The loan at the end of ``as_of``; amounts in yuan at fen precision."""

    loan_id: str
    as_of: date
    dpd: int
    delinquent: bool
    bucket: str
    classification: LoanClass
    stage: int
    overdue_principal: Decimal
    overdue_interest: Decimal
    penalty_interest: Decimal
    compound_interest: Decimal
    fees: Decimal
    costs: Decimal
    total_overdue: Decimal
    outstanding_principal: Decimal
    payoff_amount: Decimal
    unapplied_credit: Decimal
    limitation: LimitationExpiry
    installments: tuple[InstallmentQuote, ...]
    classification_reasons: tuple[str, ...] = ()


def quote_loan(
    terms: LoanTerms,
    schedule: Sequence[ScheduledInstallment],
    payments: Iterable[Payment],
    charges: Iterable[Charge],
    policy: ProductPolicy,
    calendar: BusinessCalendar,
    as_of: date,
    *,
    restructurings: Sequence[Restructuring] = (),
    manual: Sequence[ManualDowngrade] = (),
    interruptions: Sequence[Interruption] = (),
) -> Quote:
    """The domain's view of one loan at the end of ``as_of``."""
    payment_list = tuple(payments)
    ledger = replay(terms, schedule, payment_list, charges, policy, calendar, as_of)
    items = due_items(ledger)
    state = delinquency_on(items, as_of, policy, calendar)
    classification: Classification = classify(
        items, as_of, policy, calendar, restructurings=restructurings, manual=manual
    )
    limitation = limitation_expiry(
        max(row.due_date for row in schedule),
        terms.accelerated_on if terms.accelerated_on and terms.accelerated_on <= as_of else None,
        (*(item for item in interruptions if item.on <= as_of), *payment_interruptions(payment_list, as_of)),
        calendar,
    )
    amounts = overdue_amounts(ledger)
    return Quote(
        loan_id=terms.loan_id,
        as_of=as_of,
        dpd=state.dpd,
        delinquent=state.delinquent,
        bucket=state.bucket,
        classification=classification.loan_class,
        stage=classification.stage,
        overdue_principal=amounts.principal,
        overdue_interest=amounts.interest,
        penalty_interest=amounts.penalty,
        compound_interest=amounts.compound,
        fees=amounts.fees,
        costs=amounts.costs,
        total_overdue=amounts.total,
        outstanding_principal=sum((row.principal_unpaid for row in ledger.installments), ZERO),
        payoff_amount=payoff_amount(ledger, terms, amounts.total),
        unapplied_credit=ledger.unapplied_credit,
        limitation=limitation,
        installments=tuple(installment_quote(row, as_of, policy, calendar) for row in ledger.installments),
        classification_reasons=classification.reasons,
    )


def due_items(ledger: Ledger) -> tuple[DueItem, ...]:
    """The delinquency timeline of a replayed ledger: due dates and the days they were settled."""
    return tuple(DueItem(row.seq, row.due_date, row.settled_on) for row in ledger.installments)


def payment_interruptions(payments: Iterable[Payment], as_of: date) -> tuple[Interruption, ...]:
    """Cash payments received by ``as_of`` as limitation interruptions (the payment is its own evidence)."""
    return tuple(
        Interruption(p.paid_on, PAYMENT_INTERRUPTION, f"payment {p.payment_id}")
        for p in payments
        if p.paid_on <= as_of and p.is_cash
    )


@dataclass(frozen=True, slots=True)
class OverdueAmounts:
    """The unpaid amounts that are due at the end of the day, by component."""

    principal: Decimal
    interest: Decimal
    penalty: Decimal
    compound: Decimal
    fees: Decimal
    costs: Decimal

    @property
    def total(self) -> Decimal:
        """Everything due and unpaid."""
        return self.principal + self.interest + self.penalty + self.compound + self.fees + self.costs


def overdue_amounts(ledger: Ledger) -> OverdueAmounts:
    """Sum the due-and-unpaid components of a ledger at its ``as_of``."""
    due = [row for row in ledger.installments if row.due_date <= ledger.as_of]
    charge_fees = sum((c.unpaid for c in ledger.charges if c.kind is ChargeKind.FEE), ZERO)
    return OverdueAmounts(
        principal=sum((row.principal_unpaid for row in due), ZERO),
        interest=sum((row.interest_unpaid for row in due), ZERO),
        penalty=sum((row.penalty_unpaid for row in ledger.installments), ZERO),
        compound=sum((row.compound_unpaid for row in ledger.installments), ZERO),
        fees=sum((row.fee_unpaid for row in due), ZERO) + charge_fees,
        costs=sum((c.unpaid for c in ledger.charges if c.kind is ChargeKind.COST), ZERO),
    )


def payoff_amount(ledger: Ledger, terms: LoanTerms, total_overdue: Decimal) -> Decimal:
    """What settles the loan at the end of ``as_of`` (see the module docstring)."""
    undue = [row for row in ledger.installments if row.due_date > ledger.as_of]
    undue_principal = sum((row.principal_unpaid for row in undue), ZERO)
    accrued = ZERO
    if undue:
        current = undue[0]
        earlier = [row.due_date for row in ledger.installments if row.due_date < current.due_date]
        start = max(earlier) if earlier else terms.disbursed_on
        elapsed = max((ledger.as_of - start).days, 0)
        length = (current.due_date - start).days
        share = EXACT_CONTEXT.divide(current.interest_due * elapsed, Decimal(length))
        accrued = max(to_fen(share, Rounding.HALF_UP) - current.interest_paid, ZERO)
    return max(total_overdue + undue_principal + accrued - ledger.unapplied_credit, ZERO)


def installment_quote(
    row: InstallmentState, as_of: date, policy: ProductPolicy, calendar: BusinessCalendar
) -> InstallmentQuote:
    """The quote line of one installment with its status."""
    return InstallmentQuote(
        seq=row.seq,
        due_date=row.due_date,
        principal_due=row.principal_due,
        interest_due=row.interest_due,
        principal_paid=row.principal_paid,
        interest_paid=row.interest_paid,
        penalty_accrued=row.penalty_accrued,
        penalty_paid=row.penalty_paid,
        compound_accrued=row.compound_accrued,
        compound_paid=row.compound_paid,
        status=installment_status(row, as_of, policy, calendar),
    )


def installment_status(
    row: InstallmentState, as_of: date, policy: ProductPolicy, calendar: BusinessCalendar
) -> str:
    """not_due | prepaid | due | overdue | partially_paid | paid | paid_late | penalty_due."""
    if row.settled_on is not None:
        if row.penalty_unpaid + row.compound_unpaid > ZERO:
            return "penalty_due"
        if row.due_date > as_of:
            return "prepaid"
        on_time = row.settled_on <= last_on_time_day(row.due_date, policy, calendar)
        return "paid" if on_time else "paid_late"
    if row.due_date > as_of:
        return "not_due"
    if as_of <= last_on_time_day(row.due_date, policy, calendar):
        return "due"
    paid_something = row.principal_paid + row.interest_paid + row.fee_paid > ZERO
    return "partially_paid" if paid_something else "overdue"
