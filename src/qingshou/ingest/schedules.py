"""Schedules for loans the extract gives without installments, built by the domain's ``build_schedule``.

There is one schedule algorithm (``qingshou.domain.schedule``); this module only feeds it the loans'
terms and turns its installments into an installments frame in fen. It is the one per-loan Python loop
of the load: ``build_schedule`` works on ``Decimal`` and is the reference the engine must match.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import polars as pl

from qingshou.domain.errors import DomainError
from qingshou.domain.loan import LoanTerms, RepaymentMethod
from qingshou.domain.money import fen, from_fen
from qingshou.domain.schedule import build_schedule
from qingshou.ingest.checks import Reason

TERMS_COLUMNS = (
    "loan_id",
    "product_id",
    "borrower_id",
    "principal_fen",
    "annual_rate",
    "disbursed_on",
    "term_months",
    "repayment_method",
    "first_due_date",
    "accelerated_on",
)
INSTALLMENT_SCHEMA: Mapping[str, pl.DataType | type[pl.DataType]] = {
    "loan_id": pl.String,
    "seq": pl.Int64,
    "due_date": pl.Date,
    "principal_due_fen": pl.Int64,
    "interest_due_fen": pl.Int64,
    "fee_due_fen": pl.Int64,
}
FAILURE_SCHEMA: Mapping[str, pl.DataType | type[pl.DataType]] = {
    "loan_id": pl.String,
    "field": pl.String,
    "reason": pl.String,
    "detail": pl.String,
}
Progress = Callable[[int], None]
_REPORT_EVERY = 10_000


def terms_of(row: Mapping[str, Any]) -> LoanTerms:
    """The domain terms of one loan row (principal in fen, rate as decimal text)."""
    first_due: date | None = row["first_due_date"]
    return LoanTerms(
        loan_id=str(row["loan_id"]),
        product_id=str(row["product_id"]),
        principal=from_fen(int(row["principal_fen"])),
        annual_rate=Decimal(str(row["annual_rate"])),
        disbursed_on=row["disbursed_on"],
        term_months=int(row["term_months"]),
        method=RepaymentMethod(row["repayment_method"]),
        first_due_date=first_due,
        accelerated_on=row["accelerated_on"],
        borrower_id=str(row["borrower_id"]),
    )


def generate_schedules(
    loans: pl.DataFrame, progress: Progress | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Installments (fen) of every loan in ``loans`` and the loans whose terms cannot make a schedule."""
    columns: dict[str, list[Any]] = {name: [] for name in INSTALLMENT_SCHEMA}
    failures: dict[str, list[Any]] = {name: [] for name in FAILURE_SCHEMA}
    for done, row in enumerate(loans.select(TERMS_COLUMNS).iter_rows(named=True), start=1):
        try:
            _append(columns, row["loan_id"], build_schedule(terms_of(row)))
        except DomainError as error:
            failures["loan_id"].append(row["loan_id"])
            failures["field"].append(error.field or "loan_id")
            failures["reason"].append(Reason.SCHEDULE_NOT_BUILT.value)
            failures["detail"].append(error.message)
        if progress is not None and done % _REPORT_EVERY == 0:
            progress(done)
    if progress is not None:
        progress(loans.height)
    return pl.DataFrame(columns, schema=INSTALLMENT_SCHEMA), pl.DataFrame(failures, schema=FAILURE_SCHEMA)


def _append(columns: dict[str, list[Any]], loan_id: str, schedule: Iterable[Any]) -> None:
    for item in schedule:
        columns["loan_id"].append(loan_id)
        columns["seq"].append(item.seq)
        columns["due_date"].append(item.due_date)
        columns["principal_due_fen"].append(fen(item.principal_due))
        columns["interest_due_fen"].append(fen(item.interest_due))
        columns["fee_due_fen"].append(fen(item.fee_due))
