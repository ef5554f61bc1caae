"""``qingshou eod`` and ``qingshou snapshot export`` in-process (click's runner) on SQLite and PostgreSQL:
the default day, ranges, engines, JSON contracts and the exit codes of the README (0, 1, 2, 3, 4)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from click.testing import CliRunner, Result
from eod_support import BOOK_DAY, SimulatedBook, lake, load_book, simulated_book

from qingshou.apps.eod.engines import ENGINES
from qingshou.apps.eod.models import EodRun, LoanStatus
from qingshou.apps.loans.models import Installment
from qingshou.cli import build
from qingshou.cli import eod as eod_cli
from qingshou.lake import read_snapshot

pytestmark = [pytest.mark.db, pytest.mark.django_db(transaction=True)]
__all__ = ["lake", "simulated_book"]  # fixtures

LOANS = 30


@pytest.fixture
def book(simulated_book: SimulatedBook, lake: Path) -> Path:
    load_book(simulated_book(LOANS, 5))
    return lake


def invoke(*args: str) -> Result:
    return CliRunner().invoke(build(), list(args))


def as_json(result: Result) -> dict[str, Any]:
    return json.loads(result.output)


def test_eod_defaults_to_yesterday_and_prints_json(book: Path) -> None:
    """No date: the day before today (QINGSHOU_TODAY 2026-07-01 → 2026-06-30); exit 0, a JSON summary."""
    result = invoke("eod", "--engine", "domain", "--json")
    assert result.exit_code == 0, result.output
    summary = as_json(result)
    assert (summary["status"], summary["exit_code"]) == ("succeeded", 0)
    [run] = summary["runs"]
    assert (run["as_of"], run["engine"], run["snapshot_rows"], run["error_count"]) == (
        BOOK_DAY.isoformat(),
        "domain",
        LOANS,
        0,
    )
    assert set(run["seconds"]) == {"read_store", "compute", "write_lake", "write_store"}
    assert sum(run["buckets"].values()) == LOANS
    assert LoanStatus.objects.count() == LOANS
    assert read_snapshot(book, BOOK_DAY).height == LOANS


def test_eod_range_runs_every_day_and_renders_tables(book: Path) -> None:
    """``--from/--to`` backfills day by day; the human output shows the runs, buckets and classes."""
    result = invoke("eod", "--from", "2026-06-28", "--to", "2026-06-30", "--engine", "domain")
    assert result.exit_code == 0, result.output
    assert "日终跑批 EOD" in result.output
    assert "2026-06-28" in result.output
    assert "账龄 buckets 2026-06-30" in result.output
    assert "五级分类" in result.output
    assert [run.as_of for run in EodRun.objects.order_by("id")] == [
        date(2026, 6, 28),
        date(2026, 6, 29),
        date(2026, 6, 30),
    ]


def test_eod_exit_code_3_when_some_loans_have_error_rows(book: Path) -> None:
    """A loan whose schedule is broken: the run succeeds, the loan is an error row, exit code 3."""
    Installment.objects.filter(loan_id="L000000002", seq=1).update(principal_due_fen=1)
    result = invoke("eod", "--as-of", "2026-06-30", "--engine", "domain", "--json")
    assert result.exit_code == 3, result.output
    summary = as_json(result)
    assert summary["status"] == "succeeded_with_errors"
    [run] = summary["runs"]
    assert run["error_count"] == 1
    assert run["errors"][0]["loan_id"] == "L000000002"
    assert run["errors"][0]["code"] == "invalid_schedule"
    human = invoke("eod", "--as-of", "2026-06-30", "--engine", "domain")
    assert human.exit_code == 3
    assert "L000000002" in human.output


@pytest.mark.parametrize(
    "args",
    [
        ("--as-of", "2026-07-02"),  # after today
        ("--from", "2026-06-30", "--to", "2026-06-29"),  # range backwards
        ("--as-of", "2026-06-30", "--from", "2026-06-29", "--to", "2026-06-30"),
        ("--from", "2026-06-29"),
        ("--as-of", "30/06/2026"),
        ("--engine", "abacus"),
        ("--engine", "domain", "--spark-master", "local[1]"),
    ],
)
def test_eod_unusable_arguments_exit_2_and_record_nothing(book: Path, args: tuple[str, ...]) -> None:
    result = invoke("eod", *args)
    assert result.exit_code == 2, result.output
    assert EodRun.objects.count() == 0


def test_eod_unexpected_failure_exits_1_and_is_recorded(book: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure inside the run: exit 1, the JSON names it, the run row says failed."""
    from qingshou.apps.eod.services import run as run_module

    def explode(store: object) -> None:
        raise OSError("store unreadable")

    monkeypatch.setattr(run_module, "read_book", explode)
    result = invoke("eod", "--as-of", "2026-06-30", "--engine", "domain", "--json")
    assert result.exit_code == 1, result.output
    summary = as_json(result)
    assert summary["status"] == "failed"
    assert "OSError: store unreadable" in summary["error"]
    assert EodRun.objects.get().status == EodRun.Status.FAILED


def test_snapshot_export_writes_the_day_and_exits_4_for_a_day_never_run(book: Path, tmp_path: Path) -> None:
    assert invoke("eod", "--as-of", "2026-06-30", "--engine", "domain", "--json").exit_code == 0
    out = tmp_path / "snapshot.parquet"
    result = invoke("snapshot", "export", "--as-of", "2026-06-30", "--out", str(out), "--json")
    assert result.exit_code == 0, result.output
    assert as_json(result) == {"as_of": "2026-06-30", "out": str(out), "rows": LOANS}
    assert pl.read_parquet(out).equals(read_snapshot(book, BOOK_DAY))
    missing = invoke("snapshot", "export", "--as-of", "2026-05-01", "--out", str(out))
    assert missing.exit_code == 4
    assert "no snapshot for 2026-05-01" in missing.output


def test_the_cli_offers_exactly_the_service_engines() -> None:
    assert eod_cli.ENGINES == ENGINES
