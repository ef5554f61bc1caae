"""The auditor's page: the audit trail, filtered and paginated, read-only (GET only).

Only users with ``audit.view_auditevent`` (auditors, administrators) see it; anyone else gets 404.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from qingshou.apps.audit import selectors
from qingshou.apps.audit.forms import AuditFilterForm

PAGE_SIZE = 50


@login_required
@require_safe
def event_list(request: HttpRequest) -> HttpResponse:
    """The audit trail, newest first, 50 a page; filters: actor, action, date range."""
    if not request.user.has_perm("audit.view_auditevent"):
        raise Http404("no such page")
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    rows = selectors.events(
        actor=filters.get("actor") or "",
        action=filters.get("action") or "",
        date_from=filters.get("date_from"),
        date_to=filters.get("date_to"),
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode(), "actions": selectors.actions()}
    template = "audit/_events.html" if request.headers.get("HX-Request") else "audit/list.html"
    return render(request, template, context)
