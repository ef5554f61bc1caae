"""Ledger replay scenarios (C1, C2, C4, C5), each a small table with the figures worked out.

Unless a test says otherwise: the loan of ``ledger_support.TWO`` — 2 × (1000.00 principal + 15.00 interest),
due 1 Feb and 1 Mar 2024, 18 % a year, markup 0.5, 360 days. Penalty on 1000.00 is 0.75 a day; compound on
15.00 is 0.01125 a day.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from ledger_support import (
    CALENDAR,
    TWO,
    accrued,
    charges,
    d,
    inst,
    payments,
    policy,
    run,
    schedule,
    split,
    terms_for,
)

from qingshou.domain.errors import LedgerError, ScheduleError
from qingshou.domain.ledger import replay
from qingshou.domain.policy import Component

D = Decimal


# --- C4: the due day is day 0 ---------------------------------------------------------------------------


def test_the_due_day_is_day_zero_and_the_first_penalty_day_is_the_next() -> None:
    """C4: nothing accrues on the due day; the day after accrues one day (0.75 / 0.01125 → 0.01)."""
    assert accrued(run("2024-02-01")) == ("0.00", "0.00")
    assert accrued(run("2024-02-02")) == ("0.75", "0.01")


def test_paid_in_full_nine_days_late_accrues_nine_days() -> None:
    """C4: due 1 Feb, paid in full on 10 Feb → days 2…10 = 9 days: 6.75 penalty, 0.10125 → 0.10 compound."""
    ledger = run("2024-02-20", "p1 2024-02-10 1021.85")
    assert accrued(ledger) == ("6.75", "0.10")
    assert inst(ledger, 1).settled_on == d("2024-02-10")
    assert split(ledger) == [
        ("1", "penalty", "6.75"),
        ("1", "compound", "0.10"),
        ("1", "interest", "15.00"),
        ("1", "principal", "1000.00"),
    ]
    assert ledger.unapplied_credit == D("0.00")


def test_paid_on_the_due_date_is_on_time() -> None:
    """C2: paying on the due date is on time — no penalty, settled that day."""
    ledger = run("2024-02-29", "p1 2024-02-01 1015.00")
    assert accrued(ledger) == ("0.00", "0.00")
    assert inst(ledger, 1).settled_on == d("2024-02-01")


# --- C2/C4: grace ----------------------------------------------------------------------------------------


def test_grace_paid_on_the_last_on_time_day_accrues_nothing() -> None:
    """C2/C4 grace 3 days: g = 4 Feb. Paid in full on g → the contingent accrual is discarded."""
    ledger = run("2024-02-29", "p1 2024-02-04 1015.00", product=policy(grace_days=3))
    assert accrued(ledger) == ("0.00", "0.00")
    assert inst(ledger, 1).settled_on == d("2024-02-04")
    assert split(ledger) == [("1", "interest", "15.00"), ("1", "principal", "1000.00")]


def test_grace_missed_by_a_day_accrues_from_the_due_date() -> None:
    """C2/C4 grace 3 days, paid on g + 1 = 5 Feb → 4 days from the due date: 3.00 and 0.045 → 0.05."""
    ledger = run("2024-02-29", "p1 2024-02-05 1018.05", product=policy(grace_days=3))
    assert accrued(ledger) == ("3.00", "0.05")
    assert inst(ledger, 1).settled_on == d("2024-02-05")
    assert split(ledger)[:2] == [("1", "penalty", "3.00"), ("1", "compound", "0.05")]


def test_accrual_within_grace_is_reported_as_zero_then_in_full() -> None:
    """C4: at as_of ≤ g nothing is reported; the day after g everything from the origin is."""
    grace = policy(grace_days=3)
    assert accrued(run("2024-02-04", product=grace)) == ("0.00", "0.00")
    assert accrued(run("2024-02-05", product=grace)) == ("3.00", "0.05")


def test_partial_payment_within_grace_then_late_accrues_on_the_reduced_balance() -> None:
    """C4: 515.00 paid on 3 Feb (within grace) pays interest and 500.00 principal, no penalty (contingent).
    Grace missed: days 2–3 Feb on 1000.00, 4–6 Feb on 500.00 → 3500 × 0.00075 = 2.625 → 2.63;
    compound 2 days on 15.00 = 0.0225 → 0.02."""
    ledger = run("2024-02-06", "p1 2024-02-03 515.00", product=policy(grace_days=3))
    assert split(ledger) == [("1", "interest", "15.00"), ("1", "principal", "500.00")]
    assert accrued(ledger) == ("2.63", "0.02")


# --- C2: holiday shift -------------------------------------------------------------------------------------

JUNE = """
1 2024-06-01 1000.00 15.00
2 2024-07-01 1000.00 15.00
"""  # 1 June 2024 is a Saturday; the next business day is Monday 3 June.


def test_due_on_saturday_paid_monday_is_on_time_under_next_business_day() -> None:
    """C2 next_business_day: the Saturday due date is payable on time until Monday."""
    shifted = policy(holiday_rule="next_business_day")
    ledger = run("2024-06-20", "p1 2024-06-03 1015.00", JUNE, product=shifted, disbursed_on=d("2024-05-01"))
    assert accrued(ledger) == ("0.00", "0.00")
    assert inst(ledger, 1).settled_on == d("2024-06-03")
    # Without the holiday rule Monday is 2 days late: 1.50 and 0.0225 → 0.02.
    plain = run("2024-06-20", "p1 2024-06-03 1016.52", JUNE, disbursed_on=d("2024-05-01"))
    assert accrued(plain) == ("1.50", "0.02")


@pytest.mark.parametrize(
    ("origin", "penalty", "compound", "credit"),
    [
        ("original", "2.25", "0.03", "82.72"),  # days 2, 3, 4 June: 3 × 0.75; 0.03375 → 0.03
        ("effective", "0.75", "0.01", "84.24"),  # day 4 June only
    ],
)
def test_holiday_shift_with_grace_0_counts_from_the_original_or_effective_date(
    origin: str, penalty: str, compound: str, credit: str
) -> None:
    """C2 dpd_origin: paid Tuesday 4 June (a day after the effective due date), grace 0."""
    shifted = policy(holiday_rule="next_business_day", dpd_origin=origin)
    ledger = run("2024-06-20", "p1 2024-06-04 1100.00", JUNE, product=shifted, disbursed_on=d("2024-05-01"))
    assert accrued(ledger) == (penalty, compound)
    assert ledger.unapplied_credit == D(credit)


def test_national_day_holiday_week_shifts_the_due_date() -> None:
    """C2: due 1 Oct 2024 (National Day, holidays 1–7 Oct) is on time on Tuesday 8 Oct; a day later it is
    8 days late counted from the original due date (2–9 Oct): 6.00."""
    table = "1 2024-10-01 1000.00 15.00"
    shifted = policy(holiday_rule="next_business_day")
    on_time = run("2024-10-20", "p1 2024-10-08 1015.00", table, product=shifted, disbursed_on=d("2024-09-01"))
    late = run("2024-10-20", "p1 2024-10-09 1100.00", table, product=shifted, disbursed_on=d("2024-09-01"))
    assert accrued(on_time) == ("0.00", "0.00")
    assert accrued(late)[0] == "6.00"


# --- C4: day count, compound, rounding ----------------------------------------------------------------------


@pytest.mark.parametrize(("day_count", "expected"), [(360, ("7.50", "0.11")), (365, ("7.40", "0.11"))])
def test_day_count_360_vs_365(day_count: int, expected: tuple[str, str]) -> None:
    """C4 worked figure, 10 days late (11 Feb): 1000 × 0.27 × 10 / 360 = 7.50 vs / 365 = 7.397… → 7.40;
    compound 15 × 0.27 × 10 / 360 = 0.1125 → 0.11 vs / 365 = 0.1109… → 0.11."""
    assert accrued(run("2024-02-11", product=policy(day_count=day_count))) == expected


def test_compound_accrues_on_unpaid_interest_only_never_on_penalty() -> None:
    """C4: with interest paid first (custom order), 7.50 penalty left unpaid on 11 Feb earns no compound:
    compound stays at its 10 days on 15.00 (0.11) while penalty runs on (20 days → 15.00)."""
    interest_first = policy(waterfall="costs,fees,interest,penalty,compound,principal")
    ledger = run("2024-02-21", "p1 2024-02-11 15.00", product=interest_first)
    assert split(ledger) == [("1", "interest", "15.00")]
    assert accrued(ledger) == ("15.00", "0.11")
    assert inst(ledger, 1).penalty_unpaid == D("15.00")


def test_compound_is_off_when_the_product_says_so() -> None:
    """C4 per product ``compound``: 28 days late → penalty 21.00 and compound 0.315 → 0.32, or none."""
    assert accrued(run("2024-02-29")) == ("21.00", "0.32")
    assert accrued(run("2024-02-29", product=policy(compound=False))) == ("21.00", "0.00")


@pytest.mark.parametrize(
    ("rounding", "compound", "principal_paid"),
    [("half_up", "0.05", "81.95"), ("down", "0.04", "81.96")],
)
def test_rounding_at_a_crystallisation_point(rounding: str, compound: str, principal_paid: str) -> None:
    """C4 rounding: at the 5 Feb payment compound is exactly 15 × 4 × 0.00075 = 0.045 → 0.05 half-up,
    0.04 down, and the payment's split follows. Afterwards penalty runs on the smaller principal:
    4 more days on 918.05 (or 918.04) → 2.75415 / 2.75412 → 2.75 either way."""
    ledger = run("2024-02-09", "p1 2024-02-05 100.00", product=policy(rounding=rounding))
    assert split(ledger) == [
        ("1", "penalty", "3.00"),
        ("1", "compound", compound),
        ("1", "interest", "15.00"),
        ("1", "principal", principal_paid),
    ]
    assert accrued(ledger) == ("5.75", compound)


def test_rounding_down_when_reported() -> None:
    """C4: the 2.625 of the grace scenario reports as 2.63 half-up and 2.62 down."""
    down = policy(grace_days=3, rounding="down")
    assert accrued(run("2024-02-06", "p1 2024-02-03 515.00", product=down)) == ("2.62", "0.02")


# --- C5: waterfall -------------------------------------------------------------------------------------------


def test_horizontal_and_vertical_split_the_same_payment_differently() -> None:
    """C5: 1000.00 on 10 Mar, both installments overdue. Seq 1: 38 days → 28.50 / 0.4275 → 0.43;
    seq 2: 9 days → 6.75 / 0.10. Horizontal pays both penalties, both compounds, both interests first;
    vertical finishes seq 1's charges and puts the rest on its principal."""
    horizontal = run("2024-03-10", "p1 2024-03-10 1000.00")
    vertical = run("2024-03-10", "p1 2024-03-10 1000.00", product=policy(direction="vertical"))
    assert split(horizontal) == [
        ("1", "penalty", "28.50"),
        ("2", "penalty", "6.75"),
        ("1", "compound", "0.43"),
        ("2", "compound", "0.10"),
        ("1", "interest", "15.00"),
        ("2", "interest", "15.00"),
        ("1", "principal", "934.22"),
    ]
    assert split(vertical) == [
        ("1", "penalty", "28.50"),
        ("1", "compound", "0.43"),
        ("1", "interest", "15.00"),
        ("1", "principal", "956.07"),
    ]


