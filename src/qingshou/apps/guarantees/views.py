"""Pages of guarantees (issue 6): the case page's section (an HTMX partial: guarantees with their period,
acts and reminders; record a guarantee; record an act). Every view starts from the scope (``case_for`` /
``services.visible_guarantees``): outside it nothing exists (404). Views parse, call one service, render."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from qingshou import clock
from qingshou.apps.accounts.scoping import can_write, case_for
from qingshou.apps.cases.models import Case
from qingshou.apps.guarantees import selectors, services
from qingshou.apps.guarantees.forms import DemandForm, GuaranteeForm
from qingshou.domain.errors import DomainError

SECTION = "guarantees/_case_section.html"


def may_record(user: Any) -> bool:
    """Whether the section offers the forms to ``user``."""
    return can_write(user) and bool(user.has_perm(services.ADD_PERMISSION))


def section_context(request: HttpRequest, case: Case, **extra: Any) -> dict[str, Any]:
    """What the case page's section shows."""
    user: Any = request.user
    recording = may_record(user)
    context: dict[str, Any] = {
        "case": case,
        "rows": selectors.case_guarantees(case, clock.today()),
        "may_record": recording,
        "may_demand": can_write(user) and user.has_perm(services.DEMAND_PERMISSION),
        "csrf_token": get_token(request),
        "request": request,
        "demand_form": DemandForm(prefix="demand"),
    }
    if recording:
        context["guarantee_form"] = GuaranteeForm(case=case, prefix="guarantee")
    context.update(extra)
    return context


def _require_view(request: HttpRequest) -> None:
    if not request.user.has_perm(services.VIEW_PERMISSION):
        raise Http404("no guarantees")


def _section(request: HttpRequest, case: Case, extra: dict[str, Any], failed: bool) -> HttpResponse:
    return render(request, SECTION, section_context(request, case, **extra), status=422 if failed else 200)


@login_required
@require_GET
def case_section(request: HttpRequest, case_id: int) -> HttpResponse:
    """The case's section alone (HTMX refresh)."""
    _require_view(request)
    return render(request, SECTION, section_context(request, case_for(request.user, case_id)))


@login_required
@require_POST
def add(request: HttpRequest, case_id: int) -> HttpResponse:
    """Record a guarantee on one of the borrower's loans; re-renders the section."""
    _require_view(request)
    case = case_for(request.user, case_id)
    if not may_record(request.user):
        raise PermissionDenied(_("Your role does not record guarantees."))
    form = GuaranteeForm(request.POST, case=case, prefix="guarantee")
    extra: dict[str, Any] = {"guarantee_form": form, "open_form": True}
    if form.is_valid():
        data = form.cleaned_data
        party = data.get("party")
        try:
            guarantee = services.record_guarantee(
                request.user,
                case.pk,
                data["loan"].loan_id,
                kind=data["kind"],
                party_id=party.pk if party is not None else None,
                guarantor=None
                if party is not None
                else services.GuarantorInput(name=data["name"], phone=data["phone"]),
                cap=data.get("cap"),
                agreed_end=data.get("agreed_end"),
                contract_ref=data.get("contract_ref") or "",
            )
            extra = {"recorded": guarantee.pk}
        except DomainError as error:
            extra["error"] = error.message
    return _section(request, case, extra, "error" in extra or bool(form.errors))


@login_required
@require_POST
def demand(request: HttpRequest, guarantee_id: int) -> HttpResponse:
    """Record an act against a guarantee (refused with the reason after the period); re-renders the section."""
    _require_view(request)
    guarantee = (
        services.visible_guarantees(request.user).select_related("loan").filter(pk=guarantee_id).first()
    )
    if guarantee is None:
        raise Http404("no such guarantee")
    case = Case.objects.filter(
        pk=request.POST.get("case_id") or 0, borrower_id=guarantee.loan.borrower_id
    ).first()
    if case is None:
        raise Http404("no such case")
    case = case_for(request.user, case.pk)
    form = DemandForm(request.POST, prefix="demand")
    extra: dict[str, Any] = {"demand_form": form, "demand_for": guarantee.pk}
    if form.is_valid():
        data = form.cleaned_data
        try:
            made = services.record_demand(
                request.user,
                guarantee.pk,
                on=data["on"],
                act=data["act"],
                channel=data["channel"],
                evidence=data["evidence"],
                delivered=bool(data.get("delivered")),
            )
            extra = {"demanded": made.pk, "preserves": made.preserves}
        except DomainError as error:
            extra["error"] = error.message
    return _section(request, case, extra, "error" in extra or bool(form.errors))
