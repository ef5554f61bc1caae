"""The day's plan from the store (issue 8): the strategy's planned actions become candidates, planned twice —
greedy (the strategy's priority order) and optimised (``qingshou.risk.optimise``) — and both runs are stored.

Candidates (``candidates_of``): the ``qs_action`` rows of ``day`` whose action is a channel the optimiser
plans (sms, email, letter, call, field_visit, agency_placement; legal reviews are not capacity-bound and
are left out) and whose compliance decision is ``allow`` — an action the check refused or deferred is not a
candidate at all (C8). For each candidate:

* value = P(pay) × the borrower's total overdue (``qs_loan_status.borrower_total_overdue_fen`` of the
  action's loan) × the channel's effect factor, in whole fen (rounded down); for a borrower who owes nothing
  overdue yet (a pre-due reminder, an early-warning treatment) value = P(miss) × the borrower's next
  instalment (the earliest due on or after the day over the borrower's loans) ×
  the effect factor, P(miss) = the borrower's early-warning probability (``qs_risk_score`` kind
  ``early_warning``) or ``PlanSettings.pre_due_miss_ppm``;
* P(pay) = the borrower's collection score (``qs_risk_score`` kind ``collection``, ``probability_ppm``)
  when there is one; else the book's observed 30-day cure rate of the borrower's bucket (lake snapshots of
  ``day − 30`` and ``day``: the share of loans delinquent in that bucket then that are not delinquent now);
  else the default rate of the bucket (``PlanSettings.default_cure_ppm``);
* cost = the channel's unit cost (``QINGSHOU_UNIT_COSTS`` over the defaults of
  ``analytics.ops_frames.OpsSettings``, read by ``apps.reports.conf.unit_costs`` as the report does: SMS,
  e-mail, letter, contact for a call, visit; an agency placement costs nothing up front — its commission is in
  its effect factor);
* minutes = collector minutes (a call 6; a field visit 120 for each of the C8 minimum of 2 collectors).

The effect factors are assumptions to calibrate from champion / challenger results (docs/planning.md).
Settings: ``QINGSHOU_PLAN`` (a dict overriding ``PlanSettings`` fields) and ``QINGSHOU_PLAN_CAPACITY``
(resource → limit, ``None`` = unlimited; ``collector_minutes`` defaults to active collectors × minutes per
collector per day).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import polars as pl
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from qingshou import config
from qingshou.apps.accounts.roles import Role
from qingshou.apps.audit.services import record
from qingshou.apps.reports.conf import unit_costs
from qingshou.domain.compliance import default_profile
from qingshou.lake import SnapshotNotFound, read_snapshot
from qingshou.risk.optimise import (
    CHANNELS,
    METHOD_GREEDY,
    METHOD_OPTIMISED,
    Capacity,
    Caps,
    OptimiseError,
    Plan,
    greedy,
    optimise,
)
from qingshou.store import Dialect, Store

PPM: Final = 1_000_000
CURE_WINDOW_DAYS: Final = 30


class PlanningError(ValueError):
    """A plan that cannot be made (the message says why)."""


def _default_effect() -> dict[str, int]:
    return {
        "sms": 100_000,
        "email": 50_000,
        "letter": 150_000,
        "call": 350_000,
        "field_visit": 500_000,
        "agency_placement": 300_000,
    }


def _default_cure() -> dict[str, int]:
    return {"M1": 300_000, "M2": 150_000, "M3": 80_000, "M4": 40_000, "M5": 30_000, "M6": 20_000}


@dataclass(frozen=True, slots=True)
class PlanSettings:
    """How candidates are valued and what the day can hold (module docstring). Factors and rates in ppm."""

    effect_ppm: Mapping[str, int] = field(default_factory=_default_effect)
    default_cure_ppm: Mapping[str, int] = field(default_factory=_default_cure)
    other_bucket_cure_ppm: int = 10_000
    #: P(miss) of a current borrower without an early-warning score: the share of instalments a reminder may
    #: save (an assumption, like the effect factors; calibrate from the book's first-payment-default rate).
    pre_due_miss_ppm: int = 30_000
    call_minutes: int = 6
    visit_minutes_per_collector: int = 120
    minutes_per_collector: int = 360
    agency_placement_fen: int = 0
    time_limit_s: float = 10.0
    seed: int = 0

    @classmethod
    def from_settings(cls) -> PlanSettings:
        """``QINGSHOU_PLAN`` over the defaults (``effect_ppm`` and ``default_cure_ppm`` merge key by key); an
        unknown key or a bad value is a ``PlanningError``."""
        data: Mapping[str, Any] = getattr(django_settings, "QINGSHOU_PLAN", {}) or {}
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise PlanningError(f"QINGSHOU_PLAN: unknown keys {unknown} (known: {sorted(known)})")
        defaults = cls()
        merged = dict(data)
        for name in ("effect_ppm", "default_cure_ppm"):  # a partial mapping overrides those keys only
            if name in merged:
                merged[name] = {**getattr(defaults, name), **dict(merged[name])}
        plan = replace(defaults, **merged)
        unknown_channels = sorted(set(plan.effect_ppm) - set(CHANNELS))
        if unknown_channels:
            raise PlanningError(f"QINGSHOU_PLAN effect_ppm: unknown channels {unknown_channels}")
        rates = {**plan.effect_ppm, **plan.default_cure_ppm, "pre_due_miss_ppm": plan.pre_due_miss_ppm}
        for name, ppm in rates.items():
            if not isinstance(ppm, int) or not 0 <= ppm <= PPM:
                raise PlanningError(f"QINGSHOU_PLAN: {name}: a rate in ppm from 0 to 1000000, got {ppm!r}")
        return plan


def default_capacity(plan_settings: PlanSettings | None = None) -> Capacity:
    """``QINGSHOU_PLAN_CAPACITY`` (resource → limit; missing = the defaults below, ``None`` = unlimited).
    ``collector_minutes`` defaults to the active collectors × ``minutes_per_collector``."""
    plan_settings = plan_settings or PlanSettings.from_settings()
    data: dict[str, Any] = {
        "sms": None,
        "emails": None,
        "letters": 2000,
        "field_visits": 20,
        "agency_slots": 200,
    }
    data.update(getattr(django_settings, "QINGSHOU_PLAN_CAPACITY", {}) or {})
    if "collector_minutes" not in data:
        collectors = (
            get_user_model()
            .objects.filter(is_active=True, groups__name=Role.COLLECTOR.value)
            .distinct()
            .count()
        )
        data["collector_minutes"] = collectors * plan_settings.minutes_per_collector
    try:
        return Capacity.from_mapping(data)
    except OptimiseError as error:
        raise PlanningError(f"QINGSHOU_PLAN_CAPACITY: {error}") from None


def _unit_costs(plan_settings: PlanSettings) -> dict[str, int]:
    ops = unit_costs()
    return {
        "sms": ops.sms_fen,
        "email": ops.email_fen,
        "letter": ops.letter_fen,
        "call": ops.contact_fen,
        "field_visit": ops.visit_fen,
        "agency_placement": plan_settings.agency_placement_fen,
    }


def _minutes(plan_settings: PlanSettings) -> dict[str, int]:
    visit = plan_settings.visit_minutes_per_collector * default_profile().min_visit_collectors
    return {"call": plan_settings.call_minutes, "field_visit": visit}


def cure_rates(day: date, lake: Path | None = None, snapshot: pl.DataFrame | None = None) -> dict[str, int]:
    """The observed 30-day cure rate (ppm) of each delinquent bucket: loans delinquent in the bucket on
    ``day − 30`` that are not delinquent on ``day`` (or gone from the book: paid off). ``snapshot``: the day's
    own snapshot when the lake does not have it yet. Empty when either snapshot is missing."""
    root = lake or config.lake_path()
    try:
        before = read_snapshot(root, day - timedelta(days=CURE_WINDOW_DAYS)).select(
            "loan_id", "bucket", "delinquent"
        )
        current = read_snapshot(root, day) if snapshot is None else snapshot
    except (SnapshotNotFound, FileNotFoundError):
        return {}
    now = current.select("loan_id", pl.col("delinquent").alias("still"))
    rates = (
        before.filter(pl.col("delinquent"))
        .join(now, on="loan_id", how="left")
        .group_by("bucket")
        .agg(((~pl.col("still").fill_null(False)).sum() * PPM // pl.len()).alias("ppm"))
    )
    return {str(bucket): int(ppm) for bucket, ppm in rates.iter_rows()}


def _text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def candidates_of(
    day: date,
    store: Store,
    plan_settings: PlanSettings | None = None,
    lake: Path | None = None,
    snapshot: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """The day's candidates (``risk.optimise`` CANDIDATE_SCHEMA with ``candidate_id`` = ``qs_action.id``)
    plus ``p_source`` (score | cure_rate | default) and ``probability_ppm`` (module docstring)."""
    plan_settings = plan_settings or PlanSettings.from_settings()
    channels = ", ".join(_text(channel) for channel in CHANNELS)
    rows = store.read(
        f"""
