"""Workbench services (issue 5): assignment rules and balancing, reassignment, the work lock, recording a
contact through the C8 check, taking and evaluating promises to pay, the queue order and ``next_case``."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from qingshou.apps.audit.models import AuditEvent
from qingshou.apps.cases.assignment import (
    AssignmentError,
    CaseLocked,
    assign_cases,
    break_lock,
    parse_rules,
    reassign,
    take_lock,
)
from qingshou.apps.cases.models import CallBack, Case, ContactNote, Promise, PromiseInstalment
from qingshou.apps.cases.services.contacts import ContactForm, record_contact
from qingshou.apps.cases.services.promises import evaluate_promises, take_promise
from qingshou.apps.cases.services.queue import QueueFilters, next_case, queue
from qingshou.apps.loans.models import Payment
from qingshou.domain.compliance import ComplianceError
from qingshou.domain.promises import PromiseError
from workbench_book import DAY, Book, assign_to, local, make_book

pytestmark = [pytest.mark.db, pytest.mark.django_db]

RULES = [
    {"name": "late to agency", "buckets": ["M4"], "agency": "AG1"},
    {"name": "north", "regions": ["北京"], "team": "一组"},
    {"name": "big", "min_amount": "1000", "team": "二组"},
]


@pytest.fixture
def book() -> Book:
    return make_book()


def actions(code: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=code).order_by("pk"))


# --- assignment -------------------------------------------------------------------------------------------


def test_assignment_rules_place_cases_by_bucket_region_amount_and_balance_collectors(book: Book) -> None:
    """B4 (M4) → agency; B1, B2 (北京) → 一组 balanced: the larger overdue (B2) first to the collector with
    the fewest open cases, ties by lowest id; B3 (上海, ¥2,000 ≥ ¥1,000) → 二组's only collector."""
    result = assign_cases(DAY, actor=book.users["admin"], rules=parse_rules(RULES))
    cases = {c.borrower_id: c for c in Case.objects.all()}
    assert cases["B4"].agency_id == "AG1"
    assert cases["B4"].collector_id is None
    assert cases["B2"].collector == book.users["c1"]  # c1 has the lower id, both at 0
    assert cases["B1"].collector == book.users["c2"]  # c1 now has one more
    assert cases["B3"].collector == book.users["c3"]
    assert cases["B3"].team == book.teams["二组"]
    assert result.to_collectors == {"c1": 1, "c2": 1, "c3": 1}
    assert result.to_agencies == {"AG1": 1}
    assert result.unmatched == 0
    [event] = actions("cases.assign")
    assert event.detail["assigned"] == 4


def test_assignment_respects_max_open_cases_and_leaves_the_rest_with_the_team(book: Book) -> None:
    for name in ("c1", "c2"):
        book.users[name].profile.max_open_cases = 0
        book.users[name].profile.save()
    result = assign_cases(DAY, rules=parse_rules([{"name": "all", "team": "一组"}]))
    assert result.team_only == {"一组": 4}
    assert not Case.objects.filter(collector__isnull=False).exists()
    assert Case.objects.filter(team=book.teams["一组"]).count() == 4


def test_assignment_is_deterministic_and_skips_assigned_cases(book: Book) -> None:
    first = assign_cases(DAY, rules=parse_rules([{"name": "all", "team": "一组"}]))
    assert first.to_collectors == {"c1": 2, "c2": 2}
    again = assign_cases(DAY, rules=parse_rules([{"name": "all", "team": "一组"}]))
    assert again.assigned == 0


