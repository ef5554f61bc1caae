"""Workbench test helpers and fixtures (issue 5): users of each role, logged-in clients, cases.

Fixtures (imported into ``tests/conftest.py``, so every test can ask for them):

- ``make_user(role, **profile) -> User`` — a fresh active user in the role's group (``Role`` or its value),
  with a ``Profile`` built from ``profile`` (``team``, ``agency``, ``region``, ``max_open_cases``);
  ``username=`` / ``password=`` may be given (default password ``PASSWORD``). Admins are staff.
- ``client_for(user) -> Client`` — a Django test client logged in as ``user`` (``force_login``; django-axes
  refuses ``Client.login`` without a request).

Plain helpers: ``create_user`` (the same as ``make_user`` without the fixture), ``make_borrower``,
``make_case(borrower=None, **fields)``.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any, Final

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.test import Client

from qingshou.apps.accounts.models import Profile
from qingshou.apps.accounts.roles import Role, forget_role
from qingshou.apps.cases.models import Case
from qingshou.apps.loans.models import Borrower

PASSWORD: Final = "Qingshou-test-2026"
_numbers = itertools.count(1)

_PROFILE_FIELDS: Final = ("team", "agency", "region", "max_open_cases")


@functools.cache
def _hashed(password: str) -> str:
    """Argon2 is slow on purpose: hash each test password once per session."""
    return make_password(password)


def create_user(
    role: Role | str, *, username: str | None = None, password: str = PASSWORD, **profile: Any
) -> Any:
    """A user in ``role``'s group with a profile; see the module docstring."""
    role = Role(role)
    unknown = set(profile) - set(_PROFILE_FIELDS) - {"first_name", "last_name", "email"}
    if unknown:
        raise TypeError(f"create_user: unknown profile fields {sorted(unknown)}")
    names = {key: profile.pop(key) for key in ("first_name", "last_name", "email") if key in profile}
    user = get_user_model().objects.create(
        username=username or f"{role.value}{next(_numbers)}",
        password=_hashed(password),
        is_staff=role == Role.ADMIN,
        **names,
    )
    user.groups.add(Group.objects.get(name=role.value))
    forget_role(user)
    Profile.objects.create(user=user, **profile)
    return user


@pytest.fixture
def make_user(db: None) -> Callable[..., Any]:
    """``make_user(role, **profile) -> User`` (see the module docstring)."""
    return create_user


@pytest.fixture
def client_for(db: None) -> Callable[[Any], Client]:
    """``client_for(user) -> Client`` logged in as ``user``."""

    def make(user: Any) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


def make_borrower(borrower_id: str | None = None, **fields: Any) -> Borrower:
    """A borrower with plausible personal data (override any field)."""
    number = next(_numbers)
    values: dict[str, Any] = {
        "name": "张三",
        "id_number": "110101199001011234",
        "phone": "13812345678",
        "address": "北京市朝阳区建国路88号",
        "region": "北京",
    }
    values.update(fields)
    return Borrower.objects.create(borrower_id=borrower_id or f"B{number:06d}", **values)


def make_case(borrower: Borrower | None = None, **fields: Any) -> Case:
    """An open case of ``borrower`` (a new one when omitted); ``collector``, ``team``, ``agency`` … as given."""
    borrower = borrower or make_borrower()
    values: dict[str, Any] = {
        "opened_on": date(2026, 1, 5),
        "updated_on": date(2026, 1, 5),
        "lead_loan_id": f"L-{borrower.borrower_id}",
    }
    values.update(fields)
    return Case.objects.create(borrower=borrower, **values)


@pytest.fixture(scope="session", autouse=True)
def audit_triggers_survive_flush() -> Iterator[None]:
    """SQLite only, tests only: the append-only triggers refuse ``DELETE``, and ``flush`` (the teardown of
    every transactional test) empties tables with ``DELETE``. While a flush includes the audit table, drop
    the triggers first and put them back after, in the flush's transaction. PostgreSQL flushes with
    ``TRUNCATE``, which row triggers do not see, so it needs nothing."""
    from django.db.backends.sqlite3 import base  # noqa: F401  (the operations module needs it first)
    from django.db.backends.sqlite3.operations import DatabaseOperations

    from qingshou.apps.audit.triggers import SQLITE_INSTALL, SQLITE_REMOVE, TABLE

    original = DatabaseOperations.sql_flush

    def sql_flush(self: DatabaseOperations, style: Any, tables: Any, **kwargs: Any) -> list[str]:
        statements: list[str] = original(self, style, tables, **kwargs)
        if TABLE in set(tables) or any(TABLE in sql for sql in statements):
            return [*SQLITE_REMOVE, *statements, *SQLITE_INSTALL]
        return statements

    DatabaseOperations.sql_flush = sql_flush  # type: ignore[method-assign]
    yield
    DatabaseOperations.sql_flush = original  # type: ignore[method-assign]
