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

from qingshou.store import Dialect, Store

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


def read_borrowers(store: Store) -> pl.DataFrame:
    """Every borrower's ``borrower_id``, ``credit_score``, ``monthly_income_fen``, ``region`` (null when
    unknown) and ``contactable``: a phone on file and no debtor contact party marked invalid or under
    do-not-contact. The one definition the strategy's facts (``apps.cases.services.inputs``) and the models'
    features share."""
    return store.read(
        "SELECT b.borrower_id, b.credit_score, b.monthly_income_fen, b.region, b.phone,"
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
            "region": pl.String(),
            "phone": pl.String(),
            "unreachable": pl.Int32(),
        },
    ).select(
        "borrower_id",
        "credit_score",
        "monthly_income_fen",
        "region",
        ((pl.col("phone").fill_null("") != "") & (pl.col("unreachable").fill_null(0) == 0)).alias(
            "contactable"
        ),
    )


def read_history(
    store: Store,
    *,
    since: date | None,
    until: date,
    loans: pl.DataFrame | None = None,
    installments: pl.DataFrame | None = None,
    contacts_since: date | None = None,
    cash: pl.DataFrame | None = None,
    evaluated: pl.DataFrame | None = None,
) -> StoreHistory:
    """The facts dated in ``(since, until]`` (module docstring). ``loans`` (``loan_id``, ``disbursed_on``) and
    ``installments`` (``loan_id``, ``due_date`` and the scheduled ``amount_fen``, or the book's
    ``*_due_fen`` columns) may be given when the caller holds them already (EOD: the book); else they are read.
    ``contacts_since`` narrows the contact attempts read (a later day than ``since``: EOD needs 30 days only).
    ``cash`` (``borrower_id``, ``paid_on``, ``amount_fen``: every cash payment, e.g. EOD's book) replaces the
    two payment queries — a scan of the whole payments table each — by the same sums in Polars.
    ``evaluated`` (``promise_id``, ``status``): the promise evaluation of the day ``until`` that EOD writes only
    at the end of its run (``with_evaluation``), so a promise kept or broken today counts today.
    Payments and contacts are summed per borrower and day in the query (fewer rows)."""
    if cash is not None:
        payments, earlier = cash_history(cash, since=since, until=until)
    else:
        payments = store.read(
            "SELECT l.borrower_id, p.paid_on, COUNT(*) AS payments,"
            " CAST(SUM(p.amount_fen) AS BIGINT) AS amount_fen"
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
    created = "DATE(p.created_at)" if store.dialect is Dialect.SQLITE else "CAST(p.created_at AS DATE)"
    taken = f"COALESCE(p.taken_on, {created})"
    promise_rows = store.read(
        f"SELECT p.id AS promise_id, c.borrower_id, {taken} AS taken_on, p.status, p.evaluated_on"
        f" FROM qs_promise p JOIN qs_case c ON c.id = p.case_id WHERE {_window(taken, since, until)}",
        {"promise_id": pl.Int64(), **PROMISES},
    )
    if evaluated is not None:
        promise_rows = with_evaluation(promise_rows, evaluated, until)
    promises = _promises(promise_rows, since, until)
    borrowers = read_borrowers(store).drop("region")
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


def cash_history(cash: pl.DataFrame, *, since: date | None, until: date) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``PAYMENTS`` (count and sum per borrower and day in ``(since, until]``) and ``EARLIER_PAYMENTS`` (the
    last day on or before ``since``) of the cash payments ``cash`` — what ``read_history``'s two payment
    queries return, from a frame."""
    paid_on = pl.col("paid_on")
    in_window = paid_on <= until if since is None else (paid_on > since) & (paid_on <= until)
    payments = (
        cash.lazy()
        .filter(in_window)
        .group_by("borrower_id", "paid_on")
        .agg(pl.len().alias("payments"), pl.col("amount_fen").sum())
        .select([pl.col(n).cast(t) for n, t in PAYMENTS.items()])
        .collect()
    )
    if since is None:
        return payments, pl.DataFrame(schema=EARLIER_PAYMENTS)
    earlier = (
        cash.lazy()
        .filter(paid_on <= since)
        .group_by("borrower_id")
        .agg(paid_on.max().alias("last_paid_on"))
        .select([pl.col(n).cast(t) for n, t in EARLIER_PAYMENTS.items()])
        .collect()
    )
    return payments, earlier


def with_evaluation(rows: pl.DataFrame, evaluated: pl.DataFrame, day: date) -> pl.DataFrame:
    """Promise ``rows`` (``promise_id``, ``status``, ``evaluated_on`` …) with the statuses of ``evaluated``
    (``promise_id``, ``status``: the evaluation of ``day``): a status that changed becomes the new one,
    evaluated on ``day`` — what EOD's "write promises" stores at the end of the run."""
    now = evaluated.select(
        pl.col("promise_id").cast(pl.Int64), pl.col("status").cast(pl.String).alias("_now")
    )
    changed = pl.col("_now").is_not_null() & (pl.col("_now") != pl.col("status"))
    return (
        rows.join(now, on="promise_id", how="left")
        .with_columns(
            pl.when(changed).then(pl.col("_now")).otherwise(pl.col("status")).alias("status"),
            pl.when(changed)
            .then(pl.lit(day, pl.Date))
            .otherwise(pl.col("evaluated_on"))
            .alias("evaluated_on"),
        )
        .drop("_now")
    )


def _promises(rows: pl.DataFrame, since: date | None, until: date) -> pl.DataFrame:
    """Promises taken in ``(since, until]`` (``taken_on``: the day taken, else the day recorded — the query
    reads them so; typed by ``Store.read``, which parses SQLite's text dates)."""
    keep = pl.col("taken_on") <= until
    if since is not None:
        keep = keep & (pl.col("taken_on") > since)
    return rows.filter(keep).select([pl.col(n).cast(t) for n, t in PROMISES.items()])


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
