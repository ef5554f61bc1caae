"""Contact compliance in the store (C8): ``check_attempt`` builds the facts from stored attempts (institution
and agencies together), decides and records every attempt — refusals with their reason —; ``record_result``;
``facts_frame`` feeds the engine; ``qingshou compliance report`` lists the decisions (click's runner)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from click.testing import CliRunner, Result

from qingshou.apps.contacts.models import ContactAttempt, ContactParty
from qingshou.apps.contacts.profiles import profile_named
from qingshou.apps.contacts.selectors import facts_frame, mask_address
from qingshou.apps.contacts.services import check_attempt, record_result
from qingshou.apps.loans.models import Borrower, Loan, Product
from qingshou.cli import build
from qingshou.domain.compliance import ComplianceError
from qingshou.engine.compliance import FACTS, check_frame

pytestmark = [pytest.mark.db, pytest.mark.django_db]

SHANGHAI = ZoneInfo("Asia/Shanghai")
LA = ZoneInfo("America/Los_Angeles")
DAY = date(2026, 3, 10)


def local(hour: int, minute: int = 0, day: date = DAY, tz: ZoneInfo = SHANGHAI) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)


@pytest.fixture
def book() -> dict[str, Any]:
    """Borrower B1 with loans L1, L2; parties: the debtor (two numbers), a guarantor and a contact person;
    borrower B2 in Los Angeles with loan L3 and a debtor party."""
    product = Product.objects.create(product_id="P1")
    parties: dict[str, Any] = {}
    for borrower_id, loans in (("B1", ("L1", "L2")), ("B2", ("L3",))):
        Borrower.objects.create(borrower_id=borrower_id, name=f"借款人{borrower_id}")
        for loan_id in loans:
            Loan.objects.create(
                loan_id=loan_id,
                borrower_id=borrower_id,
                product=product,
                principal_fen=1_000_000,
                annual_rate=Decimal("0.12"),
                disbursed_on=date(2025, 1, 1),
                term_months=12,
                repayment_method="equal_installment",
            )
    make = ContactParty.objects.create
    parties["debtor"] = make(borrower_id="B1", kind="debtor", name="张三", phone="13812341234")
    parties["debtor2"] = make(borrower_id="B1", kind="debtor", name="张三", phone="13900005678")
    parties["guarantor"] = make(borrower_id="B1", kind="guarantor", name="李四", phone="13700001111")
    parties["contact"] = make(borrower_id="B1", kind="third_party", relation="同事", phone="13600002222")
    parties["us"] = make(
        borrower_id="B2", kind="debtor", name="Jane", phone="+13105550123", time_zone="America/Los_Angeles"
    )
    return parties


def call(party: ContactParty, at: datetime, loan: str = "L1", **extra: Any) -> ContactAttempt:
    extra.setdefault("initiator", "engine")
    return check_attempt(party.pk, loan, extra.pop("channel", "call"), at, **extra)


def made(party: ContactParty, at: datetime, result: str, loan: str = "L1", **extra: Any) -> ContactAttempt:
    """A call checked and made at ``at`` with ``result`` (the check must allow it)."""
    conversation = extra.pop("conversation_about_debt", False)
    attempt = call(party, at, loan, **extra)
    assert attempt.outcome == "allow", attempt.reason
    return record_result(attempt.pk, result, at, conversation_about_debt=conversation)


def test_c8_service_records_an_allowed_call_and_a_deferred_sms(book: dict[str, Any]) -> None:
    """C8: every check is stored: a call at 10:00 is allowed; an SMS at 22:30 is deferred to 08:00 next day."""
    allowed = call(book["debtor"], local(10))
    deferred = call(book["debtor"], local(22, 30), channel="sms")
    assert (allowed.outcome, allowed.reason, allowed.address) == ("allow", "ok", "13812341234")
    assert (deferred.outcome, deferred.reason) == ("defer", "quiet_hours")
    assert deferred.deferred_to == local(8, day=DAY + timedelta(days=1))
    assert ContactAttempt.objects.count() == 2
    assert allowed.time_zone == "Asia/Shanghai"
    assert allowed.local_day == DAY


def test_c8_fourth_connected_call_counts_the_institution_and_agencies_together(book: dict[str, Any]) -> None:
    """C8 cn: 3 connected calls to the debtor that day — 2 by the institution on one number, 1 by an agency on
    the other — so the 4th (any number, anyone) is deferred to 08:00 tomorrow; the guarantor is another
    person and may still be called."""
    made(book["debtor"], local(9), "connected")
    made(book["debtor"], local(10), "connected", initiator="user", initiator_id="u7")
    made(book["debtor2"], local(11), "connected", initiator="agency", initiator_id="AG1")
    fourth = call(book["debtor2"], local(12), initiator="agency", initiator_id="AG2")
    assert (fourth.outcome, fourth.reason) == ("defer", "connected_call_cap")
    assert fourth.deferred_to == local(8, day=DAY + timedelta(days=1))
    assert call(book["guarantor"], local(12)).outcome == "allow"


def test_c8_seventh_unanswered_attempt_on_a_number_is_deferred(book: dict[str, Any]) -> None:
    """C8 cn: 6 unanswered attempts on one number → the 7th on it waits for tomorrow; the other number of
    the same debtor is not capped by them."""
    for minute in range(6):
        made(book["debtor"], local(9, minute * 5), "no_answer" if minute % 2 else "busy")
    assert call(book["debtor"], local(10)).reason == "number_attempt_cap"
    assert call(book["debtor2"], local(10)).outcome == "allow"


def test_c8_third_party_refused_until_the_debtor_is_unreachable_then_stopped(book: dict[str, Any]) -> None:
    """C8: the contact person is refused while the debtor is reachable (2 failed calls), allowed after the
    3rd consecutive failure (失联, no debt information), and refused for good after their stop request.
    Each refusal is recorded with its reason."""
    contact = book["contact"]
    made(book["debtor"], local(9), "no_answer")
    made(book["debtor2"], local(9, 10), "busy")
    first = call(contact, local(10), mentions_debt=False)
    assert (first.outcome, first.reason) == ("refuse", "third_party_debtor_reachable")
    made(book["debtor"], local(9, 20), "no_answer")
    assert call(contact, local(10, 30), mentions_debt=False).outcome == "allow"
    assert call(contact, local(10, 31), mentions_debt=True).reason == "third_party_debt_info"
    ContactParty.objects.filter(pk=contact.pk).update(stop_requested=True)
    assert call(contact, local(11), mentions_debt=False).reason == "third_party_stop"
    refused = ContactAttempt.objects.filter(outcome="refuse").values_list("reason", flat=True)
    assert sorted(refused) == ["third_party_debt_info", "third_party_debtor_reachable", "third_party_stop"]


def test_c8_a_connected_call_resets_the_consecutive_failures(book: dict[str, Any]) -> None:
    """C8: failures count only since the debtor's last connected call: 2 failures, connected, 2 failures →
    still reachable."""
    for minute, result in enumerate(("no_answer", "no_answer", "connected", "busy", "no_answer")):
        made(book["debtor"], local(9, minute * 5), result)
    assert call(book["contact"], local(10), mentions_debt=False).reason == "third_party_debtor_reachable"


def test_c8_invalid_number_result_marks_the_number_and_refuses_it(book: dict[str, Any]) -> None:
    """C8: an ``invalid_number`` result marks the party's number invalid; the next call to it is refused."""
    made(book["debtor"], local(9), "invalid_number")
    assert ContactParty.objects.get(pk=book["debtor"].pk).number_invalid
    assert call(book["debtor"], local(10)).reason == "number_invalid"


