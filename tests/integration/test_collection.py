"""Collection inside EOD (issue 4): cases per borrower, the strategy's assignment and plan, the compliance
check of every planned contact (C8) — on a simulated book, on SQLite and PostgreSQL (``-m db``).

The book's day is a Tuesday; contacts are planned for the next morning at the configured contact time.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings
from eod_support import BOOK_DAY, NEEDS_KERNEL, SimulatedBook, lake, load_book, simulated_book

from qingshou.apps.accounts.models import Team
from qingshou.apps.accounts.roles import Role
from qingshou.apps.cases.models import Action, CallBack, Case, CaseEvent
from qingshou.apps.cases.services.daily import ENGINE_INITIATOR_ID
from qingshou.apps.contacts.models import ContactAttempt, ContactParty
from qingshou.apps.eod.models import LoanStatus
from qingshou.apps.eod.services.run import run_eod
from qingshou.apps.loans.models import Payment
from qingshou.apps.notices.models import Outbox
from qingshou.apps.notices.services.templates import load_default_templates
from qingshou.apps.strategy.services import apply_strategy
from workbench_support import create_user

pytestmark = [pytest.mark.db, pytest.mark.django_db(transaction=True), NEEDS_KERNEL]


@pytest.fixture(autouse=True)
def templates() -> None:
    """The packaged notice templates (a transactional test's flush removes the migration's rows)."""
    load_default_templates()


__all__ = ["lake", "simulated_book"]  # fixtures

LOANS, SEED = 300, 11
DAY = BOOK_DAY
BEFORE = DAY - timedelta(days=1)


@pytest.fixture
def book(simulated_book: SimulatedBook, lake: Path) -> Path:
    folder = simulated_book(LOANS, SEED)
    load_book(folder)
    return folder


def delinquent_borrowers(day: Any) -> set[str]:
    statuses = LoanStatus.objects.filter(as_of=day, delinquent=True).select_related("loan")
    return {status.loan.borrower_id for status in statuses}


def case_rows() -> list[tuple[Any, ...]]:
    return list(
        Case.objects.order_by("borrower_id", "opened_on").values_list(
            "borrower_id",
            "status",
            "opened_on",
            "closed_on",
            "close_reason",
            "updated_on",
            "lead_loan_id",
            "strategy_version",
            "segment",
            "path",
            "arm",
        )
    )


def event_rows() -> list[tuple[Any, ...]]:
    return list(
        CaseEvent.objects.order_by("case__borrower_id", "as_of", "kind").values_list(
            "case__borrower_id", "as_of", "kind", "segment", "path", "arm", "strategy_version"
        )
    )


def action_rows() -> list[tuple[Any, ...]]:
    return list(
        Action.objects.order_by("as_of", "borrower_id", "step").values_list(
            "as_of",
            "case__borrower_id",
            "borrower_id",
            "loan_id",
            "segment",
            "path",
            "arm",
            "step",
            "action",
            "template",
            "queue",
            "priority",
            "recipient",
            "planned_at",
            "outcome",
            "reason",
            "not_before",
        )
    )


def attempt_rows() -> list[tuple[Any, ...]]:
    return list(
        ContactAttempt.objects.order_by("borrower_id", "channel", "planned_at").values_list(
            "initiator",
            "initiator_id",
            "borrower_id",
            "loan_id",
            "party_id",
            "channel",
            "address",
            "time_zone",
            "planned_at",
            "local_day",
            "time_barred",
            "profile",
            "outcome",
            "reason",
            "deferred_to",
        )
    )


def test_c3_every_delinquent_borrower_has_exactly_one_open_case_and_an_assignment(book: Path) -> None:
    summary = run_eod(DAY).as_json()["collection"]
    expected = delinquent_borrowers(DAY)
    assert (summary["cases_opened"], summary["cases_closed"], summary["cases_open"]) == (
        len(expected),
        0,
        len(expected),
    )
    assert summary["actions"] == Action.objects.count()
    assert summary["notices_staged"] == Outbox.objects.count()
    assert expected, "the simulated book must have delinquent borrowers"
    open_cases = Case.objects.filter(status="open")
    assert sorted(case.borrower_id for case in open_cases) == sorted(expected)
    for case in open_cases:
        assert case.opened_on == DAY
        assert all((case.segment, case.path, case.arm)), case
        assert case.strategy_version is None  # the packaged default strategy: no stored version
        opened = case.events.get(kind="opened")
        worst = max(status.dpd for status in LoanStatus.objects.filter(loan__borrower_id=case.borrower_id))
        assert (opened.as_of, opened.worst_dpd) == (DAY, worst)
    kinds = {kind for (_, _, kind, *_rest) in event_rows()}
    assert kinds == {"opened"}  # the opened event carries the assignment


def test_the_plan_follows_the_strategy_and_every_contact_is_checked(book: Path) -> None:
    """C8: every planned contact has a decision; the ones allowed are planned for the next morning at 09:00
    Beijing time; planned contacts are recorded as engine attempts of the day."""
    run_eod(DAY)
    actions = list(Action.objects.filter(as_of=DAY))
    assert actions
    contacts = [action for action in actions if action.action in ("sms", "email", "letter", "call")]
    assert contacts
    morning = datetime.combine(DAY + timedelta(days=1), time(1), tzinfo=UTC)  # 09:00 in Asia/Shanghai
    for action in contacts:
        assert action.outcome in ("allow", "defer", "refuse")
        assert action.planned_at == morning
        if action.outcome == "allow":
            assert action.reason == "ok", action.reason
    for action in actions:
        if action.action not in ("sms", "email", "letter", "call"):
            assert action.outcome == "allow"
    recorded = ContactAttempt.objects.filter(
        initiator="engine", initiator_id=ENGINE_INITIATOR_ID.format(as_of=DAY)
    )
    with_party = [action for action in contacts if action.reason != "no_contact_party"]
    assert recorded.count() == len(with_party)


def test_a_rerun_of_the_day_leaves_exactly_what_one_run_leaves(book: Path) -> None:
    run_eod(DAY)
    first = (case_rows(), event_rows(), action_rows(), attempt_rows())
    run_eod(DAY)
    assert (case_rows(), event_rows(), action_rows(), attempt_rows()) == first


def test_a_rerun_closes_instead_of_dropping_a_case_people_already_worked_on(book: Path) -> None:
    """A rerun of the day drops the cases its first run opened whose borrowers are no longer delinquent (a
    payment valued that day arrived in between) — except a case a collector has already recorded work on:
    that one is closed on the day (cured / settled) and keeps its call-back; the untouched one goes."""
    run_eod(DAY)
    worked, untouched = Case.objects.filter(status="open", opened_on=DAY).order_by("id")[:2]
    collector = create_user(Role.COLLECTOR, username="rerun-collector")
    CallBack.objects.create(case=worked, at=datetime(2025, 7, 1, 9, tzinfo=UTC), created_by=collector)
    for case in (worked, untouched):
        for status in LoanStatus.objects.filter(
            as_of=DAY, delinquent=True, loan__borrower_id=case.borrower_id
        ):
            Payment.objects.create(
                payment_id=f"rerun-{status.loan_id}",
                loan_id=status.loan_id,
                paid_on=DAY,
                amount_fen=status.total_overdue_fen,
            )
    run_eod(DAY)
    kept = Case.objects.get(pk=worked.pk)
    assert (kept.status, kept.opened_on, kept.closed_on) == ("closed", DAY, DAY)
    assert kept.close_reason in ("cured", "settled")
    assert kept.callbacks.count() == 1
    assert list(kept.events.values_list("kind", flat=True).order_by("id")) == ["opened", "closed"]
    assert not Case.objects.filter(pk=untouched.pk).exists()
    assert not Case.objects.filter(borrower_id=untouched.borrower_id, status="open").exists()


def test_cases_carry_over_to_the_next_day_and_close_when_no_loan_is_delinquent(book: Path) -> None:
    run_eod(BEFORE)
    untouched = {case.pk: case.updated_on for case in Case.objects.all()}
    run_eod(DAY)
    before, now = delinquent_borrowers(BEFORE), delinquent_borrowers(DAY)
    for case in Case.objects.all():
        if case.borrower_id in before:
            assert case.opened_on == BEFORE
        if case.borrower_id in before and case.borrower_id not in now:
            assert (case.status, case.closed_on) == ("closed", DAY)
            assert case.close_reason in ("cured", "settled")
        if case.borrower_id in now:
            assert case.status == "open"
        if case.pk in untouched and case.status == "open" and not case.events.filter(as_of=DAY).exists():
            assert case.updated_on == BEFORE  # a case that did not change is not rewritten
    assert Case.objects.filter(status="open").count() == len(now)


def test_a_backfill_of_an_older_day_leaves_cases_and_plans_alone(book: Path) -> None:
    run_eod(DAY)
    cases, actions = case_rows(), action_rows()
    assert "later day" in run_eod(BEFORE).as_json()["collection"]["skipped"]
    assert case_rows() == cases
    assert action_rows() == actions


@override_settings(QINGSHOU_COLLECTION={"contact_time": "22:30"})
def test_c8_contacts_planned_in_quiet_hours_are_deferred_to_08_00_not_dropped(book: Path) -> None:
    run_eod(DAY)
    calls_and_sms = Action.objects.filter(as_of=DAY, action__in=("sms", "call")).exclude(
        reason="no_contact_party"
    )
    assert calls_and_sms.exists()
    next_morning = datetime.combine(DAY + timedelta(days=2), time(0), tzinfo=UTC)  # 08:00 Beijing
    for action in calls_and_sms:
        assert (action.outcome, action.not_before) == ("defer", next_morning), (action.outcome, action.reason)
    letters = Action.objects.filter(as_of=DAY, action="letter").exclude(reason="no_contact_party")
    assert all(action.outcome == "allow" for action in letters)  # letters have no quiet hours


EVERY_DAY = """
name: every_day
segments:
  - name: all
    paths:
      - name: daily
        steps:
          - {day: 1, every: 1, action: sms, template: reminder}
          - {day: 1, every: 1, action: call, queue: early}
