"""The quote: one loan's whole view at the end of a day, composed from the domain rules (C1–C7)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from qingshou.domain.calendar import BusinessCalendar
from qingshou.domain.limitation import Interruption
from qingshou.domain.loan import LoanTerms, Payment, RepaymentMethod
from qingshou.domain.policy import LoanClass, ProductPolicy
from qingshou.domain.quote import Quote, quote_loan
from qingshou.domain.schedule import build_schedule

D = Decimal
#: Weekends only for 2025–2026; 2027+ deliberately uncovered.
CAL = BusinessCalendar.of([2025, 2026])
#: 12,000.00 at 12 % a year over 3 months, 等额本金: 4,000 principal a month, interest 120 / 80 / 40.
TERMS = LoanTerms("L1", "P", D("12000.00"), D("0.12"), date(2025, 1, 1), 3, RepaymentMethod.EQUAL_PRINCIPAL)
SCHEDULE = build_schedule(TERMS)
POLICY = ProductPolicy.build("P")


def quote(payments: list[Payment], as_of: date, policy: ProductPolicy = POLICY, **extra: object) -> Quote:
    return quote_loan(TERMS, SCHEDULE, payments, (), policy, CAL, as_of, **extra)  # type: ignore[arg-type]


FIRST_PAID = [Payment("p1", date(2025, 2, 1), D("4120.00"))]


def test_schedule_of_the_scenario() -> None:
    """The scenario's schedule as the table in the module docstring says."""
    assert [(r.due_date, r.principal_due, r.interest_due) for r in SCHEDULE] == [
        (date(2025, 2, 1), D("4000.00"), D("120.00")),
        (date(2025, 3, 1), D("4000.00"), D("80.00")),
        (date(2025, 4, 1), D("4000.00"), D("40.00")),
    ]


def test_c3_c4_c6_ten_days_late() -> None:
    """C3/C4/C6: installment 2 unpaid 10 days after its due date.

    | item               | figure                                     |
    | dpd                | 11 Mar − 1 Mar = 10 → M1, 关注, stage 2     |
    | penalty            | 4000 × 12 % × 1.5 / 360 × 10 = 20.00       |
    | compound           | 80 × 12 % × 1.5 / 360 × 10 = 0.40          |
    | total overdue      | 4000 + 80 + 20 + 0.40 = 4100.40            |
    | payoff             | 4100.40 + 4000 + 40 × 10/31 (12.90) = 8113.30 |
    """
    result = quote(FIRST_PAID, date(2025, 3, 11))
    assert (result.dpd, result.delinquent, result.bucket) == (10, True, "M1")
    assert (result.classification, result.stage) == (LoanClass.SPECIAL_MENTION, 2)
    assert (result.overdue_principal, result.overdue_interest) == (D("4000.00"), D("80.00"))
    assert (result.penalty_interest, result.compound_interest) == (D("20.00"), D("0.40"))
    assert result.total_overdue == D("4100.40")
    assert result.outstanding_principal == D("8000.00")
    assert result.payoff_amount == D("8113.30")
    assert [row.status for row in result.installments] == ["paid", "overdue", "not_due"]


def test_c5_partial_payment_goes_to_penalty_then_compound_then_interest() -> None:
    """C5: 100.00 on day 10 pays penalty 20.00, compound 0.40, then 79.60 of the interest."""
    result = quote([*FIRST_PAID, Payment("p2", date(2025, 3, 11), D("100.00"))], date(2025, 3, 11))
    assert (result.penalty_interest, result.compound_interest) == (D("0.00"), D("0.00"))
    assert (result.overdue_interest, result.overdue_principal) == (D("0.40"), D("4000.00"))
    assert result.installments[1].status == "partially_paid"


