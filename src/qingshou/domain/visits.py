"""Field visits (外访): the pure rules of a visit's life, the choice of its agents and what a report means.

A visit request moves ``requested → assigned → scheduled → visited``; any open visit may be ``cancelled``,
an assigned or scheduled one may go back to ``requested`` (its agents released), and a scheduled one may be
scheduled again. A visit is made by at least ``needed`` field agents (C8: the compliance profile's
``min_visit_collectors``, never fewer than two), all distinct, whose region is the visit's region;
``choose_agents`` takes the least loaded first (fewest open visits, then the lowest id, so the choice is
stable) and ``plan_assignments`` spreads a batch of visits, counting each assignment in the loads as it goes.
A visit nobody can make stays requested with the reason. ``contact_result`` maps whom the visitors met to the
result of the contact attempt (C8 record).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from qingshou.domain.errors import DomainError


class VisitError(DomainError):
    """A visit cannot move as asked (a status change not allowed, too few agents, a bad report)."""

    code = "invalid_visit"


class VisitStatus(StrEnum):
    """Where a visit request stands."""

    REQUESTED = "requested"
    ASSIGNED = "assigned"
    SCHEDULED = "scheduled"
    VISITED = "visited"
    CANCELLED = "cancelled"


class MetWhom(StrEnum):
    """Whom the visitors met at the address."""

    DEBTOR = "debtor"
    FAMILY = "family"
    NEIGHBOUR = "neighbour"
    NOBODY = "nobody"


#: The status changes allowed (from → the statuses it may move to).
TRANSITIONS: Final[Mapping[VisitStatus, frozenset[VisitStatus]]] = {
    VisitStatus.REQUESTED: frozenset({VisitStatus.ASSIGNED, VisitStatus.CANCELLED}),
    VisitStatus.ASSIGNED: frozenset(
        {VisitStatus.SCHEDULED, VisitStatus.REQUESTED, VisitStatus.ASSIGNED, VisitStatus.CANCELLED}
    ),
    VisitStatus.SCHEDULED: frozenset(
        {VisitStatus.VISITED, VisitStatus.SCHEDULED, VisitStatus.REQUESTED, VisitStatus.CANCELLED}
    ),
    VisitStatus.VISITED: frozenset(),
    VisitStatus.CANCELLED: frozenset(),
}
#: Statuses of a visit that still needs work (they count in an agent's load).
OPEN_STATUSES: Final = frozenset({VisitStatus.REQUESTED, VisitStatus.ASSIGNED, VisitStatus.SCHEDULED})
#: The fewest agents on a visit whatever the profile says (the issue: two field agents).
MIN_AGENTS: Final = 2

#: Why a visit stays requested after an assignment run.
NO_REGION: Final = "no_region"
TOO_FEW_AGENTS: Final = "too_few_agents"


def check_transition(current: str, new: str) -> VisitStatus:
    """``new`` as a status when a visit in ``current`` may move there; else a ``VisitError`` naming both."""
    try:
        source, target = VisitStatus(current), VisitStatus(new)
    except ValueError:
        raise VisitError(f"unknown visit status {current!r} or {new!r}", field="status") from None
    if target not in TRANSITIONS[source]:
        raise VisitError(f"a {source.value} visit cannot become {target.value}", field="status")
    return target


def agents_needed(min_visit_collectors: int) -> int:
    """How many agents a visit takes: the profile's minimum (C8), at least ``MIN_AGENTS``."""
    return max(MIN_AGENTS, min_visit_collectors)


@dataclass(frozen=True, slots=True)
class Agent:
    """A field agent who may be sent: their id, their region and how many open visits they have."""

    agent_id: int
    region: str
    open_visits: int


def choose_agents(agents: Sequence[Agent], region: str, needed: int) -> tuple[int, ...] | str:
    """The ids of the ``needed`` least loaded distinct agents of ``region`` (fewest open visits, then the
    lowest id); the reason code when there are not enough (``no_region`` for a visit without a region)."""
    if not region.strip():
        return NO_REGION
    local = sorted(
        {agent.agent_id: agent for agent in agents if agent.region == region}.values(),
        key=lambda agent: (agent.open_visits, agent.agent_id),
    )
    if len(local) < needed:
        return TOO_FEW_AGENTS
    return tuple(agent.agent_id for agent in local[:needed])


@dataclass(frozen=True, slots=True)
class Assignments:
    """The answer of ``plan_assignments``: visit id → agent ids, and visit id → why it stays requested."""

    assigned: Mapping[int, tuple[int, ...]]
    unassigned: Mapping[int, str]


def plan_assignments(visits: Sequence[tuple[int, str]], agents: Sequence[Agent], needed: int) -> Assignments:
    """Assign each ``(visit id, region)`` in order; every assignment adds one open visit to its agents'
    loads before the next visit is decided, so a batch spreads over the region's agents."""
    loads = {agent.agent_id: agent for agent in agents}
    assigned: dict[int, tuple[int, ...]] = {}
    unassigned: dict[int, str] = {}
    for visit_id, region in visits:
        chosen = choose_agents(list(loads.values()), region, needed)
        if isinstance(chosen, str):
            unassigned[visit_id] = chosen
            continue
        assigned[visit_id] = chosen
        for agent_id in chosen:
            agent = loads[agent_id]
            loads[agent_id] = Agent(agent.agent_id, agent.region, agent.open_visits + 1)
    return Assignments(assigned, unassigned)


def check_agents(agent_ids: Sequence[int], needed: int) -> tuple[int, ...]:
    """The agents of a manual assignment: at least ``needed`` (C8), all distinct."""
    distinct = tuple(dict.fromkeys(agent_ids))
    if len(distinct) != len(agent_ids):
        raise VisitError("the same agent cannot be sent twice on one visit", field="agents")
    if len(distinct) < needed:
        raise VisitError(f"a field visit needs at least {needed} distinct agents (C8)", field="agents")
    return distinct


#: The contact attempt's result for whom the visitors met (``apps.contacts`` visit results).
CONTACT_RESULTS: Final[Mapping[MetWhom, str]] = {
    MetWhom.DEBTOR: "connected",
    MetWhom.FAMILY: "wrong_party",
    MetWhom.NEIGHBOUR: "wrong_party",
    MetWhom.NOBODY: "no_answer",
}


def contact_result(met: str) -> str:
    """The contact result a visit report records for whom the visitors met."""
    try:
        return CONTACT_RESULTS[MetWhom(met)]
    except ValueError:
        allowed = " | ".join(member.value for member in MetWhom)
        raise VisitError(f"met must be {allowed}, got {met!r}", field="met") from None


def check_attendees(attendees: Sequence[int], assigned: Sequence[int], needed: int) -> tuple[int, ...]:
    """The agents who attended: at least ``needed`` distinct ones (C8), each assigned to the visit."""
    chosen = check_agents(attendees, needed)
    strangers = sorted(set(chosen) - set(assigned))
    if strangers:
        raise VisitError(f"agents {strangers} are not assigned to this visit", field="attendees")
    return chosen
