"""Use cases of legal recovery (issue 6). One transaction each, every change an audit event (``legal.<verb>``,
target the legal case or the measure).

* ``open_case``: a user who may (``legal.add_legalcase``, a role that writes, the case in scope) opens a
  legal case of a type on some of the borrower's loans; the claim defaults to their payoff on the day.
* ``advance``: the next stage on a day (``domain.legal.check_transition`` / ``check_stage_date``), recording
  the day, the judgment's amounts and performance date; reaching a stage that interrupts limitation (a suit,
  arbitration or special procedure filed, a payment order applied for, an enforcement applied for, a lawyer's
  letter delivered) stores a ``loans.LimitationInterruption`` on each of its loans (C7), idempotent by
  source ``legal:<id>:<stage>:<loan>:<day>``. ``schedule_hearing`` sets the (next) hearing day.
* ``accelerate``: 宣布提前到期 of the case's loans through ``loans.services.charges.accelerate`` (C7).
* ``post_fee``: a court fee by the domain's scale (acceptance, payment order, preservation, enforcement), or a
  lawyer's fee / other cost given by amount, posted on one of the case's loans as a ``costs`` charge — first
  in the waterfall (C5). Idempotent: the charge id is ``legal:<id>:<kind>`` (preservation:
  ``…:preservation:<measure>``; lawyer/other: ``…:<kind>:<reference>``); posting again with the same figures
  returns the stored fee, with different ones is refused.
* ``record_preservation`` / ``renew_preservation`` / ``release_preservation``: measures and their terms
  (民诉法解释 第四百八十五条; renewals before expiry).
* ``delay_interest``: the doubled interest for delayed performance of the judgment as of a day (no write).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any, Final

from django.db import transaction
from django.db.models import QuerySet

from qingshou import clock
from qingshou.apps.accounts.scoping import can_write, visible_cases
from qingshou.apps.audit.services import record
from qingshou.apps.legal.conf import legal_settings
from qingshou.apps.legal.models import LegalCase, LegalFee, Preservation, StageChange
from qingshou.apps.legal.selectors import visible_legal_cases
from qingshou.apps.loans import selectors as loan_selectors
from qingshou.apps.loans.models import LimitationInterruption, Loan, Payment
from qingshou.apps.loans.services import charges
from qingshou.domain.errors import DomainError
from qingshou.domain.legal import (
    CaseType,
    CourtFee,
    DelayInterest,
    FeeKind,
    LegalError,
    Outcome,
    Reduction,
    Stage,
    check_stage_date,
    check_transition,
    court_fee,
    interruption_kind,
    preservation_term,
    renewal_term,
)
from qingshou.domain.legal import delay_interest as compute_delay_interest
from qingshou.domain.loan import ChargeKind, PaymentKind
from qingshou.domain.money import ZERO, fen, from_fen, money_str

__all__ = [
    "LegalError",
    "LegalRefused",
    "accelerate",
    "advance",
    "delay_interest",
    "fee_quote",
    "open_case",
    "post_fee",
    "record_preservation",
    "release_preservation",
    "renew_preservation",
    "schedule_hearing",
]

OPEN_PERMISSION: Final = "legal.add_legalcase"
CHANGE_PERMISSION: Final = "legal.change_legalcase"
VIEW_PERMISSION: Final = "legal.view_legalcase"
#: The day field each stage records.
STAGE_DAYS: Final = {
    Stage.FILED: "filed_on",
    Stage.ACCEPTED: "accepted_on",
    Stage.HEARING: "hearing_on",
    Stage.JUDGMENT: "judgment_on",
    Stage.EFFECTIVE: "effective_on",
    Stage.ENFORCEMENT_APPLIED: "enforcement_applied_on",
    Stage.ENFORCEMENT: "enforcement_on",
    Stage.CLOSED: "closed_on",
}
#: Fees given by amount rather than computed by the court scale.
MANUAL_FEES: Final = ("lawyer", "other")


class LegalRefused(DomainError):
    """The user may not do this here (scope, role, a closed case)."""

    code = "legal_refused"


# --- helpers -----------------------------------------------------------------------------------------------


def _require(user: Any, permission: str) -> None:
    if not can_write(user) or not user.has_perm(permission):
        raise LegalRefused("your role does not work legal cases", field="user")


def _today(day: date | None, field: str = "on") -> date:
    today = clock.today()
    chosen = day or today
    if chosen > today:
        raise LegalError(f"{field} {chosen} is after today ({today})", field=field)
    return chosen


def _locked(user: Any, legal_case_id: int) -> LegalCase:
    found = visible_legal_cases(user).select_for_update().filter(pk=legal_case_id).first()
    if found is None:
        raise LegalRefused(f"legal case {legal_case_id} is not in your scope", field="legal_case")
    return found


def _loans(legal_case: LegalCase) -> QuerySet[Loan]:
    return legal_case.loans.order_by("loan_id")


def _amount(value: Decimal | None, field: str) -> int | None:
    if value is None:
        return None
    if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
        raise LegalError(f"{field} must be an amount of 0 or more, got {value!r}", field=field)
    return fen(value.quantize(Decimal("0.01")))


def _audit(actor: Any, verb: str, target: Any, reason: str = "", **detail: Any) -> None:
    record(actor, f"legal.{verb}", target, detail, reason=reason.strip()[:500])


# --- opening and stages ------------------------------------------------------------------------------------


def open_case(
    user: Any,
    case_id: int,
    case_type: CaseType | str,
    loan_ids: Iterable[str],
    *,
    on: date | None = None,
    claim: Decimal | None = None,
    court: str = "",
    lawyer: str = "",
    note: str = "",
) -> LegalCase:
    """Open a legal case on the case's loans in ``preparation`` (module docstring)."""
    kind = CaseType(case_type)
    day = _today(on)
    wanted = sorted({loan_id.strip() for loan_id in loan_ids if loan_id.strip()})
    if not wanted:
        raise LegalError("a legal case needs at least one loan", field="loans")
    with transaction.atomic():
        case = visible_cases(user).filter(pk=case_id).first()
        if case is None:
            raise LegalRefused(f"case {case_id} is not in your scope", field="case")
        _require(user, OPEN_PERMISSION)
        loans = list(Loan.objects.filter(loan_id__in=wanted, borrower_id=case.borrower_id))
        missing = sorted(set(wanted) - {loan.loan_id for loan in loans})
        if missing:
            raise LegalError(f"loans {', '.join(missing)} are not the borrower's", field="loans")
        if claim is None:
            total = sum((loan_selectors.quote(loan.loan_id, day).payoff_amount for loan in loans), ZERO)
        else:
            total = claim
        claim_fen = _amount(total, "claim") or 0
        if claim_fen <= 0:
            raise LegalError(f"the claim must be more than 0, got {total}", field="claim")
        legal_case = LegalCase.objects.create(
            case=case,
            case_type=kind.value,
            court=court.strip(),
            lawyer=lawyer.strip(),
            claim_fen=claim_fen,
            opened_on=day,
            opened_by=user,
            note=note.strip(),
        )
        legal_case.loans.set(loans)
        StageChange.objects.create(
            legal_case=legal_case, to_stage=Stage.PREPARATION.value, on=day, by=user, note=note.strip()
        )
        _audit(
            user,
            "open",
            legal_case,
            note,
            case_id=case.pk,
            case_type=kind.value,
            loans=wanted,
            claim=money_str(from_fen(claim_fen)),
        )
    return legal_case


