"""Engine parity with arrangements (issue 5 plans; C4, C5, C6, C7): random books whose loans carry waivers,
discounted settlements (acceleration + discount) and restructurings (the original closed by a restructure
payment, its successor loan observed under C6) — ``kernel.compute`` equals the domain's quote for every
loan and field, and refuses the same loans."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from derive_support import CAL, CAL_FRAME, as_of_days, assert_parity, loan, products, random_loan
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qingshou.domain.arrangements import PlanKind, PlanTerms, propose_plan
from qingshou.domain.classification import Restructuring
from qingshou.domain.errors import DomainError
from qingshou.domain.loan import LoanTerms, Payment, PaymentKind, RepaymentMethod
from qingshou.domain.money import to_fen
from qingshou.domain.policy import Component, LoanClass, ProductPolicy
from qingshou.domain.quote import Quote, quote_loan
from qingshou.engine import adjusted, kernel
from qingshou.engine.book import Book
from qingshou.engine.reference import LoanInputs, book_from_inputs, reference_quotes

PARITY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ARRANGEMENTS = ("none", "waiver", "waiver", "settlement", "plan", "plan")


def _quote(item: LoanInputs, as_of: date, terms: LoanTerms | None = None) -> Quote:
    return quote_loan(
        terms or item.terms,
        item.schedule,
        item.payments,
        item.charges,
        item.policy,
        CAL,
        as_of,
        restructurings=item.restructurings,
        interruptions=item.interruptions,
    )


def _day_in_life(draw: st.DrawFn, item: LoanInputs) -> date:
    first_due = item.schedule[0].due_date
    return first_due + timedelta(days=draw(st.integers(-10, 300)))


def _closing(item: LoanInputs, day: date) -> tuple[LoanTerms, Quote]:
    """The loan called early on ``day`` (an earlier call kept) and its quote at the end of ``day``."""
    called = item.terms.accelerated_on
    terms = replace(item.terms, accelerated_on=day if called is None or called > day else called)
    return terms, _quote(item, day, terms)


@st.composite
def waived(draw: st.DrawFn, item: LoanInputs) -> LoanInputs:
    """A waiver on W of part of what was unpaid of penalty / compound / fees at the end of W − 1 (C4, C5)."""
    day = _day_in_life(draw, item)
    if day - timedelta(days=1) < item.terms.disbursed_on:
        return item
    before = _quote(item, day - timedelta(days=1))
    unpaid = {
        Component.PENALTY: before.penalty_interest,
        Component.COMPOUND: before.compound_interest,
        Component.FEES: before.fees,
    }
    waivers = []
    for component, amount in sorted(unpaid.items()):
        share = to_fen(amount * Decimal(draw(st.integers(1, 100))) / 100)
        if share > 0 and draw(st.booleans()):
            waivers.append(Payment(f"w-{component}", day, share, PaymentKind.WAIVER, frozenset({component})))
    return replace(item, payments=(*item.payments, *waivers))


@st.composite
def settled(draw: st.DrawFn, item: LoanInputs, kind: PaymentKind) -> tuple[LoanInputs, Quote | None]:
    """Called early on a day S and closed by a non-cash payment of its payoff at the end of S."""
    day = _day_in_life(draw, item)
    if day < item.terms.disbursed_on:
        return item, None
    terms, closing = _closing(item, day)
    if closing.payoff_amount <= 0:
        return item, None
    payment = Payment(f"z-{kind}", day, closing.payoff_amount, kind)
    return replace(item, terms=terms, payments=(*item.payments, payment)), closing


@st.composite
def restructured(draw: st.DrawFn, item: LoanInputs) -> list[LoanInputs]:
    """The original closed by a plan on R and its successor loan, paid in some random way (C6, C7)."""
    closed, closing = draw(settled(item, PaymentKind.RESTRUCTURE))
    if closing is None:
        return [closed]
    plan = PlanTerms(
        PlanKind.INSTALMENTS,
        closing.as_of,
        draw(st.integers(1, 18)),
        item.terms.annual_rate,
        draw(st.sampled_from([RepaymentMethod.EQUAL_INSTALLMENT, RepaymentMethod.EQUAL_PRINCIPAL])),
        draw(st.sampled_from([frozenset(), frozenset({Component.PENALTY, Component.COMPOUND})])),
    )
    try:
        outcome = propose_plan(item.terms, closing, plan, f"{item.terms.loan_id}-R1")
    except DomainError:
        return [closed]
    rows = outcome.schedule
    skipped = draw(st.integers(0, len(rows)))
    late = draw(st.integers(0, 40))
    payments = tuple(
        Payment(
            f"s{row.seq:03d}", row.due_date + timedelta(days=late if row.seq == skipped else 0), row.total_due
        )
        for row in rows
        if (row.seq != skipped or late) and row.total_due > 0  # a tiny plan may have rows owing nothing
    )
    successor = LoanInputs(
        outcome.terms,
        rows,
        payments,
        (),
        item.policy,
        restructurings=(Restructuring(closing.as_of, closing.classification),),
    )
    return [closed, successor]


@st.composite
def arrangement_books(draw: st.DrawFn, count: int = 8) -> Book:
    """A book of random loans, each maybe waived, settled or restructured (with its successor)."""
    catalogue = [draw(products(f"P{index}")) for index in range(2)]
    items: list[LoanInputs] = []
    for index in range(count):
        item = draw(random_loan(f"L{index:03d}", draw(st.sampled_from(catalogue)), f"B{index % 3}"))
        arrangement = draw(st.sampled_from(ARRANGEMENTS))
        if arrangement == "waiver":
            items.append(draw(waived(item)))
        elif arrangement == "settlement":
            items.append(draw(settled(item, PaymentKind.DISCOUNT))[0])
        elif arrangement == "plan":
            items.extend(draw(restructured(item)))
        else:
            items.append(item)
    return book_from_inputs(items)


def assert_engine_parity(book: Book, as_of: date) -> None:
    """``kernel.compute`` equals the domain's quote field by field, and refuses the same loans."""
    result = kernel.compute(book, as_of, CAL_FRAME)
    assert_parity(result.snapshot, book, as_of)
    expected = reference_quotes(book, as_of, CAL).errors
    assert sorted(result.errors["loan_id"].to_list()) == sorted(expected["loan_id"].to_list())


