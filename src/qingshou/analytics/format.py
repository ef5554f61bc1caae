"""How the report and the dashboards show a value of a contract column (zh-CN by default, English available).

Money is fen shown as yuan with thousands separators and two decimals (``12,345.60``; ``¥`` is the column
header's business, not the cell's), ratios as percentages with two decimals (``1.23%``), counts and days as
integers with separators, months as ``2026-11`` (zh and en alike: the report is read in China), null as ``—``.
The same function formats the PDF text and the HTML, so a figure reads the same everywhere (the tests compare
the PDF's text with the metrics through it).
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from qingshou.analytics.contract import Kind

NULL = "—"


def yuan(fen: int) -> str:
    """``1234560`` → ``12,345.60`` (exact: integer arithmetic)."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole:,}.{cents:02d}"


def percent(ratio: float) -> str:
    """``0.012345`` → ``1.23%`` (half-up on the decimal value of the float)."""
    value = (Decimal(repr(ratio)) * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{value:,}%"


def value_text(kind: Kind, value: object) -> str:
    """One cell or figure as text."""
    if value is None:
        return NULL
    if kind is Kind.FEN:
        return yuan(int(value))  # type: ignore[call-overload]
    if kind is Kind.RATIO:
        return percent(float(value))  # type: ignore[arg-type]
    if kind in (Kind.COUNT, Kind.DAYS):
        return f"{int(value):,}"  # type: ignore[call-overload]
    if kind is Kind.MONTH and isinstance(value, date):
        return f"{value:%Y-%m}"
    if kind is Kind.DATE and isinstance(value, date):
        return value.isoformat()
    return str(value)
