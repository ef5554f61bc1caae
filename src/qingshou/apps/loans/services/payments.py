"""Posting a payment: store it once, replay the loan, rewrite its derived allocations (C5).

One use case, one transaction. The external payment id is the idempotency key: the same id with the same
loan, date and amount is a no-op that says so; the same id with different data is refused. A payment
valued on an earlier day than payments already posted (backdated) is handled by the replay itself:
allocations are derived data, recomputed for the whole loan from the facts every time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction

from qingshou import clock
from qingshou.apps.loans import models
from qingshou.apps.loans.errors import FutureDate, NotFound, PaymentConflict
from qingshou.apps.loans.selectors import business_calendar, loan_facts
from qingshou.domain.ledger import Allocation, Ledger, replay
from qingshou.domain.loan import Payment
from qingshou.domain.money import fen, from_fen


@dataclass(frozen=True, slots=True)
class PostedPayment:
    """The outcome of posting: whether it was new, and how this payment was applied."""

    payment_id: str
    loan_id: str
    paid_on: date
    amount: Decimal
    created: bool
    allocations: tuple[Allocation, ...]
    unapplied_credit: Decimal


def post_payment(
    loan_id: str,
    payment_id: str,
    amount: Decimal,
    paid_on: date,
    *,
    channel: str = "",
    source: str = models.Payment.Source.CLI,
) -> PostedPayment:
    """Post money received for ``loan_id``; the same ``payment_id`` twice changes nothing (C5)."""
    payment = Payment(payment_id=payment_id.strip(), paid_on=paid_on, amount=amount)
    today = clock.today()
    if paid_on > today:
        raise FutureDate(f"paid_on {paid_on} is after today ({today})", field="paid_on")
    with transaction.atomic():
        loan = models.Loan.objects.select_for_update().filter(loan_id=loan_id).first()
        if loan is None:
            raise NotFound(f"no loan {loan_id!r}", field="loan")
        stored = models.Payment.objects.filter(payment_id=payment.payment_id).first()
        if stored is not None:
            _check_same(stored, loan_id, payment)
            return _outcome(payment, _replay(loan_id, max(today, paid_on)), created=False)
        models.Payment.objects.create(
            payment_id=payment.payment_id,
            loan=loan,
            paid_on=paid_on,
            amount_fen=fen(amount),
            channel=channel,
            source=source,
        )
        ledger = _replay(loan_id, max(today, paid_on))
        _store_allocations(loan, ledger)
    return _outcome(payment, ledger, created=True)


def _check_same(stored: models.Payment, loan_id: str, payment: Payment) -> None:
    same = (
        stored.loan_id == loan_id
        and stored.paid_on == payment.paid_on
        and stored.amount_fen == fen(payment.amount)
    )
    if not same:
        raise PaymentConflict(
            f"payment {payment.payment_id} is already stored for loan {stored.loan_id} on {stored.paid_on}"
            f" for {from_fen(stored.amount_fen)}; an external id cannot be reused",
            field="payment_id",
        )


def _replay(loan_id: str, as_of: date) -> Ledger:
    facts = loan_facts(loan_id)
    return replay(
        facts.terms, facts.schedule, facts.payments, facts.charges, facts.policy, business_calendar(), as_of
    )


def refresh_allocations(loan: models.Loan, as_of: date) -> Ledger:
    """Replay ``loan`` to the end of ``as_of`` and rewrite its stored allocations (inside the caller's
    transaction); the arrangement services call this after posting their non-cash payments."""
    ledger = _replay(loan.loan_id, as_of)
    _store_allocations(loan, ledger)
    return ledger


def _store_allocations(loan: models.Loan, ledger: Ledger) -> None:
    """Replace the loan's derived allocations with the replay's."""
    models.Allocation.objects.filter(loan=loan).delete()
    models.Allocation.objects.bulk_create(
        models.Allocation(
            loan=loan,
            payment_id=row.payment_id,
            value_date=row.value_date,
            seq=row.seq,
            charge_id=row.charge_id,
            component=row.component.value,
            amount_fen=fen(row.amount),
        )
        for row in ledger.allocations
    )


def _outcome(payment: Payment, ledger: Ledger, *, created: bool) -> PostedPayment:
    """How this payment is applied in the loan's replayed ledger, and the loan's unapplied credit."""
    return PostedPayment(
        payment_id=payment.payment_id,
        loan_id=ledger.loan_id,
        paid_on=payment.paid_on,
        amount=payment.amount,
        created=created,
        allocations=tuple(row for row in ledger.allocations if row.payment_id == payment.payment_id),
        unapplied_credit=ledger.unapplied_credit,
    )
