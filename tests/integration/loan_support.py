"""One small loan stored through the ORM, for the tests of posting payments and of arrangements."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from qingshou.apps.loans import models
from qingshou.domain.schedule import build_schedule


def three_month_loan() -> models.Loan:
    """12,000.00 at 12 % over 3 months, 等额本金: 4,120 / 4,080 / 4,040 due 1 Feb, 1 Mar, 1 Apr 2025."""
    product = models.Product.objects.create(product_id="P", name="消费贷")
    borrower = models.Borrower.objects.create(borrower_id="B", name="张三")
    row = models.Loan.objects.create(
        loan_id="L1",
        borrower=borrower,
        product=product,
        principal_fen=1_200_000,
        annual_rate=Decimal("0.12"),
        disbursed_on=date(2025, 1, 1),
        term_months=3,
        repayment_method="equal_principal",
    )
    models.Installment.objects.bulk_create(
        models.Installment(
            loan=row,
            seq=item.seq,
            due_date=item.due_date,
            principal_due_fen=int(item.principal_due * 100),
            interest_due_fen=int(item.interest_due * 100),
        )
        for item in build_schedule(row.to_terms())
    )
    return row
