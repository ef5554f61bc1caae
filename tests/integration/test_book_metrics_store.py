"""The overdue book's metrics read from a real store and lake (issue 7, ``analytics.book.read_frames``).

A tiny book built here (tests/report_support.py's demo book did not exist yet): three loans in the store, four
snapshot days in the lake (three month-ends and a mid-June day that is not one).

    L1  P1  branch BJ  app     100000  first due 2025-05-10 (given)      cash 10000 on 06-10
    L2  P2  branch SH  branch   50000  first due from its schedule 06-05  (no first_due_date on the loan)
    L3  P1  branch BJ  app      30000  written off 2025-06-20 (executed)  cash 5000 on 06-25, a 500 waiver
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from django.contrib.auth import get_user_model

from qingshou import config
from qingshou.analytics.book import book_metrics, read_frames
from qingshou.analytics.contract import check_table
from qingshou.analytics.sources import sources_for
from qingshou.apps.cases.models import Case
from qingshou.apps.loans import models
from qingshou.apps.writeoffs.models import WriteOff
from qingshou.lake import write_snapshot
from qingshou.store import Store

pytestmark = [pytest.mark.db, pytest.mark.django_db(transaction=True)]

APRIL, MAY, MID_JUNE, JUNE = date(2025, 4, 30), date(2025, 5, 31), date(2025, 6, 15), date(2025, 6, 30)
COLUMNS = {
    "as_of": pl.Date,
    "loan_id": pl.String,
    "product_id": pl.String,
    "dpd": pl.Int32,
    "delinquent": pl.Boolean,
    "bucket": pl.String,
    "classification": pl.String,
    "stage": pl.Int8,
    "outstanding_principal_fen": pl.Int64,
    "total_overdue_fen": pl.Int64,
}


def store_book() -> None:
    p1 = models.Product.objects.create(product_id="P1", name="消费贷")
    p2 = models.Product.objects.create(product_id="P2", name="经营贷")
    b1 = models.Borrower.objects.create(borrower_id="B1", name="张三", credit_score=760)
    b2 = models.Borrower.objects.create(borrower_id="B2", name="李四")
    common = {"annual_rate": Decimal("0.12"), "term_months": 2, "repayment_method": "equal_principal"}
    l1 = models.Loan.objects.create(
        loan_id="L1", borrower=b1, product=p1, principal_fen=100000, disbursed_on=date(2025, 4, 10),
        first_due_date=date(2025, 5, 10), branch="BJ", channel="app", **common,
    )  # fmt: skip
    l2 = models.Loan.objects.create(
        loan_id="L2", borrower=b2, product=p2, principal_fen=50000, disbursed_on=date(2025, 5, 5),
        branch="SH", channel="branch", **common,
    )  # fmt: skip
    l3 = models.Loan.objects.create(
        loan_id="L3", borrower=b1, product=p1, principal_fen=30000, disbursed_on=date(2024, 1, 1),
        first_due_date=date(2024, 2, 1), branch="BJ", channel="app", **common,
    )  # fmt: skip
    for loan, dues in (
        (l1, [date(2025, 5, 10), date(2025, 6, 10)]),
        (l2, [date(2025, 6, 5), date(2025, 7, 5)]),
    ):
        for seq, due in enumerate(dues, start=1):
            models.Installment.objects.create(
                loan=loan,
                seq=seq,
                due_date=due,
                principal_due_fen=loan.principal_fen // 2,
                interest_due_fen=500,
            )
    models.Installment.objects.create(
        loan=l3, seq=1, due_date=date(2024, 2, 1), principal_due_fen=30000, interest_due_fen=300
    )
    models.Payment.objects.create(payment_id="X1", loan=l1, paid_on=date(2025, 6, 10), amount_fen=10000)
    models.Payment.objects.create(
        payment_id="X2", loan=l3, paid_on=date(2025, 6, 11), amount_fen=500, kind="waiver", waives="penalty"
    )
    models.Payment.objects.create(payment_id="X3", loan=l3, paid_on=date(2025, 6, 25), amount_fen=5000)
    user = get_user_model().objects.create(username="maker")
    case = Case.objects.create(borrower=b1, opened_on=date(2024, 3, 1), updated_on=JUNE, lead_loan_id="L3")
    common_writeoff = {
        "case": case, "loan": l3, "grounds": "uncollectable", "reason": "r", "assessed_on": date(2025, 6, 1),
        "principal_fen": 30000, "interest_fen": 0, "amount_fen": 30000, "penalty_fen": 0, "compound_fen": 0,
        "proposed_by": user,
    }  # fmt: skip
    WriteOff.objects.create(status="executed", written_off_on=date(2025, 6, 20), **common_writeoff)
    WriteOff.objects.create(status="proposed", **{**common_writeoff, "loan": l1})


def lake_book(root: Path) -> None:
    def day(as_of: date, rows: list[tuple[object, ...]]) -> None:
        frame = pl.DataFrame([(as_of, *row) for row in rows], schema=COLUMNS, orient="row")
        write_snapshot(root, as_of, frame)

    day(
        APRIL,
        [
            ("L1", "P1", 0, False, "M0", "normal", 1, 100000, 0),
            ("L3", "P1", 400, True, "M7+", "loss", 3, 30000, 31000),
        ],
    )
    may = [
        ("L1", "P1", 0, False, "M0", "normal", 1, 50000, 0),
        ("L2", "P2", 0, False, "M0", "normal", 1, 50000, 0),
        ("L3", "P1", 430, True, "M7+", "loss", 3, 30000, 31000),
    ]
    day(MAY, may)
    day(MID_JUNE, may)
    day(
        JUNE,
        [
            ("L1", "P1", 20, True, "M1", "special_mention", 2, 50000, 5500),
            ("L2", "P2", 25, True, "M1", "special_mention", 2, 50000, 25500),
            ("L3", "P1", 460, True, "M7+", "loss", 3, 30000, 26000),
        ],
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store_book()
    lake_book(tmp_path)
    with Store(config.adbc_uri()) as opened:
        yield opened


def test_read_frames_reads_month_ends_loans_writeoffs_dues_and_cash(store: Store, tmp_path: Path) -> None:
    sources = sources_for(date(2025, 6, 1), tmp_path, store)
    assert (sources.as_of, sources.history) == (JUNE, (APRIL, MAY, JUNE))
    frames = read_frames(sources)
    assert frames.previous is not None
    assert frames.previous["loan_id"].to_list() == ["L1", "L2", "L3"]
    loans = {row["loan_id"]: row for row in frames.loans.to_dicts()}
    assert loans["L2"]["first_due_date"] == date(2025, 6, 5)  # from the schedule
    assert (loans["L1"]["credit_score"], loans["L2"]["credit_score"]) == (760, None)
    assert frames.writeoffs.to_dicts() == [{"loan_id": "L3", "written_off_on": date(2025, 6, 20)}]
    assert sorted(frames.due_loans["loan_id"].to_list()) == ["L1", "L2"]
    # cash of the loans past 90 days after the first month-end only (L3), the waiver left out
    assert frames.cash.select("loan_id", "amount_fen").rows() == [("L3", 5000)]
    assert frames.history.group_by("as_of").len().sort("as_of")["len"].to_list() == [2, 3, 3]


def test_book_metrics_from_the_store(store: Store, tmp_path: Path) -> None:
    """June's book: L1 + L2 (L3 written off); FPD: L2 (first due 06-05) delinquent; from May: L3 written off."""
    metrics = book_metrics(sources_for(date(2025, 6, 1), tmp_path, store, reserves_fen=20000))
    for table in metrics.tables.values():
        check_table(table)
    buckets = metrics.tables["stock_by_bucket"].frame.to_dicts()
    assert [(row["bucket"], row["loans"], row["balance_fen"]) for row in buckets] == [("M1", 2, 100000)]
    fpd = metrics.tables["flow_rates"].frame.filter(pl.col("indicator") == "fpd").row(0, named=True)
    assert (fpd["numerator"], fpd["denominator"], fpd["rate"]) == (1, 1, 1.0)
    rolls = metrics.tables["roll_rates"].frame.select("from_bucket", "to_bucket", "loans").rows()
    assert rolls == [("M0", "M1", 2), ("M7+", "written_off", 1)]
    loss = dict(metrics.tables["credit_loss"].frame.rows())
    assert (loss["opening"], loss["write_offs"], loss["new_delinquencies"], loss["closing"]) == (
        30000,
        -30000,
        2000,
        2000,
    )
    values = {f.key: f.value for f in metrics.figures}
    assert values["loan_provision_ratio"] == pytest.approx(0.2)  # 20000 / 100000
    assert values["provision_coverage"] is None  # no NPL balance
    vintages = metrics.tables["vintage"].frame
    assert vintages.select("vintage", "months_on_book", "disbursed_fen").rows() == [
        (date(2025, 4, 1), 0, 100000),
        (date(2025, 4, 1), 1, 100000),
        (date(2025, 4, 1), 2, 100000),
        (date(2025, 5, 1), 0, 50000),
        (date(2025, 5, 1), 1, 50000),
    ]


def test_filters_restrict_the_book(store: Store, tmp_path: Path) -> None:
    """Branch SH: L2 only; product P1: L1 (L3 written off)."""
    sh = book_metrics(sources_for(date(2025, 6, 1), tmp_path, store, filters={"branch": "SH"}))
    assert sh.tables["stock_by_branch"].frame.select("branch", "balance_fen").rows() == [("SH", 50000)]
    assert sh.tables["vintage"].frame["vintage"].unique().to_list() == [date(2025, 5, 1)]
    p1 = book_metrics(sources_for(date(2025, 6, 1), tmp_path, store, filters={"product": "P1"}))
    assert p1.tables["stock_by_product"].frame.select("product", "loans").rows() == [("P1", 1)]
    assert p1.tables["roll_rates"].frame.select("from_bucket", "to_bucket").rows() == [
        ("M0", "M1"),
        ("M7+", "written_off"),
    ]
