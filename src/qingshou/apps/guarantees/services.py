"""Use cases of guarantees (issue 6): record a guarantee on a loan, record an act against it (a demand on the
guarantor, or a suit / arbitration against the debtor). One transaction each, each change an audit event
(``guarantee.record``, ``guarantee.demand``).

* ``record_guarantee``: a user who may work the case (in scope, a role that writes,
  ``guarantees.add_guarantee``) records a guarantee of one of the borrower's loans. The guarantor is an
  existing ``ContactParty`` of kind ``guarantor`` of the borrower, or a new one made from the name and phone
  given — so contacting the guarantor goes through the workbench's contact form and its C8 check like every
  contact.
* ``record_demand``: refused with the domain's reason after the guarantee period's last day (the claim on the
  guarantor is lost, art. 693) or before it starts, or when dated in the future; otherwise stored with whether
  it preserves the guarantee (``domain.guarantees.check_act``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Final

from django.db import transaction
from django.db.models import Max, QuerySet

from qingshou import clock
from qingshou.apps.accounts.scoping import can_write, visible_cases
from qingshou.apps.audit.services import record
from qingshou.apps.cases.models import Case
from qingshou.apps.contacts.models import ContactParty
from qingshou.apps.guarantees.models import Guarantee, GuarantorDemand
from qingshou.apps.loans.models import Installment, Loan
from qingshou.apps.loans.selectors import business_calendar
from qingshou.domain.calendar import BusinessCalendar
from qingshou.domain.guarantees import (
    Act,
    GuaranteeError,
    GuaranteeKind,
    GuaranteePeriod,
    check_act,
    guarantee_period,
    principal_due_date,
)
from qingshou.domain.money import fen, money_str

ADD_PERMISSION: Final = "guarantees.add_guarantee"
DEMAND_PERMISSION: Final = "guarantees.add_guarantordemand"
VIEW_PERMISSION: Final = "guarantees.view_guarantee"
_PHONE: Final = re.compile(r"^\+?[0-9][0-9 -]{5,30}$")


def _writable_case(user: Any, case_id: int, permission: str) -> Case:
    case = visible_cases(user).filter(pk=case_id).first()
    if case is None:
        raise GuaranteeError(f"case {case_id} is not in your scope", field="case")
    if not can_write(user) or not user.has_perm(permission):
        raise GuaranteeError("your role does not record guarantees or demands on guarantors", field="user")
    return case


def visible_guarantees(user: Any) -> QuerySet[Guarantee]:
    """The guarantees of the loans of borrowers with a case in ``user``'s scope (``accounts.scoping``)."""
    return Guarantee.objects.filter(loan__borrower_id__in=visible_cases(user).values("borrower_id"))


def period_of(
    loan: Loan, agreed_end: date | None, calendar: BusinessCalendar | None = None
) -> GuaranteePeriod:
    """The guarantee period of a guarantee of ``loan`` (the principal due on the last installment's due date,
    or an earlier acceleration date: ``domain.guarantees``)."""
    last_due = Installment.objects.filter(loan_id=loan.loan_id).aggregate(last=Max("due_date"))["last"]
    if last_due is None:
        raise GuaranteeError(f"loan {loan.loan_id} has no schedule: its due date is unknown", field="loan_id")
    due = principal_due_date(last_due, loan.accelerated_on)
    return guarantee_period(due, agreed_end, calendar if calendar is not None else business_calendar())


@dataclass(frozen=True, slots=True)
class GuarantorInput:
    """A new guarantor party (when no existing one is chosen): name and phone required."""

    name: str
    phone: str
    relation: str = ""


def _guarantor_party(case: Case, party_id: int | None, new: GuarantorInput | None) -> ContactParty:
    if party_id is not None:
        party = ContactParty.objects.filter(pk=party_id, borrower_id=case.borrower_id).first()
        if party is None:
            raise GuaranteeError(f"party {party_id} is not one of the borrower's", field="party")
        if party.kind != "guarantor":
            raise GuaranteeError(f"party {party_id} is a {party.kind}, not a guarantor", field="party")
        return party
    if new is None:
        raise GuaranteeError("choose the guarantor, or give a new guarantor's name and phone", field="party")
    name, phone = new.name.strip(), new.phone.strip()
    if not name:
        raise GuaranteeError("give the guarantor's name", field="name")
    if not _PHONE.match(phone):
        raise GuaranteeError(f"the guarantor's phone {phone!r} is not a phone number", field="phone")
    return ContactParty.objects.create(
        borrower_id=case.borrower_id,
        kind="guarantor",
        name=name[:200],
        phone=phone,
        relation=(new.relation.strip() or "保证人")[:100],
    )


