"""``engine.compliance.check_frame`` against ``domain.compliance.check`` (C8): random contacts and facts in
several time zones (across DST changes) under both profiles and one with every rule on — the same outcome,
reason and deferred moment for every row; and the frame-only refusals (missing facts, invalid rows)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qingshou.domain.compliance import (
    DEFAULT_PROFILES,
    ComplianceError,
    ComplianceProfile,
    ContactAttempt,
    ContactFacts,
    Decision,
    check,
    default_profile,
)
from qingshou.engine.compliance import ATTEMPTS, DECISIONS, FACTS, check_frame

EVERY_RULE = ComplianceProfile.build(
    "every_rule",
    {
        **DEFAULT_PROFILES["cn"],
        "window_start": "09:30",
        "window_end": "20:15",
        "calls_per_debt_in_7_days": 3,
        "silence_days_after_conversation": 2,
        "unreachable_after_failures": 2,
    },
)
PROFILES = (default_profile("cn"), default_profile("us_reg_f"), EVERY_RULE)
ZONES = ("Asia/Shanghai", "America/Los_Angeles", "America/New_York", "Europe/London", "")
#: Stretches around DST changes (US 8 Mar / 1 Nov 2026, UK 29 Mar / 25 Oct 2026) and an ordinary week.
STARTS = (
    datetime(2026, 3, 5, tzinfo=UTC),
    datetime(2026, 10, 22, tzinfo=UTC),
    datetime(2026, 6, 1, tzinfo=UTC),
)
PARITY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def contacts(draw: st.DrawFn, profile: ComplianceProfile) -> tuple[ContactAttempt, ContactFacts]:
    """One attempt and its facts; the facts' day is the attempt's local day, sometimes a day off."""
    start = draw(st.sampled_from(STARTS))
    moment = start + timedelta(minutes=draw(st.integers(0, 14 * 24 * 60)))
    tz = draw(st.sampled_from(ZONES))
    attempt = ContactAttempt(
        "B1",
        "L1",
        draw(st.sampled_from(["call", "sms", "email", "letter", "visit"])),  # type: ignore[arg-type]
        draw(st.sampled_from(["debtor", "guarantor", "third_party"])),  # type: ignore[arg-type]
        "13800000000",
        moment,
        tz,
        draw(st.booleans()),
        draw(st.booleans()),
        draw(st.integers(0, 3)),
    )
    day = moment.astimezone(profile.local_zone(tz)).date()
    offsets = draw(st.lists(st.integers(-9, 1), max_size=10))
    talked = draw(st.none() | st.integers(-10 * 24 * 60, 60))
    facts = ContactFacts(
        day + timedelta(days=draw(st.sampled_from([0, 0, 0, 0, 0, 1, -1]))),
        draw(st.integers(0, 5)),
        draw(st.integers(0, 8)),
        tuple(day + timedelta(days=offset) for offset in offsets),
        None if talked is None else moment + timedelta(minutes=talked),
        *(draw(st.booleans()) for _ in range(4)),
        draw(st.integers(0, 4)),
        *(draw(st.booleans()) for _ in range(3)),
    )
    return attempt, facts


def frames(rows: list[tuple[ContactAttempt, ContactFacts]]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The domain values as the engine's input frames (one party id per row, so the facts are unique)."""
    attempts: list[dict[str, Any]] = []
    facts: list[dict[str, Any]] = []
    for index, (attempt, fact) in enumerate(rows):
        attempts.append(
            {
                "attempt_id": f"A{index}",
                "borrower_id": attempt.borrower_id,
                "loan_id": attempt.loan_id,
                "party_id": index,
                "channel": attempt.channel.value,
                "party_kind": attempt.party.value,
                "address": attempt.address,
                "planned_at": attempt.at,
                "time_zone": attempt.time_zone,
                "mentions_debt": attempt.mentions_debt,
                "threatens_legal_action": attempt.threatens_legal_action,
                "collectors": attempt.collectors,
            }
        )
        facts.append(
            {
                **asdict(fact),
                "debt_call_days": list(fact.debt_call_days),
                "borrower_id": attempt.borrower_id,
                "loan_id": attempt.loan_id,
                "party_id": index,
            }
        )
    return pl.DataFrame(attempts, schema=ATTEMPTS), pl.DataFrame(facts, schema=FACTS)


