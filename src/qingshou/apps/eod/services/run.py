"""The EOD run: every loan's snapshot at the end of a day, into the lake and the store (issue 3).

``run_eod(as_of, engine)`` records an ``EodRun`` (running) and drives a pipeline of named steps over one
``EodContext``. Each step is timed; its *kind* says which of the run's four timings it counts in.

====================  =======================================================================  ===========
step                  what it does                                                             kind
====================  =======================================================================  ===========
read calendar         China's business calendar with the operators' overrides, as a frame      read_store
read book             every fact in one read transaction (``apps.eod.book.read_book``)         read_store
read previous         the lake's snapshot of ``as_of − 1`` (None when the lake has none)       read_lake
compute               the engine's kernel: the snapshot and the error rows                     compute
stage lake            the snapshot written beside its partition, not yet visible               write_lake
— ONE store transaction —
write statuses        ``LoanStatus`` upserted in bulk, never over a newer day (backfills)      write_store
replace errors        this day's ``EodError`` rows replaced by the run's                       write_store
(the run row)         marked succeeded with counts and timings
— COMMIT —
publish lake          the staged partition swapped in (two renames)                            write_lake
====================  =======================================================================  ===========

The strategies and actions of the next issue plug in as further steps: ``compute_steps`` (before the
transaction: pure work on the snapshot) or ``store_steps`` (inside the same transaction as the statuses,
so a failure rolls everything back together). A step is any object with ``name``, ``kind`` and
``__call__(context)``; the context holds the day, the book, the snapshot, the errors and the open store.

**Order of the outputs, and why.** Nothing visible changes before the store commits: the snapshot is
staged in a hidden folder, the statuses, errors and the run row are written in one transaction. If
anything raises before the commit, the transaction rolls back, the staged folder is deleted, the day's
lake partition and every stored row stay as they were, and the run row is marked failed with the message
(through Django's connection, after the rollback). The lake partition is swapped in only *after* the
commit: a store failure (a constraint, a lost connection, a full disk) must never leave the lake showing
a day the store refused, and the swap is two renames on one file system — the step least likely to
fail. If it fails anyway, the run is marked failed again with that message (the store already holds the
day's statuses; the lake still has the previous partition) and rerunning the day repairs it, since a run
replaces the day's outputs exactly. A process *killed* between the commit and the renames leaves the run
marked succeeded beside the previous partition and an orphan staged folder — rerun the day; the orphan
is removed by that run (``qingshou.lake.snapshots`` documents the renames' own recovery).

``run_range(first, last)`` runs the days in order, each day's snapshot being the next day's previous one;
the book and the calendar are read once (they do not change during a backfill). It stops at the first day
that fails (the next days would lack their previous snapshot).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Final, Protocol

import polars as pl
from django.db import connection
from django.utils import timezone

from qingshou import clock, config
from qingshou.apps.agencies.eod import RecallPlacements
from qingshou.apps.arrangements.eod import ExecuteArrangements, WatchPlans
from qingshou.apps.cases.assignment import assign_cases
from qingshou.apps.cases.services.daily import (
    ASSIGNED,
    CheckContacts,
    PlanCollection,
    ReadCollection,
    ReadContactFacts,
    StageNotices,
    WriteActions,
    WriteCases,
    collection_of,
    collection_summary,
)
from qingshou.apps.cases.services.promises import EvaluatePromises, WritePromises
from qingshou.apps.collateral.eod import MonitorCollateral
from qingshou.apps.eod.book import BookRead, read_book
from qingshou.apps.eod.engines import DEFAULT_ENGINE, Kernel, kernel_for
from qingshou.apps.eod.models import EodRun
from qingshou.apps.eod.services.risk_summary import risk_summary
from qingshou.apps.field.plan import RequestFieldVisits
from qingshou.apps.guarantees.eod import GuaranteeReminders
from qingshou.apps.legal.eod import RecordLegalReminders
from qingshou.apps.loans.errors import FutureDate
from qingshou.apps.loans.selectors import business_calendar
from qingshou.apps.planning.eod import PlanDay
from qingshou.apps.scoring.services.eod import ScoreRisk, WriteRiskScores
from qingshou.apps.warning.services.eod import WatchBorrowers, WriteWatchList
from qingshou.domain.errors import DomainError
from qingshou.engine import schema
from qingshou.engine.book import Book
from qingshou.engine.calendar import CalendarFrame
from qingshou.lake import StagedPartition, partition_path, previous_snapshot, stage_snapshot
from qingshou.store import Dialect, Store

logger = logging.getLogger(__name__)

#: ``progress(step, completed, total)``: a step such as "compute" advanced to ``completed`` of ``total``.
Progress = Callable[[str, int, int | None], None]

READ_STORE: Final = "read_store"
READ_LAKE: Final = "read_lake"
COMPUTE: Final = "compute"
WRITE_LAKE: Final = "write_lake"
WRITE_STORE: Final = "write_store"
#: The kinds the run row keeps a ``<kind>_seconds`` column for (the issue's time split).
TIMED_KINDS: Final = (READ_STORE, COMPUTE, WRITE_LAKE, WRITE_STORE)
#: Rows per bulk upsert of the statuses (the Arrow copy handed to the driver is made one batch at a time).
WRITE_BATCH_ROWS: Final = 1_000_000
#: Error rows a result carries for display (all of them are in ``qs_eod_error``).
ERROR_SAMPLE: Final = 20
EXIT_OK: Final = 0
EXIT_ERRORS: Final = 3
_IDS_PER_STATEMENT: Final = 500
_STATUS_COLUMNS: Final = tuple(name for name in schema.SNAPSHOT if name not in ("borrower_id", "product_id"))


class InvalidRange(DomainError):
    """A backfill range whose first day is after its last."""

    code = "invalid_range"


@dataclass
class SharedInputs:
    """Inputs a backfill reads once and reuses day after day: the calendar and the book."""

    calendar: CalendarFrame | None = None
    book: BookRead | None = None


@dataclass
class EodContext:
    """What the steps of one run share. Steps fill it in order: ``calendar`` and ``book`` (read),
    ``previous``, ``snapshot`` and ``errors`` (compute), ``staged`` (lake); ``extras`` is for later steps."""

    as_of: date
    run_id: int
    engine: str
    kernel: Kernel
    store: Store
    lake: Path
    shared: SharedInputs = field(default_factory=SharedInputs)
    previous: pl.DataFrame | None = None
    snapshot: pl.DataFrame | None = None
    errors: pl.DataFrame = field(default_factory=lambda: schema.empty(schema.ERRORS))
    staged: StagedPartition | None = None
    step_seconds: dict[str, float] = field(default_factory=dict)
    kind_seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(TIMED_KINDS, 0.0))
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def calendar(self) -> CalendarFrame:
        """The calendar frame (after the ``read calendar`` step)."""
        if self.shared.calendar is None:
            raise RuntimeError("the calendar has not been read yet")
        return self.shared.calendar

    @property
    def book(self) -> Book:
        """The book (after the ``read book`` step)."""
        if self.shared.book is None:
            raise RuntimeError("the book has not been read yet")
        return self.shared.book.book

    @property
    def loans_read(self) -> int:
        """Loans read from the store, those left out of the book for broken data included."""
        read = self.shared.book
        return 0 if read is None else read.book.loan_count + read.errors.height

    def require_snapshot(self) -> pl.DataFrame:
        """The computed snapshot (after the ``compute`` step)."""
        if self.snapshot is None:
            raise RuntimeError("the snapshot has not been computed yet")
        return self.snapshot


class Step(Protocol):
    """One named step of the pipeline; ``kind`` is the timing it counts in (``TIMED_KINDS`` or another)."""

    name: str
    kind: str

    def __call__(self, context: EodContext) -> None: ...


class ReadCalendar:
    """The business calendar as a frame (reused when the backfill already read it)."""

    name, kind = "read calendar", READ_STORE

    def __call__(self, context: EodContext) -> None:
        if context.shared.calendar is None:
            context.shared.calendar = CalendarFrame.of(business_calendar())


class ReadBook:
    """Every fact of the book, from the store (reused when the backfill already read it)."""

    name, kind = "read book", READ_STORE

    def __call__(self, context: EodContext) -> None:
        if context.shared.book is None:
            context.shared.book = read_book(context.store)


class ReadPrevious:
    """The snapshot of the day before from the lake (None: the lake has none for that day)."""

    name, kind = "read previous", READ_LAKE

    def __call__(self, context: EodContext) -> None:
        previous = previous_snapshot(context.lake, context.as_of)
        if previous is not None:
            try:
                previous = schema.conform(previous, schema.SNAPSHOT)
            except KeyError as error:
                day = context.as_of - timedelta(days=1)
                raise ValueError(
                    f"the lake's snapshot of {day} does not have the snapshot columns: {error}"
                ) from error
        context.previous = previous


class Compute:
    """The engine's kernel; the errors of the book read and of the kernel together, by loan id. The
    ``polars`` engine computes a large book in several processes (``engine.parallel``: as many as the
    setting ``QINGSHOU_EOD_WORKERS`` says; by default 2 from 500,000 loans while a CPU is idle, else all in
    this process)."""

    name, kind = "compute", COMPUTE

    def __call__(self, context: EodContext) -> None:
        from qingshou.engine import parallel  # the polars engine's runner, imported when it runs

        book = context.book
        workers = parallel.configured_workers(book.loan_count) if context.engine == "polars" else 1
        if workers > 1:
            result = parallel.compute(
                book, context.as_of, context.calendar, context.previous, workers=workers
            )
            context.snapshot, errors = result.snapshot, result.errors
        else:
            computed = context.kernel(book, context.as_of, context.calendar, context.previous)
            context.snapshot, errors = computed.snapshot, computed.errors
        read = context.shared.book
        read_errors = read.errors if read is not None else schema.empty(schema.ERRORS)
        context.errors = pl.concat([read_errors, errors]).sort("loan_id", "code")


class StageLake:
    """The snapshot written beside the day's partition (published after the store commits)."""

    name, kind = "stage lake", WRITE_LAKE

    def __call__(self, context: EodContext) -> None:
        context.staged = stage_snapshot(context.lake, context.as_of, context.require_snapshot())


