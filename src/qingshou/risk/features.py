"""History read once from the store, for the model features of many borrowers on one or many days.

``StoreHistory`` holds the few frames the feature builders need (payments, contact attempts, promises to pay,
borrowers, loans, installments), each read with one set-based query through ``qingshou.store.Store.read`` —
never one query per borrower. ``read_history(store, since=…, until=…)`` reads the facts dated in
``(since, until]`` (``since=None``: from the beginning); the features of a day ``D`` in that range then use
only the facts dated on or before ``D`` (point in time), so the same history serves a whole training window.

Money stays integer fen here (C9); ratios of two amounts are floats (model inputs, never money).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

import polars as pl

from qingshou.store import Store

#: Cash payments per borrower and day: their count and amount.
PAYMENTS: Final = {
    "borrower_id": pl.String(),
    "paid_on": pl.Date(),
    "payments": pl.Int32(),
    "amount_fen": pl.Int64(),
}
#: Per borrower, the last cash payment on or before ``since`` (the window's payments do the rest).
EARLIER_PAYMENTS: Final = {"borrower_id": pl.String(), "last_paid_on": pl.Date()}
#: Contact attempts per borrower and local day: those the compliance check allowed, and of those the ones
#: that reached the right party (result ``connected``).
CONTACTS: Final = {
    "borrower_id": pl.String(),
    "local_day": pl.Date(),
    "attempts": pl.Int32(),
    "connected": pl.Int32(),
}
PROMISES: Final = {
    "borrower_id": pl.String(),
    "taken_on": pl.Date(),
    "status": pl.String(),
    "evaluated_on": pl.Date(),
}
BORROWERS: Final = {
    "borrower_id": pl.String(),
    "credit_score": pl.Int32(),
    "monthly_income_fen": pl.Int64(),
    "contactable": pl.Boolean(),
}
LOANS: Final = {"loan_id": pl.String(), "disbursed_on": pl.Date()}
INSTALLMENTS: Final = {"loan_id": pl.String(), "due_date": pl.Date(), "amount_fen": pl.Int64()}


@dataclass(frozen=True, slots=True)
class StoreHistory:
    """The store's facts for feature building (the schemas above), dated up to ``until``."""

    until: date
    payments: pl.DataFrame
    earlier_payments: pl.DataFrame
    contacts: pl.DataFrame
    promises: pl.DataFrame
    borrowers: pl.DataFrame
    loans: pl.DataFrame
    installments: pl.DataFrame

    def check_day(self, day: date) -> None:
        """A day's features need its facts: ``day`` must not be after ``until``."""
        if day > self.until:
            raise ValueError(f"the history ends {self.until}; features of {day} would miss facts")


def _day(value: date) -> str:
    return f"'{value.isoformat()}'"


def _window(column: str, since: date | None, until: date) -> str:
    lower = f"{column} > {_day(since)} AND " if since is not None else ""
    return f"{lower}{column} <= {_day(until)}"


def _created_day(frame: pl.DataFrame) -> pl.Series:
    """``created_at`` as a date whatever the driver returned (SQLite: text; PostgreSQL: a timestamp)."""
    column = frame.get_column("created_at")
    if column.dtype == pl.String:
        return column.str.slice(0, 10).str.to_date(strict=False)
    if isinstance(column.dtype, pl.Datetime):
        return column.dt.date()
    return column.cast(pl.Date, strict=False)


