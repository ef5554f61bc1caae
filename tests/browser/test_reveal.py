"""Browser: a collector reveals a borrower's phone on the case page — reason asked, value swapped in by htmx
under the Content Security Policy (CSRF token in the htmx header), the reveal in the audit trail (issue 5)."""

from __future__ import annotations

from typing import Any

import pytest
from browser_support import login
from django.urls import reverse

from qingshou.apps.accounts.roles import Role
from qingshou.apps.audit.models import AuditEvent
from workbench_support import PASSWORD, create_user, make_case


@pytest.mark.django_db(transaction=True)
def test_collector_reveals_a_phone_with_a_reason(page: Any) -> None:
    collector = create_user(Role.COLLECTOR, username="wang")
    case = make_case(collector=collector)
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    login(page, "wang", PASSWORD)
    page.goto(reverse("cases:case", args=[case.pk]))
    phone = page.locator(f"#pii-loans-borrower-{case.borrower_id}-phone")
    assert phone.locator(".masked").inner_text() == "138****5678"
    assert "13812345678" not in page.content()
    phone.locator("summary").click()
    phone.locator("input[name=reason]").fill("借款人要求核对号码")
    phone.locator("button[type=submit]").click()
    revealed = page.locator(f"#pii-loans-borrower-{case.borrower_id}-phone.revealed")
    revealed.wait_for()
    assert revealed.inner_text() == "13812345678"
    assert page.url.endswith(reverse("cases:case", args=[case.pk]))  # swapped in place, no navigation
    event = AuditEvent.objects.get(action="reveal")
    assert (event.actor_name, event.reason, event.detail["field"]) == ("wang", "借款人要求核对号码", "phone")
    assert not [error for error in errors if "Content Security Policy" in error]
