"""The engine's contract pieces: the calendar frame, the Book ↔ domain bridge, the reference snapshot and the
borrower aggregates / day-over-day changes (C2, C3, C6, C7 through the domain)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import polars as pl
import pytest

from qingshou.calendars import china_calendar
from qingshou.domain.calendar import BusinessCalendar
from qingshou.domain.errors import CalendarError
from qingshou.domain.loan import Charge, ChargeKind, LoanTerms, Payment, RepaymentMethod
from qingshou.domain.policy import ProductPolicy
from qingshou.domain.quote import quote_loan
from qingshou.domain.schedule import build_schedule
from qingshou.engine import schema
from qingshou.engine.calendar import CalendarFrame
from qingshou.engine.changes import with_borrower_aggregates, with_changes
from qingshou.engine.reference import (
    LoanInputs,
    book_from_inputs,
    book_inputs,
    fen,
    reference_quotes,
    reference_snapshot,
)

CAL = china_calendar()


def _loan(
    loan_id: str, borrower: str, policy: ProductPolicy, payments: tuple[Payment, ...] = ()
) -> LoanInputs:
    terms = LoanTerms(
        loan_id,
        policy.product_id,
        Decimal("12000"),
        Decimal("0.1825"),
        date(2025, 1, 15),
        12,
        RepaymentMethod.EQUAL_INSTALLMENT,
        borrower_id=borrower,
    )
    return LoanInputs(terms, tuple(build_schedule(terms)), payments, (), policy, "BJ01", "app")


def test_c2_calendar_frame_agrees_with_the_domain_calendar_and_leaves_gaps_null() -> None:
    small = BusinessCalendar.of([2025], holidays=[date(2025, 12, 31)])
    frame = CalendarFrame.of(small).days
    by_day = dict(frame.iter_rows())
    assert by_day[date(2025, 10, 4)] == date(2025, 10, 6)  # Saturday → Monday
    assert by_day[date(2025, 12, 31)] is None  # next business day is in 2026, not covered
    with pytest.raises(CalendarError):
        small.next_business_day(date(2025, 12, 31))
    full = CalendarFrame.of(CAL).days
    sample = full.filter(pl.col("day").dt.day() == 1)
    for day, following in sample.iter_rows():
        assert following == CAL.next_business_day(day)


def test_book_round_trips_domain_inputs_exactly() -> None:
    policy = ProductPolicy.build(
        "CARD", kind="card", day_count=365, penalty_markup=Decimal("0.3"), grace_days=3
    )
    item = _loan("L1", "B1", policy, (Payment("p1", date(2025, 2, 20), Decimal("500.01")),))
    item = LoanInputs(
        item.terms,
        item.schedule,
        item.payments,
        (Charge("c1", ChargeKind.COST, date(2025, 3, 1), Decimal("88.80")),),
        policy,
        "BJ01",
        "app",
    )
    book = book_from_inputs([item])
    (back,) = book_inputs(book)
    assert back == item
    assert book.loans["annual_rate_e8"].to_list() == [18_250_000]
    assert book.products["penalty_markup_e8"].to_list() == [30_000_000]


def test_reference_quotes_equal_the_domain_quote_and_errors_become_rows() -> None:
    policy = ProductPolicy.build("P1")
    good = _loan("L1", "B1", policy, (Payment("p1", date(2025, 2, 20), Decimal("500")),))
    before = _loan("L2", "B1", policy, (Payment("p0", date(2024, 12, 1), Decimal("1")),))
    book = book_from_inputs([good, before])
    as_of = date(2025, 6, 1)
    result = reference_quotes(book, as_of, CAL)
    quote = quote_loan(good.terms, good.schedule, good.payments, (), policy, CAL, as_of)
    row = result.rows.row(0, named=True)
    assert row["loan_id"] == "L1"
    assert row["dpd"] == quote.dpd
    assert row["total_overdue_fen"] == fen(quote.total_overdue)
    assert row["payoff_amount_fen"] == fen(quote.payoff_amount)
    assert result.errors.to_dicts() == [
        {"loan_id": "L2", "code": "invalid_ledger", "message": result.errors["message"][0]}
    ]
    assert "before disbursement" in result.errors["message"][0]


def test_c3_borrower_aggregates_count_delinquent_loans_not_loans_merely_due() -> None:
    quotes = pl.DataFrame(
        {
            "borrower_id": ["B1", "B1", "B2"],
            "dpd": [40, 0, 3],
            "total_overdue_fen": [1000, 250, 10],
            "delinquent": [True, False, True],
        }
    )
    out = with_borrower_aggregates(quotes)
    assert out["borrower_worst_dpd"].to_list() == [40, 40, 3]
    assert out["borrower_total_overdue_fen"].to_list() == [1250, 1250, 10]
    assert out["borrower_overdue_loans"].to_list() == [1, 1, 1]


def test_c3_c6_changes_since_the_previous_day() -> None:
    policy = ProductPolicy.build("P1")
    today = pl.DataFrame(
        {
            "loan_id": ["new", "cured", "rolled", "same", "first"],
            "product_id": ["P1"] * 5,
            "delinquent": [True, False, True, True, True],
            "bucket": ["M1", "M0", "M2", "M1", "M1"],
            "classification": [
                "special_mention",
                "special_mention",
                "special_mention",
                "special_mention",
                "normal",
            ],
            "dpd": [1, 0, 31, 12, 1],
        }
    )
    before = pl.DataFrame(
        {
            "loan_id": ["new", "cured", "rolled", "same"],
            "delinquent": [False, True, True, True],
            "bucket": ["M0", "M1", "M1", "M1"],
            "classification": ["normal", "special_mention", "special_mention", "special_mention"],
            "dpd": [0, 20, 30, 11],
        }
    )
    out = with_changes(today, before, {"P1": policy}).sort("loan_id")
    flags = {row["loan_id"]: row for row in out.iter_rows(named=True)}
    assert flags["new"]["newly_delinquent"]
    assert flags["new"]["class_changed"]
    assert flags["new"]["rolled_worse"]
    assert flags["cured"]["cured"]
    assert not flags["cured"]["rolled_worse"]
    assert flags["rolled"]["rolled_worse"]
    assert not flags["rolled"]["newly_delinquent"]
    assert not any(flags["same"][k] for k in ("newly_delinquent", "cured", "rolled_worse", "class_changed"))
    assert flags["first"]["previous_dpd"] is None
    assert not any(flags["first"][k] for k in ("newly_delinquent", "cured", "rolled_worse", "class_changed"))
    first_run = with_changes(today, None, {"P1": policy})
    assert not first_run["newly_delinquent"].any()


def test_reference_snapshot_has_the_snapshot_schema_and_walks_day_by_day() -> None:
    policy = ProductPolicy.build("P1", grace_days=3)
    book = book_from_inputs([_loan("L1", "B1", policy), _loan("L2", "B1", policy)])
    first_due = date(2025, 2, 15)
    previous = None
    seen_newly = False
    for offset in range(0, 6):
        as_of = first_due + timedelta(days=offset)
        snap = reference_snapshot(book, as_of, CAL, previous).rows
        assert snap.schema == pl.Schema(schema.SNAPSHOT)
        seen_newly |= bool(snap["newly_delinquent"].any())
        previous = snap
    # due 15 Feb, grace 3 days: delinquent from 19 Feb (C2), so the change shows up on that day
    assert seen_newly
    assert previous is not None
    assert previous["borrower_overdue_loans"].to_list() == [2, 2]


def test_reference_turns_facts_the_domain_cannot_build_into_error_rows() -> None:
    policy = ProductPolicy.build("P1")
    book = book_from_inputs([_loan("L1", "B1", policy), _loan("L2", "B2", policy)])
    broken = book.loans.with_columns(
        pl.when(pl.col("loan_id") == "L2").then(0).otherwise(pl.col("principal_fen")).alias("principal_fen")
    )
    bad_product = book.products.with_columns(
        pl.lit("P9").alias("product_id"), pl.lit(400, pl.Int16).alias("day_count")
    )
    book = type(book).of(
        pl.concat([book.products, bad_product]),
        pl.concat(
            [
                broken,
                broken.filter(pl.col("loan_id") == "L1").with_columns(
                    pl.lit("L3").alias("loan_id"), pl.lit("P9").alias("product_id")
                ),
            ]
        ),
        pl.concat(
            [
                book.installments,
                book.installments.filter(pl.col("loan_id") == "L1").with_columns(
                    pl.lit("L3").alias("loan_id")
                ),
            ]
        ),
    )
    assert set(book.policies()) == {"P1"}
    assert set(book.policy_errors()) == {"P9"}
    result = reference_quotes(book, date(2025, 6, 1), CAL)
    assert result.rows["loan_id"].to_list() == ["L1"]
    errors = {row["loan_id"]: row for row in result.errors.iter_rows(named=True)}
    assert errors["L2"]["code"] == "invalid_ledger"
    assert "principal" in errors["L2"]["message"]
    assert errors["L3"]["code"] == "invalid_policy"
