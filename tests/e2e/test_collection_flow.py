"""End to end through the installed ``qingshou`` command (issue 4): a strategy validated and applied, EOD
planning the day's actions with the contact rules (C8), the plan and the compliance report read back, the
notices in the outbox rendered (an SMS as text, a letter as a PDF) — in a subprocess against a fresh SQLite
file in a temp ``QINGSHOU_HOME``, as an operator would."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

QINGSHOU = shutil.which("qingshou", path=str(Path(sys.executable).parent)) or "qingshou"
DAY = "2026-06-30"


def run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QINGSHOU_HOME": str(home), "QINGSHOU_TODAY": "2026-07-01"}
    for name in ("QINGSHOU_DATABASE_URL", "QINGSHOU_LAKE", "QINGSHOU_SMS_GATEWAY_URL"):
        env.pop(name, None)
    return subprocess.run(
        [QINGSHOU, *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )


BROKEN = """
name: broken
segments:
  - name: all
    paths:
      - name: p
        steps:
          - {day: 1, action: sms, template: no_such_template}
          - {day: abc, action: call, queue: early}
"""


@pytest.mark.slow
def test_operator_collection_flow(tmp_path: Path) -> None:
    simulated = run(tmp_path, "simulate", "--loans", "300", "--seed", "8", "--as-of", DAY,
                    "--out", str(tmp_path / "book"), "--quiet")  # fmt: skip
    assert simulated.returncode == 0, simulated.stderr
    assert run(tmp_path, "init").returncode == 0
    assert run(tmp_path, "load", str(tmp_path / "book"), "--json").returncode == 0

    broken = tmp_path / "broken.yaml"
    broken.write_text(BROKEN, encoding="utf-8")
    refused = run(tmp_path, "strategy", "validate", str(broken))
    assert refused.returncode == 2
    assert "line 9, segments[0].paths[0].steps[1].day" in refused.stderr + refused.stdout
    assert "no_such_template" in refused.stderr + refused.stdout

    shown = run(tmp_path, "strategy", "show", "--json")
    assert shown.returncode == 0, shown.stderr
    default = tmp_path / "default.yaml"
    default.write_text(json.loads(shown.stdout)["text"], encoding="utf-8")
    assert run(tmp_path, "strategy", "validate", str(default)).returncode == 0
    applied = run(tmp_path, "strategy", "apply", str(default), "--by", "e2e", "--json")
    assert applied.returncode == 0, applied.stderr

    eod = run(tmp_path, "eod", "--as-of", DAY, "--json")
    assert eod.returncode == 0, eod.stdout + eod.stderr

    plan = json.loads(run(tmp_path, "cases", "plan", "--as-of", DAY, "--json").stdout)
    assert plan["total"] > 0
    assert {row["outcome"] for row in plan["by_action"]} <= {"allow", "defer", "refuse"}
    cases = json.loads(run(tmp_path, "cases", "list", "--status", "open", "--json").stdout)
    assert cases["counts"]["open"] > 0

    report = run(tmp_path, "compliance", "report", "--from", "2026-07-01", "--to", "2026-07-01", "--json")
    assert report.returncode == 0, report.stderr
    assert "allow" in report.stdout

    notices = json.loads(run(tmp_path, "notices", "list", "--json").stdout)
    letters = [row for row in notices if row["channel"] == "letter"]
    texts = [row for row in notices if row["channel"] == "sms"]
    assert texts, notices
    sms = tmp_path / "sms.txt"
    assert run(tmp_path, "notices", "render", "--key", texts[0]["key"], "--out", str(sms)).returncode == 0
    assert "逾期本金" in sms.read_text(encoding="utf-8")
    if letters:
        pdf = tmp_path / "letter.pdf"
        assert (
            run(tmp_path, "notices", "render", "--key", letters[0]["key"], "--out", str(pdf)).returncode == 0
        )
        assert pdf.read_bytes().startswith(b"%PDF")
