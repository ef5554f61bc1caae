"""``POST /api/assess`` (issue 8, docs/assessment.md): bearer auth (401), the permission
``assessment.add_assessment`` (risk manager and admin; every other role 403), 503 without an active application
model, validation errors naming the field (422), idempotency per ``application_id`` (200 replay, 409 with
another body), the answer's numbers equal ``scorecard.score`` + ``domain.pricing`` (C4 cap, C9 decimal
strings), reason labels in Chinese by default and English on request, the stored row and its audit event."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from assessment_support import activate, applicant, bearer_caller, body, trained
from qingshou.apps.assessment.models import Assessment
from qingshou.apps.audit.models import AuditEvent
from qingshou.apps.scoring.models import ScoreModel
from qingshou.domain.pricing import PricingPolicy, price_for
from qingshou.risk import scorecard
from qingshou.risk.application import applicant_frame

pytestmark = [pytest.mark.db, pytest.mark.django_db]

URL = "/api/assess"


@pytest.fixture
def post(make_user: Any) -> Any:
    """``post(role_or_None, body, **headers)`` with a token of a user of that role named after it."""
    send = bearer_caller(make_user)
    return lambda role, payload, **headers: send("post", role, role or "", URL, payload, **headers)


def test_without_a_token_is_401(post: Any) -> None:
    activate()
    response = post(None, body())
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("risk_manager", 201),
        ("admin", 201),
        ("collector", 403),
        ("supervisor", 403),
        ("strategy_owner", 403),
        ("auditor", 403),
        ("agency_user", 403),
        ("legal_officer", 403),
    ],
)
def test_only_risk_managers_and_admins_assess(post: Any, role: str, status: int) -> None:
    """Least privilege: the permission ``assessment.add_assessment`` (risk manager, admin); others 403 and
    nothing is stored."""
    activate()
    response = post(role, body())
    assert response.status_code == status, response.content
    assert Assessment.objects.count() == (1 if status == 201 else 0)


def test_without_an_active_model_is_503(post: Any) -> None:
    """No active application model: 503 with a clear code, nothing stored."""
    ScoreModel.objects.create(
        kind="application", version=1, status="trained", dataset="d", seed=1, rows=1, events=1,
        artifact=trained().artifact, artifact_sha256="0" * 64,
    )  # fmt: skip
    response = post("risk_manager", body())
    assert response.status_code == 503
    assert response.json()["code"] == "no_active_model"
    assert "activate" in response.json()["message"]
    assert not Assessment.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"amount": "12.345"}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"amount": "-5.00"}, "amount"),
        ({"term_months": 0}, "term_months"),
        ({"application_id": ""}, "application_id"),
        ({"product_id": "NOPE"}, "product_id"),
        ({"applicant": {**applicant(), "duration": "24"}}, "applicant.duration"),
        ({"applicant": {**applicant(), "age": True}}, "applicant.age"),
        ({"applicant": {**applicant(), "purpose": 3}}, "applicant.purpose"),
        ({"applicant": {**applicant(), "salary": 1000}}, "applicant.salary"),
    ],
)
def test_bad_input_is_422_naming_the_field(post: Any, changes: dict[str, Any], field: str) -> None:
    """C9: money as a decimal string with at most two places; a feature given as the wrong type (a number as
    text) or unknown to the model is refused naming the field; nothing is stored."""
    activate()
    response = post("risk_manager", body(**changes))
    assert response.status_code == 422, response.content
    assert response.json()["field"] == field
    assert not Assessment.objects.exists()


def test_missing_term_is_422(post: Any) -> None:
    activate()
    payload = body()
    del payload["term_months"]
    response = post("risk_manager", payload)
    assert response.status_code == 422
    assert response.json()["field"] == "term_months"


def test_answer_equals_scorecard_and_pricing(post: Any) -> None:
    """The grade, PD, points, reasons and price are exactly ``scorecard.score`` of the applicant's features and
    ``domain.pricing.price_for`` of its PD (default policy; C4 licensed cap 24 %, C9 decimal strings)."""
    model = activate()
    response = post("risk_manager", body(row=1))
    assert response.status_code == 201
    answer = response.json()
    features = {**applicant(1), "duration": applicant(1)["duration"]}
    frame = applicant_frame(model.artifact, features)
    scored = scorecard.score(model.artifact, frame).row(0, named=True)
    probability = Decimal(scored["probability_ppm"]) / Decimal(1_000_000)
    price = price_for(probability, PricingPolicy(), term_months=24)
    assert answer["points"] == scored["points"]
    assert answer["probability_ppm"] == scored["probability_ppm"]
    assert answer["probability_of_default"] == str(probability.quantize(Decimal("0.0001")))
    assert answer["grade"] == price.grade
    assert answer["price"]["annual_rate"] == str(price.annual_rate)
    assert answer["price"]["cap"] == "0.24"
    assert answer["decision"] == str(price.decision)
    assert Decimal(answer["price"]["annual_rate"]) <= Decimal("0.24")
    assert [reason["code"] for reason in answer["reasons"]] == [c for c in scored["reasons"].split(";") if c]
    assert all(reason["points_short"] > 0 for reason in answer["reasons"])
    assert answer["model"] == {"kind": "application", "version": 1}
    components = answer["price"]["components"]
    assert set(components) == {"expected_loss", "funding", "operating", "margin"}


def test_reason_labels_are_chinese_by_default_and_english_on_request(post: Any) -> None:
    activate()
    chinese = post("risk_manager", body(row=1)).json()
    english = post("risk_manager", body(row=1), **{"Accept-Language": "en"}).json()
    assert chinese["reasons"], "the applicant should have reasons"
    labels = {reason["code"]: reason["label"] for reason in chinese["reasons"]}
    assert any("\u4e00" <= char <= "\u9fff" for label in labels.values() for char in label)
    assert {reason["code"]: reason["label"] for reason in english["reasons"]} != labels
    assert all(label.isascii() for label in (reason["label"] for reason in english["reasons"]))


def test_same_application_id_is_idempotent(post: Any) -> None:
    """The same id and body answer the stored assessment (200, replayed); another body is 409; one row and one
    audit event in all."""
    activate()
    first = post("risk_manager", body())
    again = post("risk_manager", body())
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert (first["Idempotent-Replayed"], again["Idempotent-Replayed"]) == ("false", "true")
    conflict = post("risk_manager", body(amount="6000.00"))
    assert conflict.status_code == 409
    assert conflict.json()["code"] == "idempotency_conflict"
    assert conflict.json()["field"] == "application_id"
    assert Assessment.objects.count() == 1
    assert AuditEvent.objects.filter(action="assessment.assess").count() == 1


def test_stored_row_and_audit(post: Any) -> None:
    """The row keeps the model's features only (no personal data), the PD in ppm, the price; audited with the
    actor."""
    model = activate()
    answer = post("risk_manager", body(row=1)).json()
    row = Assessment.objects.get()
    assert row.model_id == model.pk
    assert row.probability_ppm == answer["probability_ppm"]
    assert row.amount_fen == 500000
    assert str(row.annual_rate) == answer["price"]["annual_rate"]
    assert set(row.features) == {feature["name"] for feature in model.artifact["features"]}
    event = AuditEvent.objects.get(action="assessment.assess")
    assert event.actor_name == "risk_manager"
    assert event.detail["grade"] == answer["grade"]


def test_grade_above_the_cap_is_declined_at_the_cap(post: Any, settings: Any) -> None:
    """C4: a private lender with LPR 1 % may charge at most 4 %: every grade needs more, so the answer is
    ``decline`` with the reason, and the quoted rate is the cap, never above."""
    settings.QINGSHOU_PRICING = {"lender": "private", "lpr": "0.01"}
    activate()
    answer = post("risk_manager", body()).json()
    assert answer["decision"] == "decline"
    assert answer["price"]["capped"] is True
    assert answer["price"]["annual_rate"] == "0.0400"
    assert "C4" in answer["price"]["reason"]


def test_request_fields_fill_the_model_features(post: Any) -> None:
    """``amount`` and ``term_months`` of the request fill German Credit's ``amount`` / ``duration`` when the
    applicant omits them."""
    activate()
    features = applicant(1)
    del features["amount"], features["duration"]
    answer = post("risk_manager", body(row=1, applicant=features, amount="1234.00", term_months=18)).json()
    stored = Assessment.objects.get(application_id=answer["application_id"]).features
    assert (stored["amount"], stored["duration"]) == (1234, 18)


def test_openapi_lists_the_endpoint() -> None:
    """The endpoint is documented in the OpenAPI schema, money and PD as strings (C9)."""
    schema = Client().get("/api/openapi.json").json()
    assert "post" in schema["paths"]["/api/assess"]
    body_schema = schema["components"]["schemas"]["AssessIn"]["properties"]
    assert body_schema["amount"]["type"] == "string"
    assert (
        schema["components"]["schemas"]["AssessOut"]["properties"]["probability_of_default"]["type"]
        == "string"
    )