SELECT a.id AS candidate_id, a.borrower_id, a.action AS channel, a.priority,
       COALESCE(s.borrower_total_overdue_fen, 0) AS overdue_fen, COALESCE(s.bucket, '') AS bucket,
       r.probability_ppm AS score_ppm, w.probability_ppm AS warning_ppm,
       (SELECT i.principal_due_fen + i.interest_due_fen + i.fee_due_fen
          FROM qs_installment i JOIN qs_loan l ON l.loan_id = i.loan_id
         WHERE l.borrower_id = a.borrower_id AND i.due_date >= {_text(day.isoformat())}
         ORDER BY i.due_date, i.loan_id LIMIT 1) AS installment_fen
FROM qs_action a
LEFT JOIN qs_loan_status s ON s.loan_id = a.loan_id
LEFT JOIN qs_risk_score r ON r.borrower_id = a.borrower_id AND r.kind = 'collection'
LEFT JOIN qs_risk_score w ON w.borrower_id = a.borrower_id AND w.kind = 'early_warning'
WHERE a.as_of = {_text(day.isoformat())} AND a.action IN ({channels}) AND a.outcome = 'allow'
ORDER BY a.id
""",
        {
            "candidate_id": pl.Int64(),
            "borrower_id": pl.String(),
            "channel": pl.String(),
            "priority": pl.Int64(),
            "overdue_fen": pl.Int64(),
            "bucket": pl.String(),
            "score_ppm": pl.Int64(),
            "warning_ppm": pl.Int64(),
            "installment_fen": pl.Int64(),
        },
    )
    observed = cure_rates(day, lake, snapshot) if rows.height else {}
    cure = {**plan_settings.default_cure_ppm, **observed}
    costs = _unit_costs(plan_settings)
    minutes = _minutes(plan_settings)
    bucket_ppm = pl.col("bucket").replace_strict(
        cure, default=plan_settings.other_bucket_cure_ppm, return_dtype=pl.Int64
    )
    current = pl.col("overdue_fen") == 0
    return rows.with_columns(
        pl.when(current)
        .then(pl.col("warning_ppm").fill_null(plan_settings.pre_due_miss_ppm))
        .when(pl.col("score_ppm").is_not_null())
        .then(pl.col("score_ppm"))
        .otherwise(bucket_ppm)
        .alias("probability_ppm"),
        pl.when(current & pl.col("warning_ppm").is_not_null())
        .then(pl.lit("warning_score"))
        .when(current)
        .then(pl.lit("pre_due_default"))
        .when(pl.col("score_ppm").is_not_null())
        .then(pl.lit("score"))
        .when(pl.col("bucket").is_in(list(observed)))
        .then(pl.lit("cure_rate"))
        .otherwise(pl.lit("default"))
        .alias("p_source"),
        # The amount at stake: the overdue of a delinquent borrower; for a current one (a pre-due reminder,
        # an early-warning treatment) the borrower's next instalment, the one a reminder may save.
        pl.when(current)
        .then(pl.col("installment_fen").fill_null(0))
        .otherwise(pl.col("overdue_fen"))
        .alias("at_stake_fen"),
    ).select(
        "candidate_id",
        "borrower_id",
        "channel",
        (
            pl.col("at_stake_fen")
            * pl.col("probability_ppm")
            // PPM
            * pl.col("channel").replace_strict(
                dict(plan_settings.effect_ppm), default=0, return_dtype=pl.Int64
            )
            // PPM
        ).alias("value_fen"),
        pl.col("channel").replace_strict(costs, return_dtype=pl.Int64).alias("cost_fen"),
        pl.col("channel").replace_strict(minutes, default=0, return_dtype=pl.Int32).alias("minutes"),
        pl.col("priority").clip(0, 100).cast(pl.Int16),
        "probability_ppm",
        "p_source",
    )


@dataclass(frozen=True, slots=True)
class DayPlans:
    """Both plans of a day and the candidates they chose from."""

    day: date
    capacity: Capacity
    greedy: Plan
    optimised: Plan
    candidates: pl.DataFrame

    @property
    def gain_fen(self) -> int:
        """The optimised plan's expected net minus the strategy's."""
        return self.optimised.net_fen - self.greedy.net_fen

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (fen as integers)."""
        return {
            "day": self.day.isoformat(),
            "capacity": self.capacity.as_dict(),
            "greedy": self.greedy.as_dict(),
            "optimised": self.optimised.as_dict(),
            "gain_fen": self.gain_fen,
        }


