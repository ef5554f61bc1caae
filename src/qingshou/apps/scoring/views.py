"""The models page (issue 8): score model versions with their validation numbers, one version's scorecard, and
activation (POST, CSRF). Risk managers and admins only (``scoring.view_scoremodel`` to read,
``scoring.manage_models`` to activate): for everyone else the pages do not exist (404)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from qingshou.apps.audit.services import client_ip
from qingshou.apps.scoring.models import ModelKind, ScoreModel
from qingshou.apps.scoring.services import models as services
from qingshou.risk.scorecard import points_table

VIEW_PERMISSION = "scoring.view_scoremodel"
MANAGE_PERMISSION = "scoring.manage_models"


def _allowed(user: Any, permission: str) -> None:
    if not user.has_perm(permission):
        raise Http404("no such page")


def _model(request: HttpRequest, permission: str, kind: str, version: int) -> ScoreModel:
    """The version asked for, when the user has ``permission`` (404 otherwise, and for an unknown kind or
    version)."""
    _allowed(request.user, permission)
    if kind not in ModelKind.values:
        raise Http404("no such kind")
    try:
        return services.get_model(kind, version)
    except services.ModelError as error:
        raise Http404(error.message) from error


@login_required
@require_GET
def listing(request: HttpRequest) -> HttpResponse:
    """Every version, newest first per kind, with test AUC / KS and train → test PSI."""
    _allowed(request.user, VIEW_PERMISSION)
    rows = [
        {**services.summary(model), "kind_label": ModelKind(model.kind).label}
        for model in services.list_models()
    ]
    return render(
        request,
        "scoring/models.html",
        {"models": rows, "may_manage": request.user.has_perm(MANAGE_PERMISSION)},
    )


@login_required
@require_GET
def detail(request: HttpRequest, kind: str, version: int) -> HttpResponse:
    """One version: headline, metrics and its points table."""
    model = _model(request, VIEW_PERMISSION, kind, version)
    label = "label_en" if request.LANGUAGE_CODE == "en" else "label_zh"
    table = [{**row, "name": row[label]} for row in points_table(model.artifact).iter_rows(named=True)]
    return render(
        request,
        "scoring/model.html",
        {
            "model": model,
            "kind_label": ModelKind(model.kind).label,
            "summary": services.summary(model),
            "points": table,
            "dropped": model.artifact.get("dropped", []),
            "base": model.artifact["base"],
            "may_manage": request.user.has_perm(MANAGE_PERMISSION),
        },
    )


@login_required
@require_POST
def activate(request: HttpRequest, kind: str, version: int) -> HttpResponse:
    """Activate a version (the previous active one of the kind is retired; an audit event)."""
    model = _model(request, MANAGE_PERMISSION, kind, version)
    reason = request.POST.get("reason", "").strip()[:500]
    try:
        services.activate(model, request.user, reason=reason, ip=client_ip(request))
    except services.ModelError:
        messages.error(request, _("This version is already active."))
    else:
        messages.success(
            request,
            _("%(kind)s version %(version)s is now active.")
            % {"kind": model.get_kind_display(), "version": version},
        )
    return redirect("scoring:models")