@PARITY
@given(book=arrangement_books(), days=st.lists(as_of_days(200, 1800), min_size=2, max_size=3, unique=True))
def test_issue5_plans_engine_equals_the_domain_with_waivers_settlements_and_successors(
    book: Book, days: list[date]
) -> None:
    """C4–C7, issue 5 plans: every quote field of every loan, on as_of days before, on and after the
    arrangements."""
    for as_of in days:
        assert_engine_parity(book, as_of)


# --- hand cases -----------------------------------------------------------------------------------------

POLICY = ProductPolicy.build("P")


def test_c5_waiver_loans_take_the_domain_path_and_others_stay_columnar() -> None:
    """A waiver valued by as_of sends its loan through the domain; a later waiver does not (and is left out),
    nor do restructure and discount payments (they allocate as cash)."""
    base = loan("W", POLICY, disbursed_on=date(2024, 1, 15), months=3)
    waiver = Payment(
        "w", date(2024, 3, 20), Decimal("1.00"), PaymentKind.WAIVER, frozenset({Component.PENALTY})
    )
    discount = Payment("d", date(2024, 3, 20), Decimal("5.00"), PaymentKind.DISCOUNT)
    book = book_from_inputs(
        [replace(base, payments=(waiver,)), replace(loan("D", POLICY), payments=(discount,))]
    )
    assert adjusted.domain_loans(book.payments, date(2024, 3, 20)).to_list() == ["W"]
    assert adjusted.domain_loans(book.payments, date(2024, 3, 19)).to_list() == []
    for as_of in (date(2024, 3, 19), date(2024, 3, 20), date(2024, 6, 1)):
        assert_engine_parity(book, as_of)


