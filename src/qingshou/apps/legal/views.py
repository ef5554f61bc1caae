"""Pages of legal recovery (issue 6): the legal calendar, a legal case's page with its actions, and the case
page's section (``templatetags.legal``).

Every view starts from the scope: without ``legal.view_legalcase`` the pages do not exist (404, like the
other apps' pages), and a legal case outside the user's visible cases does not exist either (404). Changes
are POSTs that call one service and redirect back with the outcome as a message (a refusal is shown, never
swallowed).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from qingshou import clock
from qingshou.apps.accounts.scoping import can_write, case_for
from qingshou.apps.legal import selectors, services
from qingshou.apps.legal.conf import legal_settings
from qingshou.apps.legal.forms import (
    AccelerateForm,
    AdvanceForm,
    CalendarForm,
    FeeForm,
    HearingForm,
    OpenForm,
    PreservationForm,
    ReleaseForm,
    RenewForm,
)
from qingshou.apps.legal.models import LegalCase, Preservation
from qingshou.apps.loans.models import Loan
from qingshou.domain.errors import DomainError
from qingshou.domain.legal import filing_fee_kind
from qingshou.domain.money import ZERO, from_fen


def may_view(user: Any) -> bool:
    """Whether ``user`` sees legal cases at all."""
    return bool(user.has_perm(services.VIEW_PERMISSION))


def may_change(user: Any) -> bool:
    """Whether ``user`` works legal cases (opens them, moves them, posts fees)."""
    return can_write(user) and bool(user.has_perm(services.CHANGE_PERMISSION))


def _require_view(request: HttpRequest) -> None:
    if not may_view(request.user):
        raise Http404("no legal cases")


def _legal_case(request: HttpRequest, legal_case_id: int) -> LegalCase:
    _require_view(request)
    found = selectors.legal_case_for(request.user, legal_case_id)
    if found is None:
        raise Http404("no such legal case")
    return found


@login_required
@require_GET
def calendar(request: HttpRequest) -> HttpResponse:
    """Every upcoming deadline of the legal cases the user sees (``?days=N`` ahead)."""
    _require_view(request)
    form = CalendarForm(request.GET or None)
    days = legal_settings().calendar_days
    if form.is_valid() and form.cleaned_data.get("days"):
        days = int(form.cleaned_data["days"])
    today = clock.today()
    rows = [
        {"deadline": row, "days_left": row.days_left(today), "reminding": row.in_window(today)}
        for row in selectors.calendar(request.user, today, days)
    ]
    return render(request, "legal/calendar.html", {"rows": rows, "days": days, "today": today, "form": form})


def detail_context(request: HttpRequest, legal_case: LegalCase) -> dict[str, Any]:
    """What the legal case page shows."""
    today = clock.today()
    changing = may_change(request.user) and legal_case.is_open
    context: dict[str, Any] = {
        "legal_case": legal_case,
        "case": legal_case.case,
        "loans": list(legal_case.loans.all()),
        "history": list(legal_case.history.select_related("by").order_by("on", "pk")),
        "fees": list(legal_case.fees.order_by("posted_on", "pk")),
        "measures": list(legal_case.preservations.select_related("renewed_from").order_by("start_on", "pk")),
        "delay": services.delay_interest(legal_case, today),
        "today": today,
        "filing_fee": _filing_fee(legal_case),
        "may_change": may_change(request.user),
        "changing": changing,
    }
    initial = {"on": today}
    if may_change(request.user):
        context["advance_form"] = AdvanceForm(legal_case=legal_case, initial=initial)
    if changing:
        context.update(
            hearing_form=HearingForm(),
            fee_form=FeeForm(legal_case=legal_case, initial=initial),
            preservation_form=PreservationForm(initial={"start_on": today}),
            renew_form=RenewForm(initial={"renewed_on": today}),
            release_form=ReleaseForm(initial=initial),
            accelerate_form=AccelerateForm(initial=initial),
        )
    return context


def _filing_fee(legal_case: LegalCase) -> Any:
    """The court fee filing this type of case costs on its claim (``None`` off the schedule)."""
    kind = filing_fee_kind(legal_case.case_type)
    return None if kind is None else services.fee_quote(kind, from_fen(legal_case.claim_fen))


@login_required
@require_GET
def detail(request: HttpRequest, legal_case_id: int) -> HttpResponse:
    """A legal case: facts, stages, fees, measures, delay interest and (for who works it) the actions."""
    legal_case = _legal_case(request, legal_case_id)
    return render(request, "legal/legal_case.html", detail_context(request, legal_case))


def _changed(
    request: HttpRequest,
    legal_case_id: int,
    form_class: Callable[..., forms.Form],
    action: Callable[[Any, LegalCase, dict[str, Any]], str],
    **form_kwargs: Any,
) -> HttpResponse:
    """Parse the POST, call the service, and go back to the legal case with the outcome."""
    legal_case = _legal_case(request, legal_case_id)
    if not may_change(request.user):
        raise PermissionDenied(_("Your role does not work legal cases."))
    form = form_class(request.POST, **form_kwargs)
    if not form.is_valid():
        problems = "; ".join(
            f"{form.fields[name].label if name in form.fields else name}: {' '.join(str(error) for error in errors)}"
            for name, errors in form.errors.items()
        )
        messages.error(request, _("Not saved: %(problems)s") % {"problems": problems})
        return redirect("legal:detail", legal_case.pk)
    try:
        messages.success(request, action(request.user, legal_case, form.cleaned_data))
    except DomainError as error:
        messages.error(request, _("Not saved: %(problems)s") % {"problems": error.message})
    return redirect("legal:detail", legal_case.pk)


@login_required
@require_POST
def advance(request: HttpRequest, legal_case_id: int) -> HttpResponse:
    """Move the legal case to its next stage."""

    def act(user: Any, legal_case: LegalCase, data: dict[str, Any]) -> str:
        done = services.advance(
            user,
            legal_case.pk,
            data["target"],
            data["on"],
            outcome=data.get("outcome") or None,
            note=data.get("note", ""),
            court_case_number=data.get("court_case_number") or None,
            performance_due_on=data.get("performance_due_on"),
            judgment_principal=data.get("judgment_principal"),
            judgment_interest=data.get("judgment_interest"),
            judgment_costs=data.get("judgment_costs"),
        )
        return _("Stage: %(stage)s.") % {"stage": done.get_stage_display()}

    found = _legal_case(request, legal_case_id)
    return _changed(request, legal_case_id, AdvanceForm, act, legal_case=found)


@login_required
@require_POST
def hearing(request: HttpRequest, legal_case_id: int) -> HttpResponse:
    """Set the (next) hearing day."""

    def act(user: Any, legal_case: LegalCase, data: dict[str, Any]) -> str:
        services.schedule_hearing(user, legal_case.pk, data["hearing_on"], note=data.get("note", ""))
        return _("Hearing set for %(day)s.") % {"day": data["hearing_on"].isoformat()}

    return _changed(request, legal_case_id, HearingForm, act)


@login_required
@require_POST
def fee(request: HttpRequest, legal_case_id: int) -> HttpResponse:
    """Compute and post a fee as a cost of enforcement."""

    def act(user: Any, legal_case: LegalCase, data: dict[str, Any]) -> str:
        measure = data.get("preservation")
        posted = services.post_fee(
            user,
            legal_case.pk,
            data["kind"],
            data["on"],
            basis=data.get("basis"),
            amount=data.get("amount"),
            reductions=data.get("reductions") or (),
            loan_id=data["loan"],
            preservation_id=int(measure) if measure else None,
            reference=data.get("reference", ""),
            description=data.get("description", ""),
        )
        return _("Fee posted: %(kind)s ¥%(amount)s (charge %(charge)s).") % {
            "kind": posted.get_kind_display(),
            "amount": _yuan(posted.fee_fen),
            "charge": posted.charge_id,
        }

    found = _legal_case(request, legal_case_id)
    return _changed(request, legal_case_id, FeeForm, act, legal_case=found)


def _yuan(fen: int) -> str:
    return f"{from_fen(fen):,.2f}"


@login_required
@require_POST
def preserve(request: HttpRequest, legal_case_id: int) -> HttpResponse:
    """Record a preservation measure."""

    def act(user: Any, legal_case: LegalCase, data: dict[str, Any]) -> str:
        measure = services.record_preservation(
            user,
            legal_case.pk,
            data["asset_kind"],
            data["description"],
            data["start_on"],
            months=data.get("months"),
            amount=data.get("amount") or ZERO,
            ruling_number=data.get("ruling_number", ""),
        )
        return _("Measure #%(id)s recorded: expires on %(day)s.") % {
            "id": measure.pk,
            "day": measure.expires_on.isoformat(),
        }

    return _changed(request, legal_case_id, PreservationForm, act)


def _measure_case(request: HttpRequest, preservation_id: int) -> int:
    _require_view(request)
    measure = Preservation.objects.filter(
        pk=preservation_id, legal_case__in=selectors.visible_legal_cases(request.user).values("pk")
    ).first()
    if measure is None:
        raise Http404("no such measure")
    return int(measure.legal_case_id)


@login_required
@require_POST
def renew(request: HttpRequest, preservation_id: int) -> HttpResponse:
    """Renew (续行) a measure."""

    def act(user: Any, _legal_case: LegalCase, data: dict[str, Any]) -> str:
        renewal = services.renew_preservation(
            user,
            preservation_id,
            data["renewed_on"],
            months=data.get("months"),
            ruling_number=data.get("ruling_number", ""),
        )
        return _("Measure renewed: #%(id)s expires on %(day)s.") % {
            "id": renewal.pk,
            "day": renewal.expires_on.isoformat(),
        }

    return _changed(request, _measure_case(request, preservation_id), RenewForm, act)


@login_required
@require_POST
def release(request: HttpRequest, preservation_id: int) -> HttpResponse:
    """Record the release (解除) of a measure."""

    def act(user: Any, _legal_case: LegalCase, data: dict[str, Any]) -> str:
        services.release_preservation(user, preservation_id, data["on"], note=data.get("note", ""))
        return _("Measure #%(id)s released.") % {"id": preservation_id}

    return _changed(request, _measure_case(request, preservation_id), ReleaseForm, act)


@login_required
@require_POST
def accelerate(request: HttpRequest, legal_case_id: int) -> HttpResponse:
    """宣布提前到期 of the case's loans."""

    def act(user: Any, legal_case: LegalCase, data: dict[str, Any]) -> str:
        changed = services.accelerate(user, legal_case.pk, data["on"], note=data["note"])
        if not changed:
            return _("The loans were already called early on that day.")
        return _("Called early on %(day)s: %(loans)s.") % {
            "day": data["on"].isoformat(),
            "loans": ", ".join(changed),
        }

    return _changed(request, legal_case_id, AccelerateForm, act)


