"""The load use case: import a folder of core-system extracts into the loan book (``qingshou load``).

``load_extracts`` reads every file as text (nothing is written when a required file or column is
missing: ``ExtractError``), checks the tables parents first against what is already stored, builds the
schedules the extract leaves out, and writes the good rows in one database transaction (ADBC bulk
upserts keyed by natural id: a row stored identically is *unchanged*, payments are never overwritten).
Bad rows go to ``DIR/rejects/<table>.csv``. Every run is recorded as a ``LoadRun``. Loading the same
files again changes nothing.

Reference rules where the format leaves a choice: a borrower or product is known when this load accepts
it or it is stored; a loan is known when this load accepts it, or it is stored and this load has no row
for it (children of a loan rejected now are rejected). A loan without installment rows gets a schedule
from ``build_schedule`` when it is new, when it has no stored schedule, or when its terms changed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import polars as pl
from django.db import connection
from django.utils import timezone

from qingshou import config
from qingshou.apps.loans.models import LoadRun
from qingshou.ingest.checks import is_ok
from qingshou.ingest.errors import ExtractError
from qingshou.ingest.reading import ROW, read_extract
from qingshou.ingest.rejects import clear_rejects, write_rejects
from qingshou.ingest.schedules import generate_schedules
from qingshou.ingest.tables import BORROWERS, INSTALLMENTS, LOANS, PAYMENTS, PRODUCTS, TABLES
from qingshou.ingest.validation import (
    Checked,
    check_borrowers,
    check_installments,
    check_loans,
    check_payments,
    check_products,
)
from qingshou.store import Store, UpsertResult

#: ``progress(step, completed, total)``: a step such as "check loans" advanced to ``completed`` of ``total``.
Progress = Callable[[str, int, int | None], None]
EXIT_OK = 0
EXIT_REJECTED = 3

_LOAN_TERMS = {
    "loan_id": pl.String,
    "product_id": pl.String,
    "borrower_id": pl.String,
    "principal_fen": pl.Int64,
    "annual_rate": pl.String,
    "disbursed_on": pl.Date,
    "term_months": pl.Int64,
    "repayment_method": pl.String,
    "first_due_date": pl.Date,
    "accelerated_on": pl.Date,
}
_SCHEDULE_TERMS = (
    "principal_fen",
    "annual_rate",
    "disbursed_on",
    "term_months",
    "repayment_method",
    "first_due_date",
)
_PAYMENT_DATA = ("loan_id", "paid_on", "amount_fen", "channel")


@dataclass(frozen=True, slots=True)
class TableCounts:
    """Rows of one file: accepted (inserted or updated), unchanged (already stored identically), rejected.

    ``rows`` = accepted + unchanged + rejected. ``generated`` counts the installments built (and inserted or
    updated) for loans the extract gave without a schedule; they are not rows of the file.
    """

    rows: int = 0
    accepted: int = 0
    unchanged: int = 0
    rejected: int = 0
    generated: int = 0

    def as_dict(self) -> dict[str, int]:
        """Plain counts for JSON and the ``LoadRun`` row."""
        return {
            "rows": self.rows,
            "accepted": self.accepted,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "generated": self.generated,
        }


@dataclass(frozen=True, slots=True)
class LoadReport:
    """The outcome of a load: counts per table, reject files written, exit code (0 all accepted, 3 some rejected)."""

    run_id: int
    directory: Path
    tables: dict[str, TableCounts]
    rejects: dict[str, Path] = field(default_factory=dict)

    @property
    def rejected(self) -> int:
        """Rows rejected over all tables."""
        return sum(counts.rejected for counts in self.tables.values())

    @property
    def exit_code(self) -> int:
        """0 when every row was accepted (or unchanged), 3 when some were rejected."""
        return EXIT_REJECTED if self.rejected else EXIT_OK

    @property
    def status(self) -> str:
        """``ok`` or ``rejected`` (the ``LoadRun`` status)."""
        return LoadRun.Status.REJECTED.value if self.rejected else LoadRun.Status.OK.value

    def as_json(self) -> dict[str, Any]:
        """The ``--json`` summary."""
        return {
            "run_id": self.run_id,
            "directory": str(self.directory),
            "status": self.status,
            "exit_code": self.exit_code,
            "tables": {name: counts.as_dict() for name, counts in self.tables.items()},
            "rejects": {name: str(path) for name, path in self.rejects.items()},
        }


@dataclass
class _Stored:
    """What the database holds already, read in the load's transaction."""

    product_ids: pl.Series
    borrower_ids: pl.Series
    loans: pl.DataFrame
    scheduled_loan_ids: pl.Series
    payments: pl.DataFrame


