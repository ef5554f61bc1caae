"""Shared test set-up: the test database comes from ``QINGSHOU_DATABASE_URL`` like everything else.

Settings read ``QINGSHOU_DATABASE_URL`` (SQLite file by default; ``scripts/with-postgres`` points it at a
throw-away PostgreSQL server). pytest-django then creates its own ``test_…`` database from it. For SQLite
the test database is a file in pytest's temp folder — never ``:memory:`` — because the ADBC bulk adapters
open their own connection and must see the same database; ``qingshou.config.adbc_uri()`` reads the name
from Django's connection, so it follows pytest-django's renaming (and xdist's ``_gwN`` suffixes).
Tests that use ADBC must be transactional (``django_db(transaction=True)``): ADBC cannot see rows a
test transaction has not committed.
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    django_db_modify_db_settings_parallel_suffix: None, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """SQLite: put the test database in a fresh temp file (one per xdist worker)."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        folder = tmp_path_factory.mktemp("database")
        database.setdefault("TEST", {})["NAME"] = str(folder / "test_qingshou.sqlite3")


# The workbench's fixtures (issue 5): make_user(role, **profile), client_for(user).
from workbench_support import audit_triggers_survive_flush, client_for, make_user  # noqa: E402

__all__ = ["audit_triggers_survive_flush", "client_for", "make_user"]
