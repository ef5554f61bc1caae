"""Benchmark what collection adds to EOD (issue 4: under 5 s for 1,000,000 delinquent loans) and the
compliance check's rate (≥ 50,000 planned contacts per second).

    .venv/bin/python bench/bench_collection.py [--loans 1000000] [--store] [--json]

The synthetic book of ``bench_strategy.synthetic_inputs`` (``--loans`` delinquent loans, 0.8 borrowers per
loan) goes through every collection step of EOD that does not read the book:

* compute (the ``plan collection`` step): the day's cases (``engine.cases.case_day``, every borrower new),
  the strategy's assignment and plan (``engine.strategy``, the packaged default strategy), the compliance
  check of every planned contact (``apps.cases.services.plan.decide`` → ``engine.compliance.check_frame``,
  profile ``cn``, one debtor party per borrower, facts of a quiet history) and the notices for the outbox
  (``notice_frame``);
* with ``--store``, the writes of the EOD transaction into a fresh SQLite file migrated by ``qingshou init``
  (``write_cases``, ``write_actions`` — the plan and the engine's contact attempts — and ``stage_outbox``);
  the borrowers, loans and parties those rows refer to are inserted first, untimed; then the next day, when
  every case stays open one day older (read the open cases and their last assignment, update them all).

Reading the cases, features, parties and contact facts from the store is not included (it is part of
EOD's read time and depends on the history a store holds). Prints seconds per part; no assertions — the
figures go to docs/benchmarks.md with the exact command.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import time as clock_time
from datetime import timedelta
from pathlib import Path
from typing import Any

import polars as pl

sys.path.insert(0, str(Path(__file__).parent))
from bench_strategy import AS_OF, synthetic_inputs


def frames(inputs: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """A snapshot-like frame, the open cases (none), the debtor parties and the facts for ``inputs``."""
    from qingshou.engine.compliance import FACTS

    snapshot = inputs.with_columns(
        pl.col("total_overdue_fen").alias("payoff_amount_fen"),
        (pl.col("total_overdue_fen") * 8 // 10).alias("overdue_principal_fen"),
        (pl.col("total_overdue_fen") // 10).alias("overdue_interest_fen"),
        (pl.col("total_overdue_fen") // 20).alias("penalty_interest_fen"),
        (pl.col("total_overdue_fen") - pl.col("total_overdue_fen") * 8 // 10 - pl.col("total_overdue_fen") // 10
         - pl.col("total_overdue_fen") // 20).alias("compound_interest_fen"),
    )  # fmt: skip
    borrowers = (
        snapshot.select("borrower_id").unique().sort("borrower_id").with_row_index("party_id", offset=1)
    )
    parties = borrowers.select(
        "borrower_id",
        pl.col("party_id").cast(pl.Int64),
        pl.lit("张三").alias("name"),
        ("1380" + pl.col("party_id").cast(pl.String).str.pad_start(7, "0")).alias("phone"),
        pl.lit("").alias("email"),
        pl.lit("北京市朝阳区建国路1号").alias("address"),
        pl.lit("").alias("time_zone"),
        pl.lit(False).alias("number_invalid"),
    )
    facts = snapshot.select("borrower_id", "loan_id").join(
        parties.select("borrower_id", "party_id"), on="borrower_id"
    )
    facts = facts.with_columns(
        pl.lit(AS_OF + timedelta(days=1)).alias("day"),  # the contact day
        *[
            pl.lit(None if dtype == pl.Datetime("us", "UTC") else 0 if dtype == pl.Int32 else False)
            .cast(dtype)
            .alias(name)
            for name, dtype in FACTS.items()
            if name not in ("borrower_id", "loan_id", "party_id", "day", "debt_call_days")
        ],
        pl.lit([], dtype=pl.List(pl.Date())).alias("debt_call_days"),
    ).select(FACTS.keys())
    return {"snapshot": snapshot, "parties": parties, "facts": facts}


def timed(results: dict[str, float], name: str, work: Any) -> Any:
    start = time.perf_counter()
    value = work()
    results[name] = time.perf_counter() - start
    return value


def compute(inputs: pl.DataFrame, made: dict[str, pl.DataFrame]) -> tuple[dict[str, float], dict[str, Any]]:
    from qingshou.apps.cases.services.plan import PlanFacts, decide, notice_frame
    from qingshou.apps.strategy.documents import default_text, parse_text
    from qingshou.domain.compliance import default_profile
    from qingshou.engine.cases import OPEN_CASES, case_day
    from qingshou.engine.strategy import assign, plan

    strategy, profile = parse_text(default_text()), default_profile("cn")
    seconds: dict[str, float] = {}
    no_cases = pl.DataFrame(schema=OPEN_CASES)
    day = timed(seconds, "cases", lambda: case_day(made["snapshot"], no_cases, AS_OF))
    assignments = timed(seconds, "assign", lambda: assign(inputs, strategy, AS_OF))
    actions = timed(seconds, "plan", lambda: plan(assignments, strategy, AS_OF))
    facts = PlanFacts(made["parties"], made["facts"], profile, clock_time(9))
    decided = timed(seconds, "compliance", lambda: decide(actions, facts, AS_OF))
    notices = timed(seconds, "notices", lambda: notice_frame(decided, made["snapshot"], made["parties"]))
    contacts = decided.filter(pl.col("action").is_in(["sms", "email", "letter", "call"])).height
    seconds["total"] = sum(seconds.values())
    return seconds, {
        "day": day,
        "assignments": assignments,
        "decided": decided,
        "notices": notices,
        "profile": profile,
        "contacts": contacts,
        "strategy": strategy,
    }


def complete(store: Any, table: str, frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with every other NOT NULL column of the SQLite ``table`` filled with a neutral value."""
    info = store.read(f"SELECT name, type, \"notnull\" AS required, pk FROM pragma_table_info('{table}')")
    fills = []
    for name, kind, required, key in info.iter_rows():
        if name in frame.columns or not required or key:
            continue
        kind = kind.lower()
        value: Any = (
            "{}" if "json" in kind or name == "extra" else 0 if ("int" in kind or "bool" in kind) else ""
        )
        if "decimal" in kind or "real" in kind:
            value = 0
        if "date" in kind:
            value = "2026-06-30" if kind == "date" else "2026-06-30 00:00:00"
        fills.append(pl.lit(value).alias(name))
    return frame.with_columns(fills) if fills else frame


