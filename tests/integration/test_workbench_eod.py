"""Promise evaluation as EOD steps (issue 5): ``EvaluatePromises`` evaluates with the book's payments and
puts today's broken count into the strategy's borrower features (so a promise broken today changes today's
plan); ``WritePromises`` writes the statuses inside the EOD store transaction (ADBC)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from qingshou import config
from qingshou.apps.cases.models import Promise, PromiseInstalment
from qingshou.apps.cases.services.daily import COLLECTION, Collection
from qingshou.apps.cases.services.inputs import BORROWER_FEATURES
from qingshou.apps.cases.services.promises import PROMISES, EvaluatePromises, WritePromises, take_promise
from qingshou.apps.eod.book import BookRead
from qingshou.apps.eod.services.run import EodContext, SharedInputs
from qingshou.engine import schema
from qingshou.engine.book import Book as EngineBook
from qingshou.store import Store
from workbench_book import DAY, Book, make_book

pytestmark = [pytest.mark.db, pytest.mark.django_db(transaction=True)]

EVALUATION_DAY = date(2026, 3, 16)


def engine_book(payments: list[tuple[str, str, date, int]]) -> EngineBook:
    """The two frames the steps read: loans (id, borrower) and payments."""
    loans = pl.DataFrame(
        {"loan_id": ["L1", "L2", "L3", "L4"], "borrower_id": ["B1", "B2", "B3", "B4"]},
        schema={"loan_id": pl.String(), "borrower_id": pl.String()},
    )
    paid = schema.with_defaults(
        pl.DataFrame(payments, schema=schema.PAYMENTS, orient="row"), schema.BOOK_PAYMENTS
    )
    empty = pl.DataFrame()
    return EngineBook(empty, loans, empty, paid, empty, empty)


def features() -> pl.DataFrame:
    """The strategy's borrower features as ``read collection`` left them (no broken promise yet)."""
    rows = [(b, 600, 500_000, "北京", True, 0, None, None, False) for b in ("B1", "B2", "B3", "B4")]
    return pl.DataFrame(rows, schema=BORROWER_FEATURES, orient="row")


def collection(frame: pl.DataFrame) -> Collection:
    none: Any = None
    return Collection(none, none, frame, none, none, none, none, pl.Series("borrower_id", [], pl.String()))


def test_eod_steps_evaluate_promises_feed_the_strategy_and_write_in_the_transaction(tmp_path: Path) -> None:
    book: Book = make_book()
    admin = book.users["admin"]
    due = date(2026, 3, 12)
    kept = take_promise(admin, book.cases["B1"].pk, [(due, Decimal("100.00"))], today=DAY)
    broken = take_promise(admin, book.cases["B2"].pk, [(due, Decimal("100.00"))], today=DAY)
    later = take_promise(admin, book.cases["B3"].pk, [(date(2026, 4, 1), Decimal("100.00"))], today=DAY)
    payments = [("L1", "P1", date(2026, 3, 12), 10_000), ("L2", "P2", date(2026, 3, 9), 10_000)]
    with Store(config.adbc_uri()) as store:
        context = EodContext(
            as_of=EVALUATION_DAY,
            run_id=0,
            engine="polars",
            kernel=None,  # type: ignore[arg-type]
            store=store,
            lake=tmp_path,
            shared=SharedInputs(book=BookRead(engine_book(payments), schema.empty(schema.ERRORS))),
            extras={COLLECTION: collection(features())},
        )
        EvaluatePromises()(context)
        state = context.extras[COLLECTION]
        broken_now = dict(state.features.select("borrower_id", "broken_promises").iter_rows())
        assert broken_now == {"B1": 0, "B2": 1, "B3": 0, "B4": 0}  # B2's payment predates the promise
        assert Promise.objects.get(pk=broken.pk).status == "pending"  # nothing written before the transaction
        with store.transaction():
            WritePromises()(context)
    statuses = {p.pk: (p.status, p.evaluated_on) for p in Promise.objects.all()}
    assert statuses[kept.pk] == ("kept", EVALUATION_DAY)
    assert statuses[broken.pk] == ("broken", EVALUATION_DAY)
    assert statuses[later.pk][0] == "pending"
    assert PromiseInstalment.objects.get(promise=kept).covered_fen == 10_000
    assert isinstance(context.extras[PROMISES].promises, pl.DataFrame)
