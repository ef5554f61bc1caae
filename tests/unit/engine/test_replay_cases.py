"""The vectorised replay on small loans written as tables (C2, C4, C5), checked against figures worked by
hand and against ``domain.ledger.replay``; and the loans the domain refuses, one per error code.

``TWO`` (ledger_support): 2 × (1000.00 principal + 15.00 interest) due 1 Feb and 1 Mar 2024 at 18 % a
year; penalty rate 18 % × 1.5 = 27 %, on 360 days 0.75 a day per 1000.00 (0.00075 per yuan-day).
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date

import polars as pl
import pytest
from ledger_support import CALENDAR, TWO, charges, payments, policy, schedule, terms_for
from replay_support import assert_same_ledgers, expected, replayed

from qingshou.domain.calendar import BusinessCalendar
from qingshou.domain.policy import ProductPolicy
from qingshou.engine import schema
from qingshou.engine.book import Book
from qingshou.engine.calendar import CalendarFrame
from qingshou.engine.reference import LoanInputs, book_from_inputs
from qingshou.engine.replay import replay_book


def loan(
    loan_id: str = "L1",
    table: str = TWO,
    pays: str = "",
    posted: str = "",
    product: ProductPolicy | None = None,
    annual_rate: str = "0.18",
    accelerated_on: date | None = None,
) -> LoanInputs:
    rows = schedule(table)
    terms = replace(terms_for(rows, annual_rate, accelerated_on=accelerated_on), loan_id=loan_id)
    chosen = product or policy()
    terms = replace(terms, product_id=chosen.product_id)
    return LoanInputs(terms, tuple(rows), tuple(payments(pays)), tuple(charges(posted)), chosen)


def ledger_of(item: LoanInputs, as_of: str) -> schema.LedgerFrames:
    """The replay of one loan, asserted equal to the domain's (with and without the closed form)."""
    book = book_from_inputs([item])
    day = date.fromisoformat(as_of)
    frames = replayed(book, day)
    assert_same_ledgers(frames, expected(book, day))
    assert_same_ledgers(replayed(book, day, closed_form=False), frames)
    return frames


def line(frames: schema.LedgerFrames, seq: int) -> dict[str, object]:
    return frames.lines.filter(pl.col("seq") == seq).row(0, named=True)


# --- C4: accrual, grace, rounding ---------------------------------------------------------------------


def test_c4_penalty_and_compound_accrue_from_the_due_date_on_unpaid_principal_and_interest() -> None:
    frames = ledger_of(loan(), "2024-02-11")
    first = line(frames, 1)
    assert first["penalty_accrued"] == 750  # 1000.00 × 0.00075 × 10 days (2…11 Feb)
    assert first["compound_accrued"] == 11  # 15.00 × 0.00075 × 10 = 0.1125 → 0.11
    assert line(frames, 2)["penalty_accrued"] == 0  # not due yet


def test_c2_paid_in_full_within_grace_discards_the_contingent_accrual() -> None:
    product = policy(grace_days=3)
    frames = ledger_of(loan(pays="p1 2024-02-03 1015.00", product=product), "2024-02-20")
    first = line(frames, 1)
    assert (first["penalty_accrued"], first["settled_on"]) == (0, date(2024, 2, 3))


def test_c2_paid_after_grace_accrues_from_the_due_date() -> None:
    product = policy(grace_days=3)
    frames = ledger_of(loan(pays="p1 2024-02-06 1018.81", product=product), "2024-02-20")
    first = line(frames, 1)
    assert first["penalty_accrued"] == first["penalty_paid"] == 375  # 5 days × 0.75
    assert first["compound_accrued"] == 6  # 15.00 × 0.00075 × 5 = 0.05625 → 0.06
    assert first["settled_on"] == date(2024, 2, 6)
    assert frames.loans["unapplied_credit"].to_list() == [0]


def test_c4_rounding_happens_at_each_payment_so_two_part_payments_can_differ_by_a_fen() -> None:
    table = "1 2024-02-01 1001.00 0.00"  # 0.75075 a day
    at_once = ledger_of(loan(table=table, pays="p1 2024-02-11 1008.51"), "2024-02-20")
    assert line(at_once, 1)["penalty_accrued"] == 751  # 10 days: 7.5075 → 7.51
    in_two = ledger_of(loan(table=table, pays="p1 2024-02-06 3.75\np2 2024-02-11 1004.76"), "2024-02-20")
    assert line(in_two, 1)["penalty_accrued"] == 750  # 3.75375 → 3.75, twice
    assert in_two.loans["unapplied_credit"].to_list() == [1]


# --- C5: the waterfall -----------------------------------------------------------------------------------


