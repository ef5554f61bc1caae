"""How the report shows an annual rate (issue 8): decimal strings (C9), exact percentages, and the contract's
check of a rate column; notes in both languages."""

from __future__ import annotations

from decimal import Decimal

import polars as pl
import pytest

from qingshou.analytics.contract import TABLES, Kind, Note, Table, check_table, empty_table
from qingshou.analytics.format import language, rate_percent, value_text
from qingshou.analytics.ops_plan import NO_RUNS_NOTE
from report_support import contract_table, pricing_row


@pytest.mark.parametrize(
    ("rate", "shown"),
    [("0.0725", "7.25%"), ("0.2400", "24.00%"), ("1.0700", "107.00%"), ("0.000125", "0.01%"), ("0", "0.00%")],
)
def test_a_rate_shows_as_an_exact_percentage(rate: str, shown: str) -> None:
    """C9: rates are decimal strings; a basis point shows exactly, anything finer half-up."""
    assert value_text(Kind.RATE, rate) == shown
    assert rate_percent(Decimal(rate)) == shown


def test_the_pricing_table_holds_rates_as_strings() -> None:
    """The pricing table's rate columns are ``Kind.RATE`` (String); a float or a non-number is refused."""
    kinds = {column.name: column.kind for column in TABLES["pricing"].columns}
    assert {name for name, kind in kinds.items() if kind is Kind.RATE} == {
        "expected_loss_rate",
        "funding_rate",
        "operating_rate",
        "margin_rate",
        "required_rate",
        "rate",
    }
    check_table(contract_table("pricing", [pricing_row("A", "0.0700", "approve")]))
    frame = empty_table("pricing").frame
    floats = frame.with_columns(pl.col("rate").cast(pl.Float64))
    with pytest.raises(ValueError, match="rate is Float64"):
        check_table(Table("pricing", floats))
    bad = contract_table("pricing", [pricing_row("A", "0.0700", "approve")]).frame.with_columns(
        pl.lit("7%").alias("rate")
    )
    with pytest.raises(ValueError, match="not a decimal string"):
        check_table(Table("pricing", bad))


def test_decisions_and_notes_in_both_languages() -> None:
    assert value_text(Kind.LABEL, "decline") == "拒绝（超出法定上限）"
    with language("en"):
        assert value_text(Kind.LABEL, "decline") == "decline"
    note = Note("本月未运行", "not run")
    assert (note.text("zh"), note.text("en")) == ("本月未运行", "not run")
    assert "每日计划" in NO_RUNS_NOTE.zh
    assert "daily plan" in NO_RUNS_NOTE.en