@dataclass
class _Outcome:
    """The checked tables and the generated schedules, ready to write."""

    checked: dict[str, Checked]
    generated: pl.DataFrame


def _noop(step: str, completed: int, total: int | None) -> None:
    """The progress sink when nobody watches."""


@contextmanager
def _step(progress: Progress, name: str, total: int | None = None) -> Iterator[None]:
    """Report a step as started (0 of ``total``) and, when the block ends, as done."""
    progress(name, 0, total)
    yield
    progress(name, total or 1, total or 1)


def load_extracts(
    directory: Path | str,
    *,
    encoding: str = "utf-8",
    progress: Progress | None = None,
    uri: str | None = None,
) -> LoadReport:
    """Load the extract folder ``directory`` (see docs/data-format.md) into the database; one transaction.

    Raises ``ExtractError`` (nothing written) when a required file or column is missing or a file cannot
    be read. ``uri`` overrides the ADBC URI (default: the database Django's connection uses). The rows
    are written on an ADBC connection of their own, so this must not run inside a Django transaction
    (``atomic``): that transaction could not see them, and on SQLite it would hold the write lock.
    """
    if connection.in_atomic_block:
        raise RuntimeError(
            "load_extracts writes through its own connection: call it outside transaction.atomic()"
        )
    folder = Path(directory).resolve()
    report_progress = progress or _noop
    run = LoadRun.objects.create(directory=str(folder))
    try:
        with _step(report_progress, "read files"):
            frames = read_extract(folder, encoding)
        with Store(uri or config.adbc_uri()) as store, store.transaction():
            with _step(report_progress, "read stored ids"):
                stored = _read_stored(store)
            outcome = _check(frames, stored, report_progress)
            counts = _write(store, outcome, report_progress)
    except ExtractError as error:
        _finish(run, LoadRun.Status.UNUSABLE, {}, error.message)
        raise
    except BaseException as error:
        _finish(run, LoadRun.Status.FAILED, {}, f"{type(error).__name__}: {error}")
        raise
    clear_rejects(folder, [table.name for table in TABLES])
    written = write_rejects(folder, {name: checked.rejects() for name, checked in outcome.checked.items()})
    report = LoadReport(run.pk, folder, counts, written)
    _finish(run, LoadRun.Status(report.status), counts, "")
    return report


def _finish(run: LoadRun, status: LoadRun.Status, counts: Mapping[str, TableCounts], message: str) -> None:
    """Record how the run ended."""
    run.finished_at = timezone.now()
    run.status = status
    run.message = message
    run.counts = {name: table.as_dict() for name, table in counts.items()}
    run.accepted = sum(table.accepted for table in counts.values())
    run.unchanged = sum(table.unchanged for table in counts.values())
    run.rejected = sum(table.rejected for table in counts.values())
    run.save()


def _read_stored(store: Store) -> _Stored:
    """Ids, loan terms and payments already stored (what the checks must agree with)."""
    rate = store.decimal_text("annual_rate", 8)
    loan_columns = ", ".join(rate if name == "annual_rate" else name for name in _LOAN_TERMS)
    return _Stored(
        product_ids=store.read("SELECT product_id FROM qs_product", {"product_id": pl.String})["product_id"],
        borrower_ids=store.read("SELECT borrower_id FROM qs_borrower", {"borrower_id": pl.String})[
            "borrower_id"
        ],
        loans=store.read(f"SELECT {loan_columns} FROM qs_loan", _LOAN_TERMS),
        scheduled_loan_ids=store.read("SELECT DISTINCT loan_id FROM qs_installment", {"loan_id": pl.String})[
            "loan_id"
        ],
        payments=store.read_table(
            "qs_payment",
            {
                "payment_id": pl.String,
                "loan_id": pl.String,
                "paid_on": pl.Date,
                "amount_fen": pl.Int64,
                "channel": pl.String,
                "kind": pl.String,
            },
        ),
    )


def _known_ids(checked: Checked, key: str, stored: pl.Series) -> pl.Series:
    """Ids accepted in this load or stored."""
    return pl.concat([checked.good()[key], stored]).unique()


def _known_loans(loans: Checked, stored: pl.DataFrame, columns: tuple[str, ...]) -> pl.DataFrame:
    """Loans accepted in this load, plus stored loans this load has no row for."""
    in_file = loans.frame.select(pl.col("loan_id").drop_nulls().unique())
    kept = stored.join(in_file, on="loan_id", how="anti")
    return pl.concat([loans.good().select(columns), kept.select(columns)])


