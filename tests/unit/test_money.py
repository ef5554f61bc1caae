"""Money and rates: Decimal from str/int only, fen precision, rounding, integer fen (C4, C9)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qingshou.domain.errors import MoneyError
from qingshou.domain.money import Rounding, fen, from_fen, money, money_str, rate, to_fen


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1033.33", "1033.33"), (" 12.3 ", "12.30"), (100, "100.00"), ("0", "0.00"), ("-5.5", "-5.50"),
     (Decimal("7.1"), "7.10"), ("1e2", "100.00")],
)  # fmt: skip
def test_c9_money_reads_str_int_and_decimal_at_fen(value: str | int | Decimal, expected: str) -> None:
    """C9: amounts from str, int or Decimal become Decimal with exactly two places."""
    amount = money(value)
    assert isinstance(amount, Decimal)
    assert str(amount) == expected


@pytest.mark.parametrize("value", [1.5, 0.1, True, "1.005", Decimal("0.001"), "abc", "", "NaN", "Infinity"])
def test_c9_money_refuses_float_sub_fen_and_non_numbers(value: object) -> None:
    """C9: never float (nor bool); no sub-fen precision; not-a-number and infinities refused."""
    with pytest.raises(MoneyError):
        money(value)  # type: ignore[arg-type]


def test_c9_rate_reads_decimal_strings_and_refuses_float() -> None:
    """C9: "0.0435" = 4.35 % a year; floats, bools, garbage and infinities are refused."""
    assert rate("0.0435") == Decimal("0.0435")
    assert rate(0) == Decimal(0)
    assert rate(" 0.000125 ") == Decimal("0.000125")  # rates keep their precision
    for bad in (0.0435, False, "4.35%", "inf"):
        with pytest.raises(MoneyError):
            rate(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("exact", "half_up", "down"),
    [
        # exact          half_up   down
        ("1.005", "1.01", "1.00"),
        ("1.004999", "1.00", "1.00"),
        ("2.675", "2.68", "2.67"),
        ("0.0049", "0.00", "0.00"),
        ("-1.005", "-1.01", "-1.00"),
        ("10.10", "10.10", "10.10"),
    ],
)
def test_c4_to_fen_half_up_versus_down(exact: str, half_up: str, down: str) -> None:
    """C4: accruals crystallise half-up by default, or down per product."""
    assert str(to_fen(Decimal(exact))) == half_up
    assert str(to_fen(Decimal(exact), Rounding.HALF_UP)) == half_up
    assert str(to_fen(Decimal(exact), Rounding.DOWN)) == down


def test_c9_fen_and_from_fen() -> None:
    """C9: integer fen for the database and engine; sub-fen amounts must be rounded first."""
    assert fen(Decimal("1033.33")) == 103333
    assert fen(Decimal("1.5")) == 150
    assert fen(Decimal("-0.01")) == -1
    assert from_fen(103333) == Decimal("1033.33")
    assert str(from_fen(5)) == "0.05"
    with pytest.raises(MoneyError):
        fen(Decimal("1.005"))


def test_c9_money_str_has_two_places() -> None:
    """C9: JSON amounts are decimal strings with two places."""
    assert money_str(Decimal("1033.3")) == "1033.30"
    assert money_str(Decimal(0)) == "0.00"


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_c9_fen_round_trip(value: int) -> None:
    """C9 property: fen(from_fen(n)) == n and money(str(from_fen(n))) == from_fen(n)."""
    amount = from_fen(value)
    assert fen(amount) == value
    assert money(money_str(amount)) == amount
