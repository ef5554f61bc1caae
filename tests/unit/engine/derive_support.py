"""Helpers for the derive tests: feed the domain's own ledgers into ``derive_snapshot`` and compare its quote
fields with ``reference_quotes`` loan by loan, field by field; random books for the parity properties.

The ledgers come from ``reference.reference_ledgers`` (the domain replay), so these tests check the
derivation alone — delinquency, amounts, classification, limitation — whatever the engine's replay does.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import polars as pl
from hypothesis import strategies as st
from ledger_support import policies

from qingshou.calendars import china_calendar
from qingshou.domain.calendar import BusinessCalendar
from qingshou.domain.errors import DomainError
from qingshou.domain.ledger import Ledger
from qingshou.domain.limitation import Interruption
from qingshou.domain.loan import Charge, ChargeKind, LoanTerms, Payment, RepaymentMethod, ScheduledInstallment
from qingshou.domain.money import from_fen
from qingshou.domain.policy import ProductPolicy
from qingshou.domain.schedule import add_months, build_schedule
from qingshou.engine import schema
from qingshou.engine.book import Book, product_policy
from qingshou.engine.calendar import CalendarFrame
from qingshou.engine.derive import derive_snapshot
from qingshou.engine.reference import (
    LoanInputs,
    book_from_inputs,
    ledger_frames,
    product_row,
    reference_ledgers,
    reference_quotes,
)

CAL = china_calendar()
CAL_FRAME = CalendarFrame.of(CAL)
_DAY = timedelta(days=1)

#: Disbursements fall in the year after this day; as_of dates up to ~5 years later (China's calendar data
#: ends in 2026, so late limitation expiries are unconfirmed while early ones are moved off holidays).
START = date(2021, 3, 1)
STATE_FIELDS = ("npl_held_class", "npl_cured_on", "npl_state_on")


def ledgers_of(book: Book, as_of: date, calendar: BusinessCalendar = CAL) -> schema.LedgerFrames:
    """The domain's ledgers of ``book`` as the replay's frames (loans the domain refuses become errors)."""
    replayed = reference_ledgers(book, as_of, calendar)
    good = [item for item in replayed.values() if isinstance(item, Ledger)]
    errors = [
        {"loan_id": loan_id, "code": item.code, "message": item.message}
        for loan_id, item in replayed.items()
        if isinstance(item, DomainError)
    ]
    lines, charges, loans = ledger_frames(good)
    return schema.LedgerFrames(lines, charges, loans, pl.DataFrame(errors, schema=schema.ERRORS))


def derived(
    book: Book,
    as_of: date,
    previous: pl.DataFrame | None = None,
    calendar: BusinessCalendar = CAL,
    frame: CalendarFrame | None = None,
) -> pl.DataFrame:
    """``derive_snapshot`` of ``book`` at ``as_of`` over the domain's ledgers."""
    cal_frame = frame if frame is not None else (CAL_FRAME if calendar is CAL else CalendarFrame.of(calendar))
    return derive_snapshot(book, ledgers_of(book, as_of, calendar), as_of, cal_frame, previous)


def differences(
    snapshot: pl.DataFrame, book: Book, as_of: date, calendar: BusinessCalendar = CAL
) -> list[str]:
    """Every (loan, field) where ``snapshot`` differs from the domain's quote, as readable lines."""
    expected = reference_quotes(book, as_of, calendar).rows.sort("loan_id")
    got = snapshot.select(list(schema.QUOTE_FIELDS)).sort("loan_id")
    if got["loan_id"].to_list() != expected["loan_id"].to_list():
        return [f"loans differ: {got['loan_id'].to_list()} vs {expected['loan_id'].to_list()}"]
    problems: list[str] = []
    for mine, domain in zip(got.iter_rows(named=True), expected.iter_rows(named=True), strict=True):
        problems.extend(
            f"{as_of} {mine['loan_id']} {name}: engine {mine[name]!r} domain {domain[name]!r}"
            for name in schema.QUOTE_FIELDS
            if mine[name] != domain[name]
        )
    return problems


def assert_parity(snapshot: pl.DataFrame, book: Book, as_of: date, calendar: BusinessCalendar = CAL) -> None:
    """The snapshot's QUOTE_FIELDS equal the domain's quotes for every loan and field."""
    problems = differences(snapshot, book, as_of, calendar)
    assert not problems, "\n".join(problems[:20])


def row(snapshot: pl.DataFrame, loan_id: str) -> dict[str, Any]:
    """The snapshot row of one loan."""
    return snapshot.filter(pl.col("loan_id") == loan_id).row(0, named=True)


