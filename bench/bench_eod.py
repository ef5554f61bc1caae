"""Benchmark the EOD engine: the snapshot of a simulated book, against the domain loan by loan.

    .venv/bin/python bench/bench_eod.py --loans 1000000 [--sample 5000] [--workers 2] [--short 18]
        [--repeat 3] [--rounds] [--scale 10] [--json]

1. The book is the one ``bench/bench_load.py`` simulates and loads into ``var/bench/load-<N>.sqlite3``; it is
   built here (simulate → init → load, timed elsewhere) when that file is missing.
2. **Kernel** (a child process, so its peak RSS is its own): read the book from the store through ADBC
   (``apps.eod.book.read_book``), then ``engine.kernel.compute`` for ``--as-of`` with no previous snapshot
   (the first run: classification history derived from the timelines). Then the **domain** computes the same
   quotes loan by loan (``engine.reference.reference_quotes``) for a random sample of ``--sample`` loans, and
   the kernel runs on that same sample: the ratio is printed both per loan against the full-book kernel and
   on the identical sample (``--sample 0``: not). With ``--workers N`` (default 2) the child also computes
   the book with ``engine.parallel.run`` in N worker processes and checks the snapshot and errors equal the
   one-process result; it prints the time, each worker's peak RSS and its own RSS around the run.
   ``--short M``: the book is the issue's shape instead — the store's loans with at most M installments
   (≈ 11 per loan for M = 18), copied with new ids up to ``--loans`` loans, as Parquet (built once into
   ``var/bench/short-…``); the command step is then skipped.
   The child computes the book ``--repeat`` times (each time with the 1-minute load average before it; the
   best is ``compute_s``), then times the replay's steps once (``replay_split``: laying out the facts, the
   compiled loop, the ledger frames, the derivation; ``--rounds``: also the rounds path, checked equal).
   Before it, two children with an empty numba cache (``NUMBA_CACHE_DIR`` in a temporary folder) give the
   compile time of the compiled replay (first process) and the time to load it from the cache (second).
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
import tempfile
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


def rss_now_mb() -> float:
    """This process's resident memory now, MB (Linux)."""
    pages = int(Path("/proc/self/statm").read_text(encoding="utf-8").split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def read_store_book(store: Path) -> Any:
    """The book of the store (``apps.eod.book.read_book``). A store loaded before the arrangement columns
    existed (``qs_loan.restructured_on`` …, issue 5) and whose migration history the current migrations no
    longer accept is read with the base columns instead: no restructuring, every payment cash — what such
    a book holds (the same queries, one read transaction)."""
    from qingshou.apps.eod import book as eod_book
    from qingshou.engine import schema
    from qingshou.engine.book import Book
    from qingshou.store import Store

    with Store(str(store)) as db:
        try:
            return eod_book.read_book(db).book
        except Exception as error:  # a missing column, named by the driver or the schema
            print(
                f"read_book failed ({type(error).__name__}: {error}); reading the base columns",
                file=sys.stderr,
            )
        columns = tuple("annual_rate" if name == "annual_rate_e8" else name for name in schema.LOANS)
        with eod_book._read_transaction(db):
            products = eod_book.read_products(db)
            loans = eod_book._read_scaled(db, "qs_loan", columns, schema.LOANS)
            facts = {
                "installments": db.read_table("qs_installment", schema.INSTALLMENTS),
                "payments": db.read_table("qs_payment", schema.PAYMENTS),
                "charges": db.read_table("qs_charge", schema.CHARGES),
                "interruptions": db.read_table("qs_limitation_interruption", schema.INTERRUPTIONS),
            }
    return Book.of(products, loans, **facts)


def read_parquet_book(folder: Path) -> Any:
    """A ``Book`` from a folder of ``<table>.parquet`` files (``short_book``)."""
    import polars as pl

    from qingshou.engine.book import Book

    names = ("products", "loans", "installments", "payments", "charges", "interruptions")
    return Book.of(**{name: pl.read_parquet(folder / f"{name}.parquet") for name in names})


def kernel_child(
    store: Path,
    as_of: date,
    sample: int,
    seed: int,
    workers: int,
    short: Path | None = None,
    repeat: int = 1,
    rounds: bool = False,
) -> dict[str, Any]:
    """Read + compute the whole book (``repeat`` times, one process; then ``workers`` processes, checked
    equal), the replay's split, then domain vs kernel on a sample (runs in a child process). ``short``: the
    book is that Parquet folder instead."""
    from qingshou.calendars import china_calendar
    from qingshou.engine import kernel, parallel
    from qingshou.engine.calendar import CalendarFrame
    from qingshou.engine.reference import reference_quotes

    started = time.perf_counter()
    book = read_parquet_book(short) if short is not None else read_store_book(store)
    read_seconds = time.perf_counter() - started
    calendar = CalendarFrame.of(china_calendar())
    runs = []
    for _ in range(max(repeat, 1)):
        load = os.getloadavg()[0]
        started = time.perf_counter()
        cpu_started = time.process_time()
        result = kernel.compute(book, as_of, calendar, None)
        runs.append(
            {
                "compute_s": round(time.perf_counter() - started, 2),
                "cpu_s": round(time.process_time() - cpu_started, 2),
                "load_1min_before": round(load, 2),
            }
        )
    compute_seconds = min(run["compute_s"] for run in runs)
    compute_cpu = min(run["cpu_s"] for run in runs)
    figures: dict[str, Any] = {
        "loans": book.loan_count,
        "installments": book.installments.height,
        "payments": book.payments.height,
        "snapshot_rows": result.snapshot.height,
        "error_rows": result.errors.height,
        "read_store_s": round(read_seconds, 2),
        "compute_s": round(compute_seconds, 2),  # the best of the runs
        "compute_cpu_s": round(compute_cpu, 2),  # user + system, both cores: > compute_s when parallel
        "compute_runs": runs,
        "peak_rss_mb": round(peak_mb()),
        "replay_split": replay_split(book, as_of, calendar, rounds),
    }
    if workers > 1:
        begun_rss = rss_now_mb()
        started = time.perf_counter()
        cpu_started = time.process_time()
        split = parallel.run(book, as_of, calendar, None, workers=workers)
        parallel_seconds = time.perf_counter() - started
        figures["parallel"] = {
            "workers": workers,
            "compute_s": round(parallel_seconds, 2),
            "parent_cpu_s": round(time.process_time() - cpu_started, 2),
            "worker_peak_rss_mb": [round(peak) for peak in split.worker_peak_rss_mb],
            "parent_rss_before_mb": round(begun_rss),
            "parent_rss_after_mb": round(rss_now_mb()),
            "same_snapshot": split.result.snapshot.equals(result.snapshot),
            "same_errors": split.result.errors.equals(result.errors),
            "speedup": round(compute_seconds / parallel_seconds, 2),
        }
        del split
    if sample <= 0:
        return figures
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


def replay_split(book: Any, as_of: date, calendar: Any, rounds: bool) -> dict[str, Any]:
    """Where the compute time goes, step by step, on the whole book (one process): laying out the facts
    (``replay_facts.prepare``), the compiled loop (``replay_compiled.replay_facts``), building the ledger
    frames, the derivation; with ``rounds`` also the whole replay by the rounds path, checked equal."""
    import polars as pl

    from qingshou.engine import derive, replay, replay_compiled, replay_facts

    split: dict[str, Any] = {"load_1min_before": round(os.getloadavg()[0], 2)}
    started = time.perf_counter()
    prepared = replay_facts.prepare(book, as_of, calendar)
    split["prepare_s"] = round(time.perf_counter() - started, 2)
    started = time.perf_counter()
    compiled = replay_compiled.replay_facts(prepared.facts)
    split["compiled_loop_s"] = round(time.perf_counter() - started, 2)
    started = time.perf_counter()
    ledger = replay._frames(prepared, pl.DataFrame(compiled.state), compiled.charge_paid, compiled.credit)
    split["frames_s"] = round(time.perf_counter() - started, 2)
    split["outside_64_bits"] = int(compiled.outside.sum())
    del prepared, compiled
    started = time.perf_counter()
    derive.derive_snapshot(book, ledger, as_of, calendar, None)
    split["derive_s"] = round(time.perf_counter() - started, 2)
    if rounds:
        started = time.perf_counter()
        by_rounds = replay.replay_book(book, as_of, calendar, method="rounds")
        split["rounds_replay_s"] = round(time.perf_counter() - started, 2)
        split["rounds_equal"] = all(
            getattr(by_rounds, name).sort(keys).equals(getattr(ledger, name).sort(keys))
            for name, keys in (
                ("lines", ["loan_id", "seq"]),
                ("charges", ["charge_id"]),
                ("loans", ["loan_id"]),
            )
        )
    return split


def compile_child() -> dict[str, Any]:
    """Import the engine and run the compiled loop once on a tiny book (in a child whose NUMBA_CACHE_DIR the
    parent chose): the first process compiles and writes the cache, the next one loads it."""
    started = time.perf_counter()
    from qingshou.calendars import china_calendar
    from qingshou.engine import replay_compiled
    from qingshou.engine.calendar import CalendarFrame
    from qingshou.engine.replay_facts import prepare

    imported = time.perf_counter() - started
    folder = Path(tempfile.mkdtemp())
    book = read_parquet_book(_tiny_book(folder))
    facts = prepare(book, date(2025, 6, 30), CalendarFrame.of(china_calendar())).facts
    started = time.perf_counter()
    replay_compiled.replay_facts(facts)
    first_call = time.perf_counter() - started
    shutil.rmtree(folder, ignore_errors=True)
    stats = replay_compiled._replay.stats
    return {
        "import_s": round(imported, 2),
        "first_call_s": round(first_call, 2),
        "cache_hits": sum(stats.cache_hits.values()),
        "cache_misses": sum(stats.cache_misses.values()),
    }


def _tiny_book(folder: Path) -> Path:
    """A one-loan book in ``folder`` as ``read_parquet_book`` reads it."""
    from decimal import Decimal

    from qingshou.domain.loan import LoanTerms, Payment, RepaymentMethod, ScheduledInstallment
    from qingshou.domain.policy import ProductPolicy
    from qingshou.engine.reference import LoanInputs, book_from_inputs

    policy = ProductPolicy.build("P1")
    terms = LoanTerms(
        loan_id="L1",
        product_id="P1",
        principal=Decimal("1000.00"),
        annual_rate=Decimal("0.18"),
        disbursed_on=date(2025, 1, 1),
        term_months=1,
        method=RepaymentMethod.EQUAL_PRINCIPAL,
        borrower_id="B1",
    )
    row = ScheduledInstallment(1, date(2025, 2, 1), Decimal("1000.00"), Decimal("15.00"), Decimal("0.00"))
    paid = Payment("p1", date(2025, 3, 1), Decimal("500.00"))
    book = book_from_inputs([LoanInputs(terms, (row,), (paid,), (), policy)])
    for name in ("products", "loans", "installments", "payments", "charges", "interruptions"):
        getattr(book, name).write_parquet(folder / f"{name}.parquet")
    return folder


def compile_figures(base: list[str]) -> dict[str, Any]:
    """Compile time of the compiled replay: a child with an empty numba cache, then a second child that
    loads what the first wrote (each: import of the engine, then the first call)."""
    cache = Path(tempfile.mkdtemp(prefix="numba-cache-"))
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache)}
    try:
        first = run([*base, "--child", "compile"], env).check().json()
        second = run([*base, "--child", "compile"], env).check().json()
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    return {"first_process": first, "cached_process": second}


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