def _last_stage_day(legal_case: LegalCase) -> date:
    last = legal_case.history.order_by("-on").values_list("on", flat=True).first()
    return last or legal_case.opened_on


def advance(
    user: Any,
    legal_case_id: int,
    target: Stage | str,
    on: date | None = None,
    *,
    outcome: Outcome | str | None = None,
    note: str = "",
    court_case_number: str | None = None,
    performance_due_on: date | None = None,
    judgment_principal: Decimal | None = None,
    judgment_interest: Decimal | None = None,
    judgment_costs: Decimal | None = None,
) -> LegalCase:
    """Move the legal case to ``target`` on ``on`` (module docstring)."""
    day = _today(on)
    stage = Stage(target)
    with transaction.atomic():
        legal_case = _locked(user, legal_case_id)
        _require(user, CHANGE_PERMISSION)
        check_transition(
            legal_case.case_type,
            legal_case.stage,
            stage,
            outcome=outcome or None,
            current_outcome=legal_case.outcome or None,
        )
        check_stage_date(_last_stage_day(legal_case), day)
        previous = legal_case.stage
        fields: dict[str, Any] = {"stage": stage.value, STAGE_DAYS[stage]: day}
        if stage is Stage.CLOSED:
            fields["outcome"] = Outcome(outcome or "").value
        elif previous == Stage.CLOSED.value:  # 恢复执行 after 终本
            fields.update(outcome="", closed_on=None, enforcement_on=None)
        if court_case_number is not None and court_case_number.strip():
            fields["court_case_number"] = court_case_number.strip()
        fields.update(
            _judgment_fields(
                stage, day, performance_due_on, judgment_principal, judgment_interest, judgment_costs
            )
        )
        for name, value in fields.items():
            setattr(legal_case, name, value)
        legal_case.save(update_fields=list(fields))
        StageChange.objects.create(
            legal_case=legal_case,
            from_stage=previous,
            to_stage=stage.value,
            on=day,
            outcome=fields.get("outcome", ""),
            by=user,
            note=note.strip(),
        )
        interrupted = _interrupt(legal_case, stage, day, note)
        _audit(
            user,
            "advance",
            legal_case,
            note,
            from_stage=previous,
            to_stage=stage.value,
            on=day.isoformat(),
            outcome=fields.get("outcome", ""),
            interrupted=interrupted,
        )
    return legal_case