def test_c2_inside_grace_not_delinquent_and_no_penalty() -> None:
    """C2: with 3 days' grace, 3 days after the due date dpd is 3 but the loan is current (M0, 正常)."""
    graced = ProductPolicy.build("P", grace_days=3)
    result = quote(FIRST_PAID, date(2025, 3, 4), graced)
    assert (result.dpd, result.delinquent, result.bucket, result.classification) == (
        3,
        False,
        "M0",
        LoanClass.NORMAL,
    )
    assert result.penalty_interest == D("0.00")
    assert result.installments[1].status == "due"
    late = quote(FIRST_PAID, date(2025, 3, 5), graced)
    assert (late.delinquent, late.penalty_interest) == (True, D("8.00"))


def test_c7_limitation_from_the_last_due_date_and_interrupted_by_a_demand() -> None:
    """C7: last due 1 Apr 2025 → expires 1 Apr 2028 (uncovered year: flagged, not moved); a demand delivered
    on 2 Jun 2026 restarts it to 2 Jun 2029."""
    plain = quote(FIRST_PAID, date(2026, 5, 1))
    assert (plain.limitation.expires_on, plain.limitation.calendar_confirmed) == (date(2028, 4, 1), False)
    demand = Interruption(date(2026, 6, 2), "demand_delivered", "SMS receipt 20260602")
    interrupted = quote(FIRST_PAID, date(2026, 6, 30), interruptions=(demand,))
    assert interrupted.limitation.expires_on == date(2029, 6, 2)
    assert interrupted.limitation.last_interruption == demand


def test_c1_c7_an_interruption_after_the_day_does_not_count_yet() -> None:
    """C1: the quote of 1 Jun 2026 is what was known at the end of that day — a demand delivered on 2 Jun
    does not restart limitation yet; on 2 Jun it does."""
    demand = Interruption(date(2026, 6, 2), "demand_delivered", "SMS receipt 20260602")
    before = quote(FIRST_PAID, date(2026, 6, 1), interruptions=(demand,))
    assert (before.limitation.expires_on, before.limitation.last_interruption) == (date(2028, 4, 1), None)
    on_the_day = quote(FIRST_PAID, date(2026, 6, 2), interruptions=(demand,))
    assert on_the_day.limitation.last_interruption == demand


def test_c7_a_payment_after_the_start_interrupts_limitation() -> None:
    """C7: a partial payment on 10 Jan 2026 (after the 2 Apr 2025 start) restarts the period to 10 Jan 2029."""
    payments = [*FIRST_PAID, Payment("p3", date(2026, 1, 10), D("50.00"))]
    assert quote(payments, date(2026, 2, 1)).limitation.expires_on == date(2029, 1, 10)


def test_c3_paid_up_loan_has_nothing_overdue() -> None:
    """C3: everything paid on its due date → dpd 0, M0, 正常, stage 1, nothing overdue, payoff 0."""
    payments = [
        *FIRST_PAID,
        Payment("p2", date(2025, 3, 1), D("4080.00")),
        Payment("p3", date(2025, 4, 1), D("4040.00")),
    ]
    result = quote(payments, date(2025, 4, 30))
    assert (result.dpd, result.bucket, result.classification, result.stage) == (0, "M0", LoanClass.NORMAL, 1)
    assert (result.total_overdue, result.outstanding_principal, result.payoff_amount) == (
        D("0"),
        D("0"),
        D("0"),
    )
    assert {row.status for row in result.installments} == {"paid"}


@pytest.mark.parametrize(
    ("as_of", "bucket", "loan_class"),
    [
        (date(2025, 5, 30), "M3", LoanClass.SPECIAL_MENTION),  # 90 days after 1 Mar
        (date(2025, 5, 31), "M4", LoanClass.SUBSTANDARD),  # 91 days
    ],
)
def test_c6_class_floor_at_90_and_91_days(as_of: date, bucket: str, loan_class: LoanClass) -> None:
    """C6: retail floor — 关注 up to 90 days, 次级 from 91."""
    result = quote(FIRST_PAID, as_of)
    assert (result.bucket, result.classification) == (bucket, loan_class)
