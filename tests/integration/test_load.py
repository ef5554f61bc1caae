"""``qingshou load``: what is stored, file formats, idempotent re-load, exit codes (C5, C9).

Scenarios are small extracts written in the tests (load_support.BASE plus the files a test replaces).
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import polars as pl
import pytest
from click.testing import CliRunner
from load_support import BASE, ExtractDir, csv_text, read_rejects

from qingshou.apps.loans.models import Borrower, Installment, LoadRun, Loan, Payment, Product
from qingshou.apps.loans.services.load import load_extracts
from qingshou.cli.load import load as load_command
from qingshou.domain.money import fen
from qingshou.domain.schedule import build_schedule

pytestmark = [pytest.mark.db, pytest.mark.django_db(transaction=True)]


def snapshot() -> dict[str, list[dict[str, Any]]]:
    """Every stored row of the loan book (not the load runs), for before/after comparisons."""
    return {
        model.__name__: list(model.objects.order_by("pk").values())
        for model in (Product, Borrower, Loan, Installment, Payment)
    }


def run_cli(*args: str) -> tuple[int, dict[str, Any]]:
    """Run ``qingshou load … --json``; return the exit code and the JSON it printed."""
    result = CliRunner().invoke(load_command, [*args, "--json"])
    return result.exit_code, json.loads(result.output)


def test_c9_amounts_are_exact_fen_and_rates_exact_decimals(extract_dir: ExtractDir) -> None:
    """C9: "12000.00" → 1200000 fen, "1027.61" → 102761 fen, "0.0435" → Decimal("0.0435"), no float."""
    report = load_extracts(extract_dir())
    assert report.exit_code == 0
    l1 = Loan.objects.get(pk="L1")
    assert (l1.principal_fen, l1.annual_rate, l1.disbursed_on) == (
        1200000,
        Decimal("0.0435"),
        dt.date(2024, 1, 15),
    )
    assert Payment.objects.get(payment_id="PAY1").amount_fen == 102761
    assert Loan.objects.get(pk="L2").principal_fen == 300000


def test_c5_installments_generated_with_the_domain_schedule_when_missing(extract_dir: ExtractDir) -> None:
    """C5: a loan given without installments gets ``build_schedule``'s schedule, to the fen."""
    report = load_extracts(extract_dir())
    for loan in Loan.objects.all():
        expected = [
            (row.seq, row.due_date, fen(row.principal_due), fen(row.interest_due))
            for row in build_schedule(loan.to_terms())
        ]
        stored = list(
            loan.installments.order_by("seq").values_list(
                "seq", "due_date", "principal_due_fen", "interest_due_fen"
            )
        )
        assert stored == expected
        assert sum(row[2] for row in stored) == loan.principal_fen
    assert report.tables["installments"].generated == 12 + 3


def test_c5_given_installments_are_stored_as_given(extract_dir: ExtractDir) -> None:
    """C5: a schedule in the extract is stored as it is (fee_due defaults to 0); only others are generated."""
    folder = extract_dir(
        installments="""
            loan_id,seq,due_date,principal_due,interest_due,fee_due
            L2,1,2024-03-01,1000.00,45.00,
            L2,2,2024-04-01,1000.00,30.00,5
            L2,3,2024-05-01,1000.00,15.00,0.50
        """
    )
    report = load_extracts(folder)
    assert report.exit_code == 0
    rows = list(
        Installment.objects.filter(loan_id="L2")
        .order_by("seq")
        .values_list("interest_due_fen", "fee_due_fen")
    )
    assert rows == [(4500, 0), (3000, 500), (1500, 50)]
    assert Installment.objects.filter(loan_id="L1").count() == 12
    assert (report.tables["installments"].accepted, report.tables["installments"].generated) == (3, 12)


def test_c5_reloading_the_same_files_changes_nothing(extract_dir: ExtractDir) -> None:
    """C5: loading the same files again counts every row unchanged and writes nothing."""
    folder = extract_dir()
    first = load_extracts(folder)
    before = snapshot()
    second = load_extracts(folder)
    assert snapshot() == before
    assert second.exit_code == 0
    assert {
        name: (c.accepted, c.rejected, c.generated) for name, c in second.tables.items()
    } == dict.fromkeys(first.tables, (0, 0, 0))
    assert second.tables["loans"].unchanged == 2
    assert second.tables["payments"].unchanged == 1