def test_unmatched_cases_stay_unassigned(book: Book) -> None:
    result = assign_cases(DAY, rules=parse_rules([{"name": "only M9", "buckets": ["M9"], "team": "一组"}]))
    assert result.unmatched == 4
    assert result.assigned == 0
    assert not actions("cases.assign")


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"name": "x"}, "exactly one of team / agency"),
        ({"name": "x", "team": "a", "agency": "b"}, "exactly one of team / agency"),
        ({"name": "x", "team": "a", "min_amount": "1.001"}, "min_amount"),
        ({"name": "x", "team": "a", "buckets": "M1"}, "buckets must be a list"),
        ({"name": "x", "team": "a", "colour": "red"}, "unknown keys"),
    ],
)
def test_invalid_assignment_rules_name_the_rule_and_field(rule: dict[str, object], message: str) -> None:
    with pytest.raises(AssignmentError, match=message):
        parse_rules([rule])


def test_supervisor_reassigns_within_their_team_with_a_reason_audited(book: Book) -> None:
    case = assign_to(book.cases["B1"], book.users["c1"], book.teams["一组"])
    with pytest.raises(AssignmentError, match="reason"):
        reassign(book.users["sup1"], case.pk, collector=book.users["c2"], reason=" ")
    with pytest.raises(AssignmentError):
        reassign(book.users["sup2"], case.pk, collector=book.users["c3"], reason="workload")
    with pytest.raises(AssignmentError, match="does not supervise"):
        reassign(book.users["sup1"], case.pk, collector=book.users["c3"], reason="workload")
    reassign(book.users["sup1"], case.pk, collector=book.users["c2"], reason="workload")
    case.refresh_from_db()
    assert case.collector == book.users["c2"]
    [event] = actions("case.reassign")
    assert event.reason == "workload"
    assert event.detail["before"]["collector"] == book.users["c1"].pk
    assert event.detail["after"]["collector"] == book.users["c2"].pk


def test_a_collector_cannot_reassign(book: Book) -> None:
    case = assign_to(book.cases["B1"], book.users["c1"], book.teams["一组"])
    with pytest.raises(AssignmentError):
        reassign(book.users["c1"], case.pk, collector=book.users["c2"], reason="mine")


# --- the lock ---------------------------------------------------------------------------------------------


def test_the_lock_is_exclusive_renewed_by_its_holder_and_expires(book: Book) -> None:
    case = book.cases["B1"]
    now = local(10)
    until = take_lock(book.users["c1"], case.pk, now=now)
    assert until == now + timedelta(minutes=30)
    with pytest.raises(CaseLocked) as locked:
        take_lock(book.users["c2"], case.pk, now=now + timedelta(minutes=5))
    assert locked.value.holder == "C1"
    assert take_lock(book.users["c1"], case.pk, now=now + timedelta(minutes=20)) == now + timedelta(
        minutes=50
    )
    assert take_lock(book.users["c2"], case.pk, now=now + timedelta(minutes=51))  # expired
    assert len(actions("case.lock")) == 2  # the renewal is not a new lock


def test_a_supervisor_breaks_a_lock_with_a_reason_and_a_collector_cannot(book: Book) -> None:
    case = assign_to(book.cases["B1"], book.users["c1"], book.teams["一组"])
    take_lock(book.users["c1"], case.pk)
    with pytest.raises(AssignmentError):
        break_lock(book.users["c2"], case.pk, reason="I want it")
    break_lock(book.users["sup1"], case.pk, reason="c1 went home")
    case.refresh_from_db()
    assert case.locked_by is None
    [event] = actions("case.break_lock")
    assert event.detail["holder"] == book.users["c1"].pk
    assert event.reason == "c1 went home"


# --- recording a contact (C8) ------------------------------------------------------------------------------


def test_c8_an_allowed_contact_is_recorded_with_result_reason_notes_and_call_back(book: Book) -> None:
    case = assign_to(book.cases["B1"], book.users["c1"], book.teams["一组"])
    form = ContactForm(
        party_id=book.parties["B1"].pk,
        loan_id="L1",
        channel="call",
        result="connected",
        reason="unemployment",
        notes="失业三个月，下周找到工作",
        callback_at=local(15),
    )
    recorded = record_contact(book.users["c1"], case.pk, form, now=local(10))
    assert recorded.allowed
    attempt = recorded.attempt
    assert (attempt.outcome, attempt.result, attempt.initiator, attempt.initiator_id) == (
        "allow",
        "connected",
        "user",
        "c1",
    )
    note = ContactNote.objects.get(attempt=attempt)
    assert (note.reason, note.notes) == ("unemployment", "失业三个月，下周找到工作")
    assert CallBack.objects.get(case=case).at == local(15)
    assert actions("contact.record")[0].detail["result"] == "connected"


