"""Maker-checker services of plans, waivers and settlements (issue 5). One transaction each, every change an
audit event (``arrangement.<verb>``, target the arrangement).

* ``propose_plan`` / ``propose_waiver`` / ``propose_settlement``: a user who may work the case (in scope, a
  role that writes, ``arrangements.add_arrangement``, the case open, the loan the borrower's) proposes with a
  reason; the terms are previewed through the ledger (``preview_plan`` / ``check_waiver`` /
  ``settlement_discount``) and refused with the domain's message.
* ``approve`` / ``reject``: a checker (``rules.check_approval``: ``accounts.approve``, not the proposer, the
  role's limit covers the concession, long plans need ``arrangements.approve_long_plan``). The row is locked
  (``select_for_update``) and moved by a conditional update, so two approvals at once approve — and execute —
  once. A plan or waiver whose effective day has come is executed in the approval's transaction; a later one
  by EOD (``execute_due``); a settlement by EOD on the day the cash since approval reaches its amount.
* ``withdraw``: the proposer (or a checker) takes a proposal back.
* ``execute_due(as_of)``: what the EOD step before the book does (``eod.ExecuteArrangements``).

The ledger side (successor loan, non-cash payments, limitation interruption, C6/C7) is
``qingshou.apps.loans.services.arrangements``, called with ``reference = "arrangement:<pk>"`` (idempotent).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Final

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from qingshou import clock
from qingshou.apps.accounts.roles import role_of
from qingshou.apps.accounts.scoping import can_write, visible_cases
from qingshou.apps.arrangements.models import Arrangement
from qingshou.apps.arrangements.rules import (
    LONG_PLAN_MONTHS,
    ArrangementRefused,
    Checker,
    Kind,
    Proposal,
    Status,
    check_approval,
    check_rejection,
    check_transition,
    check_withdrawal,
    parse_limits,
)
from qingshou.apps.audit.services import record
from qingshou.apps.cases.models import Case
from qingshou.apps.loans import selectors
from qingshou.apps.loans.models import Loan, Payment
from qingshou.apps.loans.services import arrangements as ledger
from qingshou.domain.arrangements import PlanKind, PlanOutcome, PlanTerms, check_waiver, settlement_discount
from qingshou.domain.errors import DomainError
from qingshou.domain.loan import RepaymentMethod
from qingshou.domain.money import fen, from_fen, money_str
from qingshou.domain.policy import Component

logger = logging.getLogger(__name__)

#: The components a waiver (or a plan) may waive, with the model's amount column.
WAIVABLE: Final = {
    Component.FEES: "fees_fen",
    Component.PENALTY: "penalty_fen",
    Component.COMPOUND: "compound_fen",
}
PROPOSE_PERMISSION: Final = "arrangements.add_arrangement"
APPROVE_PERMISSION: Final = "accounts.approve"
LONG_PLAN_PERMISSION: Final = "arrangements.approve_long_plan"


def approval_limits() -> dict[str, Decimal | None]:
    """``settings.QINGSHOU_APPROVAL_LIMITS`` validated (role → yuan or ``None`` for no limit)."""
    return parse_limits(getattr(settings, "QINGSHOU_APPROVAL_LIMITS", {}))


def long_plan_months() -> int:
    """Plans longer than this need the long-plan right (``QINGSHOU_LONG_PLAN_MONTHS``, default 36)."""
    return int(getattr(settings, "QINGSHOU_LONG_PLAN_MONTHS", LONG_PLAN_MONTHS))


def reference(arrangement: Arrangement) -> str:
    """``arrangement:<pk>``: the idempotency key of the ledger's facts."""
    return f"arrangement:{arrangement.pk}"


# --- proposing ---------------------------------------------------------------------------------------------


