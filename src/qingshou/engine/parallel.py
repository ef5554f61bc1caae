"""The kernel in several processes: a book split by borrower, each part computed by ``kernel.compute`` in its
own process, the parts put back together exactly as one ``kernel.compute`` of the whole book gives them.

    compute(book, as_of, calendar, previous=None, *, workers=N) -> KernelResult
    run(...) -> Parallel (the result, and each spawned worker's peak resident memory)

Where much of the kernel is single-threaded (per-operation overhead, sequential passes), N processes
computing a part each can finish before one computing all of it; since the replay became a compiled loop
using every thread (``engine.replay_compiled``), one process is faster on this machine's two cores
(docs/benchmarks.md has the figures), so ``auto`` asks for one.

* **Split**: every loan gets the part ``hash(borrower_id) mod N`` (Polars' hash, stable within a run), so
  all of a borrower's loans meet in one part — the borrower aggregates need them together; the listings of
  one loan id all take the part of its first listing (so a loan listed twice is still refused). The facts
  (installments, payments, charges, interruptions) follow their loan; facts of loans the book does not hold
  are dropped (the kernel ignores them). The previous snapshot is split the same way by loan id.
* **Processes**: each part goes to one of N ``spawn`` processes (never a ``fork`` of a process whose Polars
  thread pool is running), started before the split so that their start-up overlaps it; the calling
  process waits. A part travels as uncompressed Arrow IPC files in a scratch folder (``/dev/shm`` when
  there is one: memory, not disk), deleted as soon as the worker has read them; the fact tables travel
  without their ``loan_id`` strings (``Part``). The worker writes its snapshot and error rows back the
  same way. Each worker's Polars pool gets ``cpu_count // N`` threads.
* **Merge**: the snapshot rows of all parts, sorted by ``loan_id`` (``kernel.compute``'s order); the error
  rows in the book's loan order (``kernel.compute`` lists a refused loan at its book position, one row per
  listing).

``configured_workers`` reads the setting ``QINGSHOU_EOD_WORKERS`` (EOD's compute step): a number of
processes, or unset / ``auto`` for ``AUTO_WORKERS`` processes on a book of at least ``AUTO_MIN_LOANS``
loans while at least ``AUTO_IDLE_CPUS`` CPU is idle (the load average), and one (the calling process
alone) otherwise — a smaller book gains nothing (starting a worker and moving its part cost about as much as
the share of the rounds it saves), and on busy CPUs the processes only slow each other down.
"""

from __future__ import annotations

import os
import resource
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from multiprocessing import get_context
from pathlib import Path
from typing import Final

import polars as pl

from qingshou.engine import kernel, schema
from qingshou.engine.book import Book
from qingshou.engine.calendar import CalendarFrame

#: The setting: how many worker processes EOD's compute step uses (a number, or ``auto``).
WORKERS_SETTING: Final = "QINGSHOU_EOD_WORKERS"
#: ``auto``: this many workers (at most one per CPU) for a book of at least ``AUTO_MIN_LOANS`` loans. One
#: since the replay is a compiled loop that already uses every thread of the Polars pool: at 1,000,000 loans
#: two processes took 10.1 s against 8.1 s for one (issue's shape), 39.7 s against 21.9 s (realistic book)
#: with a CPU idle (docs/benchmarks.md, "EOD engine"); ``QINGSHOU_EOD_WORKERS=2`` still splits.
AUTO_WORKERS: Final = 1
AUTO_MIN_LOANS: Final = 500_000
#: ``auto``: ... and only while at least this many CPUs are idle (CPUs − load average ≥ it): on CPUs other
#: processes keep busy, two processes of the kernel finish later than one (docs/benchmarks.md).
AUTO_IDLE_CPUS: Final = 1.0
_FACTS: Final = ("installments", "payments", "charges", "interruptions")
_SEED: Final = 0x51A9  # the hash seed of the split (any fixed value)


@dataclass(frozen=True, slots=True)
class Parallel:
    """``result``: as ``kernel.compute`` of the whole book; ``worker_peak_rss_mb``: each spawned worker's
    peak resident memory (empty when the calling process computed the book itself)."""

    result: kernel.KernelResult
    worker_peak_rss_mb: tuple[float, ...]