def _check(frames: dict[str, pl.DataFrame], stored: _Stored, progress: Progress) -> _Outcome:
    """Check the tables parents first; reject loans whose schedule is broken or cannot be built.

    Each file's frame is taken out of ``frames`` as it is checked, and a table whose rejects are final is
    compacted (the text as read is kept for its rejected rows only), so the whole book's text is never
    held at once beside its parsed values.
    """
    checked: dict[str, Checked] = {}
    with _step(progress, "check products", frames["products"].height):
        checked["products"] = check_products(frames.pop("products")).compact()
    with _step(progress, "check borrowers", frames["borrowers"].height):
        checked["borrowers"] = check_borrowers(frames.pop("borrowers")).compact()
    with _step(progress, "check loans", frames["loans"].height):
        loans = check_loans(
            frames.pop("loans"),
            _known_ids(checked["borrowers"], "borrower_id", stored.borrower_ids),
            _known_ids(checked["products"], "product_id", stored.product_ids),
        )
    if "installments" in frames:
        with _step(progress, "check installments", frames["installments"].height):
            known = _known_loans(loans, stored.loans, ("loan_id", "principal_fen", "disbursed_on"))
            installments, broken = check_installments(frames.pop("installments"), known)
            checked["installments"] = installments.compact()
            del installments  # the uncompacted table would keep the whole file's text alive
            loans = loans.reject_keys(broken, "loan_id")
    to_schedule = _needing_schedule(loans, checked.get("installments"), stored)
    with _step(progress, "build schedules", to_schedule.height):
        generated, failures = generate_schedules(
            to_schedule, lambda done: progress("build schedules", done, to_schedule.height)
        )
    checked["loans"] = loans.reject_keys(failures, "loan_id").compact()
    del loans
    with _step(progress, "check payments", frames["payments"].height):
        known = _known_loans(checked["loans"], stored.loans, ("loan_id", "disbursed_on"))
        checked["payments"] = check_payments(frames.pop("payments"), known, stored.payments).compact()
    return _Outcome(checked, generated.join(failures.select("loan_id"), on="loan_id", how="anti"))


def _needing_schedule(loans: Checked, installments: Checked | None, stored: _Stored) -> pl.DataFrame:
    """Accepted loans without installment rows that are new, have no stored schedule, or changed terms."""
    good = loans.good()
    if installments is not None:
        given = installments.frame.select(pl.col("loan_id").drop_nulls().unique())
        good = good.join(given, on="loan_id", how="anti")
    before = stored.loans.select("loan_id", *(pl.col(c).alias(f"__was_{c}") for c in _SCHEDULE_TERMS))
    compared = good.join(before, on="loan_id", how="left")
    changed = pl.any_horizontal(pl.col(c).ne_missing(pl.col(f"__was_{c}")) for c in _SCHEDULE_TERMS)
    unscheduled = ~pl.col("loan_id").is_in(stored.scheduled_loan_ids.implode())
    return compared.filter(unscheduled | changed).select(list(_LOAN_TERMS))


def _counts(checked: Checked, written: Any) -> TableCounts:
    return TableCounts(
        rows=checked.frame.height,
        accepted=written.written,
        unchanged=written.unchanged,
        rejected=checked.rejected,
    )


#: Every borrower's phone from the extract becomes a contact party of kind ``debtor`` (``qs_contact_party``,
#: the contacts app) unless the borrower already has a debtor party with that number: the compliance check
#: (C8) and the notices reach debtors through their parties. A changed phone adds a number; the old one
#: stays on file (collectors keep every number a debtor ever gave until it is marked invalid).
_DEBTOR_PARTIES_SQL: Final = (
    "INSERT INTO qs_contact_party (borrower_id, kind, name, relation, phone, email, address, time_zone,"
    " quiet_hours_consent, do_not_contact, stop_requested, number_invalid, deceased_or_incapacitated,"
    " created_at, updated_at)"
    " SELECT b.borrower_id, 'debtor', b.name, '', b.phone, '', b.address, '',"
    " FALSE, FALSE, FALSE, FALSE, FALSE, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP"
    " FROM qs_borrower b WHERE b.phone <> '' AND NOT EXISTS ("
    " SELECT 1 FROM qs_contact_party p WHERE p.borrower_id = b.borrower_id AND p.kind = 'debtor'"
    " AND p.phone = b.phone)"
)


