"""What the risk steps of EOD (issue 8) did on a day, for the run's JSON (``EodResult.risk``) and the text
output of ``qingshou eod``: the borrowers each model kind scored (``scoring.services.eod``), the watch list
entries opened, kept and closed (``warning.services.eod``), and the figures of the day's greedy and optimised
plans when ``plan day`` ran (``planning.eod``, ``QINGSHOU_PLAN_EOD``). A part the day did not run is left out:
an empty dict means no risk step did anything (no active model, the watch list not written, no plan).

=====================  =========================================================================================
key                    value
=====================  =========================================================================================
``scored``             kind → ``{"model_version", "borrowers"}`` (``collection``, ``early_warning``)
``model_errors``       kind → why its active model was not used (the day ran without it)
``watch_list``         ``opened`` (open, opened on the day), ``kept`` (open, opened before), ``closed`` (closed on
                       the day) with ``closed_by_reason``, ``open`` (= opened + kept), ``withdrawn`` (entries an
                       earlier run of the same day opened that no longer hold, deleted)
``plan``               ``candidates``, ``greedy_chosen``, ``optimised_chosen``, ``greedy_net``,
                       ``optimised_net``, ``gain`` (yuan, decimal strings), ``status`` (the optimiser's)
=====================  =========================================================================================

Borrowers the run held (a loan it could not compute) keep their entries untouched and are not counted.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

import polars as pl

from qingshou.apps.planning.eod import PLAN_EXTRAS
from qingshou.apps.scoring.models import ModelKind
from qingshou.apps.scoring.services.eod import SCORE_ERROR, day_scores
from qingshou.apps.warning.services.eod import MODEL_ERROR, watch_of
from qingshou.domain.money import from_fen, money_str
from qingshou.risk.warning import WatchDay

if TYPE_CHECKING:
    from qingshou.apps.eod.services.run import EodContext


def watch_counts(day: WatchDay, as_of: date) -> dict[str, Any]:
    """Entries opened / kept / closed by the day's decisions (``WatchDay.upsert``; module docstring)."""
    rows = day.upsert
    is_open = pl.col("status") == "open"
    opened = rows.filter(is_open & (pl.col("opened_on") == as_of)).height
    kept = rows.filter(is_open & (pl.col("opened_on") < as_of)).height
    closed = rows.filter(pl.col("status") == "closed")
    reasons = closed.group_by("close_reason").len().sort("close_reason")
    return {
        "opened": opened,
        "kept": kept,
        "closed": closed.height,
        "closed_by_reason": {str(reason): int(count) for reason, count in reasons.iter_rows()},
        "open": opened + kept,
        "withdrawn": len(day.delete),
    }


def plan_figures(extras: dict[str, Any]) -> dict[str, Any]:
    """The ``plan day`` step's figures with fen amounts as yuan decimal strings (``greedy_net_fen`` →
    ``greedy_net``)."""
    return {
        key.removesuffix("_fen"): money_str(from_fen(value)) if key.endswith("_fen") else value
        for key, value in extras.items()
    }


def risk_summary(context: EodContext) -> dict[str, Any]:
    """What the risk steps did on the run's day (module docstring)."""
    summary: dict[str, Any] = {}
    scored = day_scores(context)
    if scored:
        summary["scored"] = {
            kind: {"model_version": value.model_version, "borrowers": value.scores.height}
            for kind, value in sorted(scored.items())
        }
    errors = {
        kind: str(context.extras[key])
        for kind, key in (
            (ModelKind.COLLECTION.value, SCORE_ERROR),
            (ModelKind.EARLY_WARNING.value, MODEL_ERROR),
        )
        if context.extras.get(key)
    }
    if errors:
        summary["model_errors"] = errors
    watch = watch_of(context)
    if watch is not None:
        summary["watch_list"] = watch_counts(watch, context.as_of)
    plan = context.extras.get(PLAN_EXTRAS)
    if isinstance(plan, dict):
        summary["plan"] = plan_figures(plan)
    return summary
