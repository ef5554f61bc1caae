"""The scorecard (``qingshou.risk.scorecard``): training is deterministic for a seed; points are monotone in the
bins of numeric features and ordered like the WoE; raising a monotone feature never moves the score against its
trend; points and probability agree; reason codes name the features costing most points; the vectorised
``score`` equals a slow per-row reference; a training set failing ``check()`` is refused. No database."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qingshou.risk import scorecard
from qingshou.risk.dataset import ROW_ID, TARGET, TrainingSet, TrainingSetError
from qingshou.risk.synthetic import synthetic_training_set


@pytest.fixture(scope="module")
def data() -> TrainingSet:
    return synthetic_training_set(rows=2500, seed=11)


@pytest.fixture(scope="module")
def trained(data: TrainingSet) -> scorecard.Trained:
    return scorecard.train(data, seed=3)


@pytest.fixture(scope="module")
def bad_event() -> scorecard.Trained:
    """A default model: the event is the bad outcome (high points = unlikely to default)."""
    return scorecard.train(synthetic_training_set(rows=2500, seed=12, event_is_good=False), seed=3)


def canonical(artifact: dict[str, Any]) -> str:
    return json.dumps(artifact, sort_keys=True, ensure_ascii=False)


# ------------------------------------------------------------------------------------------------ the reference
def slow_bin(feature: dict[str, Any], value: Any) -> int:
    """The bin of one value, the plain way."""
    missing = len(feature["bins"]) - 1
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return missing
    if feature["type"] == "numeric":
        return sum(1 for split in feature["splits"] if float(value) >= split)
    for i, b in enumerate(feature["bins"][:-1]):
        if value in b["categories"]:
            return i
    return missing


def slow_score(artifact: dict[str, Any], row: dict[str, Any], reasons: int = 4) -> tuple[int, int, str]:
    """Points, probability (ppm) and reasons of one row, per row in plain Python."""
    total = 0.0  # the features' points left to right, then the base (the same float additions as score())
    shortfalls = []
    for f in artifact["features"]:
        b = f["bins"][slow_bin(f, row[f["name"]])]
        total += b["points"]
        best = max(x["points"] for x in f["bins"] if x["count"] > 0)
        shortfalls.append((best - b["points"], f["name"]))
    total += artifact["base"]
    points = math.floor(total + 0.5)
    scaling = artifact["scaling"]
    p_good = 1 / (1 + math.exp(-(total - scaling["offset"]) / scaling["factor"]))
    p_event = p_good if artifact["event_is_good"] else 1 - p_good
    order = sorted(
        ((s, i, name) for i, (s, name) in enumerate(shortfalls) if s > 1e-9), key=lambda t: (-t[0], t[1])
    )
    return points, math.floor(p_event * 1_000_000 + 0.5), ";".join(name for _, _, name in order[:reasons])


# ------------------------------------------------------------------------------------------------- determinism
def test_training_is_deterministic_for_a_seed(data: TrainingSet, trained: scorecard.Trained) -> None:
    """Same rows and seed: byte-identical artifact JSON and metrics, also when the rows come in another order."""
    again = scorecard.train(replace(data, rows=data.rows.reverse()), seed=3)
    assert canonical(again.artifact) == canonical(trained.artifact)
    assert json.dumps(again.metrics, sort_keys=True) == json.dumps(trained.metrics, sort_keys=True)


def test_random_split_depends_on_the_seed(data: TrainingSet) -> None:
    """Without a time split, the stratified random split follows the seed (and is stratified)."""
    untimed = replace(data, time_split=False, rows=data.rows.head(1200))
    one, two = scorecard.train(untimed, seed=1), scorecard.train(untimed, seed=2)
    assert one.artifact["split"]["method"] == "random"
    assert canonical(one.artifact) != canonical(two.artifact)
    assert canonical(scorecard.train(untimed, seed=1).artifact) == canonical(one.artifact)
    test_events = one.metrics["test"]["events"]
    assert abs(test_events - round(0.3 * untimed.events)) <= 1


def test_time_split_puts_the_latest_days_in_test(trained: scorecard.Trained, data: TrainingSet) -> None:
    """The test part is the latest 30 % of the observation days."""
    split = trained.artifact["split"]
    assert split["method"] == "time"
    test_from = pl.Series([split["test_from"]]).str.to_date()[0]
    later = data.rows.filter(pl.col("observed_on") >= test_from).height
    assert split["test_rows"] == later
    assert split["train_rows"] + split["test_rows"] == data.rows.height


def test_artifact_is_plain_json(trained: scorecard.Trained) -> None:
    """Only str / int / float / bool / list / dict / None; it survives a JSON round trip unchanged."""
    artifact = trained.artifact
    assert json.loads(canonical(artifact)) == artifact
    assert json.loads(json.dumps(trained.metrics)) == trained.metrics


# ------------------------------------------------------------------------------------------------ monotonicity
def test_points_are_monotone_in_the_bins_and_ordered_like_the_woe(
    trained: scorecard.Trained, bad_event: scorecard.Trained
) -> None:
    """Numeric features: points per bin monotone in bin order; every feature: points ordered like the WoE."""
    for model in (trained, bad_event):
        for f in model.artifact["features"]:
            real = f["bins"][:-1]
            if f["type"] == "numeric":
                points = [b["points"] for b in real]
                diffs = np.diff(points)
                assert (diffs >= 0).all() or (diffs <= 0).all(), f["name"]
            assert f["coefficient"] > 0
            pairs = sorted((b["woe"], b["points"]) for b in f["bins"])
            assert [p for _, p in pairs] == sorted(p for _, p in pairs), f["name"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    row=st.integers(0, 2499),
    delta=st.floats(0, 200),
    feature=st.sampled_from(["dpd", "payments_90d", "broken_promises"]),
)
def test_raising_a_monotone_feature_never_moves_the_score_against_its_trend(
    trained: scorecard.Trained, data: TrainingSet, row: int, delta: float, feature: str
) -> None:
    """The score moves with the feature's trend (or not at all) when the feature rises."""
    artifact = trained.artifact
    by_name = {f["name"]: f for f in artifact["features"]}
    if feature not in by_name:
        return
    real = by_name[feature]["bins"][:-1]
    trend = np.sign(real[-1]["points"] - real[0]["points"])
    base = data.rows.slice(row, 1).with_columns(pl.col(feature).cast(pl.Float64).fill_null(0.0))
    raised = base.with_columns(pl.col(feature) + delta)
    before = scorecard.score(artifact, base)["points"][0]
    after = scorecard.score(artifact, raised)["points"][0]
    assert (after - before) * trend >= 0


