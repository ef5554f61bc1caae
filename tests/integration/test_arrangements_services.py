"""Plans, waivers and settlements against the store (issue 5 "Plans, waivers and settlements (maker-checker)"):
proposals previewed through the ledger and scoped to who may work the case; approval by another person
within their role's limit, executed once; a plan's successor loan with its schedule (C6 restructured, C7
interruption); a waiver lowering the quote's penalty (C4); a settlement executed by EOD on the day the cash
reached the amount, or lapsing after its pay-by day; the breach watch on the successor loan (C3)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import polars as pl
import pytest

from qingshou import config
from qingshou.apps.arrangements import services
from qingshou.apps.arrangements.eod import PLAN_BREACHED, ExecuteArrangements, watch_plans
from qingshou.apps.arrangements.models import Arrangement
from qingshou.apps.arrangements.rules import ArrangementRefused, Status
from qingshou.apps.arrangements.selectors import case_arrangements
from qingshou.apps.arrangements.services import PlanRequest
from qingshou.apps.audit.models import AuditEvent
from qingshou.apps.cases.models import Case, CaseEvent
from qingshou.apps.loans import models as loans
from qingshou.apps.loans.selectors import quote
from qingshou.apps.loans.services.arrangements import cash_paid
from qingshou.apps.loans.services.payments import post_payment
from qingshou.domain.arrangements import ArrangementError, PlanKind
from qingshou.domain.errors import DomainError
from qingshou.domain.loan import RepaymentMethod
from qingshou.domain.policy import Component
from qingshou.domain.schedule import build_schedule
from qingshou.engine import schema
from qingshou.store import Store
from workbench_book import DAY, Book, assign_to, make_book
from workbench_support import create_user

pytestmark = [pytest.mark.db, pytest.mark.django_db]
D = Decimal


def with_schedules() -> None:
    """Give the workbench book's loans (100,000.00 at 12 % over 12 months from 2025-01-01, all overdue by
    ``DAY``) their contractual schedules, so the ledger can quote them."""
    for loan in loans.Loan.objects.all():
        for item in build_schedule(loan.to_terms()):
            loans.Installment.objects.create(
                loan=loan,
                seq=item.seq,
                due_date=item.due_date,
                principal_due_fen=int(item.principal_due * 100),
                interest_due_fen=int(item.interest_due * 100),
            )


@pytest.fixture
def today(monkeypatch: pytest.MonkeyPatch) -> Callable[[date], None]:
    """Pins the business day (``QINGSHOU_TODAY``) at ``DAY``; call it with a date to move on."""
    monkeypatch.setenv("QINGSHOU_TODAY", DAY.isoformat())

    def move(day: date) -> None:
        monkeypatch.setenv("QINGSHOU_TODAY", day.isoformat())

    return move


@pytest.fixture
def book(today: Any) -> Book:
    """B1 worked by c1 (team 一组 of sup1), B3 by c3 (二组 of sup2); a legal officer; loans with schedules."""
    book = make_book()
    assign_to(book.cases["B1"], book.users["c1"], book.teams["一组"])
    assign_to(book.cases["B3"], book.users["c3"], book.teams["二组"])
    book.users["legal"] = create_user("legal_officer", username="legal")
    with_schedules()
    return book


def plan(months: int = 24, **fields: Any) -> PlanRequest:
    values: dict[str, Any] = {
        "plan_kind": PlanKind.INSTALMENTS,
        "months": months,
        "annual_rate": D("0.06"),
        "method": RepaymentMethod.EQUAL_INSTALLMENT,
    }
    values.update(fields)
    return PlanRequest(**values)


def penalty_on(loan_id: str, day: date) -> Decimal:
    return quote(loan_id, day).penalty_interest


def actions(arrangement: Arrangement) -> list[str]:
    return list(
        AuditEvent.objects.filter(target_type="arrangements.arrangement", target_id=str(arrangement.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    )


# --- proposing ---------------------------------------------------------------------------------------------


def test_a_collector_proposes_a_waiver_checked_against_the_unpaid_penalty(book: Book) -> None:
    """C4: a waiver may not exceed what is unpaid of the component at the end of the day before."""
    c1 = book.users["c1"]
    unpaid = penalty_on("L1", DAY - timedelta(days=1))
    assert unpaid > 0
    with pytest.raises(DomainError):
        services.propose_waiver(
            c1, book.cases["B1"].pk, "L1", {Component.PENALTY: unpaid + D("0.01")}, reason="失业"
        )
    waiver = services.propose_waiver(
        c1, book.cases["B1"].pk, "L1", {Component.PENALTY: unpaid}, reason="失业"
    )
    assert (waiver.status, waiver.kind, waiver.penalty_fen) == ("proposed", "waiver", int(unpaid * 100))
    assert waiver.concession_fen == int(unpaid * 100)
    assert actions(waiver) == ["arrangement.propose"]


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("c2", "not in your scope"),  # same team, not their case
        ("sup2", "not in your scope"),  # another team's supervisor
        ("auditor", "does not propose"),  # sees everything, changes nothing
        ("field_agent", "not in your scope"),
    ],
)
def test_only_users_who_may_work_the_case_propose(book: Book, username: str, message: str) -> None:
    user = book.users.get(username) or create_user(username, username=username)
    with pytest.raises(ArrangementRefused, match=message):
        services.propose_settlement(user, book.cases["B1"].pk, "L1", D("1000"), DAY, reason="x")
    assert not Arrangement.objects.exists()


def test_a_proposal_needs_a_reason_an_open_case_and_the_borrowers_loan(book: Book) -> None:
    c1, case = book.users["c1"], book.cases["B1"]
    with pytest.raises(ArrangementRefused, match="reason"):
        services.propose_settlement(c1, case.pk, "L1", D("1000"), DAY, reason="  ")
    with pytest.raises(ArrangementRefused, match="not the borrower's"):
        services.propose_settlement(c1, case.pk, "L2", D("1000"), DAY, reason="x")
    with pytest.raises(ArrangementRefused, match="pay-by"):
        services.propose_settlement(c1, case.pk, "L1", D("1000"), DAY - timedelta(days=1), reason="x")
    Case.objects.filter(pk=case.pk).update(status="closed", closed_on=DAY, close_reason="cured")
    with pytest.raises(ArrangementRefused, match="closed"):
        services.propose_settlement(c1, case.pk, "L1", D("1000"), DAY, reason="x")


def test_a_settlement_above_the_payoff_is_refused_with_the_domains_message(book: Book) -> None:
    payoff = quote("L1", DAY).payoff_amount
    with pytest.raises(ArrangementError):
        services.propose_settlement(book.users["c1"], book.cases["B1"].pk, "L1", payoff, DAY, reason="x")
    settlement = services.propose_settlement(
        book.users["c1"], book.cases["B1"].pk, "L1", payoff - D("5000"), DAY + timedelta(days=10), reason="x"
    )
    assert settlement.concession_fen == 500_000
    assert settlement.original_payoff_fen == int(payoff * 100)


def test_one_plan_or_settlement_pending_per_loan(book: Book) -> None:
    """A plan and a settlement both end the loan: while one is proposed or approved another is refused;
    once it is decided against (withdrawn) the loan is free again. Waivers are not exclusive."""
    c1, case = book.users["c1"], book.cases["B1"]
    first = services.propose_settlement(c1, case.pk, "L1", D("1000"), DAY, reason="x")
    with pytest.raises(
        ArrangementRefused, match=f"already has a settlement that is proposed \\(#{first.pk}\\)"
    ):
        services.propose_plan(c1, case.pk, "L1", plan(), reason="x")
    services.propose_waiver(c1, case.pk, "L1", {Component.PENALTY: D("1")}, reason="x")
    services.withdraw(c1, first.pk)
    assert services.propose_plan(c1, case.pk, "L1", plan(), reason="x").status == "proposed"


# --- deciding ----------------------------------------------------------------------------------------------


def test_maker_checker_never_the_proposer_and_within_the_roles_limit(book: Book) -> None:
    """The issue: approved by another person whose role limit covers the amount; never by the proposer."""
    c1, sup1, legal, admin = (book.users[name] for name in ("c1", "sup1", "legal", "admin"))
    payoff = quote("L1", DAY).payoff_amount
    big = services.propose_settlement(c1, book.cases["B1"].pk, "L1", payoff - D("6000"), DAY, reason="大额")
    with pytest.raises(ArrangementRefused, match="does not approve"):
        services.approve(c1, big.pk)
    with pytest.raises(ArrangementRefused, match=r"above your approval limit 5000\.00"):
        services.approve(sup1, big.pk)
    with pytest.raises(ArrangementRefused, match="outside your scope"):
        services.approve(book.users["sup2"], big.pk)
    approved = services.approve(legal, big.pk, note="同意")
    assert (approved.status, approved.decided_by, approved.decided_on) == ("approved", legal, DAY)
    own = services.propose_waiver(admin, book.cases["B1"].pk, "L1", {Component.PENALTY: D("1")}, reason="x")
    with pytest.raises(ArrangementRefused, match="own proposal"):
        services.approve(admin, own.pk)
    assert Arrangement.objects.get(pk=own.pk).status == "proposed"
    assert actions(big) == ["arrangement.propose", "arrangement.approve"]


def test_reject_and_withdraw(book: Book) -> None:
    c1, sup1 = book.users["c1"], book.users["sup1"]
    first = services.propose_settlement(c1, book.cases["B1"].pk, "L1", D("1000"), DAY, reason="x")
    with pytest.raises(ArrangementRefused, match="say why"):
        services.reject(sup1, first.pk, note="")
    services.reject(sup1, first.pk, note="金额过低")
    with pytest.raises(ArrangementRefused, match=r"already rejected"):
        services.approve(sup1, first.pk)
    second = services.propose_settlement(c1, book.cases["B1"].pk, "L1", D("1000"), DAY, reason="x")
    with pytest.raises(ArrangementRefused, match="only the proposer"):
        services.withdraw(
            create_user("strategy_owner"), second.pk
        )  # sees the case, neither maker nor checker
    services.withdraw(c1, second.pk)
    assert list(Arrangement.objects.order_by("pk").values_list("status", flat=True)) == [
        "rejected",
        "withdrawn",
    ]
    assert actions(first)[-1] == "arrangement.reject"
    assert actions(second)[-1] == "arrangement.withdraw"


def test_approving_twice_executes_once(book: Book, monkeypatch: pytest.MonkeyPatch) -> None:
    """Concurrency: the second of two approvals finds the row moved (conditional update) and changes nothing,
    even when it read the row before the first committed."""
    waiver = services.propose_waiver(
        book.users["c1"], book.cases["B1"].pk, "L1", {Component.PENALTY: D("500")}, reason="x"
    )
    stale = Arrangement.objects.get(pk=waiver.pk)  # what a concurrent request read before the first approved
    services.approve(book.users["sup1"], waiver.pk)
    monkeypatch.setattr(services, "_locked", lambda pk: stale)
    with pytest.raises(ArrangementRefused, match="no longer proposed"):
        services.approve(book.users["legal"], waiver.pk)
    assert loans.Payment.objects.filter(loan_id="L1", kind="waiver").count() == 1
    assert Arrangement.objects.get(pk=waiver.pk).decided_by == book.users["sup1"]


# --- executing ---------------------------------------------------------------------------------------------


def test_a_waiver_approved_on_its_day_lowers_the_quotes_penalty(book: Book) -> None:
    """C4: the waived penalty is gone from the quote; non-cash, so no money is counted as collected."""
    before = penalty_on("L1", DAY)
    amount = D("100.00")
    waiver = services.propose_waiver(
        book.users["c1"], book.cases["B1"].pk, "L1", {Component.PENALTY: amount}, reason="疾病"
    )
    done = services.approve(book.users["sup1"], waiver.pk)
    assert (done.status, done.executed_on, done.posted_fen) == ("executed", DAY, 10_000)
    assert penalty_on("L1", DAY) == before - amount
    assert cash_paid("L1", DAY, DAY) == 0
    assert actions(waiver) == ["arrangement.propose", "arrangement.approve", "arrangement.execute"]


def test_a_plan_becomes_a_successor_loan_with_its_schedule(book: Book) -> None:
    """Propose → approve → executed: the original is called early (restructuring) and closed, the successor
    carries what the plan capitalises in 24 instalments (C6 restructured on R; C7 interruption on R)."""
    c1 = book.users["c1"]
    proposed = services.propose_plan(
        c1, book.cases["B1"].pk, "L1", plan(waive=frozenset({Component.PENALTY})), reason="失业"
    )
    assert proposed.preview["months"] == 24
    assert len(proposed.preview["schedule"]) == 24
    assert proposed.concession_fen > 0  # the waived penalty
    done = services.approve(book.users["legal"], proposed.pk)
    assert (done.status, done.executed_on) == ("executed", DAY)
    successor = loans.Loan.objects.get(loan_id=done.successor_loan_id)
    assert successor.restructured_from_id == "L1"
    assert successor.restructured_on == DAY
    assert successor.principal_fen == done.capitalised_fen
    assert successor.installments.count() == 24
    original = loans.Loan.objects.get(loan_id="L1")
    assert (original.accelerated_on, original.acceleration_reason) == (DAY, "restructuring")
    assert loans.LimitationInterruption.objects.filter(loan_id="L1", on=DAY, source=done.reference).exists()
    assert quote("L1", DAY).payoff_amount == 0


def test_a_plan_with_a_later_effective_day_is_executed_by_eod_on_that_day(book: Book, today: Any) -> None:
    later = DAY + timedelta(days=5)
    proposed = services.propose_plan(
        book.users["c1"], book.cases["B1"].pk, "L1", plan(12, effective_on=later), reason="下月发工资"
    )
    approved = services.approve(book.users["sup1"], proposed.pk)
    assert (approved.status, approved.effective_on) == ("approved", later)
    assert services.execute_due(later - timedelta(days=1)).executed == []
    today(later)
    run = services.execute_due(later)
    assert run.executed == [proposed.pk]
    assert Arrangement.objects.get(pk=proposed.pk).executed_on == later


def test_long_plans_need_the_long_plan_right(book: Book) -> None:
    proposed = services.propose_plan(book.users["c1"], book.cases["B1"].pk, "L1", plan(48), reason="x")
    with pytest.raises(ArrangementRefused, match="longer than 36 months"):
        services.approve(book.users["sup1"], proposed.pk)
    assert services.approve(book.users["legal"], proposed.pk).status == "executed"


def test_a_settlement_executes_on_the_day_the_cash_reaches_the_amount(book: Book, today: Any) -> None:
    """EOD settles on the day S the cash since approval reached the amount (a discount closes the rest);
    another settlement not paid by its pay-by day lapses and its cash stays an ordinary payment."""
    payoff3 = quote("L3", DAY).payoff_amount
    lapsing = services.propose_settlement(
        book.users["c3"], book.cases["B3"].pk, "L3", payoff3 - D("100"), DAY + timedelta(days=5), reason="x"
    )
    services.approve(book.users["sup2"], lapsing.pk)
    payoff = quote("L1", DAY).payoff_amount
    amount = (payoff * D("0.8")).quantize(D("0.01"))
    settlement = services.propose_settlement(
        book.users["c1"], book.cases["B1"].pk, "L1", amount, DAY + timedelta(days=20), reason="一次性结清"
    )
    services.approve(book.users["legal"], settlement.pk)
    first, second = DAY + timedelta(days=3), DAY + timedelta(days=6)
    today(first)
    post_payment("L1", "CASH-1", amount - D("1000"), first)
    post_payment("L3", "CASH-3", D("10"), first)
    assert (services.execute_due(first).executed, services.execute_due(first).lapsed) == ([], [])
    today(second + timedelta(days=2))  # EOD runs late: the day reached is still the settlement day
    post_payment("L1", "CASH-2", D("1000"), second)
    run = services.execute_due(second + timedelta(days=2))
    assert (run.executed, run.lapsed) == ([settlement.pk], [lapsing.pk])  # L3 was due by DAY + 5
    done = Arrangement.objects.get(pk=settlement.pk)
    assert (done.status, done.executed_on) == ("executed", second)
    assert done.posted_fen
    assert done.posted_fen > 0
    assert quote("L1", second).payoff_amount == 0

    lapsed = Arrangement.objects.get(pk=lapsing.pk)
    assert (lapsed.status, lapsed.ended_on) == ("lapsed", DAY + timedelta(days=5))
    assert loans.Payment.objects.filter(loan_id="L3").values_list("kind", flat=True).get() == "cash"
    assert actions(lapsing)[-1] == "arrangement.lapse"


def test_the_eod_step_executes_due_arrangements_and_rereads_the_book(book: Book, today: Any) -> None:
    later = DAY + timedelta(days=2)
    proposed = services.propose_waiver(
        book.users["c1"],
        book.cases["B1"].pk,
        "L1",
        {Component.PENALTY: D("10")},
        reason="x",
        effective_on=later,
    )
    services.approve(book.users["sup1"], proposed.pk)
    today(later)

    class Shared:
        book: object = object()

    class Context:
        def __init__(self) -> None:
            self.as_of = later
            self.extras: dict[str, Any] = {}
            self.shared = Shared()

    context: Any = Context()
    ExecuteArrangements()(context)
    assert context.extras["arrangements_executed"]["executed"] == [proposed.pk]
    assert context.shared.book is None  # the ledger changed: the backfill's cached book is read again


# --- the breach watch (EOD store step) --------------------------------------------------------------------


def snapshot(rows: list[tuple[str, int, int]]) -> pl.DataFrame:
    """A snapshot with (loan_id, dpd, payoff fen); the other columns zero / empty."""
    frame = pl.DataFrame(
        {
            "loan_id": [r[0] for r in rows],
            "dpd": [r[1] for r in rows],
            "payoff_amount_fen": [r[2] for r in rows],
            "outstanding_principal_fen": [r[2] for r in rows],
        }
    )
    return frame.with_columns(
        [
            pl.lit(None).cast(dtype).alias(name)
            for name, dtype in schema.SNAPSHOT.items()
            if name not in frame.columns
        ]
    )


@pytest.mark.django_db(transaction=True)
def test_the_watch_marks_breached_and_completed_plans(book: Book) -> None:
    """C3: a successor more than 3 days past due breaches its plan (a case event on the open case, so the
    strategy works it again); a paid-off successor completes it; a rerun adds nothing."""
    executed = []
    for name, loan_id, checker in (("B1", "L1", "sup1"), ("B3", "L3", "sup2")):
        collector = book.users["c1" if name == "B1" else "c3"]
        proposed = services.propose_plan(collector, book.cases[name].pk, loan_id, plan(12), reason="x")
        executed.append(services.approve(book.users[checker], proposed.pk))
    breach, complete = executed
    day = DAY + timedelta(days=40)
    frame = snapshot([(breach.successor_loan_id, 4, 100), (complete.successor_loan_id, 0, 0)])
    with Store(config.adbc_uri()) as store:
        quiet = frame.with_columns(pl.lit(3).alias("dpd"), pl.lit(100).alias("payoff_amount_fen"))
        assert watch_plans(store, day, quiet, 3) == {"breached": [], "completed": []}  # 3 dpd is tolerated
        with store.transaction():
            changed = watch_plans(store, day, frame, 3)
        with store.transaction():
            again = watch_plans(store, day, frame, 3)
    assert changed == {"breached": [breach.pk], "completed": [complete.pk]}
    assert again == {"breached": [], "completed": []}
    assert Arrangement.objects.get(pk=breach.pk).status == Status.BREACHED
    assert Arrangement.objects.get(pk=breach.pk).ended_on == day
    assert Arrangement.objects.get(pk=complete.pk).status == Status.COMPLETED
    events = CaseEvent.objects.filter(kind=PLAN_BREACHED)
    assert [(e.case_id, e.as_of) for e in events] == [(book.cases["B1"].pk, day)]
    assert f"arrangement {breach.pk}" in events[0].detail
    assert actions(breach)[-1] == "arrangement.breach"
    assert actions(complete)[-1] == "arrangement.complete"


# --- the whole EOD run -------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_eod_executes_a_plan_on_its_day_and_breaches_it_when_the_successor_falls_behind(
    book: Book, today: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The EOD pipeline: "execute arrangements" before the book is read makes the successor loan part of the
    day's snapshot; 4 days past its first due date (beyond the 3-day tolerance, C3) "watch plans" marks the
    plan breached with a case event on the borrower's case, which the successor's delinquency opened."""
    from qingshou.apps.eod.models import LoanStatus
    from qingshou.apps.eod.services.run import run_eod
    from qingshou.apps.notices.services.templates import load_default_templates

    load_default_templates()
    monkeypatch.setenv("QINGSHOU_LAKE", str(tmp_path / "lake"))
    effective = DAY + timedelta(days=1)
    proposed = services.propose_plan(
        book.users["c1"], book.cases["B1"].pk, "L1", plan(12, effective_on=effective), reason="x"
    )
    services.approve(book.users["sup1"], proposed.pk)
    today(effective)
    result = run_eod(effective)
    assert result.as_json()["error_count"] == 0, result.as_json()["errors"]
    plan_row = Arrangement.objects.get(pk=proposed.pk)
    assert (plan_row.status, plan_row.executed_on) == ("executed", effective)
    successor = plan_row.successor_loan_id
    assert LoanStatus.objects.get(loan_id=successor).dpd == 0
    first_due = loans.Installment.objects.get(loan_id=successor, seq=1).due_date
    late = first_due + timedelta(days=4)
    today(late)
    run_eod(late)
    assert LoanStatus.objects.get(loan_id=successor).dpd == 4
    breached = Arrangement.objects.get(pk=proposed.pk)
    assert (breached.status, breached.ended_on) == ("breached", late)
    case = Case.objects.get(borrower_id="B1", status="open")
    assert CaseEvent.objects.filter(case=case, as_of=late, kind=PLAN_BREACHED).count() == 1
    assert case.pk != book.cases["B1"].pk  # the successor's arrears opened a new case, which lists the plan
    assert [a.pk for a in case_arrangements(case)] == [proposed.pk]
    run_eod(late)  # a rerun of the day writes the event again (write cases replaced the day's events)
    assert CaseEvent.objects.filter(case=case, as_of=late, kind=PLAN_BREACHED).count() == 1