def test_changed_rows_are_updated_and_a_changed_loan_gets_a_new_schedule(extract_dir: ExtractDir) -> None:
    """Upsert by natural id: a changed borrower and loan are updated; the loan's schedule is rebuilt."""
    load_extracts(extract_dir())
    changed = extract_dir(
        borrowers="""
            borrower_id,name,phone
            B1,张三,13800000001
            B2,李四,13900000000
        """,
        loans="""
            loan_id,borrower_id,product_id,principal,annual_rate,disbursed_on,term_months,repayment_method
            L1,B1,P1,12000.00,0.0435,2024-01-15,12,equal_installment
            L2,B2,P1,3000,0.18,2024-02-01,2,equal_principal
        """,
    )
    report = load_extracts(changed)
    assert (report.tables["borrowers"].accepted, report.tables["borrowers"].unchanged) == (1, 1)
    assert (report.tables["loans"].accepted, report.tables["loans"].unchanged) == (1, 1)
    assert Borrower.objects.get(pk="B1").phone == "13800000001"
    assert list(Installment.objects.filter(loan_id="L2").values_list("seq", "principal_due_fen")) == [
        (1, 150000),
        (2, 150000),
    ]
    assert report.tables["installments"].generated == 2


def test_a_shorter_schedule_replaces_the_stored_one_as_a_whole(extract_dir: ExtractDir) -> None:
    """A loan's schedule in the extract replaces the stored schedule: seqs no longer given are removed."""
    load_extracts(extract_dir())
    loans = BASE["loans"].replace("3000,0.18,2024-02-01,3,", "3000,0.18,2024-02-01,2,")
    folder = extract_dir(
        loans=loans,
        installments="""
            loan_id,seq,due_date,principal_due,interest_due
            L2,1,2024-03-01,1500.00,45.00
            L2,2,2024-04-01,1500.00,22.50
        """,
    )
    assert load_extracts(folder).exit_code == 0
    assert list(Installment.objects.filter(loan_id="L2").values_list("seq", "principal_due_fen")) == [
        (1, 150000),
        (2, 150000),
    ]


def test_extra_columns_are_kept_in_extra(extract_dir: ExtractDir) -> None:
    """Columns the format does not know are kept (borrowers, loans: ``extra``) or ignored, never fatal."""
    folder = extract_dir(
        borrowers="""
            borrower_id,name,phone,WeChat,籍贯
            B1,张三,13800000000,zs_01,湖南
            B2,李四,13900000000,,
        """,
        loans=BASE["loans"]
        .replace("repayment_method", "repayment_method,risk_grade")
        .replace("equal_installment", "equal_installment,A")
        .replace("equal_principal", "equal_principal,B"),
        payments="""
            payment_id,loan_id,paid_on,amount,teller
            PAY1,L1,2024-02-15,1027.61,王五
        """,
    )
    assert load_extracts(folder).exit_code == 0
    assert Borrower.objects.get(pk="B1").extra == {"wechat": "zs_01", "籍贯": "湖南"}
    assert Borrower.objects.get(pk="B2").extra == {"wechat": None, "籍贯": None}
    assert Loan.objects.get(pk="L2").extra == {"risk_grade": "B"}


def test_optional_columns_missing_take_defaults(extract_dir: ExtractDir) -> None:
    """Omitted optional columns take their defaults (products: the conventions' policy defaults)."""
    folder = extract_dir(products="product_id\nP1\n")
    assert load_extracts(folder).exit_code == 0
    product = Product.objects.get(pk="P1")
    policy = product.to_policy()
    assert (policy.day_count, policy.penalty_markup, policy.grace_days, policy.compound) == (
        360,
        Decimal("0.5"),
        0,
        True,
    )
    assert product.waterfall == "costs,fees,penalty,compound,interest,principal"
    assert Loan.objects.get(pk="L1").branch == ""


def test_gbk_files_load_with_encoding_gbk(extract_dir: ExtractDir) -> None:
    """GBK CSV (common in Chinese core systems) loads with ``--encoding gbk``; without it the input is unusable."""
    folder = extract_dir(encoding="gbk")
    assert run_cli(str(folder))[0] == 2
    assert not Loan.objects.exists()
    code, summary = run_cli(str(folder), "--encoding", "gbk")
    assert (code, summary["status"]) == (0, "ok")
    assert Borrower.objects.get(pk="B1").name == "张三"


