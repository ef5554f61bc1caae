"""Reading the book for a run: every fact the engine needs, from the store as Arrow, as an ``engine.Book``.

Six set-based queries through ``qingshou.store.Store`` (ADBC; SQLite and PostgreSQL), inside one read
transaction so the tables are read at one point in time. Conversions, all exact:

* rates and the penalty markup are ``DECIMAL(12, 8)``: read as text with 8 decimals (``Store.decimal_text``)
  and turned into integers × 10⁸ by dropping the point — never through a float (SQLite keeps decimals as
  REAL; printing a REAL with 8 places recovers the stored 8-place decimal exactly);
* dates arrive as ``DATE`` (PostgreSQL) or ISO text (SQLite) and are cast to ``pl.Date``;
* money is already integer fen.

A loan stored without installment rows gets the domain's schedule (``build_schedule``, as the quote
selector does); a loan whose terms cannot make one becomes an error row (``invalid_schedule``) and is left
out of the book. The loader stores every schedule, so this is the rare path.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Final

import polars as pl

from qingshou.engine import schema
from qingshou.engine.book import Book
from qingshou.ingest.schedules import generate_schedules
from qingshou.store import Dialect, Store

RATE_PLACES: Final = 8
_RATE_TEXT: Final = r"^-?[0-9]+\.[0-9]{8}$"

#: Columns read as text and scaled to integers × 10⁸: ``{table: {text column: e8 column}}``.
_SCALED: Final[Mapping[str, Mapping[str, str]]] = {
    "qs_product": {"penalty_markup": "penalty_markup_e8"},
    "qs_loan": {"annual_rate": "annual_rate_e8"},
}
_PRODUCT_COLUMNS: Final = tuple(
    "penalty_markup" if name == "penalty_markup_e8" else name for name in schema.PRODUCTS
)
_LOAN_COLUMNS: Final = tuple(
    "annual_rate" if name == "annual_rate_e8" else name for name in schema.BOOK_LOANS
)
_MISSING_SCHEDULE_CODE: Final = "invalid_schedule"


@dataclass(frozen=True, slots=True)
class BookRead:
    """The book as read, and the ERRORS rows of loans that could not be put into it."""

    book: Book
    errors: pl.DataFrame


@contextmanager
def _read_transaction(store: Store) -> Iterator[None]:
    """One consistent read of several tables (PostgreSQL: a repeatable-read, read-only transaction;
    SQLite: a deferred transaction, which holds a read snapshot)."""
    if store.dialect is Dialect.POSTGRESQL:
        store.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
    else:
        store.execute("BEGIN")
    try:
        yield
    finally:
        store.execute("COMMIT")


def scaled_e8(column: str, table: str) -> pl.Expr:
    """Decimal text with exactly 8 places (``"0.04350000"``) → integer × 10⁸ (``4350000``), exactly."""
    return pl.col(column).str.replace(".", "", literal=True).cast(pl.Int64).alias(_SCALED[table][column])


def _check_rate_text(frame: pl.DataFrame, table: str, key: str) -> None:
    """Every scaled column holds decimal text with 8 places; otherwise name the row and the value."""
    for column in _SCALED[table]:
        bad = frame.filter(~pl.col(column).str.contains(_RATE_TEXT).fill_null(False))
        if bad.height:
            row = bad.row(0, named=True)
            raise ValueError(
                f"{table} {row[key]}: {column} {row[column]!r} is not a decimal with {RATE_PLACES} places"
            )


def _select_with_rates(store: Store, table: str, columns: tuple[str, ...]) -> str:
    items = [
        store.decimal_text(name, RATE_PLACES) if name in _SCALED[table] else f'"{name}"' for name in columns
    ]
    return f"SELECT {', '.join(items)} FROM {table}"


def _read_scaled(store: Store, table: str, columns: tuple[str, ...], target: schema.Schema) -> pl.DataFrame:
    """``table``'s ``columns`` (the first is the key) cast to ``target``, its decimal columns read as text
    and added scaled to × 10⁸ (the text is kept beside them)."""
    scaled = _SCALED[table]
    text_schema: schema.Schema = {name: pl.String() if name in scaled else target[name] for name in columns}
    frame = store.read(_select_with_rates(store, table, columns), text_schema)
    _check_rate_text(frame, table, columns[0])
    return frame.with_columns(scaled_e8(name, table) for name in scaled)


def read_products(store: Store) -> pl.DataFrame:
    """``qs_product`` as ``engine.schema.PRODUCTS``."""
    frame = _read_scaled(store, "qs_product", _PRODUCT_COLUMNS, schema.PRODUCTS)
    return schema.conform(frame, schema.PRODUCTS)


def read_loans(store: Store) -> pl.DataFrame:
    """``qs_loan`` as ``engine.schema.BOOK_LOANS`` (with a successor's restructuring) plus the rate as text
    (``annual_rate``, for schedules)."""
    return _read_scaled(store, "qs_loan", _LOAN_COLUMNS, schema.BOOK_LOANS)


def read_facts(store: Store) -> dict[str, pl.DataFrame]:
    """Installments, payments, charges and the stored limitation interruptions as their engine schemas."""
    return {
        "installments": store.read_table("qs_installment", schema.INSTALLMENTS),
        "payments": store.read_table("qs_payment", schema.BOOK_PAYMENTS),
        "charges": store.read_table("qs_charge", schema.CHARGES),
        "interruptions": store.read_table("qs_limitation_interruption", schema.INTERRUPTIONS),
    }


def missing_schedules(loans: pl.DataFrame, installments: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Schedules (INSTALLMENTS) for loans without installment rows, and ERRORS for those that cannot
    have one; the domain builds them (``ingest.schedules.generate_schedules``)."""
    unscheduled = loans.join(installments.select("loan_id").unique(), on="loan_id", how="anti")
    if unscheduled.height == 0:
        return schema.empty(schema.INSTALLMENTS), schema.empty(schema.ERRORS)
    built, failures = generate_schedules(unscheduled)
    errors = failures.select(
        "loan_id",
        pl.lit(_MISSING_SCHEDULE_CODE).alias("code"),
        pl.format("{}: {}", pl.col("field"), pl.col("detail")).alias("message"),
    )
    return schema.conform(built, schema.INSTALLMENTS), schema.conform(errors, schema.ERRORS)


def read_book(store: Store) -> BookRead:
    """The whole book from ``store`` (one read transaction), with loans that cannot be read as errors."""
    with _read_transaction(store):
        products = read_products(store)
        loans = read_loans(store)
        facts = read_facts(store)
    built, errors = missing_schedules(loans, facts["installments"])
    broken = errors.select("loan_id")
    book = Book.of(
        products,
        loans.join(broken, on="loan_id", how="anti"),
        pl.concat([facts["installments"], built]),
        facts["payments"].join(broken, on="loan_id", how="anti"),
        facts["charges"].join(broken, on="loan_id", how="anti"),
        facts["interruptions"].join(broken, on="loan_id", how="anti"),
    )
    return BookRead(book, errors)
