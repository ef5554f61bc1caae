"""``POST /api/assess`` (mounted by ``qingshou.apps.api.api``): the bearer token's user must hold
``assessment.add_assessment`` (risk managers and admins; 403 otherwise). The view parses, calls
``services.assess`` and shapes the answer: 201 for a new assessment, 200 for the stored one (the same
``application_id`` and body again; header ``Idempotent-Replayed: true``), 409 for the same id with another
body, 422 naming the field (``applicant.<feature>`` for a feature), 503 when no application model is active.
Reason labels are Chinese unless the request asks for English (``Accept-Language: en``).

``GET /api/assess/{application_id}`` answers the stored assessment (the same body as the POST's) to the user
who requested it, with ``assessment.view_assessment`` (403 without it); another caller's assessment, or an
id never assessed, is 404 — the API does not say that someone else assessed an application."""

from __future__ import annotations

from typing import Any, Final

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import translation
from ninja import Router
from ninja.responses import Status

from qingshou.apps.api.schemas import ErrorOut
from qingshou.apps.assessment import services
from qingshou.apps.assessment.schemas import AssessIn, AssessOut
from qingshou.apps.assessment.selectors import own_assessment
from qingshou.apps.audit.services import client_ip

ASSESS: Final = "assessment.add_assessment"
VIEW: Final = "assessment.view_assessment"

router = Router(tags=["assessment"])


@router.post(
    "",
    response={
        200: AssessOut,
        201: AssessOut,
        401: ErrorOut,
        403: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
        503: ErrorOut,
    },
    summary="Assess a credit application (grade, PD, reasons, price)",
)
def assess(request: HttpRequest, payload: AssessIn, response: HttpResponse) -> Any:
    """Score the applicant with the active application model, grade it by PD band and price the grade within
    the legal cap (C4); idempotent per ``application_id`` (docs/assessment.md)."""
    user = request.auth  # type: ignore[attr-defined]
    if not user.has_perm(ASSESS):
        raise PermissionDenied(f"assessing applications needs the permission {ASSESS}")
    try:
        answer = services.assess(
            user,
            services.AssessmentRequest(
                application_id=payload.application_id,
                term_months=payload.term_months,
                amount=payload.amount,
                applicant=payload.applicant,
                product_id=payload.product_id,
            ),
            ip=client_ip(request),
        )
    except services.NoActiveModel as error:
        return Status(503, {"code": error.code, "message": error.message, "field": None})
    response["Idempotent-Replayed"] = "false" if answer.created else "true"
    return Status(answer.status, services.localise(answer.body, translation.get_language() or "zh-hans"))


@router.get(
    "/{application_id}",
    response={200: AssessOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="The stored answer of one of the caller's own assessments",
)
def stored_assessment(request: HttpRequest, application_id: str) -> Any:
    """The answer ``POST /api/assess`` gave for ``application_id`` (stored, not scored again: the model or the
    pricing may have changed since), to the user who asked for it."""
    user = request.auth  # type: ignore[attr-defined]
    if not user.has_perm(VIEW):
        raise PermissionDenied(f"reading assessments needs the permission {VIEW}")
    found = own_assessment(user, application_id)
    if found is None:
        raise Http404(f"no assessment of application {application_id!r} by you")
    return services.localise(dict(found.answer), translation.get_language() or "zh-hans")
