"""An independent, deliberately naive oracle for the ledger replay, compared with ``replay`` to the fen.

The oracle follows the written rules (conventions C2, C4, C5; docs/conventions.md "Ledger replay") literally
and slowly: it walks every calendar day from disbursement to ``as_of`` and keeps accruals as exact
``Fraction`` sums of one day at a time. On each day d:

1. each installment with due date < d accrues one day of penalty on its principal unpaid at the end of
   d − 1 and (compound on) one day of compound interest on its unpaid contractual interest, at
   annual_rate × (1 + markup) / day_count — exact;
2. each payment valued on d, in ``payment_id`` order, is an allocation event: every installment whose accrual
   is not contingent (d after its last on-time day, or already settled) has its exact accrual rounded to the
   fen and added to what it owes; then the payment goes down the waterfall, the rest is held as credit;
3. on a due date, held credit (oldest first) is applied as another allocation event;
4. at the end of d an installment whose principal, interest and fee are paid is settled; settled on or
   before its last on-time day (due date + grace), its contingent accrual is dropped.

At ``as_of`` the non-contingent accrual is rounded in (the report). Scope: no acceleration, no charges, no
cap, no prepayment, ``holiday_rule = none`` (so origin = effective due date = due date); both directions,
both roundings, both day counts, compound on/off, grace 0–5 days, any waterfall order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from ledger_support import CALENDAR, policies

from qingshou.domain.ledger import Ledger, replay
from qingshou.domain.loan import LoanTerms, Payment, RepaymentMethod, ScheduledInstallment
from qingshou.domain.money import Rounding
from qingshou.domain.policy import Component, Direction, ProductPolicy

D = Decimal
ZERO = D("0.00")
START = date(2024, 1, 1)
WINDOW = 200  # days after disbursement in which payments and as_of fall
ACCRUING = (Component.PENALTY, Component.COMPOUND)
CONTRACTUAL = (Component.PRINCIPAL, Component.INTEREST, Component.FEES)


def round_fen(exact: Fraction, rounding: Rounding) -> Decimal:
    """A non-negative exact amount of yuan rounded to the fen, half-up or down."""
    hundredths = exact * 100
    whole = (
        math.floor(hundredths + Fraction(1, 2)) if rounding is Rounding.HALF_UP else math.floor(hundredths)
    )
    return (D(whole) / 100).quantize(D("0.01"))


@dataclass
class Inst:
    """One installment in the oracle: what it owes, has paid, has accrued (fen) and holds exact."""

    row: ScheduledInstallment
    last_on_time: date
    paid: dict[Component, Decimal] = field(default_factory=lambda: dict.fromkeys(Component, ZERO))
    accrued: dict[Component, Decimal] = field(default_factory=lambda: dict.fromkeys(ACCRUING, ZERO))
    exact: dict[Component, Fraction] = field(default_factory=lambda: dict.fromkeys(ACCRUING, Fraction(0)))
    settled_on: date | None = None

    def owed(self, component: Component) -> Decimal:
        scheduled = {
            Component.PRINCIPAL: self.row.principal_due,
            Component.INTEREST: self.row.interest_due,
            Component.FEES: self.row.fee_due,
        }
        if component in ACCRUING:
            return self.accrued[component]
        return scheduled.get(component, ZERO)

    def unpaid(self, component: Component) -> Decimal:
        return self.owed(component) - self.paid[component]

    def contingent(self, day: date) -> bool:
        return day <= self.last_on_time and self.settled_on is None


@dataclass
class Held:
    """Unapplied credit: what is left of one payment."""

    payment_id: str
    amount: Decimal


class Oracle:
    """The naive day-by-day simulation of one loan (module docstring)."""

    def __init__(self, terms: LoanTerms, rows: list[ScheduledInstallment], policy: ProductPolicy) -> None:
        self.terms, self.policy = terms, policy
        self.daily = Fraction(terms.annual_rate) * (1 + Fraction(policy.penalty_markup)) / policy.day_count
        grace = timedelta(days=policy.grace_days)
        self.insts = [Inst(row, row.due_date + grace) for row in sorted(rows, key=lambda r: r.seq)]
        self.credit: list[Held] = []  # oldest first
        self.pieces: list[tuple[str, date, int, Component, Decimal]] = []  # every allocation, in order

    def run(self, payments: list[Payment], as_of: date) -> Oracle:
        day = self.terms.disbursed_on
        while day <= as_of:
            self.accrue_one_day(day)
            for payment in sorted((p for p in payments if p.paid_on == day), key=lambda p: p.payment_id):
                self.crystallise(day)
                rest = self.allocate(payment.payment_id, payment.amount, day)
                if rest > 0:
                    self.credit.append(Held(payment.payment_id, rest))
            if self.credit and any(i.row.due_date == day for i in self.insts):
                self.crystallise(day)
                self.apply_credit(day)
            self.settle(day)
            day += timedelta(days=1)
        self.crystallise(as_of)  # reported amounts
        return self

    def accrue_one_day(self, day: date) -> None:
        for inst in self.insts:
            if inst.row.due_date < day:
                inst.exact[Component.PENALTY] += Fraction(inst.unpaid(Component.PRINCIPAL)) * self.daily
                if self.policy.compound:
                    inst.exact[Component.COMPOUND] += Fraction(inst.unpaid(Component.INTEREST)) * self.daily

    def crystallise(self, day: date) -> None:
        for inst in self.insts:
            if inst.contingent(day):
                continue
            for component in ACCRUING:
                inst.accrued[component] += round_fen(inst.exact[component], self.policy.rounding)
                inst.exact[component] = Fraction(0)

    def steps(self, day: date) -> list[tuple[Inst, Component]]:
        order = self.policy.waterfall
        overdue = [i for i in self.insts if i.row.due_date < day]
        current = [i for i in self.insts if i.row.due_date == day]
        if self.policy.direction is Direction.VERTICAL:
            return [(i, c) for i in overdue + current for c in order]
        return [(i, c) for group in (overdue, current) for c in order for i in group]

    def allocate(self, payment_id: str, amount: Decimal, day: date) -> Decimal:
        left = amount
        for inst, component in self.steps(day):
            piece = min(left, inst.unpaid(component))
            if piece > 0:
                inst.paid[component] += piece
                left -= piece
                self.pieces.append((payment_id, day, inst.row.seq, component, piece))
        return left

    def apply_credit(self, day: date) -> None:
        for held in self.credit:
            held.amount = self.allocate(held.payment_id, held.amount, day)
            if held.amount > 0:
                break
        self.credit = [held for held in self.credit if held.amount > 0]

    def settle(self, day: date) -> None:
        for inst in self.insts:
            if inst.settled_on is None and all(inst.unpaid(c) == 0 for c in CONTRACTUAL):
                inst.settled_on = day
                if day <= inst.last_on_time:
                    inst.exact = dict.fromkeys(ACCRUING, Fraction(0))

    def unapplied_credit(self) -> Decimal:
        return sum((held.amount for held in self.credit), ZERO)


# --- comparing the oracle with replay ------------------------------------------------------------------


def figures_of_oracle(oracle: Oracle) -> list[tuple[object, ...]]:
    return [
        (
            i.row.seq,
            i.paid[Component.PRINCIPAL],
            i.paid[Component.INTEREST],
            i.paid[Component.FEES],
            i.accrued[Component.PENALTY],
            i.paid[Component.PENALTY],
            i.accrued[Component.COMPOUND],
            i.paid[Component.COMPOUND],
            i.settled_on,
        )
        for i in oracle.insts
    ]


def figures_of_ledger(ledger: Ledger) -> list[tuple[object, ...]]:
    return [
        (
            s.seq,
            s.principal_paid,
            s.interest_paid,
            s.fee_paid,
            s.penalty_accrued,
            s.penalty_paid,
            s.compound_accrued,
            s.compound_paid,
            s.settled_on,
        )
        for s in ledger.installments
    ]


def check(
    terms: LoanTerms,
    rows: list[ScheduledInstallment],
    pays: list[Payment],
    policy: ProductPolicy,
    as_of: date,
) -> tuple[Oracle, Ledger]:
    """Replay and run the oracle; assert they agree to the fen on every installment, on the credit and on
    every allocation (payment id, value date, installment, component, amount, in order)."""
    ledger = replay(terms, rows, pays, [], policy, CALENDAR, as_of)
    oracle = Oracle(terms, rows, policy).run(pays, as_of)
    assert figures_of_ledger(ledger) == figures_of_oracle(oracle)
    assert ledger.unapplied_credit == oracle.unapplied_credit()
    pieces = [(a.payment_id, a.value_date, a.seq, a.component, a.amount) for a in ledger.allocations]
    assert pieces == oracle.pieces
    return oracle, ledger


def make_terms(rows: list[ScheduledInstallment], annual_rate: str) -> LoanTerms:
    return LoanTerms(
        loan_id="L1",
        product_id="P1",
        principal=sum((row.principal_due for row in rows), ZERO),
        annual_rate=D(annual_rate),
        disbursed_on=START,
        term_months=len(rows),
        method=RepaymentMethod.EQUAL_PRINCIPAL,
    )


# --- random loans --------------------------------------------------------------------------------------


def fen(low: int, high: int) -> st.SearchStrategy[Decimal]:
    return st.integers(min_value=low, max_value=high).map(lambda cents: (D(cents) / 100).quantize(D("0.01")))


def day(low: int = 0, high: int = WINDOW) -> st.SearchStrategy[date]:
    return st.integers(min_value=low, max_value=high).map(lambda offset: START + timedelta(days=offset))


@st.composite
def schedules(draw: st.DrawFn) -> list[ScheduledInstallment]:
    count = draw(st.integers(min_value=1, max_value=4))
    return [
        ScheduledInstallment(
            seq,
            date(2024, 1 + seq, draw(st.integers(min_value=1, max_value=28))),
            draw(st.one_of(fen(1, 2_000_00), st.sampled_from([D("1000.00"), D("400.00"), D("0.01"), ZERO]))),
            draw(st.one_of(fen(0, 80_00), st.sampled_from([D("15.00"), D("6.00"), ZERO]))),
            draw(st.sampled_from([ZERO, ZERO, D("1.50")])),
        )
        for seq in range(1, count + 1)
    ]


@st.composite
def one_payment(draw: st.DrawFn, rows: list[ScheduledInstallment], total: Decimal) -> tuple[date, Decimal]:
    """A payment near some installment's due date (before, on, within or after grace) or on any day, of
    that installment's total, a partial amount, the whole loan or an over-payment."""
    row = draw(st.sampled_from(rows))
    when = draw(
        st.one_of(
            st.sampled_from([0, 0, -3, -1, 1, 2, 3, 4, 5, 6, 8]).map(
                lambda k: row.due_date + timedelta(days=k)
            ),
            day(),
        )
    )
    amount = draw(
        st.one_of(
            st.just(max(row.total_due, D("0.01"))),
            fen(1, max(int(row.total_due * 100) - 1, 1)),
            fen(1, 100_00),
            st.just(total),
            fen(int(total * 100), int(total * 100) + 50_000),
        )
    )
    return max(when, START), amount