def _timestamp(moment: datetime, dialect: Dialect) -> str:
    """A timestamp as the text Django stores (SQLite: naive UTC) or PostgreSQL casts (with the offset)."""
    utc = moment.astimezone(UTC)
    return str(utc.replace(tzinfo=None)) if dialect is Dialect.SQLITE else str(utc)


def _store_runs(day: date, plans: DayPlans, store: Store, plan_settings: PlanSettings) -> None:
    """Replace the day's runs and items (one transaction of the caller's)."""
    where = f"day = {_text(day.isoformat())}"
    store.execute(f"DELETE FROM qs_plan_item WHERE run_id IN (SELECT id FROM qs_plan_run WHERE {where})")
    store.execute(f"DELETE FROM qs_plan_run WHERE {where}")
    stamp = _timestamp(timezone.now(), store.dialect)
    runs = pl.DataFrame(
        [
            {
                "day": day,
                "method": plan.method,
                "status": plan.status,
                "candidates": plan.candidates,
                "chosen": len(plan.chosen),
                "value_fen": plan.value_fen,
                "cost_fen": plan.cost_fen,
                "net_fen": plan.net_fen,
                "bound_fen": plan.bound_fen,
                "gap_ppm": plan.gap_ppm,
                "capacity": json.dumps(plans.capacity.as_dict()),
                "used": json.dumps(dict(plan.used)),
                "settings": json.dumps(
                    {**_jsonable(plan_settings), "presolved": dict(plan.presolved)}, sort_keys=True
                ),
                "seconds": float(plan.seconds),
                "created_at": stamp,
            }
            for plan in (plans.greedy, plans.optimised)
        ],
        schema_overrides={"day": pl.Date()},
    )
    store.append("qs_plan_run", runs)
    ids = store.read(
        f"SELECT id, method FROM qs_plan_run WHERE {where}", {"id": pl.Int64(), "method": pl.String()}
    )
    base = plans.candidates.select(
        pl.col("candidate_id").alias("action_id"),
        "borrower_id",
        "channel",
        "value_fen",
        "cost_fen",
        pl.col("minutes").cast(pl.Int64),
    )
    for run_id, method in ids.iter_rows():
        plan = plans.greedy if method == METHOD_GREEDY else plans.optimised
        store.append(
            "qs_plan_item",
            base.with_columns(
                pl.lit(run_id, dtype=pl.Int64).alias("run_id"),
                pl.col("action_id").is_in(list(plan.chosen)).alias("chosen"),
            ),
        )


