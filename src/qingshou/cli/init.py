"""``qingshou init``: create the database ``QINGSHOU_DATABASE_URL`` names, or bring its schema up to date.

Idempotent: it applies the migrations not yet applied (Django's ``migrate``) and says what it did.
"""

from __future__ import annotations

import json

import click

from qingshou.cli import setup_django


def _describe_database() -> str:
    """The database in words (a SQLite path, or a PostgreSQL URI without its password)."""
    from django.db import connection

    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"SQLite {settings['NAME']}"
    user = settings.get("USER") or ""
    port = f":{settings['PORT']}" if settings.get("PORT") else ""
    return f"PostgreSQL {user}@{settings.get('HOST') or 'localhost'}{port}/{settings['NAME']}"


def _pending_migrations() -> list[str]:
    """``app.name`` of every migration not yet applied to the database."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


@click.command("init")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary instead of text.")
def init(as_json: bool) -> None:
    """Create or migrate the database (idempotent)."""
    setup_django()
    from django.core.management import call_command

    database = _describe_database()
    pending = _pending_migrations()
    if pending:
        call_command("migrate", interactive=False, verbosity=0)
    if as_json:
        click.echo(json.dumps({"database": database, "applied": pending}, ensure_ascii=False))
    elif pending:
        click.echo(f"{database}: applied {len(pending)} migration(s): {', '.join(pending)}")
    else:
        click.echo(f"{database}: up to date, nothing to do")


COMMANDS = [init]