def test_learned_directions_match_the_synthetic_truth(trained: scorecard.Trained) -> None:
    """The event (paying) falls with dpd and broken promises and rises with payments; noise is dropped."""
    by_name = {f["name"]: f for f in trained.artifact["features"]}
    first_last = {name: (f["bins"][0]["points"], f["bins"][-2]["points"]) for name, f in by_name.items()}
    assert first_last["dpd"][0] > first_last["dpd"][1]
    assert first_last["payments_90d"][0] < first_last["payments_90d"][1]
    assert first_last["broken_promises"][0] > first_last["broken_promises"][1]
    assert "noise" not in by_name
    assert {"feature": "noise"}.items() <= next(
        d for d in trained.artifact["dropped"] if d["feature"] == "noise"
    ).items()


def test_a_feature_with_the_wrong_sign_is_dropped() -> None:
    """A feature predictive alone but reversed given another gets a non-positive coefficient: dropped, recorded."""
    rng = np.random.default_rng(5)
    n = 4000
    x1 = rng.normal(0, 1, n)
    x2 = x1 + 0.3 * rng.normal(0, 1, n)
    logit = 3.0 * x1 - 1.6 * x2
    target = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int8)
    rows = pl.DataFrame({ROW_ID: [str(i) for i in range(n)], "x1": x1, "x2": x2, TARGET: target})
    data = TrainingSet(
        kind="application",
        rows=rows,
        numeric=("x1", "x2"),
        categorical=(),
        event="e",
        event_zh="e",
        event_is_good=True,
        dataset="t",
    )
    artifact = scorecard.train(data, seed=1).artifact
    assert [f["name"] for f in artifact["features"]] == ["x1"]
    assert artifact["dropped"][0]["feature"] == "x2"
    assert artifact["dropped"][0]["reason"].startswith("wrong sign")


# ------------------------------------------------------------------------------------ points and probability
@pytest.mark.parametrize("which", ["good_event", "bad_event"])
def test_higher_points_mean_lower_probability_of_the_bad_outcome(
    which: str, trained: scorecard.Trained, bad_event: scorecard.Trained, data: TrainingSet
) -> None:
    """Sorted by points, P(bad) never rises: P(event) rises when the event is good, falls when it is bad."""
    model = trained if which == "good_event" else bad_event
    scored = scorecard.score(model.artifact, data.rows)
    p_bad = (
        (1_000_000 - pl.col("probability_ppm"))
        if model.artifact["event_is_good"]
        else pl.col("probability_ppm")
    )
    by_points = (
        scored.group_by("points").agg(p_bad.min().alias("low"), p_bad.max().alias("high")).sort("points")
    )
    assert by_points.height > 20
    # every P(bad) at a higher score is at most every P(bad) at a lower score
    assert (by_points["high"].to_numpy()[1:] <= by_points["low"].to_numpy()[:-1]).all()


