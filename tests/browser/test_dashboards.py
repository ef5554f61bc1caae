"""Browser: a risk manager opens the dashboards — the overview draws an ECharts canvas for every chart of the
contract under the Content Security Policy with no console error, the filters reload the page with the chosen
month and product (reaching ``build_month``), and a section page shows its tables and chart (issue 7).

``build_month`` is replaced by the hand-built month of ``dashboards_support`` (the live server runs in this
process)."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from browser_support import login
from django.core.cache import cache

from dashboards_support import fake_lake, month_data
from qingshou.analytics.contract import CHARTS
from qingshou.analytics.sources import Sources
from qingshou.apps.accounts.roles import Role
from qingshou.apps.dashboards import data
from qingshou.apps.loans.models import Product
from workbench_support import PASSWORD, create_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_risk_manager_reads_the_charts_and_filters(
    page: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "QINGSHOU_LAKE", str(fake_lake(tmp_path / "lake", [date(2026, 1, 31), date(2026, 2, 27)]))
    )
    calls: list[Sources] = []

    def fake(sources: Sources) -> Any:
        calls.append(sources)
        return month_data(sources)

    monkeypatch.setattr(data, "build_month", fake)
    cache.clear()
    Product.objects.create(product_id="P1", name="消费贷")
    create_user(Role.RISK_MANAGER, username="risk")
    errors: list[str] = []
    page.on(
        "console",
        lambda message: (
            errors.append(f"{message.text} ({message.location.get('url', '')})")
            if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico")
            else None
        ),
    )
    page.on("pageerror", lambda error: errors.append(str(error)))

    login(page, "risk", PASSWORD)
    page.click("nav.nav a[href='/dashboards/']")
    page.wait_for_url("**/dashboards/")
    for key in CHARTS:
        page.locator(f'[data-chart="chart-{key}"][data-chart-ready="true"] canvas').first.wait_for()
    assert page.locator(".dash-chart canvas").count() >= len(CHARTS)
    assert "2026-02-27" in page.locator("#as-of").inner_text()
    if os.environ.get("QINGSHOU_SCREENSHOTS"):
        page.screenshot(
            path=os.path.join(os.environ["QINGSHOU_SCREENSHOTS"], "dashboards.png"), full_page=True
        )

    page.select_option("#dash-filters select[name=month]", "2026-01")
    page.select_option("#dash-filters select[name=product]", "P1")
    page.click("#dash-filters button[type=submit]")
    page.wait_for_url("**/dashboards/?month=2026-01&product=P1*")
    page.locator('[data-chart="chart-bucket_mix"][data-chart-ready="true"] canvas').first.wait_for()
    assert "2026-01-31" in page.locator("#as-of").inner_text()
    assert [(sources.month, dict(sources.filters)) for sources in calls] == [
        (date(2026, 2, 1), {}),
        (date(2026, 1, 1), {"product": "P1"}),
    ]

    page.click(".dash-tabs a[data-tab=book]")
    page.wait_for_url("**/dashboards/book/?month=2026-01&product=P1")
    assert page.locator("#table-stock_by_bucket tbody tr").count() == 3
    page.locator('[data-chart="chart-roll_heatmap"][data-chart-ready="true"] canvas').first.wait_for()
    if os.environ.get("QINGSHOU_SCREENSHOTS"):
        page.screenshot(
            path=os.path.join(os.environ["QINGSHOU_SCREENSHOTS"], "dashboards_book.png"), full_page=True
        )
    assert errors == []
