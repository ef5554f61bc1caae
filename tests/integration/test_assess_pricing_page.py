"""The read-only pricing page (issue 8, ``/assessment/pricing/``): risk managers and admins see the grade → rate
table within the legal cap (C4) and the latest assessments; every other role gets 404 (no model internals for
collectors or agency users); Chinese by default."""

from __future__ import annotations

from typing import Any

import pytest

from assessment_support import activate
from qingshou.apps.accounts.roles import Role

pytestmark = [pytest.mark.db, pytest.mark.django_db]

URL = "/assessment/pricing/"


@pytest.mark.parametrize("role", [Role.RISK_MANAGER, Role.ADMIN])
def test_risk_managers_and_admins_see_the_table(role: Role, make_user: Any, client_for: Any) -> None:
    activate()
    response = client_for(make_user(role)).get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-grade="A"' in html
    assert 'data-grade="E"' in html
    assert "24.00%" in html
    assert "风险定价" in html


@pytest.mark.parametrize(
    "role",
    [Role.COLLECTOR, Role.SUPERVISOR, Role.AGENCY_USER, Role.FIELD_AGENT, Role.AUDITOR, Role.STRATEGY_OWNER],
)
def test_other_roles_get_404(role: Role, make_user: Any, client_for: Any) -> None:
    assert client_for(make_user(role)).get(URL).status_code == 404


def test_term_changes_nothing_with_a_twelve_month_horizon_and_bad_term_falls_back(
    make_user: Any, client_for: Any
) -> None:
    """With the default 12-month PD horizon the rates do not depend on the term; an unknown term is 12."""
    client = client_for(make_user(Role.RISK_MANAGER))
    assert client.get(URL, {"term": "36"}).status_code == 200
    assert client.get(URL, {"term": "x"}).context["term"] == 12


def test_private_lender_without_lpr_is_a_clear_error(make_user: Any, client_for: Any, settings: Any) -> None:
    """C4: a private lender's cap needs the LPR; without it the page says so (503), it does not guess."""
    settings.QINGSHOU_PRICING = {"lender": "private"}
    response = client_for(make_user(Role.RISK_MANAGER)).get(URL)
    assert response.status_code == 503
    assert "LPR" in response.content.decode()
