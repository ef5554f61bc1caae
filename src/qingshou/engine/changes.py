"""What a snapshot adds to the loans' quotes: borrower aggregates and the changes since the day before.

* Borrower aggregates (over the borrower's loans in the same snapshot): ``borrower_worst_dpd`` = the highest
  dpd, ``borrower_total_overdue_fen`` = the sum of total overdue, ``borrower_overdue_loans`` = how many of the
  loans are delinquent (C2/C3: past their last on-time day, not merely due today).
* Changes against the previous snapshot (joined by loan id; null / false for a loan it does not hold):
  ``newly_delinquent`` (delinquent now, not before), ``cured`` (delinquent before, not now), ``rolled_worse``
  (a later bucket of the product's bucket order than before; M0 is first), ``class_changed``.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from qingshou.domain.policy import CURRENT_BUCKET, ProductPolicy
from qingshou.engine import schema


def bucket_ranks(policies: Mapping[str, ProductPolicy]) -> pl.DataFrame:
    """(product_id, bucket, bucket_rank): M0 is 0, then the product's buckets in order."""
    rows = [
        {"product_id": product_id, "bucket": name, "bucket_rank": rank}
        for product_id, policy in policies.items()
        for rank, name in enumerate([CURRENT_BUCKET, *(bucket.name for bucket in policy.buckets)])
    ]
    return pl.DataFrame(
        rows, schema={"product_id": pl.String(), "bucket": pl.String(), "bucket_rank": pl.Int32()}
    )


def with_borrower_aggregates(quotes: pl.DataFrame) -> pl.DataFrame:
    """``quotes`` (QUOTE_FIELDS) with the BORROWER_FIELDS of each loan's borrower (a group-by and a join:
    much faster than window expressions over string keys at a million loans)."""
    per_borrower = quotes.group_by("borrower_id").agg(
        pl.col("dpd").max().cast(pl.Int32).alias("borrower_worst_dpd"),
        pl.col("total_overdue_fen").sum().cast(pl.Int64).alias("borrower_total_overdue_fen"),
        pl.col("delinquent").sum().cast(pl.Int32).alias("borrower_overdue_loans"),
    )
    return quotes.join(per_borrower, on="borrower_id", how="left", maintain_order="left")


def with_changes(
    quotes: pl.DataFrame, previous: pl.DataFrame | None, policies: Mapping[str, ProductPolicy]
) -> pl.DataFrame:
    """``quotes`` with the CHANGE_FIELDS against ``previous`` (a SNAPSHOT frame, or None: first run)."""
    before = (
        previous.select(
            "loan_id",
            pl.col("dpd").alias("previous_dpd"),
            pl.col("bucket").alias("previous_bucket"),
            pl.col("classification").alias("previous_classification"),
            pl.col("delinquent").alias("previous_delinquent"),
        )
        if previous is not None
        else pl.DataFrame(
            schema={
                "loan_id": pl.String(),
                "previous_dpd": pl.Int32(),
                "previous_bucket": pl.String(),
                "previous_classification": pl.String(),
                "previous_delinquent": pl.Boolean(),
            }
        )
    )
    ranks = bucket_ranks(policies)
    known = pl.col("previous_delinquent").is_not_null()
    joined = (
        quotes.join(before, on="loan_id", how="left")
        .join(ranks, on=["product_id", "bucket"], how="left")
        .join(
            ranks.rename({"bucket": "previous_bucket", "bucket_rank": "previous_rank"}),
            on=["product_id", "previous_bucket"],
            how="left",
        )
    )
    return joined.with_columns(
        (known & pl.col("delinquent") & ~pl.col("previous_delinquent")).alias("newly_delinquent"),
        (known & ~pl.col("delinquent") & pl.col("previous_delinquent")).alias("cured"),
        (known & (pl.col("bucket_rank") > pl.col("previous_rank")).fill_null(False)).alias("rolled_worse"),
        (known & (pl.col("classification") != pl.col("previous_classification"))).alias("class_changed"),
    ).drop("previous_delinquent", "bucket_rank", "previous_rank")


def finish(
    quotes: pl.DataFrame,
    carried: pl.DataFrame,
    previous: pl.DataFrame | None,
    policies: Mapping[str, ProductPolicy],
) -> pl.DataFrame:
    """The SNAPSHOT frame from the loans' QUOTE_FIELDS and their CARRIED_STATE (``loan_id`` + state)."""
    state = schema.conform(carried, {"loan_id": pl.String(), **schema.CARRIED_STATE})
    frame = with_changes(with_borrower_aggregates(quotes), previous, policies)
    return schema.conform(frame.join(state, on="loan_id", how="left"), schema.SNAPSHOT).sort("loan_id")
