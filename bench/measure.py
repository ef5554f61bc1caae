"""Measure: run a command as a child process and report its wall time and peak resident memory.

The benchmarks time the real commands (``qingshou simulate``, ``qingshou init``, ``qingshou load``) as
separate processes, so the figures are what an operator sees. Peak RSS is the child's own high-water mark
(``wait4``'s ``ru_maxrss``, which also covers the grandchildren it waited for, e.g. simulation workers;
it is the largest single process, not a sum).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
VAR_BENCH = REPO / "var" / "bench"


@dataclass(frozen=True)
class Run:
    """One finished child process: its command, exit code, wall seconds, peak RSS and output."""

    command: tuple[str, ...]
    returncode: int
    seconds: float
    peak_rss_mb: float
    stdout: str
    stderr: str

    def json(self) -> dict[str, Any]:
        """The last line of stdout parsed as JSON (the commands' ``--json`` summary)."""
        lines = [line for line in self.stdout.splitlines() if line.strip()]
        return json.loads(lines[-1]) if lines else {}

    def check(self, allowed: Sequence[int] = (0,)) -> Run:
        """This run, or exit with its stderr when its exit code is not allowed."""
        if self.returncode not in allowed:
            sys.stderr.write(self.stderr[-4000:])
            raise SystemExit(f"{' '.join(self.command)} exited with {self.returncode}")
        return self


def qingshou() -> str:
    """The ``qingshou`` console script of the interpreter running the benchmark."""
    return str(Path(sys.executable).with_name("qingshou"))


def run(command: Sequence[str], env: Mapping[str, str] | None = None) -> Run:
    """Run ``command`` to completion; time it and read its peak RSS from ``wait4``."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        process = subprocess.Popen(
            list(command), stdout=out, stderr=err, env=dict(env or os.environ), text=True
        )
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(
            tuple(command), process.returncode, seconds, usage.ru_maxrss / 1024, out.read(), err.read()
        )


def rate(rows: int, seconds: float) -> str:
    """Rows per second, readable."""
    return f"{rows / seconds:,.0f}" if seconds > 0 else "-"


def book_arguments(description: str) -> argparse.ArgumentParser:
    """A parser with the options that name a simulated book (loans, seed, as-of, format) and --json."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--loans", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--as-of", default="2025-06-30")
    parser.add_argument("--format", choices=("csv", "parquet"), default="csv")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON line")
    return parser