def test_c8_reg_f_in_the_store_per_debt_and_after_a_conversation(book: dict[str, Any]) -> None:
    """C8 us_reg_f (Los Angeles): 7 calls on L3 over the week → the 8th is deferred until the window frees;
    a conversation about the debt defers the next call 7 days."""
    us = profile_named("us_reg_f")
    jane = book["us"]
    start = DAY - timedelta(days=6)
    for offset in range(7):
        made(jane, local(10, day=start + timedelta(days=offset), tz=LA), "no_answer", loan="L3", profile=us)
    eighth = call(jane, local(15, tz=LA), loan="L3", profile=us)
    assert (eighth.reason, eighth.deferred_to) == (
        "reg_f_7_in_7",
        local(8, day=DAY + timedelta(days=1), tz=LA),
    )
    later = DAY + timedelta(days=1)
    made(jane, local(10, day=later, tz=LA), "connected", loan="L3", profile=us, conversation_about_debt=True)
    after = call(jane, local(10, day=later + timedelta(days=1), tz=LA), loan="L3", profile=us)
    assert (after.reason, after.deferred_to) == (
        "reg_f_after_conversation",
        local(8, day=later + timedelta(days=7), tz=LA),
    )


def test_c8_time_barred_loan_refuses_a_legal_threat(book: dict[str, Any]) -> None:
    """C8/C7: the caller says the loan is time-barred: a letter threatening suit is refused and recorded."""
    letter = call(
        book["debtor"],
        local(10),
        channel="letter",
        address="上海市浦东新区某路1号",
        threatens_legal_action=True,
        time_barred=True,
    )
    assert (letter.outcome, letter.reason, letter.time_barred) == ("refuse", "time_barred_legal_threat", True)


