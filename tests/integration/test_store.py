"""The ADBC store against the Django models: round trips, exact fen, upsert counts, one transaction (C9).

The ORM and ADBC open separate connections to the same database (``qingshou.config.adbc_uri()``), so
these tests are transactional.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from qingshou import config
from qingshou.apps.loans.models import Borrower, Installment, Loan, Payment, Product
from qingshou.store import Store

pytestmark = [pytest.mark.db, pytest.mark.django_db(transaction=True)]

#: Larger than 2^31 fen, the largest principal the format accepts (13 integer digits of yuan), and 1 fen.
BIG_FEN = 9_999_999_999_999_99
SCHEDULE = {"loan_id": pl.String, "seq": pl.Int64, "due_date": pl.Date, "principal_due_fen": pl.Int64}


def _loan(loan_id: str = "L1", principal_fen: int = BIG_FEN, rate: str = "0.12345678") -> Loan:
    product = Product.objects.get_or_create(product_id="P1")[0]
    borrower = Borrower.objects.get_or_create(borrower_id="B1", defaults={"name": "张三"})[0]
    return Loan.objects.create(
        loan_id=loan_id,
        borrower=borrower,
        product=product,
        principal_fen=principal_fen,
        annual_rate=Decimal(rate),
        disbursed_on=dt.date(2024, 1, 31),
        term_months=12,
        repayment_method="equal_installment",
    )


def test_c9_orm_rows_read_through_adbc_exactly() -> None:
    """C9: fen beyond 32 bits, dates and 8-decimal rates written by the ORM read back exactly via ADBC."""
    _loan()
    Payment.objects.create(payment_id="P1", loan_id="L1", paid_on=dt.date(2024, 2, 29), amount_fen=1)
    with Store(config.adbc_uri()) as store:
        loans = store.read(
            f"SELECT loan_id, principal_fen, {store.decimal_text('annual_rate', 8)}, disbursed_on FROM qs_loan",
            {
                "loan_id": pl.String,
                "principal_fen": pl.Int64,
                "annual_rate": pl.String,
                "disbursed_on": pl.Date,
            },
        )
        payments = store.read_table(
            "qs_payment", {"payment_id": pl.String, "paid_on": pl.Date, "amount_fen": pl.Int64}
        )
    assert loans.row(0) == ("L1", BIG_FEN, "0.12345678", dt.date(2024, 1, 31))
    assert payments.row(0) == ("P1", dt.date(2024, 2, 29), 1)


def test_c9_adbc_rows_read_through_the_orm_exactly() -> None:
    """C9: rows written in bulk by ADBC are the ORM's rows: integer fen, dates, no float anywhere."""
    _loan()
    frame = pl.DataFrame(
        {"loan_id": ["L1", "L1"], "seq": [1, 2], "due_date": [dt.date(2024, 2, 29), dt.date(2024, 3, 31)],
         "principal_due_fen": [BIG_FEN - 1, 1], "interest_due_fen": [0, 7]},
        schema=SCHEDULE | {"interest_due_fen": pl.Int64},
    )  # fmt: skip
    with Store(config.adbc_uri()) as store, store.transaction():
        result = store.upsert("qs_installment", frame, ("loan_id", "seq"))
    assert (result.staged, result.unchanged, result.written) == (2, 0, 2)
    rows = list(
        Installment.objects.order_by("seq").values_list("due_date", "principal_due_fen", "fee_due_fen")
    )
    assert rows == [(dt.date(2024, 2, 29), BIG_FEN - 1, 0), (dt.date(2024, 3, 31), 1, 0)]


def test_upsert_counts_unchanged_updates_changed_and_prunes_a_group() -> None:
    """Upsert by key: identical rows are unchanged, others updated; ``prune_by`` replaces the group."""
    _loan()
    first = pl.DataFrame(
        {"loan_id": ["L1"] * 3, "seq": [1, 2, 3], "due_date": [dt.date(2024, m, 1) for m in (2, 3, 4)],
         "principal_due_fen": [10, 20, 30]},
        schema=SCHEDULE,
    )  # fmt: skip
    second = first.head(2).with_columns(
        pl.when(pl.col("seq") == 2).then(25).otherwise(pl.col("principal_due_fen")).alias("principal_due_fen")
    )
    with Store(config.adbc_uri()) as store:
        with store.transaction():
            store.upsert(
                "qs_installment", first.with_columns(interest_due_fen=pl.lit(0, pl.Int64)), ("loan_id", "seq")
            )
        with store.transaction():
            result = store.upsert(
                "qs_installment",
                second.with_columns(interest_due_fen=pl.lit(0, pl.Int64)),
                ("loan_id", "seq"),
                prune_by="loan_id",
            )
    assert (result.staged, result.unchanged, result.written, result.deleted) == (2, 1, 1, 1)
    assert list(Installment.objects.order_by("seq").values_list("seq", "principal_due_fen")) == [
        (1, 10),
        (2, 25),
    ]