def test_custom_waterfall_principal_first() -> None:
    """C5 custom order: principal and interest first settle the installment; penalty stays owed."""
    principal_first = policy(waterfall="principal,interest,costs,fees,penalty,compound")
    ledger = run("2024-02-20", "p1 2024-02-10 1015.00", product=principal_first)
    assert split(ledger) == [("1", "principal", "1000.00"), ("1", "interest", "15.00")]
    row = inst(ledger, 1)
    assert row.settled_on == d("2024-02-10")
    assert (row.penalty_unpaid, row.compound_unpaid) == (D("6.75"), D("0.10"))


def test_partial_payments() -> None:
    """C5: 500.00 on the due date pays interest and 485.00; the 515.00 left accrues 10 days → 3.8625 → 3.86;
    520.00 on 11 Feb pays that and the principal, 1.14 is held as credit."""
    ledger = run("2024-02-20", "p1 2024-02-01 500.00\np2 2024-02-11 520.00")
    assert split(ledger, "p1") == [("1", "interest", "15.00"), ("1", "principal", "485.00")]
    assert split(ledger, "p2") == [("1", "penalty", "3.86"), ("1", "principal", "515.00")]
    assert inst(ledger, 1).settled_on == d("2024-02-11")
    assert accrued(ledger) == ("3.86", "0.00")
    assert ledger.unapplied_credit == D("1.14")


