"""The pricing page (read-only): the grade → annual rate table of ``QINGSHOU_PRICING`` with its components and
the legal cap (C4), and the latest assessments. Only holders of ``assessment.view_assessment`` (risk managers,
admins) see it; for everyone else it does not exist (404). Collectors and agency users never see model
internals."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from qingshou.apps.assessment import selectors
from qingshou.domain.errors import DomainError

VIEW_PERMISSION = "assessment.view_assessment"
TERMS = (3, 6, 12, 24, 36)


def percent(value: Decimal) -> str:
    """A rate as a percentage with two decimals ("0.1150" → "11.50%")."""
    return f"{value * 100:.2f}%"


def _term(request: HttpRequest) -> int:
    try:
        term = int(request.GET.get("term", "12"))
    except ValueError:
        return 12
    return term if term in TERMS else 12


@login_required
@require_GET
def pricing(request: HttpRequest) -> HttpResponse:
    """The pricing table for ``?term=`` months (3, 6, 12, 24 or 36; default 12) and the latest assessments."""
    if not request.user.has_perm(VIEW_PERMISSION):
        raise Http404("no pricing")
    context: dict[str, Any] = {"terms": TERMS, "term": _term(request), "error": None}
    try:
        view = selectors.pricing_view(context["term"])
    except (DomainError, ImproperlyConfigured) as error:
        context["error"] = str(error)
        return render(request, "assessment/pricing.html", context, status=503)
    context.update(
        {
            "view": view,
            "cap": percent(view.cap),
            "lgd": percent(view.policy.lgd),
            "rows": [
                {
                    "grade": price.grade,
                    "max_pd": percent(price.max_pd),
                    "expected_loss": percent(price.expected_loss),
                    "funding": percent(price.funding),
                    "operating": percent(price.operating),
                    "margin": percent(price.margin),
                    "required": percent(price.required_rate),
                    "rate": percent(price.annual_rate),
                    "declined": price.capped,
                }
                for price in view.prices
            ],
            "assessments": [
                {
                    "application_id": row.application_id,
                    "created_at": row.created_at,
                    "grade": row.grade,
                    "pd": percent(Decimal(row.probability_ppm) / Decimal(1_000_000)),
                    "points": row.points,
                    "rate": percent(row.annual_rate),
                    "decision": row.get_decision_display(),
                    "model_version": row.model_version,
                    "by": row.requested_by.get_username() if row.requested_by else "",
                }
                for row in selectors.latest_assessments()
            ],
        }
    )
    return render(request, "assessment/pricing.html", context)
