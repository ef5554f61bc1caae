"""How the report and the dashboards show a value of a contract column (zh-CN by default, English available).

Money is fen shown as yuan with thousands separators and two decimals (``12,345.60``; ``¥`` is the column
header's business, not the cell's), ratios as percentages with two decimals (``1.23%``), annual rates (decimal
strings, ``"0.0725"``) as percentages with two decimals computed exactly in ``Decimal`` (``7.25%``; a rate in
basis points shows exactly), counts and days as
integers with separators, months as ``2026-11`` (zh and en alike: the report is read in China), null as ``—``.
The same function formats the PDF text and the HTML, so a figure reads the same everywhere (the tests compare
the PDF's text with the metrics through it).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
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


def rate_percent(rate: str | Decimal) -> str:
    """``"0.0725"`` → ``7.25%`` (exact ``Decimal`` arithmetic, half-up to two decimals of a per cent)."""
    value = (Decimal(str(rate)) * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{value:,}%"


def label_text(value: str, lang: str = "zh") -> str:
    """A label cell in the reader's language. The book's tables write codes (``special_mention``, ``fpd``,
    ``cure_M1``, ``yes``) named in Chinese by ``book.label_zh``; the operations tables write Chinese labels
    whose English is in their ``LABELS_EN``; anything else (bucket names, product ids, people) is shown as is."""
    from qingshou.analytics import book, ops_contacts, ops_impact

    if lang == "zh":
        return book.label_zh(value)
    english = ops_contacts.LABELS_EN.get(value) or ops_impact.LABELS_EN.get(value)
    if english is not None:
        return english
    if value.startswith("cure_"):
        return f"{value.removeprefix('cure_')} cure rate"
    return value.replace("_", " ") if value in book.LABELS_ZH else value


#: The language labels are shown in (``zh`` / ``en``): set for a rendering with ``language``.
_LANGUAGE: ContextVar[str] = ContextVar("qingshou_report_language", default="zh")


def current_language() -> str:
    """The language of the enclosing ``language`` block (``zh`` outside any)."""
    return _LANGUAGE.get()


@contextmanager
def language(lang: str) -> Iterator[None]:
    """Show labels in ``lang`` inside the block (a report in English, a dashboard page in English)."""
    token = _LANGUAGE.set(lang)
    try:
        yield
    finally:
        _LANGUAGE.reset(token)


def value_text(kind: Kind, value: object) -> str:
    """One cell or figure as text (labels in the ``language`` of the block, Chinese by default)."""
    if value is None:
        return NULL
    if kind is Kind.LABEL and isinstance(value, str):
        return label_text(value, _LANGUAGE.get())
    if kind is Kind.FEN:
        return yuan(int(value))  # type: ignore[call-overload]
    if kind is Kind.RATIO:
        return percent(float(value))  # type: ignore[arg-type]
    if kind is Kind.RATE and isinstance(value, str | Decimal):
        return rate_percent(value)
    if kind in (Kind.COUNT, Kind.DAYS):
        return f"{int(value):,}"  # type: ignore[call-overload]
    if kind is Kind.MONTH and isinstance(value, date):
        return f"{value:%Y-%m}"
    if kind is Kind.DATE and isinstance(value, date):
        return value.isoformat()
    return str(value)