def loan(
    loan_id: str,
    policy: ProductPolicy,
    payments: tuple[Payment, ...] = (),
    *,
    principal: str = "12000",
    rate: str = "0.1825",
    disbursed_on: date = date(2024, 1, 15),
    months: int = 12,
    method: RepaymentMethod = RepaymentMethod.EQUAL_INSTALLMENT,
    accelerated_on: date | None = None,
    charges: tuple[Charge, ...] = (),
    borrower: str = "B1",
    first_due_date: date | None = None,
) -> LoanInputs:
    """A loan built from terms with the domain's own schedule."""
    terms = LoanTerms(
        loan_id,
        policy.product_id,
        Decimal(principal),
        Decimal(rate),
        disbursed_on,
        months,
        method,
        first_due_date=first_due_date,
        accelerated_on=accelerated_on,
        borrower_id=borrower,
    )
    return LoanInputs(terms, build_schedule(terms), payments, charges, policy)


def paid_installments(
    item: LoanInputs, when: dict[int, date], *, extra: str = "0", prefix: str = "p"
) -> tuple[Payment, ...]:
    """Payments of the whole installment ``seq`` (plus ``extra`` yuan for penalty) on the given days."""
    rows = {row.seq: row for row in item.schedule}
    return tuple(
        Payment(f"{prefix}{seq:03d}", day, rows[seq].total_due + Decimal(extra)) for seq, day in when.items()
    )


def with_payments(item: LoanInputs, payments: tuple[Payment, ...]) -> LoanInputs:
    """The same loan with ``payments``."""
    return replace(item, payments=payments)


# --- random books ----------------------------------------------------------------------------------------


@st.composite
def products(draw: st.DrawFn, product_id: str) -> ProductPolicy:
    """A random product (the ledger tests' policies, retail or card, with or without prepayment and cap),
    as the book stores it (buckets and floors are the defaults of its kind)."""
    base = draw(policies())
    stored = product_row(base) | {
        "product_id": product_id,
        "kind": draw(st.sampled_from(["retail", "retail", "card"])),
        "prepayment": draw(st.booleans()),
        "cap_charges_at_principal": draw(st.sampled_from([False, False, True])),
    }
    return product_policy(stored)


#: How one installment is paid: on time (within grace), late by some days, with the catch-up payment,
#: partly, or never.
BEHAVIOURS = ("on_time", "on_time", "late", "very_late", "catch_up", "catch_up", "partial", "never")


@st.composite
def installment_payments(
    draw: st.DrawFn, row: ScheduledInstallment, policy: ProductPolicy, catch_up: date
) -> list[tuple[date, Decimal]]:
    """(day, amount) payments for one installment following a random behaviour."""
    behaviour = draw(st.sampled_from(BEHAVIOURS))
    total = row.total_due
    if behaviour == "never" or total == 0:
        return []
    if behaviour == "on_time":
        return [(row.due_date + timedelta(days=draw(st.integers(-20, policy.grace_days))), total)]
    if behaviour == "late":
        return [(row.due_date + timedelta(days=draw(st.integers(1, 60))), total * Decimal("1.1"))]
    if behaviour == "very_late":
        return [(row.due_date + timedelta(days=draw(st.integers(85, 420))), total * Decimal("1.4"))]
    if behaviour == "catch_up":
        return [(max(catch_up, row.due_date - timedelta(days=25)), total * Decimal("1.5"))]
    return [(row.due_date + timedelta(days=draw(st.integers(-5, 90))), total / 2)]


@st.composite
def random_loan(draw: st.DrawFn, loan_id: str, policy: ProductPolicy, borrower: str) -> LoanInputs:
    """A loan with a random schedule and a payment history mixing on-time, late, catch-up and missing
    payments (long delinquencies reaching NPL, cures, relapses), maybe accelerated, maybe with charges."""
    disbursed = START + timedelta(days=draw(st.integers(0, 400)))
    months = draw(st.integers(1, 12))
    terms = LoanTerms(
        loan_id,
        policy.product_id,
        from_fen(draw(st.integers(100_00, 50_000_00))),
        Decimal(draw(st.sampled_from(["0", "0.0435", "0.18", "0.24"]))),
        disbursed,
        months,
        draw(st.sampled_from(list(RepaymentMethod))),
        first_due_date=draw(st.none() | st.integers(10, 45).map(lambda n: disbursed + timedelta(days=n))),
        borrower_id=borrower,
    )
    schedule = build_schedule(terms)
    last_due = schedule[-1].due_date
    if draw(st.integers(0, 5)) == 0:
        terms = replace(terms, accelerated_on=disbursed + timedelta(days=draw(st.integers(0, 500))))
    catch_up = schedule[0].due_date + timedelta(days=draw(st.integers(60, 500)))
    pays: list[tuple[date, Decimal]] = []
    for row in schedule:
        pays.extend(draw(installment_payments(row, policy, catch_up)))
    if draw(st.booleans()):  # payments after the end: limitation interruptions, some after a long gap
        pays.extend(
            (last_due + timedelta(days=draw(st.integers(1, 1400))), Decimal("10.00"))
            for _ in range(draw(st.integers(1, 3)))
        )
    payments = tuple(
        Payment(f"p{index:02d}", max(day, disbursed), amount.quantize(Decimal("0.01")))
        for index, (day, amount) in enumerate(pays)
        if amount > 0
    )
    charges = tuple(
        Charge(
            f"c{index}",
            draw(st.sampled_from(list(ChargeKind))),
            disbursed + timedelta(days=draw(st.integers(0, 600))),
            from_fen(draw(st.integers(1, 300_00))),
        )
        for index in range(draw(st.integers(0, 2)))
    )
    interruptions = tuple(  # C7: stored acts (delivered demands, promises) before, during and after the term
        Interruption(
            last_due + timedelta(days=draw(st.integers(-200, 1500))),
            draw(st.sampled_from(["demand_delivered", "promise_to_pay", "suit_filed"])),
            "receipt",
        )
        for _ in range(draw(st.integers(0, 3)))
    )
    return LoanInputs(terms, schedule, payments, charges, policy, interruptions=interruptions)