def test_c8_a_refused_contact_is_recorded_with_its_reason_and_gets_no_result(book: Book) -> None:
    """The C8 check runs first: a debtor who asked to stop contact is refused; the refusal is stored."""
    case = assign_to(book.cases["B1"], book.users["c1"], book.teams["一组"])
    party = book.parties["B1"]
    party.stop_requested = True
    party.save()
    form = ContactForm(
        party_id=party.pk, loan_id="L1", channel="call", result="connected", callback_at=local(15)
    )
    recorded = record_contact(book.users["c1"], case.pk, form, now=local(10))
    assert not recorded.allowed
    assert recorded.attempt.outcome == "refuse"
    assert recorded.attempt.reason
    assert recorded.attempt.result == ""
    assert not CallBack.objects.exists()
    assert ContactNote.objects.filter(attempt=recorded.attempt).exists()


def test_c8_a_contact_in_quiet_hours_is_deferred_not_made(book: Book) -> None:
    case = assign_to(book.cases["B1"], book.users["c1"], book.teams["一组"])
    form = ContactForm(party_id=book.parties["B1"].pk, loan_id="L1", channel="call", result="no_answer")
    recorded = record_contact(book.users["c1"], case.pk, form, now=local(23))
    assert not recorded.allowed
    assert recorded.attempt.outcome == "defer"


def test_recording_needs_the_lock_and_a_party_of_the_borrower(book: Book) -> None:
    case = book.cases["B1"]
    take_lock(book.users["c2"], case.pk, now=local(9, 55))
    form = ContactForm(party_id=book.parties["B1"].pk, loan_id="L1", channel="call", result="busy")
    with pytest.raises(CaseLocked):
        record_contact(book.users["c1"], case.pk, form, now=local(10))
    other = ContactForm(party_id=book.parties["B2"].pk, loan_id="L1", channel="call", result="busy")
    with pytest.raises(ComplianceError, match="not one of the borrower"):
        record_contact(book.users["c2"], case.pk, other, now=local(10))
    wrong = ContactForm(party_id=book.parties["B1"].pk, loan_id="L1", channel="call", result="delivered")
    with pytest.raises(ComplianceError, match="result of a call"):
        record_contact(book.users["c2"], case.pk, wrong, now=local(10))


# --- promises -----------------------------------------------------------------------------------------------


def pay(loan_id: str, day: date, amount_fen: int) -> None:
    Payment.objects.create(
        payment_id=f"{loan_id}-{day}-{amount_fen}", loan_id=loan_id, paid_on=day, amount_fen=amount_fen
    )


def test_take_a_promise_with_instalments_audited(book: Book) -> None:
    case = book.cases["B1"]
    promise = take_promise(
        book.users["c1"],
        case.pk,
        [(date(2026, 3, 15), Decimal("1000.00")), (date(2026, 4, 15), Decimal("500.50"))],
        today=DAY,
    )
    assert (promise.amount_fen, promise.due_on, promise.taken_on, promise.status) == (
        150_050,
        date(2026, 4, 15),
        DAY,
        "pending",
    )
    assert list(promise.instalments.values_list("seq", "amount_fen")) == [(1, 100_000), (2, 50_050)]
    assert actions("promise.create")[0].detail["instalments"][1] == ["2026-04-15", "500.50"]
    with pytest.raises(PromiseError, match="not after the previous"):
        take_promise(
            book.users["c1"],
            case.pk,
            [(date(2026, 3, 15), Decimal("1")), (date(2026, 3, 15), Decimal("1"))],
            today=DAY,
        )