def _judgment_fields(
    stage: Stage,
    day: date,
    performance_due_on: date | None,
    principal: Decimal | None,
    interest: Decimal | None,
    costs: Decimal | None,
) -> dict[str, Any]:
    """The judgment's amounts and performance date, accepted when reaching judgment or effective."""
    given = {
        "judgment_principal_fen": _amount(principal, "judgment_principal"),
        "judgment_interest_fen": _amount(interest, "judgment_interest"),
        "judgment_costs_fen": _amount(costs, "judgment_costs"),
    }
    fields: dict[str, Any] = {name: value for name, value in given.items() if value is not None}
    if performance_due_on is not None:
        fields["performance_due_on"] = performance_due_on
    if fields and stage not in (Stage.JUDGMENT, Stage.EFFECTIVE):
        raise LegalError(
            "the judgment's amounts and performance date are recorded at judgment or effective",
            field="judgment_principal",
        )
    if performance_due_on is not None and performance_due_on < day:
        raise LegalError(
            f"the performance date {performance_due_on} is before the stage's day {day}",
            field="performance_due_on",
        )
    return fields


def _interrupt(legal_case: LegalCase, stage: Stage, day: date, note: str) -> list[str]:
    """C7: the limitation interruption the stage records on each loan of the case (idempotent by source)."""
    kind = interruption_kind(legal_case.case_type, stage)
    if kind is None:
        return []
    where = f"{legal_case.court} {legal_case.court_case_number}".strip()
    evidence = (
        f"legal case #{legal_case.pk} ({legal_case.case_type}) reached {stage.value} on {day.isoformat()}"
        + (f" at {where}" if where else "")
        + (f": {note.strip()}" if note.strip() else "")
    )
    done = []
    for loan in _loans(legal_case):
        source = f"legal:{legal_case.pk}:{stage.value}:{loan.loan_id}:{day.isoformat()}"
        _row, created = LimitationInterruption.objects.get_or_create(
            source=source, defaults={"loan": loan, "on": day, "kind": kind, "evidence": evidence[:2000]}
        )
        if created:
            done.append(loan.loan_id)
    return done


