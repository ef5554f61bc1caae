"""From the replayed ledgers to snapshot rows: everything ``domain.quote.quote_loan`` reports, as columns.

``derive_snapshot`` takes the replay's ``LedgerFrames`` (allocation and accrual already done, C4/C5) and
computes for every loan, vectorised over the book:

* delinquency at the end of as_of (C2, C3; ``derive_timeline``): dpd from the origin of the oldest unpaid
  installment, delinquent past its last on-time day, the product's bucket (M0 when not delinquent);
* the amounts (``derive_amounts``): overdue components, total, outstanding principal, payoff, credit;
* the class and IFRS 9 stage with the NPL hold, carried from ``previous`` or derived, and the
  restructuring observation of a plan's successor loan (C6; ``classify``);
* the limitation period (C7; ``limitation``), interrupted by cash payments only;

then hands the quote fields and the carried classification state to ``changes.finish`` for the borrower
aggregates and the changes since the previous snapshot. Inside, loans are addressed by an integer
``loan_key`` (``derive_timeline.keyed_loans``); ``loan_id`` comes back at the end.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import polars as pl

from qingshou.domain.loan import PaymentKind
from qingshou.domain.policy import CURRENT_BUCKET, ProductPolicy
from qingshou.engine import changes, classify, derive_amounts, derive_timeline, limitation, schema
from qingshou.engine.book import Book
from qingshou.engine.calendar import CalendarFrame
from qingshou.engine.derive_timeline import KEY

#: Below every bucket's range: the first bucket takes a delinquent dpd under its low end (``bucket_of``).
_BELOW_ALL = -(2**31)


def buckets_frame(policies: Mapping[str, ProductPolicy]) -> pl.DataFrame:
    """(product_id, low, bucket_name): each product's buckets by their low end (C3); the first one also
    takes anything below it, as ``ProductPolicy.bucket_of`` does."""
    rows = [
        {"product_id": product_id, "low": _BELOW_ALL if rank == 0 else bucket.low, "bucket_name": bucket.name}
        for product_id, policy in policies.items()
        for rank, bucket in enumerate(policy.buckets)
    ]
    return pl.DataFrame(
        rows, schema={"product_id": pl.String(), "low": pl.Int32(), "bucket_name": pl.String()}
    ).sort("low")


def with_bucket(frame: pl.DataFrame, policies: Mapping[str, ProductPolicy]) -> pl.DataFrame:
    """``frame`` (product_id, dpd, delinquent) plus ``bucket``: M0 when not delinquent, else the product's
    bucket holding dpd (buckets are contiguous and the last is open-ended, so the one with the highest
    low end ≤ dpd holds it)."""
    joined = frame.sort("dpd").join_asof(
        buckets_frame(policies),
        left_on="dpd",
        right_on="low",
        by="product_id",
        strategy="backward",
        check_sortedness=False,
    )
    bucket = pl.when(pl.col("delinquent")).then(pl.col("bucket_name")).otherwise(pl.lit(CURRENT_BUCKET))
    return joined.with_columns(bucket.alias("bucket")).drop("low", "bucket_name")


def delinquency(
    lines: pl.DataFrame, loans: pl.DataFrame, policies: Mapping[str, ProductPolicy], as_of: date
) -> pl.DataFrame:
    """(loan_key, product_id, dpd, delinquent, cleared, missed, bucket) at the end of as_of (C2, C3)."""
    state = derive_timeline.state_on(lines, loans, as_of).with_columns(
        derive_timeline.missed_on(lines, loans, as_of)["missed"],
        loans["product_id"],
    )
    return with_bucket(state, policies)


def derive_snapshot(
    book: Book,
    ledger: schema.LedgerFrames,
    as_of: date,
    calendar: CalendarFrame,
    previous: pl.DataFrame | None,
) -> pl.DataFrame:
    """One SNAPSHOT row per loan of ``ledger.loans`` at the end of ``as_of`` (``previous``: the snapshot of
    an earlier day, normally as_of − 1, or None); QUOTE_FIELDS equal ``domain.quote.quote_loan``."""
    policies = book.policies()
    loans = derive_timeline.keyed_loans(ledger.loans, book.loans)
    _refuse_unknown(loans, policies)
    lines = derive_timeline.keyed_lines(ledger.lines, loans)
    lines = derive_timeline.timeline(lines, loans, book.products, as_of, calendar)
    today = delinquency(lines, loans, policies, as_of)
    classes = classify.classify_loans(lines, today, loans, previous, policies, as_of)
    money = derive_amounts.amounts(lines, ledger.charges, loans, as_of)
    period = limitation.limitation(
        limitation.triggers(lines, loans),
        limitation.acts(cash(book.payments), book.interruptions),
        as_of,
        calendar,
    )
    quotes = (
        loans.select(KEY, "loan_id", "borrower_id", "product_id", pl.lit(as_of, pl.Date).alias("as_of"))
        .join(today.select(KEY, "dpd", "delinquent", "bucket"), on=KEY, how="left")
        .join(classes, on=KEY, how="left")
        .join(money, on=KEY, how="left")
        .join(period, on=KEY, how="left")
    )
    carried = quotes.select("loan_id", *schema.CARRIED_STATE)
    return changes.finish(schema.conform(quotes, schema.QUOTE_FIELDS), carried, previous, policies)


def cash(payments: pl.DataFrame) -> pl.DataFrame:
    """The cash payments of a BOOK_PAYMENTS frame: only money received interrupts limitation (C7; a
    non-cash payment of an arrangement does not, ``domain.quote.payment_interruptions``)."""
    return payments.filter(pl.col("kind") == PaymentKind.CASH.value)


def _refuse_unknown(loans: pl.DataFrame, policies: Mapping[str, ProductPolicy]) -> None:
    """A ledger loan absent from the book, or of a product the book does not define, is an error."""
    missing = loans.filter(pl.col("product_id").is_null() | ~pl.col("product_id").is_in(list(policies)))
    if missing.height:
        row = missing.row(0, named=True)
        raise ValueError(
            f"loan {row['loan_id']}: product_id {row['product_id']!r} is not a product of the book"
            " (or the loan is not in the book)"
        )
