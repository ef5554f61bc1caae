"""What the monthly report and the dashboards read from the Django settings for the month's metrics.

| setting | meaning |
| --- | --- |
| ``QINGSHOU_UNIT_COSTS`` | unit costs in yuan as decimal strings: ``{"sms": "0.05", "letter": "5.00", "email": "0.01", "contact": "3.00", "visit": "100.00"}`` (any key left out keeps that default; ``analytics.ops_frames.OpsSettings``) — the cost-to-collect table and the daily plan's costs (apps.planning) |
| ``QINGSHOU_PRICING`` | the pricing policy (apps.assessment.conf): the report's pricing table prices its grades with the same funding, operating cost, margin, lender kind, cap and LPR as ``POST /api/assess`` |

A float, an unknown key or a bad amount is an ``ImproperlyConfigured`` error naming the key (C9: money is never
a float).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from qingshou.analytics.ops_frames import OpsSettings, UnitCostError
from qingshou.analytics.pricing import PricingParameters
from qingshou.apps.assessment.conf import pricing_settings
from qingshou.domain.errors import DomainError

if TYPE_CHECKING:
    from qingshou.analytics.month import MonthSettings

UNIT_COSTS = "QINGSHOU_UNIT_COSTS"


def unit_costs() -> OpsSettings:
    """``QINGSHOU_UNIT_COSTS`` over the defaults (module docstring)."""
    raw = getattr(settings, UNIT_COSTS, None)
    try:
        return OpsSettings.from_unit_costs(raw)
    except UnitCostError as error:
        raise ImproperlyConfigured(f"{UNIT_COSTS}[{error.key!r}]: {error.reason}") from None


def pricing_parameters() -> PricingParameters:
    """The report's pricing parameters under ``QINGSHOU_PRICING`` (its policy and LPR)."""
    chosen = pricing_settings()
    try:
        return PricingParameters(policy=chosen.policy, lpr=chosen.lpr)
    except DomainError as error:
        raise ImproperlyConfigured(f"QINGSHOU_PRICING[{error.field!r}]: {error.message}") from None


def month_settings() -> MonthSettings:
    """The month's metric settings from the Django settings (``analytics.month`` imported on use: the planning
    app reads only the unit costs)."""
    from qingshou.analytics.month import MonthSettings

    return MonthSettings(ops=unit_costs(), pricing=pricing_parameters())