def test_utf8_with_bom_loads(extract_dir: ExtractDir) -> None:
    """UTF-8 with a byte-order mark (what Excel writes) reads the first header correctly."""
    folder = extract_dir(encoding="utf-8-sig")
    assert (folder / "products.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert load_extracts(folder).exit_code == 0
    assert Product.objects.get(pk="P1").name == "消费贷"


def _to_xlsx(folder: Path, name: str, rows: list[list[Any]]) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    book.save(folder / f"{name}.xlsx")
    (folder / f"{name}.csv").unlink()


def test_xlsx_files_with_real_date_and_number_cells(extract_dir: ExtractDir) -> None:
    """XLSX: date cells and number cells are read as their text (a date cell → YYYY-MM-DD), exactly."""
    folder = extract_dir()
    _to_xlsx(
        folder,
        "loans",
        [
            ["loan_id", "borrower_id", "product_id", "principal", "annual_rate", "disbursed_on", "term_months",
             "repayment_method"],
            ["L1", "B1", "P1", 12000, "0.0435", dt.date(2024, 1, 15), 12, "equal_installment"],
            ["L2", "B2", "P1", "3000.00", "0.18", "2024-02-01", "3", "equal_principal"],
        ],
    )  # fmt: skip
    _to_xlsx(
        folder,
        "payments",
        [["payment_id", "loan_id", "paid_on", "amount"], ["PAY1", "L1", dt.date(2024, 2, 15), 1027.61]],
    )
    report = load_extracts(folder)
    assert report.exit_code == 0, read_rejects(folder, "loans")
    assert Loan.objects.get(pk="L1").disbursed_on == dt.date(2024, 1, 15)
    assert Loan.objects.get(pk="L1").principal_fen == 1200000
    assert Payment.objects.get(payment_id="PAY1").amount_fen == 102761


def test_parquet_files_with_typed_columns(extract_dir: ExtractDir) -> None:
    """Parquet: typed columns (date, decimal, integer) are read as their text, exactly."""
    folder = extract_dir()
    frame = pl.read_csv(folder / "loans.csv", infer_schema=False).with_columns(
        pl.col("disbursed_on").str.to_date(),
        pl.col("principal").cast(pl.Decimal(18, 2)),
        pl.col("term_months").cast(pl.Int32),
    )
    frame.write_parquet(folder / "loans.parquet")
    (folder / "loans.csv").unlink()
    assert load_extracts(folder).exit_code == 0
    loan = Loan.objects.get(pk="L2")
    assert (loan.principal_fen, loan.disbursed_on, loan.term_months) == (300000, dt.date(2024, 2, 1), 3)


def test_exit_codes_0_when_all_accepted_3_when_some_rejected(extract_dir: ExtractDir) -> None:
    """Exit 0: every row accepted; exit 3: some rejected, the rest stored; the JSON names the rejects file."""
    code, summary = run_cli(str(extract_dir()))
    assert (code, summary["status"], summary["rejects"]) == (0, "ok", {})
    folder = extract_dir(payments="payment_id,loan_id,paid_on,amount\nPAY9,L1,2024-02-15,-1\n")
    code, summary = run_cli(str(folder))
    assert (code, summary["status"], summary["tables"]["payments"]["rejected"]) == (3, "rejected", 1)
    assert summary["rejects"] == {"payments": str(folder / "rejects" / "payments.csv")}
    assert LoadRun.objects.order_by("-pk").first().status == "rejected"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("files", "field"),
    [
        ({"payments": None}, "payments"),
        ({"loans": csv_text(BASE["loans"]).replace("principal,", "amount,")}, "loans:principal"),
        ({"borrowers": "borrower_id\nB1\n"}, "borrowers:name"),
    ],
    ids=["missing required file", "missing required column", "missing name column"],
)
def test_exit_2_when_the_input_is_unusable_and_nothing_is_written(
    extract_dir: ExtractDir, files: dict[str, str | None], field: str
) -> None:
    """Exit 2: a required file or column is missing; the message names it and NOTHING is written."""
    folder = extract_dir(**files)
    code, summary = run_cli(str(folder))
    assert (code, summary["status"], summary["field"]) == (2, "unusable", field)
    assert field.split(":")[-1] in summary["error"]
    assert all(rows == [] for rows in snapshot().values())
    assert LoadRun.objects.get().status == "unusable"


def test_a_file_with_only_a_header_is_an_empty_table(extract_dir: ExtractDir) -> None:
    """A required file may have no rows: the other tables load and the empty one counts zero."""
    folder = extract_dir(payments="payment_id,loan_id,paid_on,amount")
    report = load_extracts(folder)
    assert report.exit_code == 0
    assert report.tables["payments"].rows == 0
    assert Loan.objects.count() == 2


def test_two_files_for_one_table_make_the_input_unusable(extract_dir: ExtractDir) -> None:
    """Exit 2 when a table has both a .csv and a .parquet file: which one is meant is unclear."""
    folder = extract_dir()
    pl.read_csv(folder / "loans.csv", infer_schema=False).write_parquet(folder / "loans.parquet")
    code, summary = run_cli(str(folder))
    assert (code, summary["field"]) == (2, "loans")
    assert not Loan.objects.exists()
