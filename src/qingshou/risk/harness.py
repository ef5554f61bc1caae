"""Harness: the simulator's delinquent borrowers replayed against two strategies with the same capacity
(issue 8, docs/trial.md).

* **Population** (``draw_population``): ``oversample × N`` borrowers drawn by the simulator
  (``qingshou.simulate.people.draw_borrower``: latent willingness, income, credit score, city), of which N
  are chosen without replacement with weights = the simulator's lifetime default probability at a typical
  payment burden (``default_probability(w, 0.35, 0)``), so the delinquent population leans to low
  willingness as the book's does. Each gets one loan drawn by the simulator (``draw_loan``: product, size,
  schedule built by the domain), a days-past-due on the day before the trial (25 % −29…0: they fall
  delinquent during the trial, on day 1 − dpd; 35 % 1–30, 25 % 31–90, 15 % 91–180), an overdue amount
  (⌈max(dpd, 1) / 30⌉ installments, at most the whole schedule) and whether they can be reached
  (P = logistic(2.2 + 0.5 w)). A seed gives the same population.
* **Each simulated day** (``run_arm``): the borrowers still delinquent get a STRATEGY_INPUT row (their dpd
  grows by one a day; bucket and classification from their product's policy; one more installment falls
  overdue every 30 days), the engine's ``assign`` and ``plan`` give the strategy's actions, the actions
  become candidates (``qingshou.risk.optimise``: value = the expected *extra* recovery of the action —
  (P(pay | action) − P(pay | no action)) × the expected payment, with the willingness the bank can estimate
  from the credit score; cost = the unit cost; minutes for calls), and the arm's planner picks within the
  day's capacity: ``greedy`` (the plain strategy: priority order) or ``optimise`` (maximum expected net).
  Legal reviews are proposals for a person and are carried out without capacity at no cost. The response
  model (``qingshou.risk.response``) then decides who pays, with **common random numbers**: the same
  uniforms per borrower-day in both arms.
* **Result** per arm: recovered, cost, net (fen), cures, actions by channel, cumulative recovery by day;
  the difference B − A per borrower is paired, so its 95 % interval is
  ``evaluation.paired_difference`` (Student t over the N per-borrower differences) scaled to the total.

The same seed, population and strategies give the identical result.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Final, Literal

import numpy as np
import polars as pl

from qingshou.domain.classification import dpd_floor
from qingshou.domain.strategy import Action, Strategy
from qingshou.engine.strategy import assign, plan
from qingshou.risk.evaluation import Interval, paired_difference, wilson
from qingshou.risk.optimise import Capacity, Caps, Plan, greedy, optimise
from qingshou.risk.response import NEEDS_CONTACT, ResponseModel
from qingshou.simulate.behaviour import default_probability
from qingshou.simulate.book import borrower_id_of, draw_loan, loan_id_of
from qingshou.simulate.catalogue import PRODUCTS
from qingshou.simulate.people import draw_borrower

#: The day before the first simulated day when none is given (the population is drawn as of then).
DEFAULT_START: Final = date(2026, 7, 1)
#: Days in one installment period: another installment falls overdue every this many days of dpd.
PERIOD_DAYS: Final = 30
#: Posterior mean of the willingness given the credit score (score = 650 + 85 w + N(0, 35²), w ~ N(0, 1)):
#: E[w | s] = 85 (s − 650) / (85² + 35²) — what the bank can know of a borrower's willingness.
_SCORE_CENTRE: Final = 650
_SCORE_SLOPE: Final = 85 / (85**2 + 35**2)
_DPD_MIX: Final = ((0.25, -29, 0), (0.35, 1, 30), (0.25, 31, 90), (0.15, 91, 180))
_PRODUCT_INDEX: Final = {spec.product_id: index for index, spec in enumerate(PRODUCTS)}
_CHANNELS: Final = tuple(action.value for action in Action)

Method = Literal["greedy", "optimised"]


@dataclass(frozen=True, slots=True)
class ActionCosts:
    """Unit cost of an action in fen (the defaults of ``analytics.ops_frames.OpsSettings``: an SMS 0.05
    yuan, an e-mail 0.01, a letter 5.00, a call's staff time 3.00, a field visit 100.00) and the collector
    minutes a call takes. Agency placements and legal reviews cost nothing here (an agency is paid by
    commission, which this harness does not model)."""

    sms: int = 5
    email: int = 1
    letter: int = 500
    call: int = 300
    field_visit: int = 10_000
    agency_placement: int = 0
    legal_review: int = 0
    call_minutes: int = 6
    visit_minutes: int = 0

    def cost_of(self, action: str) -> int:
        """The unit cost of ``action`` in fen."""
        value: int = getattr(self, Action(action).value)
        return value


@dataclass(frozen=True, slots=True)
class Population:
    """The trial's delinquent borrowers, one row each (``frame``; index ``idx`` 0..N−1, sorted by
    borrower_id): ids, product, region, credit score, income and installment (fen), outstanding principal,
    the schedule's total (``balance_fen``: the most that can fall overdue), overdue amount and dpd on the
    day before the trial, whether they can be reached and their latent willingness. ``as_of`` is that day."""

    frame: pl.DataFrame
    as_of: date
    seed: int

    @property
    def size(self) -> int:
        """The number of borrowers."""
        return self.frame.height


@dataclass(frozen=True, slots=True)
class Arm:
    """One arm of a trial: a name, the strategy and the planner that fits its actions into the capacity."""

    name: str
    strategy: Strategy
    method: Method = "greedy"


@dataclass(frozen=True, slots=True)
class TrialConfig:
    """How a trial runs: days, the daily capacity and caps, costs, the response model, the random seed
    (the uniforms of the responses) and the optimiser's time limit per day."""

    days: int = 60
    seed: int = 1
    capacity: Capacity = field(
        default_factory=lambda: Capacity(collector_minutes=2400, sms=1000, field_visits=5)
    )
    caps: Caps = field(default_factory=Caps)
    costs: ActionCosts = field(default_factory=ActionCosts)
    response: ResponseModel = field(default_factory=ResponseModel)
    time_limit_s: float = 2.0

    def __post_init__(self) -> None:
        if self.days < 1:
            raise ValueError(f"days must be at least 1, got {self.days}")


