"""Pages of the watch list (issue 8): the list (filter open / closed) and marking an entry reviewed.

Every view starts from the scope (``services.watchlist``): a role outside it gets 404, never 403, and an
entry outside the user's scope does not exist. Views parse, call one service and render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from qingshou import clock
from qingshou.apps.audit.services import client_ip
from qingshou.apps.warning.models import WatchEntry
from qingshou.apps.warning.services import watchlist

PAGE_ROWS = 500


def _require_view(request: HttpRequest) -> None:
    if not watchlist.may_view(request.user):
        raise Http404("no watch list")


@login_required
@require_GET
def listing(request: HttpRequest) -> HttpResponse:
    """The entries in scope, newest first; ``?status=open|closed`` (default open)."""
    _require_view(request)
    status = request.GET.get("status", WatchEntry.Status.OPEN.value)
    entries = watchlist.filtered(watchlist.visible_entries(request.user), status).select_related(
        "borrower", "reviewed_by"
    )
    total = entries.count()
    context: dict[str, Any] = {
        "rows": watchlist.entry_rows(entries[:PAGE_ROWS], clock.today()),
        "total": total,
        "shown": min(total, PAGE_ROWS),
        "status": status,
        "statuses": WatchEntry.Status.choices,
        "may_review": watchlist.may_review(request.user),
    }
    return render(request, "warning/list.html", context)


@login_required
@require_POST
def review(request: HttpRequest, entry_id: int) -> HttpResponse:
    """Mark an entry reviewed with a note (audit event ``warning.review``)."""
    _require_view(request)
    entry = watchlist.entry_for(request.user, entry_id)
    try:
        watchlist.review(request.user, entry, request.POST.get("note", ""), ip=client_ip(request))
    except watchlist.ReviewError as error:
        messages.error(request, _("Not recorded: %(reason)s") % {"reason": error.message})
    else:
        messages.success(request, _("Marked reviewed."))
    status = request.POST.get("status", "")
    target = redirect("warning:list")
    if status in WatchEntry.Status.values:
        target["Location"] += f"?status={status}"
    return target
