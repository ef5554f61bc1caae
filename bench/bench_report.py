"""Benchmark the monthly report's metrics (issue 7): 13 month-end snapshots of the 1M-loan book.

    .venv/bin/python bench/bench_report.py [--loans 1000000] [--month 2025-06] [--months 13] [--repeat 2]
        [--skip-build] [--json]

1. The book is ``var/bench/load-<N>.sqlite3`` (``bench/bench_load.py`` builds it), copied once to
   ``var/bench/report-<N>.sqlite3`` and brought up to date there with ``qingshou init`` — the EOD runs below
   write to the store (statuses, cases), so the shared book is left as it is. Its lake of month-end
   snapshots, ``var/bench/lake-report-<N>``, is built once and reused: ``qingshou eod --as-of D`` (a child
   process, wall time and peak RSS printed) for each of the ``--months`` month-ends up to the month's end that
   the lake lacks, oldest first — so the store ends at the last month-end, as the book's as_of (2025-06-30).
   Each run takes about a minute and 12 GB: check ``free -g`` first, another 1M benchmark at the same time
   runs the machine out of memory.
2. In a child process (its own peak RSS): ``sources_for`` then ``analytics.book.book_metrics`` — the reading
   (``read_frames``: snapshots, store) and the metrics (``metrics_of``) timed apart — ``--repeat`` times (best
   printed), and ``analytics.month.build_month`` (the whole month: book + operations + recommendations) when
   the operations module exists.
3. ``qingshou report --month M --out DIR`` as a child process when the command exists (wall time, peak RSS).

No assertions: the figures go to docs/benchmarks.md with the exact command.
"""

from __future__ import annotations

import argparse
import calendar
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from measure import VAR_BENCH, qingshou, run

SCRIPT = Path(__file__).resolve()


def month_ends(last: date, months: int) -> list[date]:
    """The ``months`` calendar month-ends up to ``last``'s month, oldest first."""
    ends = []
    year, month = last.year, last.month
    for _ in range(months):
        ends.append(date(year, month, calendar.monthrange(year, month)[1]))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return sorted(ends)


def environment(database: Path, lake: Path) -> dict[str, str]:
    return {**os.environ, "QINGSHOU_DATABASE_URL": f"sqlite:///{database}", "QINGSHOU_LAKE": str(lake)}


def build_lake(database: Path, lake: Path, days: list[date]) -> None:
    """Run ``qingshou eod`` for every day of ``days`` whose partition the lake lacks (oldest first)."""
    from qingshou.lake.snapshots import snapshot_dates

    have = set(snapshot_dates(lake))
    missing = [day for day in days if day not in have]
    if missing and missing[-1] != days[-1]:
        missing.append(days[-1])  # the store must end at the last month-end
    for day in missing:
        result = run(
            [qingshou(), "eod", "--as-of", day.isoformat(), "--json"], environment(database, lake)
        ).check()
        print(f"eod {day}: {result.seconds:7.1f} s, peak RSS {result.peak_rss_mb:8.0f} MB", flush=True)


def child(database: Path, lake: Path, month: date, months: int, repeat: int) -> dict[str, Any]:
    """Time the metrics in this process (called with ``--child``)."""
    from qingshou.analytics import book
    from qingshou.analytics.sources import sources_for
    from qingshou.store import Store

    figures: dict[str, Any] = {}
    with Store(str(database)) as store:
        sources = sources_for(month, lake, store, months=months)
        figures["history"] = [day.isoformat() for day in sources.history]
        reads, computes = [], []
        for _ in range(repeat):
            started = time.perf_counter()
            frames = book.read_frames(sources)
            read = time.perf_counter()
            metrics = book.metrics_of(frames)
            reads.append(read - started)
            computes.append(time.perf_counter() - read)
        figures["book_read_s"] = round(min(reads), 2)
        figures["book_metrics_s"] = round(min(computes), 2)
        figures["book_total_s"] = round(min(r + c for r, c in zip(reads, computes, strict=True)), 2)
        figures["loans_current"] = frames.current.height
        figures["history_rows"] = frames.history.height
        figures["cash_rows"] = frames.cash.height
        figures["tables"] = {key: table.frame.height for key, table in metrics.tables.items()}
        try:
            from qingshou.analytics import month as month_module

            started = time.perf_counter()
            month_module.build_month(sources)
            figures["build_month_s"] = round(time.perf_counter() - started, 2)
        except Exception as error:  # the other modules may be missing or fail: the book figures stand
            figures["build_month_s"] = f"failed: {type(error).__name__}: {error}"
    figures["child_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return figures


def report_command(database: Path, lake: Path, month: date) -> dict[str, Any]:
    """``qingshou report`` end to end, when the command exists."""
    probe = run([qingshou(), "report", "--help"], environment(database, lake))
    if probe.returncode != 0:
        return {"report": "qingshou report not available"}
    with tempfile.TemporaryDirectory() as out:
        result = run(
            [qingshou(), "report", "--month", f"{month:%Y-%m}", "--out", out], environment(database, lake)
        )
        return {
            "report_s": round(result.seconds, 1),
            "report_peak_rss_mb": round(result.peak_rss_mb),
            "report_exit": result.returncode,
            "report_stderr": result.stderr[-2000:] if result.returncode else "",
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loans", type=int, default=1_000_000)
    parser.add_argument(
        "--month", default="2025-06", help="YYYY-MM (default 2025-06, the book's as_of month)"
    )
    parser.add_argument("--months", type=int, default=13)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--skip-build", action="store_true", help="use the lake as it is")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true")
    arguments = parser.parse_args()
    month = date.fromisoformat(f"{arguments.month}-01")
    source = VAR_BENCH / f"load-{arguments.loans}.sqlite3"
    database = VAR_BENCH / f"report-{arguments.loans}.sqlite3"
    lake = VAR_BENCH / f"lake-report-{arguments.loans}"
    if arguments.child:
        print(json.dumps(child(database, lake, month, arguments.months, arguments.repeat)))
        return
    if not database.exists():
        if not source.exists():
            raise SystemExit(f"{source} is missing: run bench/bench_load.py --loans {arguments.loans} first")
        shutil.copyfile(source, database)
    if not arguments.skip_build:
        init = run([qingshou(), "init"], environment(database, lake)).check()
        print(f"init: {init.seconds:.1f} s", flush=True)
    last = date(month.year, month.month, calendar.monthrange(month.year, month.month)[1])
    if not arguments.skip_build:
        build_lake(database, lake, month_ends(last, arguments.months))
    command = [
        sys.executable,
        str(SCRIPT),
        "--child",
        "--loans",
        str(arguments.loans),
        "--month",
        arguments.month,
    ]
    command += ["--months", str(arguments.months), "--repeat", str(arguments.repeat)]
    result = run(command).check()
    figures = {"loans": arguments.loans, "month": arguments.month, **result.json()}
    figures["child_wall_s"] = round(result.seconds, 1)
    figures.update(report_command(database, lake, month))
    if arguments.json:
        print(json.dumps(figures))
        return
    for key, value in figures.items():
        print(f"{key:>20}: {value}")


if __name__ == "__main__":
    main()