# --- the case page's section -------------------------------------------------------------------------------


def section_context(request: HttpRequest, case: Any, **extra: Any) -> dict[str, Any]:
    """The section of the case page: the borrower's legal cases and, for who may, the form to open one."""
    user: Any = request.user
    opening = can_write(user) and bool(user.has_perm(services.OPEN_PERMISSION)) and case.status == "open"
    context: dict[str, Any] = {
        "case": case,
        "legal_cases": selectors.case_legal_cases(case),
        "may_open": opening,
        "request": request,
    }
    if opening:
        loan_ids = list(
            Loan.objects.filter(borrower_id=case.borrower_id)
            .order_by("loan_id")
            .values_list("loan_id", flat=True)
        )
        context["open_form"] = OpenForm(loan_ids=loan_ids, prefix="legal")
    context.update(extra)
    return context


@login_required
@require_POST
def open_case(request: HttpRequest, case_id: int) -> HttpResponse:
    """Open a legal case from the case page; on success go to its page."""
    _require_view(request)
    case = case_for(request.user, case_id)
    user: Any = request.user
    if not (can_write(user) and user.has_perm(services.OPEN_PERMISSION)):
        raise PermissionDenied(_("Your role does not work legal cases."))
    loan_ids = list(
        Loan.objects.filter(borrower_id=case.borrower_id)
        .order_by("loan_id")
        .values_list("loan_id", flat=True)
    )
    form = OpenForm(request.POST, loan_ids=loan_ids, prefix="legal")
    if form.is_valid():
        data = form.cleaned_data
        try:
            legal_case = services.open_case(
                user,
                case.pk,
                data["case_type"],
                data["loans"],
                claim=data.get("claim"),
                court=data.get("court", ""),
                lawyer=data.get("lawyer", ""),
                note=data.get("note", ""),
            )
        except DomainError as error:
            messages.error(request, _("Not saved: %(problems)s") % {"problems": error.message})
        else:
            messages.success(request, _("Legal case #%(id)s opened.") % {"id": legal_case.pk})
            return redirect("legal:detail", legal_case.pk)
    else:
        messages.error(request, _("Not saved: %(problems)s") % {"problems": form.errors.as_text()})
    return redirect("cases:case", case.pk)