def test_same_day_payments_apply_in_payment_id_order() -> None:
    """C1: payments valued the same day apply in payment_id order, whatever order they are given in."""
    ledger = run("2024-02-10", "b 2024-02-10 500.00\na 2024-02-10 600.00")
    assert [a.payment_id for a in ledger.allocations] == ["a", "a", "a", "a", "b"]
    assert split(ledger, "b") == [("1", "principal", "421.85")]
    assert ledger.unapplied_credit == D("78.15")


def test_overpayment_is_held_as_credit_and_applied_on_the_next_due_date() -> None:
    """C5 溢缴款: 1100.00 on 1 Feb leaves 85.00; on 1 Mar it pays seq 2's interest and 70.00 principal,
    valued 1 Mar under the original payment id; the 930.00 left then accrues (4 days → 2.79)."""
    before = run("2024-02-20", "p1 2024-02-01 1100.00")
    assert before.unapplied_credit == D("85.00")
    assert inst(before, 2).principal_paid == D("0.00")
    after = run("2024-03-05", "p1 2024-02-01 1100.00")
    assert after.unapplied_credit == D("0.00")
    from_credit = [a for a in after.allocations if a.value_date == d("2024-03-01")]
    assert [(a.payment_id, a.seq, a.component, a.amount) for a in from_credit] == [
        ("p1", 2, Component.INTEREST, D("15.00")),
        ("p1", 2, Component.PRINCIPAL, D("70.00")),
    ]
    assert accrued(after, 2) == ("2.79", "0.00")


