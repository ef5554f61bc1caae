"""Pages of write-offs (issue 6): the case page's section (HTMX partial: the loan's write-offs, 账销案存 with
the recovery since, the proposal form), the list, the checkers' approvals queue (approve / reject / execute),
and the recovery after write-off report by month for supervisors and risk managers.

Every view starts from the scope (``case_for`` / ``services.visible_writeoffs``): outside it a case or a
write-off does not exist (404). Views parse, call one service and render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from qingshou import clock
from qingshou.apps.accounts.roles import role_of
from qingshou.apps.accounts.scoping import can_write, case_for
from qingshou.apps.arrangements.rules import limit_of
from qingshou.apps.cases.models import Case
from qingshou.apps.writeoffs import rules, services
from qingshou.apps.writeoffs.forms import DecisionForm, ExecuteForm, MonthForm, ProposeForm
from qingshou.apps.writeoffs.models import WriteOff
from qingshou.domain.errors import DomainError
from qingshou.domain.writeoff import month_of

SECTION = "writeoffs/_case_section.html"


def may_propose(user: Any) -> bool:
    """Whether the case page offers the proposal form to ``user``."""
    return can_write(user) and bool(user.has_perm(services.PROPOSE_PERMISSION))


def section_context(request: HttpRequest, case: Case, **extra: Any) -> dict[str, Any]:
    """What the case page's section shows."""
    user: Any = request.user
    writeoffs = services.case_writeoffs(case)
    today = clock.today()
    recovered = {item.pk: services.recovered_since(item, today) for item in writeoffs if item.written_off_on}
    context: dict[str, Any] = {
        "case": case,
        "writeoffs": writeoffs,
        "recovered": recovered,
        "may_propose": may_propose(user),
        "user_id": user.pk,
        "csrf_token": get_token(request),
        "request": request,
    }
    if context["may_propose"]:
        context["form"] = ProposeForm(case=case, prefix="writeoff")
    context.update(extra)
    return context


def _require_view(request: HttpRequest) -> None:
    if not request.user.has_perm(services.VIEW_PERMISSION):
        raise Http404("no write-offs")


@login_required
@require_GET
def case_section(request: HttpRequest, case_id: int) -> HttpResponse:
    """The case's section alone (HTMX refresh)."""
    _require_view(request)
    return render(request, SECTION, section_context(request, case_for(request.user, case_id)))


@login_required
@require_POST
def propose(request: HttpRequest, case_id: int) -> HttpResponse:
    """Propose a write-off of one of the borrower's loans; re-renders the section with the outcome."""
    _require_view(request)
    case = case_for(request.user, case_id)
    if not may_propose(request.user):
        raise PermissionDenied(_("Your role does not propose write-offs."))
    form = ProposeForm(request.POST, case=case, prefix="writeoff")
    extra: dict[str, Any] = {"form": form, "open_form": True}
    if form.is_valid():
        data = form.cleaned_data
        try:
            made = services.propose(
                request.user,
                case.pk,
                data["loan"].loan_id,
                reason=data["reason"],
                asserted=data.get("asserted") or (),
                evidence=data.get("evidence") or "",
            )
            extra = {"proposed": made.pk}
        except DomainError as error:
            extra["error"] = error.message
    failed = "error" in extra or bool(form.errors)
    return render(request, SECTION, section_context(request, case, **extra), status=422 if failed else 200)


@login_required
@require_GET
def listing(request: HttpRequest) -> HttpResponse:
    """Every write-off in scope, newest first, filtered by status."""
    _require_view(request)
    status = request.GET.get("status", "")
    items = services.visible_writeoffs(request.user).select_related("case", "case__borrower", "proposed_by")
    if status in WriteOff.StatusChoice.values:
        items = items.filter(status=status)
    return render(
        request,
        "writeoffs/list.html",
        {
            "items": items.order_by("-proposed_at", "-pk")[:500],
            "status": status,
            "statuses": WriteOff.StatusChoice.choices,
        },
    )


def _require_checker(request: HttpRequest) -> None:
    if not request.user.has_perm(services.APPROVE_PERMISSION) or not can_write(request.user):
        raise Http404("no write-off approvals")


