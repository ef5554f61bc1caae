"""Arrangements posted to the ledger (issue 5): plans as successor loans, settlements, waivers (C4–C7).

Each use case is one transaction over the loan (locked), audited by the caller (``apps.arrangements``), and
idempotent by ``reference``: the facts it writes carry the reference (payment ids ``<reference>:<kind>``,
the plan's interruption source = the reference), so the same reference twice returns the first result and
writes nothing, and a different request under a used reference is refused (``ArrangementError``, field
``reference``). The rules are the domain's (``qingshou.domain.arrangements``):

* ``restructure``: the original is called early on R (reason ``restructuring``; an earlier call is kept),
  closed by a ``restructure`` payment of its payoff at the end of R (after that day's cash); the successor
  ``<loan_id>-R<n>`` is stored with its schedule, ``restructured_on`` = R and the original's class at the
  end of R (C6); a ``repayment_plan`` limitation interruption on the original on R (C7);
* ``settle``: the loan is called early on S (reason ``settlement``) and a ``discount`` payment of what
  remains of the payoff at the end of S closes it;
* ``waive``: one ``waiver`` payment per component on W, each at most what was unpaid of it at the end of
  W − 1 (``check_waiver``).

After each, the loan's stored allocations are rewritten from the replay, as ``post_payment`` does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Final

from django.db import transaction
from django.db.models import Sum

from qingshou import clock
from qingshou.apps.loans import models
from qingshou.apps.loans.errors import FutureDate, LoanNotFound
from qingshou.apps.loans.selectors import LoanFacts, business_calendar, loan_facts, quote_facts
from qingshou.apps.loans.services.payments import refresh_allocations
from qingshou.domain.arrangements import (
    ArrangementError,
    PlanOutcome,
    PlanTerms,
    check_waiver,
    propose_plan,
)
from qingshou.domain.loan import PaymentKind
from qingshou.domain.money import ZERO, fen, from_fen
from qingshou.domain.policy import Component
from qingshou.domain.quote import Quote

__all__ = [
    "ArrangementError",
    "LoanNotFound",
    "cash_paid",
    "preview_plan",
    "restructure",
    "settle",
    "waive",
]

#: The limitation interruption a plan records on the original (C7: the debtor's agreement to perform).
PLAN_INTERRUPTION: Final = "repayment_plan"
_Reason = models.Loan.AccelerationReason


def preview_plan(loan_id: str, plan: PlanTerms) -> PlanOutcome:
    """What ``plan`` would make of ``loan_id`` on its effective day (no writes)."""
    facts = loan_facts(loan_id)
    successor = _successor_id(loan_id)
    return propose_plan(
        facts.terms, closing_quote(facts, plan.effective_on), plan, successor, schedule=facts.schedule
    )


def restructure(loan_id: str, plan: PlanTerms, *, reference: str) -> str:
    """Close ``loan_id`` on R by the plan and store its successor loan; returns the successor's id."""
    day = plan.effective_on
    payment_id = _payment_id(reference, PaymentKind.RESTRUCTURE)
    request = _plan_request(loan_id, plan)
    _not_future(day)
    with transaction.atomic():
        loan = _locked(loan_id)
        stored = models.Payment.objects.filter(payment_id=payment_id).first()
        if stored is not None:
            return _same_plan(stored, reference, request)
        _refuse_used(reference)
        facts = loan_facts(loan_id)
        if any(p.kind is PaymentKind.RESTRUCTURE for p in facts.payments):
            raise ArrangementError(f"loan {loan_id} is already restructured", field="loan_id")
        quote = closing_quote(facts, day)
        outcome = propose_plan(facts.terms, quote, plan, _successor_id(loan_id), schedule=facts.schedule)
        _call_early(loan, day, _Reason.RESTRUCTURING)
        _post(loan, payment_id, day, quote.payoff_amount, PaymentKind.RESTRUCTURE)
        _store_successor(loan, outcome, quote, {**request, "reference": reference})
        models.LimitationInterruption.objects.create(
            loan=loan,
            on=day,
            kind=PLAN_INTERRUPTION,
            evidence=f"repayment plan {reference}: successor loan {outcome.terms.loan_id}",
            source=reference,
        )
        refresh_allocations(loan, max(clock.today(), day))
    return outcome.terms.loan_id


