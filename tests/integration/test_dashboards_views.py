"""The dashboards (issue 7): every page by role (200 / 404), a supervisor forced to their own team, the filters
reaching ``build_month`` through ``Sources``, the MonthData cached per (month, filters, the lake's newest day),
values formatted as the report formats them, and each chart's ECharts option present as valid JSON.

``build_month`` is replaced by a hand-built month (``dashboards_support``) that records the ``Sources`` it is
given; the end-to-end test on the report's demo book runs the real metrics."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from dashboards_support import ROWS, fake_lake, month_data
from qingshou.analytics.contract import CHARTS, TABLES, Kind, MonthData, Section, empty_table
from qingshou.analytics.format import value_text
from qingshou.analytics.sources import Sources
from qingshou.apps.dashboards import data
from qingshou.apps.dashboards.charts import chart_option, json_value
from qingshou.apps.loans.models import Loan
from workbench_book import Book, scoped_book

pytestmark = [pytest.mark.db, pytest.mark.django_db]

ClientFor = Callable[[Any], Client]
PAGES = ["overview", *(section.value for section in (Section.BOOK, Section.STRATEGIES, Section.IMPACT))]
PAGES.append(Section.RECOMMENDATIONS.value)
DAYS = (date(2025, 12, 31), date(2026, 1, 15), date(2026, 1, 31), date(2026, 2, 27))

#: Who opens the dashboards: the whole book (admin, strategy owner, risk manager, auditor), a supervisor
#: their team; everyone else 404.
ROLE_STATUS = [
    ("admin", 200),
    ("strategy_owner", 200),
    ("risk_manager", 200),
    ("auditor", 200),
    ("sup1", 200),
    ("c1", 404),
    ("ag1", 404),
    ("field_agent", 404),
    ("legal_officer", 404),
]


def url(page: str, **query: str) -> str:
    base = (
        reverse("dashboards:overview") if page == "overview" else reverse("dashboards:section", args=[page])
    )
    if not query:
        return base
    return base + "?" + "&".join(f"{key}={value}" for key, value in query.items())


@pytest.fixture
def lake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = fake_lake(tmp_path / "lake", DAYS)
    monkeypatch.setenv("QINGSHOU_LAKE", str(root))
    return root


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Sources]]:
    """The ``Sources`` each ``build_month`` call received (the month is the hand-built one)."""
    calls: list[Sources] = []

    def fake(sources: Sources) -> Any:
        calls.append(sources)
        return month_data(sources)

    cache.clear()
    monkeypatch.setattr(data, "build_month", fake)
    yield calls
    cache.clear()


@pytest.fixture
def book(lake: Path, built: list[Sources]) -> Book:
    book = scoped_book()
    Loan.objects.filter(loan_id="L1").update(branch="北京分行")
    Loan.objects.filter(loan_id="L3").update(branch="上海分行")
    return book


def chart_options(html: str) -> dict[str, Any]:
    """The ECharts options embedded by ``json_script``, by chart key."""
    found = re.findall(r'<script id="chart-([a-z0-9_]+)" type="application/json">(.*?)</script>', html, re.S)
    return {key: json.loads(text) for key, text in found}


@pytest.mark.parametrize(("username", "status"), ROLE_STATUS)
def test_every_page_by_role(book: Book, client_for: ClientFor, username: str, status: int) -> None:
    client = client_for(book.users[username])
    for page in PAGES:
        assert client.get(url(page)).status_code == status, (username, page)


def test_anonymous_users_are_sent_to_log_in(book: Book) -> None:
    response = Client().get(url("overview"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_an_unknown_page_does_not_exist(book: Book, client_for: ClientFor) -> None:
    assert client_for(book.users["admin"]).get(url("summary")).status_code == 404
    assert client_for(book.users["admin"]).get(url("nothing")).status_code == 404


def test_the_nav_link_shows_for_those_who_may_see_the_dashboards(book: Book, client_for: ClientFor) -> None:
    link = f'href="{reverse("dashboards:overview")}"'
    assert link in client_for(book.users["risk_manager"]).get(url("overview")).content.decode()
    assert link not in client_for(book.users["c1"]).get(reverse("cases:queue")).content.decode()


def test_filters_reach_build_month_through_the_sources(
    book: Book, client_for: ClientFor, built: list[Sources]
) -> None:
    team = book.teams["二组"]
    response = client_for(book.users["admin"]).get(
        url("book", month="2026-01", product="P1", branch="北京分行", team=str(team.pk))
    )
    assert response.status_code == 200
    (sources,) = built
    assert sources.month == date(2026, 1, 1)
    assert sources.as_of == date(2026, 1, 31)  # the last snapshot day of the month
    assert sources.history == (date(2025, 12, 31), date(2026, 1, 31))
    assert sources.previous_as_of == date(2025, 12, 31)
    assert dict(sources.filters) == {"product": "P1", "branch": "北京分行", "team": str(team.pk)}
    assert "2026-01-31" in response.content.decode()


def test_without_filters_the_newest_month_and_the_whole_book(
    book: Book, client_for: ClientFor, built: list[Sources]
) -> None:
    assert client_for(book.users["auditor"]).get(url("overview")).status_code == 200
    (sources,) = built
    assert (sources.month, sources.as_of, dict(sources.filters)) == (date(2026, 2, 1), date(2026, 2, 27), {})


def test_a_supervisor_is_forced_to_their_own_team(
    book: Book, client_for: ClientFor, built: list[Sources]
) -> None:
    client = client_for(book.users["sup1"])
    own, other = book.teams["一组"], book.teams["二组"]
    assert client.get(url("overview")).status_code == 200
    assert client.get(url("strategies", team="")).status_code == 200  # "all" is no choice: forced (cached)
    assert client.get(url("impact", team=str(own.pk), product="P1")).status_code == 200
    assert [dict(sources.filters) for sources in built] == [
        {"team": str(own.pk)},
        {"team": str(own.pk), "product": "P1"},
    ]
    for page in PAGES:
        assert client.get(url(page, team=str(other.pk))).status_code == 404
        assert client.get(url(page, team="999999")).status_code == 404
    assert len(built) == 2
    html = client.get(url("overview")).content.decode()
    assert other.name not in html  # the other team is not even a choice


def test_a_supervisor_without_a_team_sees_nothing(book: Book, client_for: ClientFor) -> None:
    book.teams["二组"].supervisor = None
    book.teams["二组"].save()
    assert client_for(book.users["sup2"]).get(url("overview")).status_code == 404


def test_bad_filters_are_named(book: Book, client_for: ClientFor, built: list[Sources]) -> None:
    client = client_for(book.users["admin"])
    for query in ({"month": "2025-11"}, {"month": "2026-13"}, {"product": "NOPE"}, {"branch": "火星分行"}):
        response = client.get(url("book", **query))
        assert response.status_code == 422, query
        field = next(iter(query))
        assert 'role="alert"' in response.content.decode()
        assert response.context["form"].errors[field], query
    assert built == []


def test_the_month_is_cached_until_a_new_snapshot_day(
    book: Book, client_for: ClientFor, built: list[Sources], lake: Path
) -> None:
    client = client_for(book.users["admin"])
    for page in PAGES:
        assert client.get(url(page)).status_code == 200
    assert len(built) == 1  # one month, one set of filters: built once
    assert client.get(url("book", product="P1")).status_code == 200
    assert len(built) == 2  # other filters: another entry
    fake_lake(lake, [date(2026, 2, 28)])  # a new EOD: the newest day changes the key
    assert client.get(url("book")).status_code == 200
    assert len(built) == 3
    assert built[-1].as_of == date(2026, 2, 28)


def test_no_snapshot_yet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, client_for: ClientFor) -> None:
    monkeypatch.setenv("QINGSHOU_LAKE", str(tmp_path / "empty"))
    book = scoped_book()
    response = client_for(book.users["admin"]).get(url("overview"))
    assert response.status_code == 200
    assert 'id="no-data"' in response.content.decode()


def test_values_are_formatted_as_the_report_formats_them(book: Book, client_for: ClientFor) -> None:
    client = client_for(book.users["risk_manager"])
    html = client.get(url("book")).content.decode()
    spec = TABLES["stock_by_bucket"]
    for row in ROWS["stock_by_bucket"]:
        for column, value in zip(spec.columns, row, strict=True):
            assert f">{value_text(column.kind, value)}</td>" in html, (column.name, value)
    for text in (">1,234,567.89</td>", ">1.23%</td>", ">—</td>", "逾期阶段分布", spec.definition_zh):
        assert text in html, text
    for key, table in TABLES.items():  # every table of the section, even an empty one
        assert (f'id="table-{key}"' in html) == (table.section is Section.BOOK), key

    overview = client.get(url("overview")).content.decode()
    assert ">1,251,913.49</a>" in overview  # the total balance figure, linked to its table
    assert ">1.39%</a>" in overview
    assert re.search(
        r'拨备覆盖率</dt><dd data-figure="coverage"><a href="[^"]+#table-stock_by_class">—</a>', overview
    )
    assert "未提供准备金" in overview  # the month's notes

    advice = client.get(url("recommendations")).content.decode()
    assert "M1 治愈率 25.00% 低于阈值" in advice
    for text in (">25.00%</a>", 'data-rule="cure_rate_fell"', 'id="table-pricing"', ">7.50%</td>"):
        assert text in advice, text


def test_english_pages(book: Book, client_for: ClientFor) -> None:
    client = client_for(book.users["admin"])
    client.cookies["django_language"] = "en"
    html = client.get(url("book"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Balance by bucket" in html
    assert "share of balance" in html
    assert (
        "The M1 cure rate" in client.get(url("recommendations"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    )
    overview = client.get(url("overview"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "reserves not supplied: coverage not computed" in overview  # the month's notes in English
    assert "未提供准备金" not in overview


def test_the_overview_embeds_every_chart_as_valid_json(book: Book, client_for: ClientFor) -> None:
    html = client_for(book.users["admin"]).get(url("overview")).content.decode()
    options = chart_options(html)
    assert set(options) == set(CHARTS)
    for key in CHARTS:
        assert f'data-chart="chart-{key}"' in html
    assert 'src="/static/echarts/echarts.min.js"' in html
    assert 'src="/static/dashboards/dashboards.js"' in html
    assert "<script>" not in html  # no inline script (CSP)

    bucket = options["bucket_mix"]
    assert bucket["qs"] == {"unit": "yuan"}
    assert bucket["xAxis"]["data"] == ["current", "M1", "M2"]
    assert bucket["series"] == [
        {"type": "bar", "name": "贷款余额", "data": ["1234567.89", "12345.60", "5000.00"]}
    ]

    heat = options["roll_heatmap"]
    assert heat["xAxis"]["data"] == ["current", "M2", "M3"]
    assert heat["yAxis"]["data"] == ["M1", "M2"]
    assert heat["series"][0]["type"] == "heatmap"
    assert heat["series"][0]["data"] == [[0, 0, "25.00"], [1, 0, "15.00"], [2, 1, "50.00"]]
    assert heat["visualMap"]["max"] == 50

    vintage = options["vintage_dpd30"]
    assert vintage["xAxis"]["data"] == ["1", "2"]
    assert [(line["name"], line["data"]) for line in vintage["series"]] == [
        ("2025-01", ["0.00", "5.00"]),
        ("2025-02", ["1.00", None]),
    ]
    assert vintage["qs"] == {"unit": "percent"}
    assert "legend" in vintage

    cash = options["cash_flow_gap"]
    assert cash["xAxis"]["data"] == ["2025-12", "2026-01"]
    assert cash["series"][0]["stack"] == "total"
    assert cash["series"][0]["data"] == ["10000.00", "5000.00"]

    channel = options["recovery_by_channel"]
    assert channel["series"][0]["data"] == ["10000.00", "2500.50"]


def test_a_section_shows_only_its_charts(book: Book, client_for: ClientFor) -> None:
    client = client_for(book.users["admin"])
    assert set(chart_options(client.get(url("strategies")).content.decode())) == {"recovery_by_channel"}
    assert set(chart_options(client.get(url("impact")).content.decode())) == {"cash_flow_gap"}
    assert chart_options(client.get(url("recommendations")).content.decode()) == {}


def test_an_empty_month_shows_empty_tables_and_no_chart(
    book: Book, client_for: ClientFor, monkeypatch: pytest.MonkeyPatch
) -> None:
    def empty(sources: Sources) -> MonthData:
        full = month_data(sources)
        return replace(
            full, figures=(), recommendations=(), notes=(), tables={key: empty_table(key) for key in TABLES}
        )

    monkeypatch.setattr(data, "build_month", empty)
    client = client_for(book.users["admin"])
    for page in PAGES:
        response = client.get(url(page))
        assert response.status_code == 200, page
        html = response.content.decode()
        assert chart_options(html) == {}, page
        assert "echarts.min.js" not in html, page
    html = client.get(url("book")).content.decode()
    assert (
        html.count("本月无数据。") == sum(1 for spec in TABLES.values() if spec.section is Section.BOOK) + 3
    )
    assert "本月数据未触发任何建议。" in client.get(url("recommendations")).content.decode()


def test_a_chart_refuses_a_table_it_does_not_draw() -> None:
    with pytest.raises(ValueError, match="chart bucket_mix draws stock_by_bucket, not roll_rates"):
        chart_option(CHARTS["bucket_mix"], empty_table("roll_rates"))
    assert json_value(Kind.FEN, -1_005) == "-10.05"
    assert json_value(Kind.FEN, 0) == "0.00"
    assert json_value(Kind.COUNT, 7) == 7
    assert json_value(Kind.RATIO, 0.012345) == "1.23"  # half-up on the decimal value, as the report
    assert json_value(Kind.RATIO, None) is None
    with pytest.raises(ValueError, match="label"):
        json_value(Kind.LABEL, "M1")