def _proposable(user: Any, case_id: int, loan_id: str) -> tuple[Case, Loan]:
    """The open case in the user's scope and its borrower's loan, or a refusal."""
    case = visible_cases(user).filter(pk=case_id).first()
    if case is None:
        raise ArrangementRefused(f"case {case_id} is not in your scope", field="case")
    if not can_write(user) or not user.has_perm(PROPOSE_PERMISSION):
        raise ArrangementRefused("your role does not propose plans, waivers or settlements", field="user")
    if case.status != Case.Status.OPEN:
        raise ArrangementRefused(f"case {case_id} is closed", field="case")
    loan = Loan.objects.filter(loan_id=loan_id, borrower_id=case.borrower_id).first()
    if loan is None:
        raise ArrangementRefused(f"loan {loan_id} is not the borrower's", field="loan_id")
    return case, loan


#: Kinds that end the loan as it is: one of them pending (proposed or approved) on a loan at a time.
EXCLUSIVE: Final = (Kind.PLAN.value, Kind.SETTLEMENT.value)
PENDING: Final = (Status.PROPOSED.value, Status.APPROVED.value)


def _exclusive(loan: Loan) -> None:
    """Refuse a plan or settlement while another plan or settlement of the loan is pending: both would end
    the same loan."""
    pending = (
        Arrangement.objects.filter(loan=loan, kind__in=EXCLUSIVE, status__in=PENDING)
        .values_list("pk", "kind", "status")
        .first()
    )
    if pending is not None:
        pk, kind, status = pending
        raise ArrangementRefused(
            f"loan {loan.loan_id} already has a {kind} that is {status} (#{pk})", field="loan_id"
        )


def _reason(reason: str) -> str:
    text = reason.strip()
    if not text:
        raise ArrangementRefused("give the reason for the proposal", field="reason")
    return text


@dataclass(frozen=True, slots=True)
class PlanRequest:
    """The terms a maker proposes for a plan (yuan and rates as ``Decimal``)."""

    plan_kind: PlanKind
    months: int
    annual_rate: Decimal
    method: RepaymentMethod = RepaymentMethod.EQUAL_INSTALLMENT
    waive: frozenset[Component] = frozenset()
    first_due_date: date | None = None
    effective_on: date | None = None

    def terms(self, effective_on: date) -> PlanTerms:
        """The domain's plan terms for the effective day."""
        return PlanTerms(
            kind=self.plan_kind,
            effective_on=effective_on,
            months=self.months,
            annual_rate=self.annual_rate,
            method=self.method,
            waive=self.waive,
            first_due_date=self.first_due_date,
        )


def _outcome_json(outcome: PlanOutcome, effective_on: date) -> dict[str, Any]:
    """A plan preview as plain JSON (decimal strings, ISO dates)."""
    return {
        "effective_on": effective_on.isoformat(),
        "original_payoff": money_str(outcome.original_payoff),
        "capitalised": money_str(outcome.capitalised),
        "concession": money_str(outcome.concession),
        "waived": {str(Component(name).value): money_str(amount) for name, amount in outcome.waived.items()},
        "annual_rate": str(outcome.terms.annual_rate),
        "months": outcome.terms.term_months,
        "schedule": [
            {
                "seq": item.seq,
                "due_date": item.due_date.isoformat(),
                "principal": money_str(item.principal_due),
                "interest": money_str(item.interest_due),
                "fee": money_str(item.fee_due),
                "total": money_str(item.total_due),
            }
            for item in outcome.schedule
        ],
    }


def preview_plan(
    user: Any, case_id: int, loan_id: str, request: PlanRequest, *, today: date | None = None
) -> dict[str, Any]:
    """The plan as it would be on its effective day (no writes): the successor schedule, what it capitalises
    and waives (``_outcome_json``). Refused like ``propose_plan``."""
    _case, loan = _proposable(user, case_id, loan_id)
    day = _effective(request.effective_on, today)
    return _outcome_json(ledger.preview_plan(loan.loan_id, request.terms(day)), day)


def _effective(proposed: date | None, today: date | None) -> date:
    """The effective day: the proposed one, never before today."""
    day = today or clock.today()
    return max(proposed, day) if proposed is not None else day


