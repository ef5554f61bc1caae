"""Evaluation: confidence intervals for champion / challenger comparisons (issue 8, docs/trial.md).

* ``wilson``: the Wilson score interval of one proportion (Newcombe 1998a, method 3; no continuity
  correction) — the same formula as the report's ``champion_challenger`` table.
* ``newcombe_difference``: the interval of p₁ − p₂ for two **independent** proportions by Newcombe's hybrid
  score method (Newcombe 1998b, method 10): with Wilson limits (l₁, u₁), (l₂, u₂),
  L = d − √((p₁ − l₁)² + (u₂ − p₂)²), U = d + √((u₁ − p₁)² + (p₂ − l₂)²). Use it for a challenger arm
  against the champion (different borrowers in each arm).
* ``paired_difference``: the interval of the mean of paired differences (each borrower seen under both
  arms, as in the simulation harness): mean ± t₀.₉₇₅,ₙ₋₁ · s / √n (Student; ≈ the normal interval for the
  thousands of borrowers of a trial); ``scaled`` turns it into the interval of the total difference (× n).

Probabilities are floats (they are estimates, not money); a money total is scaled from fen and rounded by
the caller.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import polars as pl
from scipy.stats import norm, t

#: The two-sided 95 % confidence level used by default.
LEVEL_95: Final = 0.95


@dataclass(frozen=True, slots=True)
class Interval:
    """A point estimate with its confidence interval [low, high] at ``level`` (0.95 = 95 %)."""

    estimate: float
    low: float
    high: float
    level: float = LEVEL_95

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies within [low, high]."""
        return self.low <= value <= self.high

    def scaled(self, factor: float) -> Interval:
        """The interval of ``factor`` × the quantity (a mean per borrower → a total over the borrowers)."""
        ends = sorted((self.low * factor, self.high * factor))
        return Interval(self.estimate * factor, ends[0], ends[1], self.level)


def z_value(level: float = LEVEL_95) -> float:
    """The standard normal quantile of a two-sided ``level`` (1.959964 for 95 %)."""
    _check_level(level)
    return float(norm.ppf(0.5 + level / 2))


def _check_level(level: float) -> None:
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be between 0 and 1 (exclusive), got {level}")


def _check_counts(successes: int, trials: int) -> None:
    if trials <= 0:
        raise ValueError(f"trials must be positive, got {trials}")
    if not 0 <= successes <= trials:
        raise ValueError(f"successes must be between 0 and trials ({trials}), got {successes}")


def wilson(successes: int, trials: int, level: float = LEVEL_95) -> Interval:
    """The Wilson score interval of ``successes`` / ``trials`` (Newcombe 1998a, method 3)."""
    _check_counts(successes, trials)
    z = z_value(level)
    p = successes / trials
    z2 = z * z
    centre = p + z2 / (2 * trials)
    spread = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials))
    scale = 1 + z2 / trials
    return Interval(p, max(0.0, (centre - spread) / scale), min(1.0, (centre + spread) / scale), level)


def newcombe_difference(
    successes_1: int, trials_1: int, successes_2: int, trials_2: int, level: float = LEVEL_95
) -> Interval:
    """The interval of p₁ − p₂ for independent samples: Newcombe's hybrid score method (1998b, method 10)."""
    first = wilson(successes_1, trials_1, level)
    second = wilson(successes_2, trials_2, level)
    p1, p2 = first.estimate, second.estimate
    difference = p1 - p2
    low = difference - math.hypot(p1 - first.low, second.high - p2)
    high = difference + math.hypot(first.high - p1, p2 - second.low)
    return Interval(difference, low, high, level)


def paired_difference(differences: Sequence[float] | np.ndarray, level: float = LEVEL_95) -> Interval:
    """The interval of the mean of paired ``differences`` (Student t with n − 1 degrees of freedom).

    With one difference, or all equal, the interval is the point (no spread to estimate)."""
    _check_level(level)
    values = np.asarray(differences, dtype=np.float64)
    count = values.size
    if count == 0:
        raise ValueError("paired_difference needs at least one difference")
    mean = float(values.mean())
    if count == 1:
        return Interval(mean, mean, mean, level)
    deviation = float(values.std(ddof=1))
    half = float(t.ppf(0.5 + level / 2, count - 1)) * deviation / math.sqrt(count)
    return Interval(mean, mean - half, mean + half, level)


#: One row per (segment, challenger arm) of ``arm_differences``: the challenger's cure rate minus the
#: champion's, with Newcombe's 95 % interval (null when an arm has no cases).
ARM_DIFFERENCES: Final = {
    "segment": pl.String(),
    "arm": pl.String(),
    "cases": pl.Int64(),
    "cured": pl.Int64(),
    "champion_cases": pl.Int64(),
    "champion_cured": pl.Int64(),
    "difference": pl.Float64(),
    "diff_low": pl.Float64(),
    "diff_high": pl.Float64(),
}


def arm_differences(arms: pl.DataFrame, level: float = LEVEL_95) -> pl.DataFrame:
    """Challenger − champion cure rate per segment from a frame of (segment, arm, cases, cured) — the
    report's ``champion_challenger`` table — with Newcombe's interval (arms are different borrowers).
    Segments without a champion row, and the champion rows themselves, give no row."""
    champions = arms.filter(pl.col("arm") == "champion").select(
        "segment", pl.col("cases").alias("champion_cases"), pl.col("cured").alias("champion_cured")
    )
    paired = (
        arms.filter(pl.col("arm") != "champion")
        .join(champions, on="segment", how="inner")
        .sort("segment", "arm")
    )
    rows = []
    for row in paired.select(
        "segment", "arm", "cases", "cured", "champion_cases", "champion_cured"
    ).iter_rows(named=True):
        cases, cured = int(row["cases"] or 0), int(row["cured"] or 0)
        base_cases, base_cured = int(row["champion_cases"] or 0), int(row["champion_cured"] or 0)
        interval = (
            newcombe_difference(cured, cases, base_cured, base_cases, level)
            if cases > 0 and base_cases > 0
            else None
        )
        rows.append(
            {
                **row,
                "cases": cases,
                "cured": cured,
                "champion_cases": base_cases,
                "champion_cured": base_cured,
                "difference": interval.estimate if interval else None,
                "diff_low": interval.low if interval else None,
                "diff_high": interval.high if interval else None,
            }
        )
    return pl.DataFrame(rows, schema=ARM_DIFFERENCES)