def _jsonable(plan_settings: PlanSettings) -> dict[str, Any]:
    data = asdict(plan_settings)
    return {key: dict(value) if isinstance(value, Mapping) else value for key, value in data.items()}


def make_plans(
    day: date,
    store: Store,
    *,
    capacity: Capacity | None = None,
    time_limit_s: float | None = None,
    plan_settings: PlanSettings | None = None,
    lake: Path | None = None,
    snapshot: pl.DataFrame | None = None,
) -> DayPlans:
    """Both plans of ``day`` (nothing written). ``snapshot``: the day's snapshot when the lake does not have
    it yet (inside EOD)."""
    plan_settings = plan_settings or PlanSettings.from_settings()
    capacity = capacity or default_capacity(plan_settings)
    caps = Caps.from_profile(default_profile())
    candidates = candidates_of(day, store, plan_settings, lake, snapshot)
    plannable = candidates.drop("probability_ppm", "p_source")
    by_greedy = greedy(plannable, capacity, caps)
    optimised = optimise(
        plannable,
        capacity,
        caps,
        time_limit_s=time_limit_s or plan_settings.time_limit_s,
        seed=plan_settings.seed,
    )
    return DayPlans(day, capacity, by_greedy, optimised, candidates)


def write_plans(plans: DayPlans, store: Store, plan_settings: PlanSettings | None = None) -> None:
    """Replace the day's stored runs and items with ``plans`` (inside the caller's transaction)."""
    _store_runs(plans.day, plans, store, plan_settings or PlanSettings.from_settings())


