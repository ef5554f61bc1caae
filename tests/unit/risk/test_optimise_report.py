"""The report's plan-vs-strategy table (analytics.ops_plan) from hand-built plan runs, and the recommendation it
feeds (``optimised_plan_gain``): per day and in total, the gain = optimised net − strategy net; an empty month
gives the empty table and a note; the rule fires only above its threshold, with its figures as evidence."""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl
import pytest

from qingshou.analytics.contract import Table, check_table
from qingshou.analytics.ops_plan import KEY, NO_RUNS_NOTE, RUNS_SCHEMA, compute
from qingshou.analytics.recommend import recommend
from report_support import hand_month


def run(
    day: date, method: str, chosen: int, value: int, cost: int, bound: int | None = None
) -> dict[str, Any]:
    net = value - cost
    return {
        "day": day,
        "method": method,
        "candidates": 10,
        "chosen": chosen,
        "value_fen": value,
        "cost_fen": cost,
        "net_fen": net,
        "bound_fen": net if bound is None else bound,
    }


def runs(*rows: dict[str, Any]) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=RUNS_SCHEMA)


D1, D2, D3 = date(2026, 6, 1), date(2026, 6, 2), date(2026, 6, 3)


def test_days_and_total() -> None:
    metrics = compute(
        runs(
            run(D2, "greedy", 5, 10_000, 2_000),
            run(D2, "optimised", 4, 11_000, 1_000, bound=10_500),
            run(D1, "greedy", 3, 5_000, 1_000),
            run(D1, "optimised", 3, 5_000, 1_000),
            run(D3, "greedy", 3, 5_000, 1_000),  # no optimised run: left out
        )
    )
    table = metrics.tables[KEY]
    check_table(table)
    rows = table.frame.to_dicts()
    assert [row["day"] for row in rows] == ["2026-06-01", "2026-06-02", "total"]
    assert [row["gain_fen"] for row in rows] == [0, 2_000, 2_000]
    assert rows[1]["strategy_net_fen"] == 8_000
    assert rows[1]["optimised_net_fen"] == 10_000
    assert rows[1]["gain_ratio"] == pytest.approx(0.25)
    assert rows[1]["gap"] == pytest.approx(500 / 10_500)
    assert rows[0]["gap"] == 0.0
    total = rows[2]
    assert (total["candidates"], total["strategy_actions"], total["optimised_actions"]) == (20, 8, 7)
    assert (total["strategy_value_fen"], total["optimised_cost_fen"]) == (15_000, 2_000)
    assert total["gain_ratio"] == pytest.approx(2_000 / 12_000)
    assert metrics.notes == ()


def test_empty_month_gives_empty_table_and_note() -> None:
    metrics = compute(runs())
    table = metrics.tables[KEY]
    check_table(table)
    assert table.frame.height == 0
    assert metrics.notes == (NO_RUNS_NOTE,)


def test_gain_ratio_null_when_strategy_net_not_positive() -> None:
    table = compute(runs(run(D1, "greedy", 2, 100, 300), run(D1, "optimised", 0, 0, 0))).tables[KEY]
    check_table(table)
    assert table.frame["gain_ratio"].to_list() == [None, None]
    assert table.frame["gain_fen"].to_list() == [200, 200]


def plan_table(strategy_net: int, optimised_net: int) -> list[dict[str, Any]]:
    frame = (
        compute(runs(run(D1, "greedy", 5, strategy_net, 0), run(D1, "optimised", 5, optimised_net, 0)))
        .tables[KEY]
        .frame
    )
    return frame.to_dicts()


def test_recommendation_fires_above_threshold_with_evidence() -> None:
    month = hand_month(plan_vs_strategy=plan_table(100_000, 110_000))
    found = [r for r in recommend(month) if r.key == "optimised_plan_gain"]
    assert len(found) == 1
    assert "100.00" in found[0].en  # the gain, 1,000 fen → 100.00 yuan
    assert {figure.table for figure in found[0].evidence} == {"plan_vs_strategy"}
    assert [figure.value for figure in found[0].evidence][:2] == [10_000, 100_000]


def test_recommendation_silent_below_threshold_or_without_runs() -> None:
    just_below = hand_month(plan_vs_strategy=plan_table(100_000, 104_999))
    assert not [r for r in recommend(just_below) if r.key == "optimised_plan_gain"]
    assert not [r for r in recommend(hand_month()) if r.key == "optimised_plan_gain"]


def test_table_type_is_checked() -> None:
    bad = Table(KEY, pl.DataFrame({"day": [1]}))
    with pytest.raises(ValueError, match="plan_vs_strategy"):
        check_table(bad)
