"""Accrual arithmetic on its own (C4): days counted, exact balance-days, rounding, grace, cap room."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from qingshou.domain import accrual
from qingshou.domain.policy import ProductPolicy

D = Decimal


def test_the_due_day_is_day_zero() -> None:
    """C4: days d with origin < d ≤ D. Due 1 Jan, accrued through 10 Jan → 9 days; none on the due day."""
    due = date(2024, 1, 1)
    assert accrual.accrual_days(due, due, date(2024, 1, 10)) == 9
    assert accrual.accrual_days(due, due, due) == 0
    assert accrual.accrual_days(due, due, date(2023, 12, 20)) == 0
    # Continuing from an earlier accrual counts only the days after it.
    assert accrual.accrual_days(due, date(2024, 1, 4), date(2024, 1, 10)) == 6


@pytest.mark.parametrize(
    ("day_count", "expected"),
    [(360, "7.50"), (365, "7.40")],
)
def test_day_count_basis(day_count: int, expected: str) -> None:
    """C4 worked figure: 1000.00 overdue 10 days at 18 % × 1.5 = 27 % a year.

    360: 1000 × 0.27 × 10 / 360 = 7.50. 365: 1000 × 0.27 × 10 / 365 = 7.3972… → 7.40 (half-up).
    """
    policy = ProductPolicy.build("P1", day_count=day_count)
    measure = accrual.balance_days(D("1000.00"), 10)
    assert accrual.crystallise(measure, D("0.18"), policy) == D(expected)


def test_exact_accrual_is_not_rounded_until_crystallised() -> None:
    """C4: 15.00 × 4 days × 0.27 / 360 = 0.045 exactly; half_up → 0.05, down → 0.04."""
    measure = accrual.balance_days(D("15.00"), 4)
    half_up = ProductPolicy.build("P1")
    down = ProductPolicy.build("P1", rounding="down")
    assert accrual.exact_accrual(measure, D("0.18"), half_up) == D("0.045")
    assert accrual.crystallise(measure, D("0.18"), half_up) == D("0.05")
    assert accrual.crystallise(measure, D("0.18"), down) == D("0.04")


def test_segments_add_up_to_the_whole() -> None:
    """Exact between events: 3 + 7 days on 1234.57 is the same measure as 10 days."""
    whole = accrual.balance_days(D("1234.57"), 10)
    parts = accrual.balance_days(D("1234.57"), 3) + accrual.balance_days(D("1234.57"), 7)
    assert whole == parts


def test_markup_and_zero_rate() -> None:
    """Penalty rate = contract × (1 + markup); a zero-rate loan accrues nothing."""
    policy = ProductPolicy.build("P1", penalty_markup="0.3")
    assert accrual.penalty_rate(D("0.10"), policy) == D("0.130")
    assert accrual.crystallise(D("100000.00"), D("0"), policy) == D("0.00")


def test_grace_is_contingent_until_the_last_on_time_day() -> None:
    """C2/C4: within grace and unpaid the accrual is contingent; settled, or after grace, it is not."""
    last = date(2024, 2, 4)
    assert accrual.is_contingent(date(2024, 2, 4), last, None)
    assert not accrual.is_contingent(date(2024, 2, 5), last, None)
    assert not accrual.is_contingent(date(2024, 2, 3), last, date(2024, 2, 3))


def test_cap_room() -> None:
    """C4 card cap: room = principal − interest and fees − penalty and compound already charged, ≥ 0."""
    assert accrual.cap_room(D("1000.00"), D("100.00"), D("250.00")) == D("650.00")
    assert accrual.cap_room(D("1000.00"), D("900.00"), D("250.00")) == D("0.00")
