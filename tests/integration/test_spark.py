"""The Spark runner computes the same snapshot as the local kernel (issue 3, scale-out; C1–C7 through it).

One local[2] Spark session serves the module (UI off, bound to 127.0.0.1). The book is simulated with the
simulator's own draws (borrowers with several loans, on-time / late / partial / defaulted / prepaid payment
histories, accelerations), plus charges and a few loans whose data the domain refuses (error rows). The
run is cut into several borrower partitions and must give, sorted by loan id, exactly the local kernel's
snapshot on the whole book — every column — and exactly its error rows.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from pyspark.sql import SparkSession

from qingshou.calendars import china_calendar
from qingshou.domain.loan import Charge, ChargeKind, Payment, ScheduledInstallment
from qingshou.domain.money import from_fen
from qingshou.engine import schema, spark
from qingshou.engine.book import Book
from qingshou.engine.calendar import CalendarFrame
from qingshou.engine.kernel import KernelResult
from qingshou.engine.reference import LoanInputs, book_from_inputs
from qingshou.simulate.behaviour import SimPayment
from qingshou.simulate.book import behave, draw_loan
from qingshou.simulate.people import draw_borrower

pytestmark = pytest.mark.spark

AS_OF = date(2026, 3, 31)
LOANS = 300
BORROWERS = 110
PARTITIONS = 4

#: The kernel both runs use: the Polars engine (``kernel.compute``); ``QINGSHOU_SPARK_TEST_KERNEL=domain``
#: runs the domain reference instead, to tell a runner fault from a kernel fault.
KERNEL = os.environ.get("QINGSHOU_SPARK_TEST_KERNEL", "polars")


def local_kernel() -> spark.Kernel:
    """The kernel both runs use (see KERNEL)."""
    return spark.reference_kernel if KERNEL == "domain" else spark.default_kernel()


# --- the book ---


def _payments(loan_id: str, simulated: tuple[SimPayment, ...]) -> tuple[Payment, ...]:
    return tuple(
        Payment(f"{loan_id}-{number:04d}", p.paid_on, from_fen(p.amount))
        for number, p in enumerate(simulated, start=1)
    )


def _charges(rng: random.Random, loan_id: str, disbursed_on: date) -> tuple[Charge, ...]:
    """A cost or fee charge on about one loan in five, posted between disbursement and a week after as_of."""
    if rng.random() >= 0.2:
        return ()
    span = (AS_OF + timedelta(days=7) - disbursed_on).days
    posted = disbursed_on + timedelta(days=rng.randrange(1, max(span, 2)))
    kind = rng.choice([ChargeKind.COST, ChargeKind.FEE])
    return (Charge(f"{loan_id}-C1", kind, posted, from_fen(rng.randrange(5_000, 80_000))),)


def _broken(item: LoanInputs, number: int) -> LoanInputs:
    """Every 50th loan breaks an invariant the domain refuses: a schedule whose principal does not add up,
    or a payment before disbursement."""
    if number % 100 == 0:
        first = item.schedule[0]
        wrong = ScheduledInstallment(
            first.seq,
            first.due_date,
            first.principal_due + Decimal("0.01"),
            first.interest_due,
            first.fee_due,
        )
        return replace(item, schedule=(wrong, *item.schedule[1:]))
    early = Payment(f"{item.terms.loan_id}-EARLY", item.terms.disbursed_on - timedelta(days=3), Decimal("10"))
    return replace(item, payments=(early, *item.payments))


def simulated_book(loans: int = LOANS, borrowers: int = BORROWERS, seed: int = 3) -> Book:
    """``loans`` simulated loans of ``borrowers`` borrowers (so most borrowers hold several)."""
    people = random.Random(f"spark-test/{seed}/people")
    lending = random.Random(f"spark-test/{seed}/loans")
    extra = random.Random(f"spark-test/{seed}/charges")
    owners = [draw_borrower(people, f"B{n:05d}", AS_OF) for n in range(borrowers)]
    items = []
    for number in range(1, loans + 1):
        borrower = owners[number - 1] if number <= borrowers else lending.choice(owners)
        loan = draw_loan(lending, f"L{number:05d}", borrower, AS_OF)
        outcome = behave(lending, loan, borrower, AS_OF)
        terms = replace(loan.terms, accelerated_on=outcome.accelerated_on)
        item = LoanInputs(
            terms,
            loan.schedule,
            _payments(terms.loan_id, outcome.payments),
            _charges(extra, terms.loan_id, terms.disbursed_on),
            loan.spec.policy,
            loan.branch,
            loan.channel,
        )
        items.append(_broken(item, number) if number % 50 == 0 else item)
    return book_from_inputs(items)


# --- fixtures ---


@pytest.fixture(scope="module")
def session() -> Iterator[SparkSession]:
    """One local[2] session for the module, with Debian's JDBC driver jars when they are installed."""
    jars = [jar for jar in spark.DEBIAN_JARS.values() if Path(jar).is_file()]
    active = spark.session(
        "local[2]", app_name="qingshou-test", jars=jars, conf={"spark.sql.shuffle.partitions": "4"}
    )
    yield active
    active.stop()


