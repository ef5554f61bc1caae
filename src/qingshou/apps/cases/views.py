"""Pages of the workbench (issue 5): the queue, "next case", the case page with its HTMX partials (record a
contact, take a promise), the full quote of a loan, reassignment and breaking a lock.

Every view starts from ``scoping`` (``visible_cases`` / ``case_for``): a case outside the user's scope is a
404, never a 403. Views parse input, call one service and render; the services own transactions and audit.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Final

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from qingshou.apps.accounts.roles import Role, has_role
from qingshou.apps.accounts.scoping import can_work, can_write, case_for, visible_cases
from qingshou.apps.cases import assignment
from qingshou.apps.cases.assignment import AssignmentError, CaseLocked
from qingshou.apps.cases.forms import ContactForm, PromiseForm, QueueFilterForm, ReasonForm, ReassignForm
from qingshou.apps.cases.models import CallBack, Case, Promise, PromiseInstalment
from qingshou.apps.cases.services import contacts as contact_service
from qingshou.apps.cases.services.promises import take_promise
from qingshou.apps.cases.services.queue import filter_choices, latest_plan_day, next_case, queue
from qingshou.apps.contacts.models import ContactAttempt, ContactParty
from qingshou.apps.eod.models import LoanStatus
from qingshou.apps.loans.models import Installment, Loan, Payment
from qingshou.apps.notices.models import Outbox
from qingshou.apps.scoring.services.scores import page_score
from qingshou.domain.errors import DomainError

PAGE_SIZE: Final = 50
#: The columns the queue page shows (besides the queue's annotations): the rest is not fetched.
QUEUE_COLUMNS: Final = (
    "id",
    "borrower_id",
    "segment",
    "locked_by_id",
    "locked_until",
    "borrower__name",
    "locked_by__username",
)
HISTORY: Final = 50
#: Roles that work cases: opening a case takes its lock for them.
WORKERS: Final = (Role.COLLECTOR, Role.AGENCY_USER)


def _require_queue(request: HttpRequest) -> None:
    """The queue exists for users who see cases (field agents work from their visits): others get 404."""
    if not request.user.has_perm("cases.view_case"):
        raise Http404("no queue")


def _writable(request: HttpRequest) -> None:
    if not can_work(request.user):
        raise PermissionDenied(_("Your role does not work cases."))


@login_required
@require_GET
def queue_page(request: HttpRequest) -> HttpResponse:
    """The user's queue: filters, a page of cases in working order, "next case"."""
    _require_queue(request)
    user: Any = request.user
    plan_day = latest_plan_day()  # read once for the drop-downs and the page
    choices = filter_choices(user, plan_day=plan_day)
    form = QueueFilterForm(request.GET or None, segments=choices["segments"], queues=choices["queues"])
    cases = queue(user, form.filters() if request.GET else None, plan_day=plan_day).only(*QUEUE_COLUMNS)
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "cases/queue.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "now": timezone.now(),
            "can_write": can_work(user),
        },
    )


@login_required
@require_POST
def next_case_view(request: HttpRequest) -> HttpResponse:
    """Take the first free case of the queue (locked for the user) and open it."""
    _require_queue(request)
    _writable(request)
    case = next_case(request.user)  # type: ignore[arg-type]
    if case is None:
        messages.info(request, _("No free case in your queue."))
        return redirect("cases:queue")
    return redirect("cases:case", case_id=case.pk)


def _lock_state(request: HttpRequest, case: Case) -> dict[str, Any]:
    """Take the lock for the roles that work cases; report who holds it otherwise."""
    user: Any = request.user
    state: dict[str, Any] = {"holder": None, "mine": False}
    if can_write(user) and case.status == Case.Status.OPEN and has_role(user, *WORKERS):
        try:
            state["until"] = assignment.take_lock(user, case.pk)
            state["mine"] = True
        except CaseLocked as locked:
            state["holder"], state["until"] = locked.holder, locked.until
    else:
        holder, until = assignment.lock_holder(case.pk)
        if holder and until is not None and until > timezone.now():
            state["mine"] = Case.objects.filter(pk=case.pk, locked_by=user).exists()
            state["holder"] = None if state["mine"] else holder
            state["until"] = until
    return state


def _loans(case: Case) -> list[dict[str, Any]]:
    """The borrower's loans (the columns the page shows) with their latest status (2 queries). Schedules
    and payments are not read here: the page loads them when they are opened (``schedule_page``)."""
    loans = list(
        Loan.objects.filter(borrower_id=case.borrower_id)
        .select_related("product")
        .only("loan_id", "borrower_id", "product_id", "product__name")
        .order_by("loan_id")
    )
    statuses = {s.loan_id: s for s in LoanStatus.objects.filter(loan_id__in=[loan.loan_id for loan in loans])}
    return [{"loan": loan, "status": statuses.get(loan.loan_id)} for loan in loans]


