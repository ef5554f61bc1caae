"""The JSON API (issue 5, docs/api.md): bearer tokens (missing / unknown / revoked / expired → 401), the
same row-level scope as the pages (a table of role × endpoint: 404 outside the scope, never 403), payments
with an ``Idempotency-Key`` (the same key answers the same response and posts nothing twice, another body
→ 409; C5), money as decimal strings (C9), a contact refused by the compliance check through the API (C8,
422 with the reason), the case lock (409), the OpenAPI schema listing every endpoint, and the audit rows."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from qingshou.apps.api.models import ApiToken, IdempotencyKey
from qingshou.apps.api.tokens import create_token, hash_key, revoke_token
from qingshou.apps.audit.models import AuditEvent
from qingshou.apps.cases.models import Case, ContactNote, Promise, PromiseInstalment
from qingshou.apps.contacts.models import ContactAttempt, ContactParty
from qingshou.apps.loans.models import Installment, Loan, Payment
from qingshou.cli import build
from qingshou.domain.schedule import build_schedule
from workbench_book import B1_SCOPE, DAY, Book, make_book, scoped_book

pytestmark = [pytest.mark.db, pytest.mark.django_db]

Call = Callable[..., Any]


@pytest.fixture
def book(monkeypatch: pytest.MonkeyPatch) -> Book:
    """The workbench book: B1 assigned to c1 (一组), B3 to c3 (二组), B4 placed with agency AG1, B2
    unassigned; one user of every other role; L1 with its schedule (so it can take payments and quote)."""
    monkeypatch.setenv("QINGSHOU_TODAY", DAY.isoformat())
    book = scoped_book()
    loan = Loan.objects.get(loan_id="L1")
    for item in build_schedule(loan.to_terms()):
        Installment.objects.create(
            loan=loan,
            seq=item.seq,
            due_date=item.due_date,
            principal_due_fen=int(item.principal_due * 100),
            interest_due_fen=int(item.interest_due * 100),
        )
    return book


@pytest.fixture
def keys(book: Book) -> dict[str, str]:
    """One API token per user of the book."""
    return {name: create_token(user.username, "test").key for name, user in book.users.items()}


@pytest.fixture
def call(keys: dict[str, str]) -> Call:
    """``call(username, method, url, body=None, **headers)`` → the response, with that user's token."""
    client = Client()

    def send(username: str | None, method: str, url: str, body: Any = None, **headers: str) -> Any:
        extra = {f"HTTP_{name.upper()}": value for name, value in headers.items()}
        if username is not None:
            extra["HTTP_AUTHORIZATION"] = f"Bearer {keys[username]}"
        if method == "get":
            return client.get(url, body, **extra)
        return client.post(url, json.dumps(body), content_type="application/json", **extra)

    return send


# --- authentication ------------------------------------------------------------------------------------


def assert_unauthorized(response: Any) -> None:
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_valid_token_authenticates_and_is_stored_only_hashed(
    book: Book, call: Call, keys: dict[str, str]
) -> None:
    response = call("c1", "get", "/api/cases")
    assert response.status_code == 200
    token = ApiToken.objects.get(user=book.users["c1"])
    assert token.key_hash == hash_key(keys["c1"])
    assert keys["c1"] not in {token.key_hash, token.prefix}
    assert token.last_used_at is not None


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer qs_unknown-token", "Token abc", "Basic YTpi"])
def test_a_missing_or_unknown_token_answers_401(book: Book, header: str | None) -> None:
    extra = {"HTTP_AUTHORIZATION": header} if header is not None else {}
    assert_unauthorized(Client().get("/api/cases", **extra))


def test_a_revoked_token_answers_401(book: Book, call: Call) -> None:
    assert call("c1", "get", "/api/cases").status_code == 200
    revoke_token("c1", "test")
    assert_unauthorized(call("c1", "get", "/api/cases"))


def test_an_expired_token_answers_401(book: Book, keys: dict[str, str]) -> None:
    created = create_token("c1", "short", days=1, now=timezone.now() - timedelta(days=2))
    assert_unauthorized(Client().get("/api/cases", HTTP_AUTHORIZATION=f"Bearer {created.key}"))
    ApiToken.objects.filter(pk=created.token.pk).update(expires_at=timezone.now() + timedelta(hours=1))
    assert Client().get("/api/cases", HTTP_AUTHORIZATION=f"Bearer {created.key}").status_code == 200