def read_history(
    store: Store,
    *,
    since: date | None,
    until: date,
    loans: pl.DataFrame | None = None,
    installments: pl.DataFrame | None = None,
    contacts_since: date | None = None,
) -> StoreHistory:
    """The facts dated in ``(since, until]`` (module docstring). ``loans`` (``loan_id``, ``disbursed_on``) and
    ``installments`` (``loan_id``, ``due_date`` and the scheduled ``amount_fen``, or the book's
    ``*_due_fen`` columns) may be given when the caller holds them already (EOD: the book); else they are read.
    ``contacts_since`` narrows the contact attempts read (a later day than ``since``: EOD needs 30 days only).
    Payments and contacts are summed per borrower and day in the query (fewer rows)."""
    payments = store.read(
        "SELECT l.borrower_id, p.paid_on, COUNT(*) AS payments, CAST(SUM(p.amount_fen) AS BIGINT) AS amount_fen"
        " FROM qs_payment p JOIN qs_loan l ON l.loan_id = p.loan_id"
        f" WHERE p.kind = 'cash' AND {_window('p.paid_on', since, until)} GROUP BY l.borrower_id, p.paid_on",
        PAYMENTS,
    )
    earlier = (
        store.read(
            "SELECT l.borrower_id, MAX(p.paid_on) AS last_paid_on FROM qs_payment p"
            " JOIN qs_loan l ON l.loan_id = p.loan_id"
            f" WHERE p.kind = 'cash' AND p.paid_on <= {_day(since)} GROUP BY l.borrower_id",
            EARLIER_PAYMENTS,
        )
        if since is not None
        else pl.DataFrame(schema=EARLIER_PAYMENTS)
    )
    contacts = store.read(
        "SELECT borrower_id, local_day, COUNT(*) AS attempts,"
        " CAST(SUM(CASE WHEN result = 'connected' THEN 1 ELSE 0 END) AS BIGINT) AS connected FROM qs_contact_attempt"
        f" WHERE outcome = 'allow' AND {_window('local_day', contacts_since or since, until)}"
        " GROUP BY borrower_id, local_day",
        CONTACTS,
    )
    promise_rows = store.read(
        "SELECT c.borrower_id, p.taken_on, p.created_at, p.status, p.evaluated_on FROM qs_promise p"
        " JOIN qs_case c ON c.id = p.case_id",
    )
    promises = _promises(promise_rows, since, until)
    borrowers = store.read(
        "SELECT b.borrower_id, b.credit_score, b.monthly_income_fen, b.phone,"
        " COALESCE(p.unreachable, 0) AS unreachable"
        " FROM qs_borrower b LEFT JOIN ("
        "   SELECT borrower_id, MAX(CASE WHEN number_invalid OR do_not_contact THEN 1 ELSE 0 END)"
        "     AS unreachable"
        "   FROM qs_contact_party WHERE kind = 'debtor' GROUP BY borrower_id"
        " ) p ON p.borrower_id = b.borrower_id",
        {
            "borrower_id": pl.String(),
            "credit_score": pl.Int32(),
            "monthly_income_fen": pl.Int64(),
            "phone": pl.String(),
            "unreachable": pl.Int32(),
        },
    ).select(
        "borrower_id",
        "credit_score",
        "monthly_income_fen",
        ((pl.col("phone").fill_null("") != "") & (pl.col("unreachable").fill_null(0) == 0)).alias(
            "contactable"
        ),
    )
    if loans is None:
        loans = store.read("SELECT loan_id, disbursed_on FROM qs_loan", LOANS)
    if installments is None:
        installments = store.read(
            "SELECT loan_id, due_date, principal_due_fen + interest_due_fen + fee_due_fen AS amount_fen"
            f" FROM qs_installment WHERE due_date > {_day((since or date(1900, 1, 1)) - timedelta(days=1))}",
            INSTALLMENTS,
        )
    elif "amount_fen" not in installments.columns:
        installments = installments.select(
            "loan_id",
            "due_date",
            (pl.col("principal_due_fen") + pl.col("interest_due_fen") + pl.col("fee_due_fen")).alias(
                "amount_fen"
            ),
        )
    return StoreHistory(
        until=until,
        payments=payments,
        earlier_payments=earlier,
        contacts=contacts,
        promises=promises,
        borrowers=borrowers.select([pl.col(n).cast(t) for n, t in BORROWERS.items()]),
        loans=loans.select([pl.col(n).cast(t) for n, t in LOANS.items()]),
        installments=installments.select([pl.col(n).cast(t) for n, t in INSTALLMENTS.items()]),
    )


def _promises(rows: pl.DataFrame, since: date | None, until: date) -> pl.DataFrame:
    """Promises with the day they were taken (``taken_on``, else the day they were recorded)."""
    if rows.height == 0:
        return pl.DataFrame(schema=PROMISES)
    taken = rows.with_columns(
        pl.col("taken_on").cast(pl.Date, strict=False).fill_null(_created_day(rows)).alias("taken_on"),
        pl.col("evaluated_on").cast(pl.Date, strict=False),
        pl.col("status").cast(pl.String),
        pl.col("borrower_id").cast(pl.String),
    )
    keep = pl.col("taken_on") <= until
    if since is not None:
        keep = keep & (pl.col("taken_on") > since)
    return taken.filter(keep).select(list(PROMISES))


def next_installment_fen(installments: pl.DataFrame, loans: pl.DataFrame, day: date) -> pl.DataFrame:
    """Per loan of ``loans`` (``loan_id``): the scheduled amount of its first installment due on or after
    ``day`` (``next_installment_fen``, null when none is left) — the strategy's ``next_due_on`` rule."""
    upcoming = (
        installments.lazy()
        .join(loans.lazy().select("loan_id"), on="loan_id", how="semi")
        .filter(pl.col("due_date") >= day)
        .group_by("loan_id")
        .agg(pl.col("amount_fen").sort_by("due_date").first().alias("next_installment_fen"))
        .collect()
    )
    return upcoming


def ratio(numerator: pl.Expr, denominator: pl.Expr) -> pl.Expr:
    """``numerator / denominator`` as a float, null when the denominator is null or not positive."""
    return pl.when(denominator > 0).then(numerator.cast(pl.Float64) / denominator.cast(pl.Float64))