def schedule_hearing(user: Any, legal_case_id: int, hearing_on: date, *, note: str = "") -> LegalCase:
    """Set the (next) hearing day of a case that is accepted or in hearing (the calendar shows it)."""
    with transaction.atomic():
        legal_case = _locked(user, legal_case_id)
        _require(user, CHANGE_PERMISSION)
        if legal_case.stage not in (Stage.ACCEPTED.value, Stage.HEARING.value):
            raise LegalError(
                f"a hearing is scheduled for an accepted case or one in hearing, not {legal_case.stage}",
                field="hearing_on",
            )
        if legal_case.accepted_on is not None and hearing_on < legal_case.accepted_on:
            raise LegalError(
                f"the hearing {hearing_on} is before the acceptance {legal_case.accepted_on}",
                field="hearing_on",
            )
        previous = legal_case.hearing_on
        legal_case.hearing_on = hearing_on
        legal_case.save(update_fields=["hearing_on"])
        _audit(
            user,
            "hearing",
            legal_case,
            note,
            hearing_on=hearing_on.isoformat(),
            previous=previous.isoformat() if previous else None,
        )
    return legal_case


def accelerate(
    user: Any, legal_case_id: int, on: date | None = None, *, note: str, loan_ids: Iterable[str] | None = None
) -> list[str]:
    """宣布提前到期: call the case's loans (or ``loan_ids`` among them) early on ``on`` (reason ``legal``);
    returns the loans that changed. A loan already called earlier refuses the whole request."""
    day = _today(on)
    text = note.strip()
    if not text:
        raise LegalError("give the reason for calling the loans early", field="note")
    with transaction.atomic():
        legal_case = _locked(user, legal_case_id)
        _require(user, CHANGE_PERMISSION)
        if not legal_case.is_open:
            raise LegalError(f"legal case {legal_case.pk} is closed", field="legal_case")
        loans = [loan.loan_id for loan in _loans(legal_case)]
        chosen = loans if loan_ids is None else sorted(set(loan_ids))
        outside = sorted(set(chosen) - set(loans))
        if outside:
            raise LegalError(f"loans {', '.join(outside)} are not under this legal case", field="loans")
        changed = [
            loan_id
            for loan_id in chosen
            if charges.accelerate(loan_id, day, Loan.AccelerationReason.LEGAL.value)
        ]
        _audit(user, "accelerate", legal_case, text, on=day.isoformat(), loans=chosen, changed=changed)
    return changed


# --- fees --------------------------------------------------------------------------------------------------


def fee_quote(kind: FeeKind | str, basis: Decimal, reductions: Iterable[Reduction | str] = ()) -> CourtFee:
    """The court fee of ``kind`` on ``basis`` with the configured rounding (no writes)."""
    return court_fee(kind, basis, reductions=reductions, rounding=legal_settings().fee_rounding)


def _default_basis(legal_case: LegalCase, kind: FeeKind) -> Decimal:
    if kind is FeeKind.ENFORCEMENT and legal_case.judgment_principal_fen is not None:
        total = (
            (legal_case.judgment_principal_fen or 0)
            + (legal_case.judgment_interest_fen or 0)
            + (legal_case.judgment_costs_fen or 0)
        )
        return from_fen(total)
    return from_fen(legal_case.claim_fen)


def post_fee(
    user: Any,
    legal_case_id: int,
    kind: str,
    on: date | None = None,
    *,
    basis: Decimal | None = None,
    amount: Decimal | None = None,
    reductions: Iterable[Reduction | str] = (),
    loan_id: str | None = None,
    preservation_id: int | None = None,
    reference: str = "",
    description: str = "",
) -> LegalFee:
    """Compute (or take) a fee and post it as a cost of enforcement on one of the case's loans (module
    docstring); idempotent by its charge id."""
    day = _today(on)
    if kind not in LegalFee.KindChoice.values:
        raise LegalError(
            f"fee kind must be one of {' | '.join(LegalFee.KindChoice.values)}, got {kind!r}", field="kind"
        )
    with transaction.atomic():
        legal_case = _locked(user, legal_case_id)
        _require(user, CHANGE_PERMISSION)
        loans = [loan.loan_id for loan in _loans(legal_case)]
        target = loan_id or loans[0]
        if target not in loans:
            raise LegalError(f"loan {target} is not under this legal case", field="loan_id")
        charge_id, basis_fen, fee, grounds, rounding = _fee_figures(
            legal_case, kind, basis, amount, reductions, preservation_id, reference
        )
        stored = LegalFee.objects.filter(charge_id=charge_id).first()
        if stored is not None:
            if (stored.fee_fen, stored.basis_fen, stored.loan_id) != (fen(fee), basis_fen, target):
                raise LegalError(
                    f"the {kind} fee of legal case {legal_case.pk} is already posted "
                    f"({from_fen(stored.fee_fen)} on loan {stored.loan_id}); it cannot be posted differently",
                    field="kind",
                )
            return stored
        text = description.strip() or f"{LegalFee.KindChoice(kind).label} · legal case #{legal_case.pk}"
        charges.post_charge(target, charge_id, ChargeKind.COST, fee, day, description=str(text))
        legal_fee = LegalFee.objects.create(
            legal_case=legal_case,
            loan_id=target,
            kind=kind,
            basis_fen=basis_fen,
            fee_fen=fen(fee),
            reductions=",".join(grounds),
            rounding=rounding,
            posted_on=day,
            charge_id=charge_id,
            description=str(text)[:300],
            created_by=user,
        )
        _audit(
            user,
            "fee",
            legal_case,
            description,
            kind=kind,
            loan_id=target,
            basis=money_str(from_fen(basis_fen)) if basis_fen is not None else None,
            fee=money_str(fee),
            charge_id=charge_id,
            reductions=list(grounds),
        )
    return legal_fee


