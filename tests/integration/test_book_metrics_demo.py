"""The overdue book's metrics on the demo book of issue 7 (tests/report_support.py: 400 simulated loans, EOD
at four month-ends), read through the real store and lake: every table in its contract shape and the identities
that tie the tables together (kept apart from test_book_metrics_store.py, whose transactional tests flush the
database and would empty this module-scoped book).
"""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from qingshou.analytics.book import book_metrics, read_frames
from qingshou.analytics.contract import Metrics, check_table
from report_support import ReportBook, report_book

__all__ = ["report_book"]

pytestmark = [pytest.mark.db, pytest.mark.django_db]

JUNE = date(2026, 6, 1)


@pytest.fixture(scope="module")
def june(report_book: ReportBook) -> Metrics:
    return book_metrics(report_book.sources(JUNE, reserves_fen=1_000_000))


def values(metrics: Metrics) -> dict[str, int | float | None]:
    return {figure.key: figure.value for figure in metrics.figures}


def test_every_table_has_its_contract_shape_and_the_book_is_read(
    report_book: ReportBook, june: Metrics
) -> None:
    for table in june.tables.values():
        check_table(table)
    frames = read_frames(report_book.sources(JUNE))
    assert frames.history["as_of"].unique().sort().to_list() == list(report_book.month_ends)
    assert frames.loans.height >= frames.current.height > 0
    assert not june.tables["stock_by_bucket"].frame.is_empty()
    assert not june.tables["roll_rates"].frame.is_empty()


def test_the_stock_tables_add_up_to_the_figures(june: Metrics) -> None:
    """Buckets, classes, stages and every dimension hold the same book; provisions agree."""
    total = values(june)["total_balance_fen"]
    for key in ("stock_by_bucket", "stock_by_class", "stock_by_stage", "stock_by_product", "stock_by_branch"):
        assert june.tables[key].frame["balance_fen"].sum() == total, key
    provision = values(june)["reference_provision_fen"]
    assert june.tables["stock_by_class"].frame["provision_fen"].sum() == provision
    assert june.tables["stock_by_stage"].frame["provision_fen"].sum() == provision
    closing = dict(june.tables["credit_loss"].frame.rows())
    assert closing["closing"] == provision
    drivers = sum(v for k, v in closing.items() if k not in ("opening", "closing", "charge"))
    assert drivers == closing["charge"] == closing["closing"] - closing["opening"]
    assert values(june)["loan_provision_ratio"] == pytest.approx(1_000_000 / total)  # type: ignore[operator]


def test_roll_rates_of_each_bucket_add_up_to_one(june: Metrics) -> None:
    sums = june.tables["roll_rates"].frame.group_by("from_bucket").agg(pl.col("rate").sum())
    assert sums["rate"].to_list() == pytest.approx([1.0] * sums.height)


def test_vintage_curves_never_fall_and_first_month_has_no_flows(
    report_book: ReportBook, june: Metrics
) -> None:
    vintage = june.tables["vintage"].frame.sort("vintage", "months_on_book")
    falls = vintage.filter(
        (pl.col("dpd30_ever_ratio").diff().over("vintage") < 0)
        | (pl.col("dpd90_ever_ratio").diff().over("vintage") < 0)
    )
    assert falls.is_empty()
    assert (vintage["dpd30_ever_ratio"] >= vintage["dpd30_current_ratio"]).all()
    march = book_metrics(report_book.sources(report_book.months[0]))
    assert march.tables["roll_rates"].frame.is_empty()
    assert any("no previous month-end" in note.en for note in march.notes)
