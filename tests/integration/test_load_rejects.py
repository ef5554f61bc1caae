"""``qingshou load``: every rejection reason, each as a tiny extract (C9: amounts in fen, never float).

Each case replaces one file of the base extract (load_support.BASE) and lists the reject rows expected in
``DIR/rejects/<table>.csv`` as (row, field, reason); row 1 is the first data row (the header is not
counted). Everything else in the extract is accepted and stored.
"""

from __future__ import annotations

import pytest
from load_support import ExtractDir, read_rejects

from qingshou.apps.loans.models import Installment, Loan, Payment
from qingshou.apps.loans.services.load import load_extracts

pytestmark = [pytest.mark.db, pytest.mark.django_db(transaction=True)]

LOAN_HEADER = "loan_id,borrower_id,product_id,principal,annual_rate,disbursed_on,term_months,repayment_method"
L2_OK = "L2,B2,P1,3000,0.18,2024-02-01,3,equal_principal"

CASES = [
    # (case, table, file text, expected rejects in that table)
    (
        "missing required value",
        "loans",
        f"""
        {LOAN_HEADER}
        L1,B1,P1,,0.0435,2024-01-15,12,equal_installment
        {L2_OK}
     """,
        [(1, "principal", "missing_required")],
    ),
    (
        "unparsable date",
        "loans",
        f"""
        {LOAN_HEADER}
        L1,B1,P1,12000,0.0435,2024-13-01,12,equal_installment
        L2,B2,P1,3000,0.18,01/02/2024,3,equal_principal
     """,
        [(1, "disbursed_on", "unparsable_date"), (2, "disbursed_on", "unparsable_date")],
    ),
    (
        "unparsable amount",
        "loans",
        f"""
        {LOAN_HEADER}
        L1,B1,P1,"12,000.00",0.0435,2024-01-15,12,equal_installment
        L2,B2,P1,3000,abc,2024-02-01,3,equal_principal
     """,
        [(1, "principal", "unparsable_number"), (2, "annual_rate", "unparsable_number")],
    ),
    (
        "negative amount",
        "loans",
        f"""
        {LOAN_HEADER}
        L1,B1,P1,-12000,0.0435,2024-01-15,12,equal_installment
        {L2_OK}
     """,
        [(1, "principal", "negative_amount")],
    ),
    (
        "zero amount",
        "payments",
        """
        payment_id,loan_id,paid_on,amount
        PAY1,L1,2024-02-15,0.00
     """,
        [(1, "amount", "zero_amount")],
    ),
    (
        "more than 2 decimals",
        "payments",
        """
        payment_id,loan_id,paid_on,amount
        PAY1,L1,2024-02-15,1027.615
        PAY2,L1,2024-03-15,1027.6100
     """,
        [(1, "amount", "too_many_decimals")],
    ),
    (
        "bad enum value",
        "loans",
        f"""
        {LOAN_HEADER}
        L1,B1,P1,12000,0.0435,2024-01-15,12,monthly
        {L2_OK}
     """,
        [(1, "repayment_method", "bad_value")],
    ),
    (
        "out of range",
        "loans",
        f"""
        {LOAN_HEADER}
        L1,B1,P1,12000,1.5,2024-01-15,12,equal_installment
        L2,B2,P1,3000,0.18,2024-02-01,0,equal_principal
     """,
        [(1, "annual_rate", "out_of_range"), (2, "term_months", "out_of_range")],
    ),
    (
        "date order",
        "loans",
        f"""
        {LOAN_HEADER},first_due_date
        L1,B1,P1,12000,0.0435,2024-01-15,12,equal_installment,2024-01-15
        {L2_OK},
     """,
        [(1, "first_due_date", "date_order")],
    ),
    (
        "duplicate id within the file",
        "loans",
        f"""
        {LOAN_HEADER}
        L1,B1,P1,12000,0.0435,2024-01-15,12,equal_installment
        {L2_OK}
        {L2_OK}
     """,
        [(2, "loan_id", "duplicate_id"), (3, "loan_id", "duplicate_id")],
    ),
    (
        "unknown borrower",
        "loans",
        f"""
        {LOAN_HEADER}
        L1,B9,P1,12000,0.0435,2024-01-15,12,equal_installment
        {L2_OK}
     """,
        [(1, "borrower_id", "unknown_borrower")],
    ),
    (
        "unknown product",
        "loans",
        f"""
        {LOAN_HEADER}
        L1,B1,P9,12000,0.0435,2024-01-15,12,equal_installment
        {L2_OK}
     """,
        [(1, "product_id", "unknown_product")],
    ),
    (
        "too long",
        "borrowers",
        f"""
        borrower_id,name,phone
        B1,张三,{"1" * 40}
        B2,李四,13900000000
     """,
        [(1, "phone", "too_long")],
    ),
    (
        "unknown loan (payment)",
        "payments",
        """
        payment_id,loan_id,paid_on,amount
        PAY1,L1,2024-02-15,1027.61
        PAY2,L9,2024-02-15,100
     """,
        [(2, "loan_id", "unknown_loan")],
    ),
    (
        "unknown loan (installment)",
        "installments",
        """
        loan_id,seq,due_date,principal_due,interest_due
        L9,1,2024-03-01,1000.00,45.00
     """,
        [(1, "loan_id", "unknown_loan")],
    ),
    (
        "payment dated before disbursement",
        "payments",
        """
        payment_id,loan_id,paid_on,amount
        PAY1,L1,2024-01-14,1027.61
     """,
        [(1, "paid_on", "paid_before_disbursement")],
    ),
    (
        "duplicate payment id",
        "payments",
        """
        payment_id,loan_id,paid_on,amount
        PAY1,L1,2024-02-15,1027.61
        PAY1,L1,2024-03-15,1027.61
     """,
        [(1, "payment_id", "duplicate_id"), (2, "payment_id", "duplicate_id")],
    ),
    (
        "invalid product policy",
        "products",
        """
        product_id,name,kind,penalty_markup,waterfall
        P1,消费贷,retail,0.5,
        P2,卡,card,1.5,
        P3,卡,mortgage,,
        P4,卡,card,,"fees,costs"
     """,
        [
            (2, "penalty_markup", "invalid_policy"),
            (3, "kind", "invalid_policy"),
            (4, "waterfall", "invalid_policy"),
        ],
    ),
]


