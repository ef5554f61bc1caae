"""EOD's compute step in worker processes (issue 3: the book in seconds on this machine's cores): with
``QINGSHOU_EOD_WORKERS=2`` the polars engine runs ``engine.parallel`` and the day's outputs — the lake's
snapshot, the loans' statuses, the error rows — are exactly those of the one-process run; the domain engine
never uses workers. On SQLite and PostgreSQL (``-m db``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from eod_support import BOOK_DAY, SimulatedBook, error_rows, lake, load_book, simulated_book, status_rows

from qingshou.apps.eod.services.run import run_eod
from qingshou.engine import kernel, parallel
from qingshou.lake import read_snapshot

pytestmark = [pytest.mark.db, pytest.mark.django_db(transaction=True)]
__all__ = ["lake", "simulated_book"]  # fixtures

LOANS, SEED = 40, 5


def _spy(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record the worker count of every ``parallel.compute`` call (which still runs for real)."""
    calls: list[int] = []
    real = parallel.compute

    def recorded(*args: Any, workers: int, **kwargs: Any) -> kernel.KernelResult:
        calls.append(workers)
        return real(*args, workers=workers, **kwargs)

    monkeypatch.setattr(parallel, "compute", recorded)
    return calls


def _statuses() -> list[dict[str, Any]]:
    return [
        {k: v for k, v in row.items() if k not in ("id", "run_id", "updated_at")} for row in status_rows()
    ]


def test_issue3_two_workers_write_the_day_of_one_process(
    simulated_book: SimulatedBook, lake: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_book(simulated_book(LOANS, SEED))
    calls = _spy(monkeypatch)
    monkeypatch.setenv(parallel.WORKERS_SETTING, "1")
    one = run_eod(BOOK_DAY, "polars")
    assert one.exit_code in (0, 3)
    alone = read_snapshot(lake, BOOK_DAY)
    statuses, errors = _statuses(), error_rows()
    assert calls == []
    monkeypatch.setenv(parallel.WORKERS_SETTING, "2")
    two = run_eod(BOOK_DAY, "polars")  # the same day again: replaced by the workers' result
    assert calls == [2]
    assert two.exit_code == one.exit_code
    assert read_snapshot(lake, BOOK_DAY).equals(alone)
    assert _statuses() == statuses
    assert error_rows() == errors
    assert alone.height == LOANS


def test_issue3_the_domain_engine_never_uses_workers(
    simulated_book: SimulatedBook, lake: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_book(simulated_book(12, SEED))
    calls = _spy(monkeypatch)
    monkeypatch.setenv(parallel.WORKERS_SETTING, "2")
    assert run_eod(BOOK_DAY, "domain").exit_code in (0, 3)
    assert calls == []
    assert read_snapshot(lake, BOOK_DAY).height == 12