def test_c5_a_waiver_above_the_unpaid_is_an_error_row_like_the_domain() -> None:
    base = loan("W", POLICY, disbursed_on=date(2024, 1, 15), months=3)
    waiver = Payment(
        "w", date(2024, 2, 20), Decimal("500.00"), PaymentKind.WAIVER, frozenset({Component.PENALTY})
    )
    book = book_from_inputs([replace(base, payments=(waiver,)), loan("OK", POLICY)])
    result = kernel.compute(book, date(2024, 3, 1), CAL_FRAME)
    assert result.errors.row(0, named=True)["loan_id"] == "W"
    assert "waiver w of 500.00" in result.errors.row(0, named=True)["message"]
    assert result.snapshot["loan_id"].to_list() == ["OK"]


@pytest.mark.parametrize(
    ("predecessor", "expected"),
    [
        (LoanClass.DOUBTFUL, "doubtful"),
        (LoanClass.SPECIAL_MENTION, "special_mention"),
        (None, "special_mention"),
    ],
)
def test_c6_the_engine_keeps_a_successor_at_its_observation_floor(
    predecessor: LoanClass | None, expected: str
) -> None:
    """C6: a successor paid on time stays at the predecessor's NPL class (or 关注) until 2 installments from
    the first due date are settled and a year has passed; a missed installment restarts the observation."""
    successor = loan("S", POLICY, disbursed_on=date(2024, 1, 15), months=24)
    on_time = tuple(Payment(f"p{row.seq:02d}", row.due_date, row.total_due) for row in successor.schedule)
    restructured = replace(
        successor, payments=on_time, restructurings=(Restructuring(date(2024, 1, 15), predecessor),)
    )
    book = book_from_inputs([restructured])
    for as_of in (
        date(2024, 1, 15),
        date(2024, 6, 1),
        date(2025, 2, 14),
        date(2025, 2, 15),
        date(2025, 5, 1),
    ):
        assert_engine_parity(book, as_of)
    snapshot = kernel.compute(book, date(2024, 6, 1), CAL_FRAME).snapshot
    assert snapshot["classification"].to_list() == [expected]
    after = kernel.compute(book, date(2025, 2, 15), CAL_FRAME).snapshot
    assert after["classification"].to_list() == ["normal"]


def test_c6_a_miss_restarts_the_observation_in_the_engine_as_in_the_domain() -> None:
    """C6: installment 5 (due 15 Jun 2024) paid 9 days late restarts the observation at the next due date
    (15 Jul 2024): the 次级 floor holds until 15 Jul 2025, not 15 Feb 2025."""
    successor = loan("S", POLICY, disbursed_on=date(2024, 1, 15), months=24)
    pays = tuple(
        Payment(
            f"p{row.seq:02d}", row.due_date + timedelta(days=9 if row.seq == 5 else 0), row.total_due + 10
        )
        for row in successor.schedule
    )
    restructuring = Restructuring(date(2024, 1, 15), LoanClass.SUBSTANDARD)
    book = book_from_inputs([replace(successor, payments=pays, restructurings=(restructuring,))])
    days = [date(2024, 6, 16), date(2024, 6, 25), date(2025, 2, 15), date(2025, 7, 14), date(2025, 7, 15)]
    for as_of in days:
        assert_engine_parity(book, as_of)
    classes = [kernel.compute(book, day, CAL_FRAME).snapshot["classification"][0] for day in days[-2:]]
    assert classes == ["substandard", "normal"]


def test_c5_a_discount_on_the_day_of_the_last_cash_closes_the_loan_in_both() -> None:
    """Issue 5 settlements: cash and the discount on S (the discount's id sorting first): the ledger
    applies the cash first, the engine sums the day — the same loan, closed, in both."""
    base = loan("S", POLICY, disbursed_on=date(2024, 1, 15), months=6)
    day = date(2024, 5, 20)
    cash = Payment("zz-cash", day, Decimal("3000.00"))
    terms, closing = _closing(replace(base, payments=(cash,)), day)
    discount = Payment("aa-discount", day, closing.payoff_amount, PaymentKind.DISCOUNT)
    book = book_from_inputs([replace(base, terms=terms, payments=(cash, discount))])
    for as_of in (day, date(2024, 8, 1)):
        assert_engine_parity(book, as_of)
    snapshot = kernel.compute(book, date(2024, 8, 1), CAL_FRAME).snapshot
    assert snapshot.select("payoff_amount_fen", "dpd", "unapplied_credit_fen").row(0) == (0, 0, 0)
