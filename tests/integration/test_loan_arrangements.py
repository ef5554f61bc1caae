"""Arrangements posted to the store (issue 5 plans; C5 allocations, C6 restructuring, C7 interruption):
``apps.loans.services.arrangements`` on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from load_support import ExtractDir
from loan_support import three_month_loan

from qingshou.apps.loans import models
from qingshou.apps.loans.errors import LoanNotFound
from qingshou.apps.loans.selectors import quote
from qingshou.apps.loans.services import arrangements
from qingshou.apps.loans.services.payments import post_payment
from qingshou.domain.arrangements import ArrangementError, PlanKind, PlanTerms
from qingshou.domain.loan import RepaymentMethod
from qingshou.domain.policy import Component, LoanClass

pytestmark = [pytest.mark.db, pytest.mark.django_db]
D = Decimal
R = date(2025, 5, 10)


@pytest.fixture(autouse=True)
def today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QINGSHOU_TODAY", "2025-06-30")


@pytest.fixture
def loan() -> models.Loan:
    """12,000.00 at 12 % over 3 months, 等额本金 (``loan_support.three_month_loan``)."""
    return three_month_loan()


def plan(**extra: object) -> PlanTerms:
    values: dict[str, object] = {
        "kind": PlanKind.INSTALMENTS,
        "effective_on": R,
        "months": 24,
        "annual_rate": D("0.06"),
        "method": RepaymentMethod.EQUAL_INSTALLMENT,
        "waive": frozenset({Component.PENALTY, Component.COMPOUND}),
    }
    values.update(extra)
    return PlanTerms(**values)  # type: ignore[arg-type]


def test_issue5_plans_restructure_closes_the_original_and_stores_the_successor(loan: models.Loan) -> None:
    """The original is called early on R and closed by a restructure payment of its payoff; the successor
    carries payoff − waived, its schedule, R and the original's class on R (C6); the plan interrupts the
    original's limitation on R (C7). The same reference again returns the same successor, writing nothing."""
    before = quote("L1", R)
    preview = arrangements.preview_plan("L1", plan())
    assert preview.original_payoff == before.payoff_amount
    assert preview.capitalised == before.payoff_amount - before.penalty_interest - before.compound_interest
    successor_id = arrangements.restructure("L1", plan(), reference="arrangement:1")
    assert successor_id == "L1-R1"
    original = models.Loan.objects.get(loan_id="L1")
    assert (original.accelerated_on, original.acceleration_reason) == (R, "restructuring")
    closing = models.Payment.objects.get(loan_id="L1", kind="restructure")
    assert (closing.paid_on, closing.amount_fen) == (R, int(before.payoff_amount * 100))
    after = quote("L1", date(2025, 6, 30))
    assert (after.payoff_amount, after.dpd, after.total_overdue) == (0, 0, 0)
    successor = models.Loan.objects.get(loan_id=successor_id)
    assert successor.principal_fen == int(preview.capitalised * 100)
    assert (successor.restructured_from_id, successor.restructured_on) == ("L1", R)
    assert successor.class_at_restructuring == int(before.classification) == int(LoanClass.SUBSTANDARD)
    assert successor.installments.count() == 24
    assert quote(successor_id, R).classification is LoanClass.SUBSTANDARD  # an NPL original's class holds
    interruption = models.LimitationInterruption.objects.get(source="arrangement:1")
    assert (interruption.loan_id, interruption.on, interruption.kind) == ("L1", R, "repayment_plan")
    counts = (models.Loan.objects.count(), models.Payment.objects.count(), models.Allocation.objects.count())
    assert arrangements.restructure("L1", plan(), reference="arrangement:1") == successor_id
    assert counts == (
        models.Loan.objects.count(),
        models.Payment.objects.count(),
        models.Allocation.objects.count(),
    )
    with pytest.raises(ArrangementError) as error:
        arrangements.restructure("L1", plan(months=12), reference="arrangement:1")
    assert error.value.field == "reference"
    with pytest.raises(ArrangementError, match="already restructured"):
        arrangements.restructure("L1", plan(), reference="arrangement:2")


def test_issue5_plans_are_refused_without_writing(loan: models.Loan) -> None:
    with pytest.raises(ArrangementError) as error:
        arrangements.restructure("L1", plan(annual_rate=D("0.13")), reference="arrangement:1")
    assert error.value.field == "annual_rate"
    assert models.Loan.objects.count() == 1
    assert models.Payment.objects.count() == 0
    assert models.Loan.objects.get(loan_id="L1").accelerated_on is None
    with pytest.raises(LoanNotFound):
        arrangements.preview_plan("NOPE", plan())


