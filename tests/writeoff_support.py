"""Fixtures of the guarantees and write-off tests (issue 6): the workbench book (``workbench_book``) with the
loans' contractual schedules, so the ledger can quote them: 100,000.00 at 12 % over 12 months from
2025-01-01, due on the 1st from 2025-02-01 to 2026-01-01, nothing paid — by ``DAY`` (2026-03-10) 402 days
past due, class 损失 (C6, retail over 360)."""

from __future__ import annotations

from qingshou.apps.loans import models as loans
from qingshou.domain.schedule import build_schedule
from workbench_book import Book, assign_to, make_book
from workbench_support import create_user


def with_schedules() -> None:
    """Give every stored loan its contractual schedule."""
    for loan in loans.Loan.objects.all():
        for item in build_schedule(loan.to_terms()):
            loans.Installment.objects.create(
                loan=loan,
                seq=item.seq,
                due_date=item.due_date,
                principal_due_fen=int(item.principal_due * 100),
                interest_due_fen=int(item.interest_due * 100),
            )


def recovery_book() -> Book:
    """B1 worked by c1 (team 一组 of sup1), B3 by c3 (二组 of sup2); a legal officer ``legal``, a risk manager
    ``risk``; loans with schedules."""
    book = make_book()
    assign_to(book.cases["B1"], book.users["c1"], book.teams["一组"])
    assign_to(book.cases["B3"], book.users["c3"], book.teams["二组"])
    book.users["legal"] = create_user("legal_officer", username="legal")
    book.users["risk"] = create_user("risk_manager", username="risk")
    with_schedules()
    return book