"""


def test_c8_a_debtor_who_asked_not_to_be_contacted_gets_no_contact_and_it_is_recorded(book: Path) -> None:
    apply_strategy(EVERY_DAY, by="test")
    run_eod(DAY)
    allowed = Action.objects.filter(as_of=DAY, action="call", outcome="allow").first()
    assert allowed is not None
    ContactParty.objects.filter(borrower_id=allowed.borrower_id).update(do_not_contact=True)
    run_eod(DAY)
    refused = Action.objects.filter(as_of=DAY, borrower_id=allowed.borrower_id)
    assert {(action.action, action.outcome, action.reason) for action in refused} == {
        ("sms", "refuse", "do_not_contact"),
        ("call", "refuse", "do_not_contact"),
    }
    recorded = ContactAttempt.objects.filter(initiator="engine", borrower_id=allowed.borrower_id)
    assert {(row.channel, row.outcome, row.reason) for row in recorded} == {
        ("sms", "refuse", "do_not_contact"),
        ("call", "refuse", "do_not_contact"),
    }
    others = Action.objects.filter(as_of=DAY, action="call").exclude(borrower_id=allowed.borrower_id)
    assert others.filter(outcome="allow").exists()


def test_an_applied_strategy_version_is_recorded_on_the_cases_and_a_change_is_an_event(book: Path) -> None:
    run_eod(BEFORE)
    version = apply_strategy(EVERY_DAY, by="test").version.version
    run_eod(DAY)
    still_open = Case.objects.filter(status="open", opened_on=BEFORE)
    assert still_open.exists()
    for case in still_open:
        assert case.strategy_version == version
        opened = case.events.get(kind="opened")
        assert (opened.as_of, opened.strategy_version) == (BEFORE, None)  # the packaged default
        assert opened.segment
        assigned = case.events.filter(kind="assigned").order_by("as_of")
        assert [(event.as_of, event.strategy_version) for event in assigned] == [(DAY, version)]


def outbox_rows() -> list[tuple[Any, ...]]:
    return list(
        Outbox.objects.order_by("key").values_list(
            "key",
            "as_of",
            "borrower_id",
            "loan_id",
            "channel",
            "audience",
            "recipient",
            "template_code",
            "payload",
            "status",
            "next_attempt_at",
        )
    )


def test_the_plans_notices_go_to_the_outbox_once_per_loan_with_its_figures(book: Path) -> None:
    """C8: a notice carries the loan's overdue principal, interest, penalty and compound interest, days
    overdue and total due; it waits for its planned moment; a rerun stages nothing twice."""
    apply_strategy(EVERY_DAY, by="test")
    run_eod(DAY)
    sms = Action.objects.filter(as_of=DAY, action="sms", outcome__in=("allow", "defer"))
    assert sms.exists()
    rows = Outbox.objects.filter(as_of=DAY)
    expected = {
        (status.loan_id)
        for status in LoanStatus.objects.filter(as_of=DAY, delinquent=True).select_related("loan")
        if status.loan.borrower_id in {action.borrower_id for action in sms}
    }
    assert {row.loan_id for row in rows} == expected
    for row in rows:
        status = LoanStatus.objects.get(loan_id=row.loan_id)
        action = sms.get(borrower_id=row.borrower_id)
        assert (row.channel, row.audience, row.template_code) == ("sms", "debtor", "reminder")
        assert row.next_attempt_at == (action.not_before or action.planned_at)
        assert row.payload["days_overdue"] == status.dpd
        assert row.payload["overdue_principal"] == str(Decimal(status.overdue_principal_fen).scaleb(-2))
        assert row.payload["penalty"] == str(Decimal(status.penalty_interest_fen).scaleb(-2))
        assert row.payload["total_due"] == str(Decimal(status.total_overdue_fen).scaleb(-2))
    first = outbox_rows()
    run_eod(DAY)
    assert outbox_rows() == first


def test_a_backfilled_day_whose_contact_day_has_passed_sends_nothing(book: Path) -> None:
    apply_strategy(EVERY_DAY, by="test")
    run_eod(BEFORE)  # its contact day is the book's day, before today
    assert Action.objects.filter(as_of=BEFORE, action="sms").exists()
    assert not Outbox.objects.exists()


def test_new_cases_are_assigned_after_the_commit_by_the_rules_balancing_collectors(book: Path) -> None:
    """分案 after EOD: every case opened today goes to the team of the catch-all rule, spread over its two
    collectors by workload (issue 5); the run's summary says so."""
    team = Team.objects.create(name="电催一组")
    first, second = (create_user(Role.COLLECTOR, team=team) for _ in range(2))
    rules = {"rules": [{"name": "all", "team": team.name}], "lock_minutes": 30}
    with override_settings(QINGSHOU_ASSIGNMENT=rules):
        summary = run_eod(DAY).as_json()["collection"]
    cases = Case.objects.filter(status="open")
    assert cases.exists()
    assert set(cases.values_list("team_id", flat=True)) == {team.pk}
    counts = {user.pk: cases.filter(collector=user).count() for user in (first, second)}
    assert abs(counts[first.pk] - counts[second.pk]) <= 1
    assert sum(counts.values()) == cases.count()
    assert summary["assigned"]["to_collectors"] == {
        first.username: counts[first.pk],
        second.username: counts[second.pk],
    }


def test_postgresql_statistics_are_refreshed_after_the_commit(book: Path) -> None:
    """On PostgreSQL the tables the run rewrote are analysed at once (the workbench's plans need the new
    day's statistics); SQLite has no such step."""
    from django.db import connection

    seconds = run_eod(DAY).as_json()["step_seconds"]
    if connection.vendor != "postgresql":
        assert "analyze tables" not in seconds
        return
    assert "analyze tables" in seconds
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL"
            " AND relname IN ('qs_case', 'qs_action', 'qs_loan_status')"
        )
        assert {row[0] for row in cursor.fetchall()} == {"qs_case", "qs_action", "qs_loan_status"}
