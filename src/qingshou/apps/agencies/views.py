"""Pages of the agencies app (issue 6): the agency register, the published agency list, the supervisors'
placements list (place by rules, recall), the agency portal, commission statements and the ranking; the
case page's placement section (``templatetags/agencies.py``).

Every page needs its permission (the role matrix) and reads cases through ``accounts.scoping``: a placement of
a case outside the user's scope does not exist (404). The agency portal shows an agency user only the
active placements of their own agency, masked; they work a case on the ordinary case page (contacts through
the one C8 check, promises), never through a bulk list or export. Views parse, call one service and render.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Final

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from qingshou.apps.accounts.models import Agency
from qingshou.apps.accounts.scoping import can_write, case_for, visible_cases
from qingshou.apps.agencies import services
from qingshou.apps.agencies.forms import ContractForm, RenewForm
from qingshou.apps.agencies.models import AgencyContract, CommissionRow, Placement
from qingshou.apps.cases.models import Case
from qingshou.domain.agencies import cohort_of
from qingshou.domain.errors import DomainError

PAGE_SIZE: Final = 50
VIEW_PLACEMENTS: Final = "agencies.view_placement"
REPORTS: Final = "agencies.view_agency_reports"
PORTAL: Final = "agencies.work_placements"
LIST: Final = "agencies.view_agencycontract"


def _need(request: HttpRequest, permission: str) -> None:
    """Pages of another role's work do not exist for the user (404, like the queue for field agents)."""
    if not request.user.has_perm(permission):
        raise Http404("no such page")


def _may_place(user: Any) -> bool:
    return can_write(user) and bool(user.has_perm(services.PLACE))


class PlaceForm(forms.Form):
    """Manual placement of one case: the agency and the day (default today)."""

    agency = forms.ModelChoiceField(
        queryset=Agency.objects.filter(active=True), label=gettext_lazy("Agency"), to_field_name="agency_id"
    )
    placed_on = forms.DateField(label=gettext_lazy("Placed on"), required=False)


class RecallForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=500)


class EvaluationForm(forms.Form):
    evaluated_on = forms.DateField(label=gettext_lazy("Evaluated on"))
    score = forms.IntegerField(label=gettext_lazy("Score"), min_value=0, max_value=100)
    passed = forms.BooleanField(label=gettext_lazy("Passed"), required=False)
    notes = forms.CharField(label=gettext_lazy("Notes"), required=False, max_length=2000)


class ComplaintForm(forms.Form):
    received_on = forms.DateField(label=gettext_lazy("Received on"))
    summary = forms.CharField(label=gettext_lazy("Summary"), max_length=2000)


class MonthForm(forms.Form):
    month = forms.RegexField(regex=r"^\d{4}-(0[1-9]|1[0-2])$", label=gettext_lazy("Month (YYYY-MM)"))


@login_required
@require_GET
def register(request: HttpRequest) -> HttpResponse:
    """The agency register: every agency with its contracts, evaluation state and open placements."""
    _need(request, services.MANAGE)
    today = timezone.localdate()
    contracts = AgencyContract.objects.select_related("agency", "renews").prefetch_related("evaluations")
    open_counts = services.open_placements_by_agency()
    rows = [
        {
            "contract": contract,
            "evaluation": services.evaluation_state(contract, today),
            "open": open_counts.get(contract.agency_id, 0),
            "in_force": contract.starts_on <= today <= contract.ends_on,
        }
        for contract in contracts.order_by("agency_id", "-starts_on")
    ]
    agencies = Agency.objects.order_by("agency_id")
    return render(
        request,
        "agencies/register.html",
        {"rows": rows, "agencies": agencies, "today": today, "may_manage": can_write(request.user)},
    )


def _form_errors(form: forms.Form) -> str:
    return "; ".join(f"{field}: {' '.join(str(e) for e in errors)}" for field, errors in form.errors.items())


@login_required
@require_POST
def evaluate(request: HttpRequest, contract_id: int) -> HttpResponse:
    """Record an evaluation of a contract (C8: at least yearly and before renewal)."""
    _need(request, services.MANAGE)
    if not AgencyContract.objects.filter(pk=contract_id).exists():
        raise Http404("no such contract")
    form = EvaluationForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
    else:
        data = form.cleaned_data
        try:
            services.evaluate(
                request.user, contract_id, data["evaluated_on"], data["score"], data["passed"], data["notes"]
            )
            messages.success(request, _("Evaluation recorded."))
        except DomainError as error:
            messages.error(request, error.message)
    if request.POST.get("back") == "renew":
        return redirect("agencies:renew", contract_id=contract_id)
    return redirect("agencies:register")


