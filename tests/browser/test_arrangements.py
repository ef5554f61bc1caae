"""Propose and approve a plan in a real browser (issue 5 "Quality": propose and approve a plan): a collector
previews and proposes a 个性化分期 plan from the case page (the HTMX partial shows the successor schedule),
a supervisor approves it from the approvals queue (maker-checker: another person, within their limit), and
the case page shows the plan executed with the successor loan's new schedule."""

from __future__ import annotations

import os
from typing import Any

import pytest
from browser_support import login

from qingshou.apps.arrangements.models import Arrangement
from qingshou.apps.loans.models import Installment, Loan
from qingshou.domain.schedule import build_schedule
from workbench_book import DAY, PASSWORD, assign_to, make_book

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def with_schedules() -> None:
    """The workbench book's loans with their contractual schedules (all overdue by ``DAY``)."""
    for loan in Loan.objects.all():
        for item in build_schedule(loan.to_terms()):
            Installment.objects.create(
                loan=loan,
                seq=item.seq,
                due_date=item.due_date,
                principal_due_fen=int(item.principal_due * 100),
                interest_due_fen=int(item.interest_due * 100),
            )


def test_collector_proposes_a_plan_and_a_supervisor_approves_it(
    page: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QINGSHOU_TODAY", DAY.isoformat())
    book = make_book()
    assign_to(book.cases["B1"], book.users["c1"], book.teams["一组"])
    with_schedules()
    case = book.cases["B1"]

    login(page, "c1", PASSWORD)
    page.goto(f"/cases/{case.pk}/")
    assert "还款计划 / 减免 / 结清" in page.locator("#arrangements h2").inner_text()
    page.click("#propose-plan summary")
    form = page.locator("#plan-form")
    form.locator("select[name=plan-plan_kind]").select_option("instalments")
    form.locator("input[name=plan-months]").fill("12")
    form.locator("input[name=plan-rate_percent]").fill("6")
    form.locator("textarea[name=plan-reason]").fill("失业，收入下降，申请个性化分期")
    form.locator("button[name=preview]").click()
    page.wait_for_selector("#plan-preview")
    assert page.locator("#plan-preview .preview-schedule tbody tr").count() == 12
    assert not Arrangement.objects.exists()
    page.locator("#plan-form button[name=propose]").click()
    page.wait_for_selector("#arrangement-outcome")
    proposed = Arrangement.objects.get()
    assert (proposed.status, proposed.kind, proposed.months) == ("proposed", "plan", 12)
    assert (
        page.locator(f'#arrangement-list tr[data-arrangement="{proposed.pk}"]').get_attribute("data-status")
        == "proposed"
    )

    page.context.clear_cookies()
    login(page, "sup1", PASSWORD)
    page.goto("/arrangements/approvals/")
    row = page.locator(f'#approvals tr[data-arrangement="{proposed.pk}"]')
    assert row.get_attribute("data-actionable") == "yes"
    if os.environ.get("QINGSHOU_SCREENSHOTS"):
        page.screenshot(path=os.path.join(os.environ["QINGSHOU_SCREENSHOTS"], "arrangements_approvals.png"))
    row.locator("input[name=note]").fill("同意")
    row.locator("button.primary").click()
    page.wait_for_selector(".messages")
    done = Arrangement.objects.get(pk=proposed.pk)
    assert (done.status, done.decided_by, done.executed_on) == ("executed", book.users["sup1"], DAY)

    page.goto(f"/cases/{case.pk}/")
    listed = page.locator(f'#arrangement-list tr[data-arrangement="{proposed.pk}"]')
    assert listed.get_attribute("data-status") == "executed"
    assert "已执行" in listed.inner_text()
    schedule = page.locator(f'tr[data-schedule-of="{proposed.pk}"] .successor-schedule tbody tr')
    assert schedule.count() == 12
    assert done.successor_loan_id in page.locator("#arrangements").inner_text()
    if os.environ.get("QINGSHOU_SCREENSHOTS"):
        page.screenshot(
            path=os.path.join(os.environ["QINGSHOU_SCREENSHOTS"], "arrangements_case.png"), full_page=True
        )