def test_a_token_of_an_inactive_user_answers_401(book: Book, call: Call) -> None:
    User.objects.filter(pk=book.users["c1"].pk).update(is_active=False)
    assert_unauthorized(call("c1", "get", "/api/cases"))


def test_a_logged_in_session_is_not_an_api_credential(
    book: Book, client_for: Callable[[Any], Client]
) -> None:
    assert_unauthorized(client_for(book.users["admin"]).get("/api/cases"))


# --- scope: role × endpoint ----------------------------------------------------------------------------


def b1_urls(book: Book) -> dict[str, str]:
    case = book.cases["B1"].pk
    return {
        "case": f"/api/cases/{case}",
        "loan_status": "/api/loans/L1/status",
        "loan_quote": "/api/loans/L1/quote",
        "actions": f"/api/actions?case={case}",
    }


@pytest.mark.parametrize("endpoint", ["case", "loan_status", "loan_quote", "actions"])
@pytest.mark.parametrize(("username", "expected"), B1_SCOPE)
def test_every_read_endpoint_answers_404_outside_the_users_scope(
    book: Book, call: Call, username: str, expected: int, endpoint: str
) -> None:
    response = call(username, "get", b1_urls(book)[endpoint])
    assert response.status_code == expected, response.content
    if expected == 404:
        assert response.json()["code"] == "not_found"


def test_an_unknown_case_or_loan_is_the_same_404(book: Book, call: Call) -> None:
    for url in (
        "/api/cases/999999",
        "/api/loans/NOPE/status",
        "/api/loans/NOPE/quote",
        "/api/actions?case=999999",
    ):
        response = call("admin", "get", url)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        ("c1", ["B1"]),
        ("c3", ["B3"]),
        ("sup1", ["B1"]),
        ("sup2", ["B3"]),
        ("ag1", ["B4"]),
        ("field_agent", []),
        ("auditor", ["B1", "B2", "B3", "B4"]),
        ("admin", ["B1", "B2", "B3", "B4"]),
    ],
)
def test_the_case_list_is_the_users_scope(book: Book, call: Call, username: str, expected: list[str]) -> None:
    body = call(username, "get", "/api/cases").json()
    assert [item["borrower_id"] for item in body["items"]] == expected
    assert body["count"] == len(expected)


def test_the_case_list_filters_and_pages(book: Book, call: Call) -> None:
    Case.objects.filter(pk=book.cases["B2"].pk).update(status="closed", closed_on=DAY, close_reason="cured")
    body = call("admin", "get", "/api/cases?status=open&limit=2&offset=1").json()
    assert (body["count"], body["limit"], body["offset"]) == (3, 2, 1)
    assert [item["borrower_id"] for item in body["items"]] == ["B3", "B4"]
    assert call("admin", "get", "/api/cases?status=closed").json()["count"] == 1
    for query, field in (
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("offset=-1", "offset"),
        ("status=x", "status"),
    ):
        response = call("admin", "get", f"/api/cases?{query}")
        assert response.status_code == 422, query
        assert response.json()["field"] == field


def test_the_actions_of_the_day_are_scoped_and_ordered_by_priority(book: Book, call: Call) -> None:
    everything = call("admin", "get", "/api/actions").json()
    assert everything["as_of"] == DAY.isoformat()
    assert [row["borrower_id"] for row in everything["items"]] == ["B3", "B2", "B1"]
    mine = call("c1", "get", f"/api/actions?as_of={DAY.isoformat()}").json()
    assert [(row["borrower_id"], row["action"], row["priority"]) for row in mine["items"]] == [
        ("B1", "call", 50)
    ]
    assert call("c1", "get", "/api/actions?as_of=2026-03-09").json()["items"] == []
    assert call("field_agent", "get", "/api/actions").json()["items"] == []


# --- the case, loan status and quote: money as strings, personal data masked ----------------------------