def _managed(request: HttpRequest) -> None:
    """The register's forms: the page exists for ``manage_agencies`` only (404); a read-only role may not
    post (403)."""
    _need(request, services.MANAGE)
    if request.method == "POST" and not can_write(request.user):
        raise PermissionDenied(_("Your role only reads."))


@login_required
def contract_new(request: HttpRequest) -> HttpResponse:
    """Register a contract with an agency: terms, qualifications, white list, capacity and commission tiers
    (rows: bucket, up to, rate; whole or marginal). The service validates; its refusal shows on the field."""
    _managed(request)
    form = ContractForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.create_contract(request.user, form.contract_input())
        except DomainError as error:
            form.put_refusal(error)
        else:
            messages.success(request, _("Contract %(number)s registered.") % {"number": created.number})
            return redirect("agencies:register")
    return render(request, "agencies/contract_form.html", {"form": form}, status=_status(request, form))


@login_required
def renew(request: HttpRequest, contract_id: int) -> HttpResponse:
    """Renew a contract under a new number from a day (same terms). Refused while its evaluation is overdue
    or failed, or without a passed evaluation within 90 days before the renewal day (C8)."""
    _managed(request)
    contract = (
        AgencyContract.objects.select_related("agency", "renews")
        .prefetch_related("evaluations")
        .filter(pk=contract_id)
        .first()
    )
    if contract is None:
        raise Http404("no such contract")
    today = timezone.localdate()
    initial = {"starts_on": max(today, contract.starts_on), "ends_on": contract.ends_on}
    form = RenewForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = services.renew_contract(
                request.user, contract.pk, data["starts_on"], data["number"], data["ends_on"]
            )
        except DomainError as error:
            form.put_refusal(error)
        else:
            messages.success(
                request,
                _("Contract %(old)s renewed as %(number)s.")
                % {"old": contract.number, "number": created.number},
            )
            return redirect("agencies:register")
    return render(
        request,
        "agencies/renew.html",
        {
            "form": form,
            "contract": contract,
            "evaluation": services.evaluation_state(contract, today),
            "evaluations": sorted(contract.evaluations.all(), key=lambda e: e.evaluated_on, reverse=True),
            "today": today,
        },
        status=_status(request, form),
    )


def _status(request: HttpRequest, form: forms.Form) -> int:
    """422 when a posted form is shown again with its errors (as the other apps' forms), else 200."""
    return 422 if request.method == "POST" and form.errors else 200


@login_required
@require_POST
def complaint(request: HttpRequest, placement_id: int) -> HttpResponse:
    """Record a complaint about an agency's conduct on a placement (counts in the ranking)."""
    placement = Placement.objects.filter(pk=placement_id).first()
    if placement is None:
        raise Http404("no such placement")
    case_for(request.user, placement.case_id)
    if not request.user.has_perm(services.MANAGE):
        raise PermissionDenied(_("Your role does not record complaints."))
    form = ComplaintForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
    else:
        try:
            services.add_complaint(
                request.user, placement.pk, form.cleaned_data["received_on"], form.cleaned_data["summary"]
            )
            messages.success(request, _("Complaint recorded."))
        except DomainError as error:
            messages.error(request, error.message)
    return redirect(f"{reverse('agencies:placements')}?status={placement.status}")


@login_required
@require_GET
def published(request: HttpRequest) -> HttpResponse:
    """The published agency list for staff: white-listed agencies in force with their qualifications."""
    _need(request, LIST)
    today = timezone.localdate()
    return render(
        request,
        "agencies/published.html",
        {"contracts": services.published_contracts(today), "today": today},
    )


