"""``qingshou assess FILE.json`` and ``qingshou assess pricing`` (issue 8, docs/assessment.md): the same service
as ``POST /api/assess`` (stored, audited, idempotent per application id), its exit codes, and the pricing
table within the legal cap (C4) with decimal strings (C9)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from assessment_support import activate, body
from qingshou.apps.assessment.models import Assessment
from qingshou.apps.audit.models import AuditEvent
from qingshou.cli import build

pytestmark = [pytest.mark.db, pytest.mark.django_db]


def run(*args: str) -> Any:
    return CliRunner().invoke(build(), ["assess", *args], catch_exceptions=False)


def write(tmp_path: Path, payload: Any, name: str = "app.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    return path


def test_assess_file_prints_the_service_answer(tmp_path: Path, make_user: Any) -> None:
    """The JSON answer is the API's; ``--user`` is the actor of the row and of the audit event; the same file
    again prints the stored answer without a second row."""
    activate()
    make_user("risk_manager", username="rm")
    path = write(tmp_path, body("CLI-1", row=1))
    result = run(str(path), "--user", "rm", "--json")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    row = Assessment.objects.get(application_id="CLI-1")
    assert answer["points"] == row.points
    assert answer["price"]["annual_rate"] == str(row.annual_rate)
    assert row.requested_by is not None
    assert row.requested_by.username == "rm"
    again = run(str(path), "--user", "rm", "--json")
    assert json.loads(again.output) == answer
    assert Assessment.objects.count() == 1
    assert AuditEvent.objects.get(action="assessment.assess").actor_name == "rm"


def test_assess_file_table_in_chinese(tmp_path: Path) -> None:
    activate()
    result = run(str(write(tmp_path, body("CLI-2", row=1))))
    assert result.exit_code == 0, result.output
    assert "等级 grade" in result.output
    assert "年利率 annual rate" in result.output


def test_exit_codes(tmp_path: Path, make_user: Any) -> None:
    """5 without an active model; 4 no file; 2 bad field (named) or a user without the permission; 3 the
    same application id with other content."""
    path = write(tmp_path, body("CLI-3"))
    assert run(str(path)).exit_code == 5
    activate()
    assert run(str(tmp_path / "missing.json")).exit_code == 4
    bad = run(str(write(tmp_path, body("CLI-4", amount="1.234"), "bad.json")))
    assert bad.exit_code == 2
    assert "amount" in bad.output
    make_user("collector", username="col")
    assert run(str(path), "--user", "col").exit_code == 2
    assert run(str(path)).exit_code == 0
    assert run(str(write(tmp_path, body("CLI-3", term_months=36), "other.json"))).exit_code == 3


def test_pricing_table_json(settings: Any) -> None:
    """C4: every grade's rate is at most the cap; a private lender's cap is 4 × the LPR given."""
    result = run("pricing", "--json")
    assert result.exit_code == 0, result.output
    table = json.loads(result.output)
    assert [row["grade"] for row in table["grades"]] == ["A", "B", "C", "D", "E"]
    assert all(Decimal(row["annual_rate"]) <= Decimal("0.24") for row in table["grades"])
    assert table["grades"][-1]["decision"] == "decline"
    private = json.loads(run("pricing", "--lender", "private", "--lpr", "0.03", "--json").output)
    assert {row["cap"] for row in private["grades"]} == {"0.12"}
    assert [row["decision"] for row in private["grades"]] == ["approve"] * 3 + ["decline"] * 2
    assert run("pricing", "--lender", "private").exit_code == 2
