"""Benchmark the compliance check (C8): ``engine.compliance.check_frame`` on a day's planned contacts,
against ``domain.compliance.check`` contact by contact.

    .venv/bin/python bench/bench_compliance.py --contacts 1000000 [--sample 20000] [--profile cn] [--json]

The planned contacts are synthetic (seeded): calls, SMS, e-mails, letters and visits to debtors, guarantors
and third parties in four time zones, at any minute of the day, with facts of every kind (daily counts, call
days over the past week, conversations, flags) — so every rule fires on some rows. The frames are built
before the clock starts; the figure is ``check_frame`` alone (join, local times, every rule, messages). The
domain then decides a random ``--sample`` of the same rows one by one. Target: ≥ 50,000 contacts/s.
No assertions: the figures go to docs/benchmarks.md with the exact command.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import polars as pl

from qingshou.domain.compliance import ContactAttempt, ContactFacts, check, default_profile
from qingshou.engine.compliance import ATTEMPTS, FACTS, check_frame

ZONES = ["Asia/Shanghai", "Asia/Urumqi", "America/Los_Angeles", ""]
CHANNELS = ["call", "call", "call", "sms", "sms", "email", "letter", "visit"]
PARTIES = ["debtor", "debtor", "debtor", "guarantor", "third_party"]


def frames(count: int, seed: int, default_zone: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``count`` planned contacts over the 24 hours from 16:00 UTC on 9 March (10 March in Beijing) and their
    facts for the contacted person's local day (2 % of them for the day before: refused as stale)."""
    rng = np.random.default_rng(seed)
    ids = np.arange(count)
    planned = datetime(2026, 3, 9, 16, 0, tzinfo=UTC)
    minutes = rng.integers(0, 24 * 60, count)
    attempts = pl.DataFrame(
        {
            "attempt_id": pl.Series(ids).cast(pl.String()),
            "borrower_id": pl.Series(ids // 2).cast(pl.String()),
            "loan_id": pl.Series(ids).cast(pl.String()),
            "party_id": ids,
            "channel": np.array(CHANNELS)[rng.integers(0, len(CHANNELS), count)],
            "party_kind": np.array(PARTIES)[rng.integers(0, len(PARTIES), count)],
            "address": "13800000000",
            "planned_at": pl.Series([planned]).extend_constant(planned, count - 1)
            + pl.Series(minutes * 60_000_000).cast(pl.Duration("us")),
            "time_zone": np.array(ZONES)[rng.integers(0, len(ZONES), count)],
            "mentions_debt": rng.random(count) < 0.8,
            "threatens_legal_action": rng.random(count) < 0.05,
            "collectors": rng.integers(1, 3, count),
        }
    ).cast(ATTEMPTS)  # type: ignore[arg-type]
    call_days = rng.integers(0, 9, count)
    offsets = pl.int_ranges(0, pl.Series(call_days), eager=True)
    talked = rng.integers(-10 * 24 * 60, 0, count)
    facts = pl.DataFrame(
        {
            "borrower_id": attempts["borrower_id"],
            "loan_id": attempts["loan_id"],
            "party_id": ids,
            "connected_calls_today": rng.integers(0, 5, count),
            "unanswered_attempts_on_number_today": rng.integers(0, 8, count),
            "debt_call_offsets": offsets,
            "last_conversation_at": attempts["planned_at"]
            + pl.Series(talked * 60_000_000).cast(pl.Duration("us")),
            "has_conversation": rng.random(count) < 0.3,
            **{
                name: rng.random(count) < share
                for name, share in (
                    ("quiet_hours_consent", 0.1),
                    ("do_not_contact", 0.02),
                    ("number_invalid", 0.03),
                    ("third_party_stop_requested", 0.1),
                    ("debtor_numbers_invalid", 0.05),
                    ("debtor_deceased_or_incapacitated", 0.01),
                    ("time_barred", 0.1),
                )
            },
            "debtor_consecutive_failures": rng.integers(0, 5, count),
        }
    )
    local_day = attempts.select(
        pl.coalesce(
            pl.when(pl.col("time_zone").replace("", default_zone) == zone).then(
                pl.col("planned_at").dt.convert_time_zone(zone).dt.date()
            )
            for zone in {*ZONES, default_zone} - {""}
        )
    ).to_series()
    stale = pl.Series(rng.random(count) < 0.02)
    local_day = (
        pl.select(pl.when(stale).then(local_day - timedelta(days=1)).otherwise(local_day))
    ).to_series()
    facts = facts.with_columns(
        day=local_day,
        debt_call_days=pl.col("debt_call_offsets").list.eval(pl.element() * -1).cast(pl.List(pl.Int32()))
        + local_day.cast(pl.Int32()),
        last_conversation_at=pl.when(pl.col("has_conversation")).then(pl.col("last_conversation_at")),
    ).with_columns(pl.col("debt_call_days").cast(pl.List(pl.Date())))
    return attempts, facts.select(pl.col(name).cast(dtype) for name, dtype in FACTS.items())


def domain_values(attempts: pl.DataFrame, facts: pl.DataFrame) -> list[tuple[ContactAttempt, ContactFacts]]:
    """The same rows as domain values (built before the domain's clock starts)."""
    values = []
    for a, f in zip(attempts.iter_rows(named=True), facts.iter_rows(named=True), strict=True):
        attempt = ContactAttempt(
            a["borrower_id"],
            a["loan_id"],
            a["channel"],
            a["party_kind"],
            a["address"],
            a["planned_at"],
            a["time_zone"],
            a["mentions_debt"],
            a["threatens_legal_action"],
            a["collectors"],
        )
        fields = {k: v for k, v in f.items() if k not in {"borrower_id", "loan_id", "party_id"}}
        fields["debt_call_days"] = tuple(fields["debt_call_days"])
        values.append((attempt, ContactFacts(**fields)))
    return values


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=20_000)
    parser.add_argument("--profile", default="cn", choices=["cn", "us_reg_f"])
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    profile = default_profile(args.profile)
    attempts, facts = frames(args.contacts, args.seed, profile.default_time_zone)
    started = time.perf_counter()
    decided = check_frame(attempts, facts, profile)
    engine_seconds = time.perf_counter() - started
    picks = sorted(random.Random(args.seed).sample(range(args.contacts), min(args.sample, args.contacts)))
    values = domain_values(attempts[picks], facts[picks])
    started = time.perf_counter()
    answers = [check(attempt, fact, profile) for attempt, fact in values]
    domain_seconds = time.perf_counter() - started
    sample = decided[picks]
    mismatches = sum(
        (row["outcome"], row["reason"], row["deferred_to"]) != (d.outcome.value, d.reason, d.deferred_to)
        for row, d in zip(sample.iter_rows(named=True), answers, strict=True)
    )
    result = {
        "profile": profile.name,
        "contacts": args.contacts,
        "engine_seconds": round(engine_seconds, 3),
        "engine_contacts_per_second": round(args.contacts / engine_seconds),
        "domain_sample": len(values),
        "domain_seconds": round(domain_seconds, 3),
        "domain_contacts_per_second": round(len(values) / domain_seconds),
        "sample_mismatches": mismatches,
        "outcomes": dict(decided.group_by("outcome").len().sort("outcome").iter_rows()),
        "reasons": dict(decided.group_by("reason").len().sort("len", descending=True).iter_rows()),
    }
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(
            f"check_frame: {args.contacts:,} contacts in {engine_seconds:.2f} s = "
            f"{result['engine_contacts_per_second']:,}/s ({profile.name})"
        )
        print(
            f"domain check: {len(values):,} contacts in {domain_seconds:.2f} s = "
            f"{result['domain_contacts_per_second']:,}/s; sample mismatches: {mismatches}"
        )
        print(f"outcomes: {result['outcomes']}")
        print(f"reasons: {result['reasons']}")
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
