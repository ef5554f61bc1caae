"""Risk-based pricing by borrower grade (issue 7): PD from the month-end history, LGD from the cash recovered
after default, and the rate that covers expected loss, funding, operating cost and margin, within the legal cap.

Grades come from ``qs_borrower.credit_score`` through ``PricingParameters.grades`` (lowest score of each grade,
best first; a score below every band, or none, is ``unscored``). PD: of the loans on the book and not past
90 days at the first month-end of the history (the observation start), the share that were past 90 days at
any later month-end of the history (12 months when the history is full; null without a later month-end). LGD:
1 − recovery rate, recovery rate = cash (``qs_payment`` kind ``cash``) paid after a loan's first month-end
past 90 days up to ``as_of`` / its outstanding principal then, pooled over the grade's defaulted loans — over
all grades when the grade has fewer than ``min_defaults``, and ``default_lgd`` (45 %, the Basel foundation
IRB value for senior unsecured claims) when the whole book has fewer. The window after default is at most a
year, so recoveries are understated and LGD errs high (prudent). Rate = PD × LGD + funding + operating +
margin; above ``cap`` it is the cap and the grade is marked ``capped``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import polars as pl

from qingshou.analytics.contract import Table, empty_table
from qingshou.analytics.stock import BALANCE, conform, ratio

UNSCORED = "unscored"


@dataclass(frozen=True, slots=True)
class PricingParameters:
    """Settings-style defaults of the pricing table (annual rates as fractions).

    ``cap``: 24 % a year, the total-cost threshold licensed lenders are held to (rules-cn §10; conventions C4
    optional cap). A private lender sets it to 4 × the one-year LPR at the contract date (C4's hard cap)."""

    grades: Sequence[tuple[str, int]] = field(
        default_factory=lambda: (("A", 750), ("B", 700), ("C", 650), ("D", 600), ("E", 0))
    )
    funding_rate: float = 0.03
    operating_rate: float = 0.02
    margin_rate: float = 0.02
    cap: float = 0.24
    default_lgd: float = 0.45
    min_defaults: int = 30


def grade_of(scores: pl.Expr, grades: Sequence[tuple[str, int]]) -> pl.Expr:
    """The grade label of a credit score (``grades``: label, lowest score, best first)."""
    expression: pl.Expr = pl.lit(UNSCORED)
    for label, lowest in reversed(grades):
        expression = pl.when(scores >= lowest).then(pl.lit(label)).otherwise(expression)
    return pl.when(scores.is_null()).then(pl.lit(UNSCORED)).otherwise(expression)


def _defaults(history: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The observed cohort (``loan_id``, ``defaulted``) and each defaulted loan's first month-end past 90
    days with its balance then (``loan_id``, ``defaulted_on``, ``ead_fen``)."""
    start = history["as_of"].min()
    cohort = history.filter((pl.col("as_of") == start) & (pl.col("dpd") <= 90)).select("loan_id")
    later = history.filter((pl.col("as_of") > start) & (pl.col("dpd") > 90))
    first = (
        later.sort("as_of")
        .group_by("loan_id")
        .agg(pl.col("as_of").first().alias("defaulted_on"), pl.col(BALANCE).first().alias("ead_fen"))
        .join(cohort, on="loan_id", how="semi")
    )
    flagged = cohort.join(first.select("loan_id", pl.lit(True).alias("defaulted")), on="loan_id", how="left")
    return flagged.with_columns(pl.col("defaulted").fill_null(False)), first


def _recovery(first: pl.DataFrame, cash: pl.DataFrame) -> pl.DataFrame:
    """Per defaulted loan: ``ead_fen`` and ``recovered_fen`` (cash paid after ``defaulted_on``)."""
    after = (
        cash.join(first.select("loan_id", "defaulted_on"), on="loan_id", how="inner")
        .filter(pl.col("paid_on") > pl.col("defaulted_on"))
        .group_by("loan_id")
        .agg(pl.col("amount_fen").sum().alias("recovered_fen"))
    )
    return first.join(after, on="loan_id", how="left").with_columns(pl.col("recovered_fen").fill_null(0))


def pricing(
    history: pl.DataFrame, borrowers: pl.DataFrame, cash: pl.DataFrame, parameters: PricingParameters
) -> Table:
    """The pricing table. ``history``: month-end snapshots stacked (``as_of``, ``loan_id``, ``dpd``,
    ``outstanding_principal_fen``); ``borrowers``: ``loan_id``, ``credit_score``; ``cash``: ``loan_id``,
    ``paid_on``, ``amount_fen`` (cash payments only)."""
    if history.is_empty():
        return empty_table("pricing")
    cohort, first = _defaults(history)
    observed = history["as_of"].n_unique() > 1
    graded = borrowers.select("loan_id", grade_of(pl.col("credit_score"), parameters.grades).alias("grade"))
    recovered = (
        _recovery(first, cash)
        .join(graded, on="loan_id", how="left")
        .with_columns(pl.col("grade").fill_null(UNSCORED))
    )
    pooled_defaults = recovered.height
    pooled_lgd = (
        1 - min(1.0, int(recovered["recovered_fen"].sum()) / int(recovered["ead_fen"].sum()))
        if pooled_defaults >= parameters.min_defaults and int(recovered["ead_fen"].sum()) > 0
        else parameters.default_lgd
    )
    by_grade = recovered.group_by("grade").agg(
        pl.len().alias("defaults"), pl.col("recovered_fen").sum(), pl.col("ead_fen").sum()
    )
    frame = (
        cohort.join(graded, on="loan_id", how="left")
        .with_columns(pl.col("grade").fill_null(UNSCORED))
        .group_by("grade")
        .agg(pl.len().alias("loans"), pl.col("defaulted").sum().alias("defaulted"))
        .join(by_grade, on="grade", how="left")
        .with_columns(
            (ratio(pl.col("defaulted"), pl.col("loans")) if observed else pl.lit(None, pl.Float64)).alias(
                "pd"
            ),
            pl.when((pl.col("defaults").fill_null(0) >= parameters.min_defaults) & (pl.col("ead_fen") > 0))
            .then(1 - pl.min_horizontal(pl.lit(1.0), pl.col("recovered_fen") / pl.col("ead_fen")))
            .otherwise(pl.lit(pooled_lgd))
            .alias("lgd"),
            pl.lit(parameters.funding_rate).alias("funding_rate"),
            pl.lit(parameters.operating_rate).alias("operating_rate"),
            pl.lit(parameters.margin_rate).alias("margin_rate"),
        )
        .with_columns((pl.col("pd") * pl.col("lgd")).alias("expected_loss_rate"))
        .with_columns(
            (
                pl.col("expected_loss_rate")
                + pl.col("funding_rate")
                + pl.col("operating_rate")
                + pl.col("margin_rate")
            ).alias("uncapped")
        )
        .with_columns(
            pl.when(pl.col("uncapped") > parameters.cap)
            .then(pl.lit(parameters.cap))
            .otherwise(pl.col("uncapped"))
            .alias("rate"),
            pl.when(pl.col("uncapped").is_null())
            .then(pl.lit(""))
            .when(pl.col("uncapped") > parameters.cap)
            .then(pl.lit("yes"))
            .otherwise(pl.lit("no"))
            .alias("capped"),
        )
    )
    order = [label for label, _ in parameters.grades] + [UNSCORED]
    frame = frame.with_columns(
        pl.col("grade").replace_strict(order, list(range(len(order))), default=len(order)).alias("_o")
    )
    return conform("pricing", frame.sort("_o", "grade"))