def propose_plan(
    user: Any, case_id: int, loan_id: str, request: PlanRequest, *, reason: str, today: date | None = None
) -> Arrangement:
    """Store a proposed plan after previewing it through the ledger (module docstring)."""
    text = _reason(reason)
    with transaction.atomic():
        case, loan = _proposable(user, case_id, loan_id)
        _exclusive(loan)
        day = _effective(request.effective_on, today)
        outcome = ledger.preview_plan(loan.loan_id, request.terms(day))
        arrangement = Arrangement.objects.create(
            case=case,
            loan=loan,
            kind=Kind.PLAN.value,
            plan_kind=str(request.plan_kind),
            effective_on=request.effective_on,
            months=request.months,
            annual_rate=request.annual_rate,
            method=RepaymentMethod(request.method).value,
            first_due_date=request.first_due_date,
            waive=",".join(sorted(Component(c).value for c in request.waive)),
            concession_fen=fen(outcome.concession),
            original_payoff_fen=fen(outcome.original_payoff),
            capitalised_fen=fen(outcome.capitalised),
            preview=_outcome_json(outcome, day),
            reason=text,
            proposed_by=user,
        )
        _audit(user, "propose", arrangement, text)
    return arrangement


def _waiver_amounts(amounts: Mapping[Component, Decimal]) -> dict[Component, Decimal]:
    chosen = {Component(name): Decimal(value) for name, value in amounts.items() if Decimal(value) != 0}
    unknown = sorted(name.value for name in chosen if name not in WAIVABLE)
    if unknown:
        raise ArrangementRefused(
            f"only fees, penalty and compound interest are waived, not {', '.join(unknown)}", field="waive"
        )
    if not chosen:
        raise ArrangementRefused("a waiver needs an amount of at least one component", field="waive")
    return chosen


def preview_waiver(
    user: Any,
    case_id: int,
    loan_id: str,
    amounts: Mapping[Component, Decimal],
    *,
    effective_on: date | None = None,
    today: date | None = None,
) -> Decimal:
    """The total a waiver of ``amounts`` concedes, checked like ``propose_waiver`` (no writes)."""
    chosen = _waiver_amounts(amounts)
    _case, loan = _proposable(user, case_id, loan_id)
    day = _effective(effective_on, today)
    return check_waiver(selectors.quote(loan.loan_id, day - timedelta(days=1)), chosen)


def propose_waiver(
    user: Any,
    case_id: int,
    loan_id: str,
    amounts: Mapping[Component, Decimal],
    *,
    reason: str,
    effective_on: date | None = None,
    today: date | None = None,
) -> Arrangement:
    """Store a proposed waiver of ``amounts`` (yuan by component), checked against what is unpaid of each
    component at the end of the day before its effective day (``check_waiver``)."""
    text = _reason(reason)
    chosen = _waiver_amounts(amounts)
    with transaction.atomic():
        case, loan = _proposable(user, case_id, loan_id)
        day = _effective(effective_on, today)
        total = check_waiver(selectors.quote(loan.loan_id, day - timedelta(days=1)), chosen)
        arrangement = Arrangement.objects.create(
            case=case,
            loan=loan,
            kind=Kind.WAIVER.value,
            effective_on=effective_on,
            waive=",".join(sorted(c.value for c in chosen)),
            **{WAIVABLE[c]: fen(amount) for c, amount in chosen.items()},
            concession_fen=fen(total),
            reason=text,
            proposed_by=user,
        )
        _audit(user, "propose", arrangement, text)
    return arrangement


def settlement_preview(loan_id: str, amount: Decimal, on: date) -> tuple[Decimal, Decimal]:
    """(payoff at the end of ``on``, the discount ``amount`` gives); refused when ``amount`` is not below the
    payoff or not positive (``settlement_discount``)."""
    payoff = selectors.quote(loan_id, on).payoff_amount
    return payoff, settlement_discount(payoff, amount)


