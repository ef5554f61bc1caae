"""The report's workbook: the data behind every table and chart (openpyxl).

One sheet per table (sheet name = the table key; header = the column titles in the report's language):
money as yuan numbers with two decimals (exact: the fen divided by 100 as a decimal), ratios as
percentage-formatted fractions, annual rates (the pricing table's decimal strings) as exact decimal numbers
formatted as percentages, notes in the report's language, counts as integers, months and dates as dates. Then the sheets ``figures``
(key, label, value, table, row, as shown) and ``recommendations`` (one line per evidence figure), and
``notes``.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from qingshou.analytics.contract import TABLES, Figure, Kind, MonthData
from qingshou.analytics.format import value_text
from qingshou.apps.reports.content import pick

FORMATS = {
    Kind.FEN: "#,##0.00",
    Kind.RATIO: "0.00%",
    Kind.RATE: "0.00%",
    Kind.COUNT: "#,##0",
    Kind.DAYS: "#,##0",
    Kind.MONTH: "yyyy-mm",
    Kind.DATE: "yyyy-mm-dd",
}


def cell_value(kind: Kind, value: Any) -> Any:
    """The workbook value of a contract value (yuan as an exact ``Decimal`` for money)."""
    if value is None:
        return None
    if kind is Kind.FEN:
        return Decimal(int(value)).scaleb(-2)
    if kind is Kind.RATE:
        return Decimal(str(value))
    return value


def _header(sheet: Worksheet, titles: list[str]) -> None:
    sheet.append(titles)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"


def _append(sheet: Worksheet, kinds: list[Kind], values: list[Any]) -> None:
    sheet.append([cell_value(kind, value) for kind, value in zip(kinds, values, strict=True)])
    for cell, kind in zip(sheet[sheet.max_row], kinds, strict=True):
        if kind in FORMATS:
            cell.number_format = FORMATS[kind]


def _figure_row(figure: Figure) -> list[Any]:
    return [
        cell_value(figure.kind, figure.value),
        value_text(figure.kind, figure.value),
        figure.table,
        figure.row,
    ]


def _figure_cells(sheet: Worksheet, column: int, figure: Figure) -> None:
    if figure.kind in FORMATS:
        sheet.cell(sheet.max_row, column).number_format = FORMATS[figure.kind]


def write(data: MonthData, lang: str, path: Path) -> Path:
    """Write the workbook of ``data`` to ``path``."""
    book = Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    for key, spec in TABLES.items():
        sheet = book.create_sheet(key)
        _header(sheet, [pick(lang, column.zh, column.en) for column in spec.columns])
        kinds = [column.kind for column in spec.columns]
        for values in data.tables[key].frame.iter_rows():
            _append(sheet, kinds, list(values))
    figures = book.create_sheet("figures")
    _header(figures, [_("key"), _("label"), _("value"), _("as shown"), _("table"), _("row")])
    for figure in data.figures:
        figures.append([figure.key, pick(lang, figure.zh, figure.en), *_figure_row(figure)])
        _figure_cells(figures, 3, figure)
    recommendations = book.create_sheet("recommendations")
    _header(
        recommendations,
        [
            _("priority"),
            _("rule"),
            _("recommendation"),
            _("evidence"),
            _("label"),
            _("value"),
            _("as shown"),
            _("table"),
            _("row"),
        ],
    )
    for item in data.recommendations:
        for figure in item.evidence:
            recommendations.append(
                [
                    item.priority,
                    item.key,
                    pick(lang, item.zh, item.en),
                    figure.key,
                    pick(lang, figure.zh, figure.en),
                    *_figure_row(figure),
                ]
            )
            _figure_cells(recommendations, 6, figure)
    notes = book.create_sheet("notes")
    _header(notes, [_("note")])
    for note in data.notes:
        notes.append([note.text(lang)])
    book.save(path)
    return path