@login_required
@require_GET
def placements(request: HttpRequest) -> HttpResponse:
    """Placements of the cases the user sees (supervisors: their teams'), newest first, by status."""
    _need(request, VIEW_PLACEMENTS)
    user: Any = request.user
    status = request.GET.get("status", Placement.Status.ACTIVE)
    rows = Placement.objects.filter(case__in=visible_cases(user).values("pk")).select_related(
        "agency", "case__borrower"
    )
    if status in Placement.Status.values:
        rows = rows.filter(status=status)
    page = Paginator(services.with_recovery(rows).order_by("-placed_on", "-pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "agencies/placements.html",
        {
            "page": page,
            "status": status,
            "statuses": Placement.Status.choices,
            "may_place": _may_place(user),
            "may_complain": bool(user.has_perm(services.MANAGE)),
            "recall_form": RecallForm(),
            "today": timezone.localdate(),
        },
    )


@login_required
@require_POST
def place_by_rules(request: HttpRequest) -> HttpResponse:
    """Place today's agency-placement proposals by rules, capacity and performance."""
    if not _may_place(request.user):
        raise PermissionDenied(_("Your role does not place cases."))
    try:
        run = services.place_by_rules(request.user, timezone.localdate())
        messages.success(
            request,
            _("%(placed)d cases placed, %(left)d left unplaced.")
            % {"placed": len(run.placed), "left": len(run.unplaced)},
        )
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("agencies:placements")


@login_required
@require_POST
def place_case(request: HttpRequest, case_id: int) -> HttpResponse:
    """A supervisor places one case (from the case page's section)."""
    case = case_for(request.user, case_id)
    if not _may_place(request.user):
        raise PermissionDenied(_("Your role does not place cases."))
    form = PlaceForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose an agency."))
    else:
        on = form.cleaned_data["placed_on"] or timezone.localdate()
        try:
            services.place(request.user, case.pk, form.cleaned_data["agency"].agency_id, on)
            messages.success(request, _("Case placed with the agency."))
        except DomainError as error:
            messages.error(request, error.message)
    return redirect("cases:case", case_id=case.pk)


@login_required
@require_POST
def recall(request: HttpRequest, placement_id: int) -> HttpResponse:
    """A supervisor recalls a placement before its term ends (a reason is required)."""
    placement = Placement.objects.filter(pk=placement_id).first()
    if placement is None:
        raise Http404("no such placement")
    case_for(request.user, placement.case_id)
    if not _may_place(request.user):
        raise PermissionDenied(_("Your role does not place cases."))
    form = RecallForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason."))
    else:
        try:
            services.recall(request.user, placement.pk, timezone.localdate(), form.cleaned_data["reason"])
            messages.success(request, _("Placement recalled: the agency no longer sees the case."))
        except DomainError as error:
            messages.error(request, error.message)
    return redirect("agencies:placements")


@login_required
@require_GET
def portal(request: HttpRequest) -> HttpResponse:
    """The agency portal: the active placements of the user's agency (masked), to work one by one."""
    _need(request, PORTAL)
    user: Any = request.user
    agency_id = getattr(getattr(user, "profile", None), "agency_id", None)
    rows = Placement.objects.none()
    if agency_id:
        rows = (
            Placement.objects.filter(
                agency_id=agency_id,
                status=Placement.Status.ACTIVE,
                case__in=visible_cases(user).values("pk"),
            )
            .select_related("case__borrower")
            .order_by("term_ends_on", "pk")
        )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "agencies/portal.html", {"page": page, "today": timezone.localdate()})


def _month(request: HttpRequest) -> str:
    form = MonthForm(request.POST or request.GET or None)
    if form.is_bound and form.is_valid():
        return str(form.cleaned_data["month"])
    today = timezone.localdate()
    previous = date(today.year, today.month, 1).toordinal() - 1
    return cohort_of(date.fromordinal(previous))


@login_required
def commission(request: HttpRequest) -> HttpResponse:
    """The commission statement of a month (GET shows the stored one; POST recomputes it)."""
    _need(request, REPORTS)
    month = _month(request)
    if request.method == "POST":
        if not _may_place(request.user):
            raise PermissionDenied(_("Your role only reads."))
        try:
            services.commission_statement(request.user, month)
            messages.success(request, _("Statement of %(month)s computed.") % {"month": month})
        except DomainError as error:
            messages.error(request, error.message)
        return redirect(f"{request.path}?month={month}")
    rows = (
        CommissionRow.objects.filter(month=month)
        .select_related("agency", "placement")
        .order_by("agency_id", "placement_id")
    )
    return render(
        request,
        "agencies/commission.html",
        {
            "month": month,
            "rows": rows,
            "totals": services.statement_totals(month),
            "may_compute": _may_place(request.user),
        },
    )


@login_required
@require_GET
def ranking(request: HttpRequest) -> HttpResponse:
    """Agency ranking: recovery rate by placement cohort and complaints, overall and per cohort."""
    _need(request, REPORTS)
    today = timezone.localdate()
    return render(request, "agencies/ranking.html", {"ranking": services.ranking(today), "today": today})


def case_section_context(request: HttpRequest, case: Case) -> dict[str, Any]:
    """The case page's placement section: the case's placements (an agency user: only their agency's) and,
    for those who place cases, the placement form."""
    user: Any = request.user
    rows = Placement.objects.filter(case=case).select_related("agency").order_by("-placed_on", "-pk")
    if user.has_perm(PORTAL):
        rows = rows.filter(agency_id=getattr(getattr(user, "profile", None), "agency_id", None))
    may_place = _may_place(user) and case.status == Case.Status.OPEN and case.agency_id is None
    return {
        "case": case,
        "placements": list(rows),
        "place_form": PlaceForm() if may_place else None,
        "may_place": may_place,
        "csrf_token": get_token(request),
    }