def _write(store: Store, outcome: _Outcome, progress: Progress) -> dict[str, TableCounts]:
    """Write every accepted row (parents first) inside the caller's transaction."""
    checked = outcome.checked
    counts: dict[str, TableCounts] = {}
    for table in (PRODUCTS, BORROWERS, LOANS):
        good = checked[table.name].good().drop(ROW)
        if table is LOANS:
            good = _keep_calls_made_here(store, good)
        with _step(progress, f"write {table.name}", good.height):
            counts[table.name] = _counts(checked[table.name], store.upsert(table.db_table, good, table.key))
    with _step(progress, "write debtor contacts"):
        store.execute(_DEBTOR_PARTIES_SQL)
    with _step(progress, "write installments", checked["loans"].frame.height):
        counts["installments"] = _write_installments(store, checked.get("installments"), outcome.generated)
    payments = checked["payments"]
    with _step(progress, "write payments", payments.frame.height):
        written = _upsert_batches(
            store,
            PAYMENTS.db_table,
            _good_batches(payments, pl.lit("load").alias("source")),
            PAYMENTS.key,
            update=False,
            compare=_PAYMENT_DATA,
        )
    counts["payments"] = _counts(payments, written)
    return counts


def _keep_calls_made_here(store: Store, loans: pl.DataFrame) -> pl.DataFrame:
    """Loan rows to write, each keeping an acceleration Qingshou recorded itself (``acceleration_reason``
    set: a repayment plan, a settlement, a legal call): the core system's extract does not know it, and the
    ledger facts posted with it (the closing payment on that day) only balance with that day — a reload
    that blanked it would reopen a restructured or settled loan."""
    called = store.read(
        "SELECT loan_id, accelerated_on AS called_here FROM qs_loan WHERE acceleration_reason <> ''",
        {"loan_id": pl.String, "called_here": pl.Date},
    )
    if called.is_empty():
        return loans
    return (
        loans.join(called, on="loan_id", how="left", maintain_order="left")
        .with_columns(pl.coalesce("called_here", "accelerated_on").alias("accelerated_on"))
        .drop("called_here")
    )


def _write_installments(store: Store, checked: Checked | None, generated: pl.DataFrame) -> TableCounts:
    """File installments and generated ones, each loan's schedule replaced as a whole."""
    counts = TableCounts()
    key, group = INSTALLMENTS.key, "loan_id"
    if checked is not None:
        batches = _good_batches(checked, group=group)
        written = _upsert_batches(store, INSTALLMENTS.db_table, batches, key, prune_by=group)
        counts = _counts(checked, written)
    built = _upsert_batches(store, INSTALLMENTS.db_table, _batches(generated, group), key, prune_by=group)
    return TableCounts(
        counts.rows, counts.accepted, counts.unchanged, counts.rejected, generated=built.written
    )


#: Rows staged per bulk write: the Arrow copy handed to the driver is made one batch at a time.
WRITE_BATCH_ROWS = 1_000_000


def _batches(frame: pl.DataFrame, group: str | None = None) -> Iterator[pl.DataFrame]:
    """``frame`` in slices of about ``WRITE_BATCH_ROWS`` rows (zero-copy); a ``group`` never straddles two.

    Rows of one group must be contiguous for that; they are sorted by the group first when they are not.
    """
    if group is not None and frame.height:
        runs = frame.select(
            (pl.col(group).rle_id().max() + 1).alias("runs"), pl.col(group).n_unique().alias("groups")
        ).row(0)
        if runs[0] != runs[1]:
            frame = frame.sort(group, maintain_order=True)
    values = frame[group] if group is not None else None
    start = 0
    while start < frame.height:
        end = min(start + WRITE_BATCH_ROWS, frame.height)
        if values is not None:
            while end < frame.height and values[end] == values[end - 1]:
                end += 1
        yield frame.slice(start, end - start)
        start = end


def _good_batches(checked: Checked, *extra: pl.Expr, group: str | None = None) -> Iterator[pl.DataFrame]:
    """The accepted rows of ``checked`` (database columns, plus ``extra``), a batch at a time."""
    for batch in _batches(checked.frame, group):
        yield batch.filter(is_ok()).select(*checked.columns, *extra)


def _upsert_batches(
    store: Store,
    table: str,
    batches: Iterable[pl.DataFrame],
    key: Sequence[str],
    **options: Any,
) -> UpsertResult:
    """``Store.upsert`` of each batch (a ``prune_by`` group must not straddle batches); the summed result."""
    staged = unchanged = deleted = 0
    for batch in batches:
        result = store.upsert(table, batch, key, **options)
        staged, unchanged = staged + result.staged, unchanged + result.unchanged
        deleted += result.deleted
    return UpsertResult(staged, unchanged, deleted)
