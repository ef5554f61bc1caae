"""A synthetic training set with a known structure, for tests and demonstrations of the scorecard (``qingshou
model train KIND --dataset synthetic``): the event's log-odds rise with ``payments_90d``, fall with ``dpd`` and
``broken_promises``, depend on ``channel``; ``noise`` carries no signal. Some values are null."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl

from qingshou.risk.dataset import OBSERVED_ON, ROW_ID, TARGET, TrainingSet

LABELS = {
    "dpd": ("逾期天数", "days past due"),
    "payments_90d": ("近90天还款次数", "payments in 90 days"),
    "broken_promises": ("违约承诺次数", "broken promises"),
    "noise": ("噪声", "noise"),
    "channel": ("渠道", "channel"),
}


def synthetic_training_set(
    kind: str = "collection",
    *,
    rows: int = 2000,
    seed: int = 7,
    event_is_good: bool = True,
    time_split: bool = True,
    start: date = date(2026, 5, 1),
    days: int = 120,
    shift: float = 0.0,
) -> TrainingSet:
    """``rows`` synthetic observations over ``days`` days; ``shift`` moves ``dpd`` up in later days (drift)."""
    rng = np.random.default_rng(seed)
    day = rng.integers(0, days, rows)
    dpd = rng.integers(1, 120, rows).astype(np.float64) + shift * day / max(days, 1) * 30
    payments = rng.poisson(2.0, rows)
    broken = rng.poisson(0.7, rows)
    noise = rng.normal(0, 1, rows)
    channels = np.array(["app", "branch", "agent", "online"])
    channel = channels[rng.integers(0, 4, rows)]
    effect = {"app": 0.4, "branch": 0.0, "agent": -0.5, "online": 0.2}
    logit = 0.6 - 0.025 * dpd + 0.45 * payments - 0.6 * broken + np.vectorize(effect.__getitem__)(channel)
    good = rng.random(rows) < 1 / (1 + np.exp(-logit))
    target = good.astype(np.int8) if event_is_good else (~good).astype(np.int8)
    dpd_list: list[float | None] = [None if rng.random() < 0.05 else float(v) for v in dpd]
    channel_list: list[str | None] = [None if rng.random() < 0.03 else str(v) for v in channel]
    frame = pl.DataFrame(
        {
            ROW_ID: [f"r{i:06d}" for i in range(rows)],
            "dpd": pl.Series(dpd_list, dtype=pl.Float64),
            "payments_90d": pl.Series(payments, dtype=pl.Int64),
            "broken_promises": pl.Series(broken, dtype=pl.Int64),
            "noise": pl.Series(noise, dtype=pl.Float64),
            "channel": pl.Series(channel_list, dtype=pl.String),
            TARGET: pl.Series(target, dtype=pl.Int8),
            OBSERVED_ON: pl.Series([start + timedelta(days=int(d)) for d in day], dtype=pl.Date),
        }
    )
    return TrainingSet(
        kind=kind,
        rows=frame,
        numeric=("dpd", "payments_90d", "broken_promises", "noise"),
        categorical=("channel",),
        event="pays within 30 days (synthetic)" if event_is_good else "defaults (synthetic)",
        event_zh="30天内还款（模拟）" if event_is_good else "违约（模拟）",
        event_is_good=event_is_good,
        dataset=f"synthetic {rows} rows, seed {seed}",
        window_from=start,
        window_to=start + timedelta(days=days - 1),
        time_split=time_split,
        labels=LABELS,
    )