def settle(loan_id: str, on: date, *, reference: str) -> Decimal:
    """Close ``loan_id`` on ``on`` by a ``discount`` of what remains of its payoff; returns the discount."""
    payment_id = _payment_id(reference, PaymentKind.DISCOUNT)
    _not_future(on)
    with transaction.atomic():
        loan = _locked(loan_id)
        stored = models.Payment.objects.filter(payment_id=payment_id).first()
        if stored is not None:
            _same_payment(stored, loan_id, on, reference)
            return from_fen(stored.amount_fen)
        _refuse_used(reference)
        facts = loan_facts(loan_id)
        remaining = closing_quote(facts, on).payoff_amount
        if remaining <= ZERO:
            raise ArrangementError(f"loan {loan_id}: nothing remains to settle on {on}", field="on")
        _call_early(loan, on, _Reason.SETTLEMENT)
        _post(loan, payment_id, on, remaining, PaymentKind.DISCOUNT)
        refresh_allocations(loan, max(clock.today(), on))
    return remaining


def waive(loan_id: str, on: date, amounts: Mapping[Component, Decimal], *, reference: str) -> Decimal:
    """Waive ``amounts`` of fees / penalty / compound of ``loan_id`` on ``on``; returns the total."""
    ids = {component: _payment_id(reference, PaymentKind.WAIVER, component) for component in amounts}
    _not_future(on)
    with transaction.atomic():
        loan = _locked(loan_id)
        stored = list(models.Payment.objects.filter(payment_id__in=list(ids.values())))
        if stored:
            return _same_waiver(stored, loan_id, on, amounts, reference)
        _refuse_used(reference)
        facts = loan_facts(loan_id)
        day_before = on - timedelta(days=1)
        before = _quote(facts, day_before) if day_before >= facts.terms.disbursed_on else None
        if before is None:
            raise ArrangementError(
                f"loan {loan_id}: nothing can be waived on its disbursement day", field="on"
            )
        total = check_waiver(before, amounts)
        for component, amount in sorted(amounts.items()):
            _post(loan, ids[component], on, amount, PaymentKind.WAIVER, waives=component.value)
        refresh_allocations(loan, max(clock.today(), on))
    return total


def cash_paid(loan_id: str, start: date, end: date) -> Decimal:
    """The cash paid on ``loan_id`` valued in [start, end] (non-cash payments never count)."""
    if not models.Loan.objects.filter(loan_id=loan_id).exists():
        raise LoanNotFound(f"no loan {loan_id!r}", field="loan_id")
    total = models.Payment.objects.filter(
        loan_id=loan_id, kind=PaymentKind.CASH.value, paid_on__gte=start, paid_on__lte=end
    ).aggregate(total=Sum("amount_fen"))["total"]
    return from_fen(total or 0)


# --- the quote an arrangement reads ----------------------------------------------------------------------


def closing_quote(facts: LoanFacts, day: date) -> Quote:
    """The loan at the end of ``day`` called early on ``day`` (an earlier call kept): what a closing
    ``restructure`` / ``discount`` payment on that day settles."""
    called = facts.terms.accelerated_on
    on = day if called is None or called > day else called
    return _quote(replace(facts, terms=replace(facts.terms, accelerated_on=on)), day)


def _quote(facts: LoanFacts, day: date) -> Quote:
    return quote_facts(facts, day, business_calendar())


# --- writes ------------------------------------------------------------------------------------------------


def _locked(loan_id: str) -> models.Loan:
    loan = models.Loan.objects.select_for_update().filter(loan_id=loan_id).first()
    if loan is None:
        raise LoanNotFound(f"no loan {loan_id!r}", field="loan_id")
    return loan


def _not_future(day: date) -> None:
    today = clock.today()
    if day > today:
        raise FutureDate(f"{day} is after today ({today})", field="on")


def _payment_id(reference: str, kind: PaymentKind, component: Component | None = None) -> str:
    text = reference.strip()
    payment_id = f"{text}:{kind.value}" + (f":{component.value}" if component else "")
    if not text or len(payment_id) > models.ID_LENGTH:
        raise ArrangementError(
            f"reference {reference!r} must be non-empty and short enough for an id of {models.ID_LENGTH}",
            field="reference",
        )
    return payment_id


def _refuse_used(reference: str) -> None:
    """A reference already used by another kind of arrangement is refused."""
    prefix = f"{reference.strip()}:"
    if (
        models.Payment.objects.filter(payment_id__startswith=prefix).exists()
        or models.LimitationInterruption.objects.filter(source=reference).exists()
    ):
        raise ArrangementError(
            f"reference {reference!r} is already used by another request", field="reference"
        )