def record_guarantee(
    user: Any,
    case_id: int,
    loan_id: str,
    *,
    kind: GuaranteeKind | str,
    party_id: int | None = None,
    guarantor: GuarantorInput | None = None,
    cap: Decimal | None = None,
    agreed_end: date | None = None,
    contract_ref: str = "",
    note: str = "",
) -> Guarantee:
    """Record a guarantee of one of the case's borrower's loans (module docstring)."""
    try:
        guarantee_kind = GuaranteeKind(kind)
    except ValueError:
        raise GuaranteeError(f"kind must be general or joint, not {kind!r}", field="kind") from None
    if cap is not None and cap <= 0:
        raise GuaranteeError(f"the cap must be positive, not {cap}", field="cap")
    with transaction.atomic():
        case = _writable_case(user, case_id, ADD_PERMISSION)
        loan = Loan.objects.filter(loan_id=loan_id, borrower_id=case.borrower_id).first()
        if loan is None:
            raise GuaranteeError(f"loan {loan_id} is not the borrower's", field="loan_id")
        party = _guarantor_party(case, party_id, guarantor)
        if Guarantee.objects.filter(loan=loan, party=party).exists():
            raise GuaranteeError(f"this guarantor already guarantees loan {loan_id}", field="party")
        period = period_of(loan, agreed_end)
        guarantee = Guarantee.objects.create(
            loan=loan,
            party=party,
            kind=guarantee_kind.value,
            cap_fen=fen(cap) if cap is not None else None,
            agreed_end=agreed_end,
            contract_ref=contract_ref.strip()[:100],
            note=note.strip()[:500],
            created_by=user,
        )
        record(
            user,
            "guarantee.record",
            guarantee,
            {
                "case_id": case.pk,
                "loan_id": loan.loan_id,
                "party_id": party.pk,
                "kind": guarantee_kind.value,
                "cap": money_str(cap) if cap is not None else None,
                "period_last_day": period.last_day.isoformat(),
                "agreed": period.agreed,
            },
        )
    return guarantee


def record_demand(
    user: Any,
    guarantee_id: int,
    *,
    on: date,
    act: Act | str = Act.DEMAND,
    channel: str,
    evidence: str,
    delivered: bool,
    today: date | None = None,
) -> GuarantorDemand:
    """Record an act against a guarantee on ``on`` (module docstring); refused with the reason after the
    guarantee period."""
    try:
        chosen = Act(act)
    except ValueError:
        raise GuaranteeError(f"act must be demand, suit or arbitration, not {act!r}", field="act") from None
    if channel not in GuarantorDemand.Channel.values:
        raise GuaranteeError(
            f"channel must be one of {' | '.join(GuarantorDemand.Channel.values)}, not {channel!r}",
            field="channel",
        )
    text = evidence.strip()
    if not text:
        raise GuaranteeError("give the evidence (receipt, tracking number, message log)", field="evidence")
    day = today or clock.today()
    if on > day:
        raise GuaranteeError(f"the date {on.isoformat()} is in the future", field="on")
    with transaction.atomic():
        if not visible_guarantees(user).filter(pk=guarantee_id).exists():
            raise GuaranteeError(f"guarantee {guarantee_id} is not in your scope", field="guarantee")
        guarantee = (
            Guarantee.objects.select_for_update().select_related("loan").filter(pk=guarantee_id).first()
        )
        if guarantee is None:  # pragma: no cover - deleted between the two reads
            raise GuaranteeError(f"guarantee {guarantee_id} is not in your scope", field="guarantee")
        if not can_write(user) or not user.has_perm(DEMAND_PERMISSION):
            raise GuaranteeError("your role does not record demands on guarantors", field="user")
        period = period_of(guarantee.loan, guarantee.agreed_end)
        checked = check_act(period, GuaranteeKind(guarantee.kind), chosen, on, delivered=delivered)
        if checked.refusal is not None:
            raise GuaranteeError(checked.refusal, field="on")
        demand = GuarantorDemand.objects.create(
            guarantee=guarantee,
            on=on,
            act=chosen.value,
            channel=channel,
            evidence=text[:500],
            delivered=delivered,
            preserves=checked.preserves,
            recorded_by=user,
        )
        record(
            user,
            "guarantee.demand",
            demand,
            {
                "guarantee_id": guarantee.pk,
                "loan_id": guarantee.loan_id,
                "on": on.isoformat(),
                "act": chosen.value,
                "channel": channel,
                "delivered": delivered,
                "preserves": checked.preserves,
                "period_last_day": period.last_day.isoformat(),
            },
        )
    return demand