@st.composite
def payment_lists(draw: st.DrawFn, rows: list[ScheduledInstallment]) -> list[Payment]:
    """1–6 payments; ids are drawn in a shuffled order, so id order and date order differ; some share a day."""
    total = sum((row.total_due for row in rows), ZERO)
    drawn = draw(st.lists(one_payment(rows, total), min_size=1, max_size=6))
    if len(drawn) > 1 and draw(st.booleans()):  # several payments on one day
        drawn[1] = (drawn[0][0], drawn[1][1])
    ids = draw(st.permutations([f"p{i:02d}" for i in range(len(drawn))]))
    return [Payment(pid, when, amount) for pid, (when, amount) in zip(ids, drawn, strict=True)]


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_replay_agrees_with_the_naive_oracle(data: st.DataObject) -> None:
    """C2/C4/C5: on random small loans, replay and the day-by-day oracle agree to the fen."""
    rows = data.draw(schedules())
    assume(sum(row.principal_due for row in rows) > 0)
    rate = data.draw(st.one_of(st.sampled_from(["0.05", "0.0435", "0.18", "0.24"]), st.integers(500, 2400)))
    annual_rate = rate if isinstance(rate, str) else str(D(rate) / 10000)
    pays = data.draw(payment_lists(rows))
    last_due = max(row.due_date for row in rows)
    around_last_due = st.integers(min_value=-20, max_value=60).map(lambda k: last_due + timedelta(days=k))
    as_of = max(START, data.draw(st.one_of(around_last_due, day())))
    check(make_terms(rows, annual_rate), rows, pays, data.draw(policies(holiday_rules=False)), as_of)