def test_base_odds_sit_at_base_points(trained: scorecard.Trained) -> None:
    """PDO scaling: at base points the odds good:bad are base_odds, at base + PDO they double."""
    s = trained.artifact["scaling"]

    def odds(points: float) -> float:
        return math.exp((points - s["offset"]) / s["factor"])

    assert odds(600) == pytest.approx(50)
    assert odds(620) == pytest.approx(100)


# ------------------------------------------------------------------------------------------------ reason codes
def test_reason_codes_name_the_features_costing_most_points(
    trained: scorecard.Trained, data: TrainingSet
) -> None:
    """Each row's reasons are its features by points lost against the feature's best bin, largest first."""
    artifact = trained.artifact
    scored = scorecard.score(artifact, data.rows.head(300), reasons=2)
    bins = scorecard.bins_frame(artifact, data.rows.head(300))
    for i in range(300):
        losses = []
        for f in artifact["features"]:
            best = max(b["points"] for b in f["bins"] if b["count"] > 0)
            losses.append((best - f["bins"][bins[f["name"]][i]]["points"], f["name"]))
        worst = sorted((loss for loss in losses if loss[0] > 1e-9), key=lambda t: -t[0])[:2]
        assert scored["reasons"][i] == ";".join(name for _, name in worst)


def test_a_row_in_every_best_bin_has_no_reason(trained: scorecard.Trained) -> None:
    """No shortfall, no reason code; the score is then the maximum."""
    artifact = trained.artifact
    row: dict[str, Any] = {}
    for f in artifact["features"]:
        best = max(range(len(f["bins"]) - 1), key=lambda i: f["bins"][i]["points"])
        if f["type"] == "numeric":
            edges = [-1e9, *f["splits"], 1e9]
            row[f["name"]] = (max(edges[best], -1e6) + min(edges[best + 1], 1e6)) / 2
        else:
            row[f["name"]] = f["bins"][best]["categories"][0]
    scored = scorecard.score(artifact, pl.DataFrame([row]))
    assert scored["reasons"][0] == ""


# ------------------------------------------------------------------------------------ vectorised = reference
CHANNELS: list[str | None] = ["app", "branch", "agent", "online", "mars", None]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), reasons=st.integers(0, 5))
def test_score_equals_a_slow_per_row_reference(trained: scorecard.Trained, seed: int, reasons: int) -> None:
    """Random rows with nulls, NaN, extreme values and unknown categories: same points, ppm and reasons."""
    rng = np.random.default_rng(seed)
    n = 40
    frame = pl.DataFrame(
        {
            "dpd": [None if rng.random() < 0.15 else float(rng.integers(-5, 400)) for _ in range(n)],
            "payments_90d": [int(v) for v in rng.integers(0, 12, n)],
            "broken_promises": [None if rng.random() < 0.1 else int(v) for v in rng.integers(0, 6, n)],
            "noise": rng.normal(0, 1, n),
            "channel": [CHANNELS[int(i)] for i in rng.integers(0, len(CHANNELS), n)],
        },
        schema={
            "dpd": pl.Float64,
            "payments_90d": pl.Int64,
            "broken_promises": pl.Int64,
            "noise": pl.Float64,
            "channel": pl.String,
        },
    ).with_columns(
        pl.when(pl.int_range(pl.len()) == 0).then(float("nan")).otherwise(pl.col("dpd")).alias("dpd")
    )
    scored = scorecard.score(trained.artifact, frame, reasons=reasons)
    assert scored.schema == pl.Schema({"points": pl.Int32, "probability_ppm": pl.Int32, "reasons": pl.String})
    for i, row in enumerate(frame.iter_rows(named=True)):
        assert (scored["points"][i], scored["probability_ppm"][i], scored["reasons"][i]) == slow_score(
            trained.artifact, row, reasons
        )


