"""Pages of plans, waivers and settlements (issue 5): the case page's section (an HTMX partial: list, preview,
propose, withdraw) and the checkers' approvals queue (approve / reject).

Every view starts from the scope (``accounts.scoping`` through ``selectors.visible_arrangements`` /
``case_for``): outside it a case or an arrangement does not exist (404). Views parse, call one service and
render; the services own the rules, transactions and audit.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from qingshou.apps.accounts.roles import role_of
from qingshou.apps.accounts.scoping import can_write, case_for
from qingshou.apps.arrangements import rules, selectors, services
from qingshou.apps.arrangements.forms import DecisionForm, PlanForm, SettlementForm, WaiverForm
from qingshou.apps.cases.models import Case
from qingshou.domain.arrangements import PlanKind
from qingshou.domain.errors import DomainError
from qingshou.domain.loan import RepaymentMethod
from qingshou.domain.policy import Component

FORMS = {"plan": PlanForm, "waiver": WaiverForm, "settlement": SettlementForm}
TITLES = {
    "plan": gettext_lazy("Propose a repayment plan"),
    "waiver": gettext_lazy("Propose a waiver"),
    "settlement": gettext_lazy("Propose a discounted settlement"),
}


def may_propose(user: Any) -> bool:
    """Whether the case page offers the proposal forms to ``user``."""
    return can_write(user) and bool(user.has_perm(services.PROPOSE_PERMISSION))


def section_context(
    request: HttpRequest, case: Case, *, lazy_forms: bool = False, **extra: Any
) -> dict[str, Any]:
    """What the case page's section shows (3 queries plus the forms' loan lists). With ``lazy_forms`` (the
    case page) the proposal forms are not built: each closed form loads when it is opened (``form_fragment``),
    since most views of a case propose nothing."""
    user: Any = request.user
    arrangements = selectors.case_arrangements(case)
    proposing = may_propose(user) and case.status == Case.Status.OPEN
    context: dict[str, Any] = {
        "case": case,
        "arrangements": arrangements,
        "successors": selectors.successors(arrangements),
        "may_propose": proposing,
        "user_id": user.pk,
        "request": request,
        "csrf_token": get_token(request),
    }
    if proposing and not lazy_forms:
        for kind, form in FORMS.items():
            context[f"{kind}_form"] = form(case=case, prefix=kind)
    context.update(extra)
    if proposing:
        context["forms"] = [(kind, context.get(f"{kind}_form"), TITLES[kind]) for kind in FORMS]
    return context


def _require_view(request: HttpRequest) -> None:
    if not request.user.has_perm("arrangements.view_arrangement"):
        raise Http404("no arrangements")


@login_required
@require_GET
def case_section(request: HttpRequest, case_id: int) -> HttpResponse:
    """The case's section alone (HTMX refresh)."""
    _require_view(request)
    case = case_for(request.user, case_id)
    return render(request, "arrangements/_case_section.html", section_context(request, case))


@login_required
@require_GET
def form_fragment(request: HttpRequest, case_id: int, kind: str) -> HttpResponse:
    """One empty proposal form of the case's section, loaded when its ``<details>`` is first opened."""
    _require_view(request)
    case = case_for(request.user, case_id)
    if kind not in FORMS:
        raise Http404("no such kind")
    if not may_propose(request.user) or case.status != Case.Status.OPEN:
        raise PermissionDenied(_("Your role does not propose plans, waivers or settlements."))
    context = {
        "case": case,
        "kind": kind,
        "form": FORMS[kind](case=case, prefix=kind),
        "csrf_token": get_token(request),
    }
    return render(request, "arrangements/_propose_form.html", context)


def _plan_request(data: dict[str, Any]) -> services.PlanRequest:
    waive = frozenset(
        component
        for component, name in (
            (Component.PENALTY, "waive_penalty"),
            (Component.COMPOUND, "waive_compound"),
            (Component.FEES, "waive_fees"),
        )
        if data.get(name)
    )
    return services.PlanRequest(
        plan_kind=PlanKind(data["plan_kind"]),
        months=int(data["months"]),
        annual_rate=(Decimal(data["rate_percent"]) / 100).quantize(Decimal("0.00000001")),
        method=RepaymentMethod(data["method"]),
        waive=waive,
        first_due_date=data.get("first_due_date"),
        effective_on=data.get("effective_on"),
    )


@login_required
@require_POST
def propose(request: HttpRequest, case_id: int, kind: str) -> HttpResponse:
    """Preview (``preview`` in the POST) or propose a plan, waiver or settlement; re-renders the section."""
    _require_view(request)
    case = case_for(request.user, case_id)
    if kind not in FORMS:
        raise Http404("no such kind")
    user: Any = request.user
    if not may_propose(user):
        raise PermissionDenied(_("Your role does not propose plans, waivers or settlements."))
    form: forms.Form | None = FORMS[kind](request.POST, case=case, prefix=kind)
    extra: dict[str, Any] = {"open_kind": kind}
    if form is not None and form.is_valid():
        data = form.cleaned_data
        loan_id = data["loan"].loan_id
        try:
            if "preview" in request.POST:
                extra["preview"] = _preview(user, case, kind, loan_id, data)
            else:
                extra["proposed"] = _propose(user, case, kind, loan_id, data)
                form = None
        except DomainError as error:
            extra["error"] = error.message
    if form is not None:
        extra[f"{kind}_form"] = form
    context = section_context(request, case, **extra)
    failed = "error" in extra or (form is not None and bool(form.errors))
    return render(request, "arrangements/_case_section.html", context, status=422 if failed else 200)


