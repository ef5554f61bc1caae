"""Arrangements in the ledger (issue 5 plans): non-cash payments, waivers (C4, C5), plans as successor loans
(C6 observation, C7), settlements."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ledger_support import CALENDAR, TWO, d, schedule

from qingshou.domain.arrangements import (
    ArrangementError,
    PlanKind,
    PlanTerms,
    check_waiver,
    propose_plan,
    settlement_discount,
)
from qingshou.domain.classification import Restructuring
from qingshou.domain.errors import LedgerError
from qingshou.domain.ledger import replay
from qingshou.domain.loan import LoanTerms, Payment, PaymentKind, RepaymentMethod
from qingshou.domain.policy import Component, LoanClass, ProductPolicy
from qingshou.domain.quote import Quote, quote_loan
from qingshou.domain.schedule import build_schedule

D = Decimal
POLICY = ProductPolicy.build("P")
#: TWO: 2000.00 at 18 %, installments of 1000 + 15 due 1 Feb and 1 Mar 2024; penalty 0.75 a day per 1000.
TERMS = LoanTerms("L1", "P", D("2000.00"), D("0.18"), d("2024-01-01"), 2, RepaymentMethod.EQUAL_PRINCIPAL)
ROWS = schedule(TWO)
PENALTY = frozenset({Component.PENALTY})


def waiver(pid: str, day: str, amount: str, *components: Component) -> Payment:
    return Payment(pid, d(day), D(amount), PaymentKind.WAIVER, frozenset(components))


def quote(payments: list[Payment], as_of: date, terms: LoanTerms = TERMS) -> Quote:
    return quote_loan(terms, ROWS, payments, (), POLICY, CALENDAR, as_of)


# --- payments of an arrangement -------------------------------------------------------------------------


def test_issue5_payment_kind_defaults_to_cash_and_a_waiver_names_its_components() -> None:
    assert Payment("p", d("2024-02-01"), D("1")).kind is PaymentKind.CASH
    with pytest.raises(LedgerError, match="forgives") as error:
        Payment("w", d("2024-02-01"), D("1"), PaymentKind.WAIVER)
    assert error.value.field == "waives"
    with pytest.raises(LedgerError, match="forgives"):
        waiver("w", "2024-02-01", "1", Component.PRINCIPAL)
    with pytest.raises(LedgerError, match="only a waiver"):
        Payment("r", d("2024-02-01"), D("1"), PaymentKind.RESTRUCTURE, PENALTY)
    assert Payment("k", d("2024-02-01"), D("1"), "discount").kind is PaymentKind.DISCOUNT  # type: ignore[arg-type]


def test_c4_c5_a_waiver_pays_only_the_waived_component_before_the_days_cash() -> None:
    """Due 1 Feb unpaid; on 11 Feb penalty is 10 × 0.75 = 7.50 (compound 15 × 0.27 × 10 / 360 → 0.11). The
    waiver of 5.00 penalty comes first (although its id sorts after the cash), the cash then pays the
    remaining 2.50 penalty, the compound, interest and principal."""
    facts = [waiver("w", "2024-02-11", "5.00", Component.PENALTY), Payment("a", d("2024-02-11"), D("100.00"))]
    ledger = replay(TERMS, ROWS, facts, (), POLICY, CALENDAR, d("2024-02-11"))
    pieces = [(a.payment_id, a.component, a.amount) for a in ledger.allocations]
    assert pieces == [
        ("w", Component.PENALTY, D("5.00")),
        ("a", Component.PENALTY, D("2.50")),
        ("a", Component.COMPOUND, D("0.11")),
        ("a", Component.INTEREST, D("15.00")),
        ("a", Component.PRINCIPAL, D("82.39")),
    ]
    assert ledger.installments[0].penalty_paid == D("7.50")


def test_c5_a_waiver_above_the_unpaid_components_is_refused_naming_the_payment() -> None:
    with pytest.raises(LedgerError, match=r"waiver w of 7\.51") as error:
        replay(
            TERMS,
            ROWS,
            [waiver("w", "2024-02-11", "7.51", Component.PENALTY)],
            (),
            POLICY,
            CALENDAR,
            d("2024-03-01"),
        )
    assert error.value.field == "amount"


def test_c5_a_waiver_goes_oldest_installment_first_in_waterfall_order() -> None:
    """Both installments unpaid on 11 Mar: seq 1 has 40 days (30.00 penalty, compound on 15.00 interest),
    seq 2 has 10 days (7.50). A penalty + compound waiver pays seq 1 penalty, seq 1 compound, then seq 2."""
    as_of = d("2024-03-11")
    plain = replay(TERMS, ROWS, (), (), POLICY, CALENDAR, as_of).installments
    total = sum((row.penalty_accrued + row.compound_accrued for row in plain), D(0))
    facts = [waiver("w", "2024-03-11", str(total), Component.PENALTY, Component.COMPOUND)]
    ledger = replay(TERMS, ROWS, facts, (), POLICY, CALENDAR, as_of)
    assert [(a.seq, a.component) for a in ledger.allocations] == [
        (1, Component.PENALTY),
        (1, Component.COMPOUND),
        (2, Component.PENALTY),
        (2, Component.COMPOUND),
    ]
    assert all(row.penalty_unpaid == 0 and row.compound_unpaid == 0 for row in ledger.installments)
    assert quote(facts, as_of).total_overdue == D("2030.00")


def test_c7_non_cash_payments_do_not_interrupt_limitation() -> None:
    as_of = d("2027-06-01")
    cash = quote([Payment("c", d("2025-01-02"), D("1.00"))], as_of)
    waived = quote([waiver("w", "2025-01-02", "1.00", Component.PENALTY)], as_of)
    untouched = quote([], as_of)
    assert cash.limitation.last_interruption is not None
    assert cash.limitation.expires_on > untouched.limitation.expires_on
    assert waived.limitation == untouched.limitation


# --- plans ------------------------------------------------------------------------------------------------


def closing_quote(day: date, payments: list[Payment] = ()) -> Quote:  # type: ignore[assignment]
    """The original at the end of R, called early on R (what the restructure payment settles)."""
    return quote(list(payments), day, replace(TERMS, accelerated_on=day))


def plan(kind: PlanKind = PlanKind.INSTALMENTS, day: str = "2024-02-21", **extra: object) -> PlanTerms:
    values: dict[str, object] = {
        "kind": kind,
        "effective_on": d(day),
        "months": 12,
        "annual_rate": D("0.12"),
        "method": RepaymentMethod.EQUAL_INSTALLMENT,
    }
    values.update(extra)
    return PlanTerms(**values)  # type: ignore[arg-type]


def test_issue5_plans_instalments_capitalise_the_payoff_less_what_is_waived() -> None:
    """On 21 Feb seq 1 is 20 days late: penalty 15.00, compound 15 × 0.27 × 20 / 360 = 0.225 → 0.23;
    seq 2 is called early with 15 × 20/29 = 10.34 interest. Waiving penalty and compound capitalises
    1000 + 15 + 1000 + 10.34 = 2025.34."""
    quoted = closing_quote(d("2024-02-21"))
    outcome = propose_plan(
        TERMS, quoted, plan(waive=frozenset({Component.PENALTY, Component.COMPOUND})), "L1-R1"
    )
    assert quoted.payoff_amount == D("2040.57")
    assert outcome.waived == {Component.COMPOUND: D("0.23"), Component.PENALTY: D("15.00")}
    assert outcome.concession == D("15.23")
    assert outcome.capitalised == D("2025.34")
    assert outcome.terms.loan_id == "L1-R1"
    assert outcome.terms.disbursed_on == d("2024-02-21")
    assert outcome.schedule == build_schedule(outcome.terms)
    assert outcome.schedule[0].due_date == d("2024-03-21")
    assert len(outcome.schedule) == 12


def test_issue5_plans_are_refused_with_the_field_named() -> None:
    quoted = closing_quote(d("2024-02-21"))
    cases = [
        (plan(months=61), "months"),
        (plan(months=0), "months"),
        (plan(annual_rate=D("0.19")), "annual_rate"),
        (plan(annual_rate=D("-0.01")), "annual_rate"),
        (plan(method=RepaymentMethod.BULLET), "method"),
        (plan(first_due_date=d("2024-02-21")), "first_due_date"),
        (plan(day="2024-02-22"), "effective_on"),
        (plan(PlanKind.EXTENSION, months=1, first_due_date=d("2024-02-28")), "months"),
        (plan(PlanKind.RESCHEDULED_ARREARS), "kind"),  # no schedule given: nothing to spread over
    ]
    for terms, field in cases:
        with pytest.raises(ArrangementError) as error:
            propose_plan(TERMS, quoted, terms, "L1-R1")
        assert error.value.field == field, terms
    paid = [Payment("all", d("2024-01-15"), D("2030.00"))]
    with pytest.raises(ArrangementError, match="nothing is owed"):
        propose_plan(TERMS, closing_quote(d("2024-02-21"), paid), plan(), "L1-R1")


def test_issue5_plans_rescheduled_arrears_spread_evenly_with_the_cent_remainder_on_the_last() -> None:
    """Three months of 1000.00 at 12 %; on 10 Mar the first (due 1 Feb) is unpaid: arrears are the payoff
    less the 2000.00 principal of the two installments due after R, spread 1/2 each, remainder last."""
    terms = LoanTerms("L3", "P", D("3000.00"), D("0.12"), d("2024-01-01"), 3, RepaymentMethod.EQUAL_PRINCIPAL)
    rows = build_schedule(terms)
    day = d("2024-02-10")
    quoted = quote_loan(replace(terms, accelerated_on=day), rows, (), (), POLICY, CALENDAR, day)
    outcome = propose_plan(
        terms, quoted, plan(PlanKind.RESCHEDULED_ARREARS, "2024-02-10"), "L3-R1", schedule=rows
    )
    arrears = outcome.capitalised - D("2000.00")
    assert [row.due_date for row in outcome.schedule] == [d("2024-03-01"), d("2024-04-01")]
    half = (arrears / 2).quantize(D("0.01"), rounding="ROUND_DOWN")
    assert [row.principal_due for row in outcome.schedule] == [
        D("1000.00") + half,
        D("1000.00") + arrears - half,
    ]
    assert outcome.schedule[0].interest_due == (outcome.capitalised * D("0.01")).quantize(D("0.01"))
    assert sum(row.principal_due for row in outcome.schedule) == outcome.terms.principal


@settings(max_examples=40, deadline=None)
@given(
    days=st.integers(min_value=0, max_value=200),
    paid=st.integers(min_value=0, max_value=150_000),
    waive=st.sets(st.sampled_from([Component.PENALTY, Component.COMPOUND, Component.FEES])),
    months=st.integers(min_value=1, max_value=60),
    method=st.sampled_from([RepaymentMethod.EQUAL_INSTALLMENT, RepaymentMethod.EQUAL_PRINCIPAL]),
)
def test_issue5_plans_property_close_the_original_and_capitalise_payoff_less_waived(
    days: int, paid: int, waive: set[Component], months: int, method: RepaymentMethod
) -> None:
    """For any day R and any earlier cash: the plan capitalises exactly payoff − waived; after the
    restructure payment of the payoff on R the original's quote is closed (payoff 0, dpd 0); the
    successor's principal sums its schedule."""
    day = d("2024-01-02") + timedelta(days=days)
    cash = [Payment("c", d("2024-01-02"), D(paid).scaleb(-2))] if paid else []
    called = replace(TERMS, accelerated_on=day)
    quoted = quote_loan(called, ROWS, cash, (), POLICY, CALENDAR, day)
    if quoted.payoff_amount <= 0:
        return
    terms = PlanTerms(PlanKind.INSTALMENTS, day, months, D("0.10"), method, frozenset(waive))
    waived = sum((getattr(quoted, name) for name in ("penalty_interest", "compound_interest", "fees")), D(0))
    if waive == {Component.PENALTY, Component.COMPOUND, Component.FEES} and waived >= quoted.payoff_amount:
        return  # everything owed is waivable: the plan is refused (field "waive")
    outcome = propose_plan(TERMS, quoted, terms, "L1-R1")
    assert outcome.capitalised == quoted.payoff_amount - sum(outcome.waived.values(), D(0))
    assert sum(row.principal_due for row in outcome.schedule) == outcome.terms.principal
    closing = Payment("L1-R1", day, quoted.payoff_amount, PaymentKind.RESTRUCTURE)
    after = quote_loan(called, ROWS, [*cash, closing], (), POLICY, CALENDAR, day + timedelta(days=40))
    assert (after.payoff_amount, after.dpd, after.total_overdue) == (0, 0, 0)


