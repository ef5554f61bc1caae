"""The collection score's promise features on an EOD day (issue 8; no database): EOD evaluates the pending
promises before it scores and writes their statuses only at the end of the run; ``features.with_evaluation``
overlays the day's statuses so a promise kept or broken today counts today (``kept_90d`` / ``broken_90d``)."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from qingshou.risk.features import PROMISES, with_evaluation

DAY = date(2026, 6, 30)
ROWS = {"promise_id": pl.Int64(), **PROMISES}


def test_a_status_that_changed_today_is_evaluated_today() -> None:
    rows = pl.DataFrame(
        [
            (1, "A", DAY - timedelta(days=5), "pending", None),
            (2, "B", DAY - timedelta(days=9), "pending", None),
            (3, "C", DAY - timedelta(days=40), "broken", DAY - timedelta(days=30)),
            (4, "D", DAY - timedelta(days=2), "pending", None),
        ],
        schema=ROWS,
        orient="row",
    )
    evaluated = pl.DataFrame({"promise_id": [1, 2, 4, 99], "status": ["broken", "kept", "pending", "kept"]})
    found = with_evaluation(rows, evaluated, DAY).sort("promise_id")
    assert found.select("status", "evaluated_on").rows() == [
        ("broken", DAY),
        ("kept", DAY),
        ("broken", DAY - timedelta(days=30)),  # not evaluated today: as stored
        ("pending", None),  # unchanged: not re-dated
    ]
    assert found.height == rows.height


def test_an_unchanged_status_keeps_its_evaluation_day() -> None:
    rows = pl.DataFrame(
        [(1, "A", DAY - timedelta(days=5), "partly_kept", DAY - timedelta(days=1))], schema=ROWS, orient="row"
    )
    evaluated = pl.DataFrame({"promise_id": [1], "status": ["partly_kept"]})
    assert with_evaluation(rows, evaluated, DAY).get_column("evaluated_on").to_list() == [
        DAY - timedelta(days=1)
    ]
