"""The report's charts: every ``contract.CHARTS`` entry drawn generically from its ``ChartSpec`` (PNG).

matplotlib with the Agg backend (no display) and the CJK font of Debian's fonts-wqy-microhei (installed by
scripts/system-packages; nothing is downloaded at run time). Money is drawn in yuan, ratios in percent;
labels (months, vintages) are formatted by ``format.value_text`` like the tables.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import polars as pl
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.figure import Figure as MplFigure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from qingshou.analytics.contract import TABLES, ChartKind, ChartSpec, Kind, Table
from qingshou.analytics.format import value_text

#: The CJK font (TrueType collection; subfont 0 is WenQuanYi Micro Hei).
CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
DPI = 110
SIZE = (8.0, 3.6)


class FontMissing(RuntimeError):
    """The CJK font is not installed (run scripts/system-packages)."""


@cache
def font_family() -> str:
    """Register the CJK font with matplotlib once; its family name."""
    if not CJK_FONT.is_file():
        raise FontMissing(f"{CJK_FONT} is missing: install fonts-wqy-microhei (scripts/system-packages)")
    font_manager.fontManager.addfont(str(CJK_FONT))
    return font_manager.FontProperties(fname=str(CJK_FONT)).get_name()


def _kind(table: str, column: str) -> Kind:
    return next(item.kind for item in TABLES[table].columns if item.name == column)


def _title(table: str, column: str, lang: str) -> str:
    item = next(item for item in TABLES[table].columns if item.name == column)
    unit = {Kind.FEN: " (元)" if lang == "zh" else " (yuan)", Kind.RATIO: " (%)"}.get(item.kind, "")
    return (item.en if lang == "en" else item.zh) + unit


def _number(kind: Kind, value: Any) -> float:
    """A value on the chart's axis: yuan for money, percent for ratios, 0 for null."""
    if value is None:
        return 0.0
    if kind is Kind.FEN:
        return int(value) / 100
    if kind is Kind.RATIO:
        return float(value) * 100
    return float(value)


def _label(kind: Kind, value: Any) -> str:
    return value_text(kind, value)


def _bar(axes: Axes, spec: ChartSpec, frame: pl.DataFrame) -> None:
    x_kind, y_kind = _kind(spec.table, spec.x), _kind(spec.table, spec.y)
    labels = [_label(x_kind, value) for value in frame[spec.x]]
    values = [_number(y_kind, value) for value in frame[spec.y]]
    axes.bar(labels, values, color="#2f6db5")


def _stacked(axes: Axes, spec: ChartSpec, frame: pl.DataFrame) -> None:
    x_kind, y_kind = _kind(spec.table, spec.x), _kind(spec.table, spec.y)
    xs = list(dict.fromkeys(frame[spec.x].to_list()))
    labels = [_label(x_kind, value) for value in xs]
    series = list(dict.fromkeys(frame[spec.series].to_list())) if spec.series else [None]
    bottom = [0.0] * len(xs)
    for name in series:
        part = frame if name is None else frame.filter(pl.col(spec.series) == name)
        by_x = {row[spec.x]: _number(y_kind, row[spec.y]) for row in part.to_dicts()}
        heights = [by_x.get(x, 0.0) for x in xs]
        axes.bar(labels, heights, bottom=bottom, label=None if name is None else str(name))
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    if spec.series:
        axes.legend(fontsize=7)


#: The order of bucket-like labels on a heat map's axes (others follow, alphabetically).
ORDER = ("M0", "M1", "M2", "M3", "M4", "M5", "M6", "M7+", "settled", "written_off")


def _ordered(values: list[Any]) -> list[Any]:
    return sorted(
        dict.fromkeys(values),
        key=lambda value: (ORDER.index(value) if value in ORDER else len(ORDER), str(value)),
    )


def _heatmap(axes: Axes, spec: ChartSpec, frame: pl.DataFrame) -> None:
    y_kind = _kind(spec.table, spec.y)
    columns = _ordered(frame[spec.x].to_list())
    rows = _ordered(frame[spec.series].to_list())
    cells = {(row[spec.series], row[spec.x]): row[spec.y] for row in frame.to_dicts()}
    grid = [[_number(y_kind, cells.get((r, c))) for c in columns] for r in rows]
    axes.imshow(grid, cmap="Reds", aspect="auto", vmin=0.0)
    top = max((value for line in grid for value in line), default=0.0)
    x_kind, row_kind = _kind(spec.table, spec.x), _kind(spec.table, spec.series)
    axes.set_xticks(range(len(columns)), [_label(x_kind, c) for c in columns], fontsize=7)
    axes.set_yticks(range(len(rows)), [_label(row_kind, r) for r in rows], fontsize=7)
    for i, r in enumerate(rows):
        for j, c in enumerate(columns):
            if (r, c) in cells and cells[(r, c)] is not None:
                dark = top > 0 and grid[i][j] > top * 0.6
                text = _label(y_kind, cells[(r, c)])
                axes.text(
                    j, i, text, ha="center", va="center", fontsize=6, color="white" if dark else "black"
                )


def _line(axes: Axes, spec: ChartSpec, frame: pl.DataFrame) -> None:
    y_kind = _kind(spec.table, spec.y)
    series_kind = _kind(spec.table, spec.series) if spec.series else Kind.LABEL
    series = list(dict.fromkeys(frame[spec.series].to_list())) if spec.series else [None]
    for name in series:
        part = frame if name is None else frame.filter(pl.col(spec.series) == name)
        part = part.sort(spec.x)
        axes.plot(
            [_number(Kind.COUNT, value) for value in part[spec.x]],
            [_number(y_kind, value) for value in part[spec.y]],
            marker="o",
            markersize=3,
            label=None if name is None else _label(series_kind, name),
        )
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    if spec.series and series:
        axes.legend(fontsize=7, ncol=4)


def _digits(value: float) -> int:
    """Decimals of an axis tick: none for whole numbers, two otherwise."""
    return 0 if float(value).is_integer() else 2


_DRAW = {ChartKind.BAR: _bar, ChartKind.STACKED: _stacked, ChartKind.HEATMAP: _heatmap, ChartKind.LINE: _line}


def render(spec: ChartSpec, table: Table, lang: str) -> bytes:
    """The chart of ``spec`` over ``table`` as PNG bytes (a "no data" chart when the table is empty)."""
    family = font_family()
    with matplotlib.rc_context({"font.family": family, "axes.unicode_minus": False}):
        figure = MplFigure(figsize=SIZE, dpi=DPI)
        axes = figure.add_subplot()
        axes.set_title(spec.en if lang == "en" else spec.zh, fontsize=10)
        frame = table.frame
        if frame.is_empty():
            axes.text(0.5, 0.5, "No data" if lang == "en" else "无数据", ha="center", va="center")
            axes.set_axis_off()
        else:
            _DRAW[spec.kind](axes, spec, frame)
            if spec.kind is not ChartKind.HEATMAP:
                axes.yaxis.set_major_formatter(
                    FuncFormatter(lambda value, _position: f"{value:,.{_digits(value)}f}")
                )
                axes.set_ylabel(_title(spec.table, spec.y, lang), fontsize=8)
                axes.tick_params(labelsize=7)
            axes.set_xlabel(_title(spec.table, spec.x, lang), fontsize=8)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
    return buffer.getvalue()