def test_c5_horizontal_pays_each_component_across_the_overdue_installments_before_the_next() -> None:
    frames = ledger_of(loan(pays="p1 2024-03-10 100.00"), "2024-03-10")
    first, second = line(frames, 1), line(frames, 2)
    assert (first["penalty_paid"], second["penalty_paid"]) == (2850, 675)  # 38 and 9 days
    assert (first["interest_paid"], second["interest_paid"]) == (1500, 1500)
    assert (first["principal_paid"], second["principal_paid"]) == (3422, 0)


def test_c5_vertical_finishes_each_installment_before_the_next() -> None:
    frames = ledger_of(loan(pays="p1 2024-03-10 100.00", product=policy(direction="vertical")), "2024-03-10")
    first, second = line(frames, 1), line(frames, 2)
    assert (first["penalty_paid"], first["compound_paid"], first["interest_paid"]) == (2850, 43, 1500)
    assert first["principal_paid"] == 10000 - 2850 - 43 - 1500
    assert second["penalty_paid"] == second["interest_paid"] == second["principal_paid"] == 0


def test_c5_a_custom_waterfall_order_is_followed() -> None:
    product = policy(waterfall="costs,fees,principal,interest,penalty,compound")
    frames = ledger_of(loan(pays="p1 2024-03-10 1500.00", product=product), "2024-03-10")
    first, second = line(frames, 1), line(frames, 2)
    assert (first["principal_paid"], second["principal_paid"]) == (100000, 50000)
    assert first["interest_paid"] == second["interest_paid"] == first["penalty_paid"] == 0


def test_c5_with_prepayment_the_installments_not_yet_due_are_paid_in_order() -> None:
    frames = ledger_of(loan(pays="p1 2024-01-20 1500.00", product=policy(prepayment=True)), "2024-01-31")
    first, second = line(frames, 1), line(frames, 2)
    assert (first["principal_paid"], first["settled_on"]) == (100000, date(2024, 1, 20))
    assert (second["interest_paid"], second["principal_paid"], second["settled_on"]) == (1500, 47000, None)
    assert frames.loans["unapplied_credit"].to_list() == [0]


def test_c5_unapplied_credit_is_held_then_applied_on_the_next_due_date() -> None:
    held = ledger_of(loan(pays="p1 2024-01-20 1500.00"), "2024-01-31")
    assert held.loans["unapplied_credit"].to_list() == [150000]
    assert line(held, 1)["principal_paid"] == 0
    applied = ledger_of(loan(pays="p1 2024-01-20 1500.00"), "2024-02-01")
    assert line(applied, 1)["settled_on"] == date(2024, 2, 1)
    assert applied.loans["unapplied_credit"].to_list() == [150000 - 101500]
    later = ledger_of(loan(pays="p1 2024-01-20 1500.00"), "2024-03-10")
    assert line(later, 2)["principal_paid"] == 48500 - 1500
    assert line(later, 2)["penalty_accrued"] == 358  # 530.00 unpaid × 0.00075 × 9 days = 3.5775 → 3.58


def test_c5_a_charge_is_paid_in_its_component_place_after_its_posting_day() -> None:
    frames = ledger_of(loan(pays="p1 2024-02-10 60.00", posted="c1 costs 2024-02-05 50.00"), "2024-02-10")
    assert frames.charges.select("charge_id", "kind", "amount", "paid").rows() == [
        ("c1", "costs", 5000, 5000)
    ]
    first = line(frames, 1)
    assert (first["penalty_paid"], first["compound_paid"], first["interest_paid"]) == (675, 10, 315)


def test_c5_several_payments_on_one_day_allocate_like_their_sum() -> None:
    split = ledger_of(loan(pays="p1 2024-03-10 40.00\np2 2024-03-10 60.00"), "2024-03-10")
    whole = ledger_of(loan(pays="p1 2024-03-10 100.00"), "2024-03-10")
    assert split.lines.equals(whole.lines)


# --- acceleration and the cap ------------------------------------------------------------------------


def test_acceleration_calls_later_installments_on_the_day_with_prorated_interest() -> None:
    frames = ledger_of(loan(accelerated_on=date(2024, 2, 15)), "2024-02-20")
    second = line(frames, 2)
    assert (second["due_date"], second["accelerated"]) == (date(2024, 2, 15), True)
    assert second["interest_due"] == 724  # 15.00 × 14 / 29 days = 7.241… → 7.24
    assert second["penalty_accrued"] == 375  # 5 days from 15 Feb
    assert line(frames, 1)["accelerated"] is False