def plan_day(
    day: date,
    *,
    store: Store,
    capacity: Capacity | None = None,
    time_limit_s: float | None = None,
    plan_settings: PlanSettings | None = None,
    lake: Path | None = None,
    actor: Any = None,
    write: bool = True,
) -> DayPlans:
    """Plan ``day`` both ways and (``write``) replace its stored runs and items in one transaction; an audit
    event ``planning.plan_run`` records who ran it (actor: a user, or the name of a process)."""
    plan_settings = plan_settings or PlanSettings.from_settings()
    plans = make_plans(
        day, store, capacity=capacity, time_limit_s=time_limit_s, plan_settings=plan_settings, lake=lake
    )
    if write:
        with store.transaction():
            write_plans(plans, store, plan_settings)
        record(
            actor if not isinstance(actor, str) else None,
            "planning.plan_run",
            ("planning.planrun", day.isoformat()),
            {
                "day": day.isoformat(),
                "candidates": plans.greedy.candidates,
                "greedy_net_fen": plans.greedy.net_fen,
                "optimised_net_fen": plans.optimised.net_fen,
                "status": plans.optimised.status,
                "by": actor if isinstance(actor, str) else "",
            },
        )
    return plans


def stored_runs(day: date) -> list[Any]:
    """The stored runs of ``day`` (greedy first)."""
    from qingshou.apps.planning.models import PlanRun

    return sorted(PlanRun.objects.filter(day=day), key=lambda run: run.method != METHOD_GREEDY)


__all__ = [
    "METHOD_GREEDY",
    "METHOD_OPTIMISED",
    "DayPlans",
    "PlanSettings",
    "PlanningError",
    "candidates_of",
    "cure_rates",
    "default_capacity",
    "make_plans",
    "plan_day",
    "stored_runs",
    "write_plans",
]
