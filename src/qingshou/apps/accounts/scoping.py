"""Row-level scoping: which cases a user may see. Every page, API call, export and search starts here.

| role | sees |
| --- | --- |
| admin, strategy owner, risk manager, auditor, legal officer | every case |
| supervisor | cases of a team they supervise, and cases whose collector is in such a team |
| collector | cases assigned to them |
| agency user | cases placed with their agency (none without an agency) |
| field agent | none here — field agents work from their visits (the field app) |

Outside the scope a case does not exist for the user: ``case_for`` raises ``Http404``, never a 403 that
would confirm the case exists. ``can_write`` says whether a role may change anything at all (auditors and
risk managers only read).
"""

from __future__ import annotations

from typing import Any, Final

from django.db.models import Q, QuerySet
from django.http import Http404

from qingshou.apps.accounts.models import Profile, Team
from qingshou.apps.accounts.roles import Role, role_of
from qingshou.apps.cases.models import Case

#: Roles that see every case.
SEE_ALL: Final = frozenset(
    {Role.ADMIN, Role.STRATEGY_OWNER, Role.RISK_MANAGER, Role.AUDITOR, Role.LEGAL_OFFICER}
)
#: Roles that only read.
READ_ONLY: Final = frozenset({Role.AUDITOR, Role.RISK_MANAGER})


def _agency_id(user: Any) -> str | None:
    profile = getattr(user, "profile", None)
    return profile.agency_id if profile is not None else None


def visible_cases(user: Any) -> QuerySet[Case]:
    """The cases ``user`` may see (an empty queryset for anonymous users and users without a role)."""
    cases = Case.objects.all()
    role = role_of(user)
    if role in SEE_ALL:
        return cases
    if role == Role.SUPERVISOR:
        teams = Team.objects.filter(supervisor=user).values("pk")
        members = Profile.objects.filter(team__supervisor=user).values("user_id")
        return cases.filter(Q(team_id__in=teams) | Q(collector_id__in=members))
    if role == Role.COLLECTOR:
        return cases.filter(collector=user)
    if role == Role.AGENCY_USER:
        agency = _agency_id(user)
        return cases.filter(agency_id=agency) if agency else cases.none()
    return cases.none()


def case_for(user: Any, case_id: int | str) -> Case:
    """The case ``case_id`` if ``user`` may see it; ``Http404`` otherwise (unknown and out of scope alike)."""
    try:
        key = int(case_id)
    except (TypeError, ValueError):
        raise Http404("no such case") from None
    case = visible_cases(user).filter(pk=key).first()
    if case is None:
        raise Http404("no such case")
    return case


def can_write(user: Any) -> bool:
    """Whether the user may change data at all: any role but auditor and risk manager."""
    role = role_of(user)
    return role is not None and role not in READ_ONLY


def can_work(user: Any) -> bool:
    """Whether the user may work cases — record contacts and promises, lock, take the next case: a role
    that writes and holds ``accounts.work_cases`` (a strategy owner writes strategies, not contacts)."""
    return can_write(user) and bool(user.has_perm("accounts.work_cases"))


def can_see_borrower(user: Any, borrower_id: str) -> bool:
    """Whether one of the borrower's cases is visible to ``user`` (every borrower for the see-all roles); a
    field agent sees the borrowers of the open visits they are assigned to (the field app)."""
    role = role_of(user)
    if role in SEE_ALL:
        return True
    if role is Role.FIELD_AGENT:
        return Case.objects.filter(
            borrower_id=borrower_id,
            visits__assignments__agent=user,
            visits__status__in=OPEN_VISIT_STATUSES,
        ).exists()
    return visible_cases(user).filter(borrower_id=borrower_id).exists()


#: The field app's visit statuses in which the assigned agents work the visit (``field.VisitRequest``).
OPEN_VISIT_STATUSES: Final = ("requested", "assigned", "scheduled")
