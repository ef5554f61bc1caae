"""Pages of the collateral app (issue 6): the register (list), a collateral's page (appraisals, secured loans
with their LTV, disposal rounds and proceeds) with the managers' forms, and registering a collateral.

Every view starts from the scope (``selectors.visible_collateral``): outside it a collateral does not exist
(404), and so does the whole app for a role without ``collateral.view_collateral``. Views parse, call one
service and render; the services own the rules, the transactions and the audit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from qingshou.apps.collateral import forms as collateral_forms
from qingshou.apps.collateral import selectors, services
from qingshou.apps.collateral.models import Collateral
from qingshou.domain.errors import DomainError
from qingshou.domain.money import ZERO


def _require_view(request: HttpRequest) -> None:
    if not request.user.has_perm(services.VIEW_PERMISSION):
        raise Http404("no collateral")


def _collateral(request: HttpRequest, collateral_id: int) -> Collateral:
    _require_view(request)
    found = selectors.visible_collateral(request.user).filter(pk=collateral_id).first()
    if found is None:
        raise Http404("no such collateral")
    return found


@login_required
@require_GET
def register_list(request: HttpRequest) -> HttpResponse:
    """The collateral register in the user's scope."""
    _require_view(request)
    status = request.GET.get("status") or None
    if status not in (None, *Collateral.Status.values):
        status = None
    rows = selectors.register_rows(request.user, status=status)
    loan_ids = sorted({link.loan_id for item in rows for link in item.links.all()})
    return render(
        request,
        "collateral/list.html",
        {
            "rows": rows,
            "ltv": selectors.latest_ltv(loan_ids),
            "status": status,
            "statuses": Collateral.Status.choices,
            "may_manage": services.may_manage(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    """Register a collateral (managers)."""
    _require_view(request)
    if not services.may_manage(request.user):
        raise Http404("no register form")
    form = collateral_forms.RegisterForm(request.POST or None)
    error = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = services.register(
                request.user,
                services.Registration(
                    kind=data["kind"],
                    description=data["description"],
                    owner_name=data["owner_name"],
                    owner_id_number=data["owner_id_number"],
                    third_party=data["third_party"],
                    lien_number=data["lien_number"],
                    lien_authority=data["lien_authority"],
                    lien_registered_on=data["lien_registered_on"],
                    loans=data["loans"],
                ),
            )
        except DomainError as failure:
            error = failure.message
        else:
            messages.success(request, _("Collateral #%(id)s registered.") % {"id": created.pk})
            return redirect("collateral:detail", created.pk)
    failed = request.method == "POST"
    return render(
        request, "collateral/register.html", {"form": form, "error": error}, status=422 if failed else 200
    )


def _page(request: HttpRequest, collateral: Collateral, **extra: Any) -> dict[str, Any]:
    context = selectors.collateral_page(collateral)
    manage = services.may_manage(request.user)
    context["may_manage"] = manage
    if manage:
        for name, form_class in FORMS.items():
            context[f"{name}_form"] = extra.pop(f"{name}_form", None) or form_class(prefix=name)
    context.update(extra)
    return context


@login_required
@require_GET
def detail(request: HttpRequest, collateral_id: int) -> HttpResponse:
    """A collateral's page."""
    collateral = _collateral(request, collateral_id)
    return render(request, "collateral/detail.html", _page(request, collateral))


def _open_disposal_id(collateral: Collateral) -> int:
    disposal = (
        collateral.disposals.filter(status="open").first() or collateral.disposals.order_by("-pk").first()
    )
    if disposal is None:
        raise services.CollateralRefused(_("The collateral has no disposal."), field="disposal")
    return int(disposal.pk)


def _link(user: Any, item: Collateral, data: dict[str, Any]) -> str:
    services.link_loan(user, item.pk, data["loan_id"], data["rank"])
    return _("Loan %(loan)s linked.") % {"loan": data["loan_id"]}


def _appraise(user: Any, item: Collateral, data: dict[str, Any]) -> str:
    services.appraise(
        user,
        item.pk,
        appraised_on=data["appraised_on"],
        value=data["value"],
        appraiser=data["appraiser"],
        method=data["method"],
    )
    return _("Appraisal recorded.")


def _dispose(user: Any, item: Collateral, data: dict[str, Any]) -> str:
    services.start_disposal(user, item.pk, started_on=data["started_on"])
    return _("Disposal started.")


def _round(user: Any, item: Collateral, data: dict[str, Any]) -> str:
    created = services.record_round(
        user, _open_disposal_id(item), starting_price=data["starting_price"], held_on=data["held_on"]
    )
    return _("Round %(number)s recorded.") % {"number": created.number}


def _failed(user: Any, item: Collateral, data: dict[str, Any]) -> str:
    services.record_failed(user, _open_disposal_id(item))
    return _("The round failed (流拍).")


def _withdrawn(user: Any, item: Collateral, data: dict[str, Any]) -> str:
    services.record_withdrawn(user, _open_disposal_id(item))
    return _("The round was withdrawn.")


def _sale(user: Any, item: Collateral, data: dict[str, Any]) -> str:
    outcome = services.record_sale(
        user,
        _open_disposal_id(item),
        price=data["price"],
        sold_on=data["sold_on"],
        costs=data["costs"] or ZERO,
        buyer=data["buyer"],
        via=data["via"],
    )
    return _("Sold: ¥%(net)s net, ¥%(surplus)s surplus for the owner.") % {
        "net": outcome.proceeds.net,
        "surplus": outcome.proceeds.surplus,
    }


def _transfer(user: Any, item: Collateral, data: dict[str, Any]) -> str:
    outcome = services.transfer_in_lieu(
        user,
        _open_disposal_id(item),
        transferred_on=data["transferred_on"],
        taker=data["taker"],
        costs=data["costs"] or ZERO,
    )
    return _("Transferred in lieu at ¥%(price)s.") % {"price": outcome.proceeds.gross}


def _surplus(user: Any, item: Collateral, data: dict[str, Any]) -> str:
    services.record_surplus_returned(
        user, _open_disposal_id(item), returned_on=data["returned_on"], reference=data["reference"]
    )
    return _("Surplus return recorded.")


def _release(user: Any, item: Collateral, data: dict[str, Any]) -> str:
    services.release(user, item.pk, released_on=data["released_on"], reason=data["reason"])
    return _("Collateral released.")


Action = Callable[[Any, Collateral, dict[str, Any]], str]
#: action name → (form, what it does).
ACTIONS: Final[dict[str, tuple[type[forms.Form], Action]]] = {
    "link": (collateral_forms.LinkForm, _link),
    "appraise": (collateral_forms.AppraisalForm, _appraise),
    "dispose": (collateral_forms.DisposalForm, _dispose),
    "round": (collateral_forms.RoundForm, _round),
    "failed": (forms.Form, _failed),
    "withdrawn": (forms.Form, _withdrawn),
    "sale": (collateral_forms.SaleForm, _sale),
    "transfer": (collateral_forms.TransferForm, _transfer),
    "surplus": (collateral_forms.SurplusForm, _surplus),
    "release": (collateral_forms.ReleaseForm, _release),
}
FORMS: Final = {name: form for name, (form, _action) in ACTIONS.items() if form is not forms.Form}


@login_required
@require_POST
def reveal(request: HttpRequest, collateral_id: int) -> HttpResponse:
    """The owner's name or ID number in clear after a reason (audited); out of scope → 404."""
    collateral = _collateral(request, collateral_id)
    field = request.POST.get("field", "")
    try:
        value = services.reveal_owner(
            request.user,
            collateral.pk,
            field,
            request.POST.get("reason", ""),
            ip=request.META.get("REMOTE_ADDR"),
        )
    except DomainError as failure:
        return render(request, "collateral/_revealed.html", {"error": failure.message}, status=403)
    return render(request, "collateral/_revealed.html", {"value": value, "field": field})


@login_required
@require_POST
def act(request: HttpRequest, collateral_id: int, action: str) -> HttpResponse:
    """One manager's action on the collateral (``ACTIONS``); back to its page, or the page with the error."""
    collateral = _collateral(request, collateral_id)
    if action not in ACTIONS or not services.may_manage(request.user):
        raise Http404("no such action")
    form_class, run = ACTIONS[action]
    form = form_class(request.POST, prefix=action if form_class is not forms.Form else None)
    extra: dict[str, Any] = {}
    if form.is_valid():
        try:
            messages.success(request, run(request.user, collateral, form.cleaned_data))
        except DomainError as failure:
            extra["error"] = failure.message
        else:
            return redirect("collateral:detail", collateral.pk)
    if action in FORMS:
        extra[f"{action}_form"] = form
    extra["failed_action"] = action
    collateral.refresh_from_db()
    return render(request, "collateral/detail.html", _page(request, collateral, **extra), status=422)
