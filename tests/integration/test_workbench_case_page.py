"""The case page made cheaper (issue 5 "Speed", docs/benchmarks.md "Workbench under load") without changing
what it shows or to whom: the schedule and payments of a loan load when "Schedule and payments" is opened
(an HTMX partial, or a page of its own without JavaScript) under the same scoping as the case page (404
outside it, C9-style never a 403); the forms' drop-downs are rendered from the parties and loans the page
has read already — the same HTML as from their querysets, and a posted value outside the borrower's is still
refused."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from qingshou.apps.cases.forms import ContactForm, PromiseForm
from qingshou.apps.contacts.models import ContactParty
from qingshou.apps.loans.models import Installment, Loan, Payment
from workbench_book import Book, assign_to, make_book

pytestmark = [pytest.mark.db, pytest.mark.django_db]

ClientFor = Callable[[Any], Client]


@pytest.fixture
def book() -> Book:
    """B1 assigned to c1 (一组) with a 12-month schedule and two payments on its loan L1; B3 to c3."""
    book = make_book()
    assign_to(book.cases["B1"], book.users["c1"], book.teams["一组"])
    assign_to(book.cases["B3"], book.users["c3"], book.teams["二组"])
    Installment.objects.bulk_create(
        Installment(
            loan_id="L1",
            seq=seq,
            due_date=date(2025, 1 + seq, 1) if seq < 12 else date(2026, 1, 1),
            principal_due_fen=800_000 + seq,
            interest_due_fen=100_000,
        )
        for seq in range(1, 13)
    )
    Payment.objects.create(payment_id="PAY-1", loan_id="L1", paid_on=date(2025, 2, 1), amount_fen=900_001)
    Payment.objects.create(payment_id="PAY-2", loan_id="L1", paid_on=date(2025, 3, 3), amount_fen=123_456)
    return book


def schedule_url(book: Book, name: str = "B1", loan_id: str = "L1") -> str:
    return reverse("cases:schedule", args=[book.cases[name].pk, loan_id])


def test_the_case_page_links_each_loans_schedule_instead_of_embedding_it(
    book: Book, client_for: ClientFor
) -> None:
    """Issue 5 "Speed": the page carries the link (HTMX on opening), not the 12 rows and the payments."""
    html = (
        client_for(book.users["c1"]).get(reverse("cases:case", args=[book.cases["B1"].pk])).content.decode()
    )
    url = schedule_url(book)
    assert f'hx-get="{url}"' in html
    assert f'href="{url}"' in html
    assert "PAY-1" not in html


def test_the_schedule_partial_and_page_show_every_instalment_and_payment(
    book: Book, client_for: ClientFor
) -> None:
    client = client_for(book.users["c1"])
    partial = client.get(schedule_url(book), headers={"HX-Request": "true"})
    assert partial.status_code == 200
    html = partial.content.decode()
    assert "<html" not in html  # the partial alone, swapped into the case page
    assert html.count("<tr><td>") == 12 + 2
    assert "8,000.12" in html  # instalment 12's principal, in yuan
    assert html.index("PAY-2") < html.index("PAY-1")  # newest payment first
    page = client.get(schedule_url(book))
    assert page.status_code == 200
    text = page.content.decode()
    assert "<html" in text
    assert "PAY-1" in text
    assert "8,000.12" in text
    assert reverse("cases:case", args=[book.cases["B1"].pk]) in text  # back to the case


@pytest.mark.parametrize(("username", "expected"), [("c1", 200), ("sup1", 200), ("c2", 404), ("c3", 404)])
def test_the_schedule_answers_404_outside_the_case_scope(
    book: Book, client_for: ClientFor, username: str, expected: int
) -> None:
    """Scoping (issue 5): the schedule of a case the user does not see does not exist for them."""
    response = client_for(book.users[username]).get(schedule_url(book), headers={"HX-Request": "true"})
    assert response.status_code == expected


def test_the_schedule_of_another_borrowers_loan_is_404_even_in_scope(
    book: Book, client_for: ClientFor
) -> None:
    client = client_for(book.users["c1"])
    assert client.get(schedule_url(book, "B1", "L3")).status_code == 404
    assert client.get(schedule_url(book, "B1", "NOPE")).status_code == 404


def test_drop_downs_from_the_pages_lists_render_as_from_their_querysets(book: Book) -> None:
    """Same options, labels (masked phone) and initial values, without the forms' own queries."""
    case = book.cases["B1"]
    ContactParty.objects.create(borrower_id="B1", kind="guarantor", name="李四", phone="13900001111")
    Loan.objects.create(
        loan_id="L1B",
        borrower_id="B1",
        product_id="P1",
        principal_fen=1_000_000,
        annual_rate="0.10",
        disbursed_on=date(2025, 3, 1),
        term_months=6,
        repayment_method="equal_installment",
    )
    parties = list(ContactParty.objects.filter(borrower_id="B1").order_by("pk"))
    loans = list(Loan.objects.filter(borrower_id="B1").order_by("loan_id"))
    queried = ContactForm(case=case)
    given = ContactForm(case=case, parties=parties, loans=loans)
    for name in ("party", "loan"):
        assert str(given[name]) == str(queried[name])
    assert "139****1111" in str(given["party"])
    assert "13900001111" not in str(given["party"])
    assert str(PromiseForm(case=case, loans=loans)["loan"]) == str(PromiseForm(case=case)["loan"])


def test_a_posted_loan_outside_the_borrowers_is_still_refused(book: Book) -> None:
    case = book.cases["B1"]
    parties = list(ContactParty.objects.filter(borrower_id="B1"))
    loans = list(Loan.objects.filter(borrower_id="B1"))
    data = {"party": parties[0].pk, "loan": "L3", "channel": "call", "result": "no_answer"}
    form = ContactForm(data, case=case, parties=parties, loans=loans)
    assert not form.is_valid()
    assert "loan" in form.errors
    assert not PromiseForm(
        {"loan": "L3", "due_on_1": "2026-04-01", "amount_1": "10"}, case=case, loans=loans
    ).is_valid()


def test_the_case_page_reads_the_borrowers_loans_once_for_every_section(
    book: Book, client_for: ClientFor
) -> None:
    """Issue 5 "Speed": the contact, promise and upload forms take their loan lists from the page's one read
    (before: a query per form, a server-side cursor each on PostgreSQL); the arrangement forms are not on the
    page at all (each loads when opened, test_arrangements_views)."""
    client = client_for(book.users["c1"])
    url = reverse("cases:case", args=[book.cases["B1"].pk])
    with CaptureQueriesContext(connection) as queries:
        html = client.get(url).content.decode()
    loan_reads = [q["sql"] for q in queries.captured_queries if 'FROM "qs_loan"' in q["sql"]]
    assert len(loan_reads) == 1, loan_reads
    assert 'FROM "qs_installment"' not in " ".join(q["sql"] for q in queries.captured_queries)
    assert 'id="plan-form"' not in html
    for form_id in ("contact-form", "promise-form", "upload-form"):
        form = html[html.index(f'id="{form_id}"') :]
        assert '<option value="L1"' in form[: form.index("</form>")]
