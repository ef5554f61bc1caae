"""The daily plans page (issue 8): the stored plans of recent days — the strategy's (greedy) against the
optimised — and one day's comparison by channel. Risk managers, admins and supervisors
(``planning.view_planrun``); for everyone else the pages do not exist (404). No borrower-level rows are shown:
the page is about the plan, not about people."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from qingshou.apps.planning.models import PlanItem, PlanRun

VIEW_PERMISSION = "planning.view_planrun"
RECENT_DAYS = 31


def _allowed(user: Any) -> None:
    if not user.has_perm(VIEW_PERMISSION):
        raise Http404("no such page")


def yuan(fen: int | None) -> str:
    """Fen as yuan with thousands separators and two decimals."""
    amount = (Decimal(fen or 0) / 100).quantize(Decimal("0.01"))
    return f"{amount:,.2f}"


def _pairs(runs: list[PlanRun]) -> list[dict[str, Any]]:
    by_day: dict[date, dict[str, PlanRun]] = {}
    for run in runs:
        by_day.setdefault(run.day, {})[run.method] = run
    rows = []
    for day in sorted(by_day, reverse=True):
        pair = by_day[day]
        greedy, optimised = pair.get(PlanRun.Method.GREEDY), pair.get(PlanRun.Method.OPTIMISED)
        gain = optimised.net_fen - greedy.net_fen if greedy and optimised else None
        either = greedy or optimised
        rows.append(
            {
                "day": day,
                "candidates": either.candidates if either else 0,
                "greedy_net": yuan(greedy.net_fen) if greedy else "—",
                "optimised_net": yuan(optimised.net_fen) if optimised else "—",
                "gain": "—" if gain is None else yuan(gain),
                "status": optimised.status if optimised else "—",
            }
        )
    return rows


@login_required
@require_GET
def listing(request: HttpRequest) -> HttpResponse:
    """The recent planned days: both nets and the gain."""
    _allowed(request.user)
    days = list(PlanRun.objects.values_list("day", flat=True).distinct().order_by("-day")[:RECENT_DAYS])
    runs = list(PlanRun.objects.filter(day__in=days))
    return render(request, "planning/plans.html", {"rows": _pairs(runs)})


def _run_rows(runs: list[PlanRun]) -> list[dict[str, Any]]:
    return [
        {
            "method": run.get_method_display(),
            "chosen": run.chosen,
            "candidates": run.candidates,
            "value": yuan(run.value_fen),
            "cost": yuan(run.cost_fen),
            "net": yuan(run.net_fen),
            "bound": yuan(run.bound_fen),
            "gap": f"{run.gap_ppm / 10_000:.4f}%",
            "status": run.status,
            "used": run.used,
            "capacity": run.capacity,
        }
        for run in runs
    ]


@login_required
@require_GET
def detail(request: HttpRequest, day: str) -> HttpResponse:
    """One day: both runs side by side and, by channel, what each plan chose."""
    _allowed(request.user)
    try:
        when = date.fromisoformat(day)
    except ValueError as error:
        raise Http404("no such day") from error
    runs = sorted(PlanRun.objects.filter(day=when), key=lambda run: run.method != PlanRun.Method.GREEDY)
    if not runs:
        raise Http404("no plan for this day")
    channels: dict[str, dict[str, Any]] = {}
    for run in runs:
        for row in (
            PlanItem.objects.filter(run=run)
            .values("channel")
            .annotate(
                n_candidates=Count("id"),
                n_chosen=Count("id", filter=Q(chosen=True)),
                chosen_value=Sum("value_fen", filter=Q(chosen=True)),
            )
            .order_by("channel")
        ):
            entry = channels.setdefault(
                row["channel"], {"channel": row["channel"], "candidates": row["n_candidates"]}
            )
            entry[f"{run.method}_chosen"] = row["n_chosen"]
            entry[f"{run.method}_value"] = yuan(row["chosen_value"])
    resources = sorted({key for run in runs for key in run.used})
    rows = _run_rows(runs)
    usage = [
        {
            "resource": key,
            "capacity": runs[0].capacity.get(key),
            "used": [row["used"].get(key, 0) for row in rows],
        }
        for key in resources
    ]
    gain = None
    if len(runs) == 2:
        gain = yuan(runs[1].net_fen - runs[0].net_fen)
    return render(
        request,
        "planning/plan.html",
        {"day": when, "runs": rows, "channels": list(channels.values()), "usage": usage, "gain": gain},
    )
