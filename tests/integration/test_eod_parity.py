"""Parity on the store (issue 3): the EOD snapshot of a simulated book equals the domain's quote
(``qingshou.apps.loans.selectors.quote``, through Django) for every loan and every QUOTE field, to the
fen — on SQLite and PostgreSQL (``-m db``).

The book goes the whole way: extract → ``qingshou load`` → store → ADBC read → engine → lake (Parquet) →
``LoanStatus``; the quote goes through the ORM. The ``domain`` engine test checks the plumbing (reading
the book, exact rates, the lake round trip) and runs always; the ``polars`` kernel test is skipped, with
the reason, until ``engine.replay`` and ``engine.derive`` exist.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from eod_support import (
    BOOK_DAY,
    NEEDS_KERNEL,
    SimulatedBook,
    lake,
    load_book,
    quote_snapshot_row,
    simulated_book,
    status_rows,
)

from qingshou.apps.eod.services.run import run_eod, run_range
from qingshou.apps.loans.models import Borrower, Loan, Product
from qingshou.apps.loans.selectors import business_calendar, quote
from qingshou.domain.calendar import BusinessCalendar
from qingshou.engine import schema
from qingshou.engine.book import Book
from qingshou.engine.reference import reference_snapshot
from qingshou.lake import read_snapshot

pytestmark = [pytest.mark.db, pytest.mark.django_db(transaction=True)]
__all__ = ["lake", "simulated_book"]  # fixtures


def quotes_of(day: date, calendar: BusinessCalendar) -> list[dict[str, Any]]:
    """The domain's quote of every loan at the end of ``day``, as snapshot rows, by loan id."""
    return [
        quote_snapshot_row(quote(loan.loan_id, day, calendar), loan)
        for loan in Loan.objects.order_by("loan_id")
    ]


def snapshot_rows(root: Path, day: date) -> list[dict[str, Any]]:
    """The lake's snapshot of ``day``, QUOTE fields only, by loan id."""
    return read_snapshot(root, day).select(list(schema.QUOTE_FIELDS)).sort("loan_id").to_dicts()


def assert_rows_equal(engine: list[dict[str, Any]], domain: list[dict[str, Any]]) -> None:
    """Same loans; for the first loan that differs, name it and every field that differs."""
    assert [row["loan_id"] for row in engine] == [row["loan_id"] for row in domain]
    for mine, reference in zip(engine, domain, strict=True):
        differing = {
            name: (mine[name], reference[name]) for name in reference if mine[name] != reference[name]
        }
        assert not differing, f"loan {reference['loan_id']}: engine vs domain {differing}"


def add_unscheduled_loan() -> None:
    """A loan stored without installment rows (both sides build its schedule with the domain)."""
    Loan.objects.create(
        loan_id="ZZ-NO-SCHEDULE", borrower=Borrower.objects.order_by("borrower_id").first(),
        product=Product.objects.order_by("product_id").first(), principal_fen=1_234_567,
        annual_rate=Decimal("0.0435"), disbursed_on=date(2025, 11, 30), term_months=12,
        repayment_method="equal_installment",
    )  # fmt: skip


def test_c1_to_c7_domain_engine_from_the_store_equals_the_quote_selector(
    simulated_book: SimulatedBook, lake: Path
) -> None:
    """The plumbing alone: the book read over ADBC, computed by the reference engine and written to the
    lake and the statuses equals the ORM's quote of every loan, every QUOTE field."""
    load_book(simulated_book(120, 17))
    add_unscheduled_loan()
    result = run_eod(BOOK_DAY, "domain")
    assert (result.snapshot_rows, result.error_count) == (121, 0)
    assert_rows_equal(snapshot_rows(lake, BOOK_DAY), quotes_of(BOOK_DAY, business_calendar()))
    stored = {row["loan_id"]: row for row in status_rows()}
    for row in snapshot_rows(lake, BOOK_DAY):
        expected = {name: value for name, value in row.items() if name not in ("borrower_id", "product_id")}
        assert {name: stored[row["loan_id"]][name] for name in expected} == expected


def reference_history(book: Book, days: list[date], calendar: BusinessCalendar) -> dict[date, pl.DataFrame]:
    """The reference SNAPSHOT of each day, each day's previous being the day before's."""
    previous: pl.DataFrame | None = None
    result = {}
    for day in days:
        previous = result[day] = reference_snapshot(book, day, calendar, previous).rows
    return result


