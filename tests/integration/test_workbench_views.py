"""Workbench pages (issue 5): every page answers 200 to the roles whose scope holds the case and 404 to the
others (a table of role × URL — never a 403 that would confirm the case exists); the queue and case page
in a fixed number of queries; recording a contact (C8 refusal shown with its reason) and a promise through
the HTMX partials; "next case"; the lock seen by a second collector; reassignment by a supervisor."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from qingshou.apps.api.tokens import create_token
from qingshou.apps.audit.models import AuditEvent
from qingshou.apps.cases.models import Case, ContactNote, Promise
from qingshou.apps.contacts.models import ContactAttempt, ContactParty
from workbench_book import B1_SCOPE, DAY, Book, assign_to, scoped_book

pytestmark = [pytest.mark.db, pytest.mark.django_db]

ClientFor = Callable[[Any], Client]


@pytest.fixture
def book() -> Book:
    """B1 assigned to c1 (一组), B3 to c3 (二组), B4 placed with agency AG1, B2 unassigned."""
    book = scoped_book()
    return book


def case_urls(case: Case) -> dict[str, str]:
    return {
        "case": reverse("cases:case", args=[case.pk]),
        "quote": reverse("cases:quote", args=[case.pk, case.lead_loan_id]),
        "schedule": reverse("cases:schedule", args=[case.pk, case.lead_loan_id]),
        "arrangements": reverse("arrangements:case", args=[case.pk]),
    }


@pytest.mark.parametrize("page", ["case", "quote", "schedule", "arrangements"])
@pytest.mark.parametrize(("username", "expected"), B1_SCOPE)
def test_case_pages_answer_404_outside_the_users_scope(
    book: Book, client_for: ClientFor, username: str, expected: int, page: str
) -> None:
    response = client_for(book.users[username]).get(case_urls(book.cases["B1"])[page])
    assert response.status_code == expected


@pytest.mark.parametrize(
    ("username", "case", "expected"),
    [("ag1", "B4", 200), ("ag1", "B1", 404), ("c3", "B3", 200), ("sup2", "B3", 200), ("sup1", "B3", 404)],
)
def test_agency_users_and_supervisors_see_only_their_placements(
    book: Book, client_for: ClientFor, username: str, case: str, expected: int
) -> None:
    response = client_for(book.users[username]).get(reverse("cases:case", args=[book.cases[case].pk]))
    assert response.status_code == expected


@pytest.mark.parametrize(
    ("url_name", "data"),
    [
        ("cases:contact", {"result": "busy"}),
        ("cases:promise", {"due_on_1": "2026-12-01", "amount_1": "10"}),
        ("cases:lock", {}),
        ("cases:reassign", {"reason": "x"}),
        ("cases:break_lock", {"reason": "x"}),
    ],
)
@pytest.mark.parametrize("username", ["c2", "sup2", "ag1", "field_agent"])
def test_actions_on_a_case_outside_the_scope_answer_404(
    book: Book, client_for: ClientFor, url_name: str, data: dict[str, str], username: str
) -> None:
    url = reverse(url_name, args=[book.cases["B1"].pk])
    assert client_for(book.users[username]).post(url, data).status_code == 404
    assert not AuditEvent.objects.exclude(action="case.lock").exists()


@pytest.mark.parametrize("username", ["auditor", "risk_manager", "strategy_owner"])
def test_read_only_roles_see_the_case_but_cannot_record(
    book: Book, client_for: ClientFor, username: str
) -> None:
    client = client_for(book.users[username])
    case = book.cases["B1"]
    page = client.get(reverse("cases:case", args=[case.pk]))
    assert page.status_code == 200
    assert b'id="contact-form"' not in page.content
    response = client.post(
        reverse("cases:promise", args=[case.pk]), {"due_on_1": "2026-12-01", "amount_1": "10"}
    )
    assert response.status_code == 403
    assert not Promise.objects.exists()
    # nor a contact, on the page or through the API (a strategy owner writes strategies, not contacts)
    attempts = ContactAttempt.objects.count()
    contact = client.post(
        reverse("cases:contact", args=[case.pk]), {"channel": "voice", "result": "no_answer"}
    )
    assert contact.status_code == 403
    party = ContactParty.objects.filter(borrower_id=case.borrower_id).first()
    assert party is not None
    key = create_token(book.users[username].username, "test").key
    api = Client().post(
        f"/api/cases/{case.pk}/contacts",
        json.dumps({"channel": "call", "party_id": party.pk, "loan_id": "L1", "result": "no_answer"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert api.status_code == 403
    assert ContactAttempt.objects.count() == attempts


@pytest.mark.parametrize(
    ("username", "expected"),
    [("c1", 200), ("sup1", 200), ("ag1", 200), ("auditor", 200), ("admin", 200), ("field_agent", 404)],
)
def test_the_queue_page_by_role(book: Book, client_for: ClientFor, username: str, expected: int) -> None:
    assert client_for(book.users[username]).get(reverse("cases:queue")).status_code == expected


def test_the_queue_lists_only_the_collectors_cases_masked_in_order(book: Book, client_for: ClientFor) -> None:
    assign_to(book.cases["B2"], book.users["c1"], book.teams["一组"])
    response = client_for(book.users["c1"]).get(reverse("cases:queue"))
    html = response.content.decode()
    rows = [book.cases[name].pk for name in ("B2", "B1")]  # both call tasks: B2 priority 80 first
    positions = [html.index(f'data-case="{pk}"') for pk in rows]
    assert positions == sorted(positions)
    assert f'data-case="{book.cases["B3"].pk}"' not in html
    assert "张*" in html
    assert "张1" not in html  # names masked


def test_queue_and_case_pages_cost_a_fixed_number_of_queries(
    book: Book, client_for: ClientFor, django_assert_max_num_queries: Any
) -> None:
    """No N+1: the queue with one case or four, and the case page with a longer history, stay under the
    same bound (the bound is what one case costs)."""
    client = client_for(book.users["c1"])
    client.get(reverse("cases:queue"))
    with django_assert_max_num_queries(12):
        client.get(reverse("cases:queue"))
    for name in ("B2", "B3", "B4"):
        assign_to(book.cases[name], book.users["c1"], book.teams["一组"])
    with django_assert_max_num_queries(12):
        assert client.get(reverse("cases:queue")).status_code == 200
    with django_assert_max_num_queries(40):
        assert client.get(reverse("cases:case", args=[book.cases["B1"].pk])).status_code == 200


def test_next_case_locks_and_opens_the_first_free_case(book: Book, client_for: ClientFor) -> None:
    client = client_for(book.users["c1"])
    response = client.post(reverse("cases:next"))
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:case", args=[book.cases["B1"].pk])
    assert Case.objects.get(pk=book.cases["B1"].pk).locked_by == book.users["c1"]


def test_a_second_user_sees_being_worked_by_and_cannot_record(book: Book, client_for: ClientFor) -> None:
    case = book.cases["B1"]
    client_for(book.users["c1"]).get(reverse("cases:case", args=[case.pk]))  # c1 opens: takes the lock
    supervisor = client_for(book.users["sup1"])
    page = supervisor.get(reverse("cases:case", args=[case.pk])).content.decode()
    assert "C1" in page  # "being worked by" names the holder
    response = supervisor.post(
        reverse("cases:contact", args=[case.pk]),
        {"party": book.parties["B1"].pk, "loan": "L1", "channel": "call", "result": "busy"},
    )
    assert response.status_code == 422
    assert "C1" in response.content.decode()
    supervisor.post(reverse("cases:break_lock", args=[case.pk]), {"reason": "c1 is off sick"})
    assert Case.objects.get(pk=case.pk).locked_by is None
    assert AuditEvent.objects.filter(action="case.break_lock", reason="c1 is off sick").exists()


def test_recording_a_contact_through_the_partial(book: Book, client_for: ClientFor) -> None:
    """C8: the check runs first; in quiet hours the attempt is deferred, recorded and shown with its reason
    — otherwise the result and notes are recorded. The test does not depend on the hour it runs at."""
    client = client_for(book.users["c1"])
    case = book.cases["B1"]
    response = client.post(
        reverse("cases:contact", args=[case.pk]),
        {
            "party": book.parties["B1"].pk,
            "loan": "L1",
            "channel": "call",
            "result": "connected",
            "reason": "illness",
            "notes": "住院中",
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="contact"' in html
    assert "<html" not in html  # a partial
    note = ContactNote.objects.get(case=case)
    assert note.notes == "住院中"
    if note.attempt.outcome == "allow":
        assert note.attempt.result == "connected"
    else:
        assert note.attempt.reason in html


def test_taking_a_promise_through_the_partial_and_form_errors(book: Book, client_for: ClientFor) -> None:
    client = client_for(book.users["c1"])
    case = book.cases["B1"]
    url = reverse("cases:promise", args=[case.pk])
    bad = client.post(url, {"due_on_1": "2099-01-10", "amount_1": "100", "due_on_2": "2099-01-05"})
    assert bad.status_code == 422
    assert not Promise.objects.exists()
    good = client.post(
        url,
        {"due_on_1": "2099-01-10", "amount_1": "100.00", "due_on_2": "2099-02-10", "amount_2": "50.50"},
        HTTP_HX_REQUEST="true",
    )
    assert good.status_code == 200
    promise = Promise.objects.get()
    assert promise.amount_fen == 15_050
    assert promise.due_on == date(2099, 2, 10)
    assert promise.instalments.count() == 2
    assert 'data-promise="' in good.content.decode()


def test_a_supervisor_reassigns_from_the_case_page(book: Book, client_for: ClientFor) -> None:
    case = book.cases["B1"]
    response = client_for(book.users["sup1"]).post(
        reverse("cases:reassign", args=[case.pk]), {"collector": book.users["c2"].pk, "reason": "leave"}
    )
    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).collector == book.users["c2"]
    assert AuditEvent.objects.get(action="case.reassign").reason == "leave"


def test_the_quote_page_shows_the_domain_quote_or_its_error(book: Book, client_for: ClientFor) -> None:
    response = client_for(book.users["c1"]).get(reverse("cases:quote", args=[book.cases["B1"].pk, "L1"]))
    assert response.status_code == 200
    assert str(DAY.year) in response.content.decode()
    other = client_for(book.users["c1"]).get(reverse("cases:quote", args=[book.cases["B1"].pk, "L2"]))
    assert other.status_code == 404
