"""Helpers of the EOD integration tests: simulated books loaded into the store, the store's EOD rows and
the lake's bytes as comparable values, and the domain's quote as a snapshot row.

``simulated_book(loans, seed)`` writes a simulated extract once per test session (files are cheap to
reuse; the database is emptied after every transactional test, so each test loads it again).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from qingshou.apps.eod.models import EodError, EodRun, LoanStatus
from qingshou.apps.loans.models import Loan
from qingshou.apps.loans.services.load import load_extracts
from qingshou.domain.quote import Quote
from qingshou.engine import schema
from qingshou.lake import partition_path
from qingshou.simulate import SimulationConfig, simulate_book

#: The simulated books' day: payments up to it; the EOD days of the tests are this day and the ones before.
BOOK_DAY = date(2026, 6, 30)
TODAY = "2026-07-01"

SimulatedBook = Callable[[int, int], Path]

#: True when the columnar kernel's modules exist (they are written by other helpers of issue 3).
KERNEL_READY = all(
    importlib.util.find_spec(name) is not None
    for name in ("qingshou.engine.replay", "qingshou.engine.derive")
)
NEEDS_KERNEL = pytest.mark.skipif(
    not KERNEL_READY,
    reason="qingshou.engine.replay / qingshou.engine.derive do not exist yet: the polars kernel cannot run",
)


@pytest.fixture(scope="session")
def simulated_book(tmp_path_factory: pytest.TempPathFactory) -> SimulatedBook:
    """``simulated_book(loans, seed)``: the folder of a simulated extract as of ``BOOK_DAY`` (cached)."""
    folders: dict[tuple[int, int], Path] = {}

    def make(loans: int, seed: int) -> Path:
        if (loans, seed) not in folders:
            folder = tmp_path_factory.mktemp(f"book-{loans}-{seed}")
            simulate_book(SimulationConfig(loans=loans, seed=seed, as_of=BOOK_DAY), folder, workers=1)
            folders[loans, seed] = folder
        return folders[loans, seed]

    return make


@pytest.fixture
def lake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh lake (``QINGSHOU_LAKE``) and a pinned today (``QINGSHOU_TODAY``) for the test."""
    root = tmp_path / "lake"
    monkeypatch.setenv("QINGSHOU_LAKE", str(root))
    monkeypatch.setenv("QINGSHOU_TODAY", TODAY)
    return root


def load_book(folder: Path) -> None:
    """Load a simulated extract; every row must be accepted."""
    report = load_extracts(folder)
    assert report.exit_code == 0, report.as_json()


def status_rows() -> list[dict[str, Any]]:
    """Every ``LoanStatus`` row, by loan id."""
    return list(LoanStatus.objects.order_by("loan_id").values())


def error_rows() -> list[tuple[date, str, str, str]]:
    """Every ``EodError`` row as (as_of, loan_id, code, message) — ids and run ids left out."""
    return list(
        EodError.objects.order_by("as_of", "loan_id", "code").values_list(
            "as_of", "loan_id", "code", "message"
        )
    )


def runs() -> list[EodRun]:
    """Every run record, oldest first."""
    return list(EodRun.objects.order_by("id"))


def lake_files(root: Path, day: date) -> dict[str, bytes]:
    """The bytes of each file of the day's partition, by name."""
    return {path.name: path.read_bytes() for path in sorted(partition_path(root, day).iterdir())}


def lake_entries(root: Path) -> list[str]:
    """The names directly under ``<lake>/snapshots`` (hidden staging folders included)."""
    folder = root / "snapshots"
    return sorted(path.name for path in folder.iterdir()) if folder.is_dir() else []


def fen(amount: Any) -> int:
    """Yuan at fen precision → integer fen."""
    return int(amount.scaleb(2))


def quote_snapshot_row(quote: Quote, loan: Loan) -> dict[str, Any]:
    """The QUOTE_FIELDS of a snapshot row, as the domain's quote gives them."""
    row = {
        "as_of": quote.as_of,
        "loan_id": quote.loan_id,
        "borrower_id": loan.borrower_id,
        "product_id": loan.product_id,
        "dpd": quote.dpd,
        "delinquent": quote.delinquent,
        "bucket": quote.bucket,
        "classification": quote.classification.code,
        "stage": quote.stage,
        "limitation_start": quote.limitation.start,
        "limitation_expires_on": quote.limitation.expires_on,
        "limitation_unadjusted_on": quote.limitation.unadjusted_on,
        "limitation_calendar_confirmed": quote.limitation.calendar_confirmed,
    }
    for name in schema.QUOTE_FIELDS:
        if name.endswith("_fen"):
            row[name] = fen(getattr(quote, name.removesuffix("_fen")))
    assert set(row) == set(schema.QUOTE_FIELDS)
    return row