def _sql_text(value: str) -> str:
    """A SQL string literal (quotes doubled)."""
    return "'" + value.replace("'", "''") + "'"


class WriteStatuses:
    """``LoanStatus`` of every loan in the snapshot, upserted in bulk — except loans whose stored status
    is of a later day (a backfill never overwrites a newer status). A loan that has an error row today
    loses a status of today that an earlier run of the day wrote (a rerun replaces the day exactly)."""

    name, kind = "write statuses", WRITE_STORE

    def __call__(self, context: EodContext) -> None:
        store = context.store
        day = _sql_text(context.as_of.isoformat())
        newer = store.read(
            f"SELECT loan_id FROM qs_loan_status WHERE as_of > {day}", {"loan_id": pl.String()}
        )
        rows = context.require_snapshot().select(_STATUS_COLUMNS).join(newer, on="loan_id", how="anti")
        for start in range(0, rows.height, WRITE_BATCH_ROWS):
            store.upsert("qs_loan_status", rows.slice(start, WRITE_BATCH_ROWS), ["loan_id"])
        failed = context.errors.get_column("loan_id").unique().sort().to_list()
        for start in range(0, len(failed), _IDS_PER_STATEMENT):
            ids = ", ".join(_sql_text(loan_id) for loan_id in failed[start : start + _IDS_PER_STATEMENT])
            store.execute(f"DELETE FROM qs_loan_status WHERE as_of = {day} AND loan_id IN ({ids})")


