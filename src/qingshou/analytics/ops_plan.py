"""The month's plan-vs-strategy table (issue 8): what the optimised daily plan would have done against the
strategy's own (greedy) plan, from the stored plan runs (``qs_plan_run``, written by ``qingshou plan run``).

``plan_metrics(sources)`` reads the month's runs; ``compute(runs)`` builds the table ``plan_vs_strategy`` from
them (one row per day that has both a greedy and an optimised run, then a ``total`` row): candidates, the
actions, expected recovery, cost and net of each plan, the gain (optimised net − strategy net), the gain as a
share of the strategy's net (null when that is not positive) and the optimiser's gap. Figures are expected
values — P(pay) × overdue × an assumed channel effect — not recoveries (docs/planning.md). A month without
runs gives the empty table and a note. The runs are book-wide: dashboard filters do not apply to them.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from qingshou.analytics.contract import DTYPES, TABLES, Metrics, Note, Table
from qingshou.analytics.sources import Sources, month_end

KEY: Final = "plan_vs_strategy"
TOTAL: Final = "total"

RUNS_SCHEMA: Final[dict[str, pl.DataType]] = {
    "day": pl.Date(),
    "method": pl.String(),
    "candidates": pl.Int64(),
    "chosen": pl.Int64(),
    "value_fen": pl.Int64(),
    "cost_fen": pl.Int64(),
    "net_fen": pl.Int64(),
    "bound_fen": pl.Int64(),
}

NO_RUNS_NOTE: Final = Note(
    "优化计划与策略计划对比：本月未运行每日计划（qingshou plan run --day D）",
    "plan vs strategy: no daily plan was run in the month (qingshou plan run --day D)",
)


def _schema() -> dict[str, pl.DataType]:
    return {column.name: DTYPES[column.kind] for column in TABLES[KEY].columns}


def read_runs(sources: Sources) -> pl.DataFrame:
    """The month's stored runs (``RUNS_SCHEMA``)."""
    first, last = sources.month.isoformat(), month_end(sources.month).isoformat()
    columns = ", ".join(RUNS_SCHEMA)
    return sources.store.read(
        f"SELECT {columns} FROM qs_plan_run WHERE day >= '{first}' AND day <= '{last}' ORDER BY day, method",
        RUNS_SCHEMA,
    )


def compute(runs: pl.DataFrame) -> Metrics:
    """The table from runs (``RUNS_SCHEMA``; days missing either method are left out)."""
    greedy = runs.filter(pl.col("method") == "greedy").select(
        "day",
        "candidates",
        pl.col("chosen").alias("strategy_actions"),
        pl.col("value_fen").alias("strategy_value_fen"),
        pl.col("cost_fen").alias("strategy_cost_fen"),
        pl.col("net_fen").alias("strategy_net_fen"),
    )
    optimised = runs.filter(pl.col("method") == "optimised").select(
        "day",
        pl.col("chosen").alias("optimised_actions"),
        pl.col("value_fen").alias("optimised_value_fen"),
        pl.col("cost_fen").alias("optimised_cost_fen"),
        pl.col("net_fen").alias("optimised_net_fen"),
        pl.col("bound_fen"),
    )
    days = greedy.join(optimised, on="day", how="inner").sort("day")
    if days.is_empty():
        return Metrics(tables={KEY: Table(KEY, pl.DataFrame(schema=_schema()))}, notes=(NO_RUNS_NOTE,))
    sums = days.select(pl.exclude("day").sum()).with_columns(pl.lit(TOTAL).alias("day"))
    rows = pl.concat(
        [days.with_columns(pl.col("day").dt.to_string("%Y-%m-%d")), sums], how="diagonal_relaxed"
    )
    gain = pl.col("optimised_net_fen") - pl.col("strategy_net_fen")
    frame = rows.with_columns(
        gain.alias("gain_fen"),
        pl.when(pl.col("strategy_net_fen") > 0)
        .then(gain.cast(pl.Float64) / pl.col("strategy_net_fen").cast(pl.Float64))
        .otherwise(None)
        .alias("gain_ratio"),
        pl.when(pl.col("bound_fen") > 0)
        .then(
            (pl.col("bound_fen") - pl.col("optimised_net_fen")).clip(0).cast(pl.Float64)
            / pl.col("bound_fen").cast(pl.Float64)
        )
        .otherwise(0.0)
        .alias("gap"),
    )
    schema = _schema()
    return Metrics(
        tables={KEY: Table(KEY, frame.select(pl.col(name).cast(dtype) for name, dtype in schema.items()))}
    )


def plan_metrics(sources: Sources) -> Metrics:
    """The month's ``plan_vs_strategy`` table (module docstring)."""
    return compute(read_runs(sources))
