"""Vintage curves (账龄分析, issue 7, rules-cn §7.2): by disbursement month, the DPD30+ and DPD90+ balance over
the amount disbursed at each month-end on book, current and ever.

``history`` is the month-end snapshots stacked (``as_of``, ``loan_id``, ``dpd``, ``outstanding_principal_fen``;
written-off loans removed from the month-ends after their write-off), ``loans`` the loans (``loan_id``,
``disbursed_on``, ``principal_fen``) of the cohorts. A vintage is shown when its disbursement month is within
the history (its first month-end, MOB 0 = the disbursement month's end, is observed), so "ever" is complete.
Current: balance of the cohort's loans with dpd > 30 (> 90) at that month-end. Ever: each loan counts once
it has been past the threshold at any month-end so far, with its balance at the first such month-end (so
the curve never falls). DPD30+ means dpd above 30 (M2 and later, rules-cn §7.1).
"""

from __future__ import annotations

from datetime import date

import polars as pl

from qingshou.analytics.contract import Table, empty_table
from qingshou.analytics.stock import BALANCE, conform, ratio


def _months_between(first: pl.Expr, second: pl.Expr) -> pl.Expr:
    return (
        (second.dt.year() - first.dt.year()) * 12
        + second.dt.month().cast(pl.Int32)
        - first.dt.month().cast(pl.Int32)
    )


def _ever(observed: pl.DataFrame, threshold: int, name: str) -> pl.DataFrame:
    """Per (vintage, as_of): the balance at their first month-end past ``threshold`` of the loans first past
    it on that month-end."""
    return (
        observed.filter(pl.col("dpd") > threshold)
        .sort("as_of")
        .group_by("loan_id")
        .agg(pl.col("vintage").first(), pl.col("as_of").first(), pl.col(BALANCE).first())
        .group_by("vintage", "as_of")
        .agg(pl.col(BALANCE).sum().alias(name))
    )


def vintage(history: pl.DataFrame, loans: pl.DataFrame) -> Table:
    """The vintage table (module docstring), one row per vintage and month-end on book, oldest first."""
    if history.is_empty() or loans.is_empty():
        return empty_table("vintage")
    ends = history.select(pl.col("as_of").unique()).sort("as_of")
    first_day: date = ends["as_of"].min()  # type: ignore[assignment]
    first_month = first_day.replace(day=1)
    cohorts = (
        loans.with_columns(pl.col("disbursed_on").dt.truncate("1mo").alias("vintage"))
        .filter(pl.col("vintage") >= first_month)
        .select("loan_id", "vintage", "principal_fen")
    )
    if cohorts.is_empty():
        return empty_table("vintage")
    disbursed = cohorts.group_by("vintage").agg(pl.col("principal_fen").sum().alias("disbursed_fen"))
    grid = (
        disbursed.join(ends, how="cross")
        .filter(pl.col("as_of") >= pl.col("vintage"))
        .with_columns(
            _months_between(pl.col("vintage"), pl.col("as_of")).cast(pl.Int64).alias("months_on_book")
        )
    )
    observed = history.join(cohorts.select("loan_id", "vintage"), on="loan_id", how="inner")
    current = observed.group_by("vintage", "as_of").agg(
        pl.col(BALANCE).filter(pl.col("dpd") > 30).sum().alias("current30"),
        pl.col(BALANCE).filter(pl.col("dpd") > 90).sum().alias("current90"),
    )
    keys = ["vintage", "as_of"]
    frame = (
        grid.join(current, on=keys, how="left")
        .join(_ever(observed, 30, "new30"), on=keys, how="left")
        .join(_ever(observed, 90, "new90"), on=keys, how="left")
        .with_columns(pl.col("current30", "current90", "new30", "new90").fill_null(0))
        .sort(keys)
        .with_columns(
            pl.col("new30").cum_sum().over("vintage").alias("ever30"),
            pl.col("new90").cum_sum().over("vintage").alias("ever90"),
        )
        .select(
            "vintage",
            "months_on_book",
            "disbursed_fen",
            ratio(pl.col("ever30"), pl.col("disbursed_fen")).alias("dpd30_ever_ratio"),
            ratio(pl.col("ever90"), pl.col("disbursed_fen")).alias("dpd90_ever_ratio"),
            ratio(pl.col("current30"), pl.col("disbursed_fen")).alias("dpd30_current_ratio"),
            ratio(pl.col("current90"), pl.col("disbursed_fen")).alias("dpd90_current_ratio"),
        )
    )
    return conform("vintage", frame)