def test_credit_is_used_oldest_first() -> None:
    """C5: credit from p1 (35.00) is used before credit from p2 (40.00); each allocation names its source."""
    ledger = run("2024-03-01", "p1 2024-02-01 1050.00\np2 2024-02-15 40.00")
    assert [(a.payment_id, *row) for a, row in zip(ledger.allocations, split(ledger), strict=True)][2:] == [
        ("p1", "2", "interest", "15.00"),
        ("p1", "2", "principal", "20.00"),
        ("p2", "2", "principal", "40.00"),
    ]
    assert ledger.unapplied_credit == D("0.00")


def test_prepayment_pays_the_installments_not_yet_due() -> None:
    """C5 prepayment: the remainder pays seq 2 (interest then principal) instead of being held."""
    prepay = policy(prepayment=True)
    ledger = run("2024-02-20", "p1 2024-02-01 1100.00", product=prepay)
    assert split(ledger)[2:] == [("2", "interest", "15.00"), ("2", "principal", "70.00")]
    assert ledger.unapplied_credit == D("0.00")
    full = run("2024-03-10", "p1 2024-02-01 2100.00", product=prepay)
    assert inst(full, 2).settled_on == d("2024-02-01")
    assert accrued(full, 2) == ("0.00", "0.00")
    assert full.unapplied_credit == D("70.00")


def test_costs_and_fee_charges_come_first() -> None:
    """C5: costs, then fees, then penalty, compound, interest, principal — 300.00 on 10 Feb."""
    ledger = run(
        "2024-02-10",
        "p1 2024-02-10 300.00",
        posted="F1 fees 2024-02-03 50.00\nC1 costs 2024-02-05 200.00",
    )
    assert split(ledger) == [
        ("C1", "costs", "200.00"),
        ("F1", "fees", "50.00"),
        ("1", "penalty", "6.75"),
        ("1", "compound", "0.10"),
        ("1", "interest", "15.00"),
        ("1", "principal", "28.15"),
    ]
    assert [(c.charge_id, c.unpaid) for c in ledger.charges] == [("F1", D("0.00")), ("C1", D("0.00"))]


def test_credit_is_applied_when_a_charge_is_posted() -> None:
    """C5: credit held when a cost is posted pays it that day."""
    ledger = run("2024-02-20", "p1 2024-02-01 1100.00", posted="C1 costs 2024-02-10 200.00")
    assert split(ledger)[-1] == ("C1", "costs", "85.00")
    assert ledger.allocations[-1].value_date == d("2024-02-10")
    assert ledger.charges[0].unpaid == D("115.00")
    assert ledger.unapplied_credit == D("0.00")


