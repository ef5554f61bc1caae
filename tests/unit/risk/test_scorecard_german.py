"""The application scorecard on German Credit (``qingshou.risk.application.german_credit``, 1,000 applicants,
event = default): it discriminates on the test part (AUC > 0.7 is typical for this data), higher points mean a
lower probability of default, and training is deterministic. No database."""

from __future__ import annotations

import json

import numpy as np
import pytest

from qingshou.risk import scorecard

application = pytest.importorskip("qingshou.risk.application")


@pytest.fixture(scope="module")
def trained() -> scorecard.Trained:
    return scorecard.train(application.german_credit(), seed=1)


def test_german_credit_discriminates_on_the_test_part(trained: scorecard.Trained) -> None:
    """Test AUC above 0.7; train → test PSI stable (a random split)."""
    assert trained.artifact["split"]["method"] == "random"
    assert trained.metrics["test"]["auc"] > 0.7
    assert trained.metrics["stability"]["train_to_test"]["reading"] == "stable"
    assert trained.rows == 1000
    assert trained.events == 300


def test_higher_points_mean_a_lower_probability_of_default(trained: scorecard.Trained) -> None:
    """The event is the bad outcome: P(event) never rises with the points."""
    data = application.german_credit()
    scored = scorecard.score(trained.artifact, data.rows).sort("points")
    points = scored["points"].to_numpy()
    ppm = scored["probability_ppm"].to_numpy()
    for lower, higher in zip(np.unique(points)[:-1], np.unique(points)[1:], strict=True):
        assert ppm[points == higher].max() <= ppm[points == lower].min()


def test_german_credit_training_is_deterministic(trained: scorecard.Trained) -> None:
    """Same seed, byte-identical artifact."""
    again = scorecard.train(application.german_credit(), seed=1)
    assert json.dumps(again.artifact, sort_keys=True) == json.dumps(trained.artifact, sort_keys=True)