def test_the_case_masks_personal_data_and_shows_money_as_strings(book: Book, call: Call) -> None:
    """C9: amounts are decimal strings; the borrower's ID number, phone, address and name are masked."""
    case = book.cases["B1"]
    Case.objects.filter(pk=case.pk).update(path="soft", arm="champion")
    pending = Promise.objects.create(case=case, amount_fen=103_333, due_on=date(2026, 3, 20), created_by="c1")
    PromiseInstalment.objects.create(promise=pending, seq=1, due_on=date(2026, 3, 20), amount_fen=103_333)
    Promise.objects.create(case=case, amount_fen=5_000, due_on=date(2026, 3, 1), status="kept")
    response = call("c1", "get", f"/api/cases/{case.pk}")
    assert response.status_code == 200
    body = response.json()
    text = response.content.decode()
    assert "13812340001" not in text
    assert "110101199001010001" not in text
    assert body["borrower"] == {
        "borrower_id": "B1",
        "name": "张*",
        "id_number": "110101********0001",
        "phone": "138****0001",
        "address": "北京市朝阳区****",
        "region": "北京",
    }
    assert (body["segment"], body["path"], body["arm"], body["collector"]) == (
        "early",
        "soft",
        "champion",
        "c1",
    )
    [loan] = body["loans"]
    assert loan["principal"] == "100000.00"
    assert loan["status"]["total_overdue"] == "5000.00"
    assert loan["status"]["bucket"] == "M1"
    assert (body["locked_by"], body["locked_until"]) == (None, None)  # reading takes no lock
    [promise] = body["open_promises"]
    assert promise["amount"] == "1033.33"
    assert promise["instalments"] == [
        {"seq": 1, "due_on": "2026-03-20", "amount": "1033.33", "status": "pending", "covered": "0.00"}
    ]


def test_the_loan_status_and_quote(book: Book, call: Call) -> None:
    status = call("c1", "get", "/api/loans/L1/status").json()
    assert status["overdue_principal"] == "5000.00"
    assert status["as_of"] == DAY.isoformat()
    quote = call("c1", "get", "/api/loans/L1/quote?as_of=2026-03-01").json()
    assert quote["as_of"] == "2026-03-01"
    assert isinstance(quote["payoff_amount"], str)
    assert quote["payoff_amount"].count(".") == 1
    assert len(quote["payoff_amount"].split(".")[1]) == 2
    assert len(quote["installments"]) == 12
    default_day = call("c1", "get", "/api/loans/L1/quote").json()
    assert default_day["as_of"] == DAY.isoformat()
    bad = call("c1", "get", "/api/loans/L1/quote?as_of=yesterday")
    assert bad.status_code == 422
    assert bad.json()["field"] == "as_of"


def test_a_loan_without_status_answers_no_status(book: Book, call: Call) -> None:
    from qingshou.apps.eod.models import LoanStatus

    LoanStatus.objects.filter(loan_id="L1").delete()
    response = call("c1", "get", "/api/loans/L1/status")
    assert response.status_code == 404
    assert response.json()["code"] == "no_status"


# --- payments: idempotency (C5), money strings (C9), permission, audit ----------------------------------

PAYMENT = {"loan_id": "L1", "payment_id": "BANK-0001", "amount": "1033.33", "paid_on": "2026-03-01"}


def test_posting_a_payment_is_idempotent_by_key(book: Book, call: Call) -> None:
    """C5: the same Idempotency-Key answers the same response again and posts nothing twice."""
    first = call("admin", "post", "/api/payments", PAYMENT, idempotency_key="k-1")
    assert first.status_code == 201, first.content
    body = first.json()
    assert first["Idempotent-Replayed"] == "false"
    assert (body["status"], body["amount"], body["paid_on"]) == ("posted", "1033.33", "2026-03-01")
    assert body["allocations"]
    assert all(isinstance(row["amount"], str) for row in body["allocations"])
    assert isinstance(body["unapplied_credit"], str)
    again = call("admin", "post", "/api/payments", PAYMENT, idempotency_key="k-1")
    assert again.status_code == 201
    assert again.json() == body
    assert again["Idempotent-Replayed"] == "true"
    payment = Payment.objects.get()
    assert (payment.amount_fen, payment.source) == (103_333, "api")
    assert AuditEvent.objects.filter(action="payment.post").count() == 1
    event = AuditEvent.objects.get(action="payment.post")
    assert (event.actor_name, event.target_id, event.detail["idempotency_key"]) == (
        "admin",
        "BANK-0001",
        "k-1",
    )


def test_the_same_key_with_another_body_is_a_conflict(book: Book, call: Call) -> None:
    assert call("admin", "post", "/api/payments", PAYMENT, idempotency_key="k-1").status_code == 201
    other = call("admin", "post", "/api/payments", {**PAYMENT, "amount": "10.00"}, idempotency_key="k-1")
    assert other.status_code == 409
    assert other.json() == {
        "code": "idempotency_conflict",
        "message": "Idempotency-Key 'k-1' was already used with a different request",
        "field": "Idempotency-Key",
    }
    assert Payment.objects.count() == 1
    same_amount = call(
        "admin", "post", "/api/payments", {**PAYMENT, "amount": "1033.330"}, idempotency_key="k-1"
    )
    assert same_amount.status_code == 201  # the normalised body is the same request