def test_insert_only_upsert_never_overwrites() -> None:
    """``update=False`` (payments are immutable, C5): a conflicting row is left as stored."""
    _loan()
    Payment.objects.create(payment_id="P1", loan_id="L1", paid_on=dt.date(2024, 2, 1), amount_fen=100)
    frame = pl.DataFrame(
        {"payment_id": ["P1", "P2"], "loan_id": ["L1", "L1"], "paid_on": [dt.date(2024, 2, 1)] * 2,
         "amount_fen": [999, 200], "channel": ["", ""], "source": ["load", "load"]},
    )  # fmt: skip
    with Store(config.adbc_uri()) as store, store.transaction():
        store.upsert("qs_payment", frame, ("payment_id",), update=False)
    assert dict(Payment.objects.values_list("payment_id", "amount_fen")) == {"P1": 100, "P2": 200}
    assert Payment.objects.get(payment_id="P2").created_at is not None


def test_a_failed_transaction_writes_nothing() -> None:
    """One transaction: when a write fails (a foreign key to no loan, checked at COMMIT), nothing is kept."""
    _loan()
    good = pl.DataFrame(
        {"loan_id": ["L1"], "seq": [1], "due_date": [dt.date(2024, 2, 1)], "principal_due_fen": [1]}
    )
    orphan = good.with_columns(pl.lit("NOPE").alias("loan_id"))
    with Store(config.adbc_uri()) as store, pytest.raises(Exception, match=r"(?i)foreign key"):
        _write_both(store, good, orphan)
    assert not Installment.objects.exists()


def _write_both(store: Store, good: pl.DataFrame, orphan: pl.DataFrame) -> None:
    """Two writes in one transaction; the second breaks a foreign key."""
    with store.transaction():
        store.upsert("qs_installment", good.with_columns(interest_due_fen=pl.lit(0)), ("loan_id", "seq"))
        store.upsert("qs_installment", orphan.with_columns(interest_due_fen=pl.lit(0)), ("loan_id", "seq"))


def test_adbc_uri_names_the_database_django_uses() -> None:
    """The ADBC URI follows pytest-django's test database (never the configured production one)."""
    from django.db import connection

    uri = config.adbc_uri()
    assert connection.settings_dict["NAME"] in uri
    assert "test_" in uri


@pytest.mark.django_db(transaction=False)
def test_the_load_refuses_to_run_inside_a_django_transaction(tmp_path: Path) -> None:
    """ADBC writes on its own connection: inside ``atomic`` the load would deadlock on SQLite, so it refuses."""
    from qingshou.apps.loans.services.load import load_extracts

    with pytest.raises(RuntimeError, match=r"outside transaction\.atomic"):
        load_extracts(str(tmp_path))


def test_a_django_read_inside_a_large_store_transaction_loses_nothing() -> None:
    """Two copies of SQLite in one process (ADBC's and Python's): a Django read while the store's transaction
    has more dirty pages than its cache once rolled back the pages spilled to the file (the 1M-loan EOD lost
    the day's new cases and the file went corrupt). The store keeps them unspilled: nothing is lost."""
    if config.database_settings()["ENGINE"] != "django.db.backends.sqlite3":
        pytest.skip("two SQLite libraries in one process: a SQLite-only hazard")
    _loan()
    rows = 20_000
    schedule = pl.DataFrame(
        {
            "loan_id": ["L1"] * rows,
            "seq": list(range(1, rows + 1)),
            "due_date": [dt.date(2024, 2, 1)] * rows,
            "principal_due_fen": [1] * rows,
            "interest_due_fen": [0] * rows,
        }
    )
    with Store(config.adbc_uri()) as store:
        store.execute("PRAGMA cache_size = 10")  # ten pages: a spill at once, if spilling were allowed
        with store.transaction():
            store.append("qs_installment", schedule)
            assert Loan.objects.count() == 1  # Django's own connection reads the file mid-transaction
            store.append("qs_installment", schedule.with_columns(pl.col("seq") + rows))
            assert store.read("SELECT COUNT(*) AS n FROM qs_installment")["n"][0] == 2 * rows
        assert store.read("PRAGMA quick_check").row(0)[0] == "ok"
    assert Installment.objects.count() == 2 * rows