@NEEDS_KERNEL
def test_c1_to_c7_polars_kernel_on_the_store_equals_the_quote_selector(
    simulated_book: SimulatedBook, lake: Path
) -> None:
    """The columnar kernel over two chained days (the second carries the first's classification state):
    every loan, every QUOTE field equals the domain's quote; the borrower aggregates and the changes equal
    the reference engine's."""
    from qingshou import config
    from qingshou.apps.eod.book import read_book
    from qingshou.store import Store

    load_book(simulated_book(200, 29))
    add_unscheduled_loan()
    days = [BOOK_DAY - timedelta(days=1), BOOK_DAY]
    results = run_range(days[0], days[-1], "polars")
    assert [r.error_count for r in results] == [0, 0]
    calendar = business_calendar()
    for day in days:
        assert_rows_equal(snapshot_rows(lake, day), quotes_of(day, calendar))
    with Store(config.adbc_uri()) as store:
        book = read_book(store).book
    reference = reference_history(book, days, calendar)
    derived = [*schema.BORROWER_FIELDS, *schema.CHANGE_FIELDS]
    for day in days:
        mine = read_snapshot(lake, day).select("loan_id", *derived).sort("loan_id").to_dicts()
        assert_rows_equal(mine, reference[day].select("loan_id", *derived).sort("loan_id").to_dicts())


def post_arrangements(day: date) -> dict[str, str]:
    """Issue 5 plans through the loan services on ``day``: a plan on the first loans with something owed
    (penalty waived), a settlement on the next, a waiver on the next ones with penalty — what each loan got."""
    from qingshou.apps.loans.services import arrangements
    from qingshou.domain.arrangements import PlanKind, PlanTerms
    from qingshou.domain.loan import RepaymentMethod
    from qingshou.domain.policy import Component

    calendar = business_calendar()
    done: dict[str, str] = {}
    for loan in Loan.objects.filter(disbursed_on__lt=day).order_by("loan_id"):
        before = quote(loan.loan_id, day - timedelta(days=1), calendar)
        if before.payoff_amount <= 0:
            continue
        if sum(1 for kind in done.values() if kind == "plan") < 3:
            waive = frozenset({Component.PENALTY}) if before.penalty_interest else frozenset()
            plan = PlanTerms(
                PlanKind.INSTALMENTS,
                day,
                12,
                Decimal(loan.annual_rate),
                RepaymentMethod.EQUAL_PRINCIPAL,
                waive,
            )
            done[arrangements.restructure(loan.loan_id, plan, reference=f"arrangement:p-{loan.loan_id}")] = (
                "successor"
            )
            done[loan.loan_id] = "plan"
        elif sum(1 for kind in done.values() if kind == "settlement") < 3:
            arrangements.settle(loan.loan_id, day, reference=f"arrangement:s-{loan.loan_id}")
            done[loan.loan_id] = "settlement"
        elif before.penalty_interest > 0 and sum(1 for kind in done.values() if kind == "waiver") < 5:
            amounts = {Component.PENALTY: before.penalty_interest}
            arrangements.waive(loan.loan_id, day, amounts, reference=f"arrangement:w-{loan.loan_id}")
            done[loan.loan_id] = "waiver"
    return done


def test_issue5_plans_kernel_with_arrangements_equals_the_quote_selector(
    simulated_book: SimulatedBook, lake: Path
) -> None:
    """Issue 5 plans (C4–C7): after plans (successor loans, C6 observation), settlements and waivers posted
    through ``apps.loans.services.arrangements``, the columnar EOD over two chained days equals the ORM's
    quote of every loan (successors included), every QUOTE field."""
    load_book(simulated_book(120, 17))
    posted = post_arrangements(BOOK_DAY - timedelta(days=20))
    assert sorted(set(posted.values())) == ["plan", "settlement", "successor", "waiver"]
    days = [BOOK_DAY - timedelta(days=1), BOOK_DAY]
    results = run_range(days[0], days[-1], "polars")
    assert [r.error_count for r in results] == [0, 0]
    calendar = business_calendar()
    for day in days:
        assert_rows_equal(snapshot_rows(lake, day), quotes_of(day, calendar))
    closed = read_snapshot(lake, BOOK_DAY).filter(
        pl.col("loan_id").is_in([k for k, v in posted.items() if v in ("plan", "settlement")])
    )
    assert closed["payoff_amount_fen"].to_list() == [0] * closed.height
