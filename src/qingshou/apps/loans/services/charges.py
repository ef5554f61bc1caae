"""Charges and acceleration posted on a loan by later workflows (issue 6: legal costs, 宣布提前到期).

* ``post_charge``: store a cost (实现债权的费用: court, preservation, enforcement, lawyer fees — first in the
  waterfall, C5) or a fee on the loan, once: the ``charge_id`` is the idempotency key (the same id with the
  same loan, kind, day and amount is a no-op that says so; with different data it is refused). The loan's
  allocations are then replayed and rewritten, exactly as ``payments.post_payment`` does — a charge posted
  on an earlier day re-allocates every payment after it.
* ``accelerate``: call the loan early (宣布提前到期, C7: the limitation start moves to the day after) on
  ``on`` with a reason, like the arrangements' ``_call_early``; the same day again is a no-op, a later day
  moves it earlier, a loan already called earlier is refused (the earlier call stands). Allocations are
  refreshed (an acceleration makes every installment due).

One transaction each, the loan row locked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction

from qingshou import clock
from qingshou.apps.loans import models
from qingshou.apps.loans.errors import FutureDate, LoanNotFound, PaymentConflict
from qingshou.apps.loans.services.payments import refresh_allocations
from qingshou.domain.errors import DomainError
from qingshou.domain.loan import ChargeKind
from qingshou.domain.money import fen, from_fen

__all__ = ["AccelerationRefused", "PostedCharge", "accelerate", "post_charge"]


class AccelerationRefused(DomainError):
    """The loan cannot be called early on that day (already called earlier, or before disbursement)."""

    code = "acceleration_refused"


@dataclass(frozen=True, slots=True)
class PostedCharge:
    """The outcome of posting a charge: whether it was new."""

    charge_id: str
    loan_id: str
    kind: ChargeKind
    posted_on: date
    amount: Decimal
    created: bool


def _locked(loan_id: str) -> models.Loan:
    loan = models.Loan.objects.select_for_update().filter(loan_id=loan_id).first()
    if loan is None:
        raise LoanNotFound(f"no loan {loan_id!r}", field="loan_id")
    return loan


def _not_future(day: date, field: str) -> date:
    today = clock.today()
    if day > today:
        raise FutureDate(f"{field} {day} is after today ({today})", field=field)
    return today


def post_charge(
    loan_id: str,
    charge_id: str,
    kind: ChargeKind | str,
    amount: Decimal,
    posted_on: date,
    *,
    description: str = "",
) -> PostedCharge:
    """Post a charge of ``amount`` yuan on ``loan_id`` (module docstring); idempotent by ``charge_id``."""
    key = charge_id.strip()
    charge_kind = ChargeKind(kind)
    if not key or len(key) > models.ID_LENGTH:
        raise PaymentConflict(
            f"charge id {charge_id!r} must be non-empty and at most {models.ID_LENGTH} characters",
            field="charge_id",
        )
    amount_fen = fen(amount)
    if amount_fen <= 0:
        raise PaymentConflict(f"a charge must be more than 0, got {amount}", field="amount")
    today = _not_future(posted_on, "posted_on")
    with transaction.atomic():
        loan = _locked(loan_id)
        if posted_on < loan.disbursed_on:
            raise PaymentConflict(
                f"posted_on {posted_on} is before the loan's disbursement ({loan.disbursed_on})",
                field="posted_on",
            )
        stored = models.Charge.objects.filter(charge_id=key).first()
        if stored is not None:
            same = (
                stored.loan_id == loan_id
                and stored.kind == charge_kind.value
                and stored.posted_on == posted_on
                and stored.amount_fen == amount_fen
            )
            if not same:
                raise PaymentConflict(
                    f"charge {key} is already stored for loan {stored.loan_id} on {stored.posted_on} "
                    f"({stored.kind}, {from_fen(stored.amount_fen)}); a charge id cannot be reused",
                    field="charge_id",
                )
            return PostedCharge(key, loan_id, charge_kind, posted_on, from_fen(amount_fen), created=False)
        models.Charge.objects.create(
            charge_id=key,
            loan=loan,
            kind=charge_kind.value,
            posted_on=posted_on,
            amount_fen=amount_fen,
            description=description[:500],
        )
        refresh_allocations(loan, max(today, posted_on))
    return PostedCharge(key, loan_id, charge_kind, posted_on, from_fen(amount_fen), created=True)


def accelerate(loan_id: str, on: date, reason: str) -> bool:
    """Call ``loan_id`` early on ``on`` for ``reason`` (a ``Loan.AccelerationReason``); returns whether the
    loan changed (module docstring)."""
    try:
        why = models.Loan.AccelerationReason(reason)
    except ValueError:
        raise AccelerationRefused(f"unknown acceleration reason {reason!r}", field="reason") from None
    if why == models.Loan.AccelerationReason.NONE:
        raise AccelerationRefused("an acceleration needs its reason", field="reason")
    today = _not_future(on, "on")
    with transaction.atomic():
        loan = _locked(loan_id)
        if on < loan.disbursed_on:
            raise AccelerationRefused(
                f"the loan was disbursed on {loan.disbursed_on}; it cannot be called early on {on}",
                field="on",
            )
        if loan.accelerated_on is not None and loan.accelerated_on < on:
            raise AccelerationRefused(
                f"loan {loan_id} was already called early on {loan.accelerated_on}"
                f" ({loan.acceleration_reason or 'no reason'})",
                field="on",
            )
        if loan.accelerated_on == on:
            return False
        loan.accelerated_on = on
        loan.acceleration_reason = why.value
        loan.save(update_fields=["accelerated_on", "acceleration_reason"])
        refresh_allocations(loan, max(today, on))
    return True
