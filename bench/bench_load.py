"""Benchmark ``qingshou load``: a simulated book of N loans into a fresh SQLite file (and PostgreSQL).

    .venv/bin/python bench/bench_load.py --loans 100000 [--phases] [--reload] [--postgres] [--json]

1. The book is simulated once into ``var/bench/book-<N>-s<seed>-<as_of>-<format>/`` and reused by later
   runs (a ``.complete`` file marks a finished folder; its simulation figures are kept there).
2. A fresh SQLite file ``var/bench/load-<N>.sqlite3`` gets its schema (``qingshou init``, timed), then
   ``qingshou load DIR --json`` runs as a child process: wall seconds, rows per second and peak RSS.
   With ``--phases`` the load runs instead through the same service the command calls
   (``load_extracts``) in a child process that times each step it reports (read, check …, build
   schedules, write …). ``--reload`` loads the same folder a second time (every row unchanged).
3. ``--postgres`` repeats step 2 against the throw-away PostgreSQL 15 server that
   ``scripts/with-postgres`` starts (fsync off: a test server, not a tuned production one).

No assertions: the figures go to docs/benchmarks.md with the exact command.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

from measure import REPO, VAR_BENCH, Run, book_arguments, qingshou, rate, run

SCRIPT = Path(__file__).resolve()


def book_folder(args: argparse.Namespace) -> Path:
    return VAR_BENCH / f"book-{args.loans}-s{args.seed}-{args.as_of}-{args.format}"


def ensure_book(args: argparse.Namespace) -> tuple[Path, dict[str, Any]]:
    """The cached book folder, simulated now if no finished copy exists; with its simulation figures."""
    folder = book_folder(args)
    marker = folder / ".complete"
    if marker.is_file():
        return folder, {**json.loads(marker.read_text(encoding="utf-8")), "cached": True}
    command = [qingshou(), "simulate", "--loans", str(args.loans), "--seed", str(args.seed)]
    command += ["--as-of", args.as_of, "--out", str(folder), "--format", args.format, "--quiet", "--json"]
    result = run(command).check()
    figures = {
        "seconds": round(result.seconds, 1),
        "rows": result.json()["rows"],
        "peak_rss_mb": round(result.peak_rss_mb),
        "command": " ".join(command),
    }
    marker.write_text(json.dumps(figures, ensure_ascii=False), encoding="utf-8")
    return folder, {**figures, "cached": False}


def fresh_sqlite(loans: int) -> tuple[Path, dict[str, str]]:
    """A path for a new SQLite database (old files removed) and the environment that points at it."""
    path = VAR_BENCH / f"load-{loans}.sqlite3"
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path, {**os.environ, "QINGSHOU_DATABASE_URL": f"sqlite:///{path}"}


def load_command(folder: Path, phases: bool) -> list[str]:
    if phases:
        return [sys.executable, str(SCRIPT), "--phases-child", str(folder)]
    return [qingshou(), "load", str(folder), "--json"]


def load_figures(result: Run) -> dict[str, Any]:
    summary = result.json()
    tables = summary.get("report", summary).get("tables", {})
    rows = sum(counts["rows"] + counts.get("generated", 0) for counts in tables.values())
    figures: dict[str, Any] = {
        "seconds": round(result.seconds, 1),
        "exit_code": result.returncode,
        "rows": rows,
        "rows_per_second": round(rows / result.seconds) if result.seconds else None,
        "peak_rss_mb": round(result.peak_rss_mb),
        "tables": tables,
    }
    if "phases" in summary:
        figures["phases"] = summary["phases"]
        figures["phase_peak_rss_mb"] = summary.get("phase_peak_rss_mb", {})
    return figures


def measure_database(folder: Path, env: dict[str, str], args: argparse.Namespace) -> dict[str, Any]:
    """Schema, then one load (and a reload) of ``folder`` into the database ``env`` names."""
    init = run([qingshou(), "init", "--json"], env).check()
    loaded = run(load_command(folder, args.phases), env).check(allowed=(0, 3))
    figures = {"init_seconds": round(init.seconds, 1), "load": load_figures(loaded)}
    if args.reload:
        again = run([qingshou(), "load", str(folder), "--json"], env).check(allowed=(0, 3))
        figures["reload"] = load_figures(again)
    return figures


def phases_child(folder: Path) -> None:
    """Child mode: load ``folder`` through ``load_extracts`` and print the seconds of each step as JSON."""
    from qingshou.cli import setup_django

    setup_django()
    from qingshou.apps.loans.services.load import load_extracts

    spent: dict[str, float] = {}
    peak: dict[str, int] = {}
    mark = started = time.perf_counter()

    def progress(step: str, completed: int, total: int | None) -> None:
        nonlocal mark
        now = time.perf_counter()
        spent[step] = spent.get(step, 0.0) + now - mark
        peak[step] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        mark = now

    report = load_extracts(folder, progress=progress)
    spent["finish (commit, rejects, run record)"] = time.perf_counter() - mark
    peak["finish (commit, rejects, run record)"] = round(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    )
    phases = {step: round(seconds, 2) for step, seconds in spent.items()}
    total = round(time.perf_counter() - started, 2)
    summary = {"report": report.as_json(), "phases": phases, "phase_peak_rss_mb": peak, "seconds": total}
    print(json.dumps(summary, ensure_ascii=False))


def postgres(args: argparse.Namespace) -> dict[str, Any] | str:
    """Step 2 again inside ``scripts/with-postgres`` (this script in ``--inner`` mode)."""
    wrapper = REPO / "scripts" / "with-postgres"
    if not os.access(wrapper, os.X_OK):
        return "scripts/with-postgres not found"
    command = [str(wrapper), sys.executable, str(SCRIPT), "--inner", "--loans", str(args.loans)]
    command += ["--seed", str(args.seed), "--as-of", args.as_of, "--format", args.format]
    command += [flag for flag, wanted in (("--phases", args.phases), ("--reload", args.reload)) if wanted]
    result = run(command)
    if result.returncode != 0:
        return f"failed ({result.returncode}): {result.stderr.strip()[-500:]}"
    return result.json()


def print_database(name: str, figures: dict[str, Any]) -> None:
    print(f"{name}: init {figures['init_seconds']} s")
    for label in ("load", "reload"):
        if label not in figures:
            continue
        load = figures[label]
        print(
            f"  {label}: {load['seconds']} s, {load['rows']:,} rows, {rate(load['rows'], load['seconds'])} rows/s,"
            f" peak RSS {load['peak_rss_mb']:,} MB, exit {load['exit_code']}"
        )
        peaks = load.get("phase_peak_rss_mb", {})
        for step, seconds in load.get("phases", {}).items():
            high = f"   peak RSS so far {peaks[step]:>7,} MB" if step in peaks else ""
            print(f"    {step:<38}{seconds:>9.2f} s{high}")
    if "size_mb" in figures:
        print(f"  database file {figures['size_mb']:,} MB")


def main() -> None:
    parser = book_arguments(__doc__.splitlines()[0])
    parser.add_argument("--phases", action="store_true", help="time each load step (service in a child)")
    parser.add_argument("--reload", action="store_true", help="load the same folder a second time")
    parser.add_argument("--postgres", action="store_true", help="also load into a throw-away PostgreSQL")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--phases-child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.phases_child:
        phases_child(args.phases_child)
        return
    VAR_BENCH.mkdir(parents=True, exist_ok=True)
    folder, simulated = ensure_book(args)
    if args.inner:
        print(json.dumps(measure_database(folder, dict(os.environ), args), ensure_ascii=False))
        return
    database, env = fresh_sqlite(args.loans)
    figures: dict[str, Any] = {"loans": args.loans, "book": str(folder), "simulate": simulated}
    figures["sqlite"] = measure_database(folder, env, args)
    figures["sqlite"]["size_mb"] = round(database.stat().st_size / 2**20)
    if args.postgres:
        figures["postgresql"] = postgres(args)
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
        return
    cached = " (cached)" if simulated["cached"] else ""
    print(f"book {folder}: simulated in {simulated['seconds']} s{cached}")
    print_database("SQLite", figures["sqlite"])
    if args.postgres:
        pg = figures["postgresql"]
        print_database("PostgreSQL", pg) if isinstance(pg, dict) else print(f"PostgreSQL: {pg}")


if __name__ == "__main__":
    main()
