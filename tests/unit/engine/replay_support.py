"""Helpers for the replay tests: random books built with the domain's own types, and the parity check
against ``domain.ledger.replay`` (through ``engine.reference``)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import polars as pl
from hypothesis import strategies as st
from ledger_support import CALENDAR, policies

from qingshou.domain.calendar import BusinessCalendar
from qingshou.domain.errors import DomainError
from qingshou.domain.loan import Charge, ChargeKind, LoanTerms, Payment, RepaymentMethod, ScheduledInstallment
from qingshou.engine import schema
from qingshou.engine.book import Book
from qingshou.engine.calendar import CalendarFrame
from qingshou.engine.reference import LoanInputs, book_from_inputs, ledger_frames, reference_ledgers
from qingshou.engine.replay import replay_book

D = Decimal
ZERO = D("0.00")
START = date(2024, 1, 1)
CALENDAR_FRAME = CalendarFrame.of(CALENDAR)


def yuan(cents: int) -> Decimal:
    return (D(cents) / 100).quantize(D("0.01"))


def fen(low: int, high: int) -> st.SearchStrategy[Decimal]:
    return st.integers(min_value=low, max_value=high).map(yuan)


@st.composite
def schedules(draw: st.DrawFn, disbursed: date, longest: int = 5) -> tuple[ScheduledInstallment, ...]:
    """1–``longest`` installments roughly a month apart (sometimes a few days apart), fees now and then."""
    count = draw(st.integers(min_value=1, max_value=longest))
    rows, due = [], disbursed
    for seq in range(1, count + 1):
        due = due + timedelta(days=draw(st.sampled_from([3, 10, 28, 30, 31, 31, 45])))
        rows.append(
            ScheduledInstallment(
                seq,
                due,
                draw(fen(0, 2_000_00) if count > 1 else fen(1, 2_000_00)),
                draw(st.sampled_from([ZERO, D("15.00"), D("33.33")]) | fen(0, 80_00)),
                draw(st.sampled_from([ZERO, ZERO, ZERO, D("1.50")])),
            )
        )
    if sum((row.principal_due for row in rows), ZERO) == 0:
        rows[-1] = replace(rows[-1], principal_due=D("100.00"))
    return tuple(rows)


@st.composite
def payment_plans(
    draw: st.DrawFn, rows: tuple[ScheduledInstallment, ...], disbursed: date, tag: str
) -> tuple[Payment, ...]:
    """Per installment: on time in full (on the due date or a few days early), late in full (maybe with
    a little extra), partial, or nothing; then a few random payments (backdated, over-payments, several on
    one day)."""
    pays: list[Payment] = []
    for row in rows:
        total = row.total_due
        habit = draw(st.sampled_from(["on_time", "on_time", "early", "late", "partial", "none"]))
        if total == 0 or habit == "none":
            continue
        if habit == "on_time":
            pays.append(Payment(f"{tag}-i{row.seq}", row.due_date, total))
        elif habit == "early":
            day = max(row.due_date - timedelta(days=draw(st.integers(1, 5))), disbursed)
            pays.append(Payment(f"{tag}-i{row.seq}", day, total))
        elif habit == "late":
            extra = draw(st.sampled_from([ZERO, D("0.01"), D("5.00"), D("50.00")]))
            day = row.due_date + timedelta(days=draw(st.integers(1, 20)))
            pays.append(Payment(f"{tag}-i{row.seq}", day, total + extra))
        else:
            part = (total * draw(st.integers(10, 90)) / 100).quantize(D("0.01"))
            if part > 0:
                pays.append(Payment(f"{tag}-i{row.seq}", row.due_date, part))
    days = st.integers(0, 30 * len(rows) + 60).map(lambda offset: disbursed + timedelta(days=offset))
    others = draw(st.lists(st.tuples(days, fen(1, 1_500_00)), max_size=4))
    pays.extend(Payment(f"{tag}-x{i}", when, amount) for i, (when, amount) in enumerate(others))
    twice: bool = draw(st.booleans())
    if pays and twice:
        first = pays[0]
        pays.append(Payment(f"{tag}-same", first.paid_on, draw(fen(1, 300_00))))
    return tuple(pays)


@st.composite
def loans(draw: st.DrawFn, number: int, broken: bool = False, longest: int = 5) -> LoanInputs:
    """One random loan (``number`` makes its ids unique); ``broken`` sometimes breaks an invariant the
    domain refuses (schedule, payment before disbursement, repeated payment id, seqs)."""
    tag = f"L{number:03d}"
    disbursed = START + timedelta(days=draw(st.integers(0, 40)))
    rows = draw(schedules(disbursed, longest))
    base = draw(policies())
    policy = replace(
        base,
        product_id=f"P{number:03d}",
        prepayment=draw(st.booleans()),
        cap_charges_at_principal=draw(st.sampled_from([False, False, True])),
    )
    principal = sum((row.principal_due for row in rows), ZERO)
    accelerated = draw(
        st.none() | st.none() | st.integers(1, 150).map(lambda d: disbursed + timedelta(days=d))
    )
    terms = LoanTerms(
        loan_id=tag,
        product_id=policy.product_id,
        principal=principal,
        annual_rate=D(draw(st.sampled_from(["0", "0.0435", "0.18", "0.36", "0.2412345"]))),
        disbursed_on=disbursed,
        term_months=len(rows),
        method=RepaymentMethod.EQUAL_PRINCIPAL,
        accelerated_on=accelerated,
        borrower_id=f"B{number % 7}",
    )
    pays = draw(payment_plans(rows, disbursed, tag))
    posted = tuple(
        Charge(
            f"{tag}-c{i}",
            draw(st.sampled_from(list(ChargeKind))),
            disbursed + timedelta(days=draw(st.integers(0, 150))),
            draw(fen(1, 300_00)),
        )
        for i in range(draw(st.sampled_from([0, 0, 0, 1, 2])))
    )
    item = LoanInputs(terms, rows, pays, posted, policy)
    return _broken(draw, item) if broken and draw(st.integers(0, 5)) == 0 else item


def _broken(draw: st.DrawFn, item: LoanInputs) -> LoanInputs:
    how = draw(st.sampled_from(["principal", "before", "repeat", "seq", "due_order"]))
    terms, rows = item.terms, item.schedule
    if how == "principal":
        return replace(item, terms=replace(terms, principal=terms.principal + D("0.01")))
    if how == "before":
        early = Payment(f"{terms.loan_id}-early", terms.disbursed_on - timedelta(days=1), D("1.00"))
        return replace(item, payments=(*item.payments, early))
    if how == "repeat":
        again = Payment(f"{terms.loan_id}-dup", terms.disbursed_on, D("1.00"))
        return replace(item, payments=(*item.payments, again, again))
    if how == "seq":
        return replace(item, schedule=tuple(replace(row, seq=row.seq + 1) for row in rows))
    late_first = replace(rows[0], due_date=terms.disbursed_on)
    return replace(item, schedule=(late_first, *rows[1:]))


@st.composite
def books(draw: st.DrawFn, size: int = 25, broken: bool = False, longest: int = 5) -> list[LoanInputs]:
    """``size`` random loans (different disbursement days, policies, histories)."""
    return [draw(loans(number, broken, longest)) for number in range(size)]


def expected(book: Book, as_of: date, calendar: BusinessCalendar = CALENDAR) -> schema.LedgerFrames:
    """The domain's ledgers as the replay's frames, sorted (lines by loan, seq; charges by loan, id)."""
    ledgers = reference_ledgers(book, as_of, calendar)
    good = [ledger for ledger in ledgers.values() if not isinstance(ledger, DomainError)]
    lines, charges, loan_rows = ledger_frames(good)
    errors = pl.DataFrame(
        [
            {"loan_id": loan_id, "code": error.code, "message": error.message}
            for loan_id, error in ledgers.items()
            if isinstance(error, DomainError)
        ],
        schema=schema.ERRORS,
    )
    return _sorted(schema.LedgerFrames(lines, charges, loan_rows, errors))


def _sorted(frames: schema.LedgerFrames) -> schema.LedgerFrames:
    return schema.LedgerFrames(
        frames.lines.sort("loan_id", "seq"),
        frames.charges.sort("loan_id", "charge_id"),
        frames.loans.sort("loan_id"),
        frames.errors.sort("loan_id"),
    )


def replayed(
    book: Book,
    as_of: date,
    calendar: CalendarFrame = CALENDAR_FRAME,
    closed_form: bool = True,
    window: int = 4,
) -> schema.LedgerFrames:
    return _sorted(replay_book(book, as_of, calendar, closed_form=closed_form, window=window))


def assert_same_ledgers(got: schema.LedgerFrames, want: schema.LedgerFrames) -> None:
    """Row for row equality of lines, charges and loans; errors equal by (loan_id, code)."""
    _assert_frame(got.lines, want.lines, ["loan_id", "seq"])
    _assert_frame(got.charges, want.charges, ["loan_id", "charge_id"])
    _assert_frame(got.loans, want.loans, ["loan_id"])
    assert got.errors.select("loan_id", "code").to_dicts() == want.errors.select("loan_id", "code").to_dicts()


def _assert_frame(got: pl.DataFrame, want: pl.DataFrame, keys: list[str]) -> None:
    assert got.schema == want.schema
    assert got.select(keys).to_dicts() == want.select(keys).to_dicts()
    if got.equals(want):
        return
    joined = got.join(want, on=keys, suffix="_domain")
    for column in got.columns:
        if column in keys:
            continue
        wrong = joined.filter(pl.col(column).ne_missing(pl.col(f"{column}_domain")))
        assert wrong.height == 0, f"{column} differs:\n{wrong.select(*keys, column, f'{column}_domain')}"


def book_of(items: list[LoanInputs]) -> Book:
    return book_from_inputs(items)
