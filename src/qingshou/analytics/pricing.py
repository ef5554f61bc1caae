"""Risk-based pricing by borrower grade (issues 7 and 8): PD from the month-end history, LGD from the cash
recovered after default, and the rate of ``qingshou.domain.pricing`` that covers expected loss, funding,
operating cost and margin — or a decline when that rate is above the legal cap (C4).

Grades come from ``qs_borrower.credit_score`` through ``PricingParameters.grades`` (lowest score of each grade,
best first; a score below every band, or none, is ``unscored``). PD: of the loans on the book and not past
90 days at the first month-end of the history (the observation start), the share that were past 90 days at
any later month-end of the history (12 months when the history is full; null without a later month-end),
over H = the calendar months from the first month-end to the last. LGD: 1 − recovery rate, recovery rate = cash (``qs_payment`` kind ``cash``)
paid after a loan's first month-end past 90 days up to ``as_of`` / its outstanding principal then, pooled over
the grade's defaulted loans — over all grades when the grade has fewer than ``min_defaults``, and the policy's
``lgd`` (45 %, the Basel foundation IRB value for senior unsecured claims) when the whole book has fewer. The
window after default is at most a year, so recoveries are understated and LGD errs high (prudent). PD and LGD
are computed exactly (``Decimal``) from the integer counts and fen, shown as float ratios.

The rate step is the domain rule (``domain.pricing.price_grade``, C9 ``Decimal``) with the grade's PD as its
band's PD, over a horizon of H months, and the grade's LGD: annual PD = 1 − (1 − PD)^(12 / H), expected loss
= annual PD × LGD, required rate = expected loss + funding + operating + margin rounded UP to a basis point;
above the cap (the policy's licensed cap, or 4 × the LPR for a private lender) the grade is ``decline`` and
the quoted rate is the cap. Rates are decimal strings in the table (``Kind.RATE``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any, Final

import polars as pl

from qingshou.analytics.contract import Table, empty_table
from qingshou.analytics.stock import BALANCE, conform
from qingshou.domain.pricing import GradeBand, PricingPolicy, legal_cap, price_grade

UNSCORED: Final = "unscored"
#: Expected loss is shown to a millionth (a ppm) of a unit of exposure; the rates are basis points already.
EXPECTED_LOSS_STEP: Final = Decimal("0.000001")


@dataclass(frozen=True, slots=True)
class PricingParameters:
    """The pricing table's settings: the credit-score ``grades`` (label, lowest score, best first), the domain
    ``policy`` (funding, operating cost, margin, the lender kind and licensed cap, the fallback LGD — the
    report reads ``QINGSHOU_PRICING``, as ``POST /api/assess`` does), the one-year ``lpr`` for a private
    lender's cap (C4), ``min_defaults`` for a grade's own LGD, and the loan ``term_months`` priced."""

    grades: Sequence[tuple[str, int]] = field(
        default_factory=lambda: (("A", 750), ("B", 700), ("C", 650), ("D", 600), ("E", 0))
    )
    policy: PricingPolicy = field(default_factory=PricingPolicy)
    lpr: Decimal | None = None
    min_defaults: int = 30
    term_months: int = 12

    def __post_init__(self) -> None:
        legal_cap(self.policy, self.lpr)  # a private lender without its LPR fails here, not mid-report


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


def loss_given_default(recovered_fen: int, ead_fen: int) -> Decimal:
    """1 − min(1, recovered / EAD), exact (``ead_fen`` > 0)."""
    with localcontext() as context:
        context.prec = 28
        return Decimal(1) - min(Decimal(1), Decimal(recovered_fen) / Decimal(ead_fen))


def _probability(defaulted: int, loans: int) -> Decimal:
    with localcontext() as context:
        context.prec = 28
        return Decimal(defaulted) / Decimal(loans)


def _grade_counts(
    history: pl.DataFrame, borrowers: pl.DataFrame, cash: pl.DataFrame, parameters: PricingParameters
) -> tuple[pl.DataFrame, Decimal]:
    """Per grade: ``loans``, ``defaulted``, ``defaults`` (with an EAD), ``recovered_fen``, ``ead_fen``; and the
    pooled LGD (the policy's when the book has fewer than ``min_defaults`` defaults)."""
    cohort, first = _defaults(history)
    graded = borrowers.select("loan_id", grade_of(pl.col("credit_score"), parameters.grades).alias("grade"))
    recovered = (
        _recovery(first, cash)
        .join(graded, on="loan_id", how="left")
        .with_columns(pl.col("grade").fill_null(UNSCORED))
    )
    pooled_ead = int(recovered["ead_fen"].sum())
    pooled_lgd = (
        loss_given_default(int(recovered["recovered_fen"].sum()), pooled_ead)
        if recovered.height >= parameters.min_defaults and pooled_ead > 0
        else parameters.policy.lgd
    )
    by_grade = recovered.group_by("grade").agg(
        pl.len().alias("defaults"), pl.col("recovered_fen").sum(), pl.col("ead_fen").sum()
    )
    counts = (
        cohort.join(graded, on="loan_id", how="left")
        .with_columns(pl.col("grade").fill_null(UNSCORED))
        .group_by("grade")
        .agg(pl.len().alias("loans"), pl.col("defaulted").sum().alias("defaulted"))
        .join(by_grade, on="grade", how="left")
        .with_columns(pl.col("defaults", "recovered_fen", "ead_fen").fill_null(0))
    )
    order = [label for label, _ in parameters.grades] + [UNSCORED]
    counts = counts.with_columns(
        pl.col("grade").replace_strict(order, list(range(len(order))), default=len(order)).alias("_o")
    ).sort("_o", "grade")
    return counts, pooled_lgd


def _text(value: Decimal) -> str:
    return str(value)


def price_row(
    counts: Mapping[str, Any], pooled_lgd: Decimal, horizon: int | None, parameters: PricingParameters
) -> dict[str, Any]:
    """One grade's row: PD and LGD from ``counts`` (``horizon``: the months the PD is observed over, None when
    no later month-end is observed), then the domain's price (rates as decimal strings)."""
    policy = parameters.policy
    loans, defaults, ead = int(counts["loans"]), int(counts["defaults"]), int(counts["ead_fen"])
    lgd = (
        loss_given_default(int(counts["recovered_fen"]), ead)
        if defaults >= parameters.min_defaults and ead > 0
        else pooled_lgd
    )
    row: dict[str, Any] = {
        "grade": counts["grade"],
        "loans": loans,
        "pd": None,
        "lgd": float(lgd),
        "expected_loss_rate": None,
        "funding_rate": _text(policy.funding_rate),
        "operating_rate": _text(policy.operating_rate),
        "margin_rate": _text(policy.margin_rate),
        "required_rate": None,
        "rate": None,
        "decision": None,
    }
    if horizon is None or loans == 0:
        return row
    probability = _probability(int(counts["defaulted"]), loans)
    price = price_grade(
        GradeBand(str(counts["grade"]), probability),
        replace(policy, lgd=lgd, pd_horizon_months=horizon),
        term_months=parameters.term_months,
        lpr=parameters.lpr,
    )
    row.update(
        pd=float(probability),
        expected_loss_rate=_text(price.expected_loss.quantize(EXPECTED_LOSS_STEP, rounding=ROUND_HALF_UP)),
        required_rate=_text(price.required_rate),
        rate=_text(price.annual_rate),
        decision=price.decision.value,
    )
    return row


def pricing(
    history: pl.DataFrame, borrowers: pl.DataFrame, cash: pl.DataFrame, parameters: PricingParameters
) -> Table:
    """The pricing table. ``history``: month-end snapshots stacked (``as_of``, ``loan_id``, ``dpd``,
    ``outstanding_principal_fen``); ``borrowers``: ``loan_id``, ``credit_score``; ``cash``: ``loan_id``,
    ``paid_on``, ``amount_fen`` (cash payments only)."""
    if history.is_empty():
        return empty_table("pricing")
    counts, pooled_lgd = _grade_counts(history, borrowers, cash, parameters)
    first, last = history["as_of"].min(), history["as_of"].max()
    months = (last.year - first.year) * 12 + last.month - first.month  # type: ignore[union-attr]
    horizon = months if months > 0 else None
    rows = [price_row(grade, pooled_lgd, horizon, parameters) for grade in counts.iter_rows(named=True)]
    if not rows:
        return empty_table("pricing")
    return conform("pricing", pl.DataFrame(rows, schema=empty_table("pricing").frame.schema))
