"""Browser: a collector logs in, lands on their page, sees who they are, logs out (issue 5)."""

from __future__ import annotations

from typing import Any

import pytest
from browser_support import login

from qingshou.apps.accounts.roles import Role
from workbench_support import PASSWORD, create_user


@pytest.mark.django_db(transaction=True)
def test_collector_logs_in_sees_the_home_page_and_logs_out(page: Any) -> None:
    create_user(Role.COLLECTOR, username="wang")
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto("/accounts/login/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    login(page, "wang", PASSWORD)
    assert page.locator(".who").inner_text().startswith("wang")
    assert "催收员" in page.locator(".role").inner_text() or "collector" in page.locator(".role").inner_text()
    assert page.evaluate("typeof window.htmx") == "object"
    page.click(".who button[type=submit]")
    page.wait_for_url("**/accounts/login/")
    page.goto("/accounts/profile/")
    assert "/accounts/login/" in page.url
    assert not [error for error in errors if "Content Security Policy" in error]