def test_evaluate_promises_kept_partly_broken_pending_and_broken_feeds_the_strategy_count(book: Book) -> None:
    """Tolerance ¥1 / 1 %, 3 grace days (settings). B1 pays in full within grace → kept; B2 pays half →
    partly kept; B3 pays nothing → broken; B4's first instalment kept, the second still pending."""
    from qingshou.apps.cases.services.promises import broken_counts

    user = book.users["admin"]
    due = date(2026, 3, 12)
    promises = {
        name: take_promise(user, book.cases[name].pk, plan, today=DAY)
        for name, plan in {
            "B1": [(due, Decimal("1000.00"))],
            "B2": [(due, Decimal("1000.00"))],
            "B3": [(due, Decimal("1000.00"))],
            "B4": [(due, Decimal("100.00")), (date(2026, 4, 12), Decimal("100.00"))],
        }.items()
    }
    pay("L1", date(2026, 3, 15), 99_500)  # 3 days late = within grace, ¥5 short ≤ 1 %
    pay("L2", date(2026, 3, 12), 50_000)
    pay("L4", date(2026, 3, 11), 10_000)
    pay("L3", date(2026, 3, 9), 100_000)  # before the promise was taken: does not count
    run = evaluate_promises(date(2026, 3, 15))
    statuses = {name: Promise.objects.get(pk=p.pk).status for name, p in promises.items()}
    assert statuses == {"B1": "kept", "B2": "partly_kept", "B3": "broken", "B4": "pending"}
    assert run.evaluated == 4
    assert run.changed == 3
    assert list(
        PromiseInstalment.objects.filter(promise=promises["B4"]).values_list("status", "covered_fen")
    ) == [("kept", 10_000), ("pending", 0)]
    assert broken_counts() == {"B3": 1}
    again = evaluate_promises(date(2026, 3, 16))
    assert again.evaluated == 1  # only B4 still has a pending instalment


def test_a_promise_stored_without_instalments_is_evaluated_as_one(book: Book) -> None:
    """A promise another part stores as one amount and date (a field visit report) is evaluated too."""
    promise = Promise.objects.create(
        case=book.cases["B1"], amount_fen=10_000, due_on=date(2026, 3, 12), taken_on=DAY
    )
    pay("L1", date(2026, 3, 12), 10_000)
    evaluate_promises(date(2026, 3, 12))
    promise.refresh_from_db()
    assert promise.status == "kept"
    assert not promise.instalments.exists()


# --- the queue ----------------------------------------------------------------------------------------------


def test_queue_order_call_backs_then_call_tasks_by_priority_then_worst_dpd(book: Book) -> None:
    for case in book.cases.values():
        assign_to(case, book.users["c1"], book.teams["一组"])
    CallBack.objects.create(case=book.cases["B3"], at=local(16))
    order = [case.borrower_id for case in queue(book.users["c1"], today=DAY)]
    # B3: call-back today; B2 then B1: call tasks by priority (B3's refused task does not count); B4: dpd
    assert order == ["B3", "B2", "B1", "B4"]
    CallBack.objects.create(case=book.cases["B4"], at=local(16, day=DAY + timedelta(days=1)))
    assert (
        next(c.borrower_id for c in queue(book.users["c1"], today=DAY)) == "B3"
    )  # tomorrow's is not today's


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (QueueFilters(bucket="M1"), ["B1", "B3"]),
        (QueueFilters(dpd_min=30), ["B2", "B4"]),
        (QueueFilters(dpd_min=15, dpd_max=50), ["B2", "B1"]),
        (QueueFilters(queue="early"), ["B2", "B1"]),
        (QueueFilters(segment="late"), []),
    ],
)
def test_queue_filters(book: Book, filters: QueueFilters, expected: list[str]) -> None:
    for case in book.cases.values():
        assign_to(case, book.users["c1"], book.teams["一组"])
    assert [c.borrower_id for c in queue(book.users["c1"], filters, today=DAY)] == expected