def case_context(request: HttpRequest, case: Case) -> dict[str, Any]:
    """Everything the case page shows (read-only queries, a fixed number whatever the history's size).
    The borrower's parties and loans are read once and feed the sections and the forms' drop-downs."""
    user: Any = request.user
    promises = (
        Promise.objects.filter(case=case)
        .prefetch_related(Prefetch("instalments", queryset=PromiseInstalment.objects.order_by("seq")))
        .order_by("-created_at")
    )
    parties = list(ContactParty.objects.filter(borrower_id=case.borrower_id).order_by("pk"))
    rows = _loans(case)
    loans = [row["loan"] for row in rows]
    return {
        "case": case,
        "borrower": case.borrower,
        "parties": parties,
        "loans": rows,
        # The same Loan objects for the other apps' sections (arrangements, records): their drop-downs.
        "case_loans": loans,
        "attempts": ContactAttempt.objects.filter(borrower_id=case.borrower_id)
        .select_related("note", "party")
        .order_by("-planned_at", "-pk")[:HISTORY],
        "promises": promises,
        "callbacks": CallBack.objects.filter(case=case, done_at__isnull=True).order_by("at"),
        "notices": Outbox.objects.filter(borrower_id=case.borrower_id).order_by("-created_at")[:HISTORY],
        "events": case.events.order_by("-as_of", "-pk")[:HISTORY],
        "lock": _lock_state(request, case),
        "can_write": can_work(user),
        "can_manage": has_role(user, Role.SUPERVISOR, Role.ADMIN) and can_write(user),
        "contact_form": ContactForm(case=case, parties=parties, loans=loans),
        "promise_form": PromiseForm(case=case, loans=loans),
        "reassign_form": ReassignForm(supervisor=user)
        if has_role(user, Role.SUPERVISOR, Role.ADMIN)
        else None,
        "reason_form": ReasonForm(),
        # issue 8: the borrower's collection score with its reasons (not shown to agency users)
        "collection_score": None
        if has_role(user, Role.AGENCY_USER)
        else page_score(case.borrower_id, get_language() or ""),
    }


