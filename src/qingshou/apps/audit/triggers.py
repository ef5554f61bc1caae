"""The database triggers that make ``qs_audit_event`` append-only (SQLite and PostgreSQL).

Installed by migration ``audit.0002_append_only``; ``UPDATE`` and ``DELETE`` of any row then fail inside
the database, whoever sends them. PostgreSQL's ``TRUNCATE`` does not fire row triggers: production
revokes ``TRUNCATE`` (and table ownership) from the application's role (docs/security.md).
"""

from __future__ import annotations

from typing import Any, Final

TABLE: Final = "qs_audit_event"

SQLITE_INSTALL: Final = (
    f"CREATE TRIGGER IF NOT EXISTS qs_audit_event_no_update BEFORE UPDATE ON {TABLE} "
    f"BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only: UPDATE refused'); END",
    f"CREATE TRIGGER IF NOT EXISTS qs_audit_event_no_delete BEFORE DELETE ON {TABLE} "
    f"BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only: DELETE refused'); END",
)
SQLITE_REMOVE: Final = (
    "DROP TRIGGER IF EXISTS qs_audit_event_no_update",
    "DROP TRIGGER IF EXISTS qs_audit_event_no_delete",
)
POSTGRESQL_INSTALL: Final = (
    "CREATE OR REPLACE FUNCTION qs_audit_event_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ "
    f"BEGIN RAISE EXCEPTION '{TABLE} is append-only: % refused', TG_OP; END $$",
    f"DROP TRIGGER IF EXISTS qs_audit_event_append_only ON {TABLE}",
    f"CREATE TRIGGER qs_audit_event_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
    "FOR EACH ROW EXECUTE FUNCTION qs_audit_event_refuse()",
)
POSTGRESQL_REMOVE: Final = (
    f"DROP TRIGGER IF EXISTS qs_audit_event_append_only ON {TABLE}",
    "DROP FUNCTION IF EXISTS qs_audit_event_refuse()",
)


class UnsupportedDatabase(Exception):
    """A database vendor the append-only triggers do not know."""


def statements(vendor: str, *, install: bool) -> tuple[str, ...]:
    """The SQL that installs (or removes) the triggers on ``vendor`` (``sqlite`` / ``postgresql``)."""
    if vendor == "sqlite":
        return SQLITE_INSTALL if install else SQLITE_REMOVE
    if vendor == "postgresql":
        return POSTGRESQL_INSTALL if install else POSTGRESQL_REMOVE
    raise UnsupportedDatabase(
        f"audit triggers: database vendor {vendor!r} is not supported (sqlite, postgresql)"
    )


def apply(connection: Any, *, install: bool) -> None:
    """Run the install (or remove) statements on a Django connection."""
    with connection.cursor() as cursor:
        for sql in statements(connection.vendor, install=install):
            cursor.execute(sql)
