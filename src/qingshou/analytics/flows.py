"""The month's flows between two month-end snapshots (issue 7): the roll-rate matrix, the regulator's migration
rates (rules-cn §7.3), entry rate (入催率), C-M1, FPD, cure rates by bucket, flow to loss, and the credit-loss
drivers (the month's change in reference provisions).

Everything starts from ``transitions``: one row per loan on the book at the previous month-end with where it is
at this month-end — its bucket and class, or ``settled`` (gone from the book: paid off, closed, or replaced by a
restructuring's successor loan, which itself appears as a new loan) or ``written_off`` (written off during the
month). Balances are outstanding principal in fen; a loan gone from the book has a balance of 0.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import date
from typing import Final

import polars as pl

from qingshou.analytics.contract import Table, empty_table
from qingshou.analytics.stock import (
    BALANCE,
    NPL_CLASSES,
    SETTLED,
    WRITTEN_OFF,
    bucket_rank,
    class_rank,
    conform,
    ratio,
    with_provision,
)

#: The default buckets (C3), the chain flow to loss multiplies along.
DEFAULT_CHAIN: Final = ("M0", "M1", "M2", "M3", "M4", "M5", "M6", "M7+")
_STATE = ["loan_id", "bucket", "classification", "delinquent", BALANCE, "provision_fen"]


def transitions(
    previous: pl.DataFrame, current: pl.DataFrame, writeoffs: pl.DataFrame, *, since: date
) -> pl.DataFrame:
    """One row per loan of the ``previous`` month-end book: ``from_bucket``, ``from_class``,
    ``from_delinquent``, ``from_balance_fen``, ``from_provision_fen``, and the same ``to_*`` at the ``current``
    month-end book (both ``open_book`` frames) — ``to_bucket`` ``written_off`` when ``writeoffs`` has the loan
    written off after ``since`` (the previous month-end), ``settled`` when it is otherwise gone. A gone loan has
    ``to_class`` null, ``to_delinquent`` false and a balance and provision of 0."""
    before = (
        with_provision(previous)
        .select(_STATE)
        .rename(lambda name: name if name == "loan_id" else f"from_{name}")
    )
    after = (
        with_provision(current)
        .select(_STATE)
        .rename(lambda name: name if name == "loan_id" else f"to_{name}")
    )
    written = writeoffs.filter(pl.col("written_off_on") > since).select(
        "loan_id", pl.lit(True).alias("written")
    )
    joined = before.join(after, on="loan_id", how="left").join(written, on="loan_id", how="left")
    gone = pl.col("to_bucket").is_null()
    return joined.select(
        "loan_id",
        pl.col("from_bucket"),
        pl.col("from_classification").alias("from_class"),
        pl.col("from_delinquent"),
        pl.col(f"from_{BALANCE}").alias("from_balance_fen"),
        pl.col("from_provision_fen"),
        pl.when(gone & pl.col("written").fill_null(False))
        .then(pl.lit(WRITTEN_OFF))
        .when(gone)
        .then(pl.lit(SETTLED))
        .otherwise(pl.col("to_bucket"))
        .alias("to_bucket"),
        pl.col("to_classification").alias("to_class"),
        pl.col("to_delinquent").fill_null(False),
        pl.col(f"to_{BALANCE}").fill_null(0).alias("to_balance_fen"),
        pl.col("to_provision_fen").fill_null(0),
    )


def roll_rates(moves: pl.DataFrame) -> Table:
    """The roll-rate matrix: for each (from, to) pair seen, loans, their balance at the previous month-end and
    rate = that balance / the from-bucket's balance at the previous month-end."""
    frame = (
        moves.group_by("from_bucket", "to_bucket")
        .agg(pl.len().alias("loans"), pl.col("from_balance_fen").sum().alias("balance_fen"))
        .with_columns(
            ratio(pl.col("balance_fen"), pl.col("balance_fen").sum().over("from_bucket")).alias("rate")
        )
        .sort(bucket_rank("from_bucket"), "from_bucket", bucket_rank("to_bucket"), "to_bucket")
    )
    return conform("roll_rates", frame)


def _reduction() -> pl.Expr:
    """期间减少 of a loan: its whole balance when it left the book (repaid, disposed of, written off), else the
    drop of its outstanding principal (repayments, discounts, waivers of principal)."""
    left = pl.col("to_bucket").is_in([SETTLED, WRITTEN_OFF])
    drop = (pl.col("from_balance_fen") - pl.col("to_balance_fen")).clip(lower_bound=0)
    return pl.when(left).then(pl.col("from_balance_fen")).otherwise(drop)