def engine_decisions(frame: pl.DataFrame) -> list[Decision]:
    return [
        Decision(row["outcome"], row["reason"], row["deferred_to"])
        for row in frame.select("outcome", "reason", "deferred_to").iter_rows(named=True)
    ]


@PARITY
@given(data=st.data(), which=st.integers(0, len(PROFILES) - 1))
def test_c8_check_frame_equals_the_domain_check_for_every_row(data: st.DataObject, which: int) -> None:
    """C8: every rule, both profiles and a profile with every rule on: the frame's outcome, reason and
    deferred moment equal ``domain.compliance.check`` row by row."""
    profile = PROFILES[which]
    rows = data.draw(st.lists(contacts(profile), min_size=1, max_size=25))
    attempts, facts = frames(rows)
    decided = check_frame(attempts, facts.sample(fraction=1.0, shuffle=True, seed=1), profile)
    assert decided.schema == pl.Schema(DECISIONS)
    assert decided["attempt_id"].to_list() == attempts["attempt_id"].to_list()
    expected = [check(attempt, fact, profile) for attempt, fact in rows]
    assert engine_decisions(decided) == expected


def test_c8_check_frame_sms_at_22_30_deferred_and_messages_in_both_languages() -> None:
    """C8 cn: an SMS planned at 22:30 Beijing goes at 08:00 the next day; the row carries the messages."""
    attempt = ContactAttempt(
        "B1",
        "L1",
        "sms",
        "debtor",
        "138",
        datetime(2026, 3, 10, 14, 30, tzinfo=UTC),  # type: ignore[arg-type]
    )
    attempts, facts = frames([(attempt, ContactFacts(date(2026, 3, 10)))])
    [row] = check_frame(attempts, facts, default_profile()).iter_rows(named=True)
    assert (row["outcome"], row["reason"]) == ("defer", "quiet_hours")
    assert row["deferred_to"] == datetime(2026, 3, 11, 0, 0, tzinfo=UTC)
    assert row["message_zh"].startswith("债务人当地时间")
    assert row["message_en"].startswith("outside the allowed hours")


def test_c8_check_frame_refuses_rows_without_facts_and_invalid_rows() -> None:
    """C8: the check never silently passes — no facts row → ``missing_facts``; an unknown channel, time
    zone or a missing moment → ``invalid_attempt``; every row stays in the answer."""
    attempt = ContactAttempt(
        "B1",
        "L1",
        "call",
        "debtor",
        "138",
        datetime(2026, 3, 10, 2, 0, tzinfo=UTC),  # type: ignore[arg-type]
    )
    attempts, facts = frames([(attempt, ContactFacts(date(2026, 3, 10)))] * 4)
    attempts = attempts.with_columns(
        channel=pl.Series(["call", "fax", "call", "call"]),
        time_zone=pl.Series(["", "", "Nowhere/Town", ""]),
        planned_at=pl.when(pl.col("attempt_id") == "A3").then(None).otherwise(pl.col("planned_at")),
    )
    facts = facts.filter(pl.col("party_id") != 0)
    decided = check_frame(attempts, facts, default_profile())
    assert decided["reason"].to_list() == [
        "missing_facts",
        "invalid_attempt",
        "invalid_attempt",
        "invalid_attempt",
    ]
    assert set(decided["outcome"]) == {"refuse"}
    assert decided["deferred_to"].is_null().all()


def test_c8_check_frame_rejects_duplicate_facts_and_missing_columns() -> None:
    """C8: two facts rows for one (borrower, loan, party) or a missing column is an error naming it."""
    attempt = ContactAttempt(
        "B1",
        "L1",
        "call",
        "debtor",
        "138",
        datetime(2026, 3, 10, 2, 0, tzinfo=UTC),  # type: ignore[arg-type]
    )
    attempts, facts = frames([(attempt, ContactFacts(date(2026, 3, 10)))])
    with pytest.raises(ComplianceError, match="more than one row for borrower B1, loan L1, party 0"):
        check_frame(attempts, pl.concat([facts, facts]), default_profile())
    with pytest.raises(ComplianceError, match="missing columns \\['time_barred'\\]"):
        check_frame(attempts, facts.drop("time_barred"), default_profile())
