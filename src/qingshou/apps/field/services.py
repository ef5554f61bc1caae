"""Field-visit use cases: request, assign, schedule, cancel and report (one transaction each, audited).

- ``request_visit(case, by, reason)`` — a supervisor or collector asks for a visit from the case page; the
  borrower's address and region are copied onto the request.
- ``assign_visits(day)`` — every requested visit gets ``agents_needed`` distinct field agents of its region,
  the least loaded first (``domain.visits.plan_assignments``); a visit nobody can make stays requested with
  the reason. ``assign_manually(visit, agents, by)`` is the supervisor's choice (same C8 rules).
- ``schedule_visit(visit, at, by)`` — the moment goes through THE C8 check of contacts made by people
  (``apps.contacts.services.check_attempt``, channel ``visit``, the number of agents as collectors): a moment
  in quiet hours is not scheduled and the error carries the reason and the next allowed moment.
- ``file_report(visit, by, report)`` — once, by an assigned agent: whom they met, the address, what they saw,
  the promise taken (a ``Promise`` on the case), the photos; the contact attempt gets its result.
- ``requests_from_plan(day)`` (``qingshou.apps.field.plan``) — the strategy's ``field_visit`` actions.

Every change writes an audit event (``qingshou.apps.audit.services.record``) in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Final

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from qingshou import clock
from qingshou.apps.accounts.roles import Role
from qingshou.apps.audit.services import record
from qingshou.apps.cases.models import Case, Promise, PromiseInstalment
from qingshou.apps.contacts.models import ContactAttempt, ContactParty
from qingshou.apps.contacts.profiles import active_profile
from qingshou.apps.contacts.services import check_attempt, record_result
from qingshou.apps.field.models import VisitAgent, VisitPhoto, VisitReport, VisitRequest
from qingshou.domain import visits
from qingshou.domain.compliance import Channel, Outcome, PartyKind
from qingshou.domain.money import from_fen
from qingshou.domain.promises import Instalment
from qingshou.domain.promises import validate as validate_promise
from qingshou.domain.visits import Agent, VisitError, VisitStatus

#: Days a requested visit is due in.
VISIT_DUE_DAYS: Final = 7
OPEN: Final = tuple(status.value for status in visits.OPEN_STATUSES)
User = Any


def agents_needed() -> int:
    """Agents on one visit: the active compliance profile's minimum (C8), at least two."""
    return visits.agents_needed(active_profile().min_visit_collectors)


