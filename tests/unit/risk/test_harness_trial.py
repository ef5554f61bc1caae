"""The simulation harness (``qingshou.risk.harness``, docs/trial.md) on small populations: the same seed gives
the same population and result; identical arms differ by exactly 0 thanks to common random numbers; more
capacity recovers more; the capacity is never exceeded (C8 caps through ``risk.optimise``); the candidates'
values and the JSON money are integers / decimal strings (C9). No database."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import polars as pl
import pytest

from qingshou.domain.strategy import Strategy, parse_strategy
from qingshou.risk.harness import (
    Arm,
    Population,
    TrialConfig,
    Uniforms,
    candidates_of,
    draw_population,
    run_arm,
    run_trial,
)
from qingshou.risk.optimise import Capacity, Caps

BORROWERS = 300
DAYS = 12


def _strategy(name: str, steps: list[dict[str, object]]) -> Strategy:
    return parse_strategy(
        {"name": name, "segments": [{"name": "all", "paths": [{"name": "p", "steps": steps}]}]}
    )


CALLS = _strategy(
    "calls",
    [
        {"day": 1, "every": 1, "action": "call", "queue": "q", "priority": 60},
        {"day": 1, "every": 7, "action": "sms", "template": "reminder", "priority": 40},
    ],
)
LETTERS = _strategy("letters", [{"day": 1, "every": 10, "action": "letter", "template": "demand"}])


@pytest.fixture(scope="module")
def population() -> Population:
    return draw_population(BORROWERS, seed=7)


def test_the_same_seed_draws_the_same_population() -> None:
    first, second = draw_population(120, seed=3), draw_population(120, seed=3)
    assert first.frame.equals(second.frame)
    assert not first.frame.equals(draw_population(120, seed=4).frame)


def test_the_population_is_delinquent_or_about_to_be(population: Population) -> None:
    """Every borrower owes something (fen, C9), dpd in the documented −29…180, ids unique and sorted."""
    frame = population.frame
    assert frame.height == BORROWERS
    assert frame["borrower_id"].is_unique().all()
    assert frame["borrower_id"].is_sorted()
    assert frame["idx"].to_list() == list(range(BORROWERS))
    assert frame["dpd"].to_numpy().min() >= -29
    assert frame["dpd"].to_numpy().max() <= 180
    assert (frame["overdue_fen"] > 0).all()
    assert (frame["overdue_fen"] <= frame["balance_fen"]).all()
    assert frame["overdue_fen"].dtype == pl.Int64
    # the selection leans to low willingness, as the book's delinquent borrowers do
    assert frame["willingness"].to_numpy().mean() < -0.2


def test_the_same_seed_gives_the_identical_result(population: Population) -> None:
    config = TrialConfig(days=DAYS, seed=5, capacity=Capacity(collector_minutes=300, sms=50))
    first = run_trial(population, Arm("A", CALLS), Arm("B", LETTERS), config)
    second = run_trial(population, Arm("A", CALLS), Arm("B", LETTERS), config)
    assert first == second
    assert first.a.borrowers.equals(second.a.borrowers)
    assert first.as_dict() == second.as_dict()
    other = run_trial(population, Arm("A", CALLS), Arm("B", LETTERS), TrialConfig(days=DAYS, seed=6))
    assert other.a.recovered_fen != first.a.recovered_fen


def test_identical_arms_differ_by_exactly_zero(population: Population) -> None:
    """Common random numbers: the same strategy and planner in both arms → every difference is 0 with a
    zero-width interval."""
    result = run_trial(population, Arm("A", CALLS), Arm("B", CALLS), TrialConfig(days=DAYS, seed=2))
    assert result.a.recovered_fen == result.b.recovered_fen > 0
    for name, interval in result.differences.items():
        assert (interval.estimate, interval.low, interval.high) == (0.0, 0.0, 0.0), name


def test_more_capacity_recovers_more(population: Population) -> None:
    """The same strategy with no capacity against unlimited capacity, same draws: more contacts, more
    recovered and more cures; the paired interval of the recovered difference lies above 0."""
    none = TrialConfig(days=DAYS, seed=1, capacity=Capacity(collector_minutes=0, sms=0))
    full = TrialConfig(days=DAYS, seed=1, capacity=Capacity())
    uniforms = Uniforms.draw(1, DAYS, population.size)
    starved = run_arm(population, Arm("A", CALLS), none, uniforms)
    fed = run_arm(population, Arm("B", CALLS), full, uniforms)
    assert starved.actions["call"] == 0
    assert fed.actions["call"] > 0
    assert fed.recovered_fen > starved.recovered_fen
    assert fed.cures >= starved.cures
    # pathwise too on this population: nobody recovers less with more contact over these days
    assert (fed.borrowers["recovered_fen"] >= starved.borrowers["recovered_fen"]).all()


def test_the_daily_capacity_is_never_exceeded(population: Population) -> None:
    """120 minutes = 20 calls of 6 minutes a day, 10 SMS a day, whichever planner; the per-borrower caps
    (C8: at most 3 call tasks, one SMS a day) hold because the strategy plans one of each."""
    config = TrialConfig(days=DAYS, seed=4, capacity=Capacity(collector_minutes=120, sms=10), caps=Caps())
    result = run_trial(population, Arm("A", CALLS), Arm("B", CALLS, "optimised"), config)
    for arm in (result.a, result.b):
        assert arm.actions["call"] <= 20 * DAYS
        assert arm.actions["sms"] <= 10 * DAYS
        assert arm.planned["call"] >= arm.actions["call"]
    assert result.a.actions["call"] == 20 * DAYS  # the plain strategy fills the desk every day


def test_the_optimised_arm_spends_no_more_than_the_plain_one(population: Population) -> None:
    """The optimiser never takes a candidate whose expected value is below its cost; the plain strategy
    does, so on this population B spends less than A (B's later days may hold more borrowers, so this is a
    property of the case, not a theorem)."""
    config = TrialConfig(days=DAYS, seed=4, capacity=Capacity(collector_minutes=600, sms=100))
    result = run_trial(population, Arm("A", CALLS), Arm("B", CALLS, "optimised"), config)
    assert result.b.cost_fen <= result.a.cost_fen
    assert result.differences["cost_fen"].estimate == result.b.cost_fen - result.a.cost_fen


def test_cumulative_recovery_is_monotone_and_ends_at_the_total(population: Population) -> None:
    result = run_trial(population, Arm("A", CALLS), Arm("B", LETTERS), TrialConfig(days=DAYS, seed=3))
    for arm in (result.a, result.b):
        assert len(arm.cumulative_fen) == DAYS
        assert list(arm.cumulative_fen) == sorted(arm.cumulative_fen)
        assert arm.cumulative_fen[-1] == arm.recovered_fen == arm.borrowers["recovered_fen"].sum()
        assert arm.cures == arm.borrowers["cured"].sum()


def test_candidates_are_integer_fen_and_unreachable_borrowers_get_no_lift(population: Population) -> None:
    """Value and cost in integer fen (C9); a call to a borrower who cannot be reached lifts nothing and so
    is worth nothing."""
    from datetime import timedelta

    from qingshou.engine.strategy import assign, plan
    from qingshou.risk.harness import _grades, _inputs, _State

    count = population.size
    state = _State(
        overdue=population.frame["overdue_fen"].to_numpy().copy(),
        active=np.ones(count, dtype=bool),
        lift=np.zeros(count),
        recovered=np.zeros(count, dtype=np.int64),
        cost=np.zeros(count, dtype=np.int64),
        cure_day=np.zeros(count, dtype=np.int64),
    )
    as_of = population.as_of + timedelta(days=1)
    inputs = _inputs(population, _grades(200), state, 0, as_of)
    actions = plan(assign(inputs, CALLS, as_of), CALLS, as_of)
    candidates = candidates_of(actions, population, state, 0, TrialConfig())
    assert candidates["value_fen"].dtype == pl.Int64
    assert candidates["cost_fen"].dtype == pl.Int64
    assert (candidates["value_fen"] >= 0).all()
    calls = candidates.filter(pl.col("channel") == "call").join(
        population.frame.select(pl.col("idx").alias("borrower_id"), "contactable"), on="borrower_id"
    )
    assert calls.filter(~pl.col("contactable"))["value_fen"].max() == 0
    assert calls.filter(pl.col("contactable"))["value_fen"].to_numpy().max() > 0
    assert set(calls["minutes"].to_list()) == {6}


def test_json_money_is_decimal_strings(population: Population) -> None:
    """C9: money in JSON as decimal yuan strings that add up (net = recovered − cost)."""
    data = run_trial(population, Arm("A", CALLS), Arm("B", LETTERS), TrialConfig(days=5, seed=1)).as_dict()
    for arm in data["arms"]:  # type: ignore[attr-defined]
        assert Decimal(arm["net"]) == Decimal(arm["recovered"]) - Decimal(arm["cost"])
    net = data["difference"]["net_fen"]  # type: ignore[index]
    assert Decimal(net["low"]) <= Decimal(net["net"]) <= Decimal(net["high"])


def test_days_without_any_delinquent_borrower_plan_nothing(population: Population) -> None:
    """Borrowers who fall delinquent only after the trial: no actions, nothing recovered, no error."""
    later = Population(
        population.frame.head(5).with_columns(pl.lit(-30, dtype=pl.Int32).alias("dpd")),
        population.as_of,
        population.seed,
    )
    result = run_trial(later, Arm("A", CALLS), Arm("B", CALLS, "optimised"), TrialConfig(days=5, seed=1))
    assert result.a.recovered_fen == result.b.recovered_fen == 0
    assert sum(result.a.planned.values()) == sum(result.b.actions.values()) == 0
    assert result.a.cumulative_fen == (0, 0, 0, 0, 0)
