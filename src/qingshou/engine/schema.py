"""The column contracts of the engine: what a ``Book`` holds, what the replay hands to the derivation, and
what a snapshot row is. Money is integer fen (``*_fen`` or plain amount columns of the ledger frames), rates
are integers scaled by 10⁸ (``*_e8``: the store keeps them as DECIMAL(12, 8), so the scaling is exact),
dates are ``pl.Date``. Every frame that crosses a module boundary is cast to one of these schemas.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import polars as pl

Schema = dict[str, pl.DataType]

#: Rates and the penalty markup are stored with 8 decimal places; the engine keeps them as integers × 10⁸.
RATE_SCALE: Final = 10**8

PRODUCTS: Final[Schema] = {
    "product_id": pl.String(),
    "kind": pl.String(),
    "day_count": pl.Int16(),
    "penalty_markup_e8": pl.Int64(),
    "compound": pl.Boolean(),
    "grace_days": pl.Int16(),
    "holiday_rule": pl.String(),
    "dpd_origin": pl.String(),
    "rounding": pl.String(),
    "waterfall": pl.String(),
    "allocation_direction": pl.String(),
    "prepayment": pl.Boolean(),
    "cap_charges_at_principal": pl.Boolean(),
}

LOANS: Final[Schema] = {
    "loan_id": pl.String(),
    "borrower_id": pl.String(),
    "product_id": pl.String(),
    "principal_fen": pl.Int64(),
    "annual_rate_e8": pl.Int64(),
    "disbursed_on": pl.Date(),
    "term_months": pl.Int32(),
    "repayment_method": pl.String(),
    "first_due_date": pl.Date(),
    "accelerated_on": pl.Date(),
    "branch": pl.String(),
    "channel": pl.String(),
}

INSTALLMENTS: Final[Schema] = {
    "loan_id": pl.String(),
    "seq": pl.Int32(),
    "due_date": pl.Date(),
    "principal_due_fen": pl.Int64(),
    "interest_due_fen": pl.Int64(),
    "fee_due_fen": pl.Int64(),
}

PAYMENTS: Final[Schema] = {
    "loan_id": pl.String(),
    "payment_id": pl.String(),
    "paid_on": pl.Date(),
    "amount_fen": pl.Int64(),
}

#: Arrangement columns of a loan (issue 5 plans, C6): a plan's successor loan is restructured on
#: ``restructured_on`` (its disbursement day) and ``class_at_restructuring`` is its predecessor's class at the
#: end of that day (``LoanClass`` value 1–5); both null for every other loan.
LOAN_ARRANGEMENTS: Final[Schema] = {
    "restructured_on": pl.Date(),
    "class_at_restructuring": pl.Int8(),
}

#: Arrangement columns of a payment: ``kind`` (``PaymentKind``: cash, restructure, discount, waiver) and,
#: for a waiver, the components it forgives (``waives``: comma-separated ``Component`` values, else "").
PAYMENT_ARRANGEMENTS: Final[Schema] = {
    "kind": pl.String(),
    "waives": pl.String(),
}

#: What a ``Book`` holds for loans and payments: the base columns plus the arrangement columns, which a
#: frame may leave out (``with_defaults``: no restructuring; cash).
BOOK_LOANS: Final[Schema] = {**LOANS, **LOAN_ARRANGEMENTS}
BOOK_PAYMENTS: Final[Schema] = {**PAYMENTS, **PAYMENT_ARRANGEMENTS}
OPTIONAL_DEFAULTS: Final[dict[str, object]] = {
    "restructured_on": None,
    "class_at_restructuring": None,
    "kind": "cash",
    "waives": "",
}

#: Stored acts that interrupted a loan's limitation period (C7: a delivered demand, a promise, a plan, a
#: suit …; ``qs_limitation_interruption``) — payments interrupt it by themselves and are not listed here.
INTERRUPTIONS: Final[Schema] = {
    "loan_id": pl.String(),
    "on": pl.Date(),
    "kind": pl.String(),
}

#: ``kind`` is the waterfall component the charge is paid as: ``costs`` or ``fees`` (``ChargeKind`` values).
CHARGES: Final[Schema] = {
    "loan_id": pl.String(),
    "charge_id": pl.String(),
    "kind": pl.String(),
    "posted_on": pl.Date(),
    "amount_fen": pl.Int64(),
}

# --- the replay's result: the ledger of every loan at the end of as_of (mirrors domain.ledger.Ledger) ---

#: One row per installment, after acceleration (``due_date`` and the ``*_due`` amounts are the accelerated
#: ones, as in ``InstallmentState``). All amounts in fen.
LEDGER_LINES: Final[Schema] = {
    "loan_id": pl.String(),
    "seq": pl.Int32(),
    "due_date": pl.Date(),
    "principal_due": pl.Int64(),
    "interest_due": pl.Int64(),
    "fee_due": pl.Int64(),
    "principal_paid": pl.Int64(),
    "interest_paid": pl.Int64(),
    "fee_paid": pl.Int64(),
    "penalty_accrued": pl.Int64(),
    "penalty_paid": pl.Int64(),
    "compound_accrued": pl.Int64(),
    "compound_paid": pl.Int64(),
    "settled_on": pl.Date(),
    "accelerated": pl.Boolean(),
}

#: One row per charge posted on or before as_of (mirrors ``ChargeState``).
LEDGER_CHARGES: Final[Schema] = {
    "loan_id": pl.String(),
    "charge_id": pl.String(),
    "kind": pl.String(),
    "posted_on": pl.Date(),
    "amount": pl.Int64(),
    "paid": pl.Int64(),
}

#: One row per loan the replay could compute.
LEDGER_LOANS: Final[Schema] = {
    "loan_id": pl.String(),
    "unapplied_credit": pl.Int64(),
}

#: A loan whose data breaks an invariant: it gets no snapshot row; the run goes on (issue 3).
ERRORS: Final[Schema] = {
    "loan_id": pl.String(),
    "code": pl.String(),
    "message": pl.String(),
}

# --- the snapshot: every field of ``qingshou quote --json`` but the installment list, in fen ---

#: The quote's own fields (``domain.quote.Quote``); ``limitation_*`` from its ``LimitationExpiry``.
QUOTE_FIELDS: Final[Schema] = {
    "as_of": pl.Date(),
    "loan_id": pl.String(),
    "borrower_id": pl.String(),
    "product_id": pl.String(),
    "dpd": pl.Int32(),
    "delinquent": pl.Boolean(),
    "bucket": pl.String(),
    "classification": pl.String(),
    "stage": pl.Int8(),
    "overdue_principal_fen": pl.Int64(),
    "overdue_interest_fen": pl.Int64(),
    "penalty_interest_fen": pl.Int64(),
    "compound_interest_fen": pl.Int64(),
    "fees_fen": pl.Int64(),
    "costs_fen": pl.Int64(),
    "total_overdue_fen": pl.Int64(),
    "outstanding_principal_fen": pl.Int64(),
    "payoff_amount_fen": pl.Int64(),
    "unapplied_credit_fen": pl.Int64(),
    "limitation_start": pl.Date(),
    "limitation_expires_on": pl.Date(),
    "limitation_unadjusted_on": pl.Date(),
    "limitation_calendar_confirmed": pl.Boolean(),
}

#: History a later day needs (classification NPL hold, C6), carried from one snapshot to the next:
#: ``npl_state_on`` is the day the state is valid for (the snapshot's as_of), null when the producer did not
#: compute it (the reference engine) — then the next day derives it from the loan's timeline instead.
CARRIED_STATE: Final[Schema] = {
    "npl_held_class": pl.String(),
    "npl_cured_on": pl.Date(),
    "npl_state_on": pl.Date(),
}

#: Borrower-level aggregates over the borrower's loans in the snapshot.
BORROWER_FIELDS: Final[Schema] = {
    "borrower_worst_dpd": pl.Int32(),
    "borrower_total_overdue_fen": pl.Int64(),
    "borrower_overdue_loans": pl.Int32(),
}

#: Changes since the previous day's snapshot (all false / null on a loan's first snapshot).
CHANGE_FIELDS: Final[Schema] = {
    "previous_dpd": pl.Int32(),
    "previous_bucket": pl.String(),
    "previous_classification": pl.String(),
    "newly_delinquent": pl.Boolean(),
    "cured": pl.Boolean(),
    "rolled_worse": pl.Boolean(),
    "class_changed": pl.Boolean(),
}

SNAPSHOT: Final[Schema] = {**QUOTE_FIELDS, **CARRIED_STATE, **BORROWER_FIELDS, **CHANGE_FIELDS}


def conform(frame: pl.DataFrame, schema: Schema) -> pl.DataFrame:
    """``frame`` with exactly the columns of ``schema``, in its order and types (missing column: error)."""
    missing = [name for name in schema if name not in frame.columns]
    if missing:
        raise KeyError(f"frame lacks column(s) {', '.join(missing)}")
    return frame.select([pl.col(name).cast(dtype) for name, dtype in schema.items()])


def with_defaults(frame: pl.DataFrame, schema: Schema) -> pl.DataFrame:
    """``frame`` plus the optional columns of ``schema`` it lacks, at their defaults (``OPTIONAL_DEFAULTS``)."""
    missing = [name for name in schema if name in OPTIONAL_DEFAULTS and name not in frame.columns]
    return frame.with_columns(pl.lit(OPTIONAL_DEFAULTS[name], schema[name]).alias(name) for name in missing)


def empty(schema: Schema) -> pl.DataFrame:
    """An empty frame with ``schema``."""
    return pl.DataFrame(schema=schema)


@dataclass(frozen=True, slots=True)
class LedgerFrames:
    """The replay's result for a book: ``lines`` (LEDGER_LINES), ``charges`` (LEDGER_CHARGES), ``loans``
    (LEDGER_LOANS, one row per computed loan) and ``errors`` (ERRORS: loans that could not be replayed and
    appear in none of the other frames)."""

    lines: pl.DataFrame
    charges: pl.DataFrame
    loans: pl.DataFrame
    errors: pl.DataFrame