def field_agents() -> Any:
    """Active users in the field agent role, with their region (``Profile.region``)."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(groups__name=Role.FIELD_AGENT.value, is_active=True)


def _touch(visit: VisitRequest, **changes: Any) -> None:
    for name, value in changes.items():
        setattr(visit, name, value)
    visit.updated_at = timezone.now()
    visit.save(update_fields=[*changes, "updated_at"])


def _locked(visit: VisitRequest) -> VisitRequest:
    """The visit row again, locked (PostgreSQL) so that two changes of one visit run one after the other."""
    return VisitRequest.objects.select_for_update().get(pk=visit.pk)


def request_visit(case: Case, by: User, reason: str, *, today: date | None = None) -> VisitRequest:
    """Ask for a visit on an open case (the caller has checked the case is in ``by``'s scope)."""
    reason = reason.strip()
    if not reason:
        raise VisitError("a visit request needs a reason", field="reason")
    with transaction.atomic():
        case = Case.objects.select_for_update().select_related("borrower").get(pk=case.pk)
        if case.status != Case.Status.OPEN:
            raise VisitError(f"case {case.pk} is closed", field="case")
        if VisitRequest.objects.filter(case=case, status__in=OPEN).exists():
            raise VisitError(f"case {case.pk} already has an open field visit", field="case")
        borrower = case.borrower
        if not borrower.address.strip():
            raise VisitError(f"borrower {borrower.pk} has no address to visit", field="address")
        visit = VisitRequest.objects.create(
            case=case,
            loan_id=case.lead_loan_id,
            source=VisitRequest.Source.USER,
            requested_by=by,
            reason=reason,
            address=borrower.address,
            region=borrower.region,
            due_by=(today or clock.today()) + timedelta(days=VISIT_DUE_DAYS),
        )
        record(by, "field.visit_requested", visit, {"case": case.pk, "region": visit.region}, reason)
        return visit


def _loads(agent_ids: Sequence[int] | None = None) -> list[Agent]:
    """Every active field agent with their region and number of open visits."""
    agents = field_agents().annotate(
        open_visits=Count(
            "field_visits",
            filter=Q(field_visits__status__in=[VisitStatus.ASSIGNED.value, VisitStatus.SCHEDULED.value]),
            distinct=True,
        )
    )
    if agent_ids is not None:
        agents = agents.filter(pk__in=agent_ids)
    return [
        Agent(row["pk"], row["profile__region"] or "", row["open_visits"])
        for row in agents.values("pk", "profile__region", "open_visits")
    ]


def _give(visit: VisitRequest, agent_ids: Sequence[int], by: User | None) -> None:
    VisitAgent.objects.filter(visit=visit).delete()
    VisitAgent.objects.bulk_create(VisitAgent(visit=visit, agent_id=pk, assigned_by=by) for pk in agent_ids)
    _touch(visit, status=VisitStatus.ASSIGNED.value, unassigned_reason="", scheduled_at=None, attempt=None)


@dataclass(frozen=True, slots=True)
class AssignResult:
    """What ``assign_visits`` did: visit id → agents, and visit id → why it stays requested."""

    assigned: dict[int, tuple[int, ...]] = field(default_factory=dict)
    unassigned: dict[int, str] = field(default_factory=dict)


def assign_visits(
    day: date | None = None, *, by: User | None = None, within: QuerySet[VisitRequest] | None = None
) -> AssignResult:
    """Assign every requested visit asked for on or before ``day`` (default today), the earliest due first;
    ``within`` narrows the visits (a supervisor's board: their cases' visits). The agents' loads count all
    their open visits."""
    day = day or clock.today()
    with transaction.atomic():
        waiting_rows = VisitRequest.objects.select_for_update().filter(
            status=VisitStatus.REQUESTED.value, created_at__date__lte=day
        )
        if within is not None:
            waiting_rows = waiting_rows.filter(pk__in=within.values("pk"))
        waiting = list(waiting_rows.order_by("due_by", "id"))
        plan = visits.plan_assignments([(v.pk, v.region) for v in waiting], _loads(), agents_needed())
        for visit in waiting:
            chosen = plan.assigned.get(visit.pk)
            if chosen is None:
                reason = plan.unassigned[visit.pk]
                if visit.unassigned_reason != reason:
                    _touch(visit, unassigned_reason=reason)
                    record(by, "field.visit_not_assigned", visit, {"reason": reason, "region": visit.region})
                continue
            _give(visit, chosen, by)
            record(by, "field.visit_assigned", visit, {"agents": list(chosen), "automatic": True})
        return AssignResult(dict(plan.assigned), dict(plan.unassigned))


def assign_manually(
    visit: VisitRequest, agent_ids: Sequence[int], by: User, reason: str = ""
) -> VisitRequest:
    """A supervisor's choice of agents: field agents, distinct, at least ``agents_needed`` (C8). Another
    region than the visit's is allowed (the supervisor knows the map) and written in the audit event."""
    chosen = visits.check_agents(list(agent_ids), agents_needed())
    known = {agent.agent_id: agent for agent in _loads(chosen)}
    strangers = sorted(set(chosen) - set(known))
    if strangers:
        raise VisitError(f"users {strangers} are not active field agents", field="agents")
    with transaction.atomic():
        visit = _locked(visit)
        visits.check_transition(visit.status, VisitStatus.ASSIGNED.value)
        _give(visit, chosen, by)
        other = sorted(pk for pk in chosen if known[pk].region != visit.region)
        record(by, "field.visit_assigned", visit, {"agents": list(chosen), "outside_region": other}, reason)
        return visit


class ScheduleRefused(VisitError):
    """The C8 check did not allow the moment: refused, or deferred to ``deferred_to``."""

    code = "visit_not_allowed"

    def __init__(self, attempt: ContactAttempt) -> None:
        message = f"{attempt.outcome}: {attempt.reason}"
        super().__init__(message, field="scheduled_at")
        self.attempt = attempt
        self.reason = attempt.reason
        self.deferred_to = attempt.deferred_to


def debtor_party(case: Case) -> ContactParty:
    """The borrower's debtor contact party (the one the loader made from the phone), or a new one holding
    the borrower's address when none exists."""
    party = ContactParty.objects.filter(borrower_id=case.borrower_id, kind=PartyKind.DEBTOR.value).first()
    if party is not None:
        return party
    borrower = case.borrower
    return ContactParty.objects.create(
        borrower=borrower,
        kind=PartyKind.DEBTOR.value,
        name=borrower.name,
        phone=borrower.phone,
        address=borrower.address,
    )


def schedule_visit(visit: VisitRequest, at: datetime, by: User) -> VisitRequest:
    """Schedule an assigned visit at ``at`` (aware) after the C8 check; the check's attempt is stored either
    way (a refusal or deferral is a record too) and a moment not allowed raises ``ScheduleRefused``."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise VisitError("the visit moment needs a time zone", field="scheduled_at")
    with transaction.atomic():
        visit = _locked(visit)
        visits.check_transition(visit.status, VisitStatus.SCHEDULED.value)
        agents = VisitAgent.objects.filter(visit=visit).count()
        attempt = check_attempt(
            debtor_party(visit.case).pk,
            visit.loan_id or visit.case.lead_loan_id,
            Channel.VISIT.value,
            at,
            initiator=ContactAttempt.Initiator.USER.value,
            initiator_id=str(by.pk),
            address=visit.address,
            collectors=agents,
        )
        detail = {"at": at.isoformat(), "outcome": attempt.outcome, "reason": attempt.reason}
        if attempt.outcome != Outcome.ALLOW.value:
            record(by, "field.visit_schedule_refused", visit, detail)
            refused = ScheduleRefused(attempt)
        else:
            _touch(visit, status=VisitStatus.SCHEDULED.value, scheduled_at=at, attempt=attempt)
            record(by, "field.visit_scheduled", visit, detail)
            return visit
    raise refused


def cancel_visit(visit: VisitRequest, by: User, reason: str) -> VisitRequest:
    """Cancel an open visit, with the reason."""
    reason = reason.strip()
    if not reason:
        raise VisitError("cancelling a visit needs a reason", field="reason")
    with transaction.atomic():
        visit = _locked(visit)
        visits.check_transition(visit.status, VisitStatus.CANCELLED.value)
        _touch(visit, status=VisitStatus.CANCELLED.value, cancel_reason=reason)
        record(by, "field.visit_cancelled", visit, None, reason)
        return visit


@dataclass(frozen=True, slots=True)
class ReportInput:
    """A visit report as the form read it (amounts in fen; photos already checked by the form)."""

    visited_at: datetime
    met: str
    address_valid: bool
    situation: str
    attendees: Sequence[int]
    assets_seen: str = ""
    stated_reason: str = ""
    promise_amount_fen: int | None = None
    promise_due_on: date | None = None
    photos: Sequence[UploadedFile[bytes]] = ()
    photo_types: Sequence[str] = ()


def _promise(visit: VisitRequest, report: ReportInput, by: User) -> Promise | None:
    """The promise taken on the doorstep: one instalment, stored like ``cases.services.promises`` stores a
    promise (the promise, its instalment, ``taken_on`` the visit's local day) so the daily evaluation treats
    it like any other. A field agent holds no case lock, so ``take_promise`` (which requires it) is not used."""
    amount, due = report.promise_amount_fen, report.promise_due_on
    if amount is None and due is None:
        return None
    if amount is None or due is None:
        raise VisitError("a promise needs an amount and a date", field="promise_amount")
    taken_on = timezone.localtime(report.visited_at).date()
    [item] = validate_promise(taken_on, [Instalment(due, from_fen(amount))])
    promise = Promise.objects.create(
        case=visit.case,
        loan_id=visit.loan_id,
        amount_fen=amount,
        due_on=item.due_on,
        taken_on=taken_on,
        created_by=by.get_username(),
    )
    PromiseInstalment.objects.create(promise=promise, seq=1, due_on=item.due_on, amount_fen=amount)
    detail = {
        "case": visit.case_id,
        "loan_id": visit.loan_id,
        "instalments": [[item.due_on.isoformat(), str(item.amount)]],
        "visit": visit.pk,
    }
    record(by, "promise.create", promise, detail)
    return promise


def _check_report(visit: VisitRequest, by: User, report: ReportInput) -> tuple[int, ...]:
    assigned = list(VisitAgent.objects.filter(visit=visit).values_list("agent_id", flat=True))
    if by.pk not in assigned:
        raise VisitError("only an agent of the visit files its report", field="filed_by")
    if report.visited_at > timezone.now():
        raise VisitError("the visit cannot be in the future", field="visited_at")
    if not report.situation.strip():
        raise VisitError("describe the situation", field="situation")
    visits.contact_result(report.met)
    return visits.check_attendees(list(report.attendees), assigned, agents_needed())


def file_report(visit: VisitRequest, by: User, report: ReportInput) -> VisitReport:
    """File the report of a scheduled visit, once, by one of its agents; the visit becomes ``visited``, the
    scheduled contact attempt gets its result (C8 record) and the promise, if any, is created on the case."""
    with transaction.atomic():
        visit = _locked(visit)
        visits.check_transition(visit.status, VisitStatus.VISITED.value)
        attendees = _check_report(visit, by, report)
        if visit.attempt_id is not None:
            record_result(visit.attempt_id, visits.contact_result(report.met), report.visited_at)
        filed = VisitReport.objects.create(
            visit=visit,
            visited_at=report.visited_at,
            met=report.met,
            address_valid=report.address_valid,
            situation=report.situation.strip(),
            assets_seen=report.assets_seen.strip(),
            stated_reason=report.stated_reason,
            promise=_promise(visit, report, by),
            filed_by=by,
        )
        filed.attendees.set(attendees)
        for upload, content_type in zip(report.photos, report.photo_types, strict=True):
            VisitPhoto.objects.create(
                report=filed, image=upload, content_type=content_type, size=upload.size or 0
            )
        _touch(visit, status=VisitStatus.VISITED.value)
        detail = {
            "met": report.met,
            "address_valid": report.address_valid,
            "photos": len(report.photos),
            "promise": filed.promise_id,
            "attendees": list(attendees),
        }
        record(by, "field.visit_reported", visit, detail)
        return filed


def audit_photo_view(photo: VisitPhoto, by: User, ip: str | None = None) -> None:
    """One ``document.download`` event for a visit photo opened in the field app (the same event as a photo
    or document opened from the case page: every view of collection evidence is on the audit trail)."""
    with transaction.atomic():
        record(
            by,
            "document.download",
            photo,
            {"case_id": photo.report.visit.case_id, "kind": "visit_photo", "visit_id": photo.report.visit_id},
            ip=ip,
        )
