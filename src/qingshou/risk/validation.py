"""Validation of a scorecard: discrimination (AUC, KS, Gini), calibration (deciles, Brier, Hosmer–Lemeshow) and
stability (PSI of the score, CSI of each feature's bins).

Plain functions over numpy arrays: ``target`` is 0/1, ``probability`` is the predicted P(target = 1).

- AUC: the probability that a random event row has a higher predicted probability than a random non-event
  row, ties counting one half (the Mann–Whitney statistic), from average ranks.
- KS: the largest gap between the cumulative distributions of the prediction among events and non-events.
- Gini (accuracy ratio): 2·AUC − 1.
- Calibration: rows ordered by prediction and cut into ``groups`` groups of (nearly) equal size; per group the
  count, the mean prediction and the observed event rate. Brier = mean((p − y)²). Hosmer–Lemeshow
  HL = Σ_g (O_g − E_g)² / (E_g (1 − E_g / n_g)) with O the observed events, E = Σ p, on groups − 2 degrees of
  freedom; its p-value from the χ² distribution.
- PSI: bands fixed from the training scores (quantile cut points); for each band the share of training rows
  e_i and of the other rows a_i, each floored at 0.0001; PSI = Σ (a_i − e_i) · ln(a_i / e_i).
  Reading: < 0.1 stable, 0.1–0.25 some shift (watch), ≥ 0.25 shifted (retrain). CSI is the same sum over a
  feature's bins.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Final

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import chi2, rankdata

SHARE_FLOOR: Final = 0.0001
PSI_WATCH: Final = 0.1
PSI_SHIFT: Final = 0.25


def _arrays(target: ArrayLike, probability: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    y = np.asarray(target, dtype=np.float64)
    p = np.asarray(probability, dtype=np.float64)
    if y.shape != p.shape or y.ndim != 1:
        raise ValueError("target and probability must be 1-d arrays of the same length")
    return y, p


def auc(target: ArrayLike, probability: ArrayLike) -> float | None:
    """Area under the ROC curve; ``None`` when only one outcome occurs."""
    y, p = _arrays(target, probability)
    events = int(y.sum())
    nonevents = y.size - events
    if events == 0 or nonevents == 0:
        return None
    ranks = rankdata(p)  # average ranks: ties count one half
    rank_sum = float(ranks[y == 1].sum())
    return (rank_sum - events * (events + 1) / 2) / (events * nonevents)


def gini(auc_value: float | None) -> float | None:
    """Accuracy ratio 2·AUC − 1."""
    return None if auc_value is None else 2 * auc_value - 1


def ks(target: ArrayLike, probability: ArrayLike) -> float | None:
    """Kolmogorov–Smirnov statistic; ``None`` when only one outcome occurs."""
    y, p = _arrays(target, probability)
    events = y.sum()
    nonevents = y.size - events
    if events == 0 or nonevents == 0:
        return None
    order = np.argsort(p, kind="stable")
    ps, ys = p[order], y[order]
    # evaluate the cumulative distributions only at the last row of each tied value
    last = np.r_[ps[1:] != ps[:-1], True]
    cum_event = np.cumsum(ys)[last] / events
    cum_nonevent = np.cumsum(1 - ys)[last] / nonevents
    return float(np.max(np.abs(cum_event - cum_nonevent)))


def roc_curve(target: ArrayLike, probability: ArrayLike) -> tuple[list[float], list[float]]:
    """False and true positive rates at every distinct threshold (for charts), from (0, 0) to (1, 1)."""
    y, p = _arrays(target, probability)
    order = np.argsort(-p, kind="stable")
    ps, ys = p[order], y[order]
    last = np.r_[ps[1:] != ps[:-1], True]
    tp = np.cumsum(ys)[last]
    fp = np.cumsum(1 - ys)[last]
    tpr = tp / max(ys.sum(), 1)
    fpr = fp / max((1 - ys).sum(), 1)
    return [0.0, *fpr.tolist()], [0.0, *tpr.tolist()]


def brier(target: ArrayLike, probability: ArrayLike) -> float:
    """Mean squared error of the predicted probability."""
    y, p = _arrays(target, probability)
    return float(np.mean((p - y) ** 2)) if y.size else 0.0


def calibration(target: ArrayLike, probability: ArrayLike, *, groups: int = 10) -> dict[str, Any]:
    """Calibration table by groups of predicted probability, the Brier score and Hosmer–Lemeshow."""
    y, p = _arrays(target, probability)
    order = np.argsort(p, kind="stable")
    table: list[dict[str, Any]] = []
    hl = 0.0
    for index, part in enumerate(np.array_split(order, min(groups, max(y.size, 1)))):
        if part.size == 0:
            continue
        n = int(part.size)
        expected = float(p[part].sum())
        observed = float(y[part].sum())
        table.append(
            {
                "group": index + 1,
                "count": n,
                "predicted": expected / n,
                "observed": observed / n,
                "min": float(p[part].min()),
                "max": float(p[part].max()),
            }
        )
        denominator = expected * (1 - expected / n)
        if denominator > 0:
            hl += (observed - expected) ** 2 / denominator
    freedom = max(len(table) - 2, 1)
    return {
        "groups": table,
        "brier": brier(y, p),
        "hosmer_lemeshow": hl,
        "hl_df": freedom,
        "hl_pvalue": float(chi2.sf(hl, freedom)),
    }


def score_bands(scores: ArrayLike, *, bands: int = 10) -> list[float]:
    """Cut points of (up to) ``bands`` bands of equal training share; band i is [cut[i-1], cut[i])."""
    values = np.asarray(scores, dtype=np.float64)
    if values.size == 0:
        return []
    cuts = np.quantile(values, np.linspace(0, 1, bands + 1)[1:-1], method="lower")
    unique = sorted({float(c) for c in cuts} - {float(values.min())})
    return unique


def band_counts(scores: ArrayLike, cuts: Sequence[float]) -> list[int]:
    """Rows per band: band i holds cuts[i-1] <= score < cuts[i] (first and last open)."""
    values = np.asarray(scores, dtype=np.float64)
    index = np.searchsorted(np.asarray(cuts, dtype=np.float64), values, side="right")
    return np.bincount(index, minlength=len(cuts) + 1).astype(int).tolist()  # type: ignore[no-any-return]


def psi_from_counts(expected: Sequence[int], actual: Sequence[int]) -> float | None:
    """PSI of two distributions over the same bands, given the row counts; ``None`` when either is empty."""
    if len(expected) != len(actual):
        raise ValueError("both distributions need the same bands")
    total_e, total_a = sum(expected), sum(actual)
    if total_e == 0 or total_a == 0:
        return None
    value = 0.0
    for e_count, a_count in zip(expected, actual, strict=True):
        e = max(e_count / total_e, SHARE_FLOOR)
        a = max(a_count / total_a, SHARE_FLOOR)
        value += (a - e) * math.log(a / e)
    return value


def psi(train_scores: ArrayLike, other_scores: ArrayLike, *, bands: int = 10) -> dict[str, Any]:
    """PSI of ``other_scores`` against ``train_scores`` on bands cut from the training scores."""
    cuts = score_bands(train_scores, bands=bands)
    expected = band_counts(train_scores, cuts)
    actual = band_counts(other_scores, cuts)
    value = psi_from_counts(expected, actual)
    return {"psi": value, "reading": psi_reading(value), "cuts": cuts, "expected": expected, "actual": actual}


def psi_reading(value: float | None) -> str:
    """``stable`` below 0.1, ``watch`` from 0.1 to 0.25, ``shift`` at 0.25 and above (``n/a`` without data)."""
    if value is None:
        return "n/a"
    if value < PSI_WATCH:
        return "stable"
    if value < PSI_SHIFT:
        return "watch"
    return "shift"


def discrimination(target: ArrayLike, probability: ArrayLike) -> dict[str, Any]:
    """AUC, Gini and KS together, with the row and event counts."""
    y, p = _arrays(target, probability)
    auc_value = auc(y, p)
    return {
        "rows": int(y.size),
        "events": int(y.sum()),
        "auc": auc_value,
        "gini": gini(auc_value),
        "ks": ks(y, p),
    }
