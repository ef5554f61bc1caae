"""Benchmark the EOD engine: the snapshot of a simulated book, against the domain loan by loan.

    .venv/bin/python bench/bench_eod.py --loans 1000000 [--sample 5000] [--scale 10] [--json]

1. The book is the one ``bench/bench_load.py`` simulates and loads into ``var/bench/load-<N>.sqlite3``; it is
   built here (simulate → init → load, timed elsewhere) when that file is missing.
2. **Kernel** (a child process, so its peak RSS is its own): read the book from the store through ADBC
   (``apps.eod.book.read_book``), then ``engine.kernel.compute`` for ``--as-of`` with no previous snapshot
   (the first run: classification history derived from the timelines). Then the **domain** computes the same
   quotes loan by loan (``engine.reference.reference_quotes``) for a random sample of ``--sample`` loans, and
   the kernel runs on that same sample: the ratio is printed both per loan against the full-book kernel and
   on the identical sample.
3. **Command**: ``qingshou eod --as-of D --json`` as a child process on the same store and a fresh lake: wall
   time, peak RSS and the run's own split (after ``qingshou init`` brings the store's schema up to date) (read store, compute, write lake, write store).
4. ``--scale K``: K copies of the book with new loan and borrower ids are written as Parquet extracts in
   ``--parts`` partitions per copy (by borrower), and a child process streams them: read one partition,
   compute, write its snapshot part; the peak RSS is what a K-million-loan book needs partitioned.

``--retain-memory`` runs the kernel child with Polars' allocator (jemalloc) keeping the memory it frees
instead of handing it back to the system after 0.5 s (``_RJEM_MALLOC_CONF=dirty_decay_ms:-1,
muzzy_decay_ms:-1``, read when Polars is imported): each page the kernel touches is then faulted in once, not
again every time a large frame is freed and another allocated. On a virtual machine a first touch is
expensive (the host backs the page), so this shows how much of the compute time is the system's.

No assertions: the figures go to docs/benchmarks.md with the exact command.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

from measure import VAR_BENCH, book_arguments, qingshou, run

SCRIPT = Path(__file__).resolve()
#: Polars' jemalloc never returns freed pages to the system (appended to Polars' own settings on import).
RETAIN = {"_RJEM_MALLOC_CONF": "dirty_decay_ms:-1,muzzy_decay_ms:-1"}


def peak_mb() -> float:
    """This process's peak resident memory so far, MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def store_path(loans: int) -> Path:
    return VAR_BENCH / f"load-{loans}.sqlite3"


def ensure_store(args: argparse.Namespace) -> Path:
    """The loaded SQLite store of the book (simulated and loaded now when missing)."""
    path = store_path(args.loans)
    if path.is_file():
        return path
    from bench_load import ensure_book, fresh_sqlite

    folder, _ = ensure_book(args)
    path, env = fresh_sqlite(args.loans)
    run([qingshou(), "init"], env).check()
    run([qingshou(), "load", str(folder), "--json"], env).check((0, 3))
    return path


def setup_django() -> None:
    from qingshou.cli import setup_django as setup

    setup()