def propose_settlement(
    user: Any,
    case_id: int,
    loan_id: str,
    amount: Decimal,
    pay_by: date,
    *,
    reason: str,
    today: date | None = None,
) -> Arrangement:
    """Store a proposed discounted settlement: ``amount`` (yuan) paid by ``pay_by`` closes the loan; the
    concession is the discount off today's payoff (refreshed at approval)."""
    text = _reason(reason)
    day = today or clock.today()
    if pay_by < day:
        raise ArrangementRefused(f"the pay-by day {pay_by} has passed", field="pay_by")
    with transaction.atomic():
        case, loan = _proposable(user, case_id, loan_id)
        _exclusive(loan)
        payoff, discount = settlement_preview(loan.loan_id, amount, day)
        arrangement = Arrangement.objects.create(
            case=case,
            loan=loan,
            kind=Kind.SETTLEMENT.value,
            amount_fen=fen(amount),
            pay_by=pay_by,
            concession_fen=fen(discount),
            original_payoff_fen=fen(payoff),
            reason=text,
            proposed_by=user,
        )
        _audit(user, "propose", arrangement, text)
    return arrangement


# --- deciding ----------------------------------------------------------------------------------------------


def checker_for(user: Any, arrangement: Arrangement) -> Checker:
    """What the rules know about ``user`` deciding ``arrangement``."""
    role = role_of(user)
    return Checker(
        user_id=int(user.pk),
        role=role.value if role is not None else None,
        may_approve=can_write(user) and user.has_perm(APPROVE_PERMISSION),
        may_approve_long_plan=user.has_perm(LONG_PLAN_PERMISSION),
        sees_case=visible_cases(user).filter(pk=arrangement.case_id).exists(),
    )


def proposal_of(arrangement: Arrangement, concession_fen: int | None = None) -> Proposal:
    """What the rules know about ``arrangement`` (its concession in yuan)."""
    return Proposal(
        kind=Kind(arrangement.kind),
        status=Status(arrangement.status),
        proposer_id=int(arrangement.proposed_by_id),
        concession=from_fen(arrangement.concession_fen if concession_fen is None else concession_fen),
        months=arrangement.months,
    )


def _locked(arrangement_id: int) -> Arrangement:
    found = Arrangement.objects.select_for_update().filter(pk=arrangement_id).first()
    if found is None:
        raise ArrangementRefused(f"arrangement {arrangement_id} does not exist", field="arrangement")
    return found


def _move(arrangement: Arrangement, current: Status, target: Status, **fields: Any) -> None:
    """Conditional update ``current`` → ``target``: refused when another request moved it first."""
    check_transition(arrangement.kind, current, target)
    moved = Arrangement.objects.filter(pk=arrangement.pk, status=current.value).update(
        status=target.value, **fields
    )
    if moved != 1:
        raise ArrangementRefused(f"arrangement {arrangement.pk} is no longer {current.value}", field="status")
    arrangement.status = target.value
    for name, value in fields.items():
        setattr(arrangement, name, value)


def _refreshed_concession(arrangement: Arrangement, day: date) -> tuple[int, dict[str, Any]]:
    """The concession recomputed on the approval day (plans: the preview on the effective day; settlements:
    the discount off the payoff of ``day``; waivers: unchanged) and the fields to store with it."""
    if arrangement.kind == Kind.PLAN:
        effective = _effective(arrangement.effective_on, day)
        outcome = ledger.preview_plan(arrangement.loan_id, _plan_terms(arrangement, effective))
        return fen(outcome.concession), {
            "effective_on": effective,
            "concession_fen": fen(outcome.concession),
            "original_payoff_fen": fen(outcome.original_payoff),
            "capitalised_fen": fen(outcome.capitalised),
            "preview": _outcome_json(outcome, effective),
        }
    if arrangement.kind == Kind.SETTLEMENT:
        if arrangement.pay_by is not None and arrangement.pay_by < day:
            raise ArrangementRefused(f"the pay-by day {arrangement.pay_by} has passed", field="pay_by")
        payoff, discount = settlement_preview(arrangement.loan_id, from_fen(arrangement.amount_fen or 0), day)
        return fen(discount), {"concession_fen": fen(discount), "original_payoff_fen": fen(payoff)}
    effective = _effective(arrangement.effective_on, day)
    return arrangement.concession_fen, {"effective_on": effective}


