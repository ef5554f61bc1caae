"""Posting payments and quoting loans from the store (C5 idempotency, backdating; C9 fen) — SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from click.testing import CliRunner
from loan_support import three_month_loan

from qingshou.apps.loans import models
from qingshou.apps.loans.errors import FutureDate, NotFound, PaymentConflict
from qingshou.apps.loans.selectors import quote
from qingshou.apps.loans.services.payments import post_payment
from qingshou.cli import build
from qingshou.domain.errors import LedgerError

pytestmark = [pytest.mark.db, pytest.mark.django_db]
D = Decimal


@pytest.fixture(autouse=True)
def today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QINGSHOU_TODAY", "2025-06-30")


@pytest.fixture
def loan() -> models.Loan:
    """12,000.00 at 12 % over 3 months, 等额本金 (``loan_support.three_month_loan``)."""
    return three_month_loan()


def stored_allocations(loan_id: str) -> list[tuple[str, int | None, str, int]]:
    rows = models.Allocation.objects.filter(loan_id=loan_id).order_by("value_date", "id")
    return [(r.payment_id, r.seq, r.component, r.amount_fen) for r in rows]


def test_c5_post_allocates_and_stores_in_fen(loan: models.Loan) -> None:
    """C5/C9: 4,120.00 on the due date pays interest 120.00 then principal 4,000.00 of installment 1."""
    posted = post_payment("L1", "BANK-1", D("4120.00"), date(2025, 2, 1))
    assert posted.created
    assert [(a.seq, a.component.value, a.amount) for a in posted.allocations] == [
        (1, "interest", D("120.00")),
        (1, "principal", D("4000.00")),
    ]
    assert stored_allocations("L1") == [
        ("BANK-1", 1, "interest", 12_000),
        ("BANK-1", 1, "principal", 400_000),
    ]
    assert models.Payment.objects.get(payment_id="BANK-1").amount_fen == 412_000


def test_c5_same_external_id_twice_is_a_no_op(loan: models.Loan) -> None:
    """C5: posting the same id again changes nothing and says so."""
    post_payment("L1", "BANK-1", D("4120.00"), date(2025, 2, 1))
    before = stored_allocations("L1")
    again = post_payment("L1", "BANK-1", D("4120.00"), date(2025, 2, 1))
    assert not again.created
    assert stored_allocations("L1") == before
    assert models.Payment.objects.count() == 1


def test_c5_same_id_with_other_data_is_refused(loan: models.Loan) -> None:
    """C5: an external id is immutable — the same id with another amount is a conflict, nothing stored."""
    post_payment("L1", "BANK-1", D("4120.00"), date(2025, 2, 1))
    with pytest.raises(PaymentConflict):
        post_payment("L1", "BANK-1", D("10.00"), date(2025, 2, 1))
    assert models.Payment.objects.get().amount_fen == 412_000


def test_c5_backdated_payment_reallocates_the_loan(loan: models.Loan) -> None:
    """C5: a payment valued 1 Feb posted after one valued 11 Mar replays the loan from 1 Feb.

    Alone, the 11 Mar payment of 100.00 pays installment 1's penalty first (38 days late on 4,000 →
    4000 × 0.0005 × 38 = 76.00). Once the 1 Feb payment is posted, installment 1 was paid on time and the
    11 Mar payment pays installment 2's penalty (10 days: 20.00), compound (0.40) and interest (79.60).
    """
    post_payment("L1", "LATE", D("100.00"), date(2025, 3, 11))
    assert stored_allocations("L1")[0] == ("LATE", 1, "penalty", 7_600)
    post_payment("L1", "EARLY", D("4120.00"), date(2025, 2, 1))
    late = [(seq, comp, fen) for pid, seq, comp, fen in stored_allocations("L1") if pid == "LATE"]
    assert late == [(2, "penalty", 2_000), (2, "compound", 40), (2, "interest", 7_960)]


def test_refusals_name_the_problem(loan: models.Loan) -> None:
    """Unknown loan, a future value date and a date before disbursement are refused; nothing is stored."""
    with pytest.raises(NotFound):
        post_payment("NOPE", "X1", D("1.00"), date(2025, 2, 1))
    with pytest.raises(FutureDate):
        post_payment("L1", "X2", D("1.00"), date(2025, 7, 1))
    with pytest.raises(LedgerError):
        post_payment("L1", "X3", D("1.00"), date(2024, 12, 31))
    assert models.Payment.objects.count() == 0


def test_quote_reads_the_store(loan: models.Loan) -> None:
    """The store's facts quoted by the domain: 10 days late on installment 2 (see tests/unit/test_quote.py)."""
    post_payment("L1", "BANK-1", D("4120.00"), date(2025, 2, 1))
    result = quote("L1", date(2025, 3, 11))
    assert (result.dpd, result.bucket, result.total_overdue, result.payoff_amount) == (
        10,
        "M1",
        D("4100.40"),
        D("8113.30"),
    )


def test_cli_quote_json_and_post_payment(loan: models.Loan) -> None:
    """The CLI: quote --json has every contract key with money as strings; post-payment twice says so."""
    runner = CliRunner()
    post = [
        "post-payment",
        "--loan",
        "L1",
        "--amount",
        "4120.00",
        "--paid-on",
        "2025-02-01",
        "--id",
        "B1",
        "--json",
    ]
    first, second = runner.invoke(build(), post), runner.invoke(build(), post)
    assert (first.exit_code, second.exit_code) == (0, 0), first.output + second.output
    assert json.loads(first.output)["status"] == "posted"
    assert json.loads(second.output)["status"] == "already_posted"
    result = runner.invoke(build(), ["quote", "L1", "--as-of", "2025-03-11", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) >= {
        "loan_id", "as_of", "dpd", "delinquent", "bucket", "classification", "stage", "overdue_principal",
        "overdue_interest", "penalty_interest", "compound_interest", "fees", "costs", "total_overdue",
        "outstanding_principal", "payoff_amount", "unapplied_credit", "limitation_expires_on", "installments",
    }  # fmt: skip
    assert (data["classification"], data["penalty_interest"], data["total_overdue"]) == (
        "special_mention",
        "20.00",
        "4100.40",
    )
    assert set(data["installments"][0]) == {
        "seq", "due_date", "principal_due", "interest_due", "principal_paid", "interest_paid", "penalty_accrued",
        "penalty_paid", "compound_accrued", "compound_paid", "status",
    }  # fmt: skip
    human = runner.invoke(build(), ["quote", "L1", "--as-of", "2025-03-11"])
    assert "关注" in human.output
    assert "¥4,100.40" in human.output
    missing = runner.invoke(build(), ["quote", "NOPE", "--as-of", "2025-03-11"])
    assert missing.exit_code == 4
