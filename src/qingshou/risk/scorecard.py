"""The scorecard: WoE bins (optbinning), a logistic regression on the WoE values, points by PDO scaling and reason
codes. The trained model is a frozen JSON artifact (no pickles): it can be read, diffed and audited as a table.

Training (``train``):

1. Split: by time when the training set is observed over time (``time_split``: the latest ``test_share`` of the
   observation days are the test rows), else a stratified random split seeded by ``seed``.
2. Bins, on the training rows: optbinning's ``OptimalBinning`` per feature: numeric features get monotone
   bins (``monotonic_trend="auto_asc_desc"``: the event rate rises or falls across the bins), categorical
   features get groups of categories; at most ``max_bins`` bins, each with at least ``min_bin_share`` of the
   rows and at least one row of each outcome. Nulls (and, when scoring, unknown categories) get their own
   ``missing`` bin; when training had no null in a feature, the missing bin takes the points of the worst bin.
3. WoE of bin i = ln((good_i / good) / (bad_i / bad)), "good" being the outcome the institution wants (the
   event when ``event_is_good``, else the non-event); a count of zero is replaced by 0.5. IV = Σ (good_i/good −
   bad_i/bad) · WoE_i. Features with IV below ``min_iv`` or a single bin are dropped.
4. A logistic regression (scikit-learn, L2 with ``C``) of the good outcome on the WoE values. A coefficient
   that is not positive would make points fall as the WoE rises: the most negative such feature is dropped and
   the regression refitted until every coefficient is positive. Every dropped feature is recorded, with why.
5. Points: factor = PDO / ln 2, offset = base_points − factor · ln(base_odds); ln(odds of good) = a + Σ β_j WoE_j;
   points of bin i of feature j = factor · β_j · WoE_ij; base = offset + factor · a; a row's score is base + Σ
   its bins' points, rounded half up. Higher points = better for the institution. The probability comes from
   the same sum: P(good) = 1 / (1 + exp(−(score − offset) / factor)) with the unrounded score.

Scoring (``score``) is vectorised Polars. Reason codes name the features whose bin costs the row the most points
against the best bin of that feature, largest shortfall first.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass, field
from typing import Any, Final

import numpy as np
import polars as pl

from qingshou.risk import validation
from qingshou.risk.dataset import OBSERVED_ON, ROW_ID, TARGET, TrainingSet, TrainingSetError

FORMAT: Final = "qingshou.scorecard/1"
MISSING: Final = "missing"
_DIGITS: Final = 10
_CURVE_POINTS: Final = 101
_NO_SHORTFALL: Final = 1e-9


class ScorecardError(ValueError):
    """A scorecard cannot be trained or applied (the message says why)."""


@dataclass(frozen=True, slots=True)
class ScorecardParams:
    """Training parameters (module docstring)."""

    pdo: float = 20.0
    base_points: float = 600.0
    base_odds: float = 50.0
    max_bins: int = 6
    min_bin_share: float = 0.05
    max_pvalue: float | None = None
    min_iv: float = 0.02
    c: float = 1.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Trained:
    """A trained scorecard: the JSON artifact, validation metrics and the training set's size."""

    artifact: dict[str, Any]
    metrics: dict[str, Any]
    rows: int
    events: int
    params: dict[str, Any] = field(default_factory=dict)


def _r(value: float) -> float:
    return round(float(value), _DIGITS)


