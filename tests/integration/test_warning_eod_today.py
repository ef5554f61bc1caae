"""Early warning sees the day's promise evaluation (issue 8, ``-m db``): EOD evaluates the pending promises in
its compute steps and writes their statuses only at the end of the run, so ``watch borrowers`` overlays the
day's evaluation — a promise broken today fires ``broken_promise`` the same day, not the day after.
A promise with nothing paid from the day it was taken to its date is broken once the day after it ends (C1: a
day ends at midnight; the tests set ``QINGSHOU_PROMISES`` grace days to 0)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from eod_support import BOOK_DAY, NEEDS_KERNEL, SimulatedBook, lake, load_book, simulated_book

from qingshou.apps.eod.models import LoanStatus
from qingshou.apps.eod.services.run import run_eod
from qingshou.apps.loans.models import Payment
from qingshou.apps.notices.services.templates import load_default_templates
from qingshou.apps.warning.models import WatchEntry

pytestmark = [pytest.mark.db, pytest.mark.django_db(transaction=True), NEEDS_KERNEL]
__all__ = ["lake", "simulated_book"]  # fixtures

LOANS, SEED = 300, 11
DAY = BOOK_DAY


@pytest.fixture(autouse=True)
def templates() -> None:
    load_default_templates()


@pytest.fixture
def book(simulated_book: SimulatedBook, lake: Path) -> Path:
    folder = simulated_book(LOANS, SEED)
    load_book(folder)
    return folder


@pytest.fixture(autouse=True)
def no_grace(settings: Any) -> None:
    settings.QINGSHOU_PROMISES = {"tolerance_amount": "1.00", "tolerance_share": "0.01", "grace_days": 0}


def current_borrowers() -> list[str]:
    """Borrowers current on DAY (no delinquent loan, something owed), not watch-listed, with no cash payment
    in the last 5 days (nothing can keep a promise taken then)."""
    statuses = pl.DataFrame(
        list(
            LoanStatus.objects.filter(as_of=DAY).values(
                "loan__borrower_id", "delinquent", "payoff_amount_fen"
            )
        )
    ).rename({"loan__borrower_id": "borrower_id"})
    current = (
        statuses.group_by("borrower_id")
        .agg(pl.col("delinquent").any().alias("late"), (pl.col("payoff_amount_fen") > 0).any().alias("owes"))
        .filter(~pl.col("late") & pl.col("owes"))
    )
    listed = set(WatchEntry.objects.values_list("borrower_id", flat=True))
    listed |= set(
        Payment.objects.filter(kind="cash", paid_on__gte=DAY - timedelta(days=5)).values_list(
            "loan__borrower_id", flat=True
        )
    )
    return sorted(b for b in current.get_column("borrower_id").to_list() if b not in listed)


def test_a_promise_broken_today_fires_the_trigger_the_same_day(book: Path) -> None:
    from qingshou.apps.cases.models import Case, Promise

    run_eod(DAY)
    borrower = current_borrowers()[0]
    case = Case.objects.create(
        borrower_id=borrower,
        status="closed",
        opened_on=DAY - timedelta(days=20),
        closed_on=DAY - timedelta(days=10),
        close_reason="cured",
        updated_on=DAY - timedelta(days=10),
        lead_loan_id="",
    )
    promise = Promise.objects.create(
        case=case,
        amount_fen=100_000_000,  # more than any payment of the book: nothing keeps it
        taken_on=DAY - timedelta(days=3),
        due_on=DAY - timedelta(days=1),
        status="pending",
    )

    run_eod(DAY)  # the promise breaks today (due yesterday, unpaid)
    promise.refresh_from_db()
    assert (promise.status, promise.evaluated_on) == ("broken", DAY)
    entry = WatchEntry.objects.get(borrower_id=borrower)
    assert (entry.status, entry.opened_on, entry.trigger_list) == ("open", DAY, ["broken_promise"])

    run_eod(DAY)  # a rerun reads the stored status: the same single entry
    assert list(WatchEntry.objects.filter(borrower_id=borrower).values_list("status", "opened_on")) == [
        ("open", DAY)
    ]


def test_a_pending_promise_not_yet_due_fires_nothing(book: Path) -> None:
    from qingshou.apps.cases.models import Case, Promise

    run_eod(DAY)
    borrower = current_borrowers()[0]
    case = Case.objects.create(
        borrower_id=borrower,
        status="closed",
        opened_on=DAY - timedelta(days=20),
        closed_on=DAY - timedelta(days=10),
        close_reason="cured",
        updated_on=DAY - timedelta(days=10),
        lead_loan_id="",
    )
    Promise.objects.create(
        case=case, amount_fen=100_000_000, taken_on=DAY - timedelta(days=3), due_on=DAY + timedelta(days=5)
    )
    run_eod(DAY)
    assert not WatchEntry.objects.filter(borrower_id=borrower).exists()