class ReplaceErrors:
    """The day's ``EodError`` rows replaced by this run's (a rerun of the day leaves only its own)."""

    name, kind = "replace errors", WRITE_STORE

    def __call__(self, context: EodContext) -> None:
        context.store.execute(
            f"DELETE FROM qs_eod_error WHERE as_of = {_sql_text(context.as_of.isoformat())}"
        )
        rows = context.errors.select(
            pl.lit(context.run_id, pl.Int64).alias("run_id"),
            pl.lit(context.as_of, pl.Date).alias("as_of"),
            "loan_id",
            "code",
            "message",
        )
        context.store.append("qs_eod_error", rows)


#: The steps before the store transaction, in order.
COMPUTE_STEPS: Final[tuple[Step, ...]] = (
    ReadCalendar(),
    ExecuteArrangements(),  # plans, waivers, settlements due today: ledger facts before the book is read
    ReadBook(),
    ReadPrevious(),
    Compute(),
    ReadCollection(),
    EvaluatePromises(),
    ScoreRisk(),  # the active collection model scores the day's delinquent borrowers (issue 8)
    WatchBorrowers(),  # early warning: triggers, the early-warning score, the watch list (issue 8)
    PlanCollection(),
    ReadContactFacts(),
    CheckContacts(),
    StageLake(),
)
#: The steps inside the store transaction, in order (strategies and actions append here).
STORE_STEPS: Final[tuple[Step, ...]] = (
    WriteStatuses(),
    ReplaceErrors(),
    WritePromises(),
    WriteCases(),
    WriteRiskScores(),  # qs_risk_score of each kind scored today, replaced (issue 8)
    WriteWatchList(),  # watch list entries opened / updated / closed (issue 8)
    RecallPlacements(),  # after the day's cases: a closed case's placement ends with it
    WatchPlans(),  # after the day's cases: a breached plan's event goes on the open case
    GuaranteeReminders(),  # guarantee periods (C7) entering their reminder window, on the open case
    MonitorCollateral(),  # after the day's cases: LTV rows; an event when a loan crosses the threshold
    RecordLegalReminders(),  # deadlines of legal cases entering their reminder window
    WriteActions(),
    PlanDay(),  # the day's greedy vs optimised plan, when QINGSHOU_PLAN_EOD is on (issue 8)
    RequestFieldVisits(),
    StageNotices(),
)