@pytest.mark.parametrize(("case", "table", "text", "expected"), CASES, ids=[case[0] for case in CASES])
def test_c9_each_reason_is_a_reject_row_and_the_rest_is_stored(
    extract_dir: ExtractDir, case: str, table: str, text: str, expected: list[tuple[int, str, str]]
) -> None:
    """C9: a bad row is a reject row naming row, field and reason; the load goes on (exit 3)."""
    folder = extract_dir(**{table: text})
    report = load_extracts(folder)
    rejects = read_rejects(folder, table)
    assert [(int(r["row"]), r["field"], r["reason"]) for r in rejects] == expected
    assert report.exit_code == 3
    assert report.tables[table].rejected == len(expected)
    assert all(r["detail"] for r in rejects)


SCHEDULE_HEADER = "loan_id,seq,due_date,principal_due,interest_due"
SCHEDULE_CASES = [
    (
        "schedule not summing to principal",
        f"""
        {SCHEDULE_HEADER}
        L2,1,2024-03-01,1000.00,45.00
        L2,2,2024-04-01,1000.00,30.00
        L2,3,2024-05-01,999.99,15.00
     """,
        [
            (1, "principal_due", "schedule_sum"),
            (2, "principal_due", "schedule_sum"),
            (3, "principal_due", "schedule_sum"),
        ],
        "schedule_sum",
    ),
    (
        "seq gap",
        f"""
        {SCHEDULE_HEADER}
        L2,1,2024-03-01,1000.00,45.00
        L2,2,2024-04-01,1000.00,30.00
        L2,4,2024-05-01,1000.00,15.00
     """,
        [(1, "seq", "seq_gap"), (2, "seq", "seq_gap"), (3, "seq", "seq_gap")],
        "seq_gap",
    ),
    (
        "duplicate seq",
        f"""
        {SCHEDULE_HEADER}
        L2,1,2024-03-01,1000.00,45.00
        L2,2,2024-04-01,1000.00,30.00
        L2,2,2024-05-01,1000.00,15.00
     """,
        [(1, "loan_id", "schedule_rejected"), (2, "seq", "duplicate_id"), (3, "seq", "duplicate_id")],
        "schedule_rejected",
    ),
    (
        "due date before disbursement",
        f"""
        {SCHEDULE_HEADER}
        L2,1,2024-01-20,1000.00,45.00
        L2,2,2024-04-01,1000.00,30.00
        L2,3,2024-05-01,1000.00,15.00
     """,
        [
            (1, "due_date", "due_before_disbursement"),
            (2, "loan_id", "schedule_rejected"),
            (3, "loan_id", "schedule_rejected"),
        ],
        "schedule_rejected",
    ),
    (
        "due dates not increasing",
        f"""
        {SCHEDULE_HEADER}
        L2,1,2024-03-01,1000.00,45.00
        L2,2,2024-03-01,1000.00,30.00
        L2,3,2024-05-01,1000.00,15.00
     """,
        [
            (1, "loan_id", "schedule_rejected"),
            (2, "due_date", "due_dates_not_increasing"),
            (3, "loan_id", "schedule_rejected"),
        ],
        "schedule_rejected",
    ),
    (
        "bad amount in one row",
        f"""
        {SCHEDULE_HEADER}
        L2,1,2024-03-01,1000.00,45.00
        L2,2,2024-04-01,1000.00,-30.00
        L2,3,2024-05-01,1000.00,15.00
     """,
        [
            (1, "loan_id", "schedule_rejected"),
            (2, "interest_due", "negative_amount"),
            (3, "loan_id", "schedule_rejected"),
        ],
        "schedule_rejected",
    ),
]