def test_c6_a_successor_keeps_an_npl_predecessors_class_during_observation() -> None:
    """The successor of a 次级 loan: 次级 on R and afterwards while paid on time (observation); a
    successor of a 关注 loan is 关注 (the floor); neither is better before the observation ends."""
    day = d("2024-06-10")
    successor = LoanTerms("S", "P", D("1200.00"), D("0.12"), day, 12, RepaymentMethod.EQUAL_PRINCIPAL)
    rows = build_schedule(successor)
    on_time = [Payment(f"p{row.seq}", row.due_date, row.total_due) for row in rows[:3]]
    as_of = rows[2].due_date
    for predecessor, expected in [
        (LoanClass.SUBSTANDARD, LoanClass.SUBSTANDARD),
        (LoanClass.SPECIAL_MENTION, LoanClass.SPECIAL_MENTION),
    ]:
        restructured = (Restructuring(day, class_on_day=predecessor),)
        for when in (day, as_of):
            seen = quote_loan(
                successor, rows, on_time, (), POLICY, CALENDAR, when, restructurings=restructured
            )
            assert seen.classification is expected
    plain = quote_loan(successor, rows, on_time, (), POLICY, CALENDAR, as_of)
    assert plain.classification is LoanClass.NORMAL


# --- settlements and waivers ------------------------------------------------------------------------------


def test_issue5_settlement_discount_is_payoff_less_amount() -> None:
    assert settlement_discount(D("2040.57"), D("1500.00")) == D("540.57")
    for amount in ("0", "2040.57", "3000"):
        with pytest.raises(ArrangementError) as error:
            settlement_discount(D("2040.57"), D(amount))
        assert error.value.field == "amount"


def test_issue5_check_waiver_totals_and_refuses_above_the_unpaid() -> None:
    quoted = quote([], d("2024-02-21"))  # penalty 15.00, compound 0.23, fees 0
    assert check_waiver(quoted, {Component.PENALTY: D("15.00"), Component.COMPOUND: D("0.20")}) == D("15.20")
    for amounts, field in [
        ({Component.PENALTY: D("15.01")}, "penalty"),
        ({Component.FEES: D("0.01")}, "fees"),
        ({Component.INTEREST: D("1.00")}, "interest"),
        ({Component.PENALTY: D("0")}, "penalty"),
        ({}, "amounts"),
    ]:
        with pytest.raises(ArrangementError) as error:
            check_waiver(quoted, amounts)
        assert error.value.field == field
