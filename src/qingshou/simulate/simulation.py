"""Simulation: a whole synthetic loan book written as an extract folder, chunk by chunk, in parallel.

The book is cut into chunks of ``chunk_loans`` loans; each chunk is drawn from its own seed (see
``qingshou.simulate.book``) in a worker process and written in chunk order, so the same configuration
gives byte-identical files whatever the number of workers. The chunk size is part of the configuration:
the same seed with another chunk size draws another book.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Final

import polars as pl

from qingshou.domain.errors import DomainError
from qingshou.simulate.book import ChunkPlan, borrowers_for, simulate_chunk
from qingshou.simulate.catalogue import PRODUCTS
from qingshou.simulate.extract import COLUMNS, TABLES, ExtractFormat, ExtractWriter, frame, product_rows

#: Loans per chunk by default: the unit of seeding, of parallel work and of progress.
CHUNK_LOANS: Final = 5000
MAX_LOANS: Final = 100_000_000


class SimulationError(DomainError):
    """A simulation parameter is out of range (the field names it)."""

    code = "invalid_simulation"


@dataclass(frozen=True, slots=True)
class SimulationConfig:
    """What to simulate: how many loans, from which seed, as of which day, in which file format.

    ``omit_installments`` is the share of loans written without installment rows (the loader then builds
    their schedule); it is drawn from its own stream, so changing it changes nothing else in the book.
    """

    loans: int
    seed: int
    as_of: date
    fmt: ExtractFormat = "csv"
    omit_installments: float = 0.0
    chunk_loans: int = CHUNK_LOANS

    def __post_init__(self) -> None:
        if not 1 <= self.loans <= MAX_LOANS:
            raise SimulationError(f"loans must be between 1 and {MAX_LOANS}, got {self.loans}", field="loans")
        if self.seed < 0:
            raise SimulationError(f"seed must not be negative, got {self.seed}", field="seed")
        if self.fmt not in ("csv", "parquet"):
            raise SimulationError(f"format must be csv or parquet, got {self.fmt!r}", field="format")
        if not 0.0 <= self.omit_installments <= 1.0:
            raise SimulationError(
                f"omit_installments must be a share between 0 and 1, got {self.omit_installments}",
                field="omit_installments",
            )
        if self.chunk_loans < 1:
            raise SimulationError(
                f"chunk_loans must be positive, got {self.chunk_loans}", field="chunk_loans"
            )


@dataclass(frozen=True, slots=True)
class SimulationSummary:
    """What was written: the folder, the rows per table and the seconds it took."""

    out_dir: Path
    rows: tuple[tuple[str, int], ...]
    seconds: float

    def rows_of(self, table: str) -> int:
        """Rows written to ``table``."""
        return dict(self.rows)[table]

    @property
    def total_rows(self) -> int:
        """Rows written over all tables."""
        return sum(count for _, count in self.rows)


def plan_chunks(config: SimulationConfig) -> tuple[ChunkPlan, ...]:
    """The chunks of the book, in order, with their loan and borrower numbering."""
    plans = []
    first_loan, first_borrower = 1, 1
    for index, start in enumerate(range(0, config.loans, config.chunk_loans)):
        loans = min(config.chunk_loans, config.loans - start)
        plans.append(
            ChunkPlan(
                config.seed, index, first_loan, loans, first_borrower, config.as_of, config.omit_installments
            )
        )
        first_loan += loans
        first_borrower += borrowers_for(loans)
    return tuple(plans)


def chunk_frames(plan: ChunkPlan) -> dict[str, pl.DataFrame]:
    """Draw one chunk and return its tables as string frames (runs in a worker process)."""
    rows = simulate_chunk(plan)
    return {table: frame(table, columns) for table, columns in rows.tables.items() if table != "products"}


def _frames(plans: tuple[ChunkPlan, ...], workers: int) -> Iterator[dict[str, pl.DataFrame]]:
    """Chunk frames in chunk order, drawn in ``workers`` spawned processes (or here when one is enough)."""
    if workers <= 1 or len(plans) <= 1:
        yield from map(chunk_frames, plans)
        return
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        yield from pool.imap(chunk_frames, plans, chunksize=1)


def default_workers() -> int:
    """One worker per CPU the process may use."""
    return max(1, len(os.sched_getaffinity(0)))


def simulate_book(
    config: SimulationConfig,
    out_dir: Path,
    *,
    workers: int | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> SimulationSummary:
    """Write the book of ``config`` into ``out_dir``; ``on_progress`` gets the loans done after each chunk."""
    started = time.perf_counter()
    plans = plan_chunks(config)
    counts = dict.fromkeys(TABLES, 0)
    with ExtractWriter(out_dir, config.fmt) as writer:
        writer.write("products", frame("products", product_rows(spec.policy for spec in PRODUCTS)))
        counts["products"] = len(PRODUCTS)
        for plan, frames in zip(plans, _frames(plans, workers or default_workers()), strict=True):
            for table in COLUMNS:
                if table in frames:
                    writer.write(table, frames[table])
                    counts[table] += frames[table].height
            if on_progress is not None:
                on_progress(plan.first_loan + plan.loans - 1)
    return SimulationSummary(out_dir, tuple(counts.items()), time.perf_counter() - started)
