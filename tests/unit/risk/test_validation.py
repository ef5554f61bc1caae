"""Validation measures (``qingshou.risk.validation``) against hand-worked examples: AUC by counting pairs, KS,
Gini, Brier, Hosmer–Lemeshow, PSI worked by hand, the PSI reading. No database."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import roc_auc_score

from qingshou.risk import validation


def test_auc_by_counting_pairs() -> None:
    """Events 0.9, 0.4 and non-events 0.8, 0.1: 3 of 4 pairs ordered right → 0.75."""
    assert validation.auc([1, 0, 1, 0], [0.9, 0.8, 0.4, 0.1]) == pytest.approx(0.75)


def test_auc_counts_a_tie_as_one_half() -> None:
    """Events 0.5, 0.9; non-events 0.5, 0.2: pairs 0.5, 1, 1, 1 → 3.5 / 4."""
    assert validation.auc([1, 1, 0, 0], [0.5, 0.9, 0.5, 0.2]) == pytest.approx(0.875)


def test_auc_needs_both_outcomes() -> None:
    assert validation.auc([1, 1], [0.2, 0.3]) is None
    assert validation.gini(None) is None


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 100_000))
def test_auc_equals_pair_counting_on_random_data(seed: int) -> None:
    """The rank formula equals counting every (event, non-event) pair, and scikit-learn's AUC."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 30)
    if y.min() == y.max():
        y[0] = 1 - y[0]
    p = rng.integers(0, 8, 30) / 8  # many ties
    pairs = [(1.0 if a > b else 0.5 if a == b else 0.0) for a in p[y == 1] for b in p[y == 0]]
    assert validation.auc(y, p) == pytest.approx(sum(pairs) / len(pairs))
    assert validation.auc(y, p) == pytest.approx(roc_auc_score(y, p))


def test_ks_by_hand() -> None:
    """Sorted 0.1(n) 0.4(e) 0.8(n) 0.9(e): cumulative events 0, .5, .5, 1; non-events .5, .5, 1, 1 → KS 0.5."""
    assert validation.ks([1, 0, 1, 0], [0.9, 0.8, 0.4, 0.1]) == pytest.approx(0.5)
    assert validation.ks([1, 1, 0, 0], [0.9, 0.8, 0.2, 0.1]) == pytest.approx(1.0)


def test_ks_evaluates_ties_together() -> None:
    """All predictions equal: the distributions never separate → 0."""
    assert validation.ks([1, 0, 1, 0], [0.5, 0.5, 0.5, 0.5]) == pytest.approx(0.0)


def test_gini_is_twice_auc_minus_one() -> None:
    assert validation.gini(0.75) == pytest.approx(0.5)


def test_brier_by_hand() -> None:
    """((0.8−1)² + (0.3−0)²) / 2 = (0.04 + 0.09) / 2 = 0.065."""
    assert validation.brier([1, 0], [0.8, 0.3]) == pytest.approx(0.065)


def test_calibration_table_and_hosmer_lemeshow_by_hand() -> None:
    """Two groups of two: low (0.1, 0.3; 0 events) and high (0.6, 0.8; 2 events).
    Low: E = 0.4, O = 0, HL part 0.16 / (0.4 · 0.8) = 0.5; high: E = 1.4, O = 2, 0.36 / (1.4 · 0.3) = 0.857142…"""
    result = validation.calibration([0, 0, 1, 1], [0.1, 0.3, 0.6, 0.8], groups=2)
    low, high = result["groups"]
    assert (low["count"], low["predicted"], low["observed"]) == (2, pytest.approx(0.2), 0.0)
    assert (high["count"], high["predicted"], high["observed"]) == (2, pytest.approx(0.7), 1.0)
    assert result["hosmer_lemeshow"] == pytest.approx(0.5 + 0.36 / 0.42)
    assert result["brier"] == pytest.approx((0.01 + 0.09 + 0.16 + 0.04) / 4)
    assert 0 <= result["hl_pvalue"] <= 1


def test_psi_by_hand() -> None:
    """Shares 0.5 / 0.3 / 0.2 then 0.4 / 0.3 / 0.3: (−0.1)·ln 0.8 + 0 + 0.1·ln 1.5 = 0.062861…"""
    value = validation.psi_from_counts([50, 30, 20], [40, 30, 30])
    assert value == pytest.approx(-0.1 * math.log(0.8) + 0.1 * math.log(1.5))
    assert value == pytest.approx(0.0628608, abs=1e-6)
    assert validation.psi_from_counts([1, 1], [1, 1]) == 0.0


def test_psi_floors_an_empty_band() -> None:
    """An empty band counts as a share of 0.0001 instead of giving an infinite PSI."""
    value = validation.psi_from_counts([50, 50], [100, 0])
    assert value == pytest.approx((1 - 0.5) * math.log(1 / 0.5) + (0.0001 - 0.5) * math.log(0.0001 / 0.5))


@pytest.mark.parametrize(
    ("value", "reading"),
    [(0.0, "stable"), (0.099, "stable"), (0.1, "watch"), (0.249, "watch"), (0.25, "shift"), (None, "n/a")],
)
def test_psi_reading(value: float | None, reading: str) -> None:
    """The usual reading: below 0.1 stable, to 0.25 watch, above shifted."""
    assert validation.psi_reading(value) == reading


def test_psi_bands_come_from_the_training_scores() -> None:
    """Deciles of 1..100 cut at 11, 21, …, 91; a copy of the training scores has PSI 0, a shifted one does not."""
    train = np.arange(1, 101)
    cuts = validation.score_bands(train)
    assert cuts == [10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0]
    assert validation.band_counts(train, cuts) == [9] + [10] * 8 + [11]
    assert validation.psi(train, train)["psi"] == 0.0
    shifted = validation.psi(train, train + 30)
    assert shifted["psi"] > 0.25
    assert shifted["reading"] == "shift"
    assert sum(shifted["actual"]) == 100


def test_roc_curve_runs_from_zero_to_one() -> None:
    fpr, tpr = validation.roc_curve([1, 0, 1, 0], [0.9, 0.8, 0.4, 0.1])
    assert (fpr[0], tpr[0], fpr[-1], tpr[-1]) == (0.0, 0.0, 1.0, 1.0)
    assert tpr == [0.0, 0.5, 0.5, 1.0, 1.0]
