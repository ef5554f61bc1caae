"""Schedule construction and validation (C9 money at fen, half-up rounding; schedule rules in schedule.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qingshou.domain.errors import ScheduleError
from qingshou.domain.loan import LoanTerms, RepaymentMethod, ScheduledInstallment
from qingshou.domain.schedule import add_months, build_schedule, due_dates, validate_schedule

D = Decimal


def terms(
    method: RepaymentMethod,
    principal: str = "120000.00",
    annual_rate: str = "0.0435",
    disbursed_on: date = date(2024, 1, 15),
    term_months: int = 12,
    first_due_date: date | None = None,
) -> LoanTerms:
    return LoanTerms(
        loan_id="L1",
        product_id="P1",
        principal=D(principal),
        annual_rate=D(annual_rate),
        disbursed_on=disbursed_on,
        term_months=term_months,
        method=method,
        first_due_date=first_due_date,
    )


def rows_of(schedule: tuple[ScheduledInstallment, ...]) -> list[tuple[int, date, str, str]]:
    return [(r.seq, r.due_date, str(r.principal_due), str(r.interest_due)) for r in schedule]


def test_c9_equal_installment_120000_at_4_35_percent_over_12_months() -> None:
    """C9: 等额本息 120 000 at 4.35 % / 12 months: A = 10 237.19, the last installment absorbs the residue."""
    schedule = build_schedule(terms(RepaymentMethod.EQUAL_INSTALLMENT))
    expected = [
        # seq  due date            principal   interest
        (1, date(2024, 2, 15), "9802.19", "435.00"),
        (2, date(2024, 3, 15), "9837.72", "399.47"),
        (3, date(2024, 4, 15), "9873.38", "363.81"),
        (4, date(2024, 5, 15), "9909.18", "328.01"),
        (5, date(2024, 6, 15), "9945.10", "292.09"),
        (6, date(2024, 7, 15), "9981.15", "256.04"),
        (7, date(2024, 8, 15), "10017.33", "219.86"),
        (8, date(2024, 9, 15), "10053.64", "183.55"),
        (9, date(2024, 10, 15), "10090.09", "147.10"),
        (10, date(2024, 11, 15), "10126.66", "110.53"),
        (11, date(2024, 12, 15), "10163.37", "73.82"),
        (12, date(2025, 1, 15), "10200.19", "36.98"),
    ]
    assert rows_of(schedule) == expected
    assert {r.total_due for r in schedule[:-1]} == {D("10237.19")}
    assert schedule[-1].total_due == D("10237.17")
    assert all(r.fee_due == D("0.00") for r in schedule)


def test_c9_equal_principal_120000_at_4_35_percent_over_12_months() -> None:
    """C9: 等额本金: 10 000 of principal a month, interest on the falling balance (435.00, 398.75 … 36.25)."""
    schedule = build_schedule(terms(RepaymentMethod.EQUAL_PRINCIPAL))
    assert [str(r.principal_due) for r in schedule] == ["10000.00"] * 12
    assert [str(r.interest_due) for r in schedule] == [
        "435.00", "398.75", "362.50", "326.25", "290.00", "253.75",
        "217.50", "181.25", "145.00", "108.75", "72.50", "36.25",
    ]  # fmt: skip


def test_c9_equal_principal_residue_on_the_last_installment() -> None:
    """C9: 100 000 over 3 months: 33 333.33 twice, the last takes 33 333.34; interest half-up."""
    schedule = build_schedule(terms(RepaymentMethod.EQUAL_PRINCIPAL, "100000.00", "0.05", term_months=3))
    assert rows_of(schedule) == [
        (1, date(2024, 2, 15), "33333.33", "416.67"),  # 100000 × 0.05/12 = 416.666… → 416.67
        (2, date(2024, 3, 15), "33333.33", "277.78"),  # 66666.67 × 0.05/12 = 277.777… → 277.78
        (3, date(2024, 4, 15), "33333.34", "138.89"),  # 33333.34 × 0.05/12 = 138.888… → 138.89
    ]


def test_c9_interest_only_pays_principal_at_the_end() -> None:
    """C9: 先息后本: interest 435.00 every month on the full principal, principal all in the last."""
    schedule = build_schedule(terms(RepaymentMethod.INTEREST_ONLY))
    assert [str(r.interest_due) for r in schedule] == ["435.00"] * 12
    assert [str(r.principal_due) for r in schedule] == ["0.00"] * 11 + ["120000.00"]


def test_c9_bullet_one_installment_with_term_interest() -> None:
    """C9: 到期一次还本付息: 120 000 × 4.35 % × 12/12 = 5 220.00, due disbursement + 12 months."""
    schedule = build_schedule(terms(RepaymentMethod.BULLET))
    assert rows_of(schedule) == [(1, date(2025, 1, 15), "120000.00", "5220.00")]


def test_c9_bullet_over_7_months_due_on_given_first_due_date() -> None:
    """C9: bullet 10 000 at 3.65 % for 7 months = 212.916… → 212.92; due on first_due_date when given."""
    schedule = build_schedule(
        terms(RepaymentMethod.BULLET, "10000.00", "0.0365", term_months=7, first_due_date=date(2024, 8, 20))
    )
    assert rows_of(schedule) == [(1, date(2024, 8, 20), "10000.00", "212.92")]


def test_c9_zero_rate_equal_installment_splits_principal() -> None:
    """C9: r = 0: A = to_fen(P / n) = 333.33; the last is 333.34; no interest."""
    schedule = build_schedule(terms(RepaymentMethod.EQUAL_INSTALLMENT, "1000.00", "0", term_months=3))
    assert [str(r.principal_due) for r in schedule] == ["333.33", "333.33", "333.34"]
    assert [str(r.interest_due) for r in schedule] == ["0.00"] * 3


@pytest.mark.parametrize(
    ("disbursed_on", "first_due", "expected"),
    [
        # disbursed      first due given     due dates of a 4-month schedule
        (date(2024, 1, 31), None, [date(2024, 2, 29), date(2024, 3, 29), date(2024, 4, 29), date(2024, 5, 29)]),
        (date(2024, 1, 10), date(2024, 1, 31), [date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31), date(2024, 4, 30)]),
        (date(2023, 1, 5), date(2023, 1, 31), [date(2023, 1, 31), date(2023, 2, 28), date(2023, 3, 31), date(2023, 4, 30)]),
        (date(2024, 11, 30), None, [date(2024, 12, 30), date(2025, 1, 30), date(2025, 2, 28), date(2025, 3, 30)]),
    ],
)  # fmt: skip
def test_c9_due_dates_clamp_to_month_end_on_the_first_due_day(
    disbursed_on: date, first_due: date | None, expected: list[date]
) -> None:
    """C9: installment k is due on first due + (k−1) months, on the first due date's day, clamped."""
    loan = terms(
        RepaymentMethod.EQUAL_INSTALLMENT, disbursed_on=disbursed_on, term_months=4, first_due_date=first_due
    )
    assert list(due_dates(loan)) == expected
    assert [r.due_date for r in build_schedule(loan)] == expected


