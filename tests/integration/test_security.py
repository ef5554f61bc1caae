"""Security settings (issue 5): argon2 passwords, login throttling (django-axes), CSRF, cookies, security
headers and the Content Security Policy, and ``check --deploy`` clean for ``qingshou.settings_production``."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from django.urls import reverse

from qingshou.apps.accounts.roles import Role
from workbench_support import PASSWORD, make_borrower, make_case

pytestmark = pytest.mark.db

MakeUser = Callable[..., Any]
ROOT = Path(__file__).resolve().parents[2]


def login(client: Client, username: str, password: str, ip: str = "127.0.0.1") -> Any:
    return client.post(
        reverse("accounts:login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


@pytest.mark.django_db
def test_passwords_are_hashed_with_argon2() -> None:
    from django.contrib.auth import get_user_model

    assert settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    user = get_user_model().objects.create_user("li", password="correct horse battery")
    assert user.password.startswith("argon2$argon2id$")


@pytest.mark.django_db
def test_five_failures_lock_the_username_from_that_address(make_user: MakeUser) -> None:
    make_user(Role.COLLECTOR, username="wang")
    client = Client()
    for _ in range(4):
        assert login(client, "wang", "wrong-password").status_code == 200
    assert login(client, "wang", "wrong-password").status_code == 429
    locked = login(client, "wang", PASSWORD)
    assert locked.status_code == 429
    assert "accounts/locked.html" in [template.name for template in locked.templates]
    assert AccessAttempt.objects.get(username="wang").failures_since_start >= 5


@pytest.mark.django_db
def test_lockout_is_per_username_and_address(make_user: MakeUser) -> None:
    """The pair (username, address) is locked: the same person from elsewhere and other users from that
    address still log in (no lock-out of a whole office behind one NAT by one user's typos)."""
    make_user(Role.COLLECTOR, username="wang")
    make_user(Role.COLLECTOR, username="zhao")
    client = Client()
    for _ in range(5):
        login(client, "wang", "wrong-password", ip="10.0.0.1")
    assert login(Client(), "zhao", PASSWORD, ip="10.0.0.1").status_code == 302
    assert login(Client(), "wang", PASSWORD, ip="10.0.0.2").status_code == 302


@pytest.mark.django_db
def test_lock_ends_after_the_15_minute_cool_off(make_user: MakeUser) -> None:
    make_user(Role.COLLECTOR, username="wang")
    client = Client()
    for _ in range(5):
        login(client, "wang", "wrong-password")
    assert login(client, "wang", PASSWORD).status_code == 429
    assert timedelta(minutes=15) == settings.AXES_COOLOFF_TIME
    attempt = AccessAttempt.objects.get(username="wang")
    AccessAttempt.objects.filter(pk=attempt.pk).update(
        attempt_time=attempt.attempt_time - timedelta(minutes=14)
    )
    assert login(client, "wang", PASSWORD).status_code == 429
    AccessAttempt.objects.filter(pk=attempt.pk).update(
        attempt_time=attempt.attempt_time - timedelta(minutes=16)
    )
    assert login(client, "wang", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_success_resets_the_failure_count(make_user: MakeUser) -> None:
    make_user(Role.COLLECTOR, username="wang")
    for _ in range(4):
        login(Client(), "wang", "wrong-password")
    assert login(Client(), "wang", PASSWORD).status_code == 302
    for _ in range(4):
        assert login(Client(), "wang", "wrong-password").status_code == 200
    assert login(Client(), "wang", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_session_cookie_is_http_only_and_same_site(make_user: MakeUser) -> None:
    make_user(Role.COLLECTOR, username="wang")
    client = Client()
    assert login(client, "wang", PASSWORD).status_code == 302
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert settings.CSRF_COOKIE_HTTPONLY
    assert settings.CSRF_COOKIE_SAMESITE == "Lax"


@pytest.mark.django_db
def test_post_without_csrf_token_is_refused(make_user: MakeUser) -> None:
    user = make_user(Role.COLLECTOR, username="wang")
    case = make_case(make_borrower(), collector=user)
    client = Client(enforce_csrf_checks=True)
    assert login(client, "wang", PASSWORD).status_code == 403
    client.force_login(user)
    data = {"model": "loans.borrower", "pk": case.borrower_id, "field": "phone", "reason": "x"}
    assert client.post(reverse("accounts:reveal"), data).status_code == 403
    assert client.post(reverse("accounts:logout")).status_code == 403


@pytest.mark.django_db
def test_security_headers_and_content_security_policy(make_user: MakeUser, client_for: Any) -> None:
    response = client_for(make_user(Role.AUDITOR)).get(reverse("audit:list"))
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    policy = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert "unsafe" not in response["Content-Security-Policy"]


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["accounts:login", "accounts:profile", "audit:list"])
def test_pages_have_no_inline_script_or_style(page: str, make_user: MakeUser, client_for: Any) -> None:
    """CSP forbids inline code: every <script> loads a file, no style attribute or <style> element; htmx is
    configured by its meta tag."""
    client = Client() if page == "accounts:login" else client_for(make_user(Role.ADMIN))
    html = client.get(reverse(page)).content.decode()
    scripts = re.findall(r"<script\b[^>]*>(.*?)</script>", html, flags=re.S)
    assert all(body.strip() == "" for body in scripts)
    assert all("src=" in tag for tag in re.findall(r"<script\b[^>]*>", html))
    assert "<style" not in html
    assert " style=" not in html
    assert 'name="htmx-config"' in html
    assert '"allowEval": false' in html


@pytest.mark.django_db
def test_htmx_is_served_from_npm_when_installed(client_for: Any, make_user: MakeUser) -> None:
    """htmx.org 2 from node_modules (npm ci); without node_modules the page renders without it."""
    html = client_for(make_user(Role.AUDITOR)).get(reverse("audit:list")).content.decode()
    if not (ROOT / "node_modules" / "htmx.org" / "dist" / "htmx.min.js").exists():
        assert "htmx.min.js" not in html
        return
    src = re.search(r'<script src="([^"]*htmx\.min\.js)"', html)
    assert src is not None
    response = Client().get(src.group(1))
    body = b"".join(response.streaming_content) if response.streaming else response.content  # type: ignore[attr-defined]
    assert response.status_code == 200
    assert b"htmx" in body[:2000]


def _deploy_check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # Browser tests lift Django's async guard in this process; a deployment never has it (async.E001).
    inherited = {key: value for key, value in os.environ.items() if key != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return subprocess.run(
        [sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"],
        env={**inherited, "DJANGO_SETTINGS_MODULE": "qingshou.settings_production", **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_settings_pass_check_deploy(tmp_path: Path) -> None:
    result = _deploy_check(
        {
            "QINGSHOU_SECRET_KEY": secrets.token_urlsafe(64),
            "QINGSHOU_ALLOWED_HOSTS": "qingshou.example.com",
            "QINGSHOU_DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        }
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"QINGSHOU_SECRET_KEY": "", "QINGSHOU_ALLOWED_HOSTS": "x.example.com"}, "QINGSHOU_SECRET_KEY"),
        ({"QINGSHOU_SECRET_KEY": "short", "QINGSHOU_ALLOWED_HOSTS": "x.example.com"}, "QINGSHOU_SECRET_KEY"),
        (
            {"QINGSHOU_SECRET_KEY": secrets.token_urlsafe(64), "QINGSHOU_ALLOWED_HOSTS": ""},
            "QINGSHOU_ALLOWED_HOSTS",
        ),
    ],
)
def test_production_settings_refuse_to_start_without_key_or_hosts(
    env: dict[str, str], message: str, tmp_path: Path
) -> None:
    result = _deploy_check({**env, "QINGSHOU_DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}"})
    assert result.returncode != 0
    assert message in result.stderr


def test_production_settings_values() -> None:
    """What check --deploy does not look at: no debug, hashed static files, no finders."""
    code = (
        "import qingshou.settings_production as s;"
        "print(s.DEBUG, s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE,"
        " s.SECURE_HSTS_SECONDS >= 31536000, s.WHITENOISE_USE_FINDERS, s.ALLOWED_HOSTS,"
        " s.STORAGES['staticfiles']['BACKEND'])"
    )
    env = {
        **os.environ,
        "QINGSHOU_SECRET_KEY": secrets.token_urlsafe(64),
        "QINGSHOU_ALLOWED_HOSTS": "a.example.com, b.example.com",
    }
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.split() == [
        "False", "True", "True", "True", "True", "False", "['a.example.com',", "'b.example.com']",
        "whitenoise.storage.CompressedManifestStaticFilesStorage",
    ]  # fmt: skip


@pytest.mark.django_db
def test_pages_render_without_htmx_when_node_modules_is_missing(
    monkeypatch: pytest.MonkeyPatch, client_for: Any, make_user: MakeUser
) -> None:
    """No ``npm ci``: the base page leaves the htmx script out and still renders (forms post normally)."""
    from django.contrib.staticfiles import finders

    from qingshou.apps.accounts.templatetags import workbench

    workbench._htmx_url.cache_clear()
    monkeypatch.setattr(finders, "find", lambda path, *args, **kwargs: None)
    try:
        response = client_for(make_user(Role.AUDITOR)).get(reverse("audit:list"))
        assert response.status_code == 200
        assert "htmx.min.js" not in response.content.decode()
        assert "<form" in response.content.decode()
    finally:
        workbench._htmx_url.cache_clear()
