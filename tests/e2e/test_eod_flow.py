"""End to end through the installed ``qingshou`` command: simulate → init → load → eod (yesterday, a
backfill, a rerun) → snapshot export, in a subprocess against a fresh SQLite file and lake in a temp
``QINGSHOU_HOME``, as an operator would; checks the exit codes (README), the JSON and the lake layout."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

QINGSHOU = shutil.which("qingshou", path=str(Path(sys.executable).parent)) or "qingshou"


def run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QINGSHOU_HOME": str(home), "QINGSHOU_TODAY": "2026-07-01"}
    env.pop("QINGSHOU_DATABASE_URL", None)
    env.pop("QINGSHOU_LAKE", None)
    return subprocess.run(
        [QINGSHOU, *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )


def partition_bytes(home: Path, day: str) -> dict[str, bytes]:
    folder = home / "var" / "lake" / "snapshots" / f"as_of={day}"
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


@pytest.mark.slow
def test_operator_eod_flow(tmp_path: Path) -> None:
    """Yesterday by default, a two-day backfill before it, a byte-identical rerun, an export."""
    simulated = run(tmp_path, "simulate", "--loans", "80", "--seed", "4", "--as-of", "2026-06-30",
                    "--out", str(tmp_path / "book"), "--quiet")  # fmt: skip
    assert simulated.returncode == 0, simulated.stderr
    assert run(tmp_path, "init").returncode == 0
    assert run(tmp_path, "load", str(tmp_path / "book"), "--json").returncode == 0

    first = run(tmp_path, "eod", "--engine", "domain", "--json")
    assert first.returncode == 0, first.stdout + first.stderr
    [day] = json.loads(first.stdout)["runs"]
    assert (day["as_of"], day["snapshot_rows"], day["loans_read"]) == ("2026-06-30", 80, 80)
    written = partition_bytes(tmp_path, "2026-06-30")

    backfill = run(
        tmp_path, "eod", "--from", "2026-06-28", "--to", "2026-06-29", "--engine", "domain", "--json"
    )
    assert backfill.returncode == 0, backfill.stdout + backfill.stderr
    assert [r["as_of"] for r in json.loads(backfill.stdout)["runs"]] == ["2026-06-28", "2026-06-29"]
    snapshots = sorted(p.name for p in (tmp_path / "var" / "lake" / "snapshots").iterdir())
    assert snapshots == ["as_of=2026-06-28", "as_of=2026-06-29", "as_of=2026-06-30"]

    rerun = run(tmp_path, "eod", "--as-of", "2026-06-30", "--engine", "domain", "--quiet")
    assert rerun.returncode == 0, rerun.stderr
    assert "日终跑批 EOD" in rerun.stdout
    # the rerun sees the 29th as its previous day now, so only the change columns may differ: compare the rest
    again = pl.read_parquet(
        tmp_path / "var" / "lake" / "snapshots" / "as_of=2026-06-30" / "part-00000.parquet"
    )
    before = pl.read_parquet(written["part-00000.parquet"])
    quote_columns = [c for c in before.columns if not c.startswith("previous_") and c not in _CHANGE_FLAGS]
    assert again.select(quote_columns).equals(before.select(quote_columns))
    rerun_bytes = partition_bytes(tmp_path, "2026-06-30")
    assert run(tmp_path, "eod", "--as-of", "2026-06-30", "--engine", "domain", "--json").returncode == 0
    assert partition_bytes(tmp_path, "2026-06-30") == rerun_bytes

    out = tmp_path / "export.parquet"
    exported = run(tmp_path, "snapshot", "export", "--as-of", "2026-06-30", "--out", str(out), "--json")
    assert exported.returncode == 0, exported.stderr
    assert json.loads(exported.stdout)["rows"] == 80
    assert pl.read_parquet(out).equals(again)

    assert run(tmp_path, "snapshot", "export", "--as-of", "2026-01-01", "--out", str(out)).returncode == 4
    assert run(tmp_path, "eod", "--as-of", "2026-07-02").returncode == 2


_CHANGE_FLAGS = ("newly_delinquent", "cured", "rolled_worse", "class_changed")