# ---------------------------------------------------------------------------------------------------------- split
def _split(
    data: TrainingSet, rows: pl.DataFrame, seed: int, test_share: float
) -> tuple[pl.Series, dict[str, Any]]:
    """A boolean ``is_test`` per row (rows sorted by id) and a description of the split."""
    if not 0 < test_share < 1:
        raise ScorecardError(f"test_share must be between 0 and 1, is {test_share}")
    if data.time_split:
        days = rows.get_column(OBSERVED_ON).unique().sort().drop_nulls()
        if days.len() >= 2:
            n_test = min(max(1, round(test_share * days.len())), days.len() - 1)
            cutoff = days[days.len() - n_test]
            is_test = (rows.get_column(OBSERVED_ON) >= cutoff).fill_null(False)
            return is_test, {"method": "time", "test_from": str(cutoff), "days": days.len()}
    rng = np.random.default_rng(seed)
    target = rows.get_column(TARGET).to_numpy()
    is_test = np.zeros(rows.height, dtype=bool)
    for outcome in (0, 1):
        positions = np.flatnonzero(target == outcome)
        chosen = rng.permutation(positions)[: round(test_share * positions.size)]
        is_test[chosen] = True
    return pl.Series("is_test", is_test), {"method": "random", "test_from": None, "seed": seed}


# ----------------------------------------------------------------------------------------------------------- bins
def _bin_index(feature: dict[str, Any], column: pl.Expr) -> pl.Expr:
    """The bin index of each value: 0..k-1 for the bins, k (the missing bin) for null / NaN / unknown."""
    missing = len(feature["bins"]) - 1
    if feature["type"] == "numeric":
        value = column.cast(pl.Float64)
        index: pl.Expr = pl.lit(0, dtype=pl.Int32)
        for split in feature["splits"]:
            index = index + (value >= split).cast(pl.Int32)
        return (
            pl.when(value.is_null() | value.is_nan()).then(pl.lit(missing, dtype=pl.Int32)).otherwise(index)
        )
    mapping = {category: i for i, b in enumerate(feature["bins"][:-1]) for category in b["categories"]}
    return column.cast(pl.String).replace_strict(mapping, default=missing, return_dtype=pl.Int32)


def _fit_bins(
    name: str, kind: str, x: pl.Series, y: np.ndarray[Any, Any], params: ScorecardParams
) -> dict[str, Any] | str:
    """optbinning on the non-null values: the feature's bins without statistics, or why it cannot be binned."""
    from optbinning import OptimalBinning

    present = x.is_not_null() if kind == "categorical" else (x.is_not_null() & ~x.cast(pl.Float64).is_nan())
    present_np = present.fill_null(False).to_numpy()
    values = x.filter(present)
    outcomes = y[present_np]
    if values.len() == 0 or values.n_unique() < 2 or outcomes.min() == outcomes.max():
        return "a single value or outcome"
    optb = OptimalBinning(
        name=name,
        dtype="numerical" if kind == "numeric" else "categorical",
        solver="cp",
        max_n_bins=params.max_bins,
        min_bin_size=params.min_bin_share,
        min_prebin_size=min(0.05, params.min_bin_share),
        min_bin_n_event=1,
        min_bin_n_nonevent=1,
        monotonic_trend="auto_asc_desc" if kind == "numeric" else None,
        max_pvalue=params.max_pvalue,
        time_limit=60,
    )
    x_np = values.cast(pl.Float64).to_numpy() if kind == "numeric" else values.to_numpy().astype(object)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            optb.fit(x_np, outcomes)
        except (ValueError, RuntimeError) as error:
            return f"binning failed ({error})"
    if optb.status not in ("OPTIMAL", "FEASIBLE"):
        return f"binning failed ({optb.status})"
    if kind == "numeric":
        splits = sorted(_r(s) for s in optb.splits)
        edges = [-math.inf, *splits, math.inf]
        bins = [{"label": _interval(edges[i], edges[i + 1])} for i in range(len(edges) - 1)]
        feature: dict[str, Any] = {"name": name, "type": kind, "splits": splits, "bins": bins}
    else:
        groups = [sorted(str(c) for c in group) for group in optb.splits]
        cat_bins: list[dict[str, Any]] = [{"label": ", ".join(g), "categories": g} for g in groups]
        feature = {"name": name, "type": kind, "bins": cat_bins}
    feature["bins"].append({"label": MISSING, **({"categories": []} if kind == "categorical" else {})})
    return feature