def configured_workers(
    loan_count: int, environ: Mapping[str, str] | None = None, load: float | None = None
) -> int:
    """The number of processes ``QINGSHOU_EOD_WORKERS`` asks for (module docstring); ``ValueError`` names
    the setting when its value is not a positive number or ``auto``. ``load``: the system's load average
    over the last minute (default: read now)."""
    value = (os.environ if environ is None else environ).get(WORKERS_SETTING, "auto").strip().lower()
    if value in ("", "auto"):
        cpus = os.cpu_count() or 1
        busy = _load_average() if load is None else load
        idle = cpus - busy >= AUTO_IDLE_CPUS
        return min(AUTO_WORKERS, cpus) if loan_count >= AUTO_MIN_LOANS and idle else 1
    try:
        workers = int(value)
    except ValueError:
        workers = 0
    if workers < 1:
        raise ValueError(f"{WORKERS_SETTING}={value!r}: give a number of processes (1 or more) or 'auto'")
    return workers


def _load_average() -> float:
    """The 1-minute load average (0 where the system does not tell)."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return 0.0


def compute(
    book: Book,
    as_of: date,
    calendar: CalendarFrame,
    previous: pl.DataFrame | None = None,
    *,
    workers: int = AUTO_WORKERS,
) -> kernel.KernelResult:
    """``kernel.compute`` of ``book`` in ``workers`` processes (module docstring); the same result."""
    return run(book, as_of, calendar, previous, workers=workers).result


def run(
    book: Book,
    as_of: date,
    calendar: CalendarFrame,
    previous: pl.DataFrame | None = None,
    *,
    workers: int = AUTO_WORKERS,
) -> Parallel:
    """``compute`` with each worker's peak memory: ``workers`` spawned processes compute a part each while
    this one waits (it computing a part itself was slower: its Polars pool, two threads, stalls on a busy
    machine). One worker or fewer than two loans: all in this process."""
    if workers < 1:
        raise ValueError(f"workers must be 1 or more, not {workers}")
    if workers == 1 or book.loan_count < 2:
        return Parallel(kernel.compute(book, as_of, calendar, previous), ())
    outputs: list[tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]] = []  # (loans, snapshot, errors)
    with _scratch() as folder, _pool(workers, workers) as (pool, warming):
        handed: list[tuple[pl.DataFrame, Future[float]]] = []
        # each part is cut, written and handed over before the next is cut: the first worker starts early
        for part in _parts(book, previous, workers):
            if part.loans.height == 0:
                continue
            target = folder / f"part-{len(handed)}"
            part.write(target, book.products)
            handed.append((part.loans, pool.submit(_work, str(target), as_of, calendar)))
            del part
        for warm in warming:
            warm.result()
        peaks = tuple(future.result() for _, future in handed)
        for index, (loans, _) in enumerate(handed):
            outputs.append((loans, *_read_output(folder / f"part-{index}")))
    snapshot = pl.concat([snapshot for _, snapshot, _ in outputs]).sort("loan_id")
    errors = _in_book_order(book.loans, [(loans, errors) for loans, _, errors in outputs])
    result = kernel.KernelResult(
        schema.conform(snapshot, schema.SNAPSHOT), schema.conform(errors, schema.ERRORS)
    )
    return Parallel(result, peaks)


@dataclass(frozen=True, slots=True)
class Part:
    """A part of a book as it travels to its worker: its loans (whole rows, in the book's order), the
    previous snapshot's rows of them, and each fact table (installments, payments, charges, interruptions:
    their rows of these loans, in the book's order) *without* its ``loan_id`` strings — ``loan`` (Int32)
    is the row of the loan's first listing in ``loans`` instead: millions of ids are neither filtered nor
    moved, the worker gathers them back from the loans (``book``)."""

    loans: pl.DataFrame
    facts: dict[str, pl.DataFrame]
    columns: dict[str, tuple[str, ...]]
    previous: pl.DataFrame | None

    def book(self, products: pl.DataFrame) -> Book:
        """The part as a ``Book`` (each fact table with its ``loan_id`` column back, in its place)."""
        ids = self.loans["loan_id"]
        tables = {
            name: frame.select(
                ids.gather(frame["loan"]).alias("loan_id") if column == "loan_id" else pl.col(column)
                for column in self.columns[name]
            )
            for name, frame in self.facts.items()
        }
        return Book(products, self.loans, **tables)

    def write(self, target: Path, products: pl.DataFrame) -> None:
        """The part as Arrow IPC files in ``target`` (created), as ``_work`` reads them."""
        target.mkdir()
        products.write_ipc(target / "products.arrow")
        self.loans.write_ipc(target / "loans.arrow")
        for name, frame in self.facts.items():
            frame.write_ipc(target / f"{name}.arrow")
        if self.previous is not None:
            self.previous.write_ipc(target / "previous.arrow")
        order = ";".join(f"{name}={','.join(columns)}" for name, columns in self.columns.items())
        (target / "columns.txt").write_text(order, encoding="utf-8")

    @classmethod
    def read(cls, target: Path) -> tuple[pl.DataFrame, Part]:
        """The products and the part written by ``write``."""
        columns = {
            name: tuple(names.split(","))
            for name, names in (
                item.split("=", 1) for item in (target / "columns.txt").read_text(encoding="utf-8").split(";")
            )
        }
        previous_path = target / "previous.arrow"
        part = cls(
            pl.read_ipc(target / "loans.arrow"),
            {name: pl.read_ipc(target / f"{name}.arrow") for name in columns},
            columns,
            pl.read_ipc(previous_path) if previous_path.is_file() else None,
        )
        return pl.read_ipc(target / "products.arrow"), part


def loan_parts(loans: pl.DataFrame, parts: int) -> pl.Series:
    """The part (0…parts−1) of each row of ``loans``: by the borrower of the loan id's first listing."""
    part = (pl.col("borrower_id").hash(_SEED) % parts).cast(pl.Int64)
    keyed = loans.select("loan_id", part.alias("part"))
    if keyed["loan_id"].is_unique().all():
        return keyed["part"]
    first = keyed.unique(subset="loan_id", keep="first", maintain_order=True)
    return keyed.select("loan_id").join(first, on="loan_id", how="left", maintain_order="left")["part"]


def split(book: Book, previous: pl.DataFrame | None, parts: int) -> list[tuple[Book, pl.DataFrame | None]]:
    """The book (and the previous snapshot) in ``parts`` parts by borrower, each in the book's order, as
    the workers rebuild them."""
    return [(part.book(book.products), part.previous) for part in _parts(book, previous, parts)]


def _parts(book: Book, previous: pl.DataFrame | None, parts: int) -> Iterator[Part]:
    """The parts of ``book`` one after another (each cut when asked for)."""
    part_of_loan = loan_parts(book.loans, parts).rename("part")
    keyed = book.loans.select("loan_id", part_of_loan).with_columns(
        pl.int_range(pl.len(), dtype=pl.Int32).over("part").alias("loan")
    )
    index = keyed.unique(subset="loan_id", keep="first", maintain_order=True)
    facts = {name: _keyed(getattr(book, name), index) for name in _FACTS}
    before = _keyed(previous, index) if previous is not None else None
    columns = {name: tuple(getattr(book, name).columns) for name in _FACTS}
    for part in range(parts):
        tables = {}
        for name, (frame, where) in facts.items():
            mine = where["part"] == part
            tables[name] = frame.drop("loan_id").with_columns(where["loan"]).filter(mine)
        yield Part(
            book.loans.filter(part_of_loan == part),
            tables,
            columns,
            before[0].filter(before[1]["part"] == part) if before is not None else None,
        )


def _keyed(frame: pl.DataFrame, index: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``frame`` and, per row, the ``part`` and ``loan`` (row in the part) of its loan (part −1: a loan the
    book does not hold). Rows come grouped by loan, so only the first row of each run of equal ids is
    looked up (the strings are read once, never hashed row by row)."""
    if frame.height == 0:
        return frame, pl.DataFrame(schema={"part": pl.Int64(), "loan": pl.Int32()})
    ids = frame["loan_id"]
    run_of_row = ids.rle_id()
    count = int(run_of_row[-1]) + 1
    firsts = run_of_row.search_sorted(pl.int_range(count, eager=True).cast(run_of_row.dtype), side="left")
    runs = ids.gather(firsts).rename("loan_id").to_frame()
    runs = runs.join(index, on="loan_id", how="left", maintain_order="left")
    where = runs.select(pl.col("part").fill_null(-1), pl.col("loan").fill_null(0))
    return frame, pl.DataFrame([where[name].gather(run_of_row) for name in where.columns])


def _in_book_order(loans: pl.DataFrame, parts: list[tuple[pl.DataFrame, pl.DataFrame]]) -> pl.DataFrame:
    """The error rows of every part in the book's loan order. Within a part they are in its loan order, one
    per refused listing, so the k-th row of a loan id is its k-th refused listing in the part."""
    positions = loans.select("loan_id", pl.int_range(pl.len(), dtype=pl.Int64).alias("pos"))
    ordered = []
    for part_loans, errors in parts:
        if errors.height == 0:
            continue
        listings = part_loans.select("loan_id").join(
            positions, on="loan_id", how="left", maintain_order="left"
        )
        # the same id listed twice joins twice: keep each listing's own position
        listings = listings.unique(maintain_order=True).with_columns(
            pl.int_range(pl.len(), dtype=pl.Int64).over("loan_id").alias("occurrence")
        )
        keyed = errors.with_columns(
            pl.int_range(pl.len(), dtype=pl.Int64).over("loan_id").alias("occurrence")
        ).join(listings, on=["loan_id", "occurrence"], how="left", maintain_order="left")
        ordered.append(keyed)
    if not ordered:
        return schema.empty(schema.ERRORS)
    return pl.concat(ordered).sort("pos", maintain_order=True).select(*schema.ERRORS)


def _read_output(target: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    return (
        pl.read_ipc(target / "snapshot.arrow"),
        pl.read_ipc(target / "errors.arrow"),
    )


def _warm() -> None:
    """A worker's first task: nothing (importing this module, and so the kernel, is the work)."""


def _work(folder: str, as_of: date, calendar: CalendarFrame) -> float:
    """In a worker: compute one part from its folder, write the snapshot and errors beside it; returns the
    worker's peak resident memory so far (MB)."""
    target = Path(folder)
    products, part = Part.read(target)
    for path in target.glob("*.arrow"):  # read: the scratch memory is given back
        path.unlink()
    result = kernel.compute(part.book(products), as_of, calendar, part.previous)
    result.snapshot.write_ipc(target / "snapshot.arrow")
    result.errors.write_ipc(target / "errors.arrow")
    return _peak_rss_mb()


def _peak_rss_mb() -> float:
    """This process's own peak resident memory, MB: ``VmHWM`` on Linux (``ru_maxrss`` would start from the
    spawning parent's peak, which it keeps across the exec), else ``ru_maxrss``."""
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text(encoding="utf-8").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextmanager
def _scratch() -> Iterator[Path]:
    """A scratch folder for the parts, in memory (``/dev/shm``) when the system has one."""
    shm = Path("/dev/shm")
    base = str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None
    folder = Path(tempfile.mkdtemp(prefix="qingshou-eod-", dir=base))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def _pool(size: int, sharing: int) -> Iterator[tuple[ProcessPoolExecutor, list[Future[None]]]]:
    """``size`` spawned processes, started now (each given a first task), whose Polars pools get a
    ``sharing``-th of the CPUs each (``POLARS_MAX_THREADS`` is read when a worker imports Polars, so it is
    set only while they start)."""
    pool = ProcessPoolExecutor(max_workers=size, mp_context=get_context("spawn"))
    saved = os.environ.get("POLARS_MAX_THREADS")
    os.environ["POLARS_MAX_THREADS"] = str(max(1, (os.cpu_count() or 1) // sharing))
    try:
        warming = [pool.submit(_warm) for _ in range(size)]  # a process starts at each submission
    finally:
        if saved is None:
            os.environ.pop("POLARS_MAX_THREADS", None)
        else:
            os.environ["POLARS_MAX_THREADS"] = saved
    try:
        yield pool, warming
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
