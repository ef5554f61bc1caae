"""The legal tests' book (issue 6): the workbench book (``workbench_book.make_book``) with the loans' schedules,
a legal officer, and borrower B9 whose 12-month loan L9 (from 2025-10-01) is partly not yet due on ``DAY`` —
so calling it early (宣布提前到期) changes its quote. B1 and B9 are c1's (team 一组 of sup1), B3 is c3's (二组)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from qingshou.apps.cases.models import Case
from qingshou.apps.loans import models as loans
from qingshou.domain.schedule import build_schedule
from workbench_book import DAY, Book, assign_to, make_book
from workbench_support import create_user

__all__ = ["DAY", "Book", "legal_book"]


def _schedule(loan: loans.Loan) -> None:
    for item in build_schedule(loan.to_terms()):
        loans.Installment.objects.create(
            loan=loan,
            seq=item.seq,
            due_date=item.due_date,
            principal_due_fen=int(item.principal_due * 100),
            interest_due_fen=int(item.interest_due * 100),
        )


def legal_book() -> Book:
    """The book of the module docstring."""
    book = make_book()
    assign_to(book.cases["B1"], book.users["c1"], book.teams["一组"])
    assign_to(book.cases["B3"], book.users["c3"], book.teams["二组"])
    book.users["legal"] = create_user("legal_officer", username="legal")
    loans.Borrower.objects.create(borrower_id="B9", name="李九", phone="13900000009", region="北京")
    loans.Loan.objects.create(
        loan_id="L9",
        borrower_id="B9",
        product_id="P1",
        principal_fen=12_000_000,
        annual_rate=Decimal("0.12"),
        disbursed_on=date(2025, 10, 1),
        term_months=12,
        repayment_method="equal_principal",
    )
    book.cases["B9"] = Case.objects.create(
        borrower_id="B9", opened_on=date(2026, 1, 5), updated_on=DAY, lead_loan_id="L9", segment="late"
    )
    assign_to(book.cases["B9"], book.users["c1"], book.teams["一组"])
    for loan in loans.Loan.objects.all():
        _schedule(loan)
    return book