def _interval(low: float, high: float) -> str:
    def edge(value: float) -> str:
        return "inf" if math.isinf(value) else f"{value:g}"

    return f"[{'-inf' if math.isinf(low) else edge(low)}, {edge(high)})"


def _woe_stats(feature: dict[str, Any], index: np.ndarray[Any, Any], good: np.ndarray[Any, Any]) -> float:
    """Fill counts, event rates and WoE of the feature's bins from the training rows; return the IV."""
    n_bins = len(feature["bins"])
    counts = np.bincount(index, minlength=n_bins)
    goods = np.bincount(index, weights=good, minlength=n_bins)
    total_good = float(good.sum())
    total_bad = float(good.size - total_good)
    iv = 0.0
    for i, b in enumerate(feature["bins"]):
        g, n = float(goods[i]), int(counts[i])
        bad = n - g
        b["count"] = n
        b["good"] = int(g)
        if n == 0:
            b["woe"] = None
            continue
        share_good = (g if g > 0 else 0.5) / total_good
        share_bad = (bad if bad > 0 else 0.5) / total_bad
        woe = math.log(share_good / share_bad)
        b["woe"] = _r(woe)
        iv += (g / total_good - bad / total_bad) * woe
    return iv


def _candidates(
    data: TrainingSet,
    train_rows: pl.DataFrame,
    good: np.ndarray[Any, Any],
    params: ScorecardParams,
    dropped: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """The binned features worth a coefficient (the others appended to ``dropped`` with the reason)."""
    candidates: list[dict[str, Any]] = []
    kinds = [(name, "numeric") for name in data.numeric] + [
        (name, "categorical") for name in data.categorical
    ]
    for name, kind in kinds:
        fitted = _fit_bins(name, kind, train_rows.get_column(name), good, params)
        if isinstance(fitted, str):
            dropped.append({"feature": name, "reason": fitted, "iv": None})
            continue
        index = train_rows.select(_bin_index(fitted, pl.col(name))).to_series().to_numpy()
        iv = _woe_stats(fitted, index, good.astype(np.float64))
        fitted["iv"] = _r(iv)
        zh, en = data.labels.get(name, (name, name))
        fitted["label_zh"], fitted["label_en"] = zh, en
        if len(fitted["bins"]) - 1 < 2:
            dropped.append({"feature": name, "reason": "a single bin", "iv": fitted["iv"]})
        elif iv < params.min_iv:
            dropped.append({"feature": name, "reason": f"IV below {params.min_iv}", "iv": fitted["iv"]})
        else:
            fitted["_index"] = index
            candidates.append(fitted)
    return candidates


def _regression(
    candidates: list[dict[str, Any]],
    good: np.ndarray[Any, Any],
    params: ScorecardParams,
    dropped: list[dict[str, Any]],
) -> tuple[list[float], float]:
    """Fit the logistic regression, dropping the most negative coefficient until all are positive."""
    from sklearn.linear_model import LogisticRegression

    while candidates:
        matrix = np.column_stack([_woe_column(f) for f in candidates])
        model = LogisticRegression(C=params.c, solver="lbfgs", max_iter=2000, tol=1e-10)
        model.fit(matrix, good)
        coefficients = [float(c) for c in model.coef_[0]]
        worst = int(np.argmin(coefficients))
        if coefficients[worst] > 0:
            return coefficients, float(model.intercept_[0])
        feature = candidates.pop(worst)
        reason = f"wrong sign (coefficient {coefficients[worst]:.4f})"
        dropped.append({"feature": feature["name"], "reason": reason, "iv": feature["iv"]})
    raise ScorecardError(
        "no feature is left to train on: " + "; ".join(f"{d['feature']}: {d['reason']}" for d in dropped)
    )


# ----------------------------------------------------------------------------------------------------------- train
def train(
    data: TrainingSet, *, seed: int, test_share: float = 0.3, params: ScorecardParams | None = None
) -> Trained:
    """Train a scorecard on ``data`` (module docstring); refuses a training set failing ``check()``."""
    params = params or ScorecardParams()
    data.check()
    if not data.features:
        raise TrainingSetError("the training set has no feature")
    rows = data.rows.sort(ROW_ID)
    is_test, split = _split(data, rows, seed, test_share)
    train_rows = rows.filter(~is_test)
    test_rows = rows.filter(is_test)
    train_target = train_rows.get_column(TARGET).to_numpy().astype(np.int64)
    if train_target.min() == train_target.max():
        raise TrainingSetError("the training part of the split has only one outcome")
    good = train_target if data.event_is_good else 1 - train_target

    dropped: list[dict[str, Any]] = []
    candidates = _candidates(data, train_rows, good, params, dropped)
    coefficients, intercept = _regression(candidates, good, params, dropped)

    factor = params.pdo / math.log(2)
    offset = params.base_points - factor * math.log(params.base_odds)
    features = []
    for feature, beta in zip(candidates, coefficients, strict=True):
        del feature["_index"]
        feature["coefficient"] = _r(beta)
        real = [b for b in feature["bins"] if b["count"] > 0]
        worst_woe = min(b["woe"] for b in real)
        for b in feature["bins"]:
            b["event_rate"] = _r(_event_rate(b, data.event_is_good))
            if b["count"] == 0:  # only the missing bin can be empty: it scores like the worst bin
                b["woe"] = worst_woe
                b["label"] = f"{MISSING} (= worst)"
            b["points"] = _r(factor * float(beta) * b["woe"])
        feature["missing_fallback"] = "worst" if feature["bins"][-1]["count"] == 0 else MISSING
        features.append(feature)

    artifact: dict[str, Any] = {
        "format": FORMAT,
        "kind": data.kind,
        "event": data.event,
        "event_zh": data.event_zh,
        "event_is_good": data.event_is_good,
        "dataset": data.dataset,
        "seed": seed,
        "params": params.as_dict(),
        "split": {**split, "train_rows": train_rows.height, "test_rows": test_rows.height},
        "scaling": {
            "pdo": params.pdo,
            "base_points": params.base_points,
            "base_odds": params.base_odds,
            "factor": _r(factor),
            "offset": _r(offset),
        },
        "intercept": _r(intercept),
        "base": _r(offset + factor * intercept),
        "features": features,
        "dropped": dropped,
    }
    metrics = _metrics(artifact, train_rows, test_rows)
    return Trained(
        artifact=artifact, metrics=metrics, rows=rows.height, events=data.events, params=params.as_dict()
    )


def _woe_column(feature: dict[str, Any]) -> np.ndarray[Any, Any]:
    woes = np.array([b["woe"] if b["woe"] is not None else 0.0 for b in feature["bins"]], dtype=np.float64)
    return woes[feature["_index"]]  # type: ignore[no-any-return]


def _event_rate(b: dict[str, Any], event_is_good: bool) -> float:
    if b["count"] == 0:
        return 0.0
    good_rate = float(b["good"]) / float(b["count"])
    return good_rate if event_is_good else 1 - good_rate


# ----------------------------------------------------------------------------------------------------------- score
def _check_artifact(artifact: dict[str, Any]) -> None:
    if artifact.get("format") != FORMAT:
        raise ScorecardError(f"not a scorecard artifact (format {artifact.get('format')!r})")


def bins_frame(artifact: dict[str, Any], frame: pl.DataFrame) -> pl.DataFrame:
    """The bin index of every row for every feature of the scorecard (columns named like the features)."""
    _check_artifact(artifact)
    missing = [f["name"] for f in artifact["features"] if f["name"] not in frame.columns]
    if missing:
        raise ScorecardError(f"the rows lack feature column(s): {', '.join(missing)}")
    return frame.select([_bin_index(f, pl.col(f["name"])).alias(f["name"]) for f in artifact["features"]])


def _reason_codes(points: pl.DataFrame, best: list[float], reasons: int) -> pl.Series:
    """The ``reasons`` features with the largest shortfall (> 0) against their best bin, largest first, ties in
    feature order, joined by ";". Vectorised: a stable argsort of the shortfall matrix (numpy), then the names
    mapped by column (Polars); no Python per row."""
    names = points.columns
    shortfall = np.asarray(best, dtype=np.float64)[None, :] - points.to_numpy().astype(np.float64)
    take = min(reasons, len(names))
    order = np.argsort(-shortfall, axis=1, kind="stable")[:, :take]
    lost = np.take_along_axis(shortfall, order, axis=1) > _NO_SHORTFALL
    codes = pl.DataFrame(
        {
            f"r{k}": pl.Series(order[:, k], dtype=pl.Int32).set(pl.Series(~lost[:, k]), None)
            for k in range(take)
        }
    )
    mapping = dict(enumerate(names))
    return codes.select(
        pl.concat_str(
            [pl.col(f"r{k}").replace_strict(mapping, return_dtype=pl.String) for k in range(take)],
            separator=";",
            ignore_nulls=True,
        )
        .fill_null("")
        .alias("reasons")
    ).to_series()


def score(artifact: dict[str, Any], frame: pl.DataFrame, *, reasons: int = 4) -> pl.DataFrame:
    """Score every row of ``frame``: ``points`` (Int32), ``probability_ppm`` (Int32, P(event) in ppm) and
    ``reasons`` (feature codes by points lost against the feature's best bin, ";"-joined), in input order."""
    _check_artifact(artifact)
    features = artifact["features"]
    indexes = bins_frame(artifact, frame)
    point_columns = []
    best = []
    for f in features:
        name = f["name"]
        table = [b["points"] for b in f["bins"]]
        best.append(max(b["points"] for b in f["bins"] if b["count"] > 0))
        pts = pl.col(name).replace_strict(list(range(len(table))), table, return_dtype=pl.Float64)
        point_columns.append(pts.alias(name))
    points = indexes.select(point_columns)
    total = pl.sum_horizontal(pl.all()) + artifact["base"] if features else pl.lit(artifact["base"])
    scaling = artifact["scaling"]
    log_odds_good = (total - scaling["offset"]) / scaling["factor"]
    p_good = 1 / (1 + (-log_odds_good).exp())
    p_event = p_good if artifact["event_is_good"] else 1 - p_good
    columns = [
        (total + 0.5).floor().cast(pl.Int32).alias("points"),
        (p_event * 1_000_000 + 0.5).floor().clip(0, 1_000_000).cast(pl.Int32).alias("probability_ppm"),
    ]
    scored = points.select(columns)
    if reasons > 0 and features and points.height:
        return scored.with_columns(_reason_codes(points, best, reasons))
    return scored.with_columns(pl.lit("", dtype=pl.String).alias("reasons"))


def points_table(artifact: dict[str, Any]) -> pl.DataFrame:
    """One row per bin: feature, labels, bin, count, event rate, WoE, points (for reports and ``model show``)."""
    _check_artifact(artifact)
    records = [
        {
            "feature": f["name"],
            "label_zh": f.get("label_zh", f["name"]),
            "label_en": f.get("label_en", f["name"]),
            "bin": i,
            "label": b["label"],
            "count": b["count"],
            "event_rate": b["event_rate"],
            "woe": b["woe"],
            "points": b["points"],
            "iv": f["iv"],
        }
        for f in artifact["features"]
        for i, b in enumerate(f["bins"])
    ]
    schema = {
        "feature": pl.String,
        "label_zh": pl.String,
        "label_en": pl.String,
        "bin": pl.Int32,
        "label": pl.String,
        "count": pl.Int64,
        "event_rate": pl.Float64,
        "woe": pl.Float64,
        "points": pl.Float64,
        "iv": pl.Float64,
    }
    return pl.DataFrame(records, schema=schema)


# --------------------------------------------------------------------------------------------------------- metrics
def _curve(xs: list[float], ys: list[float]) -> dict[str, list[float]]:
    """At most ``_CURVE_POINTS`` points of a curve, evenly spaced along it, for charts."""
    if len(xs) > _CURVE_POINTS:
        picks = np.unique(np.linspace(0, len(xs) - 1, _CURVE_POINTS).round().astype(int))
        xs = [xs[i] for i in picks]
        ys = [ys[i] for i in picks]
    return {"x": [_r(x) for x in xs], "y": [_r(y) for y in ys]}


def _ks_curve(target: np.ndarray[Any, Any], points: np.ndarray[Any, Any]) -> dict[str, list[float]]:
    """Cumulative shares of events and non-events by score (ascending), at up to 101 score values."""
    cuts = np.unique(np.quantile(points, np.linspace(0, 1, _CURVE_POINTS), method="lower"))
    events = max(int(target.sum()), 1)
    nonevents = max(int(target.size - target.sum()), 1)
    sorted_pts = np.sort(points[target == 1])
    sorted_non = np.sort(points[target == 0])
    cum_e = np.searchsorted(sorted_pts, cuts, side="right") / events
    cum_n = np.searchsorted(sorted_non, cuts, side="right") / nonevents
    return {
        "points": [float(c) for c in cuts],
        "events": [_r(v) for v in cum_e],
        "nonevents": [_r(v) for v in cum_n],
    }


def _round_tree(value: Any) -> Any:
    if isinstance(value, float):
        return None if math.isnan(value) else _r(value)
    if isinstance(value, dict):
        return {k: _round_tree(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_round_tree(v) for v in value]
    return value


def evaluate(artifact: dict[str, Any], rows: pl.DataFrame) -> dict[str, Any]:
    """Discrimination and calibration of the scorecard on labelled rows (with ``TARGET``)."""
    scored = score(artifact, rows, reasons=0)
    target = rows.get_column(TARGET).to_numpy().astype(np.float64)
    probability = scored.get_column("probability_ppm").to_numpy() / 1_000_000
    result = validation.discrimination(target, probability)
    if rows.height:
        result["calibration"] = validation.calibration(target, probability)
        fpr, tpr = validation.roc_curve(target, probability)
        result["roc"] = _curve(fpr, tpr)
        result["ks_curve"] = _ks_curve(target, scored.get_column("points").to_numpy())
        result["points_mean"] = float(scored.get_column("points").cast(pl.Float64).mean() or 0.0)  # type: ignore[arg-type]
    return result


def _metrics(artifact: dict[str, Any], train_rows: pl.DataFrame, test_rows: pl.DataFrame) -> dict[str, Any]:
    train_points = score(artifact, train_rows, reasons=0).get_column("points").to_numpy()
    test_points = score(artifact, test_rows, reasons=0).get_column("points").to_numpy()
    stability = validation.psi(train_points, test_points)
    train_bins = bins_frame(artifact, train_rows)
    test_bins = bins_frame(artifact, test_rows)
    csi = {}
    for f in artifact["features"]:
        n = len(f["bins"])
        expected = np.bincount(train_bins.get_column(f["name"]).to_numpy(), minlength=n).tolist()
        actual = np.bincount(test_bins.get_column(f["name"]).to_numpy(), minlength=n).tolist()
        value = validation.psi_from_counts(expected, actual)
        csi[f["name"]] = {"csi": value, "reading": validation.psi_reading(value)}
    metrics = {
        "train": evaluate(artifact, train_rows),
        "test": evaluate(artifact, test_rows),
        "stability": {"train_to_test": stability, "csi": csi},
        "features": {
            f["name"]: {"iv": f["iv"], "coefficient": f["coefficient"]} for f in artifact["features"]
        },
        "dropped": artifact["dropped"],
    }
    return _round_tree(metrics)  # type: ignore[no-any-return]