def test_c4_cap_keeps_penalty_and_compound_within_the_principal() -> None:
    product = policy(cap_charges_at_principal=True)
    frames = ledger_of(
        loan(table="1 2024-02-01 100.00 90.00", product=product, annual_rate="0.36"), "2024-12-31"
    )
    only = line(frames, 1)
    assert (only["penalty_accrued"], only["compound_accrued"]) == (1000, 0)  # room: 100.00 − 90.00


# --- the book as a whole ----------------------------------------------------------------------------------


def _mixed_book() -> Book:
    loans = [
        loan("A"),
        loan("B", pays="p1 2024-02-10 500.00\np2 2024-03-05 1600.00"),
        loan("C", pays="p1 2024-01-20 3000.00", product=replace(policy(prepayment=True), product_id="P2")),
        loan("D", pays="p1 2024-02-15 100.00", posted="c1 fees 2024-02-10 50.00"),
        loan("E", pays="p1 2024-02-01 1015.00\np2 2024-03-01 1015.00"),
    ]
    return book_from_inputs(loans)


def test_rows_given_in_any_order_give_the_same_ledgers() -> None:
    book = _mixed_book()
    shuffled = Book.of(
        book.products,
        book.loans.sample(fraction=1.0, shuffle=True, seed=3),
        book.installments.sample(fraction=1.0, shuffle=True, seed=4),
        book.payments.sample(fraction=1.0, shuffle=True, seed=5),
        book.charges,
    )
    day = date(2024, 3, 20)
    assert_same_ledgers(replayed(shuffled, day), expected(book, day))


def test_rows_of_loans_the_book_does_not_hold_are_ignored() -> None:
    book = _mixed_book()
    stray = book.installments.head(1).with_columns(pl.lit("ZZ").alias("loan_id"))
    with_stray = Book.of(book.products, book.loans, pl.concat([book.installments, stray]), book.payments)
    day = date(2024, 3, 20)
    assert_same_ledgers(
        replayed(with_stray, day),
        replayed(Book.of(book.products, book.loans, book.installments, book.payments), day),
    )


def test_an_empty_book_gives_empty_frames_with_the_schemas() -> None:
    empty = Book.of(
        schema.empty(schema.PRODUCTS), schema.empty(schema.LOANS), schema.empty(schema.INSTALLMENTS)
    )
    frames = replay_book(empty, date(2024, 3, 1), CalendarFrame.of(CALENDAR))
    assert frames.lines.schema == pl.Schema(schema.LEDGER_LINES)
    assert frames.lines.height == 0
    assert frames.charges.schema == pl.Schema(schema.LEDGER_CHARGES)
    assert frames.loans.schema == pl.Schema(schema.LEDGER_LOANS)
    assert frames.errors.schema == pl.Schema(schema.ERRORS)


def test_frames_have_the_contract_schemas_and_one_row_per_installment() -> None:
    book = _mixed_book()
    frames = replay_book(book, date(2024, 3, 20), CalendarFrame.of(CALENDAR))
    assert frames.lines.schema == pl.Schema(schema.LEDGER_LINES)
    assert frames.lines.height == book.installments.height
    assert sorted(frames.loans["loan_id"]) == sorted(book.loans["loan_id"])


# --- loans the domain refuses ---------------------------------------------------------------------------


def _refused_book() -> tuple[Book, CalendarFrame]:
    """One loan per error code (and a good one), written straight as frames: some of these facts cannot
    even be built as domain objects."""
    holiday = replace(policy(holiday_rule="next_business_day"), product_id="PH")
    good = [
        loan(name)
        for name in ("OK", "PRINCIPAL", "PAYMENT", "KIND", "SUM", "NONE", "EARLY", "TWICE", "POLICY")
    ]
    late = loan("CAL", table="1 2025-01-05 1000.00 15.00", product=holiday)
    book = book_from_inputs([*good, late])
    products = pl.concat(
        [
            book.products,
            book.products.head(1).with_columns(
                pl.lit("PBAD").alias("product_id"), pl.lit(200, pl.Int16).alias("day_count")
            ),
        ]
    )
    loans = book.loans.with_columns(
        pl.when(pl.col("loan_id") == "PRINCIPAL")
        .then(0)
        .otherwise(pl.col("principal_fen"))
        .alias("principal_fen"),
        pl.when(pl.col("loan_id") == "POLICY")
        .then(pl.lit("PBAD"))
        .otherwise(pl.col("product_id"))
        .alias("product_id"),
    )
    installments = book.installments.filter(pl.col("loan_id") != "NONE").with_columns(
        pl.when((pl.col("loan_id") == "SUM") & (pl.col("seq") == 2))
        .then(pl.col("principal_due_fen") + 1)
        .otherwise(pl.col("principal_due_fen"))
        .alias("principal_due_fen")
    )
    pays = pl.DataFrame(
        [
            {"loan_id": "OK", "payment_id": "p1", "paid_on": date(2024, 2, 1), "amount_fen": 101500},
            {"loan_id": "PAYMENT", "payment_id": "p1", "paid_on": date(2024, 2, 1), "amount_fen": 0},
            {"loan_id": "EARLY", "payment_id": "p1", "paid_on": date(2023, 12, 31), "amount_fen": 100},
            {"loan_id": "TWICE", "payment_id": "p1", "paid_on": date(2024, 2, 1), "amount_fen": 100},
            {"loan_id": "TWICE", "payment_id": "p1", "paid_on": date(2024, 2, 2), "amount_fen": 100},
        ],
        schema=schema.PAYMENTS,
    )
    posted = pl.DataFrame(
        [
            {
                "loan_id": "KIND",
                "charge_id": "c1",
                "kind": "penalty",
                "posted_on": date(2024, 2, 1),
                "amount_fen": 100,
            }
        ],
        schema=schema.CHARGES,
    )
    only_2024 = CalendarFrame.of(BusinessCalendar.of([2024]))
    return Book.of(products, loans, installments, pays, posted), only_2024