def test_c8_record_result_only_once_and_only_for_allowed_attempts(book: dict[str, Any]) -> None:
    """C8: a deferred or refused attempt cannot get a result; a result is written once; it must be made on
    the day it was checked for; a conversation needs a connected call."""
    deferred = call(book["debtor"], local(23))
    with pytest.raises(ComplianceError, match="was not allowed"):
        record_result(deferred.pk, "connected", local(23))
    allowed = call(book["debtor"], local(10))
    with pytest.raises(ComplianceError, match="check it again"):
        record_result(allowed.pk, "connected", local(10, day=DAY + timedelta(days=1)))
    with pytest.raises(ComplianceError, match="needs a connected call"):
        record_result(allowed.pk, "busy", local(10), conversation_about_debt=True)
    with pytest.raises(ComplianceError, match="result of a call must be"):
        record_result(allowed.pk, "delivered", local(10))
    record_result(allowed.pk, "connected", local(10, 5), conversation_about_debt=True)
    with pytest.raises(ComplianceError, match="already has its result"):
        record_result(allowed.pk, "busy", local(10, 6))


def test_c8_facts_frame_feeds_check_frame_with_the_same_decisions_as_the_service(
    book: dict[str, Any],
) -> None:
    """C8: ``facts_frame`` has one row per loan × party with the store's counts (the debtor is one person
    across their numbers: 3 calls on L1); ``check_frame`` on it gives the service's decision."""
    made(book["debtor"], local(9), "connected")
    made(book["debtor"], local(9, 30), "connected")
    made(book["debtor2"], local(9, 40), "connected")
    facts = facts_frame(["B1", "B2"], DAY, time_barred_loan_ids=["L2"])
    assert facts.schema == pl.Schema(FACTS)
    assert facts.height == 2 * 4 + 1
    debtor = facts.filter((pl.col("party_id") == book["debtor"].pk) & (pl.col("loan_id") == "L1")).row(
        0, named=True
    )
    assert (debtor["connected_calls_today"], len(debtor["debt_call_days"]), debtor["time_barred"]) == (
        3,
        3,
        False,
    )
    assert facts.filter(pl.col("loan_id") == "L2")["time_barred"].all()
    attempts = pl.DataFrame(
        {
            "attempt_id": ["x"],
            "borrower_id": ["B1"],
            "loan_id": ["L1"],
            "party_id": [book["debtor2"].pk],
            "channel": ["call"],
            "party_kind": ["debtor"],
            "address": ["13900005678"],
            "planned_at": [local(11).astimezone(UTC)],
            "time_zone": [""],
            "mentions_debt": [True],
            "threatens_legal_action": [False],
            "collectors": [0],
        }
    )
    [row] = check_frame(attempts, facts, profile_named("cn")).iter_rows(named=True)
    service = call(book["debtor2"], local(11))
    assert (row["outcome"], row["reason"], row["deferred_to"]) == (
        service.outcome,
        service.reason,
        service.deferred_to,
    )


def test_c8_bad_requests_are_errors(book: dict[str, Any]) -> None:
    """C8: a loan of another borrower, an unknown party, an unknown initiator are errors, nothing stored."""
    with pytest.raises(ComplianceError, match="belongs to borrower B2"):
        call(book["debtor"], local(10), loan="L3")
    with pytest.raises(ComplianceError, match="initiator must be"):
        call(book["debtor"], local(10), initiator="robot")
    with pytest.raises(Exception, match="no contact party 99999"):
        check_attempt(99999, "L1", "call", local(10), initiator="user")
    assert ContactAttempt.objects.count() == 0


# --- the report ---------------------------------------------------------------------------------------------


