"""Integration helpers: extract folders written from small CSV tables inside the tests.

``extract_dir(**tables)`` writes the base extract below with some files replaced (a table given as
``None`` is left out), so each test states only the rows it is about.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping
from pathlib import Path

import polars as pl
import pytest

BASE: Mapping[str, str] = {
    "products": """
        product_id,name,kind
        P1,消费贷,retail
    """,
    "borrowers": """
        borrower_id,name,phone
        B1,张三,13800000000
        B2,李四,13900000000
    """,
    "loans": """
        loan_id,borrower_id,product_id,principal,annual_rate,disbursed_on,term_months,repayment_method
        L1,B1,P1,12000.00,0.0435,2024-01-15,12,equal_installment
        L2,B2,P1,3000,0.18,2024-02-01,3,equal_principal
    """,
    "payments": """
        payment_id,loan_id,paid_on,amount
        PAY1,L1,2024-02-15,1027.61
    """,
}

ExtractDir = Callable[..., Path]


def csv_text(table: str) -> str:
    """A table written in a test as indented CSV, as file text."""
    return textwrap.dedent(table).strip() + "\n"


def write_extract(folder: Path, tables: Mapping[str, str | None], encoding: str = "utf-8") -> Path:
    """Write each table as ``folder/<name>.csv`` in ``encoding`` (``utf-8-sig`` writes a BOM)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, table in tables.items():
        if table is not None:
            (folder / f"{name}.csv").write_bytes(csv_text(table).encode(encoding))
    return folder


@pytest.fixture
def extract_dir(tmp_path: Path) -> ExtractDir:
    """``extract_dir(loans=..., installments=..., encoding=...)``: the base extract with files replaced."""
    count = 0

    def make(encoding: str = "utf-8", **tables: str | None) -> Path:
        nonlocal count
        count += 1
        return write_extract(tmp_path / f"extract{count}", {**BASE, **tables}, encoding)

    return make


def read_rejects(folder: Path, table: str) -> list[dict[str, str]]:
    """The rows of ``folder/rejects/<table>.csv`` as text."""
    return pl.read_csv(folder / "rejects" / f"{table}.csv", infer_schema=False).to_dicts()