def test_the_list_command(book: Book) -> None:
    """``qingshou arrangements list [--status] [--json]``: newest first, counts by status, money as strings."""
    import json

    from click.testing import CliRunner

    from qingshou.cli import build

    first = services.propose_settlement(
        book.users["c1"], book.cases["B1"].pk, "L1", D("1000"), DAY, reason="x"
    )
    second = services.propose_waiver(
        book.users["c1"], book.cases["B1"].pk, "L1", {Component.PENALTY: D("12.30")}, reason="x"
    )
    services.withdraw(book.users["c1"], first.pk)
    result = CliRunner().invoke(build(), ["arrangements", "list", "--status", "proposed", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["counts"] == {"proposed": 1, "withdrawn": 1}
    assert [(row["id"], row["kind"], row["concession"]) for row in data["arrangements"]] == [
        (second.pk, "waiver", "12.30")
    ]
    table = CliRunner().invoke(build(), ["arrangements", "list"])
    assert table.exit_code == 0
    assert "¥12.30" in table.output
    assert CliRunner().invoke(build(), ["arrangements", "list", "--status", "nope"]).exit_code == 2


@pytest.mark.django_db(transaction=True)
def test_two_approvals_at_the_same_moment_execute_once(book: Book) -> None:
    """Concurrency, for real: two checkers approve the same waiver from two threads (two connections) at
    once. The row lock (PostgreSQL) or the database's write lock (SQLite) lets one through; the other is
    refused, and the waiver is posted to the ledger once."""
    import threading

    from django.db import connection

    waiver = services.propose_waiver(
        book.users["c1"], book.cases["B1"].pk, "L1", {Component.PENALTY: D("300")}, reason="x"
    )
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def approve(name: str) -> None:
        try:
            barrier.wait()
            services.approve(book.users[name], waiver.pk)
            outcomes[name] = "approved"
        except Exception as error:  # the loser: refused by the rules, or the database's lock
            outcomes[name] = type(error).__name__
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(name,)) for name in ("sup1", "legal")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes.values()).count("approved") == 1, outcomes
    assert loans.Payment.objects.filter(loan_id="L1", kind="waiver").count() == 1
    done = Arrangement.objects.get(pk=waiver.pk)
    assert done.status == "executed"
    assert done.decided_by is not None
    assert outcomes[done.decided_by.get_username()] == "approved"
    assert actions(waiver).count("arrangement.execute") == 1
