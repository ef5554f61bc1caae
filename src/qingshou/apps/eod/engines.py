"""The engines an EOD run can use, by name: each turns (book, day, calendar, previous snapshot) into the
day's snapshot and error rows.

* ``polars`` — ``qingshou.engine.kernel.compute``: the columnar kernel (the default);
* ``domain`` — ``qingshou.engine.reference.reference_snapshot``: the same snapshot loan by loan through the
  domain (the reference; slow, but it needs nothing the kernel needs);
* ``spark``  — ``qingshou.engine.spark.run``: the kernel on Apache Spark partitions (``spark_master``).

Engines are imported when chosen, not before, so a run of one engine never depends on another's modules
(PySpark is large; the kernel's replay/derive may be missing in a partial checkout). An engine that cannot
be imported raises ``EngineUnavailable`` before anything is recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from importlib import import_module
from importlib.util import find_spec
from typing import Any, Final

import polars as pl

from qingshou.domain.errors import DomainError
from qingshou.engine import schema
from qingshou.engine.book import Book
from qingshou.engine.calendar import CalendarFrame

ENGINES: Final = ("polars", "domain", "spark")
DEFAULT_ENGINE: Final = "polars"


class EngineUnavailable(DomainError):
    """The engine named is unknown, or its modules cannot be imported here."""

    code = "engine_unavailable"


@dataclass(frozen=True, slots=True)
class Computed:
    """An engine's answer: ``snapshot`` (SNAPSHOT rows) and ``errors`` (ERRORS rows), both conformed."""

    snapshot: pl.DataFrame
    errors: pl.DataFrame


#: ``kernel(book, as_of, calendar, previous)`` → the day's snapshot and errors.
Kernel = Callable[[Book, date, CalendarFrame, pl.DataFrame | None], Computed]


def _conformed(snapshot: pl.DataFrame, errors: pl.DataFrame) -> Computed:
    return Computed(
        schema.conform(snapshot, schema.SNAPSHOT).sort("loan_id"),
        schema.conform(errors, schema.ERRORS).sort("loan_id", "code"),
    )


def _module(name: str, engine: str) -> Any:
    try:
        return import_module(name)
    except ImportError as error:
        raise EngineUnavailable(
            f"engine {engine!r} is not available here: {error}", field="engine"
        ) from error


def polars_kernel() -> Kernel:
    """``engine.kernel.compute``."""
    kernel = _module("qingshou.engine.kernel", "polars")

    def run(book: Book, as_of: date, calendar: CalendarFrame, previous: pl.DataFrame | None) -> Computed:
        result = kernel.compute(book, as_of, calendar, previous)
        return _conformed(result.snapshot, result.errors)

    return run


def domain_kernel() -> Kernel:
    """``engine.reference.reference_snapshot`` (loan by loan through ``domain.quote.quote_loan``)."""
    reference = _module("qingshou.engine.reference", "domain")

    def run(book: Book, as_of: date, calendar: CalendarFrame, previous: pl.DataFrame | None) -> Computed:
        result = reference.reference_snapshot(book, as_of, calendar.calendar, previous)
        return _conformed(result.rows, result.errors)

    return run


def spark_kernel(master: str | None) -> Kernel:
    """``engine.spark.run`` on the book read here, with the Spark master URL (None: the runner's default,
    local mode); the snapshot comes back to the driver and is written like the other engines'."""
    if find_spec("pyspark") is None:
        raise EngineUnavailable(
            "engine 'spark' is not available here: PySpark is not installed", field="engine"
        )
    spark = _module("qingshou.engine.spark", "spark")
    options = {"master": master} if master else {}

    def run(book: Book, as_of: date, calendar: CalendarFrame, previous: pl.DataFrame | None) -> Computed:
        result = spark.run(book, as_of, calendar, previous, **options)
        return _conformed(result.snapshot, result.errors)

    return run


def kernel_for(engine: str, *, spark_master: str | None = None) -> Kernel:
    """The kernel of ``engine`` (one of ``ENGINES``); ``EngineUnavailable`` when unknown or not importable."""
    if engine == "polars":
        return polars_kernel()
    if engine == "domain":
        return domain_kernel()
    if engine == "spark":
        return spark_kernel(spark_master)
    raise EngineUnavailable(f"unknown engine {engine!r}: choose one of {', '.join(ENGINES)}", field="engine")