def store_writes(made: dict[str, pl.DataFrame], done: dict[str, Any]) -> dict[str, float]:
    """Migrate a fresh SQLite file, insert the referenced rows (untimed), time the EOD writes."""
    folder = Path(tempfile.mkdtemp(prefix="bench-collection-"))
    os.environ["QINGSHOU_HOME"] = str(folder)
    os.environ.pop("QINGSHOU_DATABASE_URL", None)
    subprocess.run([str(Path(sys.executable).parent / "qingshou"), "init"], check=True, capture_output=True)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qingshou.settings")
    import django

    django.setup()
    from qingshou import config
    from qingshou.apps.cases.services.daily import (
        STORED_CASES,
        CaseWrite,
        Collection,
        write_actions,
        write_cases,
    )
    from qingshou.apps.notices.services.outbox import stage_outbox
    from qingshou.apps.strategy.selectors import SOURCE_DEFAULT, StrategyInForce
    from qingshou.store import Store

    snapshot = made["snapshot"]
    with Store(config.adbc_uri()) as store, store.transaction():
        product = pl.DataFrame({"product_id": ["CASH"], "name": ["bench"], "kind": ["consumer"]})
        store.append("qs_product", complete(store, "qs_product", product))
        people = made["parties"].select("borrower_id", "name", "phone")
        store.append("qs_borrower", complete(store, "qs_borrower", people))
        store.append("qs_loan", complete(store, "qs_loan", snapshot.select(
            "loan_id", "borrower_id", pl.lit("CASH").alias("product_id"), pl.lit(1_000_000).alias("principal_fen"),
            pl.lit("0.12").alias("annual_rate"), pl.lit(AS_OF).alias("disbursed_on"), pl.lit(12).alias("term_months"),
            pl.lit("equal_installment").alias("repayment_method"),
        )))  # fmt: skip
        store.append("qs_contact_party", made["parties"].select(
            pl.col("party_id").alias("id"), "borrower_id", pl.lit("debtor").alias("kind"), "name",
            pl.lit("").alias("relation"), "phone", "email", "address", "time_zone",
            *[pl.lit(False).alias(flag) for flag in ("quiet_hours_consent", "do_not_contact", "stop_requested",
                                                     "number_invalid", "deceased_or_incapacitated")],
            pl.lit("2026-06-30 00:00:00").alias("created_at"), pl.lit("2026-06-30 00:00:00").alias("updated_at"),
        ))  # fmt: skip
    in_force = StrategyInForce(done["strategy"], "", "", SOURCE_DEFAULT)
    state = Collection(
        open_cases=pl.DataFrame(schema=STORED_CASES), last_assigned=pl.DataFrame(schema={
            "case_id": pl.Int64(), "segment": pl.String(), "path": pl.String(), "arm": pl.String(),
            "strategy_version": pl.Int32(),
        }), features=pl.DataFrame(), in_force=in_force, parties=made["parties"],
        profile=done["profile"], held=pl.Series([], dtype=pl.String()),
    )  # fmt: skip
    state.day = done["day"]
    state.assignments = done["assignments"].with_columns(pl.lit(None, pl.Int32).alias("strategy_version"))
    state.plan = done["decided"]
    seconds: dict[str, float] = {}
    with Store(config.adbc_uri()) as store, store.transaction():
        state.day_cases = timed(
            seconds,
            "write cases",
            lambda: write_cases(
                store, AS_OF, CaseWrite(state.day, state.assignments, state.last_assigned, state.open_cases)
            ),
        )
        timed(seconds, "write actions", lambda: write_actions(store, AS_OF, state, snapshot))
        timed(seconds, "stage notices", lambda: stage_outbox(store, done["notices"]))
    seconds["total"] = sum(seconds.values())
    # The next day: every case stays open, one day older (the steady state of a collection book).
    from qingshou.apps.cases.services.daily import read_last_assignments, read_open_cases
    from qingshou.engine.cases import OPEN_CASES, case_day

    tomorrow = AS_OF + timedelta(days=1)
    older = snapshot.with_columns(pl.col("dpd") + 1)
    assignments = state.assignments.with_columns(pl.col("state_day") + 1)
    with Store(config.adbc_uri()) as store, store.transaction():
        start = time.perf_counter()
        stored = read_open_cases(store, tomorrow)
        next_day = case_day(older, stored.select(OPEN_CASES.keys()), tomorrow)
        last = read_last_assignments(store, tomorrow, stored)
        write_cases(store, tomorrow, CaseWrite(next_day, assignments, last, stored))
        seconds["next day: read + keep cases"] = time.perf_counter() - start
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loans", type=int, default=1_000_000)
    parser.add_argument("--store", action="store_true", help="also time the writes into a fresh SQLite store")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    inputs = synthetic_inputs(args.loans, 0.8)
    made = frames(inputs)
    seconds, done = compute(inputs, made)
    result: dict[str, Any] = {
        "loans": inputs.height,
        "borrowers": done["assignments"].height,
        "actions": done["decided"].height,
        "contacts_checked": done["contacts"],
        "notices": done["notices"].height,
        "compute_seconds": seconds,
        "contacts_per_second": done["contacts"] / seconds["compliance"] if seconds["compliance"] else None,
    }
    if args.store:
        result["store_seconds"] = store_writes(made, done)
    if args.json:
        print(json.dumps(result))
        return
    print(f"{result['loans']:,} delinquent loans, {result['borrowers']:,} borrowers → {result['actions']:,} actions"
          f" ({result['contacts_checked']:,} contacts checked, {result['notices']:,} notices)")  # fmt: skip
    print(
        "compute  "
        + "  ".join(f"{name} {value:.2f} s" for name, value in seconds.items())
        + "  (target < 5 s)"
    )
    print(f"compliance check: {result['contacts_per_second']:,.0f} planned contacts / s (target ≥ 50,000)")
    if args.store:
        store = result["store_seconds"]
        print("store    " + "  ".join(f"{name} {value:.2f} s" for name, value in store.items()))


if __name__ == "__main__":
    main()