@pytest.fixture(scope="module")
def calendar() -> CalendarFrame:
    return CalendarFrame.of(china_calendar())


@pytest.fixture(scope="module")
def book() -> Book:
    return simulated_book()


@pytest.fixture(scope="module")
def previous(book: Book, calendar: CalendarFrame) -> pl.DataFrame:
    """The local kernel's snapshot of the day before (the previous snapshot of the run under test)."""
    return local_kernel()(book, AS_OF - timedelta(days=1), calendar, None).snapshot


@pytest.fixture(scope="module")
def expected(book: Book, calendar: CalendarFrame, previous: pl.DataFrame) -> KernelResult:
    """The local kernel on the whole book, sorted as the Spark runner returns it."""
    result = local_kernel()(book, AS_OF, calendar, previous)
    return KernelResult(
        schema.conform(result.snapshot, schema.SNAPSHOT).sort("loan_id"),
        schema.conform(result.errors, schema.ERRORS).sort("loan_id", "code", "message"),
    )


def assert_same(actual: KernelResult, expected: KernelResult) -> None:
    """Every snapshot column of every loan, and every error row, exactly."""
    assert_frame_equal(actual.snapshot, expected.snapshot, check_exact=True)
    assert_frame_equal(actual.errors, expected.errors, check_exact=True)


# --- the book is what the parity claims need ---


def test_c3_the_simulated_book_exercises_borrowers_errors_and_changes(
    book: Book, expected: KernelResult
) -> None:
    """The book has borrowers with several loans, delinquent and current loans, penalties, charges, error
    rows and loans the previous snapshot knows."""
    assert book.loans.group_by("borrower_id").len()["len"].max() >= 3  # type: ignore[operator]
    snap = expected.snapshot
    assert snap.height + expected.errors.height == LOANS
    assert set(expected.errors["code"]) == {"invalid_schedule", "invalid_ledger"}
    assert snap.filter(pl.col("delinquent")).height >= 10
    assert snap.filter(~pl.col("delinquent")).height >= 10
    assert snap.filter(pl.col("penalty_interest_fen") > 0).height >= 5
    assert snap.filter(pl.col("costs_fen") + pl.col("fees_fen") > 0).height >= 5
    assert snap.filter(pl.col("borrower_overdue_loans") >= 2).height >= 2
    assert snap.filter(pl.col("previous_dpd").is_not_null()).height >= LOANS // 2


# --- Spark equals the local kernel ---


def test_c1_spark_snapshot_equals_the_local_kernel_with_a_previous_snapshot(
    session: SparkSession,
    book: Book,
    calendar: CalendarFrame,
    previous: pl.DataFrame,
    expected: KernelResult,
) -> None:
    """A Book read on the driver and the previous day's snapshot from memory, as the EOD service hands them
    over (staged as Parquet for the executors), four borrower partitions — every one of them used."""
    keyed = spark.loan_side(spark.read_book(session, book)["loans"], None, PARTITIONS)
    assert keyed.select(spark.PARTITION).distinct().count() == PARTITIONS
    result = spark.run(
        book, AS_OF, calendar, previous, partitions=PARTITIONS, kernel=local_kernel(), spark=session
    )
    assert_same(result, expected)


def test_c1_spark_from_parquet_extracts_writes_the_lake_partition_and_replaces_it(
    session: SparkSession,
    book: Book,
    calendar: CalendarFrame,
    previous: pl.DataFrame,
    expected: KernelResult,
    tmp_path: Path,
) -> None:
    """Parquet extracts and a Parquet previous snapshot in, the lake partition written by the executors: an
    older partition of the day is replaced whole, and no staging folder or Spark marker file is left."""
    source = spark.export_book(book, tmp_path / "extract")
    previous.write_parquet(tmp_path / "previous.parquet")
    lake = tmp_path / "lake"
    partition = lake / "snapshots" / f"as_of={AS_OF.isoformat()}"
    partition.mkdir(parents=True)
    previous.write_parquet(partition / "part-stale.parquet")
    result = spark.run(
        source,
        AS_OF,
        calendar.calendar,
        str(tmp_path / "previous.parquet"),
        partitions=3,
        kernel=local_kernel(),
        spark=session,
        write_lake=str(lake),
    )
    assert_same(result, expected)
    files = sorted(path.name for path in partition.iterdir())
    assert files
    assert all(name.startswith("part-0") and name.endswith(".parquet") for name in files)
    assert [path.name for path in (lake / "snapshots").iterdir()] == [partition.name]
    written = pl.read_parquet(partition / "*.parquet").sort("loan_id")
    assert_frame_equal(written, expected.snapshot, check_exact=True)


