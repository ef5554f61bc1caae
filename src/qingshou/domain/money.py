"""Money: the one module that owns fen precision and rounding (conventions C4, C9).

Amounts are ``Decimal`` built from ``str`` or ``int`` only, never from ``float``. The fen (0.01 yuan) is
the unit of every stored and reported amount; exact intermediate values (daily accruals) keep full
precision until a named rounding point crystallises them with the product's rounding mode.
"""

from __future__ import annotations

import decimal
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Final

from qingshou.domain.errors import MoneyError

FEN: Final = Decimal("0.01")
ZERO: Final = Decimal("0.00")
#: Precision for exact intermediate arithmetic (accruals between events). 34 digits is IEEE decimal128.
EXACT_CONTEXT: Final = decimal.Context(prec=34, rounding=ROUND_HALF_UP)


class Rounding(StrEnum):
    """How an exact amount becomes fen (per product ``rounding``, C4)."""

    HALF_UP = "half_up"
    DOWN = "down"


_MODES: Final = {Rounding.HALF_UP: ROUND_HALF_UP, Rounding.DOWN: ROUND_DOWN}


def to_fen(amount: Decimal, rounding: Rounding = Rounding.HALF_UP) -> Decimal:
    """Round ``amount`` to the fen with ``rounding`` — the only rounding point of the system."""
    return amount.quantize(FEN, rounding=_MODES[rounding])


def money(value: str | int | Decimal) -> Decimal:
    """Read an amount of yuan with at most two decimals; refuse floats and sub-fen precision."""
    if isinstance(value, float | bool):
        raise MoneyError(f"money must be built from str or int, not {type(value).__name__}")
    try:
        amount = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
    except decimal.InvalidOperation:
        raise MoneyError(f"not an amount: {value!r}") from None
    if not amount.is_finite():
        raise MoneyError(f"not a finite amount: {value!r}")
    if amount != amount.quantize(FEN, rounding=ROUND_DOWN):
        raise MoneyError(f"more than two decimals: {value!r}")
    return amount.quantize(FEN)


def rate(value: str | int | Decimal) -> Decimal:
    """Read a rate as a decimal fraction ("0.0435" = 4.35 % a year); refuse floats."""
    if isinstance(value, float | bool):
        raise MoneyError(f"a rate must be built from str or int, not {type(value).__name__}")
    try:
        result = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
    except decimal.InvalidOperation:
        raise MoneyError(f"not a rate: {value!r}") from None
    if not result.is_finite():
        raise MoneyError(f"not a finite rate: {value!r}")
    return result


def fen(amount: Decimal) -> int:
    """Integer fen of an amount that is already at fen precision (database and engine form)."""
    quantized = amount.quantize(FEN)
    if quantized != amount:
        raise MoneyError(f"{amount} is not at fen precision; round it first")
    return int(quantized * 100)


def from_fen(value: int) -> Decimal:
    """The ``Decimal`` yuan amount of integer fen."""
    return (Decimal(value) / 100).quantize(FEN)


def money_str(amount: Decimal) -> str:
    """The JSON form of an amount: a decimal string with exactly two places ("1033.30")."""
    return str(amount.quantize(FEN))
