"""The day's optimised plan in the collector's queue (issue 8, docs/workbench.md "The queue"): a case whose
action of the planned day the optimised plan chose shows "in today's plan", a case whose actions it left out
shows "outside the plan"; without an optimised plan of the day (none, or only the greedy run, or another
day's) no case shows either. The badges are subqueries of the page query: the page costs the same number of
queries with a plan as without."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from qingshou.apps.cases.models import Action
from qingshou.apps.cases.services.queue import queue
from qingshou.apps.planning.models import PlanItem, PlanRun
from workbench_book import DAY, Book, assign_to, scoped_book

pytestmark = [pytest.mark.db, pytest.mark.django_db]

ClientFor = Callable[[Any], Client]


@pytest.fixture
def book() -> Book:
    """B1 and B2 (call tasks on DAY, allowed) both c1's; B3 (a refused call) c3's."""
    book = scoped_book()
    assign_to(book.cases["B2"], book.users["c1"], book.teams["一组"])
    return book


def store_plan(book: Book, chosen: dict[str, bool], *, method: str = "optimised", day: date = DAY) -> None:
    """A plan run of ``day`` whose items are the call tasks of the named borrowers, chosen or not."""
    run = PlanRun.objects.create(
        day=day,
        method=method,
        status="OPTIMAL",
        candidates=len(chosen),
        chosen=sum(chosen.values()),
        value_fen=0,
        cost_fen=0,
        net_fen=0,
        bound_fen=0,
        gap_ppm=0,
        seconds=0.1,
    )
    for borrower_id, picked in chosen.items():
        action = Action.objects.get(as_of=DAY, borrower_id=borrower_id)
        PlanItem.objects.create(
            run=run,
            action_id=action.pk,
            borrower_id=borrower_id,
            channel="call",
            value_fen=10_000,
            cost_fen=500,
            minutes=5,
            chosen=picked,
        )


def badges(html: str) -> dict[str, str]:
    """Borrower row (``data-case``) → its plan badge class ('' without one)."""
    rows = re.findall(r'<tr data-case="(\d+)">(.*?)</tr>', html, flags=re.S)
    found: dict[str, str] = {}
    for case_id, row in rows:
        badge = re.search(r'class="badge (plan-\w+)"', row)
        found[case_id] = badge.group(1) if badge else ""
    return found


def page_badges(book: Book, client_for: ClientFor, username: str = "c1") -> dict[str, str]:
    response = client_for(book.users[username]).get(reverse("cases:queue"))
    assert response.status_code == 200
    by_pk = badges(response.content.decode())
    return {name: by_pk[str(case.pk)] for name, case in book.cases.items() if str(case.pk) in by_pk}


def test_chosen_and_left_out_cases_are_marked(book: Book, client_for: ClientFor) -> None:
    store_plan(book, {"B1": True, "B2": False})
    assert page_badges(book, client_for) == {"B1": "plan-in", "B2": "plan-out"}


def test_the_badges_read_in_both_languages(book: Book, client_for: ClientFor) -> None:
    store_plan(book, {"B1": True, "B2": False})
    client = client_for(book.users["c1"])
    chinese = client.get(reverse("cases:queue")).content.decode()
    assert "今日计划" in chinese
    assert "计划外" in chinese
    client.cookies["django_language"] = "en"
    english = client.get(reverse("cases:queue")).content.decode()
    assert "In today's plan" in english
    assert "Outside the plan" in english


@pytest.mark.parametrize(
    "plan",
    [
        pytest.param(None, id="no plan"),
        pytest.param(("greedy", DAY), id="only the greedy run"),
        pytest.param(("optimised", DAY - timedelta(days=1)), id="another day's plan"),
    ],
)
def test_without_the_days_optimised_plan_no_case_is_marked(
    book: Book, client_for: ClientFor, plan: tuple[str, date] | None
) -> None:
    if plan is not None:
        method, day = plan
        store_plan(book, {"B1": True, "B2": False}, method=method, day=day)
    assert page_badges(book, client_for) == {"B1": "", "B2": ""}


def test_a_case_without_a_candidate_has_no_badge(book: Book, client_for: ClientFor) -> None:
    """B2's call is not a candidate of the plan (e.g. its channel was not planned): no badge either way."""
    store_plan(book, {"B1": True})
    assert page_badges(book, client_for) == {"B1": "plan-in", "B2": ""}


def test_the_annotations_follow_the_plan_and_leave_the_order_alone(book: Book) -> None:
    before = list(queue(book.users["c1"], today=DAY).values_list("borrower_id", flat=True))
    store_plan(book, {"B1": True, "B2": False})
    rows = [
        (case.borrower_id, getattr(case, "in_plan"), getattr(case, "outside_plan"))  # noqa: B009 (annotations)
        for case in queue(book.users["c1"], today=DAY)
    ]
    assert rows == [("B2", False, True), ("B1", True, False)]
    assert [row[0] for row in rows] == before  # the plan is advisory: B2 (priority 80) stays first


def test_the_plan_costs_no_query_per_row(
    book: Book, client_for: ClientFor, django_assert_max_num_queries: Any
) -> None:
    """Same bound as the queue without a plan (test_workbench_views): the badges are in the page query."""
    store_plan(book, {"B1": True, "B2": False})
    for name in ("B3", "B4"):
        assign_to(book.cases[name], book.users["c1"], book.teams["一组"])
    client = client_for(book.users["c1"])
    client.get(reverse("cases:queue"))
    with django_assert_max_num_queries(12):
        assert client.get(reverse("cases:queue")).status_code == 200