# --- JDBC from the store ---


def test_c9_jdbc_sources_from_database_urls_and_exact_text_queries() -> None:
    """C9: the store's URL becomes a JDBC URL; rates are read as 8-decimal text (never a float)."""
    pg = spark.JdbcBook.from_database_url("postgresql://eod:s%40cret@db.example:5433/qingshou")
    assert (pg.url, pg.user, pg.password, pg.dialect) == (
        "jdbc:postgresql://db.example:5433/qingshou",
        "eod",
        "s@cret",
        "postgresql",
    )
    assert pg.driver_jars == (spark.DEBIAN_JARS["postgresql"],)
    lite = spark.JdbcBook.from_database_url("sqlite:////srv/qs/qingshou.sqlite3")
    assert lite.url == "jdbc:sqlite:/srv/qs/qingshou.sqlite3"
    assert spark.JdbcBook.from_database_url("/tmp/test.sqlite3").url == "jdbc:sqlite:/tmp/test.sqlite3"
    assert 'printf(\'%.8f\', "annual_rate") AS "annual_rate_e8"' in spark.jdbc_query(lite, "loans")
    assert 'CAST(ROUND("penalty_markup", 8) AS TEXT)' in spark.jdbc_query(pg, "products")
    with pytest.raises(spark.SparkRunError, match="only sqlite and postgresql"):
        spark.JdbcBook.from_database_url("mysql://host/db")


def store_book(book: Book) -> None:
    """Write ``book`` into the store's ``qs_*`` tables with the ORM (rates back to 8-decimal Decimals)."""
    from qingshou.apps.loans.models import Borrower, Charge, Installment, Loan, Payment, Product

    def rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
        return frame.to_dicts()

    Product.objects.bulk_create(
        Product(penalty_markup=Decimal(row.pop("penalty_markup_e8")).scaleb(-8), **row)
        for row in rows(book.products)
    )
    Borrower.objects.bulk_create(
        Borrower(borrower_id=borrower, name="借款人") for borrower in book.loans["borrower_id"].unique()
    )
    Loan.objects.bulk_create(
        Loan(annual_rate=Decimal(row.pop("annual_rate_e8")).scaleb(-8), **row) for row in rows(book.loans)
    )
    Installment.objects.bulk_create(Installment(**row) for row in rows(book.installments))
    Payment.objects.bulk_create(Payment(**row) for row in rows(book.payments))
    Charge.objects.bulk_create(Charge(**row) for row in rows(book.charges))


@pytest.mark.db
@pytest.mark.django_db(transaction=True)
def test_c9_spark_reads_the_store_over_jdbc_exactly(
    session: SparkSession,
    book: Book,
    calendar: CalendarFrame,
    previous: pl.DataFrame,
    expected: KernelResult,
) -> None:
    """C9: the book written to the store (SQLite, or PostgreSQL under scripts/with-postgres) and read back
    by Spark over JDBC — fen, 8-decimal rates, dates, flags — gives the same snapshot as the local kernel.
    Without staging: the previous snapshot and the result pass as Arrow through the driver's JVM."""
    from qingshou import config

    source = spark.JdbcBook.from_database_url(config.adbc_uri())
    missing = [jar for jar in source.driver_jars if not Path(jar).is_file()]
    if missing:
        pytest.skip(
            f"JDBC driver jar {', '.join(missing)} not installed (Debian: {source.dialect} JDBC package)"
        )
    store_book(book)
    loans = spark.read_book(session, source)["loans"].toArrow()
    assert_frame_equal(spark.to_polars(loans, schema.BOOK_LOANS).sort("loan_id"), book.loans.sort("loan_id"))
    result = spark.run(
        source,
        AS_OF,
        calendar,
        previous,
        partitions=PARTITIONS,
        kernel=local_kernel(),
        spark=session,
        staging=False,
    )
    assert_same(result, expected)
