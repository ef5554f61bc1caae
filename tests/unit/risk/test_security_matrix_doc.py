"""docs/security.md's role matrix agrees with the code (``accounts.roles.ROLE_PERMISSIONS``) for the issue-8
rows (scoring, warning, assessment, planning): every such permission of the code has a row, and each row's ✓
columns are exactly the roles holding its permissions — least privilege as documented is least privilege as
granted. No database."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from qingshou.apps.accounts.roles import ROLE_PERMISSIONS, Role

DOC = Path(__file__).resolve().parents[3] / "docs" / "security.md"
APPS = ("scoring", "warning", "assessment", "planning")
#: The matrix's column order (its header: adm, str, sup, col, fld, leg, agy, rsk, aud).
COLUMNS = (
    Role.ADMIN,
    Role.STRATEGY_OWNER,
    Role.SUPERVISOR,
    Role.COLLECTOR,
    Role.FIELD_AGENT,
    Role.LEGAL_OFFICER,
    Role.AGENCY_USER,
    Role.RISK_MANAGER,
    Role.AUDITOR,
)


def permissions_of(cell: str) -> list[str]:
    """``app.a`` / ``b`` → [app.a, app.b] (the names in backticks before the dash)."""
    names = re.findall(r"`([a-z_.]+)`", cell.split(" — ")[0])
    app = names[0].split(".")[0]
    return [name if "." in name else f"{app}.{name}" for name in names]


def matrix_rows() -> dict[tuple[str, ...], set[Role]]:
    """Issue-8 rows of the matrix: their permissions → the roles ticked."""
    rows: dict[tuple[str, ...], set[Role]] = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 1 + len(COLUMNS) or not cells[0].startswith(tuple(f"`{app}." for app in APPS)):
            continue
        ticked = {role for role, cell in zip(COLUMNS, cells[1:], strict=True) if cell == "✓"}
        rows[tuple(permissions_of(cells[0]))] = ticked
    return rows


def test_every_issue_8_permission_has_a_row() -> None:
    granted = {name for names in ROLE_PERMISSIONS.values() for name in names if name.startswith(APPS)}
    documented = {name for names in matrix_rows() for name in names}
    assert granted == documented


@pytest.mark.parametrize("permissions", sorted(matrix_rows()), ids="+".join)
def test_each_row_ticks_exactly_the_roles_that_hold_it(permissions: tuple[str, ...]) -> None:
    ticked = matrix_rows()[permissions]
    for name in permissions:
        holders = {role for role, names in ROLE_PERMISSIONS.items() if name in names}
        assert holders == ticked, name


def test_collectors_field_agents_and_agency_users_hold_no_issue_8_permission() -> None:
    for role in (Role.COLLECTOR, Role.FIELD_AGENT, Role.AGENCY_USER):
        assert not [name for name in ROLE_PERMISSIONS[role] if name.startswith(APPS)], role
