"""The overdue book at a month-end (issue 7): balance and overdue amount by bucket, class, IFRS 9 stage and any
loan dimension, the ratios (逾期率, DPD30+, DPD90+, 不良贷款率) and the reference provisions (C6).

Every function takes the month-end ``book`` — one row per loan on the balance sheet at the month-end (``open_book``:
outstanding principal or overdue amount left and not written off), with the snapshot's columns ``loan_id``,
``bucket``, ``classification``, ``stage``, ``dpd``, ``delinquent``, ``outstanding_principal_fen``,
``total_overdue_fen`` (+ the dimension asked for) — and returns a contract ``Table`` or figures. Balance is
outstanding principal (fen); a loan is overdue when it is delinquent (C2: past due date + grace), and the
overdue rate counts its whole balance (余额口径, docs/metrics.md). Reference provisions are rounded half-up to
the fen per loan, so every total of them (by class, by stage, the credit-loss drivers) adds up exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Final

import polars as pl

from qingshou.analytics.contract import DTYPES, TABLES, Figure, Kind, Note, Table, empty_table

#: The five classes (C6), best first, as the snapshot writes them.
CLASSES: Final = ("normal", "special_mention", "substandard", "doubtful", "loss")
NPL_CLASSES: Final = ("substandard", "doubtful", "loss")
#: Reference reserve rates (C6), in basis points.
PROVISION_BP: Final[Mapping[str, int]] = {
    "normal": 0,
    "special_mention": 200,
    "substandard": 2500,
    "doubtful": 5000,
    "loss": 10000,
}
BALANCE: Final = "outstanding_principal_fen"
OVERDUE: Final = "total_overdue_fen"
#: Pseudo buckets of the roll-rate matrix: loans gone from the book during the month.
SETTLED: Final = "settled"
WRITTEN_OFF: Final = "written_off"


def ratio(numerator: pl.Expr, denominator: pl.Expr) -> pl.Expr:
    """``numerator / denominator`` as a Float64 fraction, null when the denominator is zero or null."""
    return pl.when(denominator != 0).then(numerator.cast(pl.Float64) / denominator.cast(pl.Float64))


def ratio_value(numerator: int | None, denominator: int | None) -> float | None:
    """The Python counterpart of ``ratio`` for figures."""
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def bucket_rank(column: str) -> pl.Expr:
    """Sort key of a bucket label: M0, M1 … by their number, then settled, written off, anything else."""
    label = pl.col(column)
    number = label.str.extract(r"^M(\d+)", 1).cast(pl.Int64)
    return (
        pl.when(label == SETTLED)
        .then(pl.lit(10_000, pl.Int64))
        .when(label == WRITTEN_OFF)
        .then(pl.lit(10_001, pl.Int64))
        .otherwise(number.fill_null(9_999))
    )


def class_rank(column: str) -> pl.Expr:
    """0 for normal … 4 for loss (null for an unknown label)."""
    return pl.col(column).replace_strict(
        list(CLASSES), list(range(len(CLASSES))), default=None, return_dtype=pl.Int64
    )


def conform(key: str, frame: pl.DataFrame) -> Table:
    """``frame`` as the contract's table ``key``: its columns in order, cast to their kinds."""
    columns = TABLES[key].columns
    if frame.is_empty():
        return empty_table(key)
    return Table(key, frame.select(pl.col(c.name).cast(DTYPES[c.kind]) for c in columns))