@dataclass(frozen=True, slots=True)
class EodResult:
    """What one day's run did (the ``--json`` summary of a day)."""

    run_id: int
    as_of: date
    engine: str
    loans_read: int
    snapshot_rows: int
    error_count: int
    delinquent_count: int
    buckets: dict[str, int]
    classes: dict[str, int]
    seconds: dict[str, float]
    step_seconds: dict[str, float]
    lake_path: Path
    error_sample: tuple[dict[str, str], ...] = ()
    status: str = EodRun.Status.SUCCEEDED.value
    collection: dict[str, Any] = field(default_factory=dict)
    risk: dict[str, Any] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        """0 when every loan was computed, 3 when some loans have error rows (the run still succeeded)."""
        return EXIT_ERRORS if self.error_count else EXIT_OK

    def as_json(self) -> dict[str, Any]:
        """Plain JSON values (dates as ISO text, seconds rounded to milliseconds)."""
        return {
            "run_id": self.run_id,
            "as_of": self.as_of.isoformat(),
            "engine": self.engine,
            "status": self.status,
            "loans_read": self.loans_read,
            "snapshot_rows": self.snapshot_rows,
            "exit_code": self.exit_code,
            "error_count": self.error_count,
            "errors": list(self.error_sample),
            "delinquent_count": self.delinquent_count,
            "buckets": self.buckets,
            "classes": self.classes,
            "seconds": {name: round(value, 3) for name, value in self.seconds.items()},
            "step_seconds": {name: round(value, 3) for name, value in self.step_seconds.items()},
            "lake_path": str(self.lake_path),
            "collection": self.collection,
            "risk": self.risk,
        }


def _counts(snapshot: pl.DataFrame, column: str) -> dict[str, int]:
    """Rows per value of ``column``, by value."""
    grouped = snapshot.group_by(column).len().sort(column)
    return {str(value): int(count) for value, count in grouped.iter_rows()}


def _result(context: EodContext) -> EodResult:
    snapshot = context.require_snapshot()
    return EodResult(
        run_id=context.run_id,
        as_of=context.as_of,
        engine=context.engine,
        loans_read=context.loans_read,
        snapshot_rows=snapshot.height,
        error_count=context.errors.height,
        delinquent_count=int(snapshot.get_column("delinquent").sum()),
        buckets=_counts(snapshot, "bucket"),
        classes=_counts(snapshot, "classification"),
        seconds=dict(context.kind_seconds),
        step_seconds=dict(context.step_seconds),
        lake_path=partition_path(context.lake, context.as_of),
        error_sample=tuple(context.errors.head(ERROR_SAMPLE).to_dicts()),
        collection=collection_summary(context),
        risk=risk_summary(context),
    )


@contextmanager
def _timed(context: EodContext, name: str, kind: str, progress: Progress) -> Iterator[None]:
    """Report the step ``name`` as started and done; add its seconds to the step and to its ``kind``."""
    progress(name, 0, 1)
    started = time.perf_counter()
    try:
        yield
    finally:
        elapsed = time.perf_counter() - started
        context.step_seconds[name] = context.step_seconds.get(name, 0.0) + elapsed
        if kind in context.kind_seconds:
            context.kind_seconds[kind] += elapsed
    progress(name, 1, 1)


