"""The arrangements pages (issue 5): the case page's section "还款计划 / 减免 / 结清" (preview and propose through
the HTMX partial, in Chinese by default), the approvals queue scoped to the checker's cases with only what
their limit covers actionable, approve / reject from the queue, and a role × URL table: out of scope → 404."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from test_arrangements_services import with_schedules

from qingshou.apps.arrangements import services
from qingshou.apps.arrangements.models import Arrangement
from qingshou.apps.loans.selectors import quote
from qingshou.domain.arrangements import PlanKind
from qingshou.domain.policy import Component
from workbench_book import DAY, Book, assign_to, make_book
from workbench_support import create_user

pytestmark = [pytest.mark.db, pytest.mark.django_db]

ClientFor = Callable[[Any], Client]
HTMX = {"HX-Request": "true"}


@pytest.fixture
def book(monkeypatch: pytest.MonkeyPatch) -> Book:
    monkeypatch.setenv("QINGSHOU_TODAY", DAY.isoformat())
    book = make_book()
    assign_to(book.cases["B1"], book.users["c1"], book.teams["一组"])
    assign_to(book.cases["B3"], book.users["c3"], book.teams["二组"])
    for role in ("field_agent", "legal_officer", "risk_manager", "strategy_owner"):
        book.users[role] = create_user(role, username=role)
    with_schedules()
    return book


def waiver(book: Book, amount: str = "100", case: str = "B1", by: str = "c1") -> Arrangement:
    loan = book.cases[case].lead_loan_id
    return services.propose_waiver(
        book.users[by], book.cases[case].pk, loan, {Component.PENALTY: Decimal(amount)}, reason="失业"
    )


PLAN_POST = {
    "plan-loan": "L1",
    "plan-reason": "失业, 收入下降",
    "plan-plan_kind": "instalments",
    "plan-months": "24",
    "plan-rate_percent": "6",
    "plan-method": "equal_installment",
    "plan-waive_penalty": "on",
}


def test_the_case_page_shows_the_section_in_chinese_with_the_forms(book: Book, client_for: ClientFor) -> None:
    html = (
        client_for(book.users["c1"]).get(reverse("cases:case", args=[book.cases["B1"].pk])).content.decode()
    )
    assert 'id="arrangements"' in html
    assert "还款计划 / 减免 / 结清" in html
    # each form loads when its <details> is opened: the page carries where from, not the form
    client = client_for(book.users["c1"])
    for kind in ("plan", "waiver", "settlement"):
        url = reverse("arrangements:form", args=[book.cases["B1"].pk, kind])
        assert f'id="{kind}-form"' not in html
        assert f'hx-get="{url}"' in html
        fragment = client.get(url)
        assert fragment.status_code == 200
        assert f'id="{kind}-form"' in fragment.content.decode()


def test_a_form_fragment_is_scoped_and_refused_to_read_only_roles(book: Book, client_for: ClientFor) -> None:
    url = reverse("arrangements:form", args=[book.cases["B1"].pk, "plan"])
    assert client_for(book.users["c3"]).get(url).status_code == 404  # another team's collector
    assert client_for(book.users["auditor"]).get(url).status_code == 403
    assert (
        client_for(book.users["c1"])
        .get(reverse("arrangements:form", args=[book.cases["B1"].pk, "x"]))
        .status_code
        == 404
    )


@pytest.mark.parametrize("username", ["auditor", "risk_manager"])
def test_read_only_roles_see_the_section_without_forms(
    book: Book, client_for: ClientFor, username: str
) -> None:
    waiver(book)
    html = (
        client_for(book.users[username])
        .get(reverse("cases:case", args=[book.cases["B1"].pk]))
        .content.decode()
    )
    assert "data-arrangement=" in html
    assert 'id="plan-form"' not in html
    response = client_for(book.users[username]).post(
        reverse("arrangements:propose", args=[book.cases["B1"].pk, "plan"]), PLAN_POST
    )
    assert response.status_code == 403


def test_preview_then_propose_a_plan_through_the_partial(book: Book, client_for: ClientFor) -> None:
    client = client_for(book.users["c1"])
    url = reverse("arrangements:propose", args=[book.cases["B1"].pk, "plan"])
    preview = client.post(url, {**PLAN_POST, "preview": "1"}, headers=HTMX)
    assert preview.status_code == 200
    html = preview.content.decode()
    assert 'id="plan-preview"' in html
    assert html.count("<tr><td>24</td>") == 1  # the successor schedule's last instalment
    assert not Arrangement.objects.exists()
    proposed = client.post(url, {**PLAN_POST, "propose": "1"}, headers=HTMX)
    assert proposed.status_code == 200
    stored = Arrangement.objects.get()
    assert (stored.kind, stored.months, stored.annual_rate, stored.waive) == (
        "plan",
        24,
        Decimal("0.06"),
        "penalty",
    )
    assert 'id="arrangement-outcome"' in proposed.content.decode()


def test_a_refused_proposal_shows_the_domains_message(book: Book, client_for: ClientFor) -> None:
    payoff = quote("L1", DAY).payoff_amount
    response = client_for(book.users["c1"]).post(
        reverse("arrangements:propose", args=[book.cases["B1"].pk, "settlement"]),
        {
            "settlement-loan": "L1",
            "settlement-reason": "x",
            "settlement-amount": str(payoff + 1),
            "settlement-pay_by": (DAY + timedelta(days=3)).isoformat(),
            "propose": "1",
        },
        headers=HTMX,
    )
    assert response.status_code == 422
    assert 'role="alert"' in response.content.decode()
    assert not Arrangement.objects.exists()


def test_the_approvals_queue_is_scoped_and_only_what_the_limit_covers_is_actionable(
    book: Book, client_for: ClientFor
) -> None:
    small, large = waiver(book, "100"), waiver(book, "6000")
    other_team = waiver(book, "50", case="B3", by="c3")
    html = client_for(book.users["sup1"]).get(reverse("arrangements:approvals")).content.decode()
    assert f'data-arrangement="{small.pk}" data-actionable="yes"' in html
    assert f'data-arrangement="{large.pk}" data-actionable="no"' in html  # above 5,000
    assert f'data-arrangement="{other_team.pk}"' not in html
    legal = client_for(book.users["legal_officer"]).get(reverse("arrangements:approvals")).content.decode()
    assert f'data-arrangement="{large.pk}" data-actionable="yes"' in legal
    assert f'data-arrangement="{other_team.pk}" data-actionable="yes"' in legal


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        ("sup1", 200),
        ("legal_officer", 200),
        ("admin", 200),
        ("c1", 404),
        ("ag1", 404),
        ("auditor", 404),
        ("risk_manager", 404),
        ("field_agent", 404),
        ("strategy_owner", 404),
    ],
)
def test_the_approvals_queue_by_role(book: Book, client_for: ClientFor, username: str, expected: int) -> None:
    assert client_for(book.users[username]).get(reverse("arrangements:approvals")).status_code == expected


@pytest.mark.parametrize(
    ("url_name", "args"),
    [("arrangements:propose", ["plan"]), ("arrangements:case", [])],
)
@pytest.mark.parametrize("username", ["c2", "sup2", "ag1", "field_agent"])
def test_case_urls_outside_the_scope_answer_404(
    book: Book, client_for: ClientFor, url_name: str, args: list[str], username: str
) -> None:
    url = reverse(url_name, args=[book.cases["B1"].pk, *args])
    client = client_for(book.users[username])
    response = client.post(url, PLAN_POST) if "propose" in url_name else client.get(url)
    assert response.status_code == 404
    assert not Arrangement.objects.exists()


@pytest.mark.parametrize("url_name", ["arrangements:approve", "arrangements:reject", "arrangements:withdraw"])
@pytest.mark.parametrize("username", ["sup2", "c2", "ag1", "field_agent"])
def test_decisions_outside_the_scope_answer_404(
    book: Book, client_for: ClientFor, url_name: str, username: str
) -> None:
    proposed = waiver(book)
    response = client_for(book.users[username]).post(reverse(url_name, args=[proposed.pk]), {"note": "x"})
    assert response.status_code == 404
    assert Arrangement.objects.get(pk=proposed.pk).status == "proposed"


def test_approve_and_reject_from_the_queue(book: Book, client_for: ClientFor) -> None:
    first, second = waiver(book, "100"), waiver(book, "200")
    client = client_for(book.users["sup1"])
    response = client.post(reverse("arrangements:approve", args=[first.pk]), {"note": "同意"})
    assert response.status_code == 302
    assert response["Location"] == reverse("arrangements:approvals")
    assert Arrangement.objects.get(pk=first.pk).status == "executed"
    client.post(reverse("arrangements:reject", args=[second.pk]), {"note": ""})
    assert Arrangement.objects.get(pk=second.pk).status == "proposed"  # a rejection needs a note
    client.post(reverse("arrangements:reject", args=[second.pk]), {"note": "证据不足"})
    assert Arrangement.objects.get(pk=second.pk).status == "rejected"
    page = client.get(reverse("arrangements:approvals")).content.decode()
    assert "data-arrangement=" not in page


def test_the_proposer_cannot_approve_from_the_queue(book: Book, client_for: ClientFor) -> None:
    own = waiver(book, "100", by="sup1")
    client = client_for(book.users["sup1"])
    page = client.get(reverse("arrangements:approvals")).content.decode()
    assert f'data-arrangement="{own.pk}" data-actionable="no"' in page
    client.post(reverse("arrangements:approve", args=[own.pk]))
    assert Arrangement.objects.get(pk=own.pk).status == "proposed"


def test_the_withdraw_button_of_the_proposer(book: Book, client_for: ClientFor) -> None:
    proposed = waiver(book)
    response = client_for(book.users["c1"]).post(
        reverse("arrangements:withdraw", args=[proposed.pk]), headers=HTMX
    )
    assert response.status_code == 200
    assert Arrangement.objects.get(pk=proposed.pk).status == "withdrawn"


def test_an_executed_plan_shows_its_new_schedule_on_the_case_page(book: Book, client_for: ClientFor) -> None:
    proposed = services.propose_plan(
        book.users["c1"],
        book.cases["B1"].pk,
        "L1",
        services.PlanRequest(plan_kind=PlanKind.INSTALMENTS, months=6, annual_rate=Decimal("0.06")),
        reason="x",
    )
    done = services.approve(book.users["sup1"], proposed.pk)
    html = (
        client_for(book.users["c1"]).get(reverse("cases:case", args=[book.cases["B1"].pk])).content.decode()
    )
    assert done.successor_loan_id in html
    assert 'class="grid successor-schedule"' in html


def test_waiver_and_settlement_previews_show_the_concession(book: Book, client_for: ClientFor) -> None:
    client = client_for(book.users["c1"])
    case = book.cases["B1"]
    waiver_preview = client.post(
        reverse("arrangements:propose", args=[case.pk, "waiver"]),
        {"waiver-loan": "L1", "waiver-reason": "x", "waiver-penalty": "1234.5", "preview": "1"},
        headers=HTMX,
    )
    assert waiver_preview.status_code == 200
    assert "¥1,234.50" in waiver_preview.content.decode()
    payoff = quote("L1", DAY).payoff_amount
    settlement_preview = client.post(
        reverse("arrangements:propose", args=[case.pk, "settlement"]),
        {
            "settlement-loan": "L1",
            "settlement-reason": "x",
            "settlement-amount": str(payoff - Decimal("2000")),
            "settlement-pay_by": (DAY + timedelta(days=7)).isoformat(),
            "preview": "1",
        },
        headers=HTMX,
    )
    html = settlement_preview.content.decode()
    assert 'id="settlement-preview"' in html
    assert "¥2,000.00" in html
    assert f"¥{payoff:,.2f}" in html
    assert not Arrangement.objects.exists()
    empty = client.post(
        reverse("arrangements:propose", args=[case.pk, "waiver"]),
        {"waiver-loan": "L1", "waiver-reason": "x", "propose": "1"},
        headers=HTMX,
    )
    assert empty.status_code == 422  # a waiver of nothing
