"""What the report, the dashboards and the daily plan read from the settings (issue 8): ``QINGSHOU_UNIT_COSTS``
(unit costs in yuan as decimal strings, C9: never a float) and ``QINGSHOU_PRICING`` (the report's pricing table
prices with the same policy as ``POST /api/assess``). No database: the Django settings only."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from qingshou.analytics.month import MonthSettings
from qingshou.analytics.ops_frames import OpsSettings
from qingshou.apps.dashboards import data as dashboard_data
from qingshou.apps.planning.services import PlanSettings, _unit_costs
from qingshou.apps.reports.conf import month_settings, pricing_parameters, unit_costs
from qingshou.domain.pricing import Lender


def test_unit_costs_default_without_the_setting(settings: Any) -> None:
    settings.QINGSHOU_UNIT_COSTS = None
    assert unit_costs() == OpsSettings()
    assert _unit_costs(PlanSettings())["sms"] == 5


def test_unit_costs_setting_reaches_the_report_and_the_plan(settings: Any) -> None:
    """The same unit costs for the report's cost-to-collect table and the plan's candidates."""
    settings.QINGSHOU_UNIT_COSTS = {"sms": "0.08", "contact": "2.50", "visit": "150"}
    chosen = month_settings()
    assert (chosen.ops.sms_fen, chosen.ops.contact_fen, chosen.ops.visit_fen) == (8, 250, 15000)
    assert chosen.ops.letter_fen == 500  # left out: the default
    costs = _unit_costs(PlanSettings())
    assert (costs["sms"], costs["call"], costs["field_visit"], costs["letter"]) == (8, 250, 15000, 500)


@pytest.mark.parametrize(
    ("value", "key", "reason"),
    [
        ({"sms": 0.05}, "sms", "not a float"),
        ({"letter": "5,00"}, "letter", "not an amount in yuan"),
        ({"visit": "-100"}, "visit", "non-negative"),
        ({"sms": "0.055"}, "sms", "whole fen"),
        ({"phone": "1"}, "phone", "unknown unit cost"),
    ],
)
def test_a_bad_unit_cost_is_an_error_naming_the_key(settings: Any, value: Any, key: str, reason: str) -> None:
    """C9: a float or a bad amount is refused, naming the key, by every reader of the setting."""
    settings.QINGSHOU_UNIT_COSTS = value
    for read in (unit_costs, lambda: _unit_costs(PlanSettings())):
        with pytest.raises(ImproperlyConfigured, match=rf"QINGSHOU_UNIT_COSTS\['{key}'\]: .*{reason}"):
            read()


def test_the_pricing_table_follows_qingshou_pricing(settings: Any) -> None:
    """C4: the report prices with the assessment's policy (rates, lender, cap, LPR)."""
    settings.QINGSHOU_PRICING = {"funding_rate": "0.04", "lender": "private", "lpr": "0.031"}
    parameters = pricing_parameters()
    assert parameters.policy.funding_rate == Decimal("0.04")
    assert parameters.policy.lender is Lender.PRIVATE
    assert parameters.lpr == Decimal("0.031")
    settings.QINGSHOU_PRICING = {"lender": "private"}
    with pytest.raises(ImproperlyConfigured, match="lpr"):
        pricing_parameters()


@dataclass
class _Captured:
    settings: MonthSettings | None = None


def test_the_dashboards_build_the_month_with_the_settings(settings: Any, monkeypatch: Any) -> None:
    settings.QINGSHOU_UNIT_COSTS = {"letter": "8"}
    captured = _Captured()

    def build(sources: Any, chosen: MonthSettings | None = None) -> Any:
        captured.settings = chosen
        return "month"

    monkeypatch.setattr("qingshou.analytics.month.build_month", build)
    assert dashboard_data.build_month(object()) == "month"  # type: ignore[arg-type,comparison-overlap]
    assert captured.settings is not None
    assert captured.settings.ops.letter_fen == 800