def test_each_refused_loan_is_an_error_row_with_the_domain_code_and_the_others_replay() -> None:
    book, calendar = _refused_book()
    frames = replay_book(book, date(2025, 2, 1), calendar)
    codes = dict(frames.errors.select("loan_id", "code").iter_rows())
    assert codes == {
        "POLICY": "invalid_policy",
        "PRINCIPAL": "invalid_ledger",
        "PAYMENT": "invalid_ledger",
        "KIND": "invalid_ledger",
        "SUM": "invalid_schedule",
        "NONE": "invalid_schedule",
        "EARLY": "invalid_ledger",
        "TWICE": "invalid_ledger",
        "CAL": "calendar_not_covered",
    }
    for loan_id, message in frames.errors.select("loan_id", "message").iter_rows():
        assert message.startswith(f"loan {loan_id}: ")
    assert "principal" in codes_message(frames, "PRINCIPAL")
    assert "installments[2].principal_due" in codes_message(frames, "SUM")
    assert "payment_id p1" in codes_message(frames, "TWICE")
    assert "installments[1].due_date" in codes_message(frames, "CAL")
    assert frames.loans["loan_id"].to_list() == ["OK"]
    assert set(frames.lines["loan_id"]) == {"OK"}
    assert line(frames, 1)["settled_on"] == date(2024, 2, 1)


def codes_message(frames: schema.LedgerFrames, loan_id: str) -> str:
    return str(frames.errors.filter(pl.col("loan_id") == loan_id)["message"][0])


def test_calendar_not_covered_only_for_installments_due_by_as_of() -> None:
    """C2: the calendar is asked only about due dates by as_of — a later uncovered year does not matter."""
    book, calendar = _refused_book()
    frames = replay_book(book.only(["CAL", "OK"]), date(2024, 12, 31), calendar)
    assert frames.errors.height == 0
    assert sorted(frames.loans["loan_id"]) == ["CAL", "OK"]


@pytest.mark.parametrize("seed", [1, 2])
def test_the_order_loans_are_listed_in_does_not_change_any_ledger(seed: int) -> None:
    book = _mixed_book()
    order = book.loans["loan_id"].to_list()
    random.Random(seed).shuffle(order)
    rank = pl.DataFrame({"loan_id": order, "rank": range(len(order))})

    def listed(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.join(rank, on="loan_id").sort("rank", maintain_order=True).drop("rank")

    reordered = Book.of(
        book.products,
        listed(book.loans),
        listed(book.installments),
        listed(book.payments),
        listed(book.charges),
    )
    assert reordered.loans["loan_id"].to_list() == order
    day = date(2024, 3, 20)
    assert_same_ledgers(replayed(reordered, day), replayed(book, day))


def test_a_loan_listed_twice_is_refused_and_the_others_replay() -> None:
    book = _mixed_book()
    twice = Book.of(
        book.products,
        pl.concat([book.loans, book.loans.filter(pl.col("loan_id") == "B")]),
        book.installments,
        book.payments,
        book.charges,
    )
    frames = replay_book(twice, date(2024, 3, 20), CalendarFrame.of(CALENDAR))
    assert frames.errors.select("loan_id", "code").rows() == [
        ("B", "invalid_ledger"),
        ("B", "invalid_ledger"),
    ]
    assert sorted(frames.loans["loan_id"]) == ["A", "C", "D", "E"]
    assert "B" not in set(frames.lines["loan_id"])