def test_c9_irregular_first_period_interest_is_still_one_month() -> None:
    """C9: a long first period (10 Jan → 20 Feb) still charges balance × r, half-up: 1000 × 0.06/12 = 5.00."""
    loan = terms(
        RepaymentMethod.INTEREST_ONLY,
        "1000.00",
        "0.06",
        date(2024, 1, 10),
        2,
        first_due_date=date(2024, 2, 20),
    )
    assert rows_of(build_schedule(loan)) == [
        (1, date(2024, 2, 20), "0.00", "5.00"),
        (2, date(2024, 3, 20), "1000.00", "5.00"),
    ]


def test_c9_interest_rounds_half_up() -> None:
    """C9: schedules round half-up: 100 × 0.0006 / 12 = 0.005 → 0.01 (rounding down would give 0.00)."""
    loan = terms(RepaymentMethod.INTEREST_ONLY, "100.00", "0.0006", term_months=1)
    assert build_schedule(loan)[0].interest_due == D("0.01")


def test_c9_build_schedule_refuses_sub_fen_principal() -> None:
    """C9: a principal below fen precision cannot produce a schedule."""
    with pytest.raises(ScheduleError) as err:
        build_schedule(terms(RepaymentMethod.EQUAL_PRINCIPAL, "100.005"))
    assert err.value.field == "principal"


