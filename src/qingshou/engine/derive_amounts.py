"""The quote's amounts as columns (C4, C5 results; ``domain.quote.overdue_amounts`` and ``payoff_amount``).

All amounts are integer fen, from the replayed ledger frames at the end of as_of:

* overdue principal / interest / installment fees: unpaid on installments whose (possibly accelerated) due
  date is on or before as_of; penalty and compound: unpaid on every installment; ``fees_fen`` adds the
  unpaid fee charges, ``costs_fen`` is the unpaid cost charges; total overdue is the sum of the six;
* outstanding principal: unpaid principal of every installment;
* payoff: total overdue + principal not yet due + the contractual interest of the current period (the first
  installment not yet due) accrued pro rata by days — interest × elapsed / length, half-up to the fen,
  exact in integers — less the interest already paid on it (never below zero), less unapplied credit,
  never below zero. The period starts on the latest earlier due date (or disbursement); elapsed is never
  negative.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from qingshou.engine import schema
from qingshou.engine.derive_timeline import KEY, first_of_loan, per_loan

_COMPONENTS = (
    "overdue_principal_fen",
    "overdue_interest_fen",
    "penalty_interest_fen",
    "compound_interest_fen",
    "fees_fen",
    "costs_fen",
)
#: The amount columns of the snapshot this module computes, keyed by the loan key.
AMOUNTS: dict[str, pl.DataType] = {
    KEY: pl.UInt32(),
    **{
        name: schema.QUOTE_FIELDS[name]
        for name in (
            *_COMPONENTS,
            "total_overdue_fen",
            "outstanding_principal_fen",
            "payoff_amount_fen",
            "unapplied_credit_fen",
        )
    },
}


def _unpaid(due: str, paid: str) -> pl.Expr:
    return pl.col(due) - pl.col(paid)


def _when_due(amount: pl.Expr, due: pl.Expr) -> pl.Expr:
    return pl.when(due).then(amount).otherwise(0)


def line_sums(lines: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """Per loan (``lines``: keyed ledger lines, any order): the installment parts of the overdue amounts,
    the outstanding and the undue principal (lazy: several times faster than the eager group-by here); and
    for ``accrued_interest``, in the same pass over the lines, ``_earlier`` / ``_soonest``: the latest due
    date on or before as_of and the earliest after it (null: none)."""
    due = pl.col("due_date") <= as_of
    principal = _unpaid("principal_due", "principal_paid")
    return (
        lines.lazy()
        .group_by(KEY)
        .agg(
            _when_due(principal, due).sum().alias("overdue_principal_fen"),
            _when_due(_unpaid("interest_due", "interest_paid"), due).sum().alias("overdue_interest_fen"),
            _unpaid("penalty_accrued", "penalty_paid").sum().alias("penalty_interest_fen"),
            _unpaid("compound_accrued", "compound_paid").sum().alias("compound_interest_fen"),
            _when_due(_unpaid("fee_due", "fee_paid"), due).sum().alias("_installment_fees"),
            principal.sum().alias("outstanding_principal_fen"),
            _when_due(principal, ~due).sum().alias("_undue_principal"),
            pl.col("due_date").filter(due).max().alias("_earlier"),
            pl.col("due_date").filter(~due).min().alias("_soonest"),
        )
        .collect()
    )


def charge_sums(charges: pl.DataFrame, loans: pl.DataFrame) -> pl.DataFrame:
    """Per loan key: unpaid fee charges and unpaid cost charges (``charges``: LEDGER_CHARGES)."""
    unpaid = _unpaid("amount", "paid")
    return (
        charges.join(loans.select("loan_id", KEY), on="loan_id", how="inner")
        .group_by(KEY)
        .agg(
            _when_due(unpaid, pl.col("kind") == "fees").sum().alias("_fee_charges"),
            _when_due(unpaid, pl.col("kind") == "costs").sum().alias("costs_fen"),
        )
    )


def accrued_interest(
    lines: pl.DataFrame, loans: pl.DataFrame, as_of: date, sums: pl.DataFrame
) -> pl.DataFrame:
    """(loan_key, _accrued): the current period's contractual interest accrued by as_of, less what was paid
    on it, never below zero (half-up: ⌊(2·interest·elapsed + length) / (2·length)⌋, in Int128).

    The current installment is the first not yet due in (due date, seq) order (due dates rise with seq;
    accelerated ones are due by as_of); its period starts on the due date before it — the latest due date
    on or before as_of — or on disbursement. ``lines`` may be in any order: the earliest future due date
    of each loan comes from ``sums`` (``line_sums``: ``_soonest``, ``_earlier``), its installments (rarely
    more than one) from a filter, the first by seq from a sort of those alone."""
    due = pl.col("due_date") <= as_of
    earlier = sums.lazy().select(KEY, "_earlier")
    by_key = pl.repeat(None, loans.height, dtype=pl.Date, eager=True).scatter(sums[KEY], sums["_soonest"])
    current = (
        lines.lazy()
        .with_columns(by_key.gather(lines[KEY]).alias("_soonest"))
        .filter(~due & (pl.col("due_date") == pl.col("_soonest")))
        .select(KEY, "seq", "due_date", "interest_due", "interest_paid")
        .sort(KEY, "seq")
        .filter(first_of_loan())
    )
    rows = current.join(earlier, on=KEY, how="left").with_columns(
        pl.coalesce(pl.col("_earlier"), per_loan(loans, "disbursed_on")).alias("_start")
    )
    elapsed = (pl.lit(as_of) - pl.col("_start")).dt.total_days().clip(lower_bound=0).cast(pl.Int128)
    length = (pl.col("due_date") - pl.col("_start")).dt.total_days().cast(pl.Int128)
    two = pl.lit(2, pl.Int128)
    share = (two * pl.col("interest_due").cast(pl.Int128) * elapsed + length) // (two * length)
    accrued = (share - pl.col("interest_paid").cast(pl.Int128)).clip(lower_bound=0).cast(pl.Int64)
    return rows.select(KEY, accrued.alias("_accrued")).collect()


def amounts(lines: pl.DataFrame, charges: pl.DataFrame, loans: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """AMOUNTS for every loan of ``loans`` (keyed, with disbursed_on and unapplied_credit); ``lines``: the
    keyed ledger lines; ``charges``: LEDGER_CHARGES."""
    sums = line_sums(lines, as_of)
    frame = (
        loans.select(KEY, pl.col("unapplied_credit").alias("unapplied_credit_fen"))
        .join(sums.drop("_earlier", "_soonest"), on=KEY, how="left")
        .join(charge_sums(charges, loans), on=KEY, how="left")
        .join(accrued_interest(lines, loans, as_of, sums), on=KEY, how="left")
        .with_columns(pl.exclude(KEY).fill_null(0))
        .with_columns((pl.col("_installment_fees") + pl.col("_fee_charges")).alias("fees_fen"))
        .with_columns(pl.sum_horizontal(_COMPONENTS).alias("total_overdue_fen"))
    )
    payoff = (
        pl.col("total_overdue_fen")
        + pl.col("_undue_principal")
        + pl.col("_accrued")
        - pl.col("unapplied_credit_fen")
    ).clip(lower_bound=0)
    return frame.with_columns(payoff.alias("payoff_amount_fen")).select(
        [pl.col(name).cast(dtype) for name, dtype in AMOUNTS.items()]
    )