def test_a_backdated_payment_replays_the_later_ones() -> None:
    """C5 backdating: 'late' (10.00 on 20 Feb) was posted first; 'early' (1015.00 valued 5 Feb) arrives
    later. Replayed with both, early pays 3.00 + 0.05 + 15.00 + 996.95; the 3.05 left accrues 15 days →
    0.034… → 0.03, so late pays 0.03 + 3.05 and 6.92 is held as credit."""
    alone = run("2024-02-29", "late 2024-02-20 10.00")
    assert split(alone, "late") == [("1", "penalty", "10.00")]
    both = run("2024-02-29", "late 2024-02-20 10.00\nearly 2024-02-05 1015.00")
    assert split(both, "early") == [
        ("1", "penalty", "3.00"),
        ("1", "compound", "0.05"),
        ("1", "interest", "15.00"),
        ("1", "principal", "996.95"),
    ]
    assert split(both, "late") == [("1", "penalty", "0.03"), ("1", "principal", "3.05")]
    assert both.unapplied_credit == D("6.92")
    assert inst(both, 1).settled_on == d("2024-02-20")


# --- acceleration ---------------------------------------------------------------------------------------------

FOUR = """
1 2024-02-01 1000.00 15.00
2 2024-03-01 1000.00 15.00
3 2024-04-01 1000.00 15.00 2.00
4 2024-05-01 1000.00 15.00 2.00
"""


def test_acceleration_calls_the_rest_of_the_loan_due() -> None:
    """Acceleration on 11 Mar: seq 3 (period 1 Mar–1 Apr, 31 days) keeps its fee and 10/31 of its interest
    (4.8387… → 4.84); seq 4 owes principal only. Penalty on their principal runs from 11 Mar: 10 days →
    7.50 each by 21 Mar; compound on 4.84 → 0.0363 → 0.04. Seqs 1–2 are untouched (49 and 20 days)."""
    ledger = run("2024-03-21", table=FOUR, accelerated_on=d("2024-03-11"))
    rows = [(r.seq, r.due_date, r.interest_due, r.fee_due, r.accelerated) for r in ledger.installments]
    assert rows == [
        (1, d("2024-02-01"), D("15.00"), D("0.00"), False),
        (2, d("2024-03-01"), D("15.00"), D("0.00"), False),
        (3, d("2024-03-11"), D("4.84"), D("2.00"), True),
        (4, d("2024-03-11"), D("0.00"), D("0.00"), True),
    ]
    assert [accrued(ledger, seq) for seq in (1, 2, 3, 4)] == [
        ("36.75", "0.55"),
        ("15.00", "0.23"),
        ("7.50", "0.04"),
        ("7.50", "0.00"),
    ]


def test_acceleration_after_as_of_changes_nothing_yet() -> None:
    ledger = run("2024-03-10", table=FOUR, accelerated_on=d("2024-03-11"))
    assert not any(row.accelerated for row in ledger.installments)
    assert inst(ledger, 4).due_date == d("2024-05-01")


def test_acceleration_on_a_due_date_leaves_no_interest_for_the_next_period() -> None:
    """A = 1 Mar (seq 2's due date): seq 3's period has just started, so 0/31 of its interest is due."""
    ledger = run("2024-03-01", table=FOUR, accelerated_on=d("2024-03-01"))
    assert [(r.due_date, r.interest_due, r.accelerated) for r in ledger.installments[1:]] == [
        (d("2024-03-01"), D("15.00"), False),
        (d("2024-03-01"), D("0.00"), True),
        (d("2024-03-01"), D("0.00"), True),
    ]


# --- cap at principal (card products) ---------------------------------------------------------------------------

CARD = "1 2024-02-01 1000.00 100.00"  # interest 100.00 leaves room 900.00 for penalty + compound


def test_cap_does_not_bind_early() -> None:
    """C4 cap: 100 days late → 75.00 + 7.50, the same as without the cap."""
    capped = policy(kind="card", cap_charges_at_principal=True)
    assert accrued(run("2024-05-11", table=CARD, product=capped)) == ("75.00", "7.50")


