"""End to end through the installed ``qingshou`` command: simulate → init → load → quote → post-payment.

Runs the console script in a subprocess against a fresh SQLite file in a temp ``QINGSHOU_HOME``, as an
operator would; checks the exit codes (README) and the JSON contracts.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

QINGSHOU = shutil.which("qingshou", path=str(Path(sys.executable).parent)) or "qingshou"


def run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QINGSHOU_HOME": str(home), "QINGSHOU_TODAY": "2026-11-27"}
    env.pop("QINGSHOU_DATABASE_URL", None)
    return subprocess.run(
        [QINGSHOU, *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.mark.slow
def test_operator_flow(tmp_path: Path) -> None:
    """A small simulated book goes in whole; a loan is quoted; a payment posts once, then is a no-op."""
    book = tmp_path / "book"
    simulated = run(tmp_path, "simulate", "--loans", "300", "--seed", "11", "--as-of", "2026-11-27",
                    "--out", str(book), "--quiet")  # fmt: skip
    assert simulated.returncode == 0, simulated.stderr
    assert run(tmp_path, "init").returncode == 0
    loaded = run(tmp_path, "load", str(book), "--json")
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    summary = json.loads(loaded.stdout)
    assert summary["tables"]["loans"]["accepted"] == 300
    assert (tmp_path / "var" / "qingshou.sqlite3").is_file()

    again = json.loads(run(tmp_path, "load", str(book), "--json").stdout)
    assert again["tables"]["loans"] == {**again["tables"]["loans"], "accepted": 0, "unchanged": 300}

    quoted = run(tmp_path, "quote", "L000000001", "--as-of", "2026-11-27", "--json")
    assert quoted.returncode == 0, quoted.stderr
    quote = json.loads(quoted.stdout)
    assert quote["loan_id"] == "L000000001"
    assert quote["total_overdue"].count(".") == 1  # money is a decimal string

    post = ("post-payment", "--loan", "L000000001", "--amount", "10.00", "--paid-on", "2026-11-27",
            "--id", "E2E-1", "--json")  # fmt: skip
    first, second = run(tmp_path, *post), run(tmp_path, *post)
    assert (first.returncode, second.returncode) == (0, 0), first.stderr + second.stderr
    assert json.loads(first.stdout)["status"] == "posted"
    assert json.loads(second.stdout)["status"] == "already_posted"

    assert run(tmp_path, "quote", "NOPE", "--as-of", "2026-11-27").returncode == 4
    assert run(tmp_path, "load", str(tmp_path / "missing")).returncode == 2