@login_required
@require_GET
def approvals(request: HttpRequest) -> HttpResponse:
    """The checker's queue: proposals to decide and approved write-offs to execute, in scope."""
    _require_checker(request)
    user: Any = request.user
    role = role_of(user)
    checker = rules.Checker(
        user_id=int(user.pk), role=role.value if role is not None else None, may_approve=True, sees_case=True
    )
    limits = services.approval_limits()
    pending = (
        services.visible_writeoffs(user)
        .filter(status__in=(rules.Status.PROPOSED.value, rules.Status.APPROVED.value))
        .select_related("case", "case__borrower", "proposed_by", "decided_by")
        .order_by("proposed_at", "pk")[:200]
    )
    rows = [
        (
            item,
            rules.approval_refusal(checker, services.proposal_of(item), limits)
            if item.status == "proposed"
            else None,
        )
        for item in pending
    ]
    return render(
        request,
        "writeoffs/approvals.html",
        {
            "rows": rows,
            "limit": limit_of(checker.role, limits),
            "decision_form": DecisionForm(),
            "execute_form": ExecuteForm(),
        },
    )


def _decided(request: HttpRequest, writeoff_id: int) -> WriteOff:
    _require_view(request)
    found = services.visible_writeoffs(request.user).filter(pk=writeoff_id).first()
    if found is None:
        raise Http404("no such write-off")
    return found


def _act(request: HttpRequest, writeoff_id: int, verb: str) -> HttpResponse:
    writeoff = _decided(request, writeoff_id)
    form = DecisionForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        if verb == "approve":
            services.approve(request.user, writeoff.pk, note=note)
            messages.success(request, _("Write-off #%(id)s approved.") % {"id": writeoff.pk})
        elif verb == "reject":
            services.reject(request.user, writeoff.pk, note=note)
            messages.success(request, _("Write-off #%(id)s rejected.") % {"id": writeoff.pk})
        elif verb == "withdraw":
            services.withdraw(request.user, writeoff.pk, note=note)
            messages.success(request, _("Write-off #%(id)s withdrawn.") % {"id": writeoff.pk})
        else:
            execute = ExecuteForm(request.POST)
            on = execute.cleaned_data.get("on") if execute.is_valid() else None
            services.execute(request.user, writeoff.pk, on=on)
            messages.success(
                request, _("Loan written off (#%(id)s); collection goes on.") % {"id": writeoff.pk}
            )
    except DomainError as error:
        messages.error(request, _("#%(id)s: %(reason)s") % {"id": writeoff.pk, "reason": error.message})
    target = request.POST.get("next", "")
    if target == "case":
        return redirect("cases:case", writeoff.case_id)
    if request.user.has_perm(services.APPROVE_PERMISSION) and can_write(request.user):
        return redirect("writeoffs:approvals")
    return redirect("writeoffs:list")


@login_required
@require_POST
def approve(request: HttpRequest, writeoff_id: int) -> HttpResponse:
    """Approve a proposal (maker-checker, role limit)."""
    return _act(request, writeoff_id, "approve")


@login_required
@require_POST
def reject(request: HttpRequest, writeoff_id: int) -> HttpResponse:
    """Reject a proposal (a note is required)."""
    return _act(request, writeoff_id, "reject")


@login_required
@require_POST
def withdraw(request: HttpRequest, writeoff_id: int) -> HttpResponse:
    """Withdraw a proposal (its proposer or a checker)."""
    return _act(request, writeoff_id, "withdraw")


@login_required
@require_POST
def execute(request: HttpRequest, writeoff_id: int) -> HttpResponse:
    """Execute an approved write-off on a day (default today)."""
    return _act(request, writeoff_id, "execute")


@login_required
@require_GET
def report(request: HttpRequest) -> HttpResponse:
    """Recovery after write-off by month (``?month=YYYY-MM``, default this month; ``&format=json``)."""
    if not request.user.has_perm(services.REPORT_PERMISSION):
        raise Http404("no report")
    form = MonthForm(request.GET or {"month": month_of(clock.today())})
    if not form.is_valid():
        return render(request, "writeoffs/report.html", {"form": form, "report": None}, status=422)
    result = services.recovery_report(form.cleaned_data["month"], services.visible_writeoffs(request.user))
    if request.GET.get("format") == "json":
        return JsonResponse(result.as_json())
    return render(request, "writeoffs/report.html", {"form": form, "report": result})
