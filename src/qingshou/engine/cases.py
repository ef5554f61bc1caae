"""Cases from the day's snapshot: which borrowers' cases open, stay open, close or vanish on a day (issue 4).

A case is a borrower's episode of arrears (``apps.cases.models.Case``). From the snapshot of day D and the
cases that could be open on D — opened on or before D and not closed before D — this kernel decides:

- **open**: a borrower with a delinquent loan (C3) and no such case gets a new case opened on D;
- **keep**: a case whose borrower still has a delinquent loan stays open (a case an earlier run of D had
  closed is reopened: the book changed since); its figures are refreshed;
- **close**: a case opened before D whose borrower has no delinquent loan on D closes on D — *settled*
  when the borrower owes nothing any more (every payoff amount zero), *cured* otherwise;
- **drop**: a case opened on D by an earlier run of D whose borrower is no longer delinquent disappears
  (a rerun replaces the day exactly). Its ``close_reason`` is filled as for a close: the store keeps — closed
  on D with that reason — a dropped case people have already worked on (``apps.cases.services.daily``).

Borrowers in ``held`` (a loan of theirs could not be computed today) keep their cases untouched: a loan
missing from the snapshot must not close a case. Pure function of frames; no row loops.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

import polars as pl

from qingshou.engine.strategy import worst_loans_first

Schema = dict[str, pl.DataType]

#: The cases that may be open on the day (opened on or before it, not closed before it).
OPEN_CASES: Final[Schema] = {
    "case_id": pl.Int64(),
    "borrower_id": pl.String(),
    "opened_on": pl.Date(),
    "closed_on": pl.Date(),
}

#: The state of every borrower in the snapshot.
BORROWER_STATE: Final[Schema] = {
    "borrower_id": pl.String(),
    "lead_loan_id": pl.String(),
    "worst_dpd": pl.Int32(),
    "delinquent_loans": pl.Int32(),
    "total_overdue_fen": pl.Int64(),
    "owed_fen": pl.Int64(),
}

#: A case row as the day leaves it (``case_id`` null: a case to create).
CASE_ROWS: Final[Schema] = {
    "case_id": pl.Int64(),
    "borrower_id": pl.String(),
    "status": pl.String(),
    "opened_on": pl.Date(),
    "closed_on": pl.Date(),
    "close_reason": pl.String(),
    "updated_on": pl.Date(),
    "lead_loan_id": pl.String(),
    "worst_dpd": pl.Int32(),
    "delinquent_loans": pl.Int32(),
    "total_overdue_fen": pl.Int64(),
    "change": pl.String(),
}

OPEN: Final = "open"
KEEP: Final = "keep"
CLOSE: Final = "close"
DROP: Final = "drop"


@dataclass(frozen=True, slots=True)
class CaseDay:
    """The day's case rows by change (``CASE_ROWS``): ``opened`` (to insert), ``kept`` and ``closed`` (to
    update), ``dropped`` (to delete, with their ids)."""

    opened: pl.DataFrame
    kept: pl.DataFrame
    closed: pl.DataFrame
    dropped: pl.DataFrame


def borrower_state(snapshot: pl.DataFrame) -> pl.DataFrame:
    """One row per borrower of the snapshot (``BORROWER_STATE``): the lead loan as the strategy picks it
    (``engine.strategy.worst_loans_first``)."""
    ordered = worst_loans_first(snapshot)
    return (
        ordered.group_by("borrower_id", maintain_order=True)
        .agg(
            pl.col("loan_id").first().alias("lead_loan_id"),
            pl.col("dpd").max().cast(pl.Int32).alias("worst_dpd"),
            pl.col("delinquent").sum().cast(pl.Int32).alias("delinquent_loans"),
            pl.col("total_overdue_fen").sum().alias("total_overdue_fen"),
            pl.col("payoff_amount_fen").sum().alias("owed_fen"),
        )
        .select(BORROWER_STATE.keys())
    )


def case_day(
    snapshot: pl.DataFrame, open_cases: pl.DataFrame, as_of: date, held: pl.Series | None = None
) -> CaseDay:
    """The cases of ``as_of`` (module docstring): ``open_cases`` holds ``OPEN_CASES`` rows."""
    state = borrower_state(snapshot)
    if held is not None and held.len():
        state = state.filter(~pl.col("borrower_id").is_in(held.implode()))
        open_cases = open_cases.filter(~pl.col("borrower_id").is_in(held.implode()))
    day = pl.lit(as_of, pl.Date)
    delinquent = pl.col("delinquent_loans") > 0
    joined = open_cases.join(state, on="borrower_id", how="inner")
    opened = state.filter(delinquent).join(open_cases, on="borrower_id", how="anti")
    kept = joined.filter(delinquent)
    gone = joined.filter(~delinquent)
    closed = gone.filter(pl.col("opened_on") < day)
    dropped = gone.filter(pl.col("opened_on") >= day)
    settled = pl.when(pl.col("owed_fen") == 0).then(pl.lit("settled")).otherwise(pl.lit("cured"))
    return CaseDay(
        opened=_rows(
            opened.with_columns(pl.lit(None, pl.Int64).alias("case_id"), day.alias("opened_on")), OPEN, day
        ),
        kept=_rows(kept, KEEP, day),
        closed=_rows(closed, CLOSE, day, closed_on=day, reason=settled),
        dropped=_rows(dropped, DROP, day, reason=settled),
    )


def _rows(
    frame: pl.DataFrame,
    change: str,
    day: pl.Expr,
    *,
    closed_on: pl.Expr | None = None,
    reason: pl.Expr | None = None,
) -> pl.DataFrame:
    """``frame`` as ``CASE_ROWS`` with the change's status, dates and reason, updated on ``day``."""
    updated = frame.with_columns(
        pl.lit("open" if closed_on is None else "closed").alias("status"),
        (closed_on if closed_on is not None else pl.lit(None, pl.Date)).alias("closed_on"),
        (reason if reason is not None else pl.lit("")).alias("close_reason"),
        day.alias("updated_on"),
        pl.lit(change).alias("change"),
    )
    return updated.select([pl.col(name).cast(dtype) for name, dtype in CASE_ROWS.items()])
