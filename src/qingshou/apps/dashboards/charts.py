"""ECharts options built on the server from the contract's ``ChartSpec`` (bar / stacked / heatmap / line).

The page embeds each option with ``json_script`` and ``static/dashboards/dashboards.js`` hands it to
``echarts.init(...).setOption`` — no inline script (the CSP forbids them) and no JavaScript in the option
(htmx and ECharts run without eval). Values follow the house rule for JSON: money as decimal strings of yuan
(``"12345.60"``, exact from the integer fen), ratios as decimal strings of percent (``"1.23"``), counts as
integers, null as ``null`` (a gap). ``qs.unit`` tells the script how to format them (yuan, percent or count)
in tooltips and axis labels; the option's tooltip renders in the canvas (``renderMode: richText``), so no
inline style reaches the DOM.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import Any, Final

from qingshou.analytics.contract import CHARTS, ChartKind, ChartSpec, Column, Kind, Table
from qingshou.analytics.format import value_text
from qingshou.apps.dashboards.present import pick

JsonValue = str | int | None

#: The unit of a value column's kind (the script's formatter).
UNITS: Final = {
    Kind.FEN: "yuan",
    Kind.RATIO: "percent",
    Kind.RATE: "percent",
    Kind.COUNT: "count",
    Kind.DAYS: "count",
}


def column(table: Table, name: str) -> Column:
    """The spec's column ``name`` of ``table`` (``ValueError`` naming the chart's table and column)."""
    for candidate in table.spec.columns:
        if candidate.name == name:
            return candidate
    raise ValueError(f"table {table.key} has no column {name!r}")


def json_value(kind: Kind, value: object) -> JsonValue:
    """A chart value: yuan or percent as an exact decimal string, a count as an int, null as None."""
    if value is None:
        return None
    if kind in (Kind.FEN, Kind.COUNT, Kind.DAYS) and isinstance(value, int):
        return str(Decimal(value).scaleb(-2)) if kind is Kind.FEN else value
    if kind is Kind.RATIO and isinstance(value, int | float):
        percent = Decimal(repr(float(value))) * 100
        return str(percent.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
    if kind is Kind.RATE and isinstance(value, str):
        return str((Decimal(value) * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
    raise ValueError(f"a {kind} column cannot be a chart's value ({value!r})")


def categories(table: Table, name: str) -> list[str]:
    """The distinct values of a category column as text: labels in the table's order, numbers and months
    sorted."""
    kind = column(table, name).kind
    values = [value for value in table.frame[name].unique(maintain_order=True).to_list() if value is not None]
    if kind is not Kind.LABEL:
        values = sorted(values, key=lambda value: value if not isinstance(value, date) else value.toordinal())
    return [value_text(kind, value) for value in values]


def _series_rows(spec: ChartSpec, table: Table) -> tuple[list[str], dict[str, dict[str, JsonValue]]]:
    """x categories and, for each series name, its value by x category."""
    x_kind = column(table, spec.x).kind
    y_kind = column(table, spec.y).kind
    y_title = pick(column(table, spec.y).zh, column(table, spec.y).en)
    x_values = categories(table, spec.x)
    series_kind = column(table, spec.series).kind if spec.series else Kind.LABEL
    lines: dict[str, dict[str, JsonValue]] = {}
    if spec.series:
        for name in categories(table, spec.series):
            lines[name] = {}
    else:
        lines[y_title] = {}
    for row in table.frame.select([spec.x, spec.y, *([spec.series] if spec.series else [])]).iter_rows():
        if row[0] is None:
            continue
        name = value_text(series_kind, row[2]) if spec.series else y_title
        lines.setdefault(name, {})[value_text(x_kind, row[0])] = json_value(y_kind, row[1])
    return x_values, lines


def _axis(kind: str, name: str, data: list[str]) -> dict[str, Any]:
    """A category axis named in the middle, under (or beside) its labels."""
    return {"type": kind, "name": name, "nameLocation": "middle", "nameGap": 28, "data": data}


def chart_option(spec: ChartSpec, table: Table) -> dict[str, Any]:
    """The ECharts option of chart ``spec`` over ``table`` (the chart's table of the month)."""
    if table.key != spec.table:
        raise ValueError(f"chart {spec.key} draws {spec.table}, not {table.key}")
    y_column = column(table, spec.y)
    unit = UNITS.get(y_column.kind)
    if unit is None:
        raise ValueError(f"chart {spec.key}: column {spec.y} is not a number")
    option: dict[str, Any] = {
        "qs": {"unit": unit},
        "aria": {"enabled": True},
        "animation": False,
        "tooltip": {"renderMode": "richText", "trigger": "axis"},
        "grid": {"left": 16, "right": 24, "top": 48, "bottom": 32, "containLabel": True},
    }
    if spec.kind is ChartKind.HEATMAP:
        return option | _heatmap(spec, table)
    x_values, lines = _series_rows(spec, table)
    kind = "line" if spec.kind is ChartKind.LINE else "bar"
    series: list[dict[str, Any]] = []
    for name, values in lines.items():
        item: dict[str, Any] = {"type": kind, "name": name, "data": [values.get(x) for x in x_values]}
        if spec.kind is ChartKind.STACKED:
            item["stack"] = "total"
        if spec.kind is ChartKind.LINE:
            item["connectNulls"] = False
        series.append(item)
    x_column = column(table, spec.x)
    option |= {
        "xAxis": _axis("category", pick(x_column.zh, x_column.en), x_values),
        "yAxis": {"type": "value", "name": pick(y_column.zh, y_column.en)},
        "series": series,
    }
    if len(series) > 1:
        option["legend"] = {"type": "scroll", "top": 0}
    return option


def _heatmap(spec: ChartSpec, table: Table) -> dict[str, Any]:
    """x = ``spec.x`` categories, rows = ``spec.series`` categories, cell = ``spec.y``."""
    x_kind = column(table, spec.x).kind
    y_kind = column(table, spec.y).kind
    row_kind = column(table, spec.series).kind
    x_values = categories(table, spec.x)
    row_values = categories(table, spec.series)
    x_index = {value: index for index, value in enumerate(x_values)}
    row_index = {value: index for index, value in enumerate(row_values)}
    cells: list[list[JsonValue]] = []
    top = Decimal(0)
    for x, y, row in table.frame.select([spec.x, spec.y, spec.series]).iter_rows():
        if x is None or row is None:
            continue
        value = json_value(y_kind, y)
        cells.append([x_index[value_text(x_kind, x)], row_index[value_text(row_kind, row)], value])
        if value is not None:
            top = max(top, Decimal(value))
    x_column = column(table, spec.x)
    row_column = column(table, spec.series)
    return {
        "tooltip": {"renderMode": "richText", "trigger": "item"},
        "grid": {"left": 40, "right": 24, "top": 24, "bottom": 96, "containLabel": True},
        "xAxis": _axis("category", pick(x_column.zh, x_column.en), x_values),
        "yAxis": _axis("category", pick(row_column.zh, row_column.en), row_values) | {"nameRotate": 90},
        "visualMap": {
            "min": 0,
            "max": int(top.to_integral_value(rounding=ROUND_CEILING)) if top > 0 else 1,
            "calculable": True,
            "orient": "horizontal",
            "left": "center",
            "bottom": 0,
        },
        "series": [
            {
                "type": "heatmap",
                "name": pick(column(table, spec.y).zh, column(table, spec.y).en),
                "data": cells,
                "label": {"show": True},
            }
        ],
    }


def charts_of(
    tables: Mapping[str, Table], wanted: Collection[str] | None = None
) -> list[tuple[ChartSpec, Table]]:
    """The charts (all, or those drawing a table of ``wanted``) with their month's table, in ``CHARTS`` order."""
    return [
        (spec, tables[spec.table])
        for spec in CHARTS.values()
        if (wanted is None or spec.table in wanted) and spec.table in tables
    ]
