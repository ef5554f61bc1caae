"""The collection score's rows (``qingshou.risk.collection``): features equal a hand-computed example, the label
on hand examples (pays 29 days later = 1, 31 days later = 0), the observation days. No database."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import polars as pl
import pytest

from qingshou.risk import collection
from qingshou.risk.dataset import TARGET, TrainingSet
from qingshou.risk.features import (
    BORROWERS,
    CONTACTS,
    EARLIER_PAYMENTS,
    INSTALLMENTS,
    LOANS,
    PAYMENTS,
    PROMISES,
    StoreHistory,
)

DAY = date(2026, 6, 30)


def snapshot(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """Snapshot rows with the columns the features read (borrower sums computed here like the engine)."""
    frame = pl.DataFrame(
        rows,
        schema={
            "loan_id": pl.String(),
            "borrower_id": pl.String(),
            "product_id": pl.String(),
            "dpd": pl.Int32(),
            "bucket": pl.String(),
            "total_overdue_fen": pl.Int64(),
            "outstanding_principal_fen": pl.Int64(),
        },
    )
    return frame.with_columns(
        pl.col("dpd").max().over("borrower_id").alias("borrower_worst_dpd"),
        pl.col("total_overdue_fen").sum().over("borrower_id").alias("borrower_total_overdue_fen"),
        (pl.col("dpd") > 0).sum().over("borrower_id").cast(pl.Int32).alias("borrower_overdue_loans"),
    )


def history(  # payments: (borrower, loan, day, fen); contacts: (borrower, day, outcome, result)
    *,
    until: date = DAY,
    payments: Sequence[tuple[str, str, date, int]] = (),
    earlier: Sequence[tuple[str, date]] = (),
    contacts: Sequence[tuple[str, date, str, str]] = (),
    promises: Sequence[tuple[str, date, str, date | None]] = (),
    borrowers: Sequence[tuple[str, int | None, int | None, bool]] = (),
    loans: Sequence[tuple[str, date]] = (),
    installments: Sequence[tuple[str, date, int]] = (),
) -> StoreHistory:
    def frame(rows: Any, schema: dict[str, pl.DataType]) -> pl.DataFrame:
        return pl.DataFrame(list(rows), schema=schema, orient="row")

    # the store's query sums payments and allowed contacts per borrower and day: so does this helper
    paid = frame([(b, day, 1, fen) for b, _, day, fen in payments], PAYMENTS)
    paid = paid.group_by("borrower_id", "paid_on").agg(pl.col("payments").sum(), pl.col("amount_fen").sum())
    tried = frame(
        [
            (b, day, 1, int(result == "connected"))
            for b, day, outcome, result in contacts
            if outcome == "allow"
        ],
        CONTACTS,
    )
    tried = tried.group_by("borrower_id", "local_day").agg(
        pl.col("attempts").sum(), pl.col("connected").sum()
    )
    return StoreHistory(
        until=until,
        payments=paid.select(list(PAYMENTS)),
        earlier_payments=frame(earlier, EARLIER_PAYMENTS),
        contacts=tried.select(list(CONTACTS)),
        promises=frame(promises, PROMISES),
        borrowers=frame(borrowers, BORROWERS),
        loans=frame(loans, LOANS),
        installments=frame(installments, INSTALLMENTS),
    )


BOOK = snapshot(
    [
        # B1: two loans, L1 the lead (dpd 40), L2 current; B2 delinquent; B3 current (not in the population)
        {"loan_id": "L1", "borrower_id": "B1", "product_id": "CONS", "dpd": 40, "bucket": "M2",
         "total_overdue_fen": 300_00, "outstanding_principal_fen": 1_000_00},
        {"loan_id": "L2", "borrower_id": "B1", "product_id": "CARD", "dpd": 0, "bucket": "M0",
         "total_overdue_fen": 0, "outstanding_principal_fen": 500_00},
        {"loan_id": "L3", "borrower_id": "B2", "product_id": "CARD", "dpd": 5, "bucket": "M1",
         "total_overdue_fen": 100_00, "outstanding_principal_fen": 0},
        {"loan_id": "L4", "borrower_id": "B3", "product_id": "CONS", "dpd": 0, "bucket": "M0",
         "total_overdue_fen": 0, "outstanding_principal_fen": 800_00},
    ]
)  # fmt: skip

HISTORY = history(
    payments=[
        ("B1", "L1", DAY - timedelta(days=10), 50_00),  # in 30 and 90 days
        ("B1", "L2", DAY - timedelta(days=29), 25_00),  # the 30th day back: in the 30-day window
        ("B1", "L1", DAY - timedelta(days=30), 40_00),  # 31st day back: only in 90 days
        ("B1", "L1", DAY + timedelta(days=1), 999_00),  # after the day: never seen
        ("B2", "L3", DAY - timedelta(days=95), 10_00),  # outside 90 days, but the last payment
    ],
    earlier=[("B2", DAY - timedelta(days=200))],
    contacts=[
        ("B1", DAY - timedelta(days=1), "allow", "connected"),
        ("B1", DAY - timedelta(days=2), "allow", "no_answer"),
        ("B1", DAY - timedelta(days=3), "refuse", ""),  # refused by the check: not an attempt
        ("B1", DAY - timedelta(days=31), "allow", "connected"),  # too old
    ],
    promises=[
        ("B1", DAY - timedelta(days=20), "kept", DAY - timedelta(days=5)),
        ("B1", DAY - timedelta(days=15), "broken", DAY + timedelta(days=3)),  # evaluated later: unknown
        ("B1", DAY - timedelta(days=100), "broken", DAY - timedelta(days=90)),  # too old
        ("B2", DAY - timedelta(days=3), "pending", None),
    ],
    borrowers=[("B1", 640, 8_000_00, True), ("B2", None, None, False), ("B3", 700, 1, True)],
    loans=[("L1", date(2025, 1, 15)), ("L2", date(2025, 6, 1)), ("L3", date(2026, 6, 30)), ("L4", DAY)],
    installments=[
        ("L1", DAY - timedelta(days=1), 999_00),  # before the day
        ("L1", DAY, 2_000_00),  # due on the day: the next one (on or after the day)
        ("L1", DAY + timedelta(days=30), 2_000_00),
    ],
)


def test_features_equal_a_hand_computed_example() -> None:
    """B1 and B2 are delinquent (worst dpd ≥ 1, C3); B3 is not in the population. Every feature by hand."""
    rows = collection.features_on(DAY, BOOK, HISTORY)
    assert rows.get_column("borrower_id").to_list() == ["B1", "B2"]
    b1, b2 = rows.to_dicts()
    assert b1 == {
        "borrower_id": "B1",
        "lead_loan_id": "L1",
        "dpd": 40,
        "overdue_fen": 300_00,
        "outstanding_fen": 1_500_00,
        "overdue_ratio": pytest.approx(300 / 1500),
        "delinquent_loans": 1,
        "months_on_book": 17,  # 2025-01-15 → 2026-06-30
        "credit_score": 640,
        "income_ratio": pytest.approx(8000 / 2000),
        "payments_30d": 2,
        "payments_90d": 3,
        "paid_30d_ratio": pytest.approx(75 / 300),
        "paid_90d_ratio": pytest.approx(115 / 300),
        "days_since_payment": 10,
        "attempts_30d": 2,
        "connected_30d": 1,
        "promises_90d": 2,
        "kept_90d": 1,
        "broken_90d": 0,
        "contactable": 1,
        "bucket": "M2",
        "product": "CONS",
    }
    assert b2["overdue_ratio"] is None  # nothing outstanding
    assert b2["income_ratio"] is None  # income unknown, no installment left
    assert b2["credit_score"] is None
    assert (b2["payments_30d"], b2["payments_90d"], b2["paid_90d_ratio"]) == (0, 0, 0.0)
    assert b2["days_since_payment"] == 95  # the window's payment beats the earlier one
    assert (b2["promises_90d"], b2["kept_90d"], b2["broken_90d"]) == (1, 0, 0)
    assert (b2["contactable"], b2["months_on_book"]) == (0, 0)


def test_features_refuse_a_day_after_the_history() -> None:
    with pytest.raises(ValueError, match="history ends"):
        collection.features_on(DAY + timedelta(days=1), BOOK, HISTORY)


def label(paid_after: int | None, later_dpd: int | None) -> int:
    """The label of B1 (overdue ¥300 on DAY) paying ¥300 ``paid_after`` days later; ``later_dpd``: its worst
    dpd on the day + 30 snapshot (None: the lake has no such snapshot)."""
    payments = [] if paid_after is None else [("B1", "L1", DAY + timedelta(days=paid_after), 300_00)]
    known = history(until=DAY + timedelta(days=40), payments=payments)
    later = (
        None
        if later_dpd is None
        else pl.DataFrame(
            {"borrower_id": ["B1"], "borrower_worst_dpd": [later_dpd], "borrower_total_overdue_fen": [1]}
        )
    )
    borrowers = pl.DataFrame({"borrower_id": ["B1"], "overdue_fen": [300_00]})
    labels = collection.labels_on(DAY, borrowers, known, later)
    return int(labels.get_column(TARGET)[0])


def test_label_pays_within_30_days() -> None:
    """Pays the overdue 29 or 30 days later = 1; 31 days later = 0 (the snapshot of day+30 still delinquent)."""
    assert label(29, None) == 1
    assert label(30, None) == 1
    assert label(31, None) == 0
    assert label(31, 70) == 0
    assert label(None, None) == 0


def test_label_cured_on_the_later_snapshot() -> None:
    """Current (worst dpd 0) on the snapshot of day + 30 = 1 even without a payment seen (C3: dpd 0)."""
    assert label(None, 0) == 1
    assert label(None, 3) == 0


def test_label_partial_payment_is_not_enough() -> None:
    known = history(until=DAY + timedelta(days=30), payments=[("B1", "L1", DAY + timedelta(days=5), 299_99)])
    borrowers = pl.DataFrame({"borrower_id": ["B1"], "overdue_fen": [300_00]})
    assert collection.labels_on(DAY, borrowers, known, None).get_column(TARGET).to_list() == [0]


def test_observation_days() -> None:
    as_of = date(2026, 6, 30)
    lake = [as_of - timedelta(days=offset) for offset in range(0, 200)]
    days = collection.observation_days(as_of, 60, 7, lake)
    assert days == [
        date(2026, 5, 1),
        date(2026, 5, 8),
        date(2026, 5, 15),
        date(2026, 5, 22),
        date(2026, 5, 29),
    ]
    assert collection.observation_days(as_of, 60, 7, lake[:40]) == [date(2026, 5, 22), date(2026, 5, 29)]
    with pytest.raises(ValueError, match="days must be"):
        collection.observation_days(as_of, 20, 7, lake)


def training_rows() -> TrainingSet:
    days = [DAY - timedelta(days=60), DAY - timedelta(days=30)]
    known = history(
        until=DAY,
        payments=[("B1", "L1", days[0] + timedelta(days=3), 300_00)],
        borrowers=[("B1", 640, 8_000_00, True), ("B2", None, None, False)],
        loans=[("L1", date(2025, 1, 15)), ("L2", date(2025, 6, 1)), ("L3", date(2025, 6, 30))],
    )
    snapshots = {day: BOOK.with_columns(pl.lit(day).alias("as_of")) for day in days}
    rows = collection.rows_from(days, snapshots, {days[0]: None, days[1]: None}, known)
    return TrainingSet(
        kind="collection",
        rows=rows,
        numeric=collection.NUMERIC,
        categorical=collection.CATEGORICAL,
        event=collection.EVENT,
        event_zh=collection.EVENT_ZH,
        event_is_good=True,
        dataset="hand",
        time_split=True,
        labels=collection.LABELS,
    )


def test_training_rows_are_valid_and_deterministic() -> None:
    first, second = training_rows(), training_rows()
    first.check()
    assert first.rows.equals(second.rows)
    assert first.rows.get_column("row_id").to_list() == [
        "B1@2026-05-01",
        "B2@2026-05-01",
        "B1@2026-05-31",
        "B2@2026-05-31",
    ]
    assert first.rows.get_column(TARGET).to_list() == [1, 0, 0, 0]
    assert set(collection.LABELS) == set(collection.NUMERIC + collection.CATEGORICAL)