def _run_steps(context: EodContext, steps: Sequence[Step], progress: Progress) -> None:
    for step in steps:
        with _timed(context, step.name, step.kind, progress):
            step(context)


def _timestamp_text(moment: datetime, dialect: Dialect) -> str:
    """A timestamp as the text Django stores (SQLite: naive UTC) or PostgreSQL casts (with the offset)."""
    utc = moment.astimezone(UTC)
    return str(utc.replace(tzinfo=None)) if dialect is Dialect.SQLITE else str(utc)


def _timing_fields(context: EodContext) -> dict[str, Any]:
    return {
        **{f"{kind}_seconds": context.kind_seconds[kind] for kind in TIMED_KINDS},
        "step_seconds": {name: round(value, 6) for name, value in context.step_seconds.items()},
    }


def _mark_succeeded(context: EodContext) -> None:
    """The run row, marked succeeded with counts and timings, in the store's open transaction."""
    result = _result(context)
    fields: dict[str, Any] = {
        "id": context.run_id,
        "status": EodRun.Status.SUCCEEDED.value,
        "finished_at": _timestamp_text(timezone.now(), context.store.dialect),
        "loans_read": result.loans_read,
        "snapshot_rows": result.snapshot_rows,
        "error_count": result.error_count,
        "delinquent_count": result.delinquent_count,
        "buckets": json.dumps(result.buckets, ensure_ascii=False),
        "message": "",
        **_timing_fields(context),
    }
    fields["step_seconds"] = json.dumps(fields["step_seconds"], ensure_ascii=False)
    context.store.upsert("qs_eod_run", pl.DataFrame([fields]), ["id"])


def _mark_failed(context: EodContext, error: BaseException, prefix: str = "") -> None:
    """Record the failure through Django's connection (the store's transaction has rolled back)."""
    try:
        EodRun.objects.filter(pk=context.run_id).update(
            status=EodRun.Status.FAILED,
            finished_at=timezone.now(),
            message=f"{prefix}{type(error).__name__}: {error}",
            loans_read=context.loans_read,
            **_timing_fields(context),
        )
    except Exception:
        logger.exception("EOD run %s for %s: could not record the failure", context.run_id, context.as_of)


def _noop(step: str, completed: int, total: int | None) -> None:
    """The progress sink when nobody watches."""


def _check_day(as_of: date) -> None:
    """A run is for a day that has begun (C1: the clock adapter says which); Django must not hold a
    transaction (the run writes through its own connection, which could not see it)."""
    if as_of > clock.today():
        raise FutureDate(f"as_of {as_of} is after today {clock.today()}", field="as_of")
    if connection.in_atomic_block:
        raise RuntimeError("run_eod writes through its own connection: call it outside transaction.atomic()")


def _publish(context: EodContext, progress: Progress) -> None:
    """Swap the staged partition in (after the commit); a failure marks the run failed and re-raises."""
    staged = context.staged
    if staged is None:
        raise RuntimeError("no staged lake partition to publish")
    try:
        with _timed(context, "publish lake", WRITE_LAKE, progress):
            staged.publish()
    except BaseException as error:
        staged.discard()
        _mark_failed(context, error, prefix="the store committed but the lake partition was not published: ")
        raise
    try:
        EodRun.objects.filter(pk=context.run_id).update(**_timing_fields(context))
    except Exception:  # the run is complete; only the publish step's seconds would be missing
        logger.exception(
            "EOD run %s for %s: could not record the publish time", context.run_id, context.as_of
        )


