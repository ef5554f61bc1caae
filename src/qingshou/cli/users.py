"""``qingshou users demo``: one demo user per role; ``qingshou serve``: run the workbench web site.

``users demo [--password P]`` creates (or resets) the demo users — an administrator, a strategy owner, a
supervisor leading the demo team of two collectors, two field agents, a legal officer, an agency user of
the demo agency, a risk manager and an auditor — all with the same password, and prints them. Run it again
at any time: it is idempotent. ``serve [--host 127.0.0.1] [--port 8000]`` runs the site with gunicorn
(Django's development server with ``--dev`` or when gunicorn is missing); static files (our CSS, htmx from
``node_modules``) are served by WhiteNoise in both.
"""

from __future__ import annotations

import importlib.util
import os
import sys

import click

from qingshou.cli import setup_django
from qingshou.cli.render import console, print_json, table

DEFAULT_DEMO_PASSWORD = "qingshou-demo"


@click.group("users")
def users() -> None:
    """用户 Users of the workbench."""


@users.command("demo")
@click.option(
    "--password", default=DEFAULT_DEMO_PASSWORD, show_default=True, help="Password of every demo user."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def demo_users(password: str, as_json: bool) -> None:
    """Create or reset one demo user per role and print them."""
    setup_django()
    from qingshou.apps.accounts.roles import ROLE_LABELS
    from qingshou.apps.accounts.services import create_demo_users

    rows = create_demo_users(password)
    if as_json:
        print_json(
            [
                {"username": row.username, "role": row.role.value, "team": row.team, "agency": row.agency,
                 "created": row.created, "password": password}
                for row in rows
            ]
        )  # fmt: skip
        return
    console().print(
        table(
            "示范用户 demo users",
            ["用户名 username", "角色 role", "", "组 team", "机构 agency", "密码 password"],
            [
                (row.username, row.role.value, str(ROLE_LABELS[row.role]), row.team, row.agency, password)
                for row in rows
            ],
        )
    )


def _server_command(host: str, port: int, workers: int, dev: bool) -> list[str]:
    if dev or importlib.util.find_spec("gunicorn") is None:
        return [sys.executable, "-m", "django", "runserver", "--noreload", f"{host}:{port}"]
    return [
        sys.executable, "-m", "gunicorn", "qingshou.wsgi:application", "--bind", f"{host}:{port}",
        "--workers", str(workers), "--access-logfile", "-",
    ]  # fmt: skip


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8000, show_default=True)
@click.option("--workers", type=int, default=2, show_default=True, help="gunicorn worker processes.")
@click.option("--dev", is_flag=True, help="Django's development server instead of gunicorn.")
def serve(host: str, port: int, workers: int, dev: bool) -> None:
    """Run the workbench on HOST:PORT (open http://HOST:PORT/accounts/login/)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qingshou.settings")
    command = _server_command(host, port, workers, dev)
    click.echo(f"清收工作台 Qingshou workbench: http://{host}:{port}/accounts/login/", err=True)
    sys.stdout.flush()
    os.execv(command[0], command)


COMMANDS: list[click.Command] = [users, serve]
