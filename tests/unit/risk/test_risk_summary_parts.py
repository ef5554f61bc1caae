"""The risk part of the EOD summary (``apps.eod.services.risk_summary``, issue 8): borrowers scored per model
kind, watch list entries opened / kept / closed from the day's decisions, the plan's figures with money as
decimal strings (C9: never float money), and nothing for a part the day did not run. No database: the
context is a plain object with ``as_of`` and ``extras``."""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

import polars as pl

from qingshou.apps.eod.services.risk_summary import plan_figures, risk_summary, watch_counts
from qingshou.apps.planning.eod import PLAN_EXTRAS
from qingshou.apps.scoring.services.eod import RISK_SCORES, SCORE_ERROR, SCORES, DayScores
from qingshou.apps.warning.services.eod import MODEL_ERROR, WATCH
from qingshou.risk.warning import ENTRIES, WatchDay

DAY = date(2026, 3, 10)
BEFORE = DAY - timedelta(days=20)


def entries(rows: list[tuple[int | None, str, str, date, str]]) -> pl.DataFrame:
    """``ENTRIES`` rows from (id, borrower, status, opened_on, close_reason)."""
    return pl.DataFrame(
        [
            {
                **dict.fromkeys(ENTRIES),
                "id": entry_id,
                "borrower_id": borrower,
                "status": status,
                "opened_on": opened,
                "closed_on": DAY if status == "closed" else None,
                "close_reason": reason,
                "updated_on": DAY,
            }
            for entry_id, borrower, status, opened, reason in rows
        ],
        schema=ENTRIES,
    )


def watch_day(delete: list[int] | None = None) -> WatchDay:
    upsert = entries(
        [
            (None, "B1", "open", DAY, ""),  # new today
            (7, "B2", "open", DAY, ""),  # opened by an earlier run of the same day: still opened today
            (3, "B3", "open", BEFORE, ""),  # kept
            (4, "B4", "closed", BEFORE, "delinquent"),
            (5, "B5", "closed", BEFORE, "cured"),
            (6, "B6", "closed", BEFORE, "cured"),
        ]
    )
    return WatchDay(upsert=upsert, delete=delete or [], listed=pl.DataFrame())


def context(**extras: Any) -> Any:
    return SimpleNamespace(as_of=DAY, extras=extras)


def scores(borrowers: int) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "borrower_id": [f"B{n}" for n in range(borrowers)],
            "loan_id": [f"L{n}" for n in range(borrowers)],
            "points": [500] * borrowers,
            "probability_ppm": [100_000] * borrowers,
            "reasons": [""] * borrowers,
        },
        schema=SCORES,
    )


def test_watch_counts_opened_kept_closed() -> None:
    assert watch_counts(watch_day(delete=[9]), DAY) == {
        "opened": 2,
        "kept": 1,
        "closed": 3,
        "closed_by_reason": {"cured": 2, "delinquent": 1},
        "open": 3,
        "withdrawn": 1,
    }


def test_plan_figures_turn_fen_into_decimal_strings() -> None:
    """C9: amounts in JSON are decimal strings with two places, never floats."""
    figures = plan_figures(
        {
            "candidates": 40,
            "greedy_chosen": 30,
            "optimised_chosen": 31,
            "greedy_net_fen": 123_456,
            "optimised_net_fen": 130_001,
            "gain_fen": 6_545,
            "status": "OPTIMAL",
        }
    )
    assert figures == {
        "candidates": 40,
        "greedy_chosen": 30,
        "optimised_chosen": 31,
        "greedy_net": "1234.56",
        "optimised_net": "1300.01",
        "gain": "65.45",
        "status": "OPTIMAL",
    }
    assert plan_figures({"gain_fen": -5})["gain"] == "-0.05"


def test_the_summary_of_a_day_every_risk_step_ran() -> None:
    day = context(
        **{
            RISK_SCORES: {
                "collection": DayScores("collection", DAY, 3, scores(5)),
                "early_warning": DayScores("early_warning", DAY, 1, scores(2)),
            },
            WATCH: watch_day(),
            PLAN_EXTRAS: {"candidates": 2, "gain_fen": 100},
        }
    )
    summary = risk_summary(day)
    assert summary["scored"] == {
        "collection": {"model_version": 3, "borrowers": 5},
        "early_warning": {"model_version": 1, "borrowers": 2},
    }
    assert summary["watch_list"]["opened"] == 2
    assert summary["plan"] == {"candidates": 2, "gain": "1.00"}
    assert "model_errors" not in summary


def test_parts_the_day_did_not_run_are_left_out() -> None:
    assert risk_summary(context()) == {}
    only_watch = risk_summary(context(**{WATCH: watch_day()}))
    assert set(only_watch) == {"watch_list"}


def test_a_model_that_was_not_used_is_named() -> None:
    summary = risk_summary(
        context(**{SCORE_ERROR: "sha256 mismatch", MODEL_ERROR: "early_warning v1: unknown feature"})
    )
    assert summary == {
        "model_errors": {
            "collection": "sha256 mismatch",
            "early_warning": "early_warning v1: unknown feature",
        }
    }
