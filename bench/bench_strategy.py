"""Benchmark strategy assignment and the day's action plan (issue 4: under 5 s added to EOD at 1M loans).

    .venv/bin/python bench/bench_strategy.py [--loans 1000000] [--borrowers-per-loan 0.8] [--repeat 3] [--json]

A synthetic STRATEGY_INPUT frame of ``--loans`` **delinquent** loans (numpy, seeded: dpd 1–400, amounts,
products, scores, incomes, regions, a share of borrowers with two or three loans) goes through
``engine.strategy.assign`` then ``plan`` with the packaged default strategy (5 segments, one
champion/challenger split, repeating call steps). Prints the seconds of each part (best and median of
``--repeat`` runs), the rows produced, and the arm split of the champion/challenger segment.
No assertions: the figures go to docs/benchmarks.md with the exact command.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from datetime import date, timedelta
from typing import Any

import numpy as np
import polars as pl

from qingshou.apps.strategy.documents import default_text, parse_text
from qingshou.engine.strategy import STRATEGY_INPUT, assign, plan

AS_OF = date(2026, 6, 30)


def synthetic_inputs(loans: int, borrowers_per_loan: float, seed: int = 7) -> pl.DataFrame:
    """``loans`` delinquent loans of about ``loans × borrowers_per_loan`` borrowers (STRATEGY_INPUT)."""
    rng = np.random.default_rng(seed)
    borrowers = max(1, int(loans * borrowers_per_loan))
    borrower = np.concatenate([np.arange(borrowers), rng.integers(0, borrowers, loans - borrowers)])
    dpd = rng.integers(1, 401, loans).astype(np.int32)
    overdue = rng.integers(10_000, 8_000_000, loans)
    bucket = np.minimum((dpd - 1) // 30 + 1, 7)
    frame = pl.DataFrame(
        {
            "as_of": pl.Series([AS_OF] * loans, dtype=pl.Date),
            "loan_id": pl.Series(np.arange(loans))
            .cast(pl.String)
            .str.pad_start(9, "0")
            .str.replace(r"^", "L"),
            "borrower_id": pl.Series(borrower).cast(pl.String).str.pad_start(8, "0").str.replace(r"^", "B"),
            "product_id": pl.Series(rng.choice(["CASH", "CARD", "AUTO"], loans)),
            "dpd": dpd,
            "delinquent": np.ones(loans, dtype=bool),
            "bucket": pl.Series(bucket).cast(pl.String).str.replace(r"^", "M").str.replace("M7", "M7+"),
            "classification": pl.Series(
                rng.choice(["special_mention", "substandard", "doubtful", "loss"], loans)
            ),
            "total_overdue_fen": overdue,
            "outstanding_principal_fen": overdue * 3,
            "limitation_expires_on": pl.Series([AS_OF + timedelta(days=900)] * loans, dtype=pl.Date),
            "next_due_on": pl.Series([AS_OF + timedelta(days=10)] * loans, dtype=pl.Date),
            "installment_fen": rng.integers(50_000, 500_000, loans),
            "credit_score": pl.Series(rng.integers(350, 900, loans)).cast(pl.Int32),
            "monthly_income_fen": rng.integers(200_000, 3_000_000, loans),
            "region": pl.Series(rng.choice(["110000", "310000", "440300", "510100"], loans)),
            "contactable": rng.random(loans) > 0.1,
            "broken_promises": rng.integers(0, 3, loans).astype(np.int32),
        }
    )
    aggregates = frame.group_by("borrower_id").agg(
        pl.col("dpd").max().alias("borrower_worst_dpd"),
        pl.col("total_overdue_fen").sum().alias("borrower_total_overdue_fen"),
        pl.len().cast(pl.Int32).alias("borrower_overdue_loans"),
    )
    joined = frame.join(aggregates, on="borrower_id", how="left")
    return joined.select([pl.col(name).cast(dtype) for name, dtype in STRATEGY_INPUT.items()])


def measure(inputs: pl.DataFrame, repeat: int) -> dict[str, Any]:
    strategy = parse_text(default_text())
    assign_times, plan_times = [], []
    assignments = actions = pl.DataFrame()
    for _ in range(repeat):
        start = time.perf_counter()
        assignments = assign(inputs, strategy, AS_OF)
        middle = time.perf_counter()
        actions = plan(assignments, strategy, AS_OF)
        assign_times.append(middle - start)
        plan_times.append(time.perf_counter() - middle)
    totals = [a + p for a, p in zip(assign_times, plan_times, strict=True)]
    split = assignments.filter(pl.col("segment") == "self_cure").group_by("arm").len().sort("arm").rows()
    return {
        "loans": inputs.height,
        "borrowers": assignments.height,
        "actions": actions.height,
        "assign_seconds_best": min(assign_times),
        "plan_seconds_best": min(plan_times),
        "total_seconds_best": min(totals),
        "total_seconds_median": statistics.median(totals),
        "self_cure_arms": dict(split),
        "segments": dict(assignments.group_by("segment").len().sort("segment").rows()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loans", type=int, default=1_000_000)
    parser.add_argument("--borrowers-per-loan", type=float, default=0.8)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    start = time.perf_counter()
    inputs = synthetic_inputs(args.loans, args.borrowers_per_loan)
    built = time.perf_counter() - start
    result = {"build_inputs_seconds": built, **measure(inputs, args.repeat)}
    if args.json:
        print(json.dumps(result))
        return
    print(f"synthetic input: {result['loans']:,} delinquent loans built in {built:.2f} s")
    print(f"assign: {result['assign_seconds_best']:.2f} s  plan: {result['plan_seconds_best']:.2f} s")
    print(
        f"assign + plan: best {result['total_seconds_best']:.2f} s, median {result['total_seconds_median']:.2f} s"
        f" (target < 5 s) for {result['borrowers']:,} borrowers → {result['actions']:,} actions"
    )
    print(f"segments: {result['segments']}")
    print(f"self_cure arms (80 / 20 %): {result['self_cure_arms']}")


if __name__ == "__main__":
    main()