def test_add_months_clamps_and_rolls_years() -> None:
    """Month arithmetic used by schedules and legal clocks: clamp to month end, cross years both ways."""
    cases = [
        # start              months  day   expected
        (date(2024, 1, 31), 1, None, date(2024, 2, 29)),
        (date(2023, 1, 31), 1, None, date(2023, 2, 28)),
        (date(2024, 2, 29), 1, 31, date(2024, 3, 31)),
        (date(2024, 12, 15), 1, None, date(2025, 1, 15)),
        (date(2024, 3, 31), -1, None, date(2024, 2, 29)),
        (date(2024, 8, 31), 6, None, date(2025, 2, 28)),
    ]
    for start, months, day, expected in cases:
        assert add_months(start, months, day) == expected, (start, months, day)


# --- validate_schedule ---------------------------------------------------------------------------------


def given_rows(*rows: tuple[int, date, str, str]) -> list[ScheduledInstallment]:
    return [ScheduledInstallment(seq, due, D(p), D(i)) for seq, due, p, i in rows]


LOAN = terms(RepaymentMethod.EQUAL_PRINCIPAL, "300.00", disbursed_on=date(2024, 1, 15), term_months=3)


def test_c9_validate_schedule_accepts_a_consistent_schedule() -> None:
    """C9: a core schedule with contiguous seqs, rising dates and principal summing to P is accepted."""
    rows = given_rows(
        (1, date(2024, 2, 15), "100.00", "1.00"),
        (2, date(2024, 3, 15), "100.00", "0.67"),
        (3, date(2024, 4, 15), "100.00", "0.33"),
    )
    assert validate_schedule(LOAN, rows) == tuple(rows)


@pytest.mark.parametrize(
    ("rows", "field"),
    [
        (((1, date(2024, 2, 15), "150.00", "1"), (3, date(2024, 3, 15), "150.00", "1")), "installments[3].seq"),
        (((1, date(2024, 2, 15), "150.00", "1"), (2, date(2024, 2, 15), "150.00", "1")), "installments[2].due_date"),
        (((1, date(2024, 1, 15), "300.00", "1"),), "installments[1].due_date"),
        (((1, date(2024, 2, 15), "-1.00", "1"), (2, date(2024, 3, 15), "301.00", "1")), "installments[1].principal_due"),
        (((1, date(2024, 2, 15), "300.00", "0.001"),), "installments[1].interest_due"),
        (((1, date(2024, 2, 15), "100.00", "1"), (2, date(2024, 3, 15), "199.99", "1")), "installments[2].principal_due"),
        ((), "installments"),
    ],
)  # fmt: skip
def test_c9_validate_schedule_names_seq_and_field(
    rows: tuple[tuple[int, date, str, str], ...], field: str
) -> None:
    """C9: gaps in seqs, non-increasing dates, a date on disbursement, negative or sub-fen amounts and a
    principal that does not sum to P are refused, naming the installment and field."""
    with pytest.raises(ScheduleError) as err:
        validate_schedule(LOAN, given_rows(*rows))
    assert err.value.field == field


def test_c9_validate_schedule_refuses_negative_fee() -> None:
    """C9: a negative fee is refused like any other amount."""
    row = replace(given_rows((1, date(2024, 2, 15), "300.00", "1.00"))[0], fee_due=D("-0.01"))
    with pytest.raises(ScheduleError) as err:
        validate_schedule(LOAN, [row])
    assert err.value.field == "installments[1].fee_due"


# --- properties ----------------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(
    method=st.sampled_from(list(RepaymentMethod)),
    principal_fen=st.integers(min_value=1, max_value=10**10),
    rate_bp=st.integers(min_value=0, max_value=3600),
    term_months=st.integers(min_value=1, max_value=60),
    disbursed_on=st.dates(min_value=date(2004, 1, 1), max_value=date(2030, 12, 31)),
)
def test_c9_every_built_schedule_is_valid(
    method: RepaymentMethod, principal_fen: int, rate_bp: int, term_months: int, disbursed_on: date
) -> None:
    """C9: whatever the terms, the built schedule passes validate_schedule: fen amounts ≥ 0, principal = P."""
    loan = terms(
        method,
        str(D(principal_fen) / 100),
        str(D(rate_bp) / 10000),
        disbursed_on=disbursed_on,
        term_months=term_months,
    )
    schedule = build_schedule(loan)
    assert validate_schedule(loan, schedule) == schedule
    expected_count = 1 if method is RepaymentMethod.BULLET else term_months
    assert len(schedule) == expected_count