def run_eod(
    as_of: date,
    engine: str = DEFAULT_ENGINE,
    *,
    spark_master: str | None = None,
    kernel: Kernel | None = None,
    uri: str | None = None,
    lake: Path | str | None = None,
    shared: SharedInputs | None = None,
    compute_steps: Sequence[Step] = COMPUTE_STEPS,
    store_steps: Sequence[Step] = STORE_STEPS,
    progress: Progress | None = None,
) -> EodResult:
    """Run EOD for ``as_of`` with ``engine`` (or the given ``kernel``); see the module docstring.

    ``uri`` overrides the ADBC URI (default: the database Django's connection uses), ``lake`` the lake
    root (default ``config.lake_path()``). Raises ``EngineUnavailable`` or ``FutureDate`` before anything
    is recorded; any failure after that marks the run failed and re-raises.
    """
    _check_day(as_of)
    chosen = kernel or kernel_for(engine, spark_master=spark_master)
    root = Path(lake) if lake is not None else config.lake_path()
    report = progress or _noop
    run = EodRun.objects.create(as_of=as_of, engine=engine, lake_path=str(partition_path(root, as_of)))
    with _open_store(uri, run) as store:
        context = EodContext(as_of, run.pk, engine, chosen, store, root, shared or SharedInputs())
        try:
            _run_steps(context, compute_steps, report)
            with store.transaction():
                _run_steps(context, store_steps, report)
                _mark_succeeded(context)
        except BaseException as error:
            if context.staged is not None:
                context.staged.discard()
            _mark_failed(context, error)
            raise
        _refresh_statistics(context, report)
    _publish(context, report)
    _assign_new_cases(context, report)
    return _result(context)


#: The tables a run rewrites in bulk, whose planner statistics PostgreSQL refreshes after the commit.
ANALYZED_TABLES: Final = (
    "qs_loan_status",
    "qs_case",
    "qs_case_event",
    "qs_action",
    "qs_contact_attempt",
    "qs_outbox",
)


def _refresh_statistics(context: EodContext, progress: Progress) -> None:
    """PostgreSQL only, after the commit: ANALYZE the tables the run rewrote, so the workbench's queries are
    planned with the new day's statistics at once rather than after autovacuum gets round to them (a
    queue page right after EOD on a 1M-loan book otherwise planned a 12 s scan: docs/benchmarks.md).
    A failure is logged only: the day's outputs are committed."""
    if context.store.dialect is not Dialect.POSTGRESQL:
        return
    try:
        with _timed(context, "analyze tables", WRITE_STORE, progress):
            context.store.execute(f"ANALYZE {', '.join(ANALYZED_TABLES)}")
    except Exception:
        logger.exception("EOD run %s for %s: ANALYZE failed", context.run_id, context.as_of)


def _assign_new_cases(context: EodContext, progress: Progress) -> None:
    """After the commit (the ORM sees the day's cases only then): place the new, unassigned cases with
    teams, collectors or agencies by the assignment rules (分案). A failure here leaves the day's outputs
    as committed; it is logged and reported in the run's collection summary."""
    if collection_of(context) is None:
        return
    try:
        with _timed(context, "assign cases", WRITE_STORE, progress):
            context.extras[ASSIGNED] = assign_cases(context.as_of).as_json()
    except Exception as error:
        logger.exception("EOD run %s for %s: case assignment failed", context.run_id, context.as_of)
        context.extras[ASSIGNED] = {"error": f"{type(error).__name__}: {error}"}


def _open_store(uri: str | None, run: EodRun) -> Store:
    """The run's ADBC connection; a database that cannot be opened marks the run failed."""
    try:
        return Store(uri or config.adbc_uri())
    except BaseException as error:
        EodRun.objects.filter(pk=run.pk).update(
            status=EodRun.Status.FAILED,
            finished_at=timezone.now(),
            message=f"{type(error).__name__}: {error}",
        )
        raise


def days_between(first: date, last: date) -> list[date]:
    """Every day from ``first`` to ``last`` inclusive; ``InvalidRange`` when ``first`` is after ``last``."""
    if first > last:
        raise InvalidRange(f"the range starts {first}, after its end {last}", field="from")
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


def run_range(
    first: date,
    last: date,
    engine: str = DEFAULT_ENGINE,
    *,
    spark_master: str | None = None,
    kernel: Kernel | None = None,
    uri: str | None = None,
    lake: Path | str | None = None,
    progress: Progress | None = None,
    on_day: Callable[[EodResult], None] | None = None,
) -> list[EodResult]:
    """Backfill ``first``..``last`` day by day in order (each snapshot is the next day's previous one);
    the book and calendar are read once. Stops at the first failing day (it is recorded failed)."""
    days = days_between(first, last)
    _check_day(last)
    chosen = kernel or kernel_for(engine, spark_master=spark_master)
    shared = SharedInputs()
    report = progress or _noop
    results = []
    for index, day in enumerate(days):
        report("days", index, len(days))
        result = run_eod(day, engine, kernel=chosen, uri=uri, lake=lake, shared=shared, progress=progress)
        results.append(result)
        if on_day is not None:
            on_day(result)
    report("days", len(days), len(days))
    return results
