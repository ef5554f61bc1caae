"""Properties of the ledger replay over random loans (C1, C4, C5, C9), checked with hypothesis."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ledger_support import CALENDAR, policies

from qingshou.domain.ledger import Ledger, replay
from qingshou.domain.loan import Charge, ChargeKind, LoanTerms, Payment, RepaymentMethod, ScheduledInstallment
from qingshou.domain.policy import ProductPolicy

D = Decimal
ZERO = D("0.00")
START = date(2024, 1, 1)
WINDOW = 240  # days after disbursement where facts and as_of dates fall

PROPERTY_SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def fen(low: int, high: int) -> st.SearchStrategy[Decimal]:
    return st.integers(min_value=low, max_value=high).map(lambda cents: (D(cents) / 100).quantize(D("0.01")))


def day(low: int = 0, high: int = WINDOW) -> st.SearchStrategy[date]:
    return st.integers(min_value=low, max_value=high).map(lambda offset: START + timedelta(days=offset))


@dataclass(frozen=True)
class Case:
    terms: LoanTerms
    rows: tuple[ScheduledInstallment, ...]
    payments: tuple[Payment, ...]
    charges: tuple[Charge, ...]
    policy: ProductPolicy

    def at(self, as_of: date, payments: tuple[Payment, ...] | None = None) -> Ledger:
        given = self.payments if payments is None else payments
        return replay(self.terms, self.rows, given, self.charges, self.policy, CALENDAR, as_of)


@st.composite
def cases(draw: st.DrawFn) -> Case:
    count = draw(st.integers(min_value=1, max_value=4))
    rows = tuple(
        ScheduledInstallment(
            seq,
            date(2024, 1 + seq, draw(st.integers(min_value=1, max_value=28))),
            draw(fen(1, 2_000_00)),
            draw(fen(0, 80_00)),
            draw(st.sampled_from([ZERO, ZERO, D("1.50")])),
        )
        for seq in range(1, count + 1)
    )
    terms = LoanTerms(
        loan_id="L1",
        product_id="P1",
        principal=sum((row.principal_due for row in rows), ZERO),
        annual_rate=D(draw(st.sampled_from(["0", "0.0435", "0.18", "0.36"]))),
        disbursed_on=START,
        term_months=count,
        method=RepaymentMethod.EQUAL_PRINCIPAL,
        accelerated_on=draw(st.none() | day(1)),
    )
    amounts = draw(st.lists(fen(1, 1_500_00), max_size=6))
    ids = draw(st.permutations([f"p{i:02d}" for i in range(len(amounts))]))
    pays = tuple(Payment(pid, draw(day()), amount) for pid, amount in zip(ids, amounts, strict=True))
    posted = tuple(
        Charge(f"c{i}", draw(st.sampled_from(list(ChargeKind))), draw(day()), draw(fen(1, 300_00)))
        for i in range(draw(st.integers(min_value=0, max_value=2)))
    )
    return Case(terms, rows, pays, posted, draw(policies()))


def applied(case: Case, as_of: date) -> Decimal:
    return sum((p.amount for p in case.payments if p.paid_on <= as_of), ZERO)


@PROPERTY_SETTINGS
@given(case=cases(), as_of=day())
def test_money_is_conserved(case: Case, as_of: date) -> None:
    """C5/C9: Σ payments valued by as_of = Σ allocations + unapplied credit; no payment over-allocated."""
    ledger = case.at(as_of)
    assert sum((a.amount for a in ledger.allocations), ZERO) + ledger.unapplied_credit == applied(case, as_of)
    for payment in case.payments:
        used = sum((a.amount for a in ledger.allocations if a.payment_id == payment.payment_id), ZERO)
        assert used <= payment.amount
    assert all(a.amount > 0 for a in ledger.allocations)


@PROPERTY_SETTINGS
@given(case=cases(), as_of=day())
def test_nothing_unpaid_is_negative_and_everything_is_at_the_fen(case: Case, as_of: date) -> None:
    """C9: unpaid amounts never go negative; every reported amount has exactly two decimals."""
    ledger = case.at(as_of)
    assert ledger.unapplied_credit >= 0
    for row in ledger.installments:
        unpaid = (
            row.principal_unpaid,
            row.interest_unpaid,
            row.fee_unpaid,
            row.penalty_unpaid,
            row.compound_unpaid,
        )
        assert all(value >= 0 for value in unpaid), row
        assert all(
            value.as_tuple().exponent == -2 for value in (*unpaid, row.penalty_accrued, row.compound_accrued)
        )
        assert row.is_settled == (row.principal_unpaid + row.interest_unpaid + row.fee_unpaid == 0)
    assert all(charge.unpaid >= 0 for charge in ledger.charges)
    assert all(a.amount.as_tuple().exponent == -2 for a in ledger.allocations)


@PROPERTY_SETTINGS
@given(case=cases(), as_of=day(), seed=st.integers(min_value=0, max_value=2**16))
def test_the_order_facts_are_given_in_does_not_matter(case: Case, as_of: date, seed: int) -> None:
    """C1/C5: the replay is a function of the set of payments and charges, not of their order."""
    shuffle = random.Random(seed)
    pays, posted = list(case.payments), list(case.charges)
    shuffle.shuffle(pays)
    shuffle.shuffle(posted)
    assert replace(case, payments=tuple(pays), charges=tuple(posted)).at(as_of) == case.at(as_of)


@PROPERTY_SETTINGS
@given(case=cases(), as_of=day(30), backdated=day(1), amount=fen(1, 1_500_00))
def test_a_backdated_payment_added_later_equals_a_fresh_replay(
    case: Case, as_of: date, backdated: date, amount: Decimal
) -> None:
    """C5: posting a payment valued in the past, after the others, gives the ledger a fresh replay of all
    the payments gives — whatever was replayed before (allocations are derived data)."""
    late = Payment("zz-backdated", backdated, amount)
    case.at(as_of)  # the ledger as it stood before the backdated payment was known
    posted_later = case.at(as_of, (*case.payments, late))
    fresh = case.at(as_of, tuple(sorted((*case.payments, late), key=lambda p: (p.paid_on, p.payment_id))))
    assert posted_later == fresh


@PROPERTY_SETTINGS
@given(case=cases(), first=day(), gap=st.integers(min_value=1, max_value=120))
def test_accruals_never_decrease_while_no_payment_arrives(case: Case, first: date, gap: int) -> None:
    """C4: with no payment (or charge) after ``first``, reported penalty and compound never decrease as
    as_of advances — per installment, and for the loan as a whole under the cap."""
    quiet = replace(
        case,
        payments=tuple(p for p in case.payments if p.paid_on <= first),
        charges=tuple(c for c in case.charges if c.posted_on <= first),
    )
    before, after = quiet.at(first), quiet.at(first + timedelta(days=gap))
    pairs = list(zip(before.installments, after.installments, strict=True))
    assert sum(b.penalty_accrued + b.compound_accrued for b, _ in pairs) <= sum(
        a.penalty_accrued + a.compound_accrued for _, a in pairs
    )
    if not case.policy.cap_charges_at_principal:
        for b, a in pairs:
            assert b.penalty_accrued <= a.penalty_accrued
            assert b.compound_accrued <= a.compound_accrued


@PROPERTY_SETTINGS
@given(case=cases(), as_of=day())
def test_cap_keeps_charges_within_the_principal(case: Case, as_of: date) -> None:
    """C4 cap: with no fee charges, penalty + compound never exceed principal − contractual interest and
    fees (0 when those already reach the principal)."""
    capped = replace(
        case,
        policy=replace(case.policy, cap_charges_at_principal=True),
        charges=tuple(c for c in case.charges if c.kind is ChargeKind.COST),
    )
    ledger = capped.at(as_of)
    contractual = sum((row.interest_due + row.fee_due for row in ledger.installments), ZERO)
    accrued = sum((row.penalty_accrued + row.compound_accrued for row in ledger.installments), ZERO)
    assert accrued <= max(case.terms.principal - contractual, ZERO)


@PROPERTY_SETTINGS
@given(case=cases())
def test_paying_every_installment_on_its_due_date_accrues_nothing(case: Case) -> None:
    """C2/C4: each installment paid in full on its due date is on time: no penalty, no compound."""
    on_time = tuple(
        Payment(f"due-{row.seq}", row.due_date, row.total_due) for row in case.rows if row.total_due > 0
    )
    plain = replace(case, terms=replace(case.terms, accelerated_on=None), charges=(), payments=on_time)
    ledger = plain.at(max(row.due_date for row in case.rows) + timedelta(days=30))
    assert all(row.penalty_accrued == row.compound_accrued == ZERO for row in ledger.installments)
    assert all(row.settled_on is not None and row.settled_on <= row.due_date for row in ledger.installments)
