"""The early-warning steps of EOD (issue 8).

=====================  ======================================================================  ===========
step                   what it does                                                            kind
=====================  ======================================================================  ===========
watch borrowers        the current borrowers' triggers and features (``risk.warning``) from    compute
                       the book and the store's promises (with the day's evaluation: a
                       promise broken today fires today), contact parties and external
                       events; the active early-warning model's scores (kept for ``write risk
                       scores``); the watch list rules of the day; ``warning_score`` and
                       ``watch_listed`` set on the strategy's borrower features
— inside the EOD store transaction —
write watch list       entries opened / updated / closed in bulk                                write_store
=====================  ======================================================================  ===========

``watch borrowers`` runs after ``score risk`` and before ``plan collection``, so the day's plan reads the day's
watch list; ``write watch list`` runs after ``write cases``. No active model: the rules alone (the score is
null); an active model that cannot score the day's features (trained on other columns) is logged and left
out, the rules still run. A backfill day the collection skips, or a day older than the latest watch list
day, changes nothing.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import TYPE_CHECKING, Final

import polars as pl

from qingshou.apps.cases.services.daily import collection_of
from qingshou.apps.cases.services.promises import PROMISES, DayPromises
from qingshou.apps.scoring.models import ModelKind, ScoreModel
from qingshou.apps.scoring.services.eod import RISK_SCORES, DayScores
from qingshou.apps.warning.services import warning_settings
from qingshou.risk import scorecard
from qingshou.risk.warning import (
    ENTRIES,
    SCORES,
    Facts,
    WatchDay,
    book_facts,
    features,
    read_open_promises,
    read_side_facts,
    watch_day,
    with_todays_promises,
)
from qingshou.store import Store

if TYPE_CHECKING:
    from qingshou.apps.eod.services.run import EodContext

logger = logging.getLogger(__name__)

COMPUTE: Final = "compute"
WRITE_STORE: Final = "write_store"
#: ``context.extras`` key of the day's watch list decisions (``risk.warning.WatchDay``).
WATCH: Final = "watch_list"
#: ``context.extras`` key: why the active early-warning model could not score the day (the rules ran alone).
MODEL_ERROR: Final = "early_warning_model_error"
_IDS_PER_STATEMENT: Final = 500


def _day(as_of: date) -> str:
    return f"'{as_of.isoformat()}'"


def read_entries(store: Store, as_of: date) -> pl.DataFrame:
    """Entries open on ``as_of``: status open, or closed on the day (by an earlier run of it)."""
    columns = ", ".join(ENTRIES)
    return store.read(
        f"SELECT {columns} FROM qs_watch_entry WHERE status = 'open' OR closed_on = {_day(as_of)}", ENTRIES
    )


def latest_watch_day(store: Store) -> date | None:
    """The latest day the watch list was written (None: never)."""
    found = store.read("SELECT MAX(updated_on) AS day FROM qs_watch_entry", {"day": pl.Date()})
    return found.get_column("day").max()  # type: ignore[return-value]


def model_scores(model: ScoreModel, today: pl.DataFrame) -> pl.DataFrame:
    """``risk.warning.SCORES`` of the borrowers in ``today`` by ``model``."""
    if today.height == 0:
        return pl.DataFrame(schema=SCORES)
    scored = scorecard.score(model.artifact, today)
    return pl.concat([today.select("borrower_id"), scored], how="horizontal").select(
        "borrower_id",
        "points",
        "probability_ppm",
        pl.col("reasons").fill_null(""),
        pl.lit(int(model.version), pl.Int32).alias("model_version"),
    )


def with_watch(features_frame: pl.DataFrame, listed: pl.DataFrame) -> pl.DataFrame:
    """The strategy's borrower features with ``warning_score`` and ``watch_listed`` of the day."""
    order = features_frame.columns
    return (
        features_frame.drop("warning_score", "watch_listed")
        .join(listed.select("borrower_id", "warning_score", "watch_listed"), on="borrower_id", how="left")
        .with_columns(pl.col("watch_listed").fill_null(False), pl.col("warning_score").cast(pl.Int32))
        .select(order)
    )