def invoke(*args: str) -> Result:
    return CliRunner().invoke(build(), list(args))


def test_c8_mask_address() -> None:
    """C8: numbers are shown masked (138****1234); e-mails and postal addresses are shortened."""
    assert mask_address("13812341234") == "138****1234"
    assert mask_address("z.san@example.com") == "z***@example.com"
    assert mask_address("上海市浦东新区某路1号") == "上海市浦东新***"


def test_c8_report_lists_decisions_with_counts_and_masked_numbers(book: dict[str, Any]) -> None:
    """C8: ``qingshou compliance report`` — JSON counts by outcome and reason, rows with masked numbers,
    ``--outcome`` filter; the rich tables by default; ``--from`` after ``--to`` is exit code 2."""
    call(book["debtor"], local(10))
    call(book["debtor"], local(22, 30), channel="sms")
    call(book["contact"], local(10), mentions_debt=False)
    call(book["debtor"], local(10, day=DAY + timedelta(days=5)))
    result = invoke("compliance", "report", "--from", "2026-03-10", "--to", "2026-03-10", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["total"] == 3
    assert report["by_outcome"] == {"allow": 1, "defer": 1, "refuse": 1}
    assert {item["reason"] for item in report["by_reason"]} == {
        "ok",
        "quiet_hours",
        "third_party_debtor_reachable",
    }
    assert {row["address"] for row in report["decisions"]} == {"138****1234", "136****2222"}
    deferred = next(row for row in report["decisions"] if row["outcome"] == "defer")
    assert deferred["deferred_to"] == "2026-03-11T00:00:00+00:00"
    assert deferred["message_en"].startswith("outside the allowed hours")

    refused = json.loads(
        invoke(
            "compliance",
            "report",
            "--from",
            "2026-03-01",
            "--to",
            "2026-03-31",
            "--outcome",
            "refuse",
            "--json",
        ).output
    )
    assert [row["reason"] for row in refused["decisions"]] == ["third_party_debtor_reachable"]

    human = invoke("compliance", "report", "--from", "2026-03-10", "--to", "2026-03-15")
    assert human.exit_code == 0, human.output
    assert "合规决定 compliance decisions" in human.output
    assert "138****1234" in human.output
    assert "13812341234" not in human.output
    assert "明细 decisions (4; times UTC)" in human.output

    backwards = invoke("compliance", "report", "--from", "2026-03-10", "--to", "2026-03-01")
    assert backwards.exit_code == 2
    assert "after --to" in backwards.output


# --- profiles from the settings ------------------------------------------------------------------------------


def test_c8_active_profile_is_cn_by_default_and_settings_can_change_it() -> None:
    """C8: ``cn`` is the default profile; QINGSHOU_COMPLIANCE names the active one and holds parameters,
    validated (a bad parameter names the profile and key)."""
    from django.test import override_settings

    from qingshou.apps.contacts.profiles import active_profile

    assert active_profile().name == "cn"
    assert active_profile().connected_calls_per_day == 3
    profiles = settings_profiles()
    with override_settings(QINGSHOU_COMPLIANCE={"profile": "us_reg_f", "profiles": profiles}):
        assert active_profile().calls_per_debt_in_7_days == 7
    broken = {**profiles, "cn": {**profiles["cn"], "window_end": "25:00"}}
    with (
        override_settings(QINGSHOU_COMPLIANCE={"profile": "cn", "profiles": broken}),
        pytest.raises(ComplianceError, match="compliance profile 'cn': window_end must be a time"),
    ):
        active_profile()
    with pytest.raises(ComplianceError, match="unknown compliance profile 'eu'"):
        profile_named("eu")


def settings_profiles() -> dict[str, Any]:
    from django.conf import settings

    return dict(settings.QINGSHOU_COMPLIANCE["profiles"])


def test_c8_environment_variable_selects_the_profile() -> None:
    """C8: QINGSHOU_COMPLIANCE_PROFILE=us_reg_f makes Reg F the active profile (read when settings load)."""
    import os
    import subprocess
    import sys

    code = (
        "import django; django.setup();"
        "from qingshou.apps.contacts.profiles import active_profile; print(active_profile().name)"
    )
    env = {
        **os.environ,
        "QINGSHOU_COMPLIANCE_PROFILE": "us_reg_f",
        "DJANGO_SETTINGS_MODULE": "qingshou.settings",
    }
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "us_reg_f"
