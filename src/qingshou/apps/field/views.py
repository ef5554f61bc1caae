"""Field pages: the agent's visits (phone first), the visit page and its report, the supervisors' board.

Views are thin: they find the visit in the user's scope (``selectors.visit_for``: outside it, 404), check the
role for the action (again 404, never 403), call one service and render. A rule a service refuses
(``DomainError``) becomes a form error on the field it names.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.forms import Form
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from qingshou.apps.accounts.roles import Role, has_role
from qingshou.apps.accounts.scoping import can_write, case_for
from qingshou.apps.audit.services import client_ip
from qingshou.apps.contacts.profiles import active_profile
from qingshou.apps.field import selectors, services
from qingshou.apps.field.forms import AssignForm, CancelVisitForm, ReportForm, RequestVisitForm, ScheduleForm
from qingshou.apps.field.models import VisitPhoto, VisitRequest
from qingshou.domain.compliance import REASONS
from qingshou.domain.errors import DomainError
from qingshou.domain.privacy import mask_address
from qingshou.domain.visits import OPEN_STATUSES, VisitStatus

#: Fields the services name → the form field that holds them.
FIELD_ALIASES = {
    "agents": "attendees",
    "attempted_at": "visited_at",
    "due_on": "promise_due_on",
    "amount": "promise_amount",
    "instalments": "promise_amount",
}


def _refused(form: Form, error: DomainError, default_field: str) -> None:
    """Put a service's refusal on the form: on the field it names (or that field's alias), else on
    ``default_field``."""
    named = error.field or ""
    if named not in form.fields:
        named = FIELD_ALIASES.get(named, default_field)
    form.add_error(named if named in form.fields else None, error.message)


def _agent_visit(request: HttpRequest, visit_id: int) -> VisitRequest:
    """The visit when the user is one of its agents; 404 otherwise."""
    visit = selectors.visit_for(request.user, visit_id)
    if not selectors.is_agent_of(request.user, visit):
        raise Http404("no such visit")
    return visit


def _managed_visit(request: HttpRequest, visit_id: int) -> VisitRequest:
    """The visit when the user manages visits (board roles) and sees its case; 404 otherwise."""
    if not selectors.can_manage(request.user):
        raise Http404("no such visit")
    return selectors.visit_for(request.user, visit_id)


def _page(request: HttpRequest, visit: VisitRequest, **forms: Any) -> dict[str, Any]:
    agent = selectors.is_agent_of(request.user, visit)
    manager = selectors.can_manage(request.user)
    agents = selectors.visit_agents(visit)
    report = getattr(visit, "report", None) if visit.status == VisitStatus.VISITED.value else None
    return {
        "visit": visit,
        "facts": selectors.visit_facts(visit),
        "agents": agents,
        "report": report,
        "is_agent": agent,
        "can_schedule": (agent or manager)
        and visit.status in (VisitStatus.ASSIGNED.value, VisitStatus.SCHEDULED.value),
        "can_report": agent and visit.status == VisitStatus.SCHEDULED.value,
        "schedule_form": forms.get("schedule_form") or ScheduleForm(),
        "report_form": forms.get("report_form")
        or ReportForm(agents=agents, initial={"visited_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")}),
        "can_cancel": manager and visit.status in [s.value for s in OPEN_STATUSES],
        "cancel_form": forms.get("cancel_form") or CancelVisitForm(),
        "window": active_profile(),
    }


@login_required
@require_GET
def my_visits(request: HttpRequest) -> HttpResponse:
    """/field/ — the field agent's open visits (field agents only)."""
    if not has_role(request.user, Role.FIELD_AGENT):
        raise Http404("no such page")
    return render(request, "field/my_visits.html", {"visits": selectors.my_visits(request.user)})


@login_required
@require_GET
def visit_page(request: HttpRequest, visit_id: int) -> HttpResponse:
    """/field/<id>/ — the visit: doorstep facts, agents, schedule and report forms, the report once filed."""
    visit = selectors.visit_for(request.user, visit_id)
    return render(request, "field/visit.html", _page(request, visit))


@login_required
@require_POST
def schedule(request: HttpRequest, visit_id: int) -> HttpResponse:
    """Schedule (or reschedule) an assigned visit after the C8 check (agents and board roles)."""
    visit = selectors.visit_for(request.user, visit_id)
    if not (selectors.is_agent_of(request.user, visit) or selectors.can_manage(request.user)):
        raise Http404("no such visit")
    form = ScheduleForm(request.POST)
    if form.is_valid():
        try:
            services.schedule_visit(visit, form.cleaned_data["at"], request.user)
        except services.ScheduleRefused as refused:
            _outcome, message_zh, message_en = REASONS.get(
                refused.reason, ("", refused.message, refused.message)
            )
            message = message_zh if request.LANGUAGE_CODE.startswith("zh") else message_en
            if refused.deferred_to is not None:
                moment = timezone.localtime(refused.deferred_to).strftime("%Y-%m-%d %H:%M")
                message = _("%(reason)s — next allowed moment: %(moment)s") % {
                    "reason": message,
                    "moment": moment,
                }
            form.add_error("at", message)
        except DomainError as error:
            _refused(form, error, "at")
        else:
            return redirect("field:visit", visit_id=visit.pk)
    visit.refresh_from_db()
    return render(request, "field/visit.html", _page(request, visit, schedule_form=form), status=422)