@dataclass(frozen=True, slots=True)
class ArmResult:
    """What one arm did: totals (fen), cures, executed and planned actions by channel, cumulative recovery
    and cost at the end of each day, and per borrower (``borrowers``: idx, recovered_fen, cost_fen, cured,
    cure_day)."""

    name: str
    strategy: str
    method: str
    recovered_fen: int
    cost_fen: int
    cures: int
    actions: dict[str, int]
    planned: dict[str, int]
    cumulative_fen: tuple[int, ...]
    cumulative_cost_fen: tuple[int, ...]
    borrowers: pl.DataFrame = field(compare=False, repr=False)

    @property
    def net_fen(self) -> int:
        """Recovered minus cost."""
        return self.recovered_fen - self.cost_fen


@dataclass(frozen=True, slots=True)
class TrialResult:
    """Both arms over the same population and uniforms, and the paired differences B − A (totals over the
    population, fen; ``cure_rate``: a share) with their 95 % intervals; ``cure_rates``: Wilson intervals."""

    borrowers: int
    days: int
    seed: int
    a: ArmResult
    b: ArmResult
    differences: dict[str, Interval]
    cure_rates: dict[str, Interval]

    def as_dict(self) -> dict[str, object]:
        """JSON-ready: money as decimal yuan strings, shares as floats rounded to 6 places."""
        return {
            "borrowers": self.borrowers,
            "days": self.days,
            "seed": self.seed,
            "arms": [_arm_dict(arm, self.cure_rates[key]) for key, arm in (("a", self.a), ("b", self.b))],
            "difference": {name: _interval_dict(name, value) for name, value in self.differences.items()},
        }


# ----------------------------------------------------------------------------------------- population


def _dpd_draw(rng: np.random.Generator, count: int) -> np.ndarray:
    """Days past due on the day before the trial, from ``_DPD_MIX``."""
    shares = np.array([share for share, _, _ in _DPD_MIX])
    component = rng.choice(len(_DPD_MIX), size=count, p=shares / shares.sum())
    low = np.array([low for _, low, _ in _DPD_MIX])[component]
    high = np.array([high for _, _, high in _DPD_MIX])[component]
    return np.asarray(low + np.floor(rng.random(count) * (high - low + 1)), dtype=np.int64)