def short_book(store: Path, loans: int, longest: int) -> Path:
    """The issue's shape (≈ 12 installments per loan): the store's loans whose schedule has at most
    ``longest`` installments (every product; no mortgage is that short), with their payments and charges,
    copied with new loan and borrower ids (``~k``) until there are ``loans`` loans; a Parquet folder."""
    import polars as pl

    folder = VAR_BENCH / f"short-{store.stem}-{loans}-max{longest}"
    if (folder / ".complete").is_file():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    book = read_store_book(store)
    counts = book.installments.group_by("loan_id").len()
    short_ids = book.loans.join(counts.filter(pl.col("len") <= longest), on="loan_id", how="semi")["loan_id"]
    part = book.only(short_ids.to_list())
    copies = -(-loans // part.loan_count)
    frames: dict[str, list[pl.DataFrame]] = {
        name: [] for name in ("loans", "installments", "payments", "charges")
    }
    for copy in range(copies):
        suffix = f"~{copy}"
        wanted = part.loans.head(loans - copy * part.loan_count)
        for name in frames:
            frame = getattr(part, name)
            if name != "loans":
                frame = frame.join(wanted.select("loan_id"), on="loan_id", how="semi", maintain_order="left")
            else:
                frame = wanted.with_columns(pl.col("borrower_id") + suffix)
            frames[name].append(frame.with_columns(pl.col("loan_id") + suffix))
    for name, parts in frames.items():
        pl.concat(parts).write_parquet(folder / f"{name}.parquet")
    book.products.write_parquet(folder / "products.parquet")
    part.interruptions.head(0).write_parquet(folder / "interruptions.parquet")
    (folder / ".complete").write_text("ok", encoding="utf-8")
    return folder


def prepare_scale(store: Path, copies: int, parts: int) -> Path:
    """Write ``copies`` renamed copies of the book as Parquet partitions (``parts`` per copy, by borrower)."""
    import polars as pl

    folder = VAR_BENCH / f"scale-{store.stem}-x{copies}-p{parts}"
    if (folder / ".complete").is_file():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    book = read_store_book(store)
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
        short = Path(args.folder) if args.folder else None
        figures = kernel_child(
            store_path(args.loans),
            as_of,
            args.sample,
            args.seed,
            args.workers,
            short,
            args.repeat,
            args.rounds,
        )
    elif args.child == "compile":
        figures = compile_child()
    elif args.child == "short":
        figures = {"folder": str(short_book(store_path(args.loans), args.loans, args.short))}
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
        "--workers", type=int, default=2, help="kernel child: also compute in this many processes (1: not)"
    )
    parser.add_argument(
        "--short",
        type=int,
        default=0,
        help="instead of the store's book: its loans with at most this many installments, copied to --loans",
    )
    parser.add_argument(
        "--retain-memory",
        action="store_true",
        help="kernel child: jemalloc keeps freed memory (see the module docstring)",
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="kernel child: compute the whole book this many times"
    )
    parser.add_argument(
        "--rounds", action="store_true", help="kernel child: also replay by the rounds path (checked equal)"
    )
    parser.add_argument(
        "--child", choices=("kernel", "short", "prepare", "stream", "compile"), help=argparse.SUPPRESS
    )
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    store = ensure_store(args)
    # the store's schema brought up to date first (the book is read with the current columns); a store
    # whose migration history no longer fits is read with the base columns and the command is skipped
    migrated = run([qingshou(), "init"], {**os.environ, "QINGSHOU_DATABASE_URL": f"sqlite:///{store}"})
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
    kernel_command = [
        *base,
        "--child",
        "kernel",
        "--sample",
        str(args.sample),
        "--workers",
        str(args.workers),
        "--repeat",
        str(args.repeat),
        *(["--rounds"] if args.rounds else []),
    ]
    figures: dict[str, Any] = {"store": str(store), "as_of": args.as_of, "load_average": os.getloadavg()}
    figures["compile"] = compile_figures(base)
    if args.short:
        built = run([*base, "--child", "short", "--short", str(args.short)]).check()
        figures["short_book"] = built.json()["folder"]
        kernel_command += ["--folder", figures["short_book"]]
    kernel_run = run(kernel_command, kernel_env).check()
    figures["kernel"] = kernel_run.json()
    figures["kernel"]["child_peak_rss_mb"] = round(kernel_run.peak_rss_mb)  # the child or a worker of it
    figures["kernel"]["retain_memory"] = args.retain_memory
    figures["store_migrated"] = migrated.returncode == 0
    if migrated.returncode != 0:
        figures["store_migration_error"] = migrated.stderr.strip().splitlines()[-1:]
    if not args.skip_command and not args.short and migrated.returncode == 0:
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