def approve(user: Any, arrangement_id: int, *, note: str = "", today: date | None = None) -> Arrangement:
    """Approve a proposal (module docstring); executes it at once when its effective day has come."""
    day = today or clock.today()
    with transaction.atomic():
        arrangement = _locked(arrangement_id)
        checker = checker_for(user, arrangement)
        check_approval(checker, proposal_of(arrangement), approval_limits(), long_plan_months())
        concession_fen, fields = _refreshed_concession(arrangement, day)
        check_approval(
            checker, proposal_of(arrangement, concession_fen), approval_limits(), long_plan_months()
        )
        _move(
            arrangement,
            Status.PROPOSED,
            Status.APPROVED,
            decided_by=user,
            decided_at=timezone.now(),
            decided_on=day,
            decision_note=note.strip(),
            **fields,
        )
        _audit(user, "approve", arrangement, note, concession=money_str(from_fen(concession_fen)))
        if (
            arrangement.kind != Kind.SETTLEMENT
            and arrangement.effective_on is not None
            and arrangement.effective_on <= day
        ):
            _execute(arrangement, arrangement.effective_on, actor=user)
    return arrangement


def reject(user: Any, arrangement_id: int, *, note: str) -> Arrangement:
    """A checker rejects a proposal; the note (why) is required."""
    text = note.strip()
    if not text:
        raise ArrangementRefused("say why the proposal is rejected", field="note")
    with transaction.atomic():
        arrangement = _locked(arrangement_id)
        check_rejection(checker_for(user, arrangement), proposal_of(arrangement))
        _move(
            arrangement,
            Status.PROPOSED,
            Status.REJECTED,
            decided_by=user,
            decided_at=timezone.now(),
            decided_on=clock.today(),
            decision_note=text,
        )
        _audit(user, "reject", arrangement, text)
    return arrangement


def withdraw(user: Any, arrangement_id: int, *, note: str = "") -> Arrangement:
    """The proposer (or a checker) withdraws a pending proposal."""
    with transaction.atomic():
        arrangement = _locked(arrangement_id)
        check_withdrawal(checker_for(user, arrangement), proposal_of(arrangement))
        _move(
            arrangement, Status.PROPOSED, Status.WITHDRAWN, decision_note=note.strip(), ended_on=clock.today()
        )
        _audit(user, "withdraw", arrangement, note)
    return arrangement


# --- executing ---------------------------------------------------------------------------------------------


def _plan_terms(arrangement: Arrangement, effective_on: date) -> PlanTerms:
    return PlanTerms(
        kind=PlanKind(arrangement.plan_kind),
        effective_on=effective_on,
        months=int(arrangement.months or 0),
        annual_rate=Decimal(arrangement.annual_rate if arrangement.annual_rate is not None else 0),
        method=RepaymentMethod(arrangement.method or RepaymentMethod.EQUAL_INSTALLMENT.value),
        waive=frozenset(Component(name) for name in arrangement.waived_components),
        first_due_date=arrangement.first_due_date,
    )


def waived_amounts(arrangement: Arrangement) -> dict[Component, Decimal]:
    """A waiver's amounts by component (yuan), the zero ones left out."""
    return {
        component: from_fen(getattr(arrangement, column))
        for component, column in WAIVABLE.items()
        if getattr(arrangement, column)
    }


def _execute(arrangement: Arrangement, on: date, *, actor: Any = None) -> None:
    """Post the arrangement's facts to the ledger on ``on`` and mark it executed (inside a transaction)."""
    key = reference(arrangement)
    fields: dict[str, Any] = {"executed_on": on}
    if arrangement.kind == Kind.PLAN:
        successor = ledger.restructure(arrangement.loan_id, _plan_terms(arrangement, on), reference=key)
        fields["successor_loan_id"] = successor
        fields["posted_fen"] = arrangement.capitalised_fen
    elif arrangement.kind == Kind.WAIVER:
        fields["posted_fen"] = fen(
            ledger.waive(arrangement.loan_id, on, waived_amounts(arrangement), reference=key)
        )
    else:
        fields["posted_fen"] = fen(ledger.settle(arrangement.loan_id, on, reference=key))
    _move(arrangement, Status.APPROVED, Status.EXECUTED, **fields)
    _audit(
        actor,
        "execute",
        arrangement,
        "",
        executed_on=on.isoformat(),
        posted=money_str(from_fen(fields["posted_fen"] or 0)),
        successor=fields.get("successor_loan_id", ""),
    )