def test_queue_shows_only_the_users_open_cases(book: Book) -> None:
    assign_to(book.cases["B1"], book.users["c1"], book.teams["一组"])
    assign_to(book.cases["B2"], book.users["c2"], book.teams["一组"])
    Case.objects.filter(pk=book.cases["B1"].pk).update(status="closed", closed_on=DAY, close_reason="cured")
    assert [c.borrower_id for c in queue(book.users["c2"], today=DAY)] == ["B2"]
    assert list(queue(book.users["c1"], today=DAY)) == []
    assert sorted(c.borrower_id for c in queue(book.users["sup1"], today=DAY)) == ["B2"]


def test_queue_costs_the_same_queries_for_one_case_or_many(book: Book) -> None:
    """No N+1: the page query carries every figure as a subquery."""
    assign_to(book.cases["B1"], book.users["c1"], book.teams["一组"])
    list(queue(book.users["c1"], today=DAY))  # the user's role is read once and cached
    with CaptureQueriesContext(connection) as one:
        [c.worst_dpd for c in queue(book.users["c1"], today=DAY)]
    for case in book.cases.values():
        assign_to(case, book.users["c1"], book.teams["一组"])
    with CaptureQueriesContext(connection) as four:
        rows = [
            (c.worst_dpd, c.bucket, c.borrower.name, c.locked_by) for c in queue(book.users["c1"], today=DAY)
        ]
    assert len(rows) == 4
    assert len(four.captured_queries) == len(one.captured_queries)


def test_next_case_takes_the_first_case_nobody_else_is_working(book: Book) -> None:
    for case in book.cases.values():
        assign_to(case, book.users["c1"], book.teams["一组"])
    Case.objects.filter(pk=book.cases["B2"].pk).update(
        locked_by=book.users["c2"], locked_until=timezone.now() + timedelta(hours=1)
    )
    taken = next_case(book.users["c1"], today=DAY)
    assert taken is not None
    assert taken.borrower_id == "B1"
    taken.refresh_from_db()
    assert taken.locked_by == book.users["c1"]
    # c1 already holds B1: "next" again returns the first free one, which is still B1 (their own lock)
    again = next_case(book.users["c1"], today=DAY)
    assert again is not None
    assert again.borrower_id == "B1"


# --- the CLI ------------------------------------------------------------------------------------------------


def test_cli_assign_json_places_cases_by_the_configured_rules(book: Book, settings: Any) -> None:
    import json

    from click.testing import CliRunner

    from qingshou.cli import build

    settings.QINGSHOU_ASSIGNMENT = {"rules": RULES}
    result = CliRunner().invoke(build(), ["assign", "--as-of", "2026-03-10", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["assigned"] == 4
    assert payload["to_agencies"] == {"AG1": 1}
    settings.QINGSHOU_ASSIGNMENT = {"rules": [{"name": "bad"}]}
    bad = CliRunner().invoke(build(), ["assign"])
    assert bad.exit_code == 2
    assert "exactly one of team / agency" in bad.output


@pytest.mark.django_db(transaction=True)
def test_two_collectors_pressing_at_once_never_both_hold_the_lock() -> None:
    """The lock is one conditional UPDATE: of two threads (two connections) racing for the same case,
    exactly one gets it and the other is told who has it."""
    import threading

    from django.db import connections

    book = make_book()
    case_id = book.cases["B1"].pk
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def race(name: str) -> None:
        try:
            barrier.wait()
            take_lock(book.users[name], case_id)
            outcomes[name] = "locked"
        except CaseLocked as locked:
            outcomes[name] = f"refused:{locked.holder}"
        finally:
            connections.close_all()

    threads = [threading.Thread(target=race, args=(name,)) for name in ("c1", "c2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes.values())[0] == "locked"
    assert sorted(outcomes.values())[1].startswith("refused:C")
    holder = Case.objects.get(pk=case_id).locked_by
    assert holder is not None
    assert outcomes[holder.username] == "locked"