# --- explicit scenarios --------------------------------------------------------------------------------

TWO = [
    ScheduledInstallment(1, date(2024, 2, 1), D("1000.00"), D("15.00")),
    ScheduledInstallment(2, date(2024, 3, 1), D("1000.00"), D("15.00")),
]


def pay(*items: tuple[str, str, str]) -> list[Payment]:
    return [Payment(pid, date.fromisoformat(day), D(amount)) for pid, day, amount in items]


def build(**params: object) -> ProductPolicy:
    return ProductPolicy.build("P1", **params)


def test_nine_days_late_by_hand() -> None:
    """C4: due 1 Feb, paid 10 Feb → 9 days × 0.75 = 6.75 penalty; 9 × 0.01125 → 0.10 compound."""
    oracle, _ = check(
        make_terms(TWO, "0.18"), TWO, pay(("p1", "2024-02-10", "1021.85")), build(), date(2024, 2, 20)
    )
    first = oracle.insts[0]
    assert (first.accrued[Component.PENALTY], first.accrued[Component.COMPOUND]) == (D("6.75"), D("0.10"))
    assert first.settled_on == date(2024, 2, 10)


@pytest.mark.parametrize(
    ("paid_on", "amount", "penalty", "compound"),
    [
        ("2024-02-04", "1015.00", "0.00", "0.00"),  # paid in full on the last on-time day: dropped
        ("2024-02-05", "1018.05", "3.00", "0.05"),  # a day after grace: 4 days from the due date, paid
        # partial within grace: 3 days on 1000.00 + 6 on 15.00 = 2.3175; compound 3 × 0.01125
        ("2024-02-04", "1000.00", "2.32", "0.03"),
    ],
)
def test_grace_contingency(paid_on: str, amount: str, penalty: str, compound: str) -> None:
    """C2: with 3 days' grace the accrual is contingent until 4 Feb, then payable from the due date."""
    oracle, _ = check(
        make_terms(TWO, "0.18"), TWO, pay(("p1", paid_on, amount)), build(grace_days=3), date(2024, 2, 10)
    )
    first = oracle.insts[0]
    assert (first.accrued[Component.PENALTY], first.accrued[Component.COMPOUND]) == (D(penalty), D(compound))


