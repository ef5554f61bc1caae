"""Read-only queries of the cases app: the day's action plan and the cases (for the CLI and, later, the
workbench)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Count, Max, OuterRef, QuerySet, Subquery, Sum

from qingshou.apps.cases.models import Action, Case
from qingshou.apps.eod.models import LoanStatus


@dataclass(frozen=True, slots=True)
class DayPlan:
    """The action plan of a day: counts by action and compliance outcome, by segment / path / arm, and
    the first ``limit`` actions by priority."""

    as_of: date
    total: int
    by_action: list[dict[str, Any]]
    by_path: list[dict[str, Any]]
    refusals: list[dict[str, Any]]
    top: list[Action]


def _rows(queryset: Any) -> list[dict[str, Any]]:
    """A ``values()`` query's rows as plain dicts."""
    return [dict(row) for row in queryset]


def day_plan(as_of: date, limit: int = 20) -> DayPlan:
    """The plan EOD computed for ``as_of``."""
    actions = Action.objects.filter(as_of=as_of)
    by_action = _rows(
        actions.values("action", "outcome").annotate(count=Count("id")).order_by("action", "outcome")
    )
    by_path = _rows(
        actions.values("segment", "path", "arm")
        .annotate(count=Count("id"))
        .order_by("segment", "path", "arm")
    )
    refusals = _rows(
        actions.filter(outcome="refuse")
        .values("reason")
        .annotate(count=Count("id"))
        .order_by("-count", "reason")
    )
    top = list(actions.select_related("borrower").order_by("-priority", "borrower_id", "step")[:limit])
    return DayPlan(as_of, actions.count(), by_action, by_path, refusals, top)


def cases(status: str | None = None) -> QuerySet[Case]:
    """Cases, newest first, optionally by status, each with its borrower's current worst days past due and
    total overdue (``worst_dpd``, ``total_overdue_fen``: from the loans' latest EOD status)."""
    loans = LoanStatus.objects.filter(loan__borrower_id=OuterRef("borrower_id")).values("loan__borrower_id")
    queryset = (
        Case.objects.select_related("borrower")
        .annotate(
            worst_dpd=Subquery(loans.annotate(value=Max("dpd")).values("value")[:1]),
            total_overdue_fen=Subquery(loans.annotate(value=Sum("total_overdue_fen")).values("value")[:1]),
        )
        .order_by("-opened_on", "borrower_id")
    )
    return queryset.filter(status=status) if status else queryset


def case_counts() -> dict[str, int]:
    """Cases by status."""
    return {row["status"]: row["count"] for row in Case.objects.values("status").annotate(count=Count("id"))}