def test_issue5_settle_posts_the_discount_after_the_days_cash(loan: models.Loan) -> None:
    """Cash of 10,000.00 on S, then the discount of what remains of the payoff closes the loan."""
    post_payment("L1", "BANK-1", D("10000.00"), R)
    assert arrangements.cash_paid("L1", date(2025, 5, 1), R) == D("10000.00")
    discount = arrangements.settle("L1", R, reference="arrangement:7")
    assert discount > 0
    stored = models.Payment.objects.get(kind="discount")
    assert (stored.paid_on, stored.amount_fen, stored.payment_id) == (
        R,
        int(discount * 100),
        "arrangement:7:discount",
    )
    assert models.Loan.objects.get(loan_id="L1").acceleration_reason == "settlement"
    assert quote("L1", date(2025, 6, 30)).payoff_amount == 0
    assert arrangements.settle("L1", R, reference="arrangement:7") == discount
    with pytest.raises(ArrangementError):
        arrangements.settle("L1", date(2025, 5, 11), reference="arrangement:7")
    assert arrangements.cash_paid("L1", date(2025, 1, 1), date(2025, 6, 30)) == D("10000.00")


def test_c5_waive_allocates_only_to_the_waived_components(loan: models.Loan) -> None:
    """The waiver on W is checked against the quote of W − 1 and allocated to penalty / compound only."""
    day_before = quote("L1", date(2025, 5, 9))
    amounts = {Component.PENALTY: day_before.penalty_interest, Component.COMPOUND: D("0.50")}
    total = arrangements.waive("L1", R, amounts, reference="arrangement:9")
    assert total == day_before.penalty_interest + D("0.50")
    pieces = models.Allocation.objects.filter(payment_id__startswith="arrangement:9:")
    assert {row.component for row in pieces} == {"penalty", "compound"}
    assert sum(row.amount_fen for row in pieces) == int(total * 100)
    assert arrangements.waive("L1", R, amounts, reference="arrangement:9") == total
    with pytest.raises(ArrangementError) as error:
        arrangements.waive("L1", R, {Component.PENALTY: D("1.00")}, reference="arrangement:9")
    assert error.value.field == "reference"
    with pytest.raises(ArrangementError) as error:
        arrangements.waive("L1", R, {Component.FEES: D("1.00")}, reference="arrangement:10")
    assert error.value.field == "fees"
    assert arrangements.cash_paid("L1", date(2025, 1, 1), date(2025, 6, 30)) == 0


@pytest.mark.django_db(transaction=True)
def test_issue5_load_defaults_kind_to_cash_and_accepts_non_cash_kinds(extract_dir: ExtractDir) -> None:
    """``qingshou load``: payments without a kind are cash; an extract may carry ``kind`` (cash, restructure,
    discount — a waiver is refused: it is posted through the arrangement services); reloading with another
    kind is a conflict (payments are immutable, C5)."""
    from load_support import read_rejects

    from qingshou.apps.loans.services.load import load_extracts

    assert load_extracts(extract_dir()).exit_code == 0
    assert models.Payment.objects.get(payment_id="PAY1").kind == "cash"
    payments = """
        payment_id,loan_id,paid_on,amount,kind
        PAY1,L1,2024-02-15,1027.61,cash
        PAY2,L2,2024-03-01,10.00,Discount
        PAY3,L2,2024-03-02,10.00,waiver
        PAY4,L2,2024-03-03,10.00,
    """
    folder = extract_dir(payments=payments)
    assert load_extracts(folder).exit_code != 0
    kinds = dict(models.Payment.objects.values_list("payment_id", "kind"))
    assert kinds == {"PAY1": "cash", "PAY2": "discount", "PAY4": "cash"}
    assert [(row["field"], row["reason"]) for row in read_rejects(folder, "payments")] == [
        ("kind", "bad_value")
    ]
    again = extract_dir(payments="payment_id,loan_id,paid_on,amount,kind\nPAY2,L2,2024-03-01,10.00,cash\n")
    assert load_extracts(again).exit_code != 0
    assert read_rejects(again, "payments")[0]["reason"] == "payment_conflict"


@pytest.mark.django_db(transaction=True)
def test_issue5_a_reload_of_the_core_extract_keeps_a_restructuring_call(
    extract_dir: ExtractDir, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The core system's loans extract knows nothing of a plan made here: reloading it must keep the original
    loan called early on the plan's day (C5: the closing ``restructure`` payment only balances with that
    day) — a blanked date would reopen the loan beside its successor."""
    from qingshou.apps.loans.services.load import load_extracts

    monkeypatch.setenv("QINGSHOU_TODAY", "2024-12-31")
    folder = extract_dir()
    assert load_extracts(folder).exit_code == 0
    terms = PlanTerms(
        PlanKind.INSTALMENTS, date(2024, 9, 10), 12, D("0.0435"), RepaymentMethod.EQUAL_INSTALLMENT
    )
    successor = arrangements.restructure("L1", terms, reference="arrangement:reload")
    assert quote("L1", date(2024, 12, 31)).payoff_amount == 0
    assert load_extracts(folder).exit_code == 0
    original = models.Loan.objects.get(loan_id="L1")
    assert (original.accelerated_on, original.acceleration_reason) == (date(2024, 9, 10), "restructuring")
    assert quote("L1", date(2024, 12, 31)).payoff_amount == 0
    assert models.Loan.objects.filter(loan_id=successor).exists()