def _preview(user: Any, case: Case, kind: str, loan_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """What the proposal would be, for the form (no writes)."""
    if kind == "plan":
        return {"kind": kind, **services.preview_plan(user, case.pk, loan_id, _plan_request(data))}
    if kind == "waiver":
        return {"kind": kind, "concession": _waiver(user, case, loan_id, data, save=False)}
    payoff, discount = services.settlement_preview(loan_id, data["amount"], _today())
    return {"kind": kind, "payoff": payoff, "concession": discount}


def _today() -> Any:
    from qingshou import clock

    return clock.today()


def _waiver_amounts(data: dict[str, Any]) -> dict[Component, Decimal]:
    return {
        component: data[name]
        for component, name in (
            (Component.PENALTY, "penalty"),
            (Component.COMPOUND, "compound"),
            (Component.FEES, "fees"),
        )
        if data.get(name)
    }


def _waiver(user: Any, case: Case, loan_id: str, data: dict[str, Any], *, save: bool) -> Any:
    amounts = _waiver_amounts(data)
    if save:
        return services.propose_waiver(
            user, case.pk, loan_id, amounts, reason=data["reason"], effective_on=data.get("effective_on")
        )
    return services.preview_waiver(user, case.pk, loan_id, amounts, effective_on=data.get("effective_on"))


def _propose(user: Any, case: Case, kind: str, loan_id: str, data: dict[str, Any]) -> Any:
    if kind == "plan":
        return services.propose_plan(user, case.pk, loan_id, _plan_request(data), reason=data["reason"])
    if kind == "waiver":
        return _waiver(user, case, loan_id, data, save=True)
    return services.propose_settlement(
        user, case.pk, loan_id, data["amount"], data["pay_by"], reason=data["reason"]
    )


@login_required
@require_POST
def withdraw(request: HttpRequest, arrangement_id: int) -> HttpResponse:
    """The proposer (or a checker) withdraws a proposal; re-renders the case's section."""
    _require_view(request)
    arrangement = selectors.visible_arrangements(request.user).filter(pk=arrangement_id).first()
    if arrangement is None:
        raise Http404("no such arrangement")
    extra: dict[str, Any] = {}
    try:
        services.withdraw(request.user, arrangement.pk, note=request.POST.get("note", ""))
        extra["withdrawn"] = arrangement.pk
    except DomainError as error:
        extra["error"] = error.message
    case = case_for(request.user, arrangement.case_id)
    status = 422 if "error" in extra else 200
    return render(
        request, "arrangements/_case_section.html", section_context(request, case, **extra), status=status
    )


def _require_checker(request: HttpRequest) -> None:
    """The approvals queue exists for users who decide (``accounts.approve``): others get 404."""
    if not request.user.has_perm(services.APPROVE_PERMISSION) or not can_write(request.user):
        raise Http404("no approvals queue")


@login_required
@require_GET
def approvals(request: HttpRequest) -> HttpResponse:
    """The checker's queue: pending proposals on the cases in scope; approve where the rules allow."""
    _require_checker(request)
    user: Any = request.user
    role = role_of(user)
    checker = rules.Checker(
        user_id=int(user.pk),
        role=role.value if role is not None else None,
        may_approve=True,
        may_approve_long_plan=bool(user.has_perm(services.LONG_PLAN_PERMISSION)),
        sees_case=True,
    )
    limits, months = services.approval_limits(), services.long_plan_months()
    rows = [
        selectors.QueueRow(
            arrangement, rules.approval_refusal(checker, services.proposal_of(arrangement), limits, months)
        )
        for arrangement in selectors.pending(user)[:200]
    ]
    limit = rules.limit_of(checker.role, limits)
    return render(
        request,
        "arrangements/approvals.html",
        {"rows": rows, "limit": limit, "decision_form": DecisionForm()},
    )


def _decided(request: HttpRequest, arrangement_id: int) -> Any:
    _require_checker(request)
    arrangement = selectors.visible_arrangements(request.user).filter(pk=arrangement_id).first()
    if arrangement is None:
        raise Http404("no such arrangement")
    return arrangement


@login_required
@require_POST
def approve(request: HttpRequest, arrangement_id: int) -> HttpResponse:
    """Approve (and, when due, execute) a proposal; back to the queue with the outcome."""
    arrangement = _decided(request, arrangement_id)
    form = DecisionForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        done = services.approve(request.user, arrangement.pk, note=note)
        if done.status == rules.Status.EXECUTED.value:
            messages.success(request, _("Approved and executed #%(id)s.") % {"id": done.pk})
        else:
            messages.success(request, _("Approved #%(id)s.") % {"id": done.pk})
    except DomainError as error:
        messages.error(
            request, _("#%(id)s not approved: %(reason)s") % {"id": arrangement.pk, "reason": error.message}
        )
    return redirect("arrangements:approvals")


@login_required
@require_POST
def reject(request: HttpRequest, arrangement_id: int) -> HttpResponse:
    """Reject a proposal (a note is required); back to the queue."""
    arrangement = _decided(request, arrangement_id)
    form = DecisionForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        services.reject(request.user, arrangement.pk, note=note)
        messages.success(request, _("Rejected #%(id)s.") % {"id": arrangement.pk})
    except DomainError as error:
        messages.error(
            request, _("#%(id)s not rejected: %(reason)s") % {"id": arrangement.pk, "reason": error.message}
        )
    return redirect("arrangements:approvals")
