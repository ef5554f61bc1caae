"""Reads of the assessment app: the pricing table of the settings, the latest assessments (the pricing page) and
one caller's own stored assessment (``GET /api/assess/{application_id}``)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from qingshou.apps.assessment.conf import pricing_settings
from qingshou.apps.assessment.models import Assessment
from qingshou.apps.scoring.models import ModelKind, ScoreModel
from qingshou.domain.pricing import Price, PricingPolicy, price_table


@dataclass(frozen=True, slots=True)
class PricingView:
    """What the pricing page shows: the policy, the cap, each grade's price for ``term_months``."""

    policy: PricingPolicy
    lpr: Decimal | None
    term_months: int
    prices: list[Price]
    cap: Decimal
    active_model: ScoreModel | None


def pricing_view(term_months: int = 12) -> PricingView:
    """The grade → rate table of ``QINGSHOU_PRICING`` (``qingshou.domain.pricing``) and the active model."""
    settings = pricing_settings()
    prices = price_table(settings.policy, term_months=term_months, lpr=settings.lpr)
    active = ScoreModel.objects.filter(kind=ModelKind.APPLICATION, status=ScoreModel.Status.ACTIVE).first()
    return PricingView(settings.policy, settings.lpr, term_months, prices, prices[0].cap, active)


def latest_assessments(limit: int = 20) -> QuerySet[Assessment]:
    """The latest assessments, newest first."""
    return Assessment.objects.select_related("requested_by").order_by("-created_at", "-pk")[:limit]


def own_assessment(user: Any, application_id: str) -> Assessment | None:
    """The assessment of ``application_id`` when ``user`` requested it (None otherwise: another caller's
    assessment is as unknown as one never made)."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Assessment.objects.filter(application_id=application_id, requested_by=user).first()
