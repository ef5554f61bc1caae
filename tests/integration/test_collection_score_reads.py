"""The collection score's history as EOD reads it (issue 8, ``-m db``): the book's cash payments summed in
Polars (``features.cash_history``, no scan of ``qs_payment``) equal the store's set-based queries, and the
promises read for a window are those taken in it (C9: amounts stay integer fen)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest
from eod_support import BOOK_DAY, NEEDS_KERNEL, SimulatedBook, lake, load_book, simulated_book

from qingshou import config
from qingshou.apps.eod.book import read_book
from qingshou.apps.eod.services.run import run_eod
from qingshou.apps.notices.services.templates import load_default_templates
from qingshou.apps.scoring.services.eod import book_cash
from qingshou.risk.features import read_history
from qingshou.store import Store

pytestmark = [pytest.mark.db, pytest.mark.django_db(transaction=True), NEEDS_KERNEL]
__all__ = ["lake", "simulated_book"]  # fixtures

LOANS, SEED = 300, 23
DAY = BOOK_DAY


@pytest.fixture(autouse=True)
def templates() -> None:
    load_default_templates()


@pytest.fixture
def book(simulated_book: SimulatedBook, lake: Path) -> Path:
    load_book(simulated_book(LOANS, SEED))
    return lake


def test_the_book_cash_equals_the_payment_queries(book: Path) -> None:
    run_eod(DAY)
    with Store(config.adbc_uri()) as store:
        read = read_book(store)
        cash = book_cash(read.book.loans, read.book.payments)
        for since in (DAY - timedelta(days=90), None):
            queried = read_history(store, since=since, until=DAY)
            framed = read_history(store, since=since, until=DAY, cash=cash)
            assert queried.payments.height > 0
            for name in ("payments", "earlier_payments"):
                left, right = getattr(queried, name), getattr(framed, name)
                assert left.schema == right.schema, name
                assert left.sort(left.columns).equals(right.sort(right.columns)), name
    assert framed.earlier_payments.height == 0  # since=None: everything is in the window


def test_the_promises_read_are_those_taken_in_the_window(book: Path) -> None:
    from qingshou.apps.cases.models import Case, Promise
    from qingshou.apps.loans.models import Borrower

    run_eod(DAY)
    borrower = Borrower.objects.order_by("borrower_id").first()
    assert borrower is not None
    case = Case.objects.create(
        borrower_id=borrower.borrower_id,
        status="closed",
        opened_on=DAY - timedelta(days=200),
        closed_on=DAY - timedelta(days=10),
        close_reason="cured",
        updated_on=DAY - timedelta(days=10),
        lead_loan_id="",
    )
    for days in (0, 89, 90, 150):
        Promise.objects.create(
            case=case,
            amount_fen=10_000,
            taken_on=DAY - timedelta(days=days),
            due_on=DAY - timedelta(days=days) + timedelta(days=3),
        )
    with Store(config.adbc_uri()) as store:
        history = read_history(store, since=DAY - timedelta(days=90), until=DAY)
    taken = sorted(
        history.promises.filter(history.promises["borrower_id"] == borrower.borrower_id)["taken_on"].to_list()
    )
    assert DAY - timedelta(days=89) in taken
    assert DAY in taken
    assert not {DAY - timedelta(days=90), DAY - timedelta(days=150)} & set(taken)


def test_the_days_evaluation_counts_a_promise_broken_today(book: Path) -> None:
    """EOD writes the day's promise statuses at the end of the run: ``evaluated`` makes the features see them."""
    from qingshou.apps.cases.models import Case, Promise
    from qingshou.apps.loans.models import Borrower

    run_eod(DAY)
    borrower = Borrower.objects.order_by("-borrower_id").first()
    assert borrower is not None
    case = Case.objects.create(
        borrower_id=borrower.borrower_id,
        status="closed",
        opened_on=DAY - timedelta(days=20),
        closed_on=DAY - timedelta(days=10),
        close_reason="cured",
        updated_on=DAY - timedelta(days=10),
        lead_loan_id="",
    )
    promise = Promise.objects.create(
        case=case, amount_fen=10_000, taken_on=DAY - timedelta(days=5), due_on=DAY - timedelta(days=4)
    )
    evaluated = pl.DataFrame({"promise_id": [promise.pk], "status": ["broken"]})
    mine = pl.col("borrower_id") == borrower.borrower_id
    with Store(config.adbc_uri()) as store:
        stored = read_history(store, since=DAY - timedelta(days=90), until=DAY)
        today = read_history(store, since=DAY - timedelta(days=90), until=DAY, evaluated=evaluated)
    assert stored.promises.filter(mine).select("status", "evaluated_on").rows() == [("pending", None)]
    assert today.promises.filter(mine).select("status", "evaluated_on").rows() == [("broken", DAY)]
