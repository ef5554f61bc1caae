"""What the strategy needs beside the snapshot, read in bulk from the store and the book (issue 4).

``strategy_inputs`` builds one row per loan of the day's snapshot (``engine.strategy.STRATEGY_INPUT``):
the snapshot's own columns, the next scheduled installment (``next_due_on``: the contractual due date of
the first installment due on or after the day, with its scheduled amount ``installment_fen`` — none for a loan
that owes nothing), the borrower's credit score, monthly income and region, whether the debtor can be
reached (``contactable``: a phone on file that is neither marked invalid nor under do-not-contact), and how
many promises to pay on the borrower's open case are broken.
"""

from __future__ import annotations

from datetime import date
from typing import Final

import polars as pl

from qingshou.engine.book import Book
from qingshou.risk.features import read_borrowers
from qingshou.store import Store

#: The snapshot columns the strategy reads.
SNAPSHOT_COLUMNS: Final = (
    "as_of",
    "loan_id",
    "borrower_id",
    "product_id",
    "dpd",
    "delinquent",
    "bucket",
    "classification",
    "overdue_principal_fen",
    "overdue_interest_fen",
    "penalty_interest_fen",
    "compound_interest_fen",
    "total_overdue_fen",
    "outstanding_principal_fen",
    "payoff_amount_fen",
    "limitation_expires_on",
    "borrower_worst_dpd",
    "borrower_total_overdue_fen",
    "borrower_overdue_loans",
)

BORROWER_FEATURES: Final = {
    "borrower_id": pl.String(),
    "credit_score": pl.Int32(),
    "monthly_income_fen": pl.Int64(),
    "region": pl.String(),
    "contactable": pl.Boolean(),
    "broken_promises": pl.Int32(),
    # Risk (issue 8): filled by the EOD step ``ScoreRisk`` (apps.risk) before the plan; null / False when
    # no model is active or the borrower was not scored.
    "collection_score": pl.Int32(),
    "warning_score": pl.Int32(),
    "watch_listed": pl.Boolean(),
}


def next_installments(book: Book, as_of: date) -> pl.DataFrame:
    """Per loan, the first installment due on or after ``as_of``: ``next_due_on`` and ``installment_fen``."""
    return (
        book.installments.lazy()
        .filter(pl.col("due_date") >= as_of)
        .group_by("loan_id")
        .agg(
            pl.col("due_date").min().alias("next_due_on"),
            (pl.col("principal_due_fen") + pl.col("interest_due_fen") + pl.col("fee_due_fen"))
            .sort_by("due_date")
            .first()
            .alias("installment_fen"),
        )
        .collect()
    )


def borrower_features(store: Store, borrower_ids: pl.Series) -> pl.DataFrame:
    """``BORROWER_FEATURES`` of the borrowers in the book, from three set-based queries."""
    borrowers = read_borrowers(store)
    broken = store.read(
        "SELECT c.borrower_id, COUNT(*) AS broken_promises FROM qs_promise p"
        " JOIN qs_case c ON c.id = p.case_id"
        " WHERE c.status = 'open' AND p.status = 'broken' GROUP BY c.borrower_id",
        {"borrower_id": pl.String(), "broken_promises": pl.Int32()},
    )
    wanted = pl.DataFrame({"borrower_id": borrower_ids.unique()}, schema={"borrower_id": pl.String()})
    return (
        wanted.join(borrowers, on="borrower_id", how="left")
        .join(broken, on="borrower_id", how="left")
        .with_columns(
            pl.col("region").fill_null(""),
            pl.col("contactable").fill_null(False),
            pl.col("broken_promises").fill_null(0),
            pl.lit(None, pl.Int32).alias("collection_score"),
            pl.lit(None, pl.Int32).alias("warning_score"),
            pl.lit(False).alias("watch_listed"),
        )
        .select([pl.col(name).cast(dtype) for name, dtype in BORROWER_FEATURES.items()])
    )


def strategy_inputs(snapshot: pl.DataFrame, book: Book, features: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """One row per snapshot loan: the snapshot's columns, the next installment and the borrower's features
    (a loan that owes nothing has no next installment)."""
    owes = pl.col("payoff_amount_fen") > 0
    return (
        snapshot.select(SNAPSHOT_COLUMNS)
        .join(next_installments(book, as_of), on="loan_id", how="left")
        .join(features, on="borrower_id", how="left")
        .with_columns(
            pl.when(owes).then(pl.col("next_due_on")).alias("next_due_on"),
            pl.when(owes).then(pl.col("installment_fen")).alias("installment_fen"),
            pl.col("contactable").fill_null(False),
            pl.col("broken_promises").fill_null(0),
            pl.col("region").fill_null(""),
            pl.col("watch_listed").fill_null(False),
        )
    )