def migration_rates(moves: pl.DataFrame) -> Table:
    """rules-cn §7.3: for each opening class, 向下迁徙金额 (this month-end balance of its loans now in a worse
    class) over 期初余额 − 期间减少; and 正常贷款迁徙率 (normal and special mention into NPL)."""
    if moves.is_empty():
        return empty_table("migration_rates")
    ranked = moves.with_columns(
        class_rank("from_class").alias("from_rank"),
        class_rank("to_class").alias("to_rank"),
        _reduction().alias("reduction"),
    )
    down = pl.col("to_rank").is_not_null() & (pl.col("to_rank") > pl.col("from_rank"))
    into_npl = pl.col("to_class").is_in(NPL_CLASSES)
    rows = []
    for indicator, opening, moved in (
        ("normal", ["normal"], down),
        ("special_mention", ["special_mention"], down),
        ("substandard", ["substandard"], down),
        ("doubtful", ["doubtful"], down),
        ("normal_loans", ["normal", "special_mention"], into_npl),
    ):
        rows.append(
            ranked.filter(pl.col("from_class").is_in(opening)).select(
                pl.lit(indicator).alias("indicator"),
                pl.col("to_balance_fen").filter(moved).sum().alias("numerator_fen"),
                (pl.col("from_balance_fen").sum() - pl.col("reduction").sum()).alias("denominator_fen"),
            )
        )
    frame = pl.concat(rows).with_columns(
        ratio(pl.col("numerator_fen"), pl.col("denominator_fen")).alias("rate")
    )
    return conform("migration_rates", frame)


def _flow_row(
    indicator: str, population: pl.DataFrame, hit: pl.Expr, hit_fen: str, base_fen: str
) -> pl.DataFrame:
    return population.select(
        pl.lit(indicator).alias("indicator"),
        hit.sum().cast(pl.Int64).alias("numerator"),
        pl.len().cast(pl.Int64).alias("denominator"),
        pl.col(hit_fen).filter(hit).sum().cast(pl.Int64).alias("numerator_fen"),
        pl.col(base_fen).sum().cast(pl.Int64).alias("denominator_fen"),
    )


def entry_rate(moves: pl.DataFrame, due_loans: pl.DataFrame) -> pl.DataFrame:
    """入催率: loans current (not delinquent) at the previous month-end with an installment due in the month
    (``due_loans``: ``loan_id``) that are delinquent at this month-end; amounts: this month-end balance of those
    over the previous month-end balance of all of them."""
    population = moves.filter(~pl.col("from_delinquent")).join(
        due_loans.unique("loan_id"), on="loan_id", how="semi"
    )
    return _flow_row("entry_rate", population, pl.col("to_delinquent"), "to_balance_fen", "from_balance_fen")


def c_m1(moves: pl.DataFrame) -> pl.DataFrame:
    """C-M1 (rules-cn §7.2): balance now in M1 of the loans in M0 at the previous month-end / their balance
    then."""
    population = moves.filter(pl.col("from_bucket") == "M0")
    return _flow_row("c_m1", population, pl.col("to_bucket") == "M1", "to_balance_fen", "from_balance_fen")


def fpd(current: pl.DataFrame, first_dues: pl.DataFrame) -> pl.DataFrame:
    """FPD: loans whose first installment fell due in the month (``first_dues``: ``loan_id``, ``principal_fen``)
    that are delinquent at this month-end (for a monthly schedule only the first installment can then be
    overdue: it was not paid by its due date + grace); amounts: principal disbursed."""
    state = current.select("loan_id", "delinquent")
    population = first_dues.join(state, on="loan_id", how="left").with_columns(
        pl.col("delinquent").fill_null(False)
    )
    return _flow_row("fpd", population, pl.col("delinquent"), "principal_fen", "principal_fen")


def cure_rates(moves: pl.DataFrame) -> pl.DataFrame:
    """``cure_<bucket>`` for every delinquent bucket at the previous month-end: loans back to M0 or paid off
    (settled) at this month-end; amounts: previous month-end balances."""
    delinquent = moves.filter(pl.col("from_delinquent"))
    if delinquent.is_empty():
        return _flow_row("cure", delinquent, pl.lit(False), "from_balance_fen", "from_balance_fen").clear()
    cured = pl.col("to_bucket").is_in(["M0", SETTLED])
    return (
        delinquent.group_by("from_bucket")
        .agg(
            cured.sum().cast(pl.Int64).alias("numerator"),
            pl.len().cast(pl.Int64).alias("denominator"),
            pl.col("from_balance_fen").filter(cured).sum().cast(pl.Int64).alias("numerator_fen"),
            pl.col("from_balance_fen").sum().cast(pl.Int64).alias("denominator_fen"),
        )
        .sort(bucket_rank("from_bucket"), "from_bucket")
        .select((pl.lit("cure_") + pl.col("from_bucket")).alias("indicator"), pl.exclude("from_bucket"))
    )


