"""Limitation as columns (C7): the start and the expiry of every loan's limitation period at as_of.

The same rules as ``domain.limitation.limitation_expiry`` with the payments received by as_of
(``domain.quote.payment_interruptions``) and the stored interruptions of as_of or earlier (a delivered
demand, a promise, a plan, a suit: ``Book.interruptions``) as the interruptions (``acts``):

* the trigger is the last due date of the loan's ORIGINAL schedule, or the acceleration date when the loan
  was called on or before as_of and earlier than that; the period starts the day after it. Both are the
  latest due date of the replayed ledger lines: acceleration on A ≤ as_of moves every later installment to
  A, and leaves the schedule alone when A is on or after its last due date;
* the deadline of a day d is d + 3 years (``add_years``: 29 Feb → 28 Feb), moved to the next business day
  (art. 203); when the calendar cannot say (a year it does not cover) it stays unadjusted and
  ``calendar_confirmed`` is false — ``limitation.business_day_deadline``;
* the days of those acts from the start, in order, restart the period while it is still running (d ≤ the
  current deadline, adjusted or not as above); one after expiry does not revive it.

Since a deadline only grows with its day, the accepted payments are a prefix of the sorted payment days:
the chain (trigger, d₁, d₂, …) breaks at the first day that comes after the deadline of the day before it,
and the result is the deadline of the last day before the break.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Final

import polars as pl

from qingshou.domain.limitation import LIMITATION_YEARS
from qingshou.engine.calendar import CalendarFrame
from qingshou.engine.derive_timeline import KEY, before_in_loan, last_of_loan

_DAY = timedelta(days=1)
_PERIOD: Final = f"{LIMITATION_YEARS}y"

LIMITATION: Final[dict[str, pl.DataType]] = {
    KEY: pl.UInt32(),
    "limitation_start": pl.Date(),
    "limitation_expires_on": pl.Date(),
    "limitation_unadjusted_on": pl.Date(),
    "limitation_calendar_confirmed": pl.Boolean(),
}


def triggers(lines: pl.DataFrame, loans: pl.DataFrame) -> pl.DataFrame:
    """(loan_key, loan_id, trigger): the day that sets each loan's period running (art. 189) — the latest
    due date of its keyed ledger ``lines`` (see the module docstring); ``loans``: keyed loans."""
    latest = lines.lazy().group_by(KEY).agg(pl.col("due_date").max().alias("trigger")).collect()
    return loans.select(KEY, "loan_id").join(latest, on=KEY, how="left", maintain_order="left")


def with_deadline(chain: pl.LazyFrame, calendar: CalendarFrame) -> pl.LazyFrame:
    """``chain`` plus, for its ``day``: ``unadjusted`` = day + 3 years, ``moved`` = its next business day
    (null when the calendar cannot say) and ``expires`` = moved, else unadjusted."""
    moves = calendar.days.lazy().rename({"day": "unadjusted", "next_business_day": "moved"})
    return (
        chain.with_columns(pl.col("day").dt.offset_by(_PERIOD).alias("unadjusted"))
        .join(moves, on="unadjusted", how="left")
        .with_columns(pl.coalesce("moved", "unadjusted").alias("expires"))
    )


def acts(payments: pl.DataFrame, interruptions: pl.DataFrame) -> pl.DataFrame:
    """(loan_id, paid_on): the days of every act that can interrupt limitation — each payment and each
    stored interruption (its ``on`` day under the payments' column name)."""
    return pl.concat(
        [
            payments.select("loan_id", "paid_on"),
            interruptions.select("loan_id", pl.col("on").alias("paid_on")),
        ]
    )


def limitation(
    trigger: pl.DataFrame, payments: pl.DataFrame, as_of: date, calendar: CalendarFrame
) -> pl.DataFrame:
    """LIMITATION rows for every loan of ``trigger`` (``triggers``); ``payments``: the interrupting acts
    (``acts``: loan_id, paid_on). One lazy query: the act join is the costly part on a large book."""
    started = trigger.lazy().filter(pl.col("trigger") < as_of)
    paid = (
        payments.lazy()
        .filter(pl.col("paid_on") <= as_of)
        .join(started, on="loan_id", how="inner")
        .filter(pl.col("paid_on") > pl.col("trigger"))
        .select(KEY, pl.col("paid_on").alias("day"))
    )
    starts = trigger.lazy().select(KEY, pl.col("trigger").alias("day"))
    chain = with_deadline(pl.concat([starts, paid]).unique(), calendar).sort(KEY, "day")
    broken = (pl.col("day") > before_in_loan(pl.col("expires"))).fill_null(False)
    kept = (
        chain.with_columns(broken.cast(pl.Int32).alias("_broken"))
        .with_columns(_within_loan_cum_sum("_broken").alias("_breaks"))
        .filter(pl.col("_breaks") == 0)
        .filter(last_of_loan())
    )
    result = trigger.lazy().select(KEY, "trigger").join(kept, on=KEY, how="left", maintain_order="left")
    return result.select(
        KEY,
        (pl.col("trigger") + _DAY).alias("limitation_start"),
        pl.col("expires").alias("limitation_expires_on"),
        pl.col("unadjusted").alias("limitation_unadjusted_on"),
        pl.col("moved").is_not_null().alias("limitation_calendar_confirmed"),
    ).collect()


def _within_loan_cum_sum(column: str) -> pl.Expr:
    """The running sum of a non-negative Int32 column within each loan (frame sorted by loan_key)."""
    total = pl.col(column).cum_sum()
    before = pl.when(pl.col(KEY) != pl.col(KEY).shift(1)).then(total - pl.col(column)).forward_fill()
    return total - before.fill_null(0)
