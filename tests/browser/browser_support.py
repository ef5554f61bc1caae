"""Helpers of the browser tests (fixtures are in ``tests/browser/conftest.py``)."""

from __future__ import annotations

from typing import Any


def login(page: Any, username: str, password: str) -> None:
    """Log in through the login form and wait until the browser has left it."""
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit].primary")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