@pytest.mark.parametrize("direction", ["horizontal", "vertical"])
@pytest.mark.parametrize("rounding", ["half_up", "down"])
def test_several_payments_one_day_and_credit_on_the_next_due_date(direction: str, rounding: str) -> None:
    """C5: two payments on one day (id order), an over-payment held and applied on the next due date."""
    pays = pay(("b", "2024-02-20", "600.00"), ("a", "2024-02-20", "700.00"), ("c", "2024-02-25", "900.00"))
    oracle, ledger = check(
        make_terms(TWO, "0.24"),
        TWO,
        pays,
        build(direction=direction, rounding=rounding, day_count=365),
        date(2024, 3, 20),
    )
    assert oracle.insts[0].settled_on == date(2024, 2, 20)
    assert oracle.insts[1].settled_on == date(2024, 3, 1)
    assert ledger.unapplied_credit > 0


@pytest.mark.parametrize("direction", ["horizontal", "vertical"])
def test_overdue_items_before_the_item_due_today(direction: str) -> None:
    """C5: paid on 1 Mar, 500.00 pays the overdue installment (penalty 29 × 0.75 = 21.75, compound
    29 × 0.01125 → 0.33, interest 15.00, principal 462.92) before the interest due that day (29 days: 2024 is a leap year)."""
    oracle, _ = check(
        make_terms(TWO, "0.18"),
        TWO,
        pay(("p1", "2024-03-01", "500.00")),
        build(direction=direction),
        date(2024, 3, 1),
    )
    first, second = oracle.insts
    assert (first.paid[Component.PENALTY], first.paid[Component.COMPOUND]) == (D("21.75"), D("0.33"))
    assert (first.paid[Component.PRINCIPAL], second.paid[Component.INTEREST]) == (D("462.92"), ZERO)


