"""The models page (apps.scoring.views): risk managers and admins list versions with AUC / KS / PSI, read a
version's scorecard and activate a version (POST with CSRF, audited); every other role gets 404."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from qingshou.apps.accounts.roles import Role
from qingshou.apps.audit.models import AuditEvent
from qingshou.apps.scoring.models import ScoreModel
from qingshou.apps.scoring.services import models as services
from qingshou.risk.synthetic import synthetic_training_set

pytestmark = [pytest.mark.db, pytest.mark.django_db]

DATA = synthetic_training_set(rows=1200, seed=31)


@pytest.fixture
def versions() -> list[ScoreModel]:
    return [services.train_model("collection", services.TrainOptions(seed=s), data=DATA) for s in (1, 2)]


@pytest.mark.parametrize("role", [Role.RISK_MANAGER, Role.ADMIN])
def test_managers_list_read_and_activate(
    role: Role, versions: list[ScoreModel], make_user: Callable[..., Any], client_for: Callable[[Any], Client]
) -> None:
    """The list shows each version's test AUC; the detail its points; activation retires the previous one."""
    user = make_user(role)
    client = client_for(user)
    page = client.get(reverse("scoring:models"))
    assert page.status_code == 200
    html = page.content.decode()
    assert f"{versions[0].metrics['test']['auc']:.3f}" in html
    assert 'data-model="collection-2"' in html
    detail = client.get(reverse("scoring:model", args=["collection", 1]))
    assert detail.status_code == 200
    assert "dpd" in detail.content.decode() or "逾期天数" in detail.content.decode()
    done = client.post(reverse("scoring:activate", args=["collection", 1]), {"reason": "first"})
    assert done.status_code == 302
    client.post(reverse("scoring:activate", args=["collection", 2]), {"reason": "second"})
    assert dict(ScoreModel.objects.values_list("version", "status")) == {1: "retired", 2: "active"}
    event = AuditEvent.objects.filter(action="scoring.activate").latest("pk")
    assert (event.actor, event.reason, event.detail["retired"]) == (user, "second", [1])


@pytest.mark.parametrize(
    "role",
    [Role.COLLECTOR, Role.SUPERVISOR, Role.AGENCY_USER, Role.AUDITOR, Role.STRATEGY_OWNER, Role.FIELD_AGENT],
)
def test_other_roles_get_404(
    role: Role, versions: list[ScoreModel], make_user: Callable[..., Any], client_for: Callable[[Any], Client]
) -> None:
    """Model internals stay with risk managers and admins: list, detail and activation are 404."""
    client = client_for(make_user(role))
    assert client.get(reverse("scoring:models")).status_code == 404
    assert client.get(reverse("scoring:model", args=["collection", 1])).status_code == 404
    assert client.post(reverse("scoring:activate", args=["collection", 1])).status_code == 404
    assert not ScoreModel.objects.filter(status="active").exists()


def test_activation_needs_post_and_csrf(versions: list[ScoreModel], make_user: Callable[..., Any]) -> None:
    """GET is not allowed; a POST without the CSRF token is refused; an unknown version is 404."""
    user = make_user(Role.RISK_MANAGER)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.get(reverse("scoring:activate", args=["collection", 1])).status_code == 405
    assert client.post(reverse("scoring:activate", args=["collection", 1])).status_code == 403
    assert not ScoreModel.objects.filter(status="active").exists()
    plain = Client()
    plain.force_login(user)
    assert plain.post(reverse("scoring:activate", args=["collection", 9])).status_code == 404
    assert plain.get(reverse("scoring:model", args=["marketing", 1])).status_code == 404


def test_anonymous_users_are_sent_to_log_in(versions: list[ScoreModel]) -> None:
    response = Client().get(reverse("scoring:models"))
    assert response.status_code == 302
    assert "login" in response["Location"]
