"""``qingshou users demo`` (one user per role, idempotent) and ``qingshou serve`` (the site with its static
files, over gunicorn)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from django.contrib.auth import get_user_model

from qingshou.apps.accounts.models import Agency, Team
from qingshou.apps.accounts.roles import Role, role_of
from qingshou.apps.audit.models import AuditEvent
from qingshou.cli import build

pytestmark = pytest.mark.db


def invoke(*args: str) -> Result:
    return CliRunner().invoke(build(), list(args))


@pytest.mark.django_db
def test_users_demo_creates_one_user_per_role_and_is_idempotent() -> None:
    first = invoke("users", "demo", "--password", "demo-pass-1", "--json")
    assert first.exit_code == 0, first.output
    rows = json.loads(first.output)
    assert {row["role"] for row in rows} == {role.value for role in Role}
    assert all(row["created"] and row["password"] == "demo-pass-1" for row in rows)
    second = invoke("users", "demo", "--password", "demo-pass-2", "--json")
    assert second.exit_code == 0, second.output
    assert [row["username"] for row in json.loads(second.output)] == [row["username"] for row in rows]
    assert not any(row["created"] for row in json.loads(second.output))
    users = get_user_model().objects.all()
    assert users.count() == len(rows)
    for user in users:
        assert user.check_password("demo-pass-2")
        assert role_of(user) is Role(next(row["role"] for row in rows if row["username"] == user.username))
    team = Team.objects.get()
    assert team.supervisor is not None
    assert team.supervisor.username == "supervisor"
    assert sorted(team.members.values_list("user__username", flat=True)) == ["collector1", "collector2"]
    assert Agency.objects.get().users.get().user.username == "agency"
    assert AuditEvent.objects.filter(action="user.demo").count() == 2


@pytest.mark.django_db
def test_users_demo_prints_the_table_of_usernames_roles_and_password() -> None:
    result = invoke("users", "demo")
    assert result.exit_code == 0, result.output
    for text in ("collector1", "supervisor", "auditor", "field_agent", "qingshou-demo"):
        assert text in result.output


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _get(url: str, deadline: float) -> tuple[int, bytes]:
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.status, response.read()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


@pytest.mark.slow
def test_serve_runs_the_site_with_static_files(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "QINGSHOU_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}"}
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from qingshou.cli import main; main()",
            "serve",
            "--port",
            str(port),
            "--workers",
            "1",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        status, body = _get(f"http://127.0.0.1:{port}/accounts/login/", deadline)
        assert status == 200
        assert b'name="password"' in body
        status, css = _get(f"http://127.0.0.1:{port}/static/qingshou/site.css", deadline)
        assert status == 200
        assert b".pii" in css
    finally:
        server.terminate()
        server.wait(timeout=30)
