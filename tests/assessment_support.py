"""Helpers of the assessment tests (issue 8): the German Credit scorecard trained once, an applicant as JSON
gives it, a request body, an active application model in the database, and an API caller with a bearer
token per user."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from django.test import Client

from qingshou.apps.api.tokens import create_token
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


def bearer_caller(make_user: Callable[..., Any]) -> Callable[..., Any]:
    """``send(method, username, role, url, payload=None, **headers)``: a JSON request with a token of
    ``username`` (a user of ``role`` made on first use; ``username`` None: no token). Headers by name
    (``**{"Accept-Language": "en"}``)."""
    client = Client()
    keys: dict[str, str] = {}

    def send(
        method: str, username: str | None, role: str, url: str, payload: Any = None, **headers: str
    ) -> Any:
        extra: dict[str, Any] = {
            f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()
        }
        if username is not None:
            if username not in keys:
                make_user(role, username=username)
                keys[username] = create_token(username, "test").key
            extra["HTTP_AUTHORIZATION"] = f"Bearer {keys[username]}"
        if method == "post":
            return client.post(url, json.dumps(payload), content_type="application/json", **extra)
        return client.get(url, **extra)

    return send