def draw_population(
    borrowers: int, seed: int, as_of: date = DEFAULT_START, oversample: int = 3
) -> Population:
    """N delinquent borrowers from the simulator (module docstring); the same arguments, the same frame."""
    if borrowers < 1:
        raise ValueError(f"borrowers must be at least 1, got {borrowers}")
    people = random.Random(f"qingshou-trial/{seed}/borrowers")
    lending = random.Random(f"qingshou-trial/{seed}/loans")
    numbers = np.random.default_rng([seed, 1])
    drawn = [draw_borrower(people, borrower_id_of(n), as_of) for n in range(1, borrowers * oversample + 1)]
    weights = np.array([default_probability(person.willingness, 0.35, 0.0) for person in drawn])
    chosen = np.sort(numbers.choice(len(drawn), size=borrowers, replace=False, p=weights / weights.sum()))
    dpd = _dpd_draw(numbers, borrowers)
    rows = []
    for place, (index, days) in enumerate(zip(chosen.tolist(), dpd.tolist(), strict=True)):
        person = drawn[index]
        loan = draw_loan(lending, loan_id_of(place + 1), person, as_of)
        dues = [int((row.principal_due + row.interest_due + row.fee_due).scaleb(2)) for row in loan.schedule]
        installment = dues[0]
        balance = sum(dues)
        rows.append(
            (
                person.borrower_id,
                loan.terms.loan_id,
                loan.spec.product_id,
                person.city.region,
                person.credit_score,
                person.monthly_income * 100,
                installment,
                int(loan.terms.principal.scaleb(2)),
                balance,
                min(balance, -(-max(days, 1) // PERIOD_DAYS) * installment),
                days,
                person.willingness,
            )
        )
    frame = pl.DataFrame(rows, schema=_POPULATION_DRAWN, orient="row")
    reach = numbers.random(borrowers) < 1.0 / (1.0 + np.exp(-(2.2 + 0.5 * frame["willingness"].to_numpy())))
    frame = frame.with_columns(pl.Series("contactable", reach)).with_row_index("idx")
    return Population(frame.with_columns(pl.col("idx").cast(pl.Int64)), as_of, seed)


_POPULATION_DRAWN: Final = {
    "borrower_id": pl.String(),
    "loan_id": pl.String(),
    "product_id": pl.String(),
    "region": pl.String(),
    "credit_score": pl.Int32(),
    "monthly_income_fen": pl.Int64(),
    "installment_fen": pl.Int64(),
    "outstanding_principal_fen": pl.Int64(),
    "balance_fen": pl.Int64(),
    "overdue_fen": pl.Int64(),
    "dpd": pl.Int32(),
    "willingness": pl.Float64(),
}


def _grades(max_dpd: int) -> pl.DataFrame:
    """(product_id, dpd) → bucket and classification code for every product and dpd 0..max_dpd."""
    rows = [
        (spec.product_id, dpd, spec.policy.bucket_of(dpd, True), dpd_floor(dpd, True, spec.policy).code)
        for spec in PRODUCTS
        for dpd in range(max_dpd + 1)
    ]
    schema = {
        "product_id": pl.String(),
        "dpd": pl.Int32(),
        "bucket": pl.String(),
        "classification": pl.String(),
    }
    return pl.DataFrame(rows, schema=schema, orient="row")


# ------------------------------------------------------------------------------------------ one arm


@dataclass(slots=True)
class _State:
    """One arm's running state, arrays over the population's idx."""

    overdue: np.ndarray
    active: np.ndarray
    lift: np.ndarray
    recovered: np.ndarray
    cost: np.ndarray
    cure_day: np.ndarray


@dataclass(frozen=True, slots=True)
class Uniforms:
    """The common random numbers: ``pay``, ``full`` and ``share`` uniforms per (day, borrower)."""

    pay: np.ndarray
    full: np.ndarray
    share: np.ndarray

    @classmethod
    def draw(cls, seed: int, days: int, borrowers: int) -> Uniforms:
        """Three (days × borrowers) arrays from a generator seeded by ``seed`` (independent of the arms)."""
        rng = np.random.default_rng([seed, 2])
        return cls(*(rng.random((days, borrowers)) for _ in range(3)))


def _inputs(
    population: Population, grades: pl.DataFrame, state: _State, day: int, as_of: date
) -> pl.DataFrame:
    """STRATEGY_INPUT of the borrowers still delinquent on ``as_of`` (``day`` 0 = the first trial day)."""
    frame = population.frame
    overdue = pl.Series("total_overdue_fen", state.overdue)
    today = frame.with_columns((pl.col("dpd") + day + 1).cast(pl.Int32).alias("dpd"), overdue).filter(
        pl.Series(_delinquent(population, state, day))
    )
    today = today.join(grades, on=["product_id", "dpd"], how="left", maintain_order="left")
    return today.select(
        pl.lit(as_of).alias("as_of"),
        "loan_id",
        "borrower_id",
        "product_id",
        "dpd",
        pl.lit(True).alias("delinquent"),
        "bucket",
        "classification",
        "total_overdue_fen",
        "outstanding_principal_fen",
        pl.lit(None, dtype=pl.Date).alias("limitation_expires_on"),
        pl.col("dpd").alias("borrower_worst_dpd"),
        pl.col("total_overdue_fen").alias("borrower_total_overdue_fen"),
        pl.lit(1, dtype=pl.Int32).alias("borrower_overdue_loans"),
        pl.lit(None, dtype=pl.Date).alias("next_due_on"),
        "installment_fen",
        "credit_score",
        "monthly_income_fen",
        "region",
        "contactable",
        pl.lit(0, dtype=pl.Int32).alias("broken_promises"),
        pl.lit(None, dtype=pl.Int32).alias("collection_score"),
        pl.lit(None, dtype=pl.Int32).alias("warning_score"),
        pl.lit(False).alias("watch_listed"),
    )


def dpd_on(population: Population, day: int) -> np.ndarray:
    """Every borrower's dpd on trial day ``day`` (0 = the first day): the drawn dpd + day + 1."""
    return population.frame["dpd"].to_numpy().astype(np.int64) + day + 1


def _delinquent(population: Population, state: _State, day: int) -> np.ndarray:
    """Borrowers delinquent on ``day``: not cured and past their first day past due."""
    return state.active & (dpd_on(population, day) >= 1)


def _lift_table(model: ResponseModel) -> dict[str, float]:
    return {channel: model.channels.lift(channel) for channel in _CHANNELS}


def candidates_of(
    actions: pl.DataFrame,
    population: Population,
    state: _State,
    day: int,
    config: TrialConfig,
) -> pl.DataFrame:
    """The candidates (``risk.optimise`` CANDIDATE_SCHEMA, plus ``lift``) of the day's ACTIONS: value =
    (P(pay | the action's lift) − P(pay | no action)) × overdue × expected payment share, both P with the
    willingness estimated from the credit score; an action that cannot reach the borrower has lift 0."""
    model, costs = config.response, config.costs
    lifts = _lift_table(model)
    frame = actions.join(
        population.frame.select("borrower_id", "idx", "credit_score", "contactable", "dpd"),
        on="borrower_id",
        how="left",
    ).with_row_index("candidate_id")
    idx = frame["idx"].to_numpy()
    channel = frame["action"]
    contact_needed = channel.is_in([action.value for action in NEEDS_CONTACT]).to_numpy()
    reachable = frame["contactable"].to_numpy() | ~contact_needed
    lift = channel.replace_strict(lifts, return_dtype=pl.Float64).to_numpy() * reachable
    estimated = (frame["credit_score"].to_numpy() - _SCORE_CENTRE) * _SCORE_SLOPE
    dpd = frame["dpd"].to_numpy() + day + 1
    carried = model.carry_over * state.lift[idx]
    uplift = model.pay_probability(estimated, dpd, np.maximum(lift, carried)) - model.pay_probability(
        estimated, dpd, carried
    )
    value = np.floor(uplift * state.overdue[idx] * model.expected_share(estimated)).astype(np.int64)
    unit_cost = channel.replace_strict({c: costs.cost_of(c) for c in _CHANNELS}, return_dtype=pl.Int64)
    minutes = (
        pl.when(channel == Action.CALL.value)
        .then(costs.call_minutes)
        .when(channel == Action.FIELD_VISIT.value)
        .then(costs.visit_minutes)
        .otherwise(0)
    )
    return frame.select(
        pl.col("candidate_id").cast(pl.Int64),
        pl.col("idx").alias("borrower_id"),
        pl.col("action").alias("channel"),
        pl.Series("value_fen", value),
        unit_cost.alias("cost_fen"),
        minutes.cast(pl.Int32).alias("minutes"),
        pl.col("priority").cast(pl.Int16),
        pl.Series("lift", lift),
    )


def _choose(candidates: pl.DataFrame, method: Method, config: TrialConfig) -> pl.DataFrame:
    """The candidates the arm's planner takes (legal reviews always, outside the capacity)."""
    legal = candidates.filter(pl.col("channel") == Action.LEGAL_REVIEW.value)
    plannable = candidates.filter(pl.col("channel") != Action.LEGAL_REVIEW.value)
    if plannable.is_empty():
        return legal
    columns = plannable.drop("lift")
    chosen: Plan = (
        greedy(columns, config.capacity, config.caps)
        if method == "greedy"
        else optimise(
            columns, config.capacity, config.caps, time_limit_s=config.time_limit_s, seed=config.seed
        )
    )
    taken = plannable.filter(pl.col("candidate_id").is_in(list(chosen.chosen)))
    return pl.concat([taken, legal])


def _respond(
    population: Population,
    state: _State,
    taken: pl.DataFrame,
    day: int,
    config: TrialConfig,
    uniforms: Uniforms,
) -> int:
    """Carry out the day's chosen actions and draw the payments; the fen recovered today."""
    model = config.response
    count = population.size
    today = np.zeros(count)
    spent = np.zeros(count, dtype=np.int64)
    if taken.height:
        idx = taken["borrower_id"].to_numpy()
        np.maximum.at(today, idx, taken["lift"].to_numpy())
        np.add.at(spent, idx, taken["cost_fen"].to_numpy())
    state.cost += spent
    state.lift = np.where(state.active, np.maximum(today, model.carry_over * state.lift), 0.0)
    willingness = population.frame["willingness"].to_numpy()
    dpd = dpd_on(population, day)
    pays = _delinquent(population, state, day) & (
        uniforms.pay[day] < model.pay_probability(willingness, dpd, state.lift)
    )
    full = pays & (uniforms.full[day] < model.full_probability(willingness))
    partial = np.maximum(
        np.floor(state.overdue * model.partial_share(uniforms.share[day])).astype(np.int64), 1
    )
    amount = np.where(full, state.overdue, np.where(pays, np.minimum(partial, state.overdue), 0))
    state.recovered += amount
    state.overdue -= amount
    cured = state.active & (state.overdue <= 0)
    state.cure_day = np.where(cured, day + 1, state.cure_day)
    state.active &= ~cured
    return int(amount.sum())


def _fall_due(population: Population, state: _State, day: int) -> None:
    """Another installment falls overdue when the dpd passes a multiple of the period (capped at the
    schedule's total less what was recovered)."""
    dpd = dpd_on(population, day)
    due = state.active & (dpd > 1) & ((dpd - 1) % PERIOD_DAYS == 0)
    room = np.maximum(population.frame["balance_fen"].to_numpy() - state.recovered - state.overdue, 0)
    state.overdue += np.where(due, np.minimum(population.frame["installment_fen"].to_numpy(), room), 0)


def run_arm(
    population: Population,
    arm: Arm,
    config: TrialConfig,
    uniforms: Uniforms,
    on_day: Callable[[int], None] | None = None,
) -> ArmResult:
    """Replay ``population`` for ``config.days`` days under ``arm`` (module docstring)."""
    count = population.size
    state = _State(
        overdue=population.frame["overdue_fen"].to_numpy().astype(np.int64).copy(),
        active=np.ones(count, dtype=bool),
        lift=np.zeros(count),
        recovered=np.zeros(count, dtype=np.int64),
        cost=np.zeros(count, dtype=np.int64),
        cure_day=np.zeros(count, dtype=np.int64),
    )
    grades = _grades(max(int(population.frame["dpd"].to_numpy().max()), 0) + config.days + 1)
    actions_done = dict.fromkeys(_CHANNELS, 0)
    planned = dict.fromkeys(_CHANNELS, 0)
    cumulative: list[int] = []
    spent: list[int] = []
    total = 0
    for day in range(config.days):
        as_of = population.as_of + timedelta(days=day + 1)
        if day:
            _fall_due(population, state, day)
        actions = plan(
            assign(_inputs(population, grades, state, day, as_of), arm.strategy, as_of), arm.strategy, as_of
        )
        candidates = candidates_of(actions, population, state, day, config)
        taken = _choose(candidates, arm.method, config)
        _tally(planned, candidates)
        _tally(actions_done, taken)
        total += _respond(population, state, taken, day, config, uniforms)
        cumulative.append(total)
        spent.append(int(state.cost.sum()))
        if on_day is not None:
            on_day(day + 1)
    borrowers = pl.DataFrame(
        {
            "idx": np.arange(count, dtype=np.int64),
            "recovered_fen": state.recovered,
            "cost_fen": state.cost,
            "cured": state.cure_day > 0,
            "cure_day": state.cure_day,
        }
    ).with_columns(pl.when(pl.col("cured")).then(pl.col("cure_day")).alias("cure_day"))
    return ArmResult(
        name=arm.name,
        strategy=arm.strategy.name,
        method=arm.method,
        recovered_fen=int(state.recovered.sum()),
        cost_fen=int(state.cost.sum()),
        cures=int((state.cure_day > 0).sum()),
        actions=actions_done,
        planned=planned,
        cumulative_fen=tuple(cumulative),
        cumulative_cost_fen=tuple(spent),
        borrowers=borrowers,
    )


def _tally(counts: dict[str, int], frame: pl.DataFrame) -> None:
    for channel, number in frame.group_by("channel").len().iter_rows():
        counts[channel] += int(number)


# ---------------------------------------------------------------------------------------------- trial


def compare(a: ArmResult, b: ArmResult) -> dict[str, Interval]:
    """The paired differences B − A over the borrowers, as totals (fen) with 95 % intervals, and the
    difference of the cure rates (a share)."""
    left, right = a.borrowers, b.borrowers
    count = left.height
    measures = {
        "recovered_fen": right["recovered_fen"].to_numpy() - left["recovered_fen"].to_numpy(),
        "cost_fen": right["cost_fen"].to_numpy() - left["cost_fen"].to_numpy(),
        "cures": right["cured"].to_numpy().astype(np.int64) - left["cured"].to_numpy().astype(np.int64),
    }
    measures["net_fen"] = measures["recovered_fen"] - measures["cost_fen"]
    result = {name: paired_difference(values).scaled(count) for name, values in measures.items()}
    result["cure_rate"] = paired_difference(measures["cures"])
    return result


def run_trial(
    population: Population,
    a: Arm,
    b: Arm,
    config: TrialConfig,
    on_day: Callable[[str, int], None] | None = None,
) -> TrialResult:
    """Both arms over the same population, capacity and uniforms, and their paired differences."""
    uniforms = Uniforms.draw(config.seed, config.days, population.size)
    results = []
    for arm in (a, b):
        progress = None if on_day is None else _progress(on_day, arm.name)
        results.append(run_arm(population, arm, config, uniforms, progress))
    first, second = results
    return TrialResult(
        borrowers=population.size,
        days=config.days,
        seed=config.seed,
        a=first,
        b=second,
        differences=compare(first, second),
        cure_rates={
            "a": wilson(first.cures, population.size),
            "b": wilson(second.cures, population.size),
        },
    )


def _progress(on_day: Callable[[str, int], None], name: str) -> Callable[[int], None]:
    return lambda day: on_day(name, day)


# ----------------------------------------------------------------------------------------------- JSON


def yuan(amount_fen: int) -> str:
    """Integer fen as a decimal yuan string ("-1033.30")."""
    sign = "-" if amount_fen < 0 else ""
    whole, cents = divmod(abs(amount_fen), 100)
    return f"{sign}{whole}.{cents:02d}"


def _fen_text(value: float) -> str:
    """A total in fen (a float estimate) as a decimal yuan string rounded half away from zero to the fen."""
    return yuan(int(math.copysign(math.floor(abs(value) + 0.5), value)))


def _interval_dict(name: str, interval: Interval) -> dict[str, object]:
    if name.endswith("_fen"):
        key = name.removesuffix("_fen")
        return {
            "unit": "yuan",
            key: _fen_text(interval.estimate),
            "low": _fen_text(interval.low),
            "high": _fen_text(interval.high),
            "level": interval.level,
        }
    return {
        name: round(interval.estimate, 6),
        "low": round(interval.low, 6),
        "high": round(interval.high, 6),
        "level": interval.level,
    }


def _arm_dict(arm: ArmResult, cure_rate: Interval) -> dict[str, object]:
    return {
        "name": arm.name,
        "strategy": arm.strategy,
        "method": arm.method,
        "recovered": yuan(arm.recovered_fen),
        "cost": yuan(arm.cost_fen),
        "net": yuan(arm.net_fen),
        "cures": arm.cures,
        "cure_rate": {
            "rate": round(cure_rate.estimate, 6),
            "low": round(cure_rate.low, 6),
            "high": round(cure_rate.high, 6),
        },
        "actions": dict(arm.actions),
        "planned": dict(arm.planned),
        "cumulative_recovered": [yuan(value) for value in arm.cumulative_fen],
        "cumulative_cost": [yuan(value) for value in arm.cumulative_cost_fen],
    }