def test_cap_at_principal() -> None:
    """C4 cap: 2000 days late, uncapped 1500.00 + 150.00; capped, penalty + compound + interest stop at
    the principal 1000.00. A 10.00 payment after 600 days crystallises 450.00 + 45.00 (495.00 of the 900.00
    room), so at the end penalty gets the remaining 405.00 (855.00 in all) and compound stays 45.00."""
    far = (d("2024-02-01") + timedelta(days=2000)).isoformat()
    assert accrued(run(far, table=CARD)) == ("1500.00", "150.00")
    capped = policy(kind="card", cap_charges_at_principal=True)
    assert accrued(run(far, table=CARD, product=capped)) == ("900.00", "0.00")
    mid = (d("2024-02-01") + timedelta(days=600)).isoformat()
    ledger = run(far, f"p1 {mid} 10.00", CARD, product=capped)
    assert accrued(ledger) == ("855.00", "45.00")
    assert split(ledger) == [("1", "penalty", "10.00")]


def test_cap_counts_fee_charges_posted() -> None:
    """C4 cap: a 50.00 fee charge posted leaves 850.00 of room."""
    far = (d("2024-02-01") + timedelta(days=2000)).isoformat()
    capped = policy(kind="card", cap_charges_at_principal=True)
    ledger = run(far, table=CARD, product=capped, posted="F1 fees 2024-03-01 50.00")
    row = inst(ledger, 1)
    assert row.penalty_accrued + row.compound_accrued == D("850.00")


# --- facts and validation ---------------------------------------------------------------------------------------


def test_facts_after_as_of_are_ignored() -> None:
    """C1: a payment valued and a charge posted after as_of do not exist yet."""
    ledger = run("2024-02-20", "p1 2024-02-25 1015.00", posted="C1 costs 2024-02-21 10.00")
    assert ledger.allocations == ()
    assert ledger.charges == ()


def test_installments_before_their_due_date() -> None:
    ledger = run("2024-01-15")
    assert [row.settled_on for row in ledger.installments] == [None, None]
    assert inst(ledger, 2).principal_unpaid == D("1000.00")


def test_payment_before_disbursement_is_refused() -> None:
    with pytest.raises(LedgerError, match="before disbursement"):
        run("2024-02-20", "p1 2023-12-31 10.00")


def test_charge_before_disbursement_is_refused() -> None:
    with pytest.raises(LedgerError, match="before disbursement"):
        run("2024-02-20", posted="C1 costs 2023-12-31 10.00")


def test_duplicate_payment_ids_are_refused() -> None:
    with pytest.raises(LedgerError, match="more than once: p1"):
        run("2024-02-20", "p1 2024-02-01 10.00\np1 2024-02-02 20.00")


def test_schedule_not_summing_to_the_principal_is_refused() -> None:
    rows = schedule(TWO)
    wrong = terms_for(schedule("1 2024-02-01 3000.00 0.00"))  # terms say 3000.00, the rows 2000.00
    with pytest.raises(ScheduleError, match=r"sums to 2000\.00"):
        replay(wrong, rows, payments(""), charges(""), policy(), CALENDAR, d("2024-02-20"))


def test_ledger_states_report_at_fen_precision() -> None:
    ledger = run("2024-03-10", "p1 2024-02-17 333.33", product=policy(day_count=365))
    for row in ledger.installments:
        for value in (row.penalty_accrued, row.compound_accrued, row.principal_paid):
            assert value == value.quantize(D("0.01"))
            assert value.as_tuple().exponent == -2
    assert date(2024, 3, 10) == ledger.as_of


def test_an_installment_left_owing_nothing_counts_as_settled_from_disbursement() -> None:
    """Interest-only rows after the acceleration period owe nothing: settled from disbursed_on, so the
    delinquency timeline never sees them as unpaid. Seq 2's period (1 Feb–1 Mar, 29 days) contains A =
    10 Feb: 15.00 × 9 / 29 = 4.655… → 4.66."""
    table = """
    1 2024-02-01 0.00 15.00
    2 2024-03-01 0.00 15.00
    3 2024-04-01 0.00 15.00
    4 2024-05-01 1000.00 15.00
    """
    ledger = run("2024-02-10", table=table, accelerated_on=d("2024-02-10"))
    assert [(r.interest_due, r.settled_on) for r in ledger.installments] == [
        (D("15.00"), None),
        (D("4.66"), None),
        (D("0.00"), d("2024-01-01")),
        (D("0.00"), None),
    ]
