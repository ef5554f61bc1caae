"""The early-warning facts of an EOD day (issue 8; no database): the day's promise evaluation overlaid on the
stored broken promises (a promise broken today counts today, not the day after), and the as-of joins of
``risk.warning`` run without Polars' sortedness warning."""

from __future__ import annotations

import warnings
from datetime import date, timedelta

import polars as pl

from qingshou.risk import warning
from qingshou.risk.dataset import TARGET
from qingshou.risk.warning import Facts, features, label_rows, with_todays_promises

DAY = date(2026, 6, 30)


def stored(rows: list[dict[str, object]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=warning.STORED_PROMISES)


def broken(rows: list[dict[str, object]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=warning.PROMISES)


def test_a_promise_evaluated_broken_today_breaks_today() -> None:
    before = broken([{"borrower_id": "A", "broken_on": DAY - timedelta(days=10)}])
    open_promises = stored(
        [
            {"promise_id": 1, "borrower_id": "B", "status": "pending", "broken_on": DAY - timedelta(days=2)},
            {"promise_id": 2, "borrower_id": "C", "status": "pending", "broken_on": DAY + timedelta(days=5)},
            {"promise_id": 3, "borrower_id": "D", "status": "pending", "broken_on": DAY - timedelta(days=1)},
        ]
    )
    evaluated = pl.DataFrame(
        {"promise_id": [1, 2, 3], "status": ["broken", "pending", "partly_kept"]},
        schema={"promise_id": pl.Int64(), "status": pl.String()},
    )
    found = with_todays_promises(before, open_promises, evaluated, DAY).sort("borrower_id")
    assert found.rows() == [("A", DAY - timedelta(days=10)), ("B", DAY)]


def test_a_promise_stored_broken_is_not_counted_twice() -> None:
    """A stored broken promise with an instalment still pending is among the open ones too: counted once."""
    before = broken([{"borrower_id": "A", "broken_on": DAY - timedelta(days=3)}])
    open_promises = stored(
        [{"promise_id": 7, "borrower_id": "A", "status": "broken", "broken_on": DAY - timedelta(days=3)}]
    )
    evaluated = pl.DataFrame({"promise_id": [7], "status": ["broken"]})
    assert with_todays_promises(before, open_promises, evaluated, DAY).rows() == [
        ("A", DAY - timedelta(days=3))
    ]


def test_the_broken_promise_trigger_fires_on_the_day_of_the_evaluation() -> None:
    """The trigger (window (D − 90, D]) sees the overlay: B fires today, without it B would not."""
    snapshot = pl.DataFrame(
        {
            "loan_id": ["L-B"],
            "borrower_id": ["B"],
            "product_id": ["P1"],
            "payoff_amount_fen": [500_000],
            "delinquent": [False],
            "outstanding_principal_fen": [400_000],
        }
    )
    open_promises = stored(
        [{"promise_id": 1, "borrower_id": "B", "status": "pending", "broken_on": DAY - timedelta(days=1)}]
    )
    evaluated = pl.DataFrame({"promise_id": [1], "status": ["broken"]})
    loans = pl.DataFrame(
        {
            "loan_id": ["L-B"],
            "borrower_id": ["B"],
            "product_id": ["P1"],
            "principal_fen": [600_000],
            "disbursed_on": [date(2026, 1, 1)],
        }
    )
    without = features(snapshot, Facts.of(loans=loans), DAY)
    assert without.get_column("triggers").to_list() == [""]
    promises = with_todays_promises(broken([]), open_promises, evaluated, DAY)
    with_today = features(snapshot, Facts.of(loans=loans, promises=promises), DAY)
    assert with_today.get_column("triggers").to_list() == ["broken_promise"]


def test_the_as_of_joins_raise_no_sortedness_warning() -> None:
    """``installment_timing`` and ``label_rows`` join by loan / borrower on keys they sort themselves."""
    facts = Facts.of(
        loans=pl.DataFrame(
            {
                "loan_id": ["L2", "L1"],
                "borrower_id": ["B2", "B1"],
                "product_id": ["P1", "P1"],
                "principal_fen": [300, 300],
                "disbursed_on": [date(2026, 1, 1)] * 2,
            }
        ),
        installments=pl.DataFrame(
            {
                "loan_id": ["L2", "L1", "L2", "L1"],
                "due_date": [date(2026, 3, 1), date(2026, 2, 1), date(2026, 2, 1), date(2026, 3, 1)],
                "amount_fen": [100, 100, 100, 100],
            }
        ),
        payments=pl.DataFrame(
            {
                "loan_id": ["L1", "L2", "L1"],
                "paid_on": [date(2026, 3, 5), date(2026, 2, 1), date(2026, 2, 1)],
                "amount_fen": [100, 200, 100],
            }
        ),
    )
    rows = pl.DataFrame({"borrower_id": ["B2", "B1"], "as_of": [DAY, DAY - timedelta(days=30)]})
    bad = pl.DataFrame({"borrower_id": ["B1", "B2"], "bad_on": [DAY, DAY + timedelta(days=10)]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        timing = warning.installment_timing(facts, DAY, pl.Series(["L1", "L2"])).sort("loan_id", "due_date")
        labelled = label_rows(rows, bad).sort("borrower_id")
    assert timing.get_column("days_late").to_list() == [
        0,
        4,
        0,
        -28,
    ]  # L2 paid both on 1 Feb: the March one early
    assert labelled.get_column(TARGET).to_list() == [1, 1]


def timing_facts(payments: list[tuple[str, date, int]]) -> Facts:
    dues = [date(2026, 2, 1), date(2026, 3, 1), date(2026, 4, 1), date(2026, 5, 1)]
    return Facts.of(
        installments=pl.DataFrame(
            {
                "loan_id": ["L1"] * 4 + ["L2"] * 4,
                "due_date": dues * 2,
                "amount_fen": [100] * 8,
            }
        ),
        payments=pl.DataFrame(payments, schema=["loan_id", "paid_on", "amount_fen"], orient="row"),
    )


def test_c2_installment_timing_with_a_reversed_payment_and_unsorted_rows() -> None:
    """C2: an installment is on time when the cumulative cash covers the schedule by the end of its due date.
    A reversed payment (negative) takes the cover back; rows in any order give the same answer."""
    facts = timing_facts(
        [
            ("L1", date(2026, 3, 1), 100),
            ("L1", date(2026, 2, 5), -100),  # the payment of 1 Feb reversed
            ("L1", date(2026, 2, 1), 100),
            ("L1", date(2026, 2, 10), 100),
            ("L2", date(2026, 2, 1), 400),  # everything paid up front
        ]
    )
    timing = warning.installment_timing(facts, DAY, pl.Series(["L1", "L2"])).sort("loan_id", "due_date")
    assert timing.get_column("covered_on").to_list() == [
        date(2026, 2, 1),
        date(2026, 3, 1),
        None,
        None,
        *[date(2026, 2, 1)] * 4,
    ]
    assert timing.get_column("days_late").to_list() == [0, 0, 90, 60, 0, -28, -59, -89]


def test_installment_timing_keeps_the_last_installments_with_the_whole_schedule_counted() -> None:
    facts = timing_facts([("L1", date(2026, 2, 1), 200), ("L2", date(2026, 4, 3), 300)])
    every = warning.installment_timing(facts, DAY, pl.Series(["L1", "L2"])).sort("loan_id", "due_date")
    last = warning.installment_timing(facts, DAY, pl.Series(["L1", "L2"]), last=2).sort("loan_id", "due_date")
    expected = every.filter(pl.col("due_date") >= date(2026, 4, 1))
    assert last.equals(expected)
    assert last.get_column("days_late").to_list() == [90, 60, 2, 60]