class WatchBorrowers:
    """Triggers, the model's scores and the watch list of the day (module docstring)."""

    name, kind = "watch borrowers", COMPUTE

    def __call__(self, context: EodContext) -> None:
        state = collection_of(context)
        if state is None:
            return
        store, as_of, book = context.store, context.as_of, context.book
        latest = latest_watch_day(store)
        if latest is not None and as_of < latest:
            return
        config = warning_settings()
        side = read_side_facts(
            store,
            promises_since=as_of - timedelta(days=config.promise_days),
            events_since=as_of - timedelta(days=config.event_days),
        )
        evaluated = context.extras.get(PROMISES)
        if isinstance(evaluated, DayPromises) and not evaluated.promises.is_empty():
            # today's statuses are written at the end of the run: a promise broken today counts today
            side["promises"] = with_todays_promises(
                side["promises"], read_open_promises(store), evaluated.promises, as_of
            )
        facts = Facts.of(**book_facts(book.loans, book.installments, book.payments), **side)
        snapshot = context.require_snapshot()
        today = features(snapshot, facts, as_of, config)
        if state.held.len():
            today = today.filter(~pl.col("borrower_id").is_in(state.held.implode()))
        model = ScoreModel.objects.filter(
            kind=ModelKind.EARLY_WARNING, status=ScoreModel.Status.ACTIVE
        ).first()
        scores = pl.DataFrame(schema=SCORES)
        if model is not None:
            try:
                scores = model_scores(model, today)
            except scorecard.ScorecardError as error:  # e.g. a model trained on other features
                logger.error("EOD %s: early-warning model v%s not used: %s", as_of, model.version, error)
                context.extras[MODEL_ERROR] = f"early_warning v{model.version}: {error}"
                model = None
        if model is not None:
            kept = context.extras.setdefault(RISK_SCORES, {})
            kept[ModelKind.EARLY_WARNING.value] = DayScores(
                ModelKind.EARLY_WARNING.value,
                as_of,
                int(model.version),
                scores.join(
                    today.select("borrower_id", pl.col("lead_loan_id").alias("loan_id")), on="borrower_id"
                ).select("borrower_id", "loan_id", "points", "probability_ppm", "reasons"),
            )
        day = watch_day(today, scores, snapshot, read_entries(store, as_of), as_of, config, state.held)
        context.extras[WATCH] = day
        state.features = with_watch(state.features, day.listed)


def watch_of(context: EodContext) -> WatchDay | None:
    """The day's watch list decisions (None: the step did nothing)."""
    found = context.extras.get(WATCH)
    return found if isinstance(found, WatchDay) else None


class WriteWatchList:
    """Entries opened / updated / closed (bulk, in the EOD transaction); entries an earlier run of the day
    opened that no longer hold are deleted."""

    name, kind = "write watch list", WRITE_STORE

    def __call__(self, context: EodContext) -> None:
        day = watch_of(context)
        if day is None:
            return
        write_watch_day(context.store, day)


def write_watch_day(store: Store, day: WatchDay) -> None:
    """Apply ``day`` to ``qs_watch_entry`` (closing before opening: one open entry per borrower)."""
    for start in range(0, len(day.delete), _IDS_PER_STATEMENT):
        ids = ", ".join(str(int(value)) for value in day.delete[start : start + _IDS_PER_STATEMENT])
        store.execute(f"DELETE FROM qs_watch_entry WHERE id IN ({ids})")
    stored = day.upsert.filter(pl.col("id").is_not_null())
    store.upsert("qs_watch_entry", stored.filter(pl.col("status") == "closed"), ["id"])
    store.upsert("qs_watch_entry", stored.filter(pl.col("status") == "open"), ["id"])
    new = day.upsert.filter(pl.col("id").is_null()).drop("id")
    store.append("qs_watch_entry", new.with_columns(pl.lit("").alias("review_note")))


def watch_summary(context: EodContext) -> dict[str, int]:
    """For the run's JSON: entries opened, closed and open after the day."""
    day = watch_of(context)
    if day is None:
        return {}
    rows = day.upsert
    return {
        "opened": int(rows.filter(pl.col("id").is_null()).height),
        "closed": int(rows.filter(pl.col("status") == "closed").height),
        "open": int(rows.filter(pl.col("status") == "open").height),
    }