def test_paid_before_the_first_due_date_is_held_then_applied_on_it() -> None:
    """C5: a payment on the disbursement day is unapplied credit until the first due date, then pays it."""
    oracle, ledger = check(
        make_terms(TWO, "0.18"), TWO, pay(("p1", "2024-01-01", "1500.00")), build(), date(2024, 3, 5)
    )
    assert oracle.insts[0].settled_on == date(2024, 2, 1)
    assert oracle.insts[1].paid[Component.PRINCIPAL] == D("470.00")
    assert ledger.unapplied_credit == ZERO


def test_late_partial_payments_across_two_installments() -> None:
    """C4/C5: partial payments while both installments are overdue, compound off, custom order."""
    order = ",".join(
        c.value for c in (Component.COSTS, Component.FEES, Component.INTEREST, Component.PENALTY)
    )
    rows = [
        ScheduledInstallment(1, date(2024, 2, 5), D("333.33"), D("7.77"), D("1.50")),
        ScheduledInstallment(2, date(2024, 3, 5), D("333.34"), D("4.44")),
    ]
    policy = build(
        compound=False,
        waterfall=(*order.split(","), Component.COMPOUND.value, Component.PRINCIPAL.value),
        direction="vertical",
    )
    pays = pay(("x", "2024-03-10", "100.01"), ("y", "2024-03-17", "0.01"), ("z", "2024-04-30", "250.00"))
    check(make_terms(rows, "0.0435"), rows, pays, policy, date(2024, 5, 31))


class OffByOneOracle(Oracle):
    """A broken oracle: accrues on the due day itself as well (due date ≤ d instead of <)."""

    def accrue_one_day(self, day: date) -> None:
        super().accrue_one_day(day)
        for inst in self.insts:
            if inst.row.due_date == day:
                inst.exact[Component.PENALTY] += Fraction(inst.unpaid(Component.PRINCIPAL)) * self.daily


def test_the_comparison_catches_a_broken_oracle() -> None:
    """The comparison is not vacuous: an oracle that counts the due day is told apart from replay."""
    terms, pays, as_of = make_terms(TWO, "0.18"), pay(("p1", "2024-02-10", "1021.85")), date(2024, 2, 20)
    ledger = replay(terms, TWO, pays, [], build(), CALENDAR, as_of)
    broken = OffByOneOracle(terms, TWO, build()).run(pays, as_of)
    assert figures_of_ledger(ledger) != figures_of_oracle(broken)
