"""The collector's queue (issue 5, docs/workbench.md): the open cases a user may see, in working order.

Order: (1) call-backs due today (not done), earliest first; (2) today's call tasks — the ``call`` actions of
the latest planned day whose compliance outcome is allow or defer — by the strategy's priority, highest
first; (3) the borrower's worst days past due (the lead loan's latest status carries the borrower's aggregate),
highest first; then the case id. Filters: bucket (the lead
loan's), segment, dpd range (worst dpd), queue name (the call task's). Every figure is a subquery of the one
page query, so a page costs a fixed number of queries whatever its size (no N+1).

Issue 8: when the optimised plan of the planned day is stored (``apps.planning``: ``PlanRun`` method
``optimised``), each case says whether the plan chose one of its actions of the day (``in_plan``) or left its
actions out (``outside_plan``); both are false without a plan or when the case had no candidate. The plan is
advisory: it does not change the order.

``next_case`` walks the same order and takes the first case that is not locked by someone else, with the
conditional UPDATE of ``assignment.take_lock`` — two collectors pressing "next" at once get two cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Final, TypeVar

from django.contrib.auth.models import User
from django.db.models import Exists, IntegerField, Max, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from qingshou.apps.accounts.scoping import visible_cases
from qingshou.apps.cases.assignment import CaseLocked, take_lock
from qingshou.apps.cases.models import Action, CallBack, Case
from qingshou.apps.eod.models import LoanStatus
from qingshou.apps.planning.models import PlanItem, PlanRun

_Cases = TypeVar("_Cases", bound=QuerySet[Any])
#: Outcomes of a call task that still make it today's work (a refused call is not worked).
WORKABLE: Final = ("allow", "defer")
#: Cases ``next_case`` tries before giving up (each one locked by someone else in the meantime).
NEXT_TRIES: Final = 20


@dataclass(frozen=True, slots=True)
class QueueFilters:
    """The queue's filters (all optional)."""

    bucket: str = ""
    segment: str = ""
    dpd_min: int | None = None
    dpd_max: int | None = None
    queue: str = ""


def latest_plan_day() -> date | None:
    """The latest day that has planned actions."""
    found = Action.objects.aggregate(day=Max("as_of"))["day"]
    return found if isinstance(found, date) else None


def _in_plan(plan_day: date, *, chosen: bool) -> Exists:
    """True when one of the case's actions of ``plan_day`` is an item of the day's optimised plan that the
    optimiser ``chosen`` (or left out) — one subquery of the page query."""
    items = PlanItem.objects.filter(
        action_id=OuterRef("pk"), run__day=plan_day, run__method=PlanRun.Method.OPTIMISED, chosen=chosen
    )
    return Exists(Action.objects.filter(case=OuterRef("pk"), as_of=plan_day).filter(Exists(items)))


def _today_bounds(today: date) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(today, time.min))
    return start, start + timedelta(days=1)


def queue(
    user: User,
    filters: QueueFilters | None = None,
    *,
    today: date | None = None,
    plan_day: date | None = None,
) -> QuerySet[Case]:
    """The user's open visible cases in working order (module docstring), annotated with ``callback_at``,
    ``call_priority``, ``call_queue``, ``worst_dpd``, ``bucket``, ``in_plan`` / ``outside_plan`` (the day's
    optimised plan) and the lock holder's name. ``plan_day``:
    the latest planned day when the caller has read it already (``latest_plan_day``)."""
    filters = filters or QueueFilters()
    today = today or timezone.localdate()
    start, end = _today_bounds(today)
    plan_day = plan_day or latest_plan_day() or date.min
    callbacks = CallBack.objects.filter(case=OuterRef("pk"), done_at__isnull=True, at__gte=start, at__lt=end)
    calls = Action.objects.filter(case=OuterRef("pk"), as_of=plan_day, action="call", outcome__in=WORKABLE)
    lead = LoanStatus.objects.filter(loan_id=OuterRef("lead_loan_id"))
    cases = (
        visible_cases(user)
        .filter(status=Case.Status.OPEN)
        .select_related("borrower", "locked_by")
        .annotate(
            callback_at=Subquery(callbacks.order_by("at").values("at")[:1]),
            has_callback=Exists(callbacks),
            call_priority=Subquery(calls.order_by("-priority").values("priority")[:1]),
            call_queue=Subquery(calls.order_by("-priority").values("queue")[:1]),
            worst_dpd=Coalesce(
                Subquery(lead.values("borrower_worst_dpd")[:1]), Value(0), output_field=IntegerField()
            ),
            total_overdue_fen=Subquery(lead.values("borrower_total_overdue_fen")[:1]),
            bucket=Subquery(lead.values("bucket")[:1]),
            in_plan=_in_plan(plan_day, chosen=True),
            outside_plan=_in_plan(plan_day, chosen=False),
        )
    )
    cases = _filtered(cases, filters)
    return cases.order_by(
        "-has_callback",
        "callback_at",
        Coalesce("call_priority", Value(-1)).desc(),
        "-worst_dpd",
        "pk",
    )


def _filtered(cases: _Cases, filters: QueueFilters) -> _Cases:
    conditions = Q()
    if filters.bucket:
        conditions &= Q(bucket=filters.bucket)
    if filters.segment:
        conditions &= Q(segment=filters.segment)
    if filters.dpd_min is not None:
        conditions &= Q(worst_dpd__gte=filters.dpd_min)
    if filters.dpd_max is not None:
        conditions &= Q(worst_dpd__lte=filters.dpd_max)
    if filters.queue:
        conditions &= Q(call_queue=filters.queue)
    return cases.filter(conditions)


def next_case(user: User, filters: QueueFilters | None = None, *, today: date | None = None) -> Case | None:
    """Lock and return the first case of the user's queue nobody else is working (None: none free)."""
    now = timezone.now()
    free = Q(locked_by__isnull=True) | Q(locked_until__lt=now) | Q(locked_by=user)
    for case in queue(user, filters, today=today).filter(free)[:NEXT_TRIES]:
        try:
            take_lock(user, case.pk, now=now)
        except CaseLocked:
            continue
        return case
    return None


def filter_choices(user: User, *, plan_day: date | None = None) -> dict[str, list[Any]]:
    """Values for the filter drop-downs: segments and queues of the user's open cases (``plan_day`` as for
    ``queue``)."""
    cases = visible_cases(user).filter(status=Case.Status.OPEN)
    plan_day = plan_day or latest_plan_day() or date.min
    segments = sorted(set(cases.exclude(segment="").values_list("segment", flat=True).distinct()))
    queues = sorted(
        set(
            Action.objects.filter(as_of=plan_day, action="call", case__in=cases.values("pk"))
            .exclude(queue="")
            .values_list("queue", flat=True)
            .distinct()
        )
    )
    return {"segments": segments, "queues": queues}
