"""Who sees the dashboards, and how much of the book (docs/dashboards.md, docs/security.md).

The app's permission ``dashboards.view_dashboards`` (the role matrix grants it to admins, strategy owners,
supervisors, risk managers and auditors) opens the pages; the role then gives the scope:

| role | sees |
| --- | --- |
| admin, strategy owner, risk manager, auditor | the whole book (every filter free) |
| supervisor | the teams they supervise only: the team filter is forced to one of them; any other team → 404 |
| everyone else (collector, field agent, agency user, legal officer, no role) | nothing: 404 |

A supervisor who leads no team sees nothing (404). As everywhere, what is out of scope does not exist: 404,
never 403.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from django.http import Http404

from qingshou.apps.accounts.models import Team
from qingshou.apps.accounts.roles import Role, role_of

PERMISSION: Final = "dashboards.view_dashboards"

#: Roles that see the whole book on the dashboards.
WHOLE_BOOK: Final = frozenset({Role.ADMIN, Role.STRATEGY_OWNER, Role.RISK_MANAGER, Role.AUDITOR})


@dataclass(frozen=True, slots=True)
class Scope:
    """What a user may see: the whole book, or only ``teams`` (a supervisor's, by name)."""

    whole_book: bool
    teams: tuple[Team, ...] = ()

    def allows_team(self, team_id: str) -> bool:
        """Whether the team filter may be ``team_id`` (any team for the whole book)."""
        return self.whole_book or any(str(team.pk) == team_id for team in self.teams)


def scope_for(user: Any) -> Scope:
    """The user's dashboard scope; ``Http404`` for a user who may not see the dashboards at all."""
    if not user.has_perm(PERMISSION):
        raise Http404("no dashboards")
    role = role_of(user)
    if role in WHOLE_BOOK:
        return Scope(whole_book=True)
    if role is Role.SUPERVISOR:
        teams = tuple(Team.objects.filter(supervisor=user).order_by("name"))
        if teams:
            return Scope(whole_book=False, teams=teams)
    raise Http404("no dashboards")