@login_required
@require_GET
def case_page(request: HttpRequest, case_id: int) -> HttpResponse:
    """The case page (opening it takes the work lock for collectors and agency users)."""
    # ``scoping.case_for``'s lookup (the user's visible cases; 404 outside them) with the people and the
    # borrower the page shows in the same query.
    case = (
        visible_cases(request.user)
        .select_related("borrower", "collector", "team", "agency")
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        raise Http404("no such case")
    return render(request, "cases/case.html", case_context(request, case))


@login_required
@require_POST
def lock_view(request: HttpRequest, case_id: int) -> HttpResponse:
    """ "Work this case": take the lock (supervisors and others who do not take it on opening)."""
    case = case_for(request.user, case_id)
    _writable(request)
    try:
        assignment.take_lock(request.user, case.pk)  # type: ignore[arg-type]
    except CaseLocked as locked:
        messages.error(request, _("This case is being worked by %(name)s.") % {"name": locked.holder})
    return redirect("cases:case", case_id=case.pk)


@login_required
@require_POST
def contact_view(request: HttpRequest, case_id: int) -> HttpResponse:
    """Record a contact (HTMX partial: the contact section re-rendered with the outcome)."""
    case = case_for(request.user, case_id)
    _writable(request)
    form = ContactForm(request.POST, case=case)
    context: dict[str, Any] = {"case": case, "can_write": True}
    if form.is_valid():
        data = form.cleaned_data
        try:
            recorded = contact_service.record_contact(
                request.user,  # type: ignore[arg-type]
                case.pk,
                contact_service.ContactForm(
                    party_id=data["party"].pk,
                    loan_id=data["loan"].loan_id,
                    channel=data["channel"],
                    result=data["result"],
                    reason=data["reason"],
                    notes=data["notes"],
                    callback_at=data["callback_at"],
                ),
            )
            context["recorded"] = recorded
            form = ContactForm(case=case)
        except DomainError as error:
            context["error"] = _message(error)
    context["contact_form"] = form
    context["attempts"] = (
        ContactAttempt.objects.filter(borrower_id=case.borrower_id)
        .select_related("note", "party")
        .order_by("-planned_at", "-pk")[:HISTORY]
    )
    context["callbacks"] = CallBack.objects.filter(case=case, done_at__isnull=True).order_by("at")
    return render(request, "cases/_contact.html", context, status=200 if "error" not in context else 422)


@login_required
@require_POST
def promise_view(request: HttpRequest, case_id: int) -> HttpResponse:
    """Take a promise to pay (HTMX partial: the promises section re-rendered)."""
    case = case_for(request.user, case_id)
    _writable(request)
    form = PromiseForm(request.POST, case=case)
    context: dict[str, Any] = {"case": case, "can_write": True}
    if form.is_valid():
        loan = form.cleaned_data.get("loan")
        try:
            context["taken"] = take_promise(
                request.user,  # type: ignore[arg-type]
                case.pk,
                form.cleaned_data["instalments"],
                loan_id=loan.loan_id if loan else "",
            )
            form = PromiseForm(case=case)
        except DomainError as error:
            context["error"] = _message(error)
    context["promise_form"] = form
    context["promises"] = (
        Promise.objects.filter(case=case)
        .prefetch_related(Prefetch("instalments", queryset=PromiseInstalment.objects.order_by("seq")))
        .order_by("-created_at")
    )
    status = 422 if "error" in context or form.errors else 200
    return render(request, "cases/_promises.html", context, status=status)


def _message(error: DomainError) -> str:
    """A service error as the page shows it (the lock's holder by name)."""
    if isinstance(error, CaseLocked):
        return _("This case is being worked by %(name)s.") % {"name": error.holder}
    return error.message


@login_required
@require_POST
def reassign_view(request: HttpRequest, case_id: int) -> HttpResponse:
    """A supervisor moves the case to another collector (audited)."""
    case = case_for(request.user, case_id)
    _writable(request)
    user: Any = request.user
    form = ReassignForm(request.POST, supervisor=user)
    if not form.is_valid():
        messages.error(request, _("Choose a collector and give a reason."))
    else:
        try:
            assignment.reassign(
                user, case.pk, collector=form.cleaned_data["collector"], reason=form.cleaned_data["reason"]
            )
            messages.success(request, _("Case reassigned."))
        except DomainError as error:
            messages.error(request, error.message)
    if not case_in_scope(user, case.pk):
        return redirect("cases:queue")
    return redirect("cases:case", case_id=case.pk)


def case_in_scope(user: Any, case_id: int) -> bool:
    """Whether the user still sees the case (after moving it away)."""
    try:
        case_for(user, case_id)
    except Http404:
        return False
    return True


@login_required
@require_POST
def break_lock_view(request: HttpRequest, case_id: int) -> HttpResponse:
    """A supervisor frees a case someone else holds (audited with the reason)."""
    case = case_for(request.user, case_id)
    _writable(request)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason."))
    else:
        try:
            assignment.break_lock(request.user, case.pk, reason=form.cleaned_data["reason"])  # type: ignore[arg-type]
            messages.success(request, _("Lock released."))
        except DomainError as error:
            messages.error(request, error.message)
    return redirect("cases:case", case_id=case.pk)


@login_required
@require_GET
def schedule_page(request: HttpRequest, case_id: int, loan_id: str) -> HttpResponse:
    """The schedule and the payments of one of the case's loans: the partial the case page loads when its
    "Schedule and payments" is opened (HTMX), or a page of its own (the link inside, without JavaScript)."""
    case = case_for(request.user, case_id)
    if not Loan.objects.filter(loan_id=loan_id, borrower_id=case.borrower_id).exists():
        raise Http404("no such loan")
    context = {
        "case": case,
        "loan_id": loan_id,
        "installments": Installment.objects.filter(loan_id=loan_id)
        .only("seq", "due_date", "principal_due_fen", "interest_due_fen", "fee_due_fen")
        .order_by("seq"),
        "payments": Payment.objects.filter(loan_id=loan_id)
        .only("payment_id", "paid_on", "amount_fen", "channel")
        .order_by("-paid_on", "payment_id"),
    }
    partial = bool(getattr(request, "htmx", False))
    return render(request, "cases/_schedule.html" if partial else "cases/schedule.html", context)


@login_required
@require_GET
def quote_page(request: HttpRequest, case_id: int, loan_id: str) -> HttpResponse:
    """The domain's full quote of one of the case's loans as of the latest EOD day (or yesterday)."""
    from qingshou.apps.loans.selectors import quote

    case = case_for(request.user, case_id)
    if not Loan.objects.filter(loan_id=loan_id, borrower_id=case.borrower_id).exists():
        raise Http404("no such loan")
    as_of = LoanStatus.objects.filter(loan_id=loan_id).values_list("as_of", flat=True).first()
    day = as_of if isinstance(as_of, date) else timezone.localdate() - timedelta(days=1)
    try:
        result = quote(loan_id, day)
    except DomainError as error:
        return render(
            request,
            "cases/quote.html",
            {"case": case, "loan_id": loan_id, "as_of": day, "error": error.message},
        )
    return render(
        request, "cases/quote.html", {"case": case, "loan_id": loan_id, "as_of": day, "quote": result}
    )


__all__ = ["AssignmentError"]
