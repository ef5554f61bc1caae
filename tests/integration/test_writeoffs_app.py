"""Write-offs against the store (issue 6 "Guarantors and write-off"): eligibility from the quote (C6 loss
class) and refused with its reasons, maker-checker approval (never the proposer, the role's limit from
``QINGSHOU_WRITEOFF_APPROVAL_LIMITS``), execution that keeps the loan collectable (账销案存: case open, quote
unchanged, payments still posted), recovery after write-off by month (service, page, CLI), the eligible CLI
from the day's statuses, and scope (404)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from click.testing import CliRunner
from django.test import override_settings

from qingshou.apps.audit.models import AuditEvent
from qingshou.apps.cases.models import Case
from qingshou.apps.eod.models import LoanStatus
from qingshou.apps.loans.selectors import quote
from qingshou.apps.loans.services.payments import post_payment
from qingshou.apps.writeoffs import services
from qingshou.apps.writeoffs.models import WriteOff
from qingshou.cli import build
from qingshou.domain.policy import LoanClass
from qingshou.domain.writeoff import WriteOffError
from workbench_book import DAY, Book
from writeoff_support import recovery_book

pytestmark = [pytest.mark.db, pytest.mark.django_db]
D = Decimal
LIMITS = {"supervisor": "50000", "legal_officer": "500000", "admin": None}


@pytest.fixture
def today(monkeypatch: pytest.MonkeyPatch) -> Callable[[date], None]:
    monkeypatch.setenv("QINGSHOU_TODAY", DAY.isoformat())

    def move(day: date) -> None:
        monkeypatch.setenv("QINGSHOU_TODAY", day.isoformat())

    return move


@pytest.fixture
def book(today: Any) -> Book:
    with override_settings(QINGSHOU_WRITEOFF_APPROVAL_LIMITS=LIMITS):
        yield recovery_book()


def cash(loan_id: str, day: date, amount: str, payment_id: str) -> None:
    """Post cash valued on ``day`` (the business day moved there: no payment from the future)."""
    os.environ["QINGSHOU_TODAY"] = max(day, date.fromisoformat(os.environ["QINGSHOU_TODAY"])).isoformat()
    post_payment(loan_id, payment_id, D(amount), day)


def proposed(book: Book, user: str = "legal", loan: str = "L1", case: str = "B1") -> WriteOff:
    return services.propose(book.users[user], book.cases[case].pk, loan, reason="损失类，无还款能力")


def test_a_loss_class_loan_is_proposed_with_its_amounts(book: Book) -> None:
    day_quote = quote("L1", DAY)
    assert day_quote.classification is LoanClass.LOSS
    writeoff = proposed(book)
    assert writeoff.ground_list == ["loss_class"]
    assert writeoff.principal_fen == int(day_quote.outstanding_principal * 100)
    assert writeoff.interest_fen == int(day_quote.overdue_interest * 100)
    assert writeoff.amount_fen == writeoff.principal_fen + writeoff.interest_fen
    assert (
        writeoff.penalty_fen == int(day_quote.penalty_interest * 100) > 0
    )  # tracked off-balance, not written off
    assert writeoff.compound_fen == int(day_quote.compound_interest * 100) > 0
    assert [e.action for e in AuditEvent.objects.filter(target_type="writeoffs.writeoff")] == [
        "writeoff.propose"
    ]
    with pytest.raises(WriteOffError, match="already has a write-off that is proposed"):
        proposed(book)


def test_a_loan_that_qualifies_on_no_ground_is_refused_with_the_reasons(book: Book) -> None:
    early = DAY.replace(year=2025, month=6)  # 2025-06-10: 129 days past due, 次级
    with pytest.raises(WriteOffError) as refused:
        services.propose(book.users["legal"], book.cases["B1"].pk, "L1", reason="x", today=early)
    message = refused.value.message
    assert "not eligible for write-off on 2025-06-10" in message
    assert "loss_class: the loan is classified 次级 substandard" in message
    assert "limitation_expired" in message
    with pytest.raises(WriteOffError, match="need their evidence"):
        services.propose(
            book.users["legal"],
            book.cases["B1"].pk,
            "L1",
            reason="x",
            asserted=["debtor_deceased"],
            today=early,
        )
    deceased = services.propose(
        book.users["legal"],
        book.cases["B1"].pk,
        "L1",
        reason="借款人死亡，遗产不足",
        asserted=["debtor_deceased"],
        evidence="死亡证明 2025-05-01",
        today=early,
    )
    assert deceased.ground_list == ["debtor_deceased"]


@pytest.mark.parametrize(
    ("username", "message"),
    [("c1", "does not propose"), ("c3", "not in your scope"), ("risk", "does not propose")],
)
def test_only_who_may_propose_proposes(book: Book, username: str, message: str) -> None:
    with pytest.raises(WriteOffError, match=message):
        proposed(book, username)
    assert not WriteOff.objects.exists()


def test_maker_checker_the_proposer_never_approves_and_the_role_limit_applies(book: Book) -> None:
    writeoff = proposed(book, "sup1")  # about 100,000 + interest
    with pytest.raises(WriteOffError, match="nobody approves their own"):
        services.approve(book.users["sup1"], writeoff.pk)
    other_sup = book.users["sup2"]
    with pytest.raises(WriteOffError, match="outside your scope"):
        services.approve(other_sup, writeoff.pk)
    with pytest.raises(WriteOffError, match="does not approve"):
        services.approve(book.users["c1"], writeoff.pk)
    legal = services.approve(book.users["legal"], writeoff.pk, note="同意")
    assert (legal.status, legal.decided_by_id) == ("approved", book.users["legal"].pk)
    second = proposed(book, "legal", "L2", "B2")
    with pytest.raises(WriteOffError, match=r"above your write-off limit 50000\.00"):
        services.approve(_supervisor_of(book, "B2"), second.pk)
    assert services.approve(book.users["admin"], second.pk).status == "approved"


def _supervisor_of(book: Book, borrower: str) -> Any:
    """sup1 supervising the B2 case (team 一组) — a supervisor in scope whose limit is 50,000."""
    Case.objects.filter(pk=book.cases[borrower].pk).update(team=book.teams["一组"])
    return book.users["sup1"]


def test_reject_and_withdraw(book: Book) -> None:
    writeoff = proposed(book)
    with pytest.raises(WriteOffError, match="withdraw your own"):
        services.reject(book.users["legal"], writeoff.pk, note="x")
    with pytest.raises(WriteOffError, match="say why"):
        services.reject(book.users["sup1"], writeoff.pk, note=" ")
    assert services.reject(book.users["sup1"], writeoff.pk, note="证据不足").status == "rejected"
    again = proposed(book)  # a rejected write-off no longer holds the loan
    assert services.withdraw(book.users["legal"], again.pk).status == "withdrawn"


def test_an_executed_write_off_keeps_the_loan_collectable_and_recovery_is_reported(
    book: Book, today: Callable[[date], None]
) -> None:
    writeoff = proposed(book)
    services.approve(book.users["admin"], writeoff.pk)
    with pytest.raises(WriteOffError, match="only the proposer or a checker"):
        services.execute(book.users["c1"], writeoff.pk)
    with pytest.raises(WriteOffError, match="in the future"):
        services.execute(book.users["legal"], writeoff.pk, on=DAY + timedelta(days=1))
    before = quote("L1", DAY)
    done = services.execute(book.users["legal"], writeoff.pk)
    assert (done.status, done.written_off_on) == ("executed", DAY)
    # 账销案存: the loan is still in the book, owed in full, its case open; collection goes on
    after = quote("L1", DAY)
    assert after.payoff_amount == before.payoff_amount
    assert Case.objects.get(pk=book.cases["B1"].pk).status == "open"
    cash("L1", DAY, "100.00", "P-ON-DAY")  # on the write-off day: not a recovery after it
    cash("L1", DAY + timedelta(days=5), "3000.00", "P-MARCH")
    cash("L1", date(2026, 4, 2), "500.00", "P-APRIL")
    assert quote("L1", date(2026, 4, 2)).payoff_amount < before.payoff_amount
    march = services.recovery_report("2026-03")
    assert [(row.loan_id, row.recovered_in_month, row.recovered_to_date) for row in march.rows] == [
        ("L1", D("3000.00"), D("3000.00"))
    ]
    assert (march.count_written_off_in_month, march.written_off_in_month) == (1, D(done.amount_fen) / 100)
    april = services.recovery_report("2026-04")
    assert [(row.recovered_in_month, row.recovered_to_date) for row in april.rows] == [
        (D("500.00"), D("3500.00"))
    ]
    assert april.count_written_off_in_month == 0
    result = CliRunner().invoke(build(), ["writeoffs", "report", "--month", "2026-03", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["recovered"], data["rows"][0]["loan_id"], data["rows"][0]["recovered_in_month"]) == (
        "3000.00",
        "L1",
        "3000.00",
    )
    bad = CliRunner().invoke(build(), ["writeoffs", "report", "--month", "2026-13"])
    assert bad.exit_code == 2
    assert "YYYY-MM" in bad.output


def test_the_case_page_report_and_scope(book: Book, client_for: Any) -> None:
    writeoff = proposed(book)
    services.approve(book.users["admin"], writeoff.pk)
    services.execute(book.users["legal"], writeoff.pk)
    cash("L1", DAY + timedelta(days=1), "88.00", "P1")
    case = book.cases["B1"]
    page = client_for(book.users["c1"]).get(f"/cases/{case.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert f'data-writeoff="{writeoff.pk}"' in html
    assert 'data-written-off="L1"' in html  # 账销案存 banner
    assert "清收继续" in html  # Chinese by default (the app's own catalogue)
    assert client_for(book.users["c3"]).get(f"/writeoffs/case/{case.pk}/").status_code == 404
    assert client_for(book.users["c3"]).post(f"/writeoffs/{writeoff.pk}/approve/").status_code == 404
    assert client_for(book.users["sup2"]).post(f"/writeoffs/{writeoff.pk}/execute/").status_code == 404
    report = client_for(book.users["risk"]).get("/writeoffs/report/?month=2026-03")
    assert report.status_code == 200
    assert 'data-loan="L1"' in report.content.decode()
    as_json = client_for(book.users["risk"]).get("/writeoffs/report/?month=2026-03&format=json").json()
    assert as_json["recovered"] == "88.00"
    scoped = client_for(book.users["sup2"]).get("/writeoffs/report/?month=2026-03&format=json").json()
    assert scoped["rows"] == []  # sup2 does not see B1
    assert client_for(book.users["c1"]).get("/writeoffs/report/").status_code == 404  # no report right
    assert client_for(book.users["sup1"]).get("/writeoffs/approvals/").status_code == 200
    assert client_for(book.users["risk"]).get("/writeoffs/approvals/").status_code == 404  # read-only role
    assert client_for(book.users["risk"]).get("/writeoffs/").status_code == 200


def test_proposing_and_approving_through_the_pages(book: Book, client_for: Any) -> None:
    case = book.cases["B1"]
    posted = client_for(book.users["legal"]).post(
        f"/writeoffs/case/{case.pk}/propose/", {"writeoff-loan": "L1", "writeoff-reason": "损失类"}
    )
    assert posted.status_code == 200
    writeoff = WriteOff.objects.get()
    own = client_for(book.users["legal"]).get("/writeoffs/approvals/").content.decode()
    assert f'data-writeoff="{writeoff.pk}" data-status="proposed" data-actionable="no"' in own
    theirs = client_for(book.users["sup1"]).get("/writeoffs/approvals/").content.decode()
    assert "above your write-off limit" in theirs  # about 100,000 > 50,000
    client_for(book.users["admin"]).post(f"/writeoffs/{writeoff.pk}/approve/", {"note": "ok"})
    assert WriteOff.objects.get().status == "approved"
    client_for(book.users["legal"]).post(f"/writeoffs/{writeoff.pk}/execute/", {"on": DAY.isoformat()})
    assert WriteOff.objects.get().status == "executed"


def test_eligible_cli_from_the_days_statuses(
    book: Book, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QINGSHOU_LAKE", str(tmp_path / "lake"))  # no lake snapshot: the store's statuses
    LoanStatus.objects.filter(loan_id="L4").update(classification="loss", dpd=400, overdue_interest_fen=1000)
    LoanStatus.objects.filter(loan_id="L2").update(limitation_expires_on=DAY - timedelta(days=1))
    result = CliRunner().invoke(build(), ["writeoffs", "eligible", "--as-of", DAY.isoformat(), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [(row["loan_id"], row["grounds"]) for row in data["loans"]] == [
        ("L2", ["limitation_expired"]),
        ("L4", ["loss_class"]),
    ]
    assert data["loans"][1]["written_off"] == "90010.00"  # 9,000,000 fen principal + 1,000 fen interest
    proposed(book, "legal", "L2", "B2")  # a held loan is no longer listed
    again = json.loads(
        CliRunner().invoke(build(), ["writeoffs", "eligible", "--as-of", DAY.isoformat(), "--json"]).output
    )
    assert [row["loan_id"] for row in again["loans"]] == ["L4"]
    missing = CliRunner().invoke(build(), ["writeoffs", "eligible", "--as-of", "2020-01-01"])
    assert missing.exit_code == 4
