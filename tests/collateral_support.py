"""Fixtures of the collateral tests: the workbench book (four borrowers, one 100,000.00 loan each at 12 % over
12 months from 2025-01-01, all matured and unpaid by ``DAY``) with schedules, B1 worked by c1 (一组 of sup1),
B3 by c3 (二组 of sup2), and a legal officer, a risk manager and the auditor."""

from __future__ import annotations

from datetime import date

import polars as pl

from qingshou.apps.loans import models as loans
from qingshou.domain.schedule import build_schedule
from workbench_book import DAY, Book, assign_to, make_book
from workbench_support import create_user

__all__ = ["DAY", "collateral_book", "snapshot_of"]


def with_schedules() -> None:
    """The contractual schedule of every loan of the book (so the ledger can quote it)."""
    for loan in loans.Loan.objects.all():
        loans.Installment.objects.bulk_create(
            loans.Installment(
                loan=loan,
                seq=item.seq,
                due_date=item.due_date,
                principal_due_fen=int(item.principal_due * 100),
                interest_due_fen=int(item.interest_due * 100),
            )
            for item in build_schedule(loan.to_terms())
        )


def collateral_book() -> Book:
    """The book described in the module docstring."""
    book = make_book()
    assign_to(book.cases["B1"], book.users["c1"], book.teams["一组"])
    assign_to(book.cases["B3"], book.users["c3"], book.teams["二组"])
    book.users["legal"] = create_user("legal_officer", username="legal")
    book.users["risk"] = create_user("risk_manager", username="risk")
    with_schedules()
    return book


def snapshot_of(as_of: date, rows: list[tuple[str, str, int]]) -> pl.DataFrame:
    """The snapshot columns the collateral step reads: (loan id, borrower id, payoff in fen)."""
    return pl.DataFrame(
        {
            "as_of": [as_of] * len(rows),
            "loan_id": [loan_id for loan_id, _borrower, _payoff in rows],
            "borrower_id": [borrower for _loan, borrower, _payoff in rows],
            "payoff_amount_fen": [payoff for _loan, _borrower, payoff in rows],
            "borrower_worst_dpd": [30] * len(rows),
            "borrower_total_overdue_fen": [payoff for _loan, _borrower, payoff in rows],
        },
        schema={
            "as_of": pl.Date(),
            "loan_id": pl.String(),
            "borrower_id": pl.String(),
            "payoff_amount_fen": pl.Int64(),
            "borrower_worst_dpd": pl.Int32(),
            "borrower_total_overdue_fen": pl.Int64(),
        },
    )