@pytest.mark.parametrize(
    ("case", "text", "expected", "loan_reason"), SCHEDULE_CASES, ids=[c[0] for c in SCHEDULE_CASES]
)
def test_c5_a_broken_schedule_rejects_all_its_rows_and_the_loan(
    extract_dir: ExtractDir, case: str, text: str, expected: list[tuple[int, str, str]], loan_reason: str
) -> None:
    """C5 (schedule is a ledger input): one bad installment rejects the loan's schedule and the loan."""
    payments = """
        payment_id,loan_id,paid_on,amount
        PAY1,L1,2024-02-15,1027.61
        PAY2,L2,2024-03-01,1045.00
    """
    folder = extract_dir(installments=text, payments=payments)
    report = load_extracts(folder)
    assert [
        (int(r["row"]), r["field"], r["reason"]) for r in read_rejects(folder, "installments")
    ] == expected
    loan_rejects = read_rejects(folder, "loans")
    assert [(int(r["row"]), r["field"], r["reason"]) for r in loan_rejects] == [
        (2, "installments", loan_reason)
    ]
    assert [(int(r["row"]), r["reason"]) for r in read_rejects(folder, "payments")] == [(2, "unknown_loan")]
    assert report.exit_code == 3
    assert list(Loan.objects.values_list("loan_id", flat=True)) == ["L1"]
    assert not Installment.objects.filter(loan_id="L2").exists()
    assert list(Payment.objects.values_list("payment_id", flat=True)) == ["PAY1"]


def test_c5_children_of_a_rejected_loan_are_rejected_as_unknown(extract_dir: ExtractDir) -> None:
    """C5: payments and installments of a loan rejected in this load are rejected (unknown loan)."""
    folder = extract_dir(
        loans=f"""
            {LOAN_HEADER}
            L1,B1,P1,12000,0.0435,2024-01-15,12,bad_method
            {L2_OK}
        """,
        installments="""
            loan_id,seq,due_date,principal_due,interest_due
            L1,1,2025-01-15,12000.00,522.00
        """,
    )
    load_extracts(folder)
    assert [r["reason"] for r in read_rejects(folder, "loans")] == ["bad_value"]
    assert [r["reason"] for r in read_rejects(folder, "installments")] == ["unknown_loan"]
    assert [r["reason"] for r in read_rejects(folder, "payments")] == ["unknown_loan"]


def test_c5_payment_id_stored_with_other_data_is_rejected_and_stored_one_kept(
    extract_dir: ExtractDir,
) -> None:
    """C5: payments are immutable: the same id with the same data is a no-op, with other data a reject."""
    load_extracts(extract_dir())
    changed = extract_dir(
        payments="""
        payment_id,loan_id,paid_on,amount
        PAY1,L1,2024-02-15,1027.62
        PAY2,L1,2024-03-15,500
    """
    )
    report = load_extracts(changed)
    assert [(int(r["row"]), r["field"], r["reason"]) for r in read_rejects(changed, "payments")] == [
        (1, "payment_id", "payment_conflict")
    ]
    assert dict(Payment.objects.values_list("payment_id", "amount_fen")) == {"PAY1": 102761, "PAY2": 50000}
    assert (report.tables["payments"].accepted, report.tables["payments"].rejected) == (1, 1)


def test_rejects_file_keeps_the_original_values_and_a_clean_run_removes_it(extract_dir: ExtractDir) -> None:
    """The reject file: row, field, reason, detail, then the row as it was in the file (untrimmed)."""
    folder = extract_dir(
        payments="""
        payment_id,loan_id,paid_on,amount,channel
        PAY1,L1,2024-02-15, 12.345 ,银行
    """
    )
    load_extracts(folder)
    (row,) = read_rejects(folder, "payments")
    assert list(row) == [
        "row",
        "field",
        "reason",
        "detail",
        "payment_id",
        "loan_id",
        "paid_on",
        "amount",
        "channel",
    ]
    assert (row["row"], row["amount"], row["channel"]) == ("1", " 12.345 ", "银行")
    assert (folder / "rejects" / "payments.csv").read_bytes().startswith(b"\xef\xbb\xbf")

    (folder / "payments.csv").write_text("payment_id,loan_id,paid_on,amount\nPAY1,L1,2024-02-15,12.34\n")
    assert load_extracts(folder).exit_code == 0
    assert not (folder / "rejects").exists()