def test_idempotency_keys_expire_after_the_configured_days_and_never_post_twice(
    book: Book, call: Call
) -> None:
    """Keys are kept QINGSHOU_API_IDEMPOTENCY_DAYS: an expired key is a new request (the payment id still
    posts the money once, C5), and each new key sweeps its user's expired keys."""
    assert call("admin", "post", "/api/payments", PAYMENT, idempotency_key="k-old").status_code == 201
    already = call("admin", "post", "/api/payments", PAYMENT, idempotency_key="k-other")
    assert already.status_code == 200  # the payment id was posted already: answered, nothing posted
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(days=31))
    other_body = {**PAYMENT, "amount": "10.00"}
    reused = call("admin", "post", "/api/payments", other_body, idempotency_key="k-old")
    assert reused.status_code == 409  # not the stored answer: the payment id conflicts with the posted one
    assert reused.json()["code"] == "payment_conflict"
    again = call("admin", "post", "/api/payments", PAYMENT, idempotency_key="k-old")
    assert again.status_code == 200  # a new request (not replayed), and the payment is already posted
    assert again["Idempotent-Replayed"] == "false"
    assert Payment.objects.count() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["k-old"]  # "k-other" swept


def test_the_same_payment_under_a_new_key_is_already_posted(book: Book, call: Call) -> None:
    """C5: the external payment id is the service's own idempotency key — a second post is a no-op (200);
    the same id with other data is a conflict (409 payment_conflict)."""
    call("admin", "post", "/api/payments", PAYMENT, idempotency_key="k-1")
    second = call("admin", "post", "/api/payments", PAYMENT, idempotency_key="k-2")
    assert second.status_code == 200
    assert second.json()["status"] == "already_posted"
    changed = call("admin", "post", "/api/payments", {**PAYMENT, "amount": "1.00"}, idempotency_key="k-3")
    assert changed.status_code == 409
    assert changed.json()["code"] == "payment_conflict"
    assert Payment.objects.count() == 1


def test_a_refused_payment_keeps_no_key_so_the_client_can_retry(book: Book, call: Call) -> None:
    future = call(
        "admin", "post", "/api/payments", {**PAYMENT, "paid_on": "2026-03-11"}, idempotency_key="k-1"
    )
    assert future.status_code == 422
    assert (future.json()["code"], future.json()["field"]) == ("future_date", "paid_on")
    assert not IdempotencyKey.objects.exists()
    assert not AuditEvent.objects.filter(action="payment.post").exists()
    assert call("admin", "post", "/api/payments", PAYMENT, idempotency_key="k-1").status_code == 201


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": 1033.33}, "amount"),  # a JSON number: never float (C9)
        ({"amount": "10.001"}, "amount"),
        ({"amount": "0.00"}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"amount": "-5.00"}, "amount"),
        ({"paid_on": "01/03/2026"}, "paid_on"),
        ({"payment_id": ""}, "payment_id"),
    ],
)
def test_an_invalid_payment_names_the_field(
    book: Book, call: Call, change: dict[str, Any], field: str
) -> None:
    response = call("admin", "post", "/api/payments", {**PAYMENT, **change}, idempotency_key="k-1")
    assert response.status_code == 422, response.content
    assert response.json()["field"] == field
    assert not Payment.objects.exists()


def test_a_payment_needs_an_idempotency_key(book: Book, call: Call) -> None:
    for headers in ({}, {"idempotency_key": "   "}):
        response = call("admin", "post", "/api/payments", PAYMENT, **headers)
        assert response.status_code == 422
        assert response.json()["field"] == "Idempotency-Key"
    assert not Payment.objects.exists()


@pytest.mark.parametrize(
    "username", ["c1", "sup1", "auditor", "risk_manager", "legal_officer", "ag1", "field_agent"]
)
def test_only_holders_of_api_post_payments_post_payments(book: Book, call: Call, username: str) -> None:
    response = call(username, "post", "/api/payments", PAYMENT, idempotency_key="k-1")
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert not Payment.objects.exists()


def test_posting_an_unknown_loan_is_404(book: Book, call: Call) -> None:
    response = call("admin", "post", "/api/payments", {**PAYMENT, "loan_id": "NOPE"}, idempotency_key="k-1")
    assert response.status_code == 404


