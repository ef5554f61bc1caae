"""Field visits, the pure rules (``domain.visits``): two distinct agents of the region (C8), the least loaded
first, a batch spread over the region, status changes, and what a report means for the contact record."""

from __future__ import annotations

import re

import pytest

from qingshou.domain.visits import (
    NO_REGION,
    TOO_FEW_AGENTS,
    Agent,
    VisitError,
    agents_needed,
    check_agents,
    check_attendees,
    check_transition,
    choose_agents,
    contact_result,
    plan_assignments,
)

AGENTS = [
    # id, region, open visits
    Agent(1, "朝阳区", 3),
    Agent(2, "朝阳区", 0),
    Agent(3, "朝阳区", 1),
    Agent(4, "海淀区", 0),
    Agent(5, "海淀区", 0),
    Agent(6, "西城区", 0),
]


def test_c8_a_visit_takes_at_least_two_agents_whatever_the_profile_says() -> None:
    assert agents_needed(0) == 2
    assert agents_needed(2) == 2
    assert agents_needed(3) == 3


def test_c8_choose_two_distinct_agents_of_the_region_least_loaded_first() -> None:
    assert choose_agents(AGENTS, "朝阳区", 2) == (2, 3)
    assert choose_agents(AGENTS, "海淀区", 2) == (4, 5)  # equal loads: lowest id first


def test_c8_one_agent_in_the_region_is_not_enough_and_says_why() -> None:
    assert choose_agents(AGENTS, "西城区", 2) == TOO_FEW_AGENTS
    assert choose_agents(AGENTS, "东城区", 2) == TOO_FEW_AGENTS
    assert choose_agents(AGENTS, "  ", 2) == NO_REGION


def test_c8_the_same_agent_listed_twice_counts_once() -> None:
    assert choose_agents([Agent(6, "西城区", 0), Agent(6, "西城区", 0)], "西城区", 2) == TOO_FEW_AGENTS


def test_a_batch_spreads_over_the_region_counting_each_assignment() -> None:
    """Four visits in 朝阳区 over agents loaded 3, 0, 1: each assignment adds one to both agents' loads."""
    plan = plan_assignments([(10, "朝阳区"), (11, "朝阳区"), (12, "朝阳区"), (13, "西城区")], AGENTS, 2)
    # loads 1:3 2:0 3:1 → (2, 3); then 2:1 3:2 → (2, 3); then 1:3 2:2 3:3 → (2, 1)
    assert plan.assigned == {10: (2, 3), 11: (2, 3), 12: (2, 1)}
    assert plan.unassigned == {13: TOO_FEW_AGENTS}


@pytest.mark.parametrize(
    ("current", "new", "allowed"),
    [
        ("requested", "assigned", True),
        ("requested", "scheduled", False),
        ("assigned", "scheduled", True),
        ("scheduled", "scheduled", True),  # rescheduled
        ("scheduled", "visited", True),
        ("assigned", "visited", False),  # a visit is scheduled (C8-checked) before it is made
        ("visited", "cancelled", False),
        ("cancelled", "requested", False),
        ("assigned", "requested", True),
    ],
)
def test_status_changes(current: str, new: str, allowed: bool) -> None:
    if allowed:
        assert check_transition(current, new).value == new
    else:
        with pytest.raises(VisitError, match=f"a {current} visit cannot become {new}"):
            check_transition(current, new)


def test_c8_manual_assignment_refuses_one_agent_or_the_same_agent_twice() -> None:
    assert check_agents([7, 8], 2) == (7, 8)
    with pytest.raises(VisitError, match="at least 2 distinct agents") as error:
        check_agents([7], 2)
    assert error.value.field == "agents"
    with pytest.raises(VisitError, match="twice"):
        check_agents([7, 7], 2)


def test_c8_attendees_are_two_of_the_assigned_agents() -> None:
    assert check_attendees([8, 7], [7, 8, 9], 2) == (8, 7)
    with pytest.raises(VisitError, match=r"agents \[5\] are not assigned") as error:
        check_attendees([7, 5], [7, 8], 2)
    assert error.value.field == "attendees"
    with pytest.raises(VisitError, match="at least 2"):
        check_attendees([7], [7, 8], 2)


@pytest.mark.parametrize(
    ("met", "result"),
    [
        ("debtor", "connected"),
        ("family", "wrong_party"),
        ("neighbour", "wrong_party"),
        ("nobody", "no_answer"),
    ],
)
def test_whom_the_visitors_met_is_the_contact_result(met: str, result: str) -> None:
    assert contact_result(met) == result


def test_an_unknown_met_value_names_the_field() -> None:
    with pytest.raises(
        VisitError, match=re.escape("met must be debtor | family | neighbour | nobody")
    ) as error:
        contact_result("cat")
    assert error.value.field == "met"
