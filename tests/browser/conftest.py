"""Browser tests (marker ``browser``): Playwright's sync API driving Debian's Chromium against pytest-django's
``live_server``.

``page`` is a fresh browser context and page per test whose ``base_url`` is the live server, so
``page.goto("/accounts/login/")`` works. Chromium is the system one (``/usr/bin/chromium``, override with
``QINGSHOU_CHROMIUM``) — never ``playwright install``. Playwright's sync API runs an event loop in the test's
thread, so Django's "async unsafe" guard is lifted during each browser test (``DJANGO_ALLOW_ASYNC_UNSAFE``, set
by an autouse fixture and removed after the test): the ORM calls in a test run synchronously in that thread,
between Playwright calls, which is safe. Chromium and Playwright start and stop with each test so that no
event loop is left running when the database is flushed after it.

Helpers (``browser_support``): ``login(page, username, password)`` fills the login form and waits for the
landing page.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("QINGSHOU_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 15_000


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this folder is a browser test."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(autouse=True)
def allow_orm_beside_playwright(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lift Django's async guard for this test only (see the module docstring)."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def browser() -> Iterator[Any]:
    """A headless Chromium for one test (skipped when the binary is missing). Per test, not per session:
    Playwright's event loop then stops before pytest-django flushes the database, which Django's async
    guard would otherwise refuse."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (install Debian's chromium or set QINGSHOU_CHROMIUM)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: Any, live_server: Any) -> Iterator[Any]:
    """A fresh context (no cookies) and page on the live server, Chinese by default."""
    context = browser.new_context(base_url=live_server.url, locale="zh-CN")
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    yield tab
    context.close()