def settlement_reached_on(arrangement: Arrangement, as_of: date) -> date | None:
    """The first day in [approval day, min(``as_of``, pay-by)] by which the cash paid on the loan since the
    approval day (``cash_paid``, cash only) reached the settlement amount; ``None`` when it has not."""
    start = arrangement.decided_on
    if start is None or arrangement.pay_by is None or arrangement.amount_fen is None:
        return None
    end = min(as_of, arrangement.pay_by)
    if end < start:
        return None
    target = from_fen(arrangement.amount_fen)
    days = (
        Payment.objects.filter(loan_id=arrangement.loan_id, kind="cash", paid_on__gte=start, paid_on__lte=end)
        .values_list("paid_on", flat=True)
        .distinct()
        .order_by("paid_on")
    )
    for day in days:
        if ledger.cash_paid(arrangement.loan_id, start, day) >= target:
            return day
    return None


@dataclass
class DueRun:
    """What ``execute_due`` did: arrangement ids by outcome, and the refusals (id → message)."""

    as_of: date
    executed: list[int] = field(default_factory=list)
    lapsed: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        """Whether the ledger changed (the book must be read again)."""
        return bool(self.executed)

    def as_json(self) -> dict[str, Any]:
        """Plain JSON values."""
        return {
            "as_of": self.as_of.isoformat(),
            "executed": self.executed,
            "lapsed": self.lapsed,
            "failed": {str(key): value for key, value in self.failed.items()},
        }


def execute_due(as_of: date) -> DueRun:
    """Execute what is due by the end of ``as_of`` (one transaction per arrangement, actor the system):
    approved plans and waivers whose effective day has come; approved settlements whose cash reached the
    amount (settled on the day it was reached); settlements not reached by their pay-by day lapse. A ledger
    refusal leaves the arrangement approved, audited with the message, and the run goes on."""
    run = DueRun(as_of)
    due = Arrangement.objects.filter(status=Status.APPROVED.value).order_by("pk")
    for arrangement in due:
        try:
            with transaction.atomic():
                locked = _locked(arrangement.pk)
                if locked.status != Status.APPROVED.value:
                    continue
                if locked.kind == Kind.SETTLEMENT:
                    reached = settlement_reached_on(locked, as_of)
                    if reached is not None:
                        _execute(locked, reached)
                        run.executed.append(locked.pk)
                    elif locked.pay_by is not None and as_of >= locked.pay_by:
                        _move(locked, Status.APPROVED, Status.LAPSED, ended_on=locked.pay_by)
                        _audit(None, "lapse", locked, "", pay_by=locked.pay_by.isoformat())
                        run.lapsed.append(locked.pk)
                elif locked.effective_on is not None and locked.effective_on <= as_of:
                    _execute(locked, locked.effective_on)
                    run.executed.append(locked.pk)
        except DomainError as error:
            logger.warning("arrangement %s not executed on %s: %s", arrangement.pk, as_of, error.message)
            run.failed[arrangement.pk] = error.message
            record(
                None,
                "arrangement.execute_failed",
                arrangement,
                {"as_of": as_of.isoformat(), "message": error.message},
            )
    return run


def _audit(actor: Any, verb: str, arrangement: Arrangement, reason: str, **detail: Any) -> None:
    record(
        actor,
        f"arrangement.{verb}",
        arrangement,
        {
            "kind": arrangement.kind,
            "status": arrangement.status,
            "case_id": arrangement.case_id,
            "loan_id": arrangement.loan_id,
            "concession": money_str(from_fen(arrangement.concession_fen)),
            **detail,
        },
        reason=reason.strip()[:500],
    )