def kernel_child(store: Path, as_of: date, sample: int, seed: int) -> dict[str, Any]:
    """Read + compute the whole book, then domain vs kernel on a sample (runs in a child process)."""
    from qingshou.apps.eod.book import read_book
    from qingshou.calendars import china_calendar
    from qingshou.engine import kernel
    from qingshou.engine.calendar import CalendarFrame
    from qingshou.engine.reference import reference_quotes
    from qingshou.store import Store

    started = time.perf_counter()
    with Store(str(store)) as db:
        book = read_book(db).book
    read_seconds = time.perf_counter() - started
    calendar = CalendarFrame.of(china_calendar())
    started = time.perf_counter()
    cpu_started = time.process_time()
    result = kernel.compute(book, as_of, calendar, None)
    compute_seconds = time.perf_counter() - started
    compute_cpu = time.process_time() - cpu_started
    figures: dict[str, Any] = {
        "loans": book.loan_count,
        "installments": book.installments.height,
        "payments": book.payments.height,
        "snapshot_rows": result.snapshot.height,
        "error_rows": result.errors.height,
        "read_store_s": round(read_seconds, 2),
        "compute_s": round(compute_seconds, 2),
        "compute_cpu_s": round(compute_cpu, 2),  # user + system, both cores: > compute_s when parallel
        "peak_rss_mb": round(peak_mb()),
    }
    ids = sorted(random.Random(seed).sample(book.loans["loan_id"].to_list(), min(sample, book.loan_count)))
    part = book.only(ids)
    started = time.perf_counter()
    reference_quotes(part, as_of, calendar.calendar)
    domain_seconds = time.perf_counter() - started
    started = time.perf_counter()
    kernel.compute(part, as_of, calendar, None)
    sample_seconds = time.perf_counter() - started
    per_loan_domain = domain_seconds / len(ids)
    figures["sample"] = {
        "loans": len(ids),
        "domain_s": round(domain_seconds, 2),
        "kernel_s": round(sample_seconds, 3),
        "domain_ms_per_loan": round(per_loan_domain * 1000, 3),
        "kernel_us_per_loan_full_book": round(compute_seconds / book.loan_count * 1e6, 2),
        "ratio_per_loan_vs_full_book": round(per_loan_domain / (compute_seconds / book.loan_count)),
        "ratio_same_sample": round(domain_seconds / sample_seconds, 1),
    }
    return figures


def command_figures(store: Path, as_of: str) -> dict[str, Any]:
    """``qingshou eod --as-of D --json`` on the store, into a fresh lake."""
    lake = VAR_BENCH / f"lake-{store.stem}"
    shutil.rmtree(lake, ignore_errors=True)
    env = {**os.environ, "QINGSHOU_DATABASE_URL": f"sqlite:///{store}", "QINGSHOU_LAKE": str(lake)}
    run([qingshou(), "init"], env).check()  # migrate: a store loaded before the eod tables existed
    command = [qingshou(), "eod", "--as-of", as_of, "--json"]
    result = run(command, env).check((0, 3))
    summary = result.json()["runs"][-1]
    return {
        "command": " ".join(command),
        "wall_s": round(result.seconds, 1),
        "peak_rss_mb": round(result.peak_rss_mb),
        "split_s": summary.get("seconds", {}),
        "snapshot_rows": summary.get("snapshot_rows"),
        "error_count": summary.get("error_count"),
    }


def prepare_scale(store: Path, copies: int, parts: int) -> Path:
    """Write ``copies`` renamed copies of the book as Parquet partitions (``parts`` per copy, by borrower)."""
    import polars as pl

    from qingshou.apps.eod.book import read_book
    from qingshou.store import Store

    folder = VAR_BENCH / f"scale-{store.stem}-x{copies}-p{parts}"
    if (folder / ".complete").is_file():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    with Store(str(store)) as db:
        book = read_book(db).book
    borrowers = book.loans.select("borrower_id").unique().sort("borrower_id")
    borrowers = borrowers.with_columns((pl.int_range(pl.len()) % parts).alias("part"))
    loan_part = book.loans.join(borrowers, on="borrower_id").select("loan_id", "part")
    tables = {
        "loans": book.loans,
        "installments": book.installments,
        "payments": book.payments,
        "charges": book.charges,
    }
    for copy in range(copies):
        suffix = f"~{copy}"
        for part in range(parts):
            target = folder / f"part-{copy:03d}-{part:03d}"
            target.mkdir(parents=True)
            ids = loan_part.filter(pl.col("part") == part).select("loan_id")
            for name, frame in tables.items():
                renamed = frame.join(ids, on="loan_id").with_columns(pl.col("loan_id") + suffix)
                if name == "loans":
                    renamed = renamed.with_columns(pl.col("borrower_id") + suffix)
                renamed.write_parquet(target / f"{name}.parquet")
    book.products.write_parquet(folder / "products.parquet")
    (folder / ".complete").write_text("ok", encoding="utf-8")
    return folder