# --- contacts (C8 first, the lock, scope, audit) --------------------------------------------------------


def letter(book: Book, borrower: str = "B1", **change: Any) -> dict[str, Any]:
    """A letter to the borrower's debtor party (letters have no contact hours: the test does not depend on
    the time it runs at)."""
    ContactParty.objects.filter(pk=book.parties[borrower].pk).update(address="北京市朝阳区建国路1号")
    return {
        "party_id": book.parties[borrower].pk,
        "loan_id": f"L{borrower[1:]}",
        "channel": "letter",
        "result": "delivered",
        "reason": "illness",
        "notes": "住院中",
        **change,
    }


def test_recording_a_contact_through_the_api(book: Book, call: Call) -> None:
    case = book.cases["B1"]
    response = call("c1", "post", f"/api/cases/{case.pk}/contacts", letter(book))
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["outcome"], body["result"], body["channel"]) == ("allow", "delivered", "letter")
    note = ContactNote.objects.get(case=case)
    assert (note.notes, note.reason, note.recorded_by) == ("住院中", "illness", book.users["c1"])
    event = AuditEvent.objects.get(action="contact.record")
    assert (event.actor_name, event.target_id) == ("c1", str(body["attempt_id"]))
    assert Case.objects.get(pk=case.pk).locked_by == book.users["c1"]  # the lock, as on the page
    assert call("sup1", "get", f"/api/cases/{case.pk}").json()["locked_by"] == "c1"


def test_a_contact_refused_by_the_compliance_check_answers_422_with_the_reason(
    book: Book, call: Call
) -> None:
    """C8: the check runs first; the refusal is stored with its reason and answered 422 — nothing is
    recorded as made."""
    ContactParty.objects.filter(pk=book.parties["B1"].pk).update(do_not_contact=True)
    response = call("c1", "post", f"/api/cases/{book.cases['B1'].pk}/contacts", letter(book))
    assert response.status_code == 422
    body = response.json()
    assert (body["code"], body["outcome"], body["reason"]) == ("contact_refused", "refuse", "do_not_contact")
    assert body["message"] == "对方已要求不再联系"
    attempt = ContactAttempt.objects.get(pk=body["attempt_id"])
    assert (attempt.outcome, attempt.reason, attempt.result) == ("refuse", "do_not_contact", "")
    english = call(
        "c1", "post", f"/api/cases/{book.cases['B1'].pk}/contacts", letter(book), accept_language="en"
    ).json()
    assert english["message"] == "the person asked not to be contacted"


def test_a_contact_on_a_case_someone_else_holds_answers_409(book: Book, call: Call) -> None:
    case = book.cases["B1"]
    assert call("c1", "post", f"/api/cases/{case.pk}/contacts", letter(book)).status_code == 201
    response = call("sup1", "post", f"/api/cases/{case.pk}/contacts", letter(book))
    assert response.status_code == 409
    assert response.json()["code"] == "case_locked"
    assert "C1" in response.json()["message"]
    assert ContactNote.objects.count() == 1


@pytest.mark.parametrize(("username", "expected"), [*B1_SCOPE])
def test_recording_a_contact_by_role(book: Book, call: Call, username: str, expected: int) -> None:
    """404 outside the scope; 403 inside it for the read-only roles (auditor, risk manager) and for a role that
    writes but does not work cases (strategy owner: no ``accounts.work_cases``)."""
    response = call(username, "post", f"/api/cases/{book.cases['B1'].pk}/contacts", letter(book))
    if username in {"auditor", "risk_manager", "strategy_owner"}:
        assert response.status_code == 403
    else:
        assert response.status_code == (201 if expected == 200 else 404), response.content
    assert ContactNote.objects.count() == (1 if response.status_code == 201 else 0)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"channel": "fax"}, "channel"),
        ({"result": "connected"}, "result"),
        ({"reason": "bored"}, "reason"),
        ({"loan_id": "L2"}, "loan_id"),
        ({"party_id": 0}, "party_id"),
        ({"callback_at": "2020-01-01T10:00:00+08:00"}, "callback_at"),
        ({"callback_at": "tomorrow"}, "callback_at"),
        ({"party_id": None}, "party_id"),
    ],
)
def test_an_invalid_contact_names_the_field(
    book: Book, call: Call, change: dict[str, Any], field: str
) -> None:
    response = call("c1", "post", f"/api/cases/{book.cases['B1'].pk}/contacts", letter(book, **change))
    assert response.status_code == 422, response.content
    assert response.json()["field"] == field
    assert not ContactNote.objects.exists()


