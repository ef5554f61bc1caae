"""The waterfall, on its own (C5): order of the owed steps, and allocate() paying down them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qingshou.domain.allocation import Debt, Owed, allocate, waterfall
from qingshou.domain.errors import LedgerError
from qingshou.domain.policy import Component, ProductPolicy

D = Decimal
C = Component
P = date(2024, 3, 10)  # the value date of every test here


def inst(seq: int, due: date, **owed: str) -> Debt:
    return Debt(due, seq, None, {C(k): D(v) for k, v in owed.items()})


def charge(cid: str, kind: str, posted: date, amount: str) -> Debt:
    return Debt(posted, None, cid, {C(kind): D(amount)})


def steps(debts: list[Debt], **params: object) -> list[tuple[str, str, str]]:
    order = waterfall(debts, P, ProductPolicy.build("P1", **params))
    return [
        (str(s.seq if s.seq is not None else s.charge_id), s.component.value, str(s.amount)) for s in order
    ]


#: Two overdue installments (Feb, early Mar) and one due today; the Apr one is not yet due.
BOOK = [
    inst(2, date(2024, 3, 1), penalty="6.75", compound="0.10", interest="15.00", principal="1000.00"),
    inst(1, date(2024, 2, 1), penalty="28.50", compound="0.43", interest="15.00", principal="1000.00"),
    inst(3, P, interest="15.00", principal="1000.00"),
    inst(4, date(2024, 4, 10), fees="1.00", interest="15.00", principal="1000.00"),
]


def test_horizontal_is_component_by_component_over_overdue_then_current() -> None:
    """C5 default: each component across the overdue items oldest first, then the items due today."""
    assert steps(BOOK) == [
        ("1", "penalty", "28.50"),
        ("2", "penalty", "6.75"),
        ("1", "compound", "0.43"),
        ("2", "compound", "0.10"),
        ("1", "interest", "15.00"),
        ("2", "interest", "15.00"),
        ("1", "principal", "1000.00"),
        ("2", "principal", "1000.00"),
        ("3", "interest", "15.00"),
        ("3", "principal", "1000.00"),
    ]


def test_vertical_finishes_each_item_before_the_next() -> None:
    """C5 vertical: item by item, oldest first, every component of an item before the next."""
    assert steps(BOOK, direction="vertical") == [
        ("1", "penalty", "28.50"),
        ("1", "compound", "0.43"),
        ("1", "interest", "15.00"),
        ("1", "principal", "1000.00"),
        ("2", "penalty", "6.75"),
        ("2", "compound", "0.10"),
        ("2", "interest", "15.00"),
        ("2", "principal", "1000.00"),
        ("3", "interest", "15.00"),
        ("3", "principal", "1000.00"),
    ]


def test_custom_order_is_followed() -> None:
    """C5 per product custom order: principal first, then interest, then the rest."""
    order = "principal,interest,costs,fees,penalty,compound"
    assert steps(BOOK[:2], waterfall=order) == [
        ("1", "principal", "1000.00"),
        ("2", "principal", "1000.00"),
        ("1", "interest", "15.00"),
        ("2", "interest", "15.00"),
        ("1", "penalty", "28.50"),
        ("2", "penalty", "6.75"),
        ("1", "compound", "0.43"),
        ("2", "compound", "0.10"),
    ]


def test_prepayment_appends_the_installments_not_yet_due_vertically() -> None:
    """C5: with prepayment the remainder pays not-yet-due installments: fees, interest, principal of each."""
    with_prepay = steps(BOOK, prepayment=True)
    assert with_prepay[:-3] == steps(BOOK)
    assert with_prepay[-3:] == [
        ("4", "fees", "1.00"),
        ("4", "interest", "15.00"),
        ("4", "principal", "1000.00"),
    ]


def test_charges_come_first_by_component_and_by_date_after_installments() -> None:
    """C5: costs → fees first; on one date the installment precedes the charge; later postings excluded."""
    debts = [
        inst(1, date(2024, 2, 1), fees="2.00", interest="15.00", principal="100.00"),
        charge("F1", "fees", date(2024, 2, 1), "50.00"),
        charge("C2", "costs", date(2024, 2, 5), "300.00"),
        charge("C1", "costs", date(2024, 2, 5), "200.00"),
        charge("C9", "costs", date(2024, 3, 20), "999.00"),  # posted after the value date: not owed
    ]
    assert steps(debts) == [
        ("C1", "costs", "200.00"),
        ("C2", "costs", "300.00"),
        ("1", "fees", "2.00"),
        ("F1", "fees", "50.00"),
        ("1", "interest", "15.00"),
        ("1", "principal", "100.00"),
    ]


def test_allocate_pays_in_order_and_returns_the_remainder() -> None:
    order = (Owed(1, None, C.PENALTY, D("3.00")), Owed(1, None, C.INTEREST, D("15.00")))
    applied, rest = allocate(D("10.00"), order)
    assert [(a.component, a.amount) for a in applied] == [(C.PENALTY, D("3.00")), (C.INTEREST, D("7.00"))]
    assert rest == D("0.00")
    applied, rest = allocate(D("20.00"), order)
    assert sum(a.amount for a in applied) == D("18.00")
    assert rest == D("2.00")


def test_allocate_refuses_a_negative_amount() -> None:
    with pytest.raises(LedgerError):
        allocate(D("-1.00"), ())


amounts = st.integers(min_value=0, max_value=10_000_00).map(lambda fen: (D(fen) / 100).quantize(D("0.01")))


@settings(max_examples=200, deadline=None)
@given(amount=amounts, owed=st.lists(amounts, max_size=8))
def test_allocate_conserves_money(amount: Decimal, owed: list[Decimal]) -> None:
    """C5/C9: pieces + remainder = amount exactly; no step gets more than it owes; nothing negative."""
    order = [Owed(i + 1, None, C.PRINCIPAL, value) for i, value in enumerate(owed)]
    applied, rest = allocate(amount, order)
    assert sum((a.amount for a in applied), D("0.00")) + rest == amount
    assert rest >= 0
    assert all(0 < a.amount <= order[a.seq - 1].amount for a in applied if a.seq is not None)
    assert rest == 0 or sum(a.amount for a in applied) == sum(owed)