def _fee_figures(
    legal_case: LegalCase,
    kind: str,
    basis: Decimal | None,
    amount: Decimal | None,
    reductions: Iterable[Reduction | str],
    preservation_id: int | None,
    reference: str,
) -> tuple[str, int | None, Decimal, tuple[str, ...], str]:
    """(charge id, basis fen, fee, reductions, rounding) of a fee request."""
    prefix = f"legal:{legal_case.pk}:{kind}"
    if kind in MANUAL_FEES:
        key = reference.strip()
        if not key:
            raise LegalError(f"a {kind} fee needs a reference (the invoice or contract)", field="reference")
        if amount is None or amount <= 0:
            raise LegalError(f"a {kind} fee needs its amount, more than 0", field="amount")
        charge_id = f"{prefix}:{key}"
        if len(charge_id) > 64:
            raise LegalError(f"the reference {key!r} is too long", field="reference")
        return charge_id, None, amount.quantize(Decimal("0.01")), (), ""
    fee_kind = FeeKind(kind)
    if fee_kind is FeeKind.PRESERVATION:
        measure = (
            Preservation.objects.filter(pk=preservation_id, legal_case=legal_case).first()
            if preservation_id is not None
            else None
        )
        if measure is None:
            raise LegalError("a preservation fee names one of the case's measures", field="preservation_id")
        prefix = f"{prefix}:{measure.pk}"
        if basis is None:
            basis = from_fen(measure.amount_fen)
    elif basis is None:
        basis = _default_basis(legal_case, fee_kind)
    computed = fee_quote(fee_kind, basis, reductions)
    return (
        prefix,
        _amount(basis, "basis"),
        computed.amount,
        tuple(item.value for item in computed.reductions),
        computed.rounding.value,
    )


# --- preservation ------------------------------------------------------------------------------------------


def record_preservation(
    user: Any,
    legal_case_id: int,
    asset_kind: str,
    description: str,
    start_on: date,
    *,
    months: int | None = None,
    amount: Decimal = ZERO,
    ruling_number: str = "",
) -> Preservation:
    """Record a measure from its ruling day for ``months`` (default: the legal maximum)."""
    _today(start_on, "start_on")
    text = description.strip()
    if not text:
        raise LegalError("describe the asset (account, plate, property certificate …)", field="description")
    conf = legal_settings()
    term = preservation_term(asset_kind, start_on, months, lead_days=conf.renewal_lead_days)
    with transaction.atomic():
        legal_case = _locked(user, legal_case_id)
        _require(user, CHANGE_PERMISSION)
        if not legal_case.is_open:
            raise LegalError(f"legal case {legal_case.pk} is closed", field="legal_case")
        measure = Preservation.objects.create(
            legal_case=legal_case,
            asset_kind=term.kind.value,
            description=text[:500],
            ruling_number=ruling_number.strip(),
            amount_fen=_amount(amount, "amount") or 0,
            start_on=term.start,
            term_months=term.months,
            expires_on=term.expires_on,
            renewal_due_on=term.renewal_due,
            created_by=user,
        )
        _audit(
            user,
            "preserve",
            measure,
            "",
            legal_case_id=legal_case.pk,
            asset_kind=term.kind.value,
            start_on=term.start.isoformat(),
            expires_on=term.expires_on.isoformat(),
        )
    return measure


