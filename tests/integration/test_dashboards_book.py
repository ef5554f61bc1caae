"""The dashboards end to end on the report's demo book (``report_support``): the real metrics over a lake of
four month-end snapshots and the store — every page renders for a risk manager, the tables and charts show the
very values ``build_month`` computes (formatted as the report formats them), the product filter narrows the
book, and a supervisor's pages are their team's (issue 7)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from qingshou.analytics.contract import TABLES, MonthData, Section
from qingshou.analytics.format import value_text
from qingshou.analytics.month import build_month
from qingshou.apps.accounts.models import Team
from qingshou.apps.loans.models import Product
from report_support import ReportBook, report_book
from workbench_support import create_user

pytestmark = [pytest.mark.db, pytest.mark.django_db]
__all__ = ["report_book"]

SECTIONS = (Section.BOOK, Section.STRATEGIES, Section.IMPACT, Section.RECOMMENDATIONS)


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def client_as(role: str, username: str, **profile: Any) -> Client:
    client = Client()
    client.force_login(create_user(role, username=username, **profile))
    return client


def page_html(client: Client, section: Section | None, query: str = "") -> str:
    base = (
        reverse("dashboards:overview") if section is None else reverse("dashboards:section", args=[section])
    )
    response = client.get(base + (f"?{query}" if query else ""))
    assert response.status_code == 200, (section, query)
    return response.content.decode()


def assert_tables_shown(html: str, month: MonthData, section: Section) -> None:
    """Every row of the section's tables is on the page, each cell as ``value_text`` writes it."""
    for key, spec in TABLES.items():
        if spec.section is not section:
            continue
        found = re.search(rf'<section class="dash-table" id="table-{key}">.*?</section>', html, re.S)
        assert found is not None, key
        shown = found.group(0)
        for row in month.tables[key].frame.iter_rows(named=True):
            cells = "".join(
                rf'<td(?: class="num")?>{re.escape(value_text(column.kind, row[column.name]))}</td>'
                for column in spec.columns
            )
            assert re.search(cells, shown), (key, row)


def test_every_page_shows_the_months_metrics(report_book: ReportBook) -> None:
    latest = report_book.months[-1]
    expected = build_month(report_book.sources(latest))
    client = client_as("risk_manager", "risk")
    overview = page_html(client, None)
    assert report_book.month_ends[-1].isoformat() in overview
    for figure in expected.figures:
        assert f'data-figure="{figure.key}"' in overview, figure.key
        assert f">{value_text(figure.kind, figure.value)}</" in overview, figure.key
    options = {
        key: json.loads(text)
        for key, text in re.findall(
            r'<script id="chart-([a-z0-9_]+)" type="application/json">(.*?)</script>', overview, re.S
        )
    }
    buckets = expected.tables["stock_by_bucket"].frame
    assert not buckets.is_empty()
    assert options["bucket_mix"]["xAxis"]["data"] == buckets["bucket"].to_list()
    assert options["bucket_mix"]["series"][0]["data"] == [
        value_text(TABLES["stock_by_bucket"].columns[2].kind, fen).replace(",", "")
        for fen in buckets["balance_fen"].to_list()
    ]
    for section in SECTIONS:
        assert_tables_shown(page_html(client, section), expected, section)
    advice = page_html(client, Section.RECOMMENDATIONS)
    for item in expected.recommendations:
        assert f'data-rule="{item.key}"' in advice, item.key


def test_the_product_filter_narrows_the_book(report_book: ReportBook) -> None:
    latest = report_book.months[-1]
    product = Product.objects.order_by("product_id").first()
    assert product is not None
    narrowed = build_month(report_book.sources(latest, filters={"product": product.product_id}))
    client = client_as("admin", "boss")
    html = page_html(client, Section.BOOK, f"month={latest:%Y-%m}&product={product.product_id}")
    assert_tables_shown(html, narrowed, Section.BOOK)


def test_a_supervisor_sees_their_teams_operations_and_book(report_book: ReportBook) -> None:
    team = Team.objects.get(name="一组")
    supervisor = create_user("supervisor", username="lead1")
    team.supervisor = supervisor
    team.save()
    client = Client()
    client.force_login(supervisor)
    latest = report_book.months[-1]
    expected = build_month(report_book.sources(latest, filters={"team": str(team.pk)}))
    html = page_html(client, Section.STRATEGIES)
    assert_tables_shown(html, expected, Section.STRATEGIES)
    # the overdue book too is their team's: fewer loans than the institution's, and exactly the team's
    assert_tables_shown(page_html(client, Section.BOOK), expected, Section.BOOK)
    whole = build_month(report_book.sources(latest))
    loans = {figure.key: figure.value for figure in expected.figures}["total_loans"]
    assert 0 < loans < {figure.key: figure.value for figure in whole.figures}["total_loans"]
    other = Team.objects.get(name="二组")
    assert client.get(reverse("dashboards:overview") + f"?team={other.pk}").status_code == 404
