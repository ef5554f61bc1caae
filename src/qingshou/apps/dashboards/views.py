"""The dashboards' pages (issue 7): the overview (the month's headline figures and every chart of the contract)
and one page per report section — 逾期现状, 清收策略与成效, 影响分析, 解决办法与建议 — each showing its tables
(generically from ``contract.TABLES``, values through ``format.value_text``) and charts (ECharts, options built
in ``charts``), filtered by month, product, branch and team, scoped by ``scope.scope_for`` (out of scope → 404).

Views are thin: scope, the filter form, ``data.month_data`` (cached), presentation."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.http import urlencode
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from qingshou.analytics import format as labels
from qingshou.analytics.contract import TABLES, MonthData, Section
from qingshou.analytics.sources import NoSnapshot
from qingshou.apps.accounts.models import Team
from qingshou.apps.dashboards import data
from qingshou.apps.dashboards.charts import chart_option, charts_of
from qingshou.apps.dashboards.forms import FilterForm, month_value
from qingshou.apps.dashboards.present import (
    PAGES,
    figure_view,
    pick,
    recommendation_view,
    section_title,
    table_view,
)
from qingshou.apps.dashboards.scope import Scope, scope_for

OVERVIEW = "overview"
#: How many recommendations the overview lists (the 解决办法与建议 page lists all).
TOP_RECOMMENDATIONS = 3
_SLUGS = {section.value: section for section in PAGES}


def _tabs(current: str, query: str) -> list[dict[str, Any]]:
    tabs = [{"slug": OVERVIEW, "title": pick("概览", "Overview"), "current": current == OVERVIEW}]
    tabs += [
        {"slug": section.value, "title": section_title(section), "current": current == section.value}
        for section in PAGES
    ]
    for tab in tabs:
        tab["query"] = query
    return tabs


def _form(request: HttpRequest, scope: Scope, months: list[date]) -> FilterForm:
    """The filter form bound to the query (defaults: the newest month; a supervisor's first team); a team
    outside the user's scope → 404."""
    params: QueryDict = request.GET.copy()
    if not params.get("month"):
        params["month"] = month_value(months[0])
    team = params.get("team", "")
    if team and not scope.allows_team(team):
        raise Http404("no such team")
    if not scope.whole_book and not team:
        params["team"] = str(scope.teams[0].pk)
    teams = list(Team.objects.order_by("name")) if scope.whole_book else list(scope.teams)
    return FilterForm(
        params,
        months=months,
        products=data.product_choices(),
        branches=data.branch_choices(),
        teams=teams,
        any_team=scope.whole_book,
    )


def _charts(month: MonthData, wanted: set[str] | None) -> list[dict[str, Any]]:
    views = []
    for spec, table in charts_of(month.tables, wanted):
        views.append(
            {
                "key": spec.key,
                "title": pick(spec.zh, spec.en),
                "table": spec.table,
                "section": TABLES[spec.table].section.value,
                "empty": table.frame.is_empty(),
                "script_id": f"chart-{spec.key}",
                "option": chart_option(spec, table),
            }
        )
    return views


@login_required
@require_GET
def page(request: HttpRequest, section: str = OVERVIEW) -> HttpResponse:
    """The overview (``section`` omitted) or one section's page, under the GET filters."""
    scope = scope_for(request.user)
    chosen = _SLUGS.get(section)
    if section != OVERVIEW and chosen is None:
        raise Http404("no such dashboard")
    template = "dashboards/overview.html" if chosen is None else "dashboards/section.html"
    context: dict[str, Any] = {
        "section": section,
        "title": pick("概览", "Overview") if chosen is None else section_title(chosen),
        "scope": scope,
    }
    root = data.lake()
    months = data.lake_months(root)
    if not months:
        context["tabs"] = _tabs(section, "")
        return render(request, template, context | {"no_data": True})
    form = _form(request, scope, months)
    context["form"] = form
    if not form.is_valid():
        context["tabs"] = _tabs(section, "")
        return render(request, template, context, status=422)
    filters = form.filters()
    query = urlencode({"month": form.cleaned_data["month"], **filters})
    context["tabs"] = _tabs(section, query)
    context["query"] = query
    try:
        month = data.month_data(root, form.chosen_month(), filters)
    except NoSnapshot:
        return render(request, template, context | {"no_data": True})
    with labels.language("en" if (get_language() or "").startswith("en") else "zh"):
        return render(request, template, context | _shown(month, chosen))


def _shown(month: MonthData, chosen: Section | None) -> dict[str, Any]:
    """What a page shows of the month: the overview its figures, every chart and the top recommendations; a
    section its tables and charts (and, for 解决办法与建议, every recommendation with its evidence)."""
    ranked = sorted(month.recommendations, key=lambda item: item.priority)
    shown: dict[str, Any] = {"month": month, "notes": [pick(note.zh, note.en) for note in month.notes]}
    if chosen is None:
        shown["figures"] = [figure_view(figure) for figure in month.figures]
        shown["charts"] = _charts(month, None)
        shown["recommendations"] = [recommendation_view(item) for item in ranked[:TOP_RECOMMENDATIONS]]
    else:
        keys = {key for key, spec in TABLES.items() if spec.section is chosen}
        shown["tables"] = [
            table_view(month.tables[key]) for key in TABLES if key in keys and key in month.tables
        ]
        shown["charts"] = _charts(month, keys)
        if chosen is Section.RECOMMENDATIONS:
            shown["recommendations"] = [recommendation_view(item) for item in ranked]
    shown["drawn"] = any(not chart["empty"] for chart in shown["charts"])
    return shown
