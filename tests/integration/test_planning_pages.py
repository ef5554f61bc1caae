"""The daily plans pages (apps.planning.views): risk managers, admins and supervisors read the recent planned
days and one day's comparison by channel; collectors, field agents, agency users and auditors get 404 (model
internals are not theirs to see); anonymous users are sent to log in."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from qingshou.apps.accounts.roles import Role
from qingshou.apps.planning.models import PlanItem, PlanRun
from qingshou.apps.planning.services import PlanningError, PlanSettings, default_capacity

pytestmark = [pytest.mark.db, pytest.mark.django_db]

DAY = date(2026, 6, 30)


@pytest.fixture
def runs() -> None:
    for method, chosen, value, cost in (("greedy", 2, 150_000, 10_300), ("optimised", 2, 190_000, 600)):
        run = PlanRun.objects.create(
            day=DAY,
            method=method,
            status="greedy" if method == "greedy" else "optimal",
            candidates=3,
            chosen=chosen,
            value_fen=value,
            cost_fen=cost,
            net_fen=value - cost,
            bound_fen=value - cost,
            gap_ppm=0,
            capacity={"collector_minutes": 240, "sms": None},
            used={"collector_minutes": 240 if method == "greedy" else 12, "sms": 1},
            seconds=0.1,
        )
        items = [
            (1, "B1", "field_visit", 100_000, 10_000, 240, method == "greedy"),
            (2, "B2", "call", 90_000, 300, 6, method == "optimised"),
            (3, "B3", "call", 90_000, 300, 6, method == "optimised"),
            (4, "B3", "sms", 50_000, 5, 0, True),
        ]
        for action, borrower, channel, item_value, item_cost, minutes, taken in items:
            PlanItem.objects.create(
                run=run,
                action_id=action,
                borrower_id=borrower,
                channel=channel,
                value_fen=item_value,
                cost_fen=item_cost,
                minutes=minutes,
                chosen=taken,
            )


@pytest.mark.parametrize("role", [Role.RISK_MANAGER, Role.ADMIN, Role.SUPERVISOR])
def test_readers_see_the_days_and_one_days_comparison(
    role: Role, runs: None, make_user: Callable[..., Any], client_for: Callable[[Any], Client]
) -> None:
    client = client_for(make_user(role))
    listing = client.get(reverse("planning:plans"))
    assert listing.status_code == 200
    html = listing.content.decode()
    assert 'data-day="2026-06-30"' in html
    assert "1,397.00" in html  # strategy net 139,700 fen
    assert "1,894.00" in html  # optimised net 189,400 fen
    assert "497.00" in html  # the gain
    page = client.get(reverse("planning:plan", args=[DAY.isoformat()]))
    assert page.status_code == 200
    detail = page.content.decode()
    assert 'data-channel="call"' in detail
    assert 'data-channel="field_visit"' in detail
    assert "B1" not in detail  # no borrower-level rows


@pytest.mark.parametrize("role", [Role.COLLECTOR, Role.FIELD_AGENT, Role.AGENCY_USER, Role.AUDITOR])
def test_other_roles_get_404(
    role: Role, runs: None, make_user: Callable[..., Any], client_for: Callable[[Any], Client]
) -> None:
    client = client_for(make_user(role))
    assert client.get(reverse("planning:plans")).status_code == 404
    assert client.get(reverse("planning:plan", args=[DAY.isoformat()])).status_code == 404


def test_anonymous_is_sent_to_log_in(runs: None) -> None:
    response = Client().get(reverse("planning:plans"))
    assert response.status_code == 302


def test_unknown_or_bad_day_is_404(
    runs: None, make_user: Callable[..., Any], client_for: Callable[[Any], Client]
) -> None:
    client = client_for(make_user(Role.RISK_MANAGER))
    assert client.get(reverse("planning:plan", args=["2026-06-29"])).status_code == 404
    assert client.get(reverse("planning:plan", args=["not-a-day"])).status_code == 404


def test_empty_listing(make_user: Callable[..., Any], client_for: Callable[[Any], Client]) -> None:
    page = client_for(make_user(Role.RISK_MANAGER)).get(reverse("planning:plans"))
    assert page.status_code == 200
    assert 'data-day="' not in page.content.decode()


def test_settings_merge_and_refuse_bad_values(settings: Any, make_user: Callable[..., Any]) -> None:
    """``QINGSHOU_PLAN`` merges channel effects key by key and names a bad key or rate; collector minutes
    default to the active collectors × minutes per collector."""
    settings.QINGSHOU_PLAN = {"effect_ppm": {"call": 400_000}, "minutes_per_collector": 300}
    chosen = PlanSettings.from_settings()
    assert chosen.effect_ppm["call"] == 400_000
    assert chosen.effect_ppm["sms"] == 100_000
    make_user(Role.COLLECTOR)
    make_user(Role.COLLECTOR)
    make_user(Role.SUPERVISOR)
    settings.QINGSHOU_PLAN_CAPACITY = {"sms": 50}
    capacity = default_capacity(chosen)
    assert capacity.collector_minutes == 600
    assert capacity.sms == 50
    assert capacity.letters == 2000
    settings.QINGSHOU_PLAN = {"colour": 1}
    with pytest.raises(PlanningError, match="unknown keys \\['colour'\\]"):
        PlanSettings.from_settings()
    settings.QINGSHOU_PLAN = {"effect_ppm": {"call": 2_000_000}}
    with pytest.raises(PlanningError, match="call"):
        PlanSettings.from_settings()
    settings.QINGSHOU_PLAN = {}
    settings.QINGSHOU_PLAN_CAPACITY = {"faxes": 1}
    with pytest.raises(PlanningError, match="faxes"):
        default_capacity()