# --- the OpenAPI schema and docs -----------------------------------------------------------------------


def test_the_openapi_schema_lists_every_endpoint(book: Book) -> None:
    response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    operations = {(path, method) for path, item in schema["paths"].items() for method in item}
    assert operations == {
        ("/api/payments", "post"),
        ("/api/cases/{case_id}", "get"),
        ("/api/cases", "get"),
        ("/api/loans/{loan_id}/status", "get"),
        ("/api/loans/{loan_id}/quote", "get"),
        ("/api/actions", "get"),
        ("/api/cases/{case_id}/contacts", "post"),
        ("/api/assess", "post"),
        ("/api/assess/{application_id}", "get"),
    }
    assert any(
        scheme.get("scheme") == "bearer" for scheme in schema["components"]["securitySchemes"].values()
    )
    payment = schema["components"]["schemas"]["PaymentOut"]["properties"]
    assert payment["amount"]["type"] == "string"
    assert Client().get("/api/docs").status_code == 200


# --- tokens from the command line ----------------------------------------------------------------------


def test_token_create_and_revoke_from_the_command_line(book: Book) -> None:
    runner = CliRunner()
    created = runner.invoke(
        build(), ["users", "token", "create", "c1", "--name", "crm", "--days", "30", "--json"]
    )
    assert created.exit_code == 0, created.output
    key = json.loads(created.output)["token"]
    assert Client().get("/api/cases", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200
    token = ApiToken.objects.get(name="crm")
    assert token.expires_at is not None
    assert token.expires_at - token.created_at == timedelta(days=30)
    duplicate = runner.invoke(build(), ["users", "token", "create", "c1", "--name", "crm"])
    assert duplicate.exit_code == 2
    listed = runner.invoke(build(), ["users", "token", "list", "c1", "--json"])
    assert key not in listed.output
    assert [(row["name"], row["revoked"]) for row in json.loads(listed.output)] == [("crm", False)]
    revoked = runner.invoke(build(), ["users", "token", "revoke", "c1", "--name", "crm"])
    assert revoked.exit_code == 0, revoked.output
    assert_unauthorized(Client().get("/api/cases", HTTP_AUTHORIZATION=f"Bearer {key}"))
    listed = runner.invoke(build(), ["users", "token", "list", "c1", "--json"])
    assert [(row["name"], row["revoked"]) for row in json.loads(listed.output)] == [("crm", True)]
    assert runner.invoke(build(), ["users", "token", "create", "nobody", "--name", "x"]).exit_code == 2
    actions = list(
        AuditEvent.objects.filter(action__startswith="api_token.").values_list("action", flat=True)
    )
    assert actions.count("api_token.revoke") == 1
    assert "api_token.create" in actions


@pytest.mark.django_db(transaction=True)
def test_two_requests_racing_with_one_key_post_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """C5 under concurrency (PostgreSQL: scripts/with-postgres): two connections posting the same key at
    once — the key's unique row makes the second wait for the first and answer its stored response."""
    import threading

    from django.db import connection, connections

    from qingshou.apps.api.idempotency import PaymentRequest, post_payment_once
    from qingshou.domain.money import money

    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers with 'database is locked'; the race is a PostgreSQL test")
    monkeypatch.setenv("QINGSHOU_TODAY", DAY.isoformat())
    book = make_book()
    loan = Loan.objects.get(loan_id="L1")
    for item in build_schedule(loan.to_terms()):
        Installment.objects.create(
            loan=loan,
            seq=item.seq,
            due_date=item.due_date,
            principal_due_fen=int(item.principal_due * 100),
            interest_due_fen=int(item.interest_due * 100),
        )
    request = PaymentRequest("L1", "BANK-RACE", money("1033.33"), date(2026, 3, 1))
    barrier = threading.Barrier(2)
    answers: list[Any] = []

    def race() -> None:
        try:
            barrier.wait()
            answers.append(post_payment_once(book.users["admin"], "race-key", request))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=race) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == 2
    assert sorted(answer.replayed for answer in answers) == [False, True]
    assert answers[0].body == answers[1].body
    assert {answer.status for answer in answers} == {201}
    assert Payment.objects.count() == 1
    assert IdempotencyKey.objects.count() == 1
    assert AuditEvent.objects.filter(action="payment.post").count() == 1
