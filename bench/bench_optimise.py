"""Benchmark the daily plan's optimiser (issue 8: 100,000 candidates within the time limit, with a reported gap).

    .venv/bin/python bench/bench_optimise.py [--candidates 100000] [--seed 1] [--time-limit 10] [--json]

A synthetic day: candidates of every channel (40 % calls of 4–10 minutes, 5 % visits of 240 minutes, SMS,
e-mails, letters, agency placements) for ``candidates / 2.5`` borrowers, values up to 10 % of an overdue
amount of 100–50,000 yuan, the report's unit costs, random priorities; capacity 50 collectors × 420 minutes,
a fifth of the candidates in SMS, 1 % letters, 20 visits, 0.5 % agency slots. Runs ``greedy`` and ``optimise``
(one worker) and prints seconds, nets, the status, the gap and the presolve counts; checks both plans against
the capacity and the caps (``check_plan``). No assertions on time — the figures go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import random
import time

import polars as pl

from qingshou.risk.optimise import CANDIDATE_SCHEMA, CHANNELS, Capacity, check_plan, greedy, optimise

COSTS = {"sms": 5, "email": 1, "letter": 500, "call": 300, "field_visit": 10_000, "agency_placement": 0}
EFFECT = {
    "sms": 0.02,
    "email": 0.01,
    "letter": 0.03,
    "call": 0.08,
    "field_visit": 0.2,
    "agency_placement": 0.15,
}
WEIGHTS = (30, 15, 5, 40, 5, 5)


def synthetic_day(n: int, seed: int) -> tuple[pl.DataFrame, Capacity]:
    rng = random.Random(seed)
    rows = []
    for cid in range(n):
        channel = rng.choices(CHANNELS, WEIGHTS)[0]
        overdue = rng.randrange(10_000, 5_000_000)
        minutes = {"call": rng.choice((4, 6, 8, 10)), "field_visit": 240}.get(channel, 0)
        value = int(EFFECT[channel] * rng.random() * overdue)
        rows.append(
            (
                cid,
                rng.randrange(int(n / 2.5) + 1),
                channel,
                value,
                COSTS[channel],
                minutes,
                rng.randrange(101),
            )
        )
    frame = pl.DataFrame(rows, schema=dict(CANDIDATE_SCHEMA), orient="row")
    capacity = Capacity(
        collector_minutes=50 * 420, sms=n // 5, letters=n // 100, field_visits=20, agency_slots=n // 200
    )
    return frame, capacity


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    frame, capacity = synthetic_day(args.candidates, args.seed)
    started = time.perf_counter()
    by_greedy = greedy(frame, capacity)
    greedy_s = time.perf_counter() - started
    started = time.perf_counter()
    plan = optimise(frame, capacity, time_limit_s=args.time_limit, seed=0)
    optimise_s = time.perf_counter() - started
    result = {
        "candidates": args.candidates,
        "greedy_seconds": round(greedy_s, 3),
        "optimise_seconds": round(optimise_s, 3),
        "greedy_net_fen": by_greedy.net_fen,
        "optimised_net_fen": plan.net_fen,
        "bound_fen": plan.bound_fen,
        "gap_ppm": plan.gap_ppm,
        "status": plan.status,
        "presolved": dict(plan.presolved),
        "violations": check_plan(frame, plan, capacity) + check_plan(frame, by_greedy, capacity),
    }
    if args.json:
        print(json.dumps(result))
        return
    for key, value in result.items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    main()