@login_required
@require_POST
def report(request: HttpRequest, visit_id: int) -> HttpResponse:
    """File the visit report (multipart: photos) — one of the visit's agents only."""
    visit = _agent_visit(request, visit_id)
    form = ReportForm(request.POST, request.FILES, agents=selectors.visit_agents(visit))
    if form.is_valid():
        try:
            services.file_report(visit, request.user, form.report())
        except DomainError as error:
            _refused(form, error, "situation")
        else:
            return redirect("field:visit", visit_id=visit.pk)
    return render(request, "field/visit.html", _page(request, visit, report_form=form), status=422)


@login_required
@require_GET
def photo(request: HttpRequest, visit_id: int, photo_id: int) -> FileResponse:
    """A report's photo, to users who may see the visit (never a public media URL)."""
    visit = selectors.visit_for(request.user, visit_id)
    found = get_object_or_404(
        VisitPhoto.objects.select_related("report__visit"), pk=photo_id, report__visit=visit
    )
    services.audit_photo_view(found, request.user, client_ip(request))
    response = FileResponse(found.image.open("rb"), content_type=found.content_type)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def request_visit(request: HttpRequest, case_id: int) -> HttpResponse:
    """Ask for a visit from the case page (collectors, supervisors, admin; the case in their scope)."""
    if not has_role(request.user, *selectors.REQUEST_ROLES) or not can_write(request.user):
        raise Http404("no such case")
    case = case_for(request.user, case_id)
    form = RequestVisitForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            services.request_visit(case, request.user, form.cleaned_data["reason"])
        except DomainError as refused:
            error = refused.message
    else:
        error = "; ".join(str(message) for messages in form.errors.values() for message in messages)
    context = {"case": case, "request_error": error, "next": request.POST.get("next", "")}
    if request.headers.get("HX-Request"):
        return render(request, "field/case_visits.html", context, status=422 if error else 200)
    if error:
        return render(request, "field/case_visits.html", context, status=422)
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("field:board")


@login_required
@require_GET
def board(request: HttpRequest) -> HttpResponse:
    """/field/board/ — requested and assigned visits of the supervisor's cases, with assign actions."""
    if not selectors.can_manage(request.user):
        raise Http404("no such page")
    rows = [
        {
            "visit": visit,
            "address_masked": mask_address(visit.address),
            "agents": [a.agent for a in visit.assignments.all()],
            "form": AssignForm(agents=selectors.agent_choices(visit.region), prefix=f"v{visit.pk}"),
        }
        for visit in selectors.board_visits(request.user)
    ]
    return render(request, "field/board.html", {"rows": rows})


@login_required
@require_POST
def assign(request: HttpRequest, visit_id: int) -> HttpResponse:
    """A supervisor assigns agents by hand."""
    visit = _managed_visit(request, visit_id)
    form = AssignForm(request.POST, agents=selectors.agent_choices(visit.region), prefix=f"v{visit.pk}")
    if form.is_valid():
        try:
            services.assign_manually(
                visit, form.cleaned_data["agents"], request.user, form.cleaned_data["reason"]
            )
        except DomainError as error:
            form.add_error("agents", error.message)
    if form.errors:
        row = {"visit": visit, "address_masked": mask_address(visit.address), "form": form}
        return render(request, "field/board.html", {"rows": [row]}, status=422)
    return redirect("field:board")


@login_required
@require_POST
def assign_all(request: HttpRequest) -> HttpResponse:
    """Run the automatic assignment by region over the requested visits of the user's cases (the agents'
    loads count every open visit)."""
    if not selectors.can_manage(request.user):
        raise Http404("no such page")
    services.assign_visits(by=request.user, within=selectors.visible_visits(request.user))
    return redirect("field:board")


@login_required
@require_POST
def cancel(request: HttpRequest, visit_id: int) -> HttpResponse:
    """Cancel an open visit, with the reason (board roles)."""
    visit = _managed_visit(request, visit_id)
    form = CancelVisitForm(request.POST)
    if form.is_valid():
        try:
            services.cancel_visit(visit, request.user, form.cleaned_data["reason"])
        except DomainError as error:
            _refused(form, error, "reason")
        else:
            return redirect("field:board")
    return render(request, "field/visit.html", _page(request, visit, cancel_form=form), status=422)