def flow_to_loss(rolls: pl.DataFrame, chain: Sequence[str] = DEFAULT_CHAIN) -> pl.DataFrame:
    """Flow to loss: the product of this month's roll rates along ``chain`` (M0→M1 × M1→M2 × … into the last
    bucket); null when a bucket of the chain had no balance at the previous month-end."""
    rate: float | None = 1.0
    for source, target in itertools.pairwise(chain):
        sources = rolls.filter(pl.col("from_bucket") == source)
        total = int(sources["balance_fen"].sum() or 0)
        moved = int(sources.filter(pl.col("to_bucket") == target)["balance_fen"].sum() or 0)
        rate = None if total == 0 or rate is None else rate * moved / total
    return pl.DataFrame(
        {
            "indicator": ["flow_to_loss"],
            "numerator": [None],
            "denominator": [None],
            "numerator_fen": [None],
            "denominator_fen": [None],
            "rate": [rate],
        },
        schema={
            "indicator": pl.String,
            "numerator": pl.Int64,
            "denominator": pl.Int64,
            "numerator_fen": pl.Int64,
            "denominator_fen": pl.Int64,
            "rate": pl.Float64,
        },
    )


def flow_rates(rows: Sequence[pl.DataFrame], loss: pl.DataFrame) -> Table:
    """The flow_rates table: ``rows`` (``_flow_row`` frames) with their rate (by amount), then flow to loss."""
    counted = (
        pl.concat([row for row in rows if row.height], how="vertical")
        if any(r.height for r in rows)
        else None
    )
    parts = []
    if counted is not None:
        parts.append(
            counted.with_columns(ratio(pl.col("numerator_fen"), pl.col("denominator_fen")).alias("rate"))
        )
    parts.append(loss)
    return conform("flow_rates", pl.concat(parts, how="vertical_relaxed"))


def credit_loss(moves: pl.DataFrame, current: pl.DataFrame) -> Table:
    """The month's change in reference provisions (closing − opening) split by driver: ``new_loans`` (loans on
    the book now and not at the previous month-end), ``new_delinquencies`` (current then, delinquent now),
    ``downgrades`` (delinquent then, a worse class now), ``cures_and_recoveries`` (every other change of a loan
    on the book at both month-ends), ``settlements`` and ``write_offs`` (the provision released by loans that
    left the book). Rows: opening, the six drivers, closing, charge; the drivers add up to the charge."""
    closing_book = with_provision(current)
    new = closing_book.join(moves.select("loan_id"), on="loan_id", how="anti")
    delta = pl.col("to_provision_fen") - pl.col("from_provision_fen")
    stayed = ~pl.col("to_bucket").is_in([SETTLED, WRITTEN_OFF])
    newly = stayed & ~pl.col("from_delinquent") & pl.col("to_delinquent")
    worse = stayed & pl.col("from_delinquent") & (class_rank("to_class") > class_rank("from_class"))
    sums = moves.select(
        pl.col("from_provision_fen").sum().alias("opening"),
        delta.filter(newly).sum().alias("new_delinquencies"),
        delta.filter(worse).sum().alias("downgrades"),
        delta.filter(stayed & ~newly & ~worse).sum().alias("cures_and_recoveries"),
        (-pl.col("from_provision_fen")).filter(pl.col("to_bucket") == SETTLED).sum().alias("settlements"),
        (-pl.col("from_provision_fen")).filter(pl.col("to_bucket") == WRITTEN_OFF).sum().alias("write_offs"),
    ).row(0, named=True)
    opening = int(sums["opening"] or 0)
    closing = int(closing_book["provision_fen"].sum() or 0)
    drivers = {
        "opening": opening,
        "new_loans": int(new["provision_fen"].sum() or 0),
        "new_delinquencies": int(sums["new_delinquencies"] or 0),
        "downgrades": int(sums["downgrades"] or 0),
        "cures_and_recoveries": int(sums["cures_and_recoveries"] or 0),
        "settlements": int(sums["settlements"] or 0),
        "write_offs": int(sums["write_offs"] or 0),
        "closing": closing,
        "charge": closing - opening,
    }
    frame = pl.DataFrame({"driver": list(drivers), "amount_fen": list(drivers.values())})
    return conform("credit_loss", frame)