def stream_child(folder: Path, as_of: date) -> dict[str, Any]:
    """Compute every partition of ``folder`` one after another, writing each snapshot part (child)."""
    import polars as pl

    from qingshou.calendars import china_calendar
    from qingshou.engine import kernel
    from qingshou.engine.book import Book
    from qingshou.engine.calendar import CalendarFrame

    calendar = CalendarFrame.of(china_calendar())
    products = pl.read_parquet(folder / "products.parquet")
    out = folder / "snapshot"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    loans = rows = 0
    compute = 0.0
    started = time.perf_counter()
    for part in sorted(p for p in folder.iterdir() if p.name.startswith("part-")):
        frames = {
            name: pl.read_parquet(part / f"{name}.parquet")
            for name in ("loans", "installments", "payments", "charges")
        }
        book = Book.of(products, **frames)
        begun = time.perf_counter()
        result = kernel.compute(book, as_of, calendar, None)
        compute += time.perf_counter() - begun
        result.snapshot.write_parquet(out / f"{part.name}.parquet")
        loans += book.loan_count
        rows += result.snapshot.height
    return {
        "loans": loans,
        "snapshot_rows": rows,
        "compute_s": round(compute, 1),
        "wall_s": round(time.perf_counter() - started, 1),
        "peak_rss_mb": round(peak_mb()),
    }


def child(args: argparse.Namespace) -> None:
    setup_django()
    as_of = date.fromisoformat(args.as_of)
    if args.child == "kernel":
        figures = kernel_child(store_path(args.loans), as_of, args.sample, args.seed)
    elif args.child == "prepare":
        figures = {"folder": str(prepare_scale(store_path(args.loans), args.scale, args.parts))}
    else:
        figures = stream_child(Path(args.folder), as_of)
    print(json.dumps(figures))


def main() -> None:
    parser = book_arguments("Benchmark the EOD engine (kernel vs domain, command split, scale).")
    parser.add_argument("--sample", type=int, default=5000, help="loans the domain computes for the ratio")
    parser.add_argument("--scale", type=int, default=0, help="also stream this many copies of the book")
    parser.add_argument("--parts", type=int, default=2, help="partitions per copy when streaming")
    parser.add_argument("--skip-command", action="store_true", help="do not run `qingshou eod`")
    parser.add_argument(
        "--retain-memory",
        action="store_true",
        help="kernel child: jemalloc keeps freed memory (see the module docstring)",
    )
    parser.add_argument("--child", choices=("kernel", "prepare", "stream"), help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    store = ensure_store(args)
    base = [
        sys.executable,
        str(SCRIPT),
        "--loans",
        str(args.loans),
        "--as-of",
        args.as_of,
        "--seed",
        str(args.seed),
    ]
    kernel_env = {**os.environ, **RETAIN} if args.retain_memory else None
    kernel_run = run([*base, "--child", "kernel", "--sample", str(args.sample)], kernel_env).check()
    figures: dict[str, Any] = {"store": str(store), "as_of": args.as_of, "kernel": kernel_run.json()}
    figures["kernel"]["child_peak_rss_mb"] = round(kernel_run.peak_rss_mb)
    figures["kernel"]["retain_memory"] = args.retain_memory
    if not args.skip_command:
        figures["command"] = command_figures(store, args.as_of)
    if args.scale:
        prepared = run(
            [*base, "--child", "prepare", "--scale", str(args.scale), "--parts", str(args.parts)]
        ).check()
        folder = prepared.json()["folder"]
        streamed = run([*base, "--child", "stream", "--folder", folder]).check()
        figures["scale"] = {
            **streamed.json(),
            "child_peak_rss_mb": round(streamed.peak_rss_mb),
            "copies": args.scale,
        }
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
    else:
        print(json.dumps(figures, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
