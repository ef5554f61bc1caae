"""Extract: the five files of a core-banking extract — their columns, the products rows, and the writers.

The columns are the ones ``qingshou load`` reads (docs/data-format.md). Every value is text — amounts as
yuan with two decimals, rates as decimal strings, dates ISO, booleans ``true``/``false``, an empty string
for a missing optional value — in CSV (UTF-8, header row, quoted only where needed, so the comma list
of the waterfall is quoted) and in Parquet alike (string columns). Writers append chunk after chunk in
order and hold no state but the open files, so the same rows always give the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Final, Literal

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from qingshou.domain.policy import ProductPolicy

ExtractFormat = Literal["csv", "parquet"]

COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "products": (
        "product_id", "name", "kind", "day_count", "penalty_markup", "compound", "grace_days", "holiday_rule",
        "dpd_origin", "rounding", "waterfall", "allocation_direction", "prepayment",
    ),
    "borrowers": (
        "borrower_id", "name", "id_number", "phone", "address", "region", "employer", "monthly_income",
        "credit_score",
    ),
    "loans": (
        "loan_id", "borrower_id", "product_id", "principal", "annual_rate", "disbursed_on", "term_months",
        "repayment_method", "first_due_date", "branch", "channel", "accelerated_on",
    ),
    "installments": ("loan_id", "seq", "due_date", "principal_due", "interest_due", "fee_due"),
    "payments": ("payment_id", "loan_id", "paid_on", "amount", "channel"),
}  # fmt: skip
TABLES: Final = tuple(COLUMNS)


def _flag(value: bool) -> str:
    return "true" if value else "false"


def product_rows(policies: Iterable[ProductPolicy]) -> dict[str, list[str]]:
    """The products extract of ``policies``, column by column."""
    rows: dict[str, list[str]] = {column: [] for column in COLUMNS["products"]}
    for policy in policies:
        values = (
            policy.product_id, policy.name, policy.kind.value, str(policy.day_count), str(policy.penalty_markup),
            _flag(policy.compound), str(policy.grace_days), policy.holiday_rule.value, policy.dpd_origin.value,
            policy.rounding.value, ",".join(component.value for component in policy.waterfall),
            policy.direction.value, _flag(policy.prepayment),
        )  # fmt: skip
        for column, value in zip(rows.values(), values, strict=True):
            column.append(value)
    return rows


def frame(table: str, columns: dict[str, list[str]]) -> pl.DataFrame:
    """A string-typed frame of ``table`` from its columns; an empty string becomes a missing value."""
    data = pl.DataFrame(columns, schema=dict.fromkeys(COLUMNS[table], pl.String))
    return data.with_columns(pl.all().replace("", None))


class ExtractWriter:
    """Writes the five tables of an extract into ``out_dir``, appending chunk frames in order."""

    def __init__(self, out_dir: Path, fmt: ExtractFormat) -> None:
        self.out_dir = out_dir
        self.fmt = fmt
        self._csv: dict[str, BinaryIO] = {}
        self._parquet: dict[str, pq.ParquetWriter] = {}

    def path(self, table: str) -> Path:
        """Where ``table`` is written."""
        return self.out_dir / f"{table}.{self.fmt}"

    def __enter__(self) -> ExtractWriter:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def write(self, table: str, data: pl.DataFrame) -> None:
        """Append ``data`` to ``table`` (the first write creates the file with its header or schema)."""
        if self.fmt == "csv":
            self._write_csv(table, data)
        else:
            self._write_parquet(table, data)

    def _write_csv(self, table: str, data: pl.DataFrame) -> None:
        handle = self._csv.get(table)
        first = handle is None
        if handle is None:
            handle = self._csv[table] = self.path(table).open("wb")
        data.write_csv(handle, include_header=first, line_terminator="\n")

    def _write_parquet(self, table: str, data: pl.DataFrame) -> None:
        schema = pa.schema([pa.field(column, pa.string()) for column in COLUMNS[table]])
        writer = self._parquet.get(table)
        if writer is None:
            writer = self._parquet[table] = pq.ParquetWriter(self.path(table), schema, compression="zstd")
        writer.write_table(data.to_arrow().cast(schema))

    def close(self) -> None:
        """Close every open file."""
        for handle in self._csv.values():
            handle.close()
        for writer in self._parquet.values():
            writer.close()
        self._csv.clear()
        self._parquet.clear()