@st.composite
def books(draw: st.DrawFn, min_loans: int = 6, max_loans: int = 14) -> Book:
    """A book of several loans over 2–3 products and a few borrowers."""
    catalogue = [draw(products(f"P{index}")) for index in range(draw(st.integers(2, 3)))]
    count = draw(st.integers(min_loans, max_loans))
    items = [
        draw(
            random_loan(
                f"L{index:03d}",
                draw(st.sampled_from(catalogue)),
                f"B{draw(st.integers(0, max(1, count // 2)))}",
            )
        )
        for index in range(count)
    ]
    return book_from_inputs(items)


def as_of_days(low: int = 0, high: int = 2000) -> st.SearchStrategy[date]:
    """as_of dates spread over the loans' lives (and well after, for limitation)."""
    return st.integers(low, high).map(lambda offset: START + timedelta(days=offset))


def month_after(day: date, months: int = 1) -> date:
    """``day`` moved by ``months`` months (the schedule's clamp)."""
    return add_months(day, months)


#: After the catch-up: paid on time, a few days late (a miss), prepaid with the catch-up, or never.
AFTER_CURE = ("on_time", "on_time", "on_time", "late", "prepaid", "never")
CURE_START = date(2022, 1, 10)


@st.composite
def cure_loan(draw: st.DrawFn, loan_id: str, policy: ProductPolicy) -> tuple[LoanInputs, date]:
    """A loan that goes NPL, is caught up on a day 95–200 days after its first due date, and then pays
    each later installment on time, a little late, in advance or never (C6: cures, releases by 2 on-time
    installments or 6 months, restarts on a miss, relapses). Returns the loan and its catch-up day."""
    item = loan(
        loan_id,
        policy,
        disbursed_on=CURE_START + timedelta(days=draw(st.integers(0, 20))),
        months=draw(st.integers(3, 12)),
        principal=str(draw(st.integers(1_000, 30_000))),
        method=draw(st.sampled_from(list(RepaymentMethod))),
    )
    catch_up = item.schedule[0].due_date + timedelta(days=draw(st.integers(95, 200)))
    arrears = sum((row.total_due for row in item.schedule if row.due_date <= catch_up), Decimal(0))
    pays: list[Payment] = [
        Payment("a-catch-up", catch_up, (arrears * Decimal("1.3")).quantize(Decimal("0.01")))
    ]
    for row in item.schedule:
        if row.due_date <= catch_up:
            continue
        behaviour = draw(st.sampled_from(AFTER_CURE))
        day = {
            "on_time": row.due_date - timedelta(days=draw(st.integers(0, 5))),
            "late": row.due_date + timedelta(days=policy.grace_days + draw(st.integers(1, 12))),
            "prepaid": catch_up,
            "never": None,
        }[behaviour]
        if day is not None:
            pays.append(
                Payment(f"p{row.seq:03d}", day, (row.total_due * Decimal("1.05")).quantize(Decimal("0.01")))
            )
    return with_payments(item, tuple(pays)), catch_up


@st.composite
def cure_books(draw: st.DrawFn, count: int = 8) -> tuple[Book, date]:
    """A book of ``count`` cure loans (retail and card products) and the first catch-up day."""
    catalogue = [
        product_policy(product_row(ProductPolicy.build("R", grace_days=draw(st.integers(0, 3))))),
        product_policy(product_row(ProductPolicy.build("C", kind="card", holiday_rule="next_business_day"))),
    ]
    made = [draw(cure_loan(f"L{index:02d}", draw(st.sampled_from(catalogue)))) for index in range(count)]
    return book_from_inputs([item for item, _ in made]), min(day for _, day in made)