def test_null_goes_to_the_missing_bin_or_the_worst_bin(trained: scorecard.Trained) -> None:
    """dpd had nulls in training: they score in their own bin; payments_90d had none: null scores as worst."""
    by_name = {f["name"]: f for f in trained.artifact["features"]}
    dpd, payments = by_name["dpd"], by_name["payments_90d"]
    assert dpd["missing_fallback"] == "missing"
    assert dpd["bins"][-1]["count"] > 0
    assert payments["missing_fallback"] == "worst"
    assert payments["bins"][-1]["points"] == min(b["points"] for b in payments["bins"][:-1])
    channel = by_name["channel"]
    frame = pl.DataFrame(
        {"dpd": [None], "payments_90d": [None], "broken_promises": [0], "channel": ["unheard-of"]},
        schema={
            "dpd": pl.Float64,
            "payments_90d": pl.Int64,
            "broken_promises": pl.Int64,
            "channel": pl.String,
        },
    )
    bins = scorecard.bins_frame(trained.artifact, frame)
    assert bins["dpd"][0] == len(dpd["bins"]) - 1
    assert bins["channel"][0] == len(channel["bins"]) - 1


def test_score_keeps_row_order_and_refuses_missing_columns(
    trained: scorecard.Trained, data: TrainingSet
) -> None:
    """Scores come back in input order; a frame without a model feature is refused naming it."""
    rows = data.rows.head(50)
    forward = scorecard.score(trained.artifact, rows)
    backward = scorecard.score(trained.artifact, rows.reverse())
    assert forward.reverse().equals(backward)
    with pytest.raises(scorecard.ScorecardError, match="dpd"):
        scorecard.score(trained.artifact, rows.drop("dpd"))
    with pytest.raises(scorecard.ScorecardError, match="format"):
        scorecard.score({"format": "pickle"}, rows)


def test_points_table_lists_every_bin(trained: scorecard.Trained) -> None:
    """One row per bin with count, event rate, WoE and points; counts add up to the training rows."""
    table = scorecard.points_table(trained.artifact)
    assert table.columns[:9] == [
        "feature",
        "label_zh",
        "label_en",
        "bin",
        "label",
        "count",
        "event_rate",
        "woe",
        "points",
    ]
    per_feature = table.group_by("feature").agg(pl.col("count").sum())
    assert set(per_feature["count"]) == {trained.artifact["split"]["train_rows"]}
    assert table.filter(pl.col("feature") == "dpd")["label_zh"][0] == "逾期天数"


# ---------------------------------------------------------------------------------------------------- refusals
@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda rows: rows.with_columns(pl.lit(2, dtype=pl.Int8).alias(TARGET)), "0 or 1"),
        (lambda rows: rows.with_columns(pl.lit(1, dtype=pl.Int8).alias(TARGET)), "both outcomes"),
        (lambda rows: rows.with_columns(pl.lit("same").alias(ROW_ID)), "unique"),
        (lambda rows: rows.drop("dpd"), "dpd"),
        (lambda rows: rows.with_columns(pl.col("dpd").cast(pl.String)), "numeric feature"),
    ],
)
def test_a_training_set_failing_check_is_refused(data: TrainingSet, change: Any, message: str) -> None:
    """``train`` runs ``TrainingSet.check()`` first."""
    with pytest.raises(TrainingSetError, match=message):
        scorecard.train(replace(data, rows=change(data.rows.head(200))), seed=1)


def test_no_usable_feature_is_refused() -> None:
    """Only constant features: every feature dropped, a clear error listing why."""
    rng = np.random.default_rng(1)
    rows = pl.DataFrame(
        {
            ROW_ID: [str(i) for i in range(500)],
            "x": [1.5] * 500,
            "c": ["a"] * 500,
            TARGET: (rng.random(500) < 0.4).astype(np.int8),
        }
    )
    data = TrainingSet(
        kind="application",
        rows=rows,
        numeric=("x",),
        categorical=("c",),
        event="e",
        event_zh="e",
        event_is_good=False,
        dataset="t",
    )
    with pytest.raises(scorecard.ScorecardError, match=r"no feature is left.*x: a single value"):
        scorecard.train(data, seed=1)


def test_metrics_hold_discrimination_calibration_and_stability(trained: scorecard.Trained) -> None:
    """Train and test AUC / KS / Gini, the test calibration table, train→test PSI and per-feature CSI."""
    m = trained.metrics
    for part in ("train", "test"):
        assert 0.6 < m[part]["auc"] < 1
        assert m[part]["gini"] == pytest.approx(2 * m[part]["auc"] - 1)
        assert 0 < m[part]["ks"] < 1
        assert sum(g["count"] for g in m[part]["calibration"]["groups"]) == m[part]["rows"]
    assert m["stability"]["train_to_test"]["reading"] == "stable"
    assert set(m["stability"]["csi"]) == {f["name"] for f in trained.artifact["features"]}
