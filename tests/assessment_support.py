"""Helpers of the assessment tests (issue 8): the German Credit scorecard trained once, an applicant as JSON
gives it, a request body, and an active application model in the database."""

from __future__ import annotations

import functools
from typing import Any

from qingshou.apps.scoring.models import ScoreModel
from qingshou.risk import scorecard
from qingshou.risk.application import german_credit
from qingshou.risk.dataset import ROW_ID, TARGET


@functools.cache
def trained() -> scorecard.Trained:
    """The German Credit scorecard (seed 1), trained once per session."""
    return scorecard.train(german_credit(), seed=1)


def applicant(row: int = 0) -> dict[str, Any]:
    """German Credit applicant ``row`` as JSON would give it."""
    data = german_credit().rows.drop(ROW_ID, TARGET).row(row, named=True)
    return dict(data)


def body(application_id: str = "APP-1", row: int = 0, **changes: Any) -> dict[str, Any]:
    return {
        "application_id": application_id,
        "term_months": 24,
        "amount": "5000.00",
        "applicant": applicant(row),
        **changes,
    }


def activate(version: int = 1) -> ScoreModel:
    result = trained()
    return ScoreModel.objects.create(
        kind="application",
        version=version,
        status="active",
        dataset=german_credit().dataset,
        seed=1,
        rows=result.rows,
        events=result.events,
        artifact=result.artifact,
        artifact_sha256="0" * 64,
        metrics={},
    )
