"""The risk steps of EOD (issue 8): the day's collection scores, a segment input of the strategy.

=====================  ======================================================================  ===========
step                   what it does                                                            kind
=====================  ======================================================================  ===========
score risk             when a collection model is active: the features of every borrower       compute
                       delinquent on the day (``risk.collection.features_on``, the store's
                       history of the last 90 days read in bulk, the book's cash payments,
                       the day's promise evaluation), scored by the scorecard;
                       ``collection_score`` (points) set on the strategy's borrower features
— inside the EOD store transaction —
write risk scores      the ``qs_risk_score`` rows of each scored kind replaced by the day's    write_store
=====================  ======================================================================  ===========

``score risk`` runs after ``read collection`` and ``evaluate promises`` and before ``plan collection``, so the
plan of the day reads the day's score. The active model's artifact is checked against its SHA-256
(``services.models.active_artifact``); one that fails is not used (logged, ``extras[SCORE_ERROR]``): the day
runs as without a model. Nothing changes when no model is active (the strategy sees a null
score: only ``is_null: true`` matches it), nor on a backfill day the collection skips.

The scores of a day are kept in ``context.extras[RISK_SCORES]``: a dict kind → ``DayScores``. Another model
kind (early warning) may put its own ``DayScores`` there; ``write risk scores`` writes every kind present.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Final

import polars as pl

from qingshou.apps.cases.services.daily import collection_of
from qingshou.apps.cases.services.promises import PROMISES, DayPromises
from qingshou.apps.scoring.models import ModelKind
from qingshou.apps.scoring.services.models import ModelError, active_artifact
from qingshou.risk import collection, scorecard
from qingshou.risk.features import read_history

if TYPE_CHECKING:
    from qingshou.apps.eod.services.run import EodContext

logger = logging.getLogger(__name__)

COMPUTE: Final = "compute"
WRITE_STORE: Final = "write_store"
#: ``context.extras`` key of the day's scores (kind → ``DayScores``).
RISK_SCORES: Final = "risk_scores"
#: ``context.extras`` key: why the active model was not used (its artifact failed the SHA-256 check).
SCORE_ERROR: Final = "risk_score_error"
#: How far back the features look (the longest window of ``risk.collection``).
LOOKBACK_DAYS: Final = 90

#: The day's scores of one kind, as ``qs_risk_score`` stores them (without ``kind`` / ``as_of``).
SCORES: Final = {
    "borrower_id": pl.String(),
    "loan_id": pl.String(),
    "points": pl.Int32(),
    "probability_ppm": pl.Int32(),
    "reasons": pl.String(),
}


@dataclass(frozen=True, slots=True)
class DayScores:
    """The scores of one kind of model for one day (``SCORES`` rows, one per borrower)."""

    kind: str
    as_of: date
    model_version: int
    scores: pl.DataFrame

    def summary(self) -> dict[str, Any]:
        """For the run's JSON: how many borrowers, which model version."""
        return {"kind": self.kind, "model_version": self.model_version, "scored": self.scores.height}


def score_frame(artifact: dict[str, Any], features: pl.DataFrame) -> pl.DataFrame:
    """``SCORES`` rows of the borrowers in ``features`` (``borrower_id``, ``lead_loan_id`` and the features)."""
    if features.height == 0:
        return pl.DataFrame(schema=SCORES)
    scored = scorecard.score(artifact, features)
    return pl.concat(
        [features.select("borrower_id", pl.col("lead_loan_id").alias("loan_id")), scored], how="horizontal"
    ).select([pl.col(name).cast(dtype) for name, dtype in SCORES.items()])


def with_scores(features: pl.DataFrame, scores: pl.DataFrame, column: str) -> pl.DataFrame:
    """The strategy's borrower features with ``column`` set to each scored borrower's points (others null)."""
    points = scores.select("borrower_id", pl.col("points").alias(column))
    order = features.columns
    return features.drop(column).join(points, on="borrower_id", how="left").select(order)


def book_cash(loans: pl.DataFrame, payments: pl.DataFrame) -> pl.DataFrame:
    """The book's cash payments with their borrower (``borrower_id``, ``paid_on``, ``amount_fen``): the
    book holds every payment already, so the features need not scan ``qs_payment`` again."""
    cash = payments.filter(pl.col("kind") == "cash") if "kind" in payments.columns else payments
    return (
        cash.select("loan_id", "paid_on", "amount_fen")
        .join(loans.select("loan_id", "borrower_id"), on="loan_id", how="inner")
        .select("borrower_id", "paid_on", "amount_fen")
    )


class ScoreRisk:
    """The day's collection scores (module docstring)."""

    name, kind = "score risk", COMPUTE

    def __call__(self, context: EodContext) -> None:
        state = collection_of(context)
        if state is None:
            return
        try:
            active = active_artifact(ModelKind.COLLECTION.value)
        except ModelError as error:  # a stored scorecard that no longer matches its SHA-256: not used
            logger.error("EOD %s: the active collection model is not used: %s", context.as_of, error)
            context.extras[SCORE_ERROR] = str(error)
            return
        if active is None:
            return
        model, artifact = active
        day, book = context.as_of, context.book
        evaluated = context.extras.get(PROMISES)  # today's promise statuses, written only at the end
        history = read_history(
            context.store,
            since=day - timedelta(days=LOOKBACK_DAYS),
            until=day,
            contacts_since=day - timedelta(days=collection.CONTACT_DAYS),
            loans=book.loans.select("loan_id", "disbursed_on"),
            installments=book.installments,
            cash=book_cash(book.loans, book.payments),
            evaluated=evaluated.promises if isinstance(evaluated, DayPromises) else None,
        )
        features = collection.features_on(day, context.require_snapshot(), history)
        if state.held.len():
            features = features.filter(~pl.col("borrower_id").is_in(state.held.implode()))
        scores = score_frame(artifact, features)
        found = context.extras.setdefault(RISK_SCORES, {})
        found[ModelKind.COLLECTION.value] = DayScores(
            ModelKind.COLLECTION.value, day, int(model.version), scores
        )
        state.features = with_scores(state.features, scores, "collection_score")


def day_scores(context: EodContext) -> dict[str, DayScores]:
    """The day's scores by kind (empty: nothing scored)."""
    found = context.extras.get(RISK_SCORES, {})
    return {kind: value for kind, value in found.items() if isinstance(value, DayScores)}


class WriteRiskScores:
    """``qs_risk_score``: the rows of each kind scored today replaced by the day's (bulk, in the EOD
    transaction); kinds not scored today are left as they are."""

    name, kind = "write risk scores", WRITE_STORE

    def __call__(self, context: EodContext) -> None:
        store = context.store
        for kind, scored in sorted(day_scores(context).items()):
            store.execute(f"DELETE FROM qs_risk_score WHERE kind = '{ModelKind(kind).value}'")
            store.append(
                "qs_risk_score",
                scored.scores.select(
                    "borrower_id",
                    pl.lit(kind).alias("kind"),
                    pl.lit(scored.as_of, pl.Date).alias("as_of"),
                    pl.col("loan_id").fill_null(""),
                    pl.lit(scored.model_version, pl.Int32).alias("model_version"),
                    "points",
                    "probability_ppm",
                    pl.col("reasons").fill_null("").str.slice(0, 500),
                ),
            )