def _measure(user: Any, preservation_id: int) -> Preservation:
    measure = (
        Preservation.objects.select_for_update()
        .filter(pk=preservation_id, legal_case__in=visible_legal_cases(user).values("pk"))
        .first()
    )
    if measure is None:
        raise LegalRefused(f"preservation {preservation_id} is not in your scope", field="preservation")
    _require(user, CHANGE_PERMISSION)
    if measure.released_on is not None:
        raise LegalError(
            f"preservation {preservation_id} was released on {measure.released_on}", field="preservation"
        )
    if Preservation.objects.filter(renewed_from=measure).exists():
        raise LegalError(f"preservation {preservation_id} was already renewed", field="preservation")
    return measure


def renew_preservation(
    user: Any,
    preservation_id: int,
    renewed_on: date | None = None,
    *,
    months: int | None = None,
    ruling_number: str = "",
) -> Preservation:
    """Renew (续行) a measure in force before it expires: a new measure from the day after its expiry."""
    day = _today(renewed_on, "renewed_on")
    conf = legal_settings()
    with transaction.atomic():
        measure = _measure(user, preservation_id)
        term = renewal_term(
            measure.asset_kind, measure.expires_on, day, months, lead_days=conf.renewal_lead_days
        )
        renewal = Preservation.objects.create(
            legal_case_id=measure.legal_case_id,
            asset_kind=measure.asset_kind,
            description=measure.description,
            ruling_number=ruling_number.strip() or measure.ruling_number,
            amount_fen=measure.amount_fen,
            start_on=term.start,
            term_months=term.months,
            expires_on=term.expires_on,
            renewal_due_on=term.renewal_due,
            renewed_from=measure,
            created_by=user,
        )
        late = day > measure.renewal_due_on
        _audit(
            user,
            "renew",
            renewal,
            "",
            renewed_from=measure.pk,
            renewed_on=day.isoformat(),
            expires_on=term.expires_on.isoformat(),
            applied_late=late,
        )
    return renewal


def release_preservation(
    user: Any, preservation_id: int, on: date | None = None, *, note: str = ""
) -> Preservation:
    """Record that a measure in force was released (解除) on ``on``."""
    day = _today(on)
    with transaction.atomic():
        measure = _measure(user, preservation_id)
        if day < measure.start_on and measure.renewed_from_id is None:
            raise LegalError(
                f"the release {day} is before the measure's start {measure.start_on}", field="on"
            )
        measure.released_on = day
        measure.save(update_fields=["released_on"])
        _audit(user, "release", measure, note, released_on=day.isoformat())
    return measure


# --- delay interest ----------------------------------------------------------------------------------------


def delay_interest(legal_case: LegalCase, as_of: date) -> DelayInterest | None:
    """The doubled interest for delayed performance (法释〔2014〕8号) of the judgment through ``as_of``:
    ``None`` until the title is effective with its principal recorded. The base is the judgment's principal
    and interest (and costs when ``delay_base_includes_costs``); cash paid on the case's loans from the
    effective day reduces it (payments by the performance date before any accrual)."""
    if legal_case.effective_on is None or legal_case.judgment_principal_fen is None:
        return None
    conf = legal_settings()
    base_fen = legal_case.judgment_principal_fen + (legal_case.judgment_interest_fen or 0)
    if conf.delay_base_includes_costs:
        base_fen += legal_case.judgment_costs_fen or 0
    due = legal_case.performance_due_on or legal_case.effective_on
    paid = Payment.objects.filter(
        loan__in=legal_case.loans.all(),
        kind=PaymentKind.CASH.value,
        paid_on__gte=legal_case.effective_on,
        paid_on__lte=as_of,
    ).values_list("paid_on", "amount_fen")
    return compute_delay_interest(
        from_fen(base_fen),
        due,
        as_of,
        [(day, from_fen(amount)) for day, amount in paid],
        start=conf.delay_start,
    )
