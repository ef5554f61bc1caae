"""Pages of the accounts app: login / logout (Django's views, our templates), the home redirect by role,
the profile page and the reveal of one personal-data field (POST, HTMX partial)."""

from __future__ import annotations

from typing import Final

from django.apps import apps
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_POST

from qingshou.apps.accounts import services
from qingshou.apps.accounts.errors import RevealRefused
from qingshou.apps.accounts.forms import LoginForm, RevealForm
from qingshou.apps.accounts.roles import ROLE_LABELS, Role, role_of
from qingshou.apps.audit.services import client_ip

#: Where each role lands after login: the first URL name that resolves (the pages of later waves may not
#: exist yet), else the profile page.
HOME_BY_ROLE: Final[dict[Role, tuple[str, ...]]] = {
    Role.COLLECTOR: ("cases:queue",),
    Role.SUPERVISOR: ("cases:queue",),
    Role.AGENCY_USER: ("cases:queue",),
    Role.LEGAL_OFFICER: ("cases:queue",),
    Role.RISK_MANAGER: ("cases:queue",),
    Role.STRATEGY_OWNER: ("cases:queue",),
    Role.FIELD_AGENT: ("field:index", "field:visits"),
    Role.AUDITOR: ("audit:list",),
    Role.ADMIN: ("cases:queue", "admin:index"),
}


class LoginView(auth_views.LoginView):
    """The login page (throttled by django-axes: 5 failures lock the username from that address)."""

    template_name = "accounts/login.html"
    form_class = LoginForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    """Logout (POST only, as Django requires)."""


def home_url(role: Role | None) -> str:
    """The landing page of a role (``HOME_BY_ROLE``), falling back to the profile page."""
    for name in HOME_BY_ROLE.get(role, ()) if role is not None else ():
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return reverse("accounts:profile")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send the user to their role's landing page."""
    return HttpResponseRedirect(home_url(role_of(request.user)))


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """Who I am: role, team, agency, region, what I may do."""
    user = request.user
    role = role_of(user)
    account = getattr(user, "profile", None)
    permissions = sorted(user.get_all_permissions()) if user.is_authenticated else []
    return render(
        request,
        "accounts/profile.html",
        {
            "role": role,
            "role_name": ROLE_LABELS[role] if role is not None else "",
            "account": account,
            "permissions": permissions,
        },
    )


def _target(label: str, pk: str) -> models.Model:
    if label not in services.PERSONAL_FIELDS:
        raise Http404("no such record")
    model = apps.get_model(label)
    try:
        found: models.Model = model.objects.get(pk=pk)
        return found
    except (model.DoesNotExist, ValueError):
        raise Http404("no such record") from None


@login_required
@require_POST
def reveal(request: HttpRequest) -> HttpResponse:
    """Reveal one field after a reason: the HTMX partial swaps the masked value for the clear one (a plain
    form post gets a small page). Outside the user's scope → 404; without the permission → 403."""
    form = RevealForm(request.POST)
    if not form.is_valid():
        raise Http404("no such record")
    obj = _target(form.cleaned_data["model"], form.cleaned_data["pk"])
    field = form.cleaned_data["field"]
    context = {"obj": obj, "field": field}
    try:
        value = services.reveal(request.user, obj, field, form.cleaned_data["reason"], ip=client_ip(request))
    except RevealRefused as error:
        if not request.user.has_perm(services.REVEAL_PERMISSION):
            raise PermissionDenied(error.message) from error
        context["error"] = error.message
        return render(request, "accounts/reveal.html", context)
    context["value"] = value
    template = (
        "accounts/revealed.html" if request.headers.get("HX-Request") else "accounts/revealed_page.html"
    )
    return render(request, template, context)
