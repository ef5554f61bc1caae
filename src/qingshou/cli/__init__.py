"""The ``qingshou`` command line: thin commands that parse input, call a service and render the answer.

Exit codes (documented in README.md): 0 success; 1 unexpected failure; 2 unusable input (missing file,
missing required column, bad argument); 3 completed with rejected rows; 4 not found.
"""

from __future__ import annotations

import os

import click

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_REJECTED = 3
EXIT_NOT_FOUND = 4


def setup_django() -> None:
    """Configure Django from the environment (``QINGSHOU_DATABASE_URL``) before touching the store."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qingshou.settings")
    import django

    django.setup()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="qingshou")
def cli() -> None:
    """清收 Qingshou — overdue-loan collection and recovery."""


def fail(error: Exception, code: int = EXIT_USAGE) -> None:
    """Print ``error`` as one line on stderr and exit with ``code``."""
    click.echo(f"错误 error: {error}", err=True)
    raise SystemExit(code)


def exit_code_for(error: Exception) -> int:
    """The one place that maps service errors to exit codes (not found → 4, other rule errors → 2)."""
    code = getattr(error, "code", "")
    return EXIT_NOT_FOUND if code == "not_found" else EXIT_USAGE


def _register() -> None:
    """Attach every command module's commands to the group (imported here to keep start-up cheap)."""
    from importlib import import_module

    for name in (
        "init",
        "load",
        "quote",
        "payments",
        "simulate",
        "demo",
        "eod",
        "snapshot",
        "strategy",
        "cases",
        "compliance",
        "notices",
        "worker",
        "assign",
        "users",
        "api",
        "arrangements",
        "records",
        "legal",
        "collateral",
        "agencies",
        "guarantees",
        "writeoffs",
        "report",
        "model",
        "scores",
        "watch",
        "assess",
        "plan",
        "trial",
    ):
        for command in import_module(f"qingshou.cli.{name}").COMMANDS:
            cli.add_command(command)


def build() -> click.Group:
    """The command group with every command attached (the console entry point and tests use it)."""
    _register()
    return cli


def main() -> None:
    """Console entry point."""
    build()()