def open_book(snapshot: pl.DataFrame, writeoffs: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """The loans on the balance sheet at the end of ``as_of``: something still owed (principal or overdue
    amounts) and not written off on or before ``as_of`` (``writeoffs``: ``loan_id``, ``written_off_on``)."""
    gone = writeoffs.filter(pl.col("written_off_on") <= as_of).select("loan_id")
    owed = (pl.col(BALANCE) > 0) | (pl.col(OVERDUE) > 0)
    return snapshot.filter(owed).join(gone, on="loan_id", how="anti")


def with_provision(book: pl.DataFrame) -> pl.DataFrame:
    """``book`` plus ``provision_rate`` (the class's reference rate) and ``provision_fen`` (balance × rate,
    half-up per loan)."""
    bp = pl.col("classification").replace_strict(PROVISION_BP, default=0, return_dtype=pl.Int64)
    return book.with_columns(
        (bp.cast(pl.Float64) / 10_000).alias("provision_rate"),
        ((pl.col(BALANCE).cast(pl.Int64) * bp + 5_000) // 10_000).alias("provision_fen"),
    )


def stock_by_bucket(book: pl.DataFrame) -> Table:
    """Loans, balance, overdue amount and share of balance by bucket (M0 first)."""
    total = pl.col("balance_fen").sum()
    frame = (
        book.group_by("bucket")
        .agg(
            pl.len().alias("loans"),
            pl.col(BALANCE).sum().alias("balance_fen"),
            pl.col(OVERDUE).sum().alias("overdue_fen"),
        )
        .with_columns(ratio(pl.col("balance_fen"), total).alias("balance_share"))
        .sort(bucket_rank("bucket"), "bucket")
    )
    return conform("stock_by_bucket", frame)


def stock_by_class(book: pl.DataFrame) -> Table:
    """Loans, balance, reference rate and provision by class (normal first); every class shown once the book
    has a loan."""
    if book.is_empty():
        return empty_table("stock_by_class")
    provisioned = with_provision(book)
    classes = pl.DataFrame(
        {"classification": list(CLASSES), "provision_rate": [PROVISION_BP[c] / 10_000 for c in CLASSES]}
    )
    sums = provisioned.group_by("classification").agg(
        pl.len().alias("loans"), pl.col(BALANCE).sum().alias("balance_fen"), pl.col("provision_fen").sum()
    )
    frame = classes.join(sums, on="classification", how="left", maintain_order="left").with_columns(
        pl.col("loans", "balance_fen", "provision_fen").fill_null(0)
    )
    return conform("stock_by_class", frame)


def stock_by_stage(book: pl.DataFrame) -> Table:
    """Loans, balance and reference provision by IFRS 9 stage (``"1"`` … ``"3"``)."""
    frame = (
        with_provision(book)
        .group_by(pl.col("stage").cast(pl.String))
        .agg(
            pl.len().alias("loans"), pl.col(BALANCE).sum().alias("balance_fen"), pl.col("provision_fen").sum()
        )
        .sort("stage")
    )
    return conform("stock_by_stage", frame)


def _stock_sums(book: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    balance = pl.col(BALANCE)
    return book.group_by(by).agg(
        pl.len().alias("loans"),
        balance.sum().alias("balance_fen"),
        pl.col(OVERDUE).sum().alias("overdue_fen"),
        balance.filter(pl.col("delinquent")).sum().alias("overdue_balance_fen"),
        balance.filter(pl.col("dpd") > 30).sum().alias("dpd30_fen"),
        balance.filter(pl.col("dpd") > 90).sum().alias("dpd90_fen"),
        balance.filter(pl.col("classification").is_in(NPL_CLASSES)).sum().alias("npl_fen"),
    )


def stock_by_dimension(book: pl.DataFrame, key: str, column: str) -> Table:
    """The table ``key`` (stock_by_product / branch / channel): ``column`` of ``book`` as its label ("" for a
    missing value), loans, balance, overdue amount and the four ratios over the label's balance."""
    label = TABLES[key].columns[0].name
    sums = _stock_sums(book.with_columns(pl.col(column).fill_null("").alias(label)), [label])
    frame = sums.with_columns(
        ratio(pl.col("overdue_balance_fen"), pl.col("balance_fen")).alias("overdue_rate"),
        ratio(pl.col("dpd30_fen"), pl.col("balance_fen")).alias("dpd30_ratio"),
        ratio(pl.col("dpd90_fen"), pl.col("balance_fen")).alias("dpd90_ratio"),
        ratio(pl.col("npl_fen"), pl.col("balance_fen")).alias("npl_ratio"),
    ).sort("balance_fen", label, descending=[True, False])
    return conform(key, frame)


#: Without the institution's reserves.
NO_RESERVES_NOTE: Final = Note(
    "未提供贷款损失准备：拨备覆盖率与贷款拨备率未计算（qingshou report --reserves）",
    "reserves not supplied: provision coverage (拨备覆盖率) and loan provision ratio (贷款拨备率) not computed",
)


def summary_figures(
    book: pl.DataFrame, reserves_fen: int | None
) -> tuple[tuple[Figure, ...], tuple[Note, ...]]:
    """The headline figures of the book and, without reserves, the note that coverage needs them."""
    sums = _stock_sums(book.with_columns(pl.lit("").alias("all")), ["all"])
    row = sums.row(0, named=True) if sums.height else {}
    total = int(row.get("balance_fen") or 0)
    overdue = int(row.get("overdue_balance_fen") or 0)
    npl = int(row.get("npl_fen") or 0)
    provision = int(with_provision(book)["provision_fen"].sum() or 0)
    figures = [
        Figure("total_balance_fen", "贷款余额", "Outstanding principal", Kind.FEN, total, "stock_by_bucket"),
        Figure(
            "total_loans",
            "在贷笔数",
            "Loans on book",
            Kind.COUNT,
            int(row.get("loans") or 0),
            "stock_by_bucket",
        ),
        Figure(
            "overdue_balance_fen",
            "逾期贷款余额",
            "Balance of overdue loans",
            Kind.FEN,
            overdue,
            "stock_by_bucket",
        ),
        Figure(
            "overdue_rate",
            "逾期率",
            "Overdue rate",
            Kind.RATIO,
            ratio_value(overdue, total),
            "stock_by_bucket",
        ),
        Figure(
            "dpd30_ratio",
            "逾期30天以上占比",
            "DPD30+ ratio",
            Kind.RATIO,
            ratio_value(int(row.get("dpd30_fen") or 0), total),
            "stock_by_bucket",
        ),
        Figure(
            "dpd90_ratio",
            "逾期90天以上占比",
            "DPD90+ ratio",
            Kind.RATIO,
            ratio_value(int(row.get("dpd90_fen") or 0), total),
            "stock_by_bucket",
        ),
        Figure("npl_balance_fen", "不良贷款余额", "NPL balance", Kind.FEN, npl, "stock_by_class"),
        Figure("npl_ratio", "不良贷款率", "NPL ratio", Kind.RATIO, ratio_value(npl, total), "stock_by_class"),
        Figure(
            "reference_provision_fen",
            "参考拨备",
            "Reference provisions",
            Kind.FEN,
            provision,
            "stock_by_class",
        ),
    ]
    if reserves_fen is None:
        return tuple(figures), (NO_RESERVES_NOTE,)
    figures += [
        Figure(
            "reserves_fen", "贷款损失准备", "Loan-loss reserves", Kind.FEN, reserves_fen, "stock_by_class"
        ),
        Figure(
            "provision_coverage",
            "拨备覆盖率",
            "Provision coverage",
            Kind.RATIO,
            ratio_value(reserves_fen, npl),
            "stock_by_class",
        ),
        Figure(
            "loan_provision_ratio",
            "贷款拨备率",
            "Loan provision ratio",
            Kind.RATIO,
            ratio_value(reserves_fen, total),
            "stock_by_class",
        ),
    ]
    return tuple(figures), ()
