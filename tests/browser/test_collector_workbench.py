"""A collector's day in a real browser (issue 5, Chromium through Playwright): log in, open the queue, take
the next case, record a contact (the C8 check runs first: at night the attempt is deferred and the page
says so), record a promise of two instalments — the HTMX partials update the page in place; a loan's schedule and
payments load when opened."""

from __future__ import annotations

import os
from datetime import date
from typing import Any

import pytest
from browser_support import login

from qingshou.apps.cases.models import Case, ContactNote, Promise
from qingshou.apps.loans.models import Payment
from workbench_book import PASSWORD, assign_to, make_book

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_collector_works_a_case_from_the_queue(page: Any) -> None:
    book = make_book()
    for name in ("B1", "B2"):
        assign_to(book.cases[name], book.users["c1"], book.teams["一组"])
    Payment.objects.create(payment_id="PAY-B2", loan_id="L2", paid_on=date(2026, 2, 10), amount_fen=30_000)

    login(page, "c1", PASSWORD)
    page.goto("/cases/queue/")
    rows = page.locator("#queue tbody tr[data-case]")
    assert rows.count() == 2
    assert rows.first.get_attribute("data-case") == str(book.cases["B2"].pk)  # priority 80 before 50

    page.click("#next-case")
    page.wait_for_url(f"**/cases/{book.cases['B2'].pk}/")
    assert Case.objects.get(pk=book.cases["B2"].pk).locked_by == book.users["c1"]
    assert "13812340002" not in page.content()  # the phone is masked

    # Schedule and payments load when opened (issue 5 "Speed": not embedded in every case page).
    assert page.locator("#loans table[data-payments]").count() == 0
    page.click("#loans details.schedule summary")
    page.wait_for_selector("#loans table[data-payments]")
    assert "PAY-B2" in page.locator("#loans table[data-payments]").inner_text()

    form = page.locator("#contact-form")
    form.locator("select[name=party]").select_option(str(book.parties["B2"].pk))
    form.locator("select[name=result]").select_option("connected")
    form.locator("select[name=reason]").select_option("unemployment")
    form.locator("textarea[name=notes]").fill("下周发工资后还款")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#contact-outcome")
    note = ContactNote.objects.get(case=book.cases["B2"])
    assert note.notes == "下周发工资后还款"
    assert "下周发工资后还款" in page.locator("#attempts").inner_text()

    promise = page.locator("#promise-form")
    promise.locator("input[name=due_on_1]").fill("2099-01-10")
    promise.locator("input[name=amount_1]").fill("1000.00")
    promise.locator("input[name=due_on_2]").fill("2099-02-10")
    promise.locator("input[name=amount_2]").fill("500.00")
    promise.locator("button[type=submit]").click()
    page.wait_for_selector("#promise-outcome")
    stored = Promise.objects.get(case=book.cases["B2"])
    assert stored.amount_fen == 150_000
    assert stored.instalments.count() == 2
    assert page.locator("#promise-list tr[data-promise]").count() == 1
    if os.environ.get("QINGSHOU_SCREENSHOTS"):
        page.screenshot(
            path=os.path.join(os.environ["QINGSHOU_SCREENSHOTS"], "collector_case.png"), full_page=True
        )
