"""Reads of the field pages, scoped: a field agent sees the visits they are sent on; everybody else the
visits of the cases they may see (``accounts.scoping.visible_cases``); outside the scope a visit does not
exist (``Http404``). ``visit_facts`` gathers what a visitor needs on the doorstep, already formatted."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from qingshou.apps.accounts.roles import Role, has_role, role_of
from qingshou.apps.accounts.scoping import visible_cases
from qingshou.apps.eod.models import LoanStatus
from qingshou.apps.field.models import VisitAgent, VisitRequest
from qingshou.domain.money import from_fen, money_str
from qingshou.domain.privacy import mask_address, mask_name, mask_phone
from qingshou.domain.visits import OPEN_STATUSES, VisitStatus

#: Roles that manage visits on the supervisor's board (assign, cancel) within their visible cases.
BOARD_ROLES = (Role.ADMIN, Role.SUPERVISOR)
#: Roles that ask for visits from a case page.
REQUEST_ROLES = (Role.ADMIN, Role.SUPERVISOR, Role.COLLECTOR)


def visible_visits(user: Any) -> QuerySet[VisitRequest]:
    """The visits ``user`` may see."""
    role = role_of(user)
    visits = VisitRequest.objects.select_related("case__borrower")
    if role is None:
        return visits.none()
    if role == Role.FIELD_AGENT:
        return visits.filter(assignments__agent=user)
    return visits.filter(case__in=visible_cases(user).values("pk"))


def visit_for(user: Any, visit_id: int | str) -> VisitRequest:
    """The visit if ``user`` may see it; ``Http404`` otherwise."""
    try:
        key = int(visit_id)
    except (TypeError, ValueError):
        raise Http404("no such visit") from None
    visit = visible_visits(user).filter(pk=key).first()
    if visit is None:
        raise Http404("no such visit")
    return visit


def is_agent_of(user: Any, visit: VisitRequest) -> bool:
    """Whether ``user`` is one of the visit's agents."""
    return VisitAgent.objects.filter(visit=visit, agent_id=user.pk).exists()


def can_manage(user: Any) -> bool:
    """Whether ``user`` works the supervisor's board (assign, cancel) — within their visible cases."""
    return has_role(user, *BOARD_ROLES)


def my_visits(user: Any) -> QuerySet[VisitRequest]:
    """A field agent's open visits, the scheduled ones first by time, then by due date."""
    return (
        VisitRequest.objects.select_related("case__borrower")
        .filter(assignments__agent=user, status__in=[s.value for s in OPEN_STATUSES])
        .order_by("scheduled_at", "due_by", "id")
    )


def board_visits(user: Any) -> QuerySet[VisitRequest]:
    """Visits of the user's visible cases still waiting for agents or a date (requested, assigned)."""
    return (
        visible_visits(user)
        .filter(status__in=[VisitStatus.REQUESTED.value, VisitStatus.ASSIGNED.value])
        .prefetch_related("assignments__agent")
        .order_by("due_by", "id")
    )


def agent_choices(region: str = "") -> list[tuple[int, str]]:
    """Active field agents as (id, "name · region"), those of ``region`` first."""
    from qingshou.apps.field.services import field_agents

    rows = field_agents().values("pk", "username", "first_name", "last_name", "profile__region")
    ordered = sorted(rows, key=lambda row: (row["profile__region"] != region, row["username"]))
    return [
        (
            row["pk"],
            f"{(row['last_name'] + row['first_name']) or row['username']} · {row['profile__region'] or '-'}",
        )
        for row in ordered
    ]


def visit_agents(visit: VisitRequest) -> list[tuple[int, str]]:
    """The visit's agents as (id, name)."""
    rows = visit.assignments.select_related("agent").order_by("agent_id")
    return [
        (row.agent_id, (row.agent.last_name + row.agent.first_name) or row.agent.username) for row in rows
    ]


@dataclass(frozen=True, slots=True)
class LoanFacts:
    """One loan's figures of the latest EOD day, formatted."""

    loan_id: str
    as_of: str
    dpd: int
    overdue: str
    principal: str
    penalty: str  # penalty and compound interest


@dataclass(frozen=True, slots=True)
class VisitFacts:
    """What a visitor needs: the borrower (name and phone masked), the address, the loans in arrears."""

    borrower_id: str
    name_masked: str
    phone_masked: str
    address: str
    address_masked: str
    loans: tuple[LoanFacts, ...]
    worst_dpd: int
    total_overdue: str


def _yuan(value: int | None) -> str:
    return money_str(from_fen(int(value or 0)))


def visit_facts(visit: VisitRequest) -> VisitFacts:
    """The doorstep facts of ``visit`` from the borrower and the loans' latest statuses (EOD)."""
    borrower = visit.case.borrower
    statuses = LoanStatus.objects.filter(loan__borrower_id=borrower.pk).order_by("-dpd", "loan_id")
    loans = tuple(
        LoanFacts(
            loan_id=row.loan_id,
            as_of=row.as_of.isoformat(),
            dpd=row.dpd,
            overdue=_yuan(row.total_overdue_fen),
            principal=_yuan(row.overdue_principal_fen),
            penalty=_yuan(row.penalty_interest_fen + row.compound_interest_fen),
        )
        for row in statuses
    )
    return VisitFacts(
        borrower_id=borrower.pk,
        name_masked=mask_name(borrower.name),
        phone_masked=mask_phone(borrower.phone),
        address=visit.address,
        address_masked=mask_address(visit.address),
        loans=loans,
        worst_dpd=max((loan.dpd for loan in loans), default=0),
        total_overdue=_yuan(sum(int(row.total_overdue_fen or 0) for row in statuses)),
    )
