"""A hand-built ``MonthData`` and a fake lake for the dashboards' tests (issue 7): every contract table, the
charted ones with a few rows whose formatted values are known, the rest empty; two figures and one
recommendation with its evidence. ``fake_lake(root, days)`` creates the snapshot partitions' folders (the
dashboards list the lake's days; the metrics, replaced in these tests, would read the Parquet parts)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path

import polars as pl

from qingshou.analytics.contract import (
    DTYPES,
    TABLES,
    Figure,
    Kind,
    MonthData,
    Note,
    Recommendation,
    Table,
    check_table,
    empty_table,
)
from qingshou.analytics.sources import Sources
from qingshou.lake.snapshots import partition_path

#: Rows of the charted tables (and one more), by key, in the contract's column order.
ROWS: Mapping[str, list[tuple[object, ...]]] = {
    "stock_by_bucket": [
        ("current", 80, 123_456_789, 0, 0.8),
        ("M1", 12, 1_234_560, 345_600, 0.012345),
        ("M2", 3, 500_000, 500_000, None),
    ],
    "roll_rates": [
        ("M1", "current", 5, 100_000, 0.25),
        ("M1", "M2", 3, 60_000, 0.15),
        ("M2", "M3", 1, 50_000, 0.5),
    ],
    "vintage": [
        (date(2025, 1, 1), 1, 10_000_000, 0.0, 0.0, 0.0, 0.0),
        (date(2025, 1, 1), 2, 10_000_000, 0.05, 0.0, 0.04, 0.0),
        (date(2025, 2, 1), 1, 20_000_000, 0.01, 0.0, 0.01, None),
    ],
    "ops_by_channel": [
        ("call", 100, 40, 0.4, 10, 0.25, 4, 0.4, 1_000_000),
        ("sms", 300, 0, 0.0, 0, None, 0, None, 250_050),
    ],
    "cash_flow": [
        (date(2025, 12, 1), 5_000_000, 4_000_000, 1_000_000, 0),
        (date(2026, 1, 1), 5_000_000, 4_500_000, 500_000, 900_000),
    ],
    "pricing": [("A", 10, 0.01, 0.5, "0.005", "0.03", "0.02", "0.02", "0.0750", "0.0750", "approve")],
}

FIGURES = (
    Figure("total_balance", "贷款余额", "Outstanding principal", Kind.FEN, 125_191_349, "stock_by_bucket"),
    Figure("overdue_rate", "逾期率", "Overdue rate", Kind.RATIO, 0.013852, "stock_by_bucket"),
    Figure("coverage", "拨备覆盖率", "Provision coverage", Kind.RATIO, None, "stock_by_class"),
)

RECOMMENDATION = Recommendation(
    "cure_rate_fell",
    1,
    "M1 治愈率 25.00% 低于阈值，建议加强早期电话催收。",
    "The M1 cure rate of 25.00% is below the threshold: strengthen early calls.",
    (Figure("m1_cure", "M1 迁回正常", "M1 back to current", Kind.RATIO, 0.25, "roll_rates", "M1"),),
)


def table(key: str, rows: Iterable[tuple[object, ...]]) -> Table:
    spec = TABLES[key]
    schema = {column.name: DTYPES[column.kind] for column in spec.columns}
    built = Table(key, pl.DataFrame(list(rows), schema=schema, orient="row"))
    check_table(built)
    return built


def month_data(sources: Sources) -> MonthData:
    """The hand-built month for ``sources`` (its month, days and filters)."""
    tables = {key: table(key, ROWS[key]) if key in ROWS else empty_table(key) for key in TABLES}
    return MonthData(
        month=sources.month,
        as_of=sources.as_of,
        previous_as_of=sources.previous_as_of,
        filters=dict(sources.filters),
        figures=FIGURES,
        tables=tables,
        recommendations=(RECOMMENDATION,),
        notes=(Note("未提供准备金：拨备覆盖率不计算", "reserves not supplied: coverage not computed"),),
    )


def fake_lake(root: Path, days: Iterable[date]) -> Path:
    """The snapshot folders of ``days`` under ``root`` (no Parquet parts: the metrics are replaced)."""
    for day in days:
        partition_path(root, day).mkdir(parents=True, exist_ok=True)
    return root