def _call_early(loan: models.Loan, day: date, reason: str) -> None:
    """Call the loan early on ``day`` unless it already was on or before that day."""
    if loan.accelerated_on is None or loan.accelerated_on > day:
        loan.accelerated_on = day
        loan.acceleration_reason = reason
        loan.save(update_fields=["accelerated_on", "acceleration_reason"])


def _post(
    loan: models.Loan, payment_id: str, day: date, amount: Decimal, kind: PaymentKind, *, waives: str = ""
) -> None:
    models.Payment.objects.create(
        payment_id=payment_id,
        loan=loan,
        paid_on=day,
        amount_fen=fen(amount),
        kind=kind.value,
        waives=waives,
        source=models.Payment.Source.ARRANGEMENT,
    )


def _successor_id(loan_id: str) -> str:
    count = models.Loan.objects.filter(restructured_from_id=loan_id).count()
    successor = f"{loan_id}-R{count + 1}"
    if len(successor) > models.ID_LENGTH:
        raise ArrangementError(
            f"the successor id {successor} is longer than {models.ID_LENGTH}", field="loan_id"
        )
    return successor


def _store_successor(loan: models.Loan, outcome: PlanOutcome, quote: Quote, request: dict[str, Any]) -> None:
    terms = outcome.terms
    successor = models.Loan.objects.create(
        loan_id=terms.loan_id,
        borrower_id=loan.borrower_id,
        product_id=loan.product_id,
        principal_fen=fen(terms.principal),
        annual_rate=terms.annual_rate,
        disbursed_on=terms.disbursed_on,
        term_months=terms.term_months,
        repayment_method=terms.method.value,
        first_due_date=terms.first_due_date,
        branch=loan.branch,
        channel=loan.channel,
        restructured_from=loan,
        restructured_on=terms.disbursed_on,
        class_at_restructuring=int(quote.classification),
        extra={"arrangement": request},
    )
    models.Installment.objects.bulk_create(
        models.Installment(
            loan=successor,
            seq=row.seq,
            due_date=row.due_date,
            principal_due_fen=fen(row.principal_due),
            interest_due_fen=fen(row.interest_due),
            fee_due_fen=fen(row.fee_due),
        )
        for row in outcome.schedule
    )


# --- idempotency -------------------------------------------------------------------------------------------


def _plan_request(loan_id: str, plan: PlanTerms) -> dict[str, Any]:
    """The plan request as plain data, stored on the successor and compared on a repeated reference."""
    return {
        "loan_id": loan_id,
        "kind": plan.kind.value,
        "effective_on": plan.effective_on.isoformat(),
        "months": plan.months,
        "annual_rate": str(plan.annual_rate.normalize()),
        "method": plan.method.value,
        "waive": sorted(component.value for component in plan.waive),
        "first_due_date": plan.first_due_date.isoformat() if plan.first_due_date else None,
    }


def _conflict(reference: str) -> ArrangementError:
    return ArrangementError(
        f"reference {reference!r} was already used for a different request", field="reference"
    )


def _same_plan(stored: models.Payment, reference: str, request: dict[str, Any]) -> str:
    successor = models.Loan.objects.filter(
        restructured_from_id=stored.loan_id, restructured_on=stored.paid_on
    )
    for candidate in successor:
        recorded = dict(candidate.extra.get("arrangement", {}))
        if recorded.pop("reference", None) == reference:
            if recorded != request:
                raise _conflict(reference)
            return candidate.loan_id
    raise _conflict(reference)


def _same_payment(stored: models.Payment, loan_id: str, on: date, reference: str) -> None:
    if stored.loan_id != loan_id or stored.paid_on != on:
        raise _conflict(reference)


def _same_waiver(
    stored: list[models.Payment], loan_id: str, on: date, amounts: Mapping[Component, Decimal], reference: str
) -> Decimal:
    recorded = {row.waives: row.amount_fen for row in stored if row.loan_id == loan_id and row.paid_on == on}
    wanted = {component.value: fen(amount) for component, amount in amounts.items()}
    prefix = f"{reference.strip()}:"
    every = models.Payment.objects.filter(payment_id__startswith=prefix).count()
    if recorded != wanted or every != len(wanted):
        raise _conflict(reference)
    return from_fen(sum(recorded.values()))
