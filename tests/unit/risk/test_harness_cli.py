"""``qingshou trial`` (docs/trial.md) through click's runner on a small population: the table, ``--json``,
``--out`` (JSON and PNG), the capacity option, and unusable input refused with exit code 2 and a reason
naming the option and the line. No database."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from qingshou.cli import build
from qingshou.cli.trial import parse_capacity
from qingshou.risk.optimise import Capacity

SMALL = ["trial", "--borrowers", "120", "--days", "4", "--seed", "3"]

LETTERS_YAML = """\
name: letters
segments:
  - name: all
    paths:
      - name: letter_weekly
        steps:
          - {day: 1, every: 7, action: letter, template: demand}
"""


def test_trial_prints_both_arms_and_the_difference() -> None:
    result = CliRunner().invoke(build(), [*SMALL, "--optimised-b", "-q"])
    assert result.exit_code == 0, result.output
    assert "A = default · greedy" in result.output
    assert "B = default · optimised" in result.output
    assert "净回收 net" in result.output
    assert "95%" in result.output


def test_trial_json_and_out_folder(tmp_path: Path) -> None:
    strategy = tmp_path / "letters.yaml"
    strategy.write_text(LETTERS_YAML, encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        build(),
        [*SMALL, "--b", str(strategy), "--capacity", "minutes=60,sms=none", "--out", str(out), "--json"],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [arm["strategy"] for arm in data["arms"]] == ["default", "letters"]
    assert data["capacity"]["collector_minutes"] == 60
    assert data["capacity"]["sms"] is None
    assert data["borrowers"] == 120
    assert len(data["arms"][0]["cumulative_recovered"]) == 4
    a, b = (Decimal(arm["net"]) for arm in data["arms"])
    assert Decimal(data["difference"]["net_fen"]["net"]) == b - a
    assert json.loads((out / "trial.json").read_text(encoding="utf-8")) == data
    assert (out / "trial.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_same_seed_same_json() -> None:
    runner = CliRunner()
    first = runner.invoke(build(), [*SMALL, "--json"])
    second = runner.invoke(build(), [*SMALL, "--json"])
    assert first.exit_code == second.exit_code == 0
    assert first.output == second.output


def test_a_strategy_file_with_errors_is_refused_with_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: broken\nsegments: []\n", encoding="utf-8")
    result = CliRunner().invoke(build(), [*SMALL, "--a", str(bad)])
    assert result.exit_code == 2
    assert "--a" in result.output
    assert "line 2" in result.output


def test_a_missing_strategy_file_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(build(), [*SMALL, "--b", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert "--b" in result.output
    assert "cannot read" in result.output


def test_a_bad_capacity_is_refused() -> None:
    result = CliRunner().invoke(build(), [*SMALL, "--capacity", "minutes=lots"])
    assert result.exit_code == 2
    assert "minutes=lots" in result.output
    assert "whole number" in result.output


def test_parse_capacity_reads_aliases_and_leaves_the_rest_unlimited() -> None:
    assert parse_capacity("minutes=2400,sms=1000,visits=5") == Capacity(
        collector_minutes=2400, sms=1000, field_visits=5
    )
    assert parse_capacity("agency=3, letters=unlimited,emails=0") == Capacity(agency_slots=3, emails=0)
    assert parse_capacity("") == Capacity()


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("calls=5", "expected RESOURCE=LIMIT"),
        ("minutes", "expected RESOURCE=LIMIT"),
        ("sms=-1", "whole number"),
        ("sms=1,sms=2", "given twice"),
    ],
)
def test_parse_capacity_names_the_bad_item(text: str, reason: str) -> None:
    with pytest.raises(click.BadParameter, match=reason):
        parse_capacity(text)
