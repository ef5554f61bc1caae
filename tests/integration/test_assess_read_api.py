"""``GET /api/assess/{application_id}`` (issue 8, docs/api.md): the stored answer of the caller's own
assessment — the very body the POST answered, not scored again (a model activated since changes nothing).
Bearer auth (401); ``assessment.view_assessment`` (risk managers and admins; every other role 403, a
permission refusal that says nothing about the id); another caller's assessment and an unknown id are the
same 404. Reason labels in Chinese by default, English on request; money and PD stay decimal strings (C9).
The admin lists assessments read-only."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from assessment_support import activate, bearer_caller, body
from qingshou.apps.assessment.models import Assessment
from qingshou.apps.audit.models import AuditEvent
from qingshou.apps.scoring.models import ScoreModel

pytestmark = [pytest.mark.db, pytest.mark.django_db]

URL = "/api/assess"


@pytest.fixture
def api(make_user: Any) -> Any:
    """``api(method, username, role, url, payload=None, **headers)`` with a token of that user."""
    return bearer_caller(make_user)


def test_the_stored_answer_is_the_posts_answer(api: Any) -> None:
    activate()
    posted = api("post", "rsk1", "risk_manager", URL, body("APP-7", row=1))
    assert posted.status_code == 201
    read = api("get", "rsk1", "risk_manager", f"{URL}/APP-7")
    assert read.status_code == 200, read.content
    assert read.json() == posted.json()
    assert isinstance(read.json()["price"]["annual_rate"], str)  # C9: decimal strings
    assert isinstance(read.json()["probability_of_default"], str)
    assert AuditEvent.objects.filter(action="assessment.assess").count() == 1  # a read is not an assessment


def test_a_later_model_does_not_change_the_stored_answer(api: Any) -> None:
    activate()
    posted = api("post", "rsk1", "risk_manager", URL, body("APP-1")).json()
    ScoreModel.objects.update(status="retired")
    activate(version=2)
    again = api("get", "rsk1", "risk_manager", f"{URL}/APP-1").json()
    assert again == posted
    assert again["model"]["version"] == 1


def test_labels_follow_the_readers_language(api: Any) -> None:
    activate()
    api("post", "rsk1", "risk_manager", URL, body("APP-1", row=1))
    chinese = api("get", "rsk1", "risk_manager", f"{URL}/APP-1").json()
    english = api("get", "rsk1", "risk_manager", f"{URL}/APP-1", **{"Accept-Language": "en"}).json()
    assert chinese["reasons"]
    assert any("\u4e00" <= char <= "\u9fff" for reason in chinese["reasons"] for char in reason["label"])
    assert all(reason["label"].isascii() for reason in english["reasons"])
    assert [r["code"] for r in english["reasons"]] == [r["code"] for r in chinese["reasons"]]


def test_without_a_token_is_401(api: Any) -> None:
    response = api("get", None, "", f"{URL}/APP-1")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"


@pytest.mark.parametrize(
    "role",
    ["collector", "supervisor", "strategy_owner", "auditor", "agency_user", "legal_officer", "field_agent"],
)
def test_other_roles_are_refused_whatever_the_id(api: Any, role: str) -> None:
    """Least privilege: without ``assessment.view_assessment`` the answer is 403 for an existing id and an
    unknown one alike (a permission refusal reveals nothing about the id)."""
    activate()
    api("post", "rsk1", "risk_manager", URL, body("APP-1"))
    existing = api("get", "other", role, f"{URL}/APP-1")
    unknown = api("get", "other", role, f"{URL}/NOPE")
    assert (existing.status_code, unknown.status_code) == (403, 403)
    assert existing.json() == unknown.json()
    assert existing.json()["code"] == "forbidden"


@pytest.mark.parametrize("reader_role", ["risk_manager", "admin"])
def test_another_callers_assessment_is_as_unknown_as_none(api: Any, reader_role: str) -> None:
    """Only the caller's own assessments: someone else's answers the same 404 as an id never assessed."""
    activate()
    api("post", "rsk1", "risk_manager", URL, body("APP-1"))
    theirs = api("get", "reader", reader_role, f"{URL}/APP-1")
    unknown = api("get", "reader", reader_role, f"{URL}/NOPE")
    assert (theirs.status_code, unknown.status_code) == (404, 404)
    assert theirs.json()["code"] == unknown.json()["code"] == "not_found"
    assert "APP-1" not in unknown.json()["message"]
    own = api("post", "reader", reader_role, URL, body("APP-2"))
    assert own.status_code == 201
    assert api("get", "reader", reader_role, f"{URL}/APP-2").status_code == 200


def test_the_admin_lists_assessments_read_only(api: Any, make_user: Any) -> None:
    activate()
    api("post", "rsk1", "risk_manager", URL, body("APP-1"))
    row = Assessment.objects.get()
    admin = make_user("admin", username="boss")  # staff, with assessment.view_assessment
    client = Client()
    client.force_login(admin)
    listing = client.get("/admin/assessment/assessment/")
    assert listing.status_code == 200
    assert "APP-1" in listing.content.decode()
    detail = client.get(f"/admin/assessment/assessment/{row.pk}/change/")
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()
    assert client.get("/admin/assessment/assessment/add/").status_code == 403
    assert client.post(f"/admin/assessment/assessment/{row.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Assessment.objects.count() == 1
