"""The collection score in EOD (issue 8) on a simulated book (``-m db``): past snapshots computed into the lake
without touching the store, the training set built from them, a scorecard trained and activated, then EOD
scores the day's delinquent borrowers (``qs_risk_score``) and the strategy routes them by score segment.
No active model, or a backfill day, changes nothing."""

from __future__ import annotations

from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from eod_support import BOOK_DAY, NEEDS_KERNEL, SimulatedBook, lake, load_book, simulated_book

from qingshou import config
from qingshou.apps.cases.models import Action, Case
from qingshou.apps.contacts.models import ContactAttempt
from qingshou.apps.eod.models import EodRun, LoanStatus
from qingshou.apps.eod.services.run import run_eod
from qingshou.apps.loans.models import Payment
from qingshou.apps.notices.services.templates import load_default_templates
from qingshou.apps.scoring.models import ModelKind, RiskScore, ScoreModel
from qingshou.apps.scoring.services.history import fill_history, wanted_days
from qingshou.apps.scoring.services.models import artifact_sha256
from qingshou.apps.scoring.services.scores import borrower_score, summary
from qingshou.apps.strategy.services import apply_strategy, validate_text
from qingshou.lake import read_snapshot, snapshot_dates
from qingshou.risk import collection, scorecard
from qingshou.risk.features import read_history
from qingshou.store import Store

pytestmark = [pytest.mark.db, pytest.mark.django_db(transaction=True), NEEDS_KERNEL]

__all__ = ["lake", "simulated_book"]  # fixtures

LOANS, SEED = 400, 23
DAY = BOOK_DAY
TRAIN_AS_OF = DAY - timedelta(days=1)
FIRST = TRAIN_AS_OF - timedelta(days=150)
LOW, HIGH = 460, 520  # the thresholds of examples/score_driven.yaml


@pytest.fixture(autouse=True)
def templates() -> None:
    load_default_templates()


@pytest.fixture
def book(simulated_book: SimulatedBook, lake: Path) -> Path:
    load_book(simulated_book(LOANS, SEED))
    return lake


def example_text() -> str:
    return (
        resources.files("qingshou").joinpath("strategies", "examples", "score_driven.yaml").read_text("utf-8")
    )


def store_counts() -> tuple[int, ...]:
    return (EodRun.objects.count(), LoanStatus.objects.count(), Case.objects.count(), Action.objects.count())


def train_and_activate(lake_root: Path) -> ScoreModel:
    with Store(config.adbc_uri()) as store:
        fill_history(store, lake_root, FIRST, TRAIN_AS_OF, every=14)
        data = collection.training_set(store, lake_root, as_of=TRAIN_AS_OF, days=150, every=14)
    trained = scorecard.train(data, seed=7)
    return ScoreModel.objects.create(
        kind=ModelKind.COLLECTION,
        version=1,
        status=ScoreModel.Status.ACTIVE,
        dataset=data.dataset,
        seed=7,
        rows=trained.rows,
        events=trained.events,
        artifact=trained.artifact,
        artifact_sha256=artifact_sha256(trained.artifact),
        metrics={},
    )


def segment_of(points: int | None) -> str:
    if points is None:
        return "unscored"
    if points <= LOW:
        return "low_score"
    if points >= HIGH:
        return "high_score"
    return "middle"


def test_history_fills_the_lake_without_touching_the_store(book: Path) -> None:
    before = store_counts()
    with Store(config.adbc_uri()) as store:
        result = fill_history(store, book, DAY - timedelta(days=60), DAY - timedelta(days=1), every=14)
        again = fill_history(store, book, DAY - timedelta(days=60), DAY - timedelta(days=1), every=14)
    wanted = wanted_days(DAY - timedelta(days=60), DAY - timedelta(days=1), 14)
    assert list(result.computed) == wanted
    assert snapshot_dates(book) == wanted
    assert again.computed == ()
    assert list(again.present) == wanted
    assert store_counts() == before
    # a computed day equals what EOD writes into the lake for that day
    day = wanted[-1]
    computed = read_snapshot(book, day)
    run_eod(day)
    assert read_snapshot(book, day).sort("loan_id").equals(computed.sort("loan_id"))


def test_training_set_is_deterministic_and_labelled(book: Path) -> None:
    with Store(config.adbc_uri()) as store:
        fill_history(store, book, FIRST, TRAIN_AS_OF, every=14)
        first = collection.training_set(store, book, as_of=TRAIN_AS_OF, days=150, every=14)
        second = collection.training_set(store, book, as_of=TRAIN_AS_OF, days=150, every=14)
    first.check()
    assert first.rows.equals(second.rows)
    assert first.kind == "collection"
    assert first.time_split
    assert first.event_is_good
    assert 0 < first.events < first.rows.height
    assert set(first.labels) == set(first.features)
    trained = [scorecard.train(first, seed=3).artifact for _ in range(2)]
    assert trained[0] == trained[1]


def test_no_active_model_changes_nothing(book: Path) -> None:
    apply_strategy(example_text(), by="test")
    run_eod(DAY)
    assert not RiskScore.objects.exists()
    segments = set(Case.objects.values_list("segment", flat=True))
    assert segments == {"unscored"}


def test_eod_scores_the_day_and_the_strategy_routes_by_score(book: Path) -> None:
    validate_text(example_text())
    model = train_and_activate(book)
    apply_strategy(example_text(), by="test")
    result = run_eod(DAY)
    assert "score risk" in result.step_seconds
    assert "write risk scores" in result.step_seconds
    snapshot = read_snapshot(book, DAY)
    delinquent = set(snapshot.filter(pl.col("borrower_worst_dpd") >= 1).get_column("borrower_id").to_list())
    rows = {row.borrower_id: row for row in RiskScore.objects.filter(kind="collection")}
    assert set(rows) == delinquent
    assert {(row.as_of, row.model_version) for row in rows.values()} == {(DAY, model.version)}
    # the stored points are the scorecard's on the day's features
    with Store(config.adbc_uri()) as store:
        history = read_history(store, since=DAY - timedelta(days=90), until=DAY)
    features = collection.features_on(DAY, snapshot, history)
    expected = pl.concat(
        [features.select("borrower_id"), scorecard.score(model.artifact, features)], how="horizontal"
    )
    for borrower_id, points, ppm, reasons in expected.iter_rows():
        stored = rows[borrower_id]
        assert (stored.points, stored.probability_ppm, stored.reasons) == (points, ppm, reasons)
    # routing: each open case's segment is the score's segment
    cases = list(Case.objects.filter(status="open").values_list("borrower_id", "segment"))
    assert cases
    for borrower_id, segment in cases:
        score = rows.get(borrower_id)
        assert segment == segment_of(score.points if score else None), borrower_id
    seen = {segment for _, segment in cases}
    assert len(seen - {"unscored"}) >= 2, seen
    # and the actions follow the segment's path: high scores get SMS only
    actions: dict[str, set[str]] = {}
    for borrower_id, segment, action in Action.objects.filter(as_of=DAY).values_list(
        "borrower_id", "segment", "action"
    ):
        assert segment == segment_of(rows[borrower_id].points if borrower_id in rows else None)
        actions.setdefault(segment, set()).add(action)
    assert actions.get("high_score", {"sms"}) <= {"sms"}
    shown: Any = borrower_score(cases[0][0]) if cases[0][0] in rows else None
    if shown is not None:
        assert shown.points == rows[cases[0][0]].points
        assert all(reason.zh and reason.en for reason in shown.reasons)
    summed = summary("collection", top=5)
    assert summed.count == len(rows)
    assert sum(b.count for b in summed.bands) == len(rows)
    assert [a.points for a in summed.bottom] == sorted(a.points for a in summed.bottom)


def test_a_backfill_day_scores_nothing(book: Path) -> None:
    train_and_activate(book)
    apply_strategy(example_text(), by="test")
    run_eod(DAY)
    before = sorted(RiskScore.objects.values_list("borrower_id", "as_of", "points"))
    assert before
    run_eod(DAY - timedelta(days=1))  # older than the latest collection day: skipped
    assert sorted(RiskScore.objects.values_list("borrower_id", "as_of", "points")) == before


def test_the_history_sums_payments_and_contacts_per_borrower_and_day(book: Path) -> None:
    """The store's set-based reads equal the rows counted one by one through the ORM."""
    apply_strategy(example_text(), by="test")
    run_eod(DAY)
    since = DAY - timedelta(days=90)
    with Store(config.adbc_uri()) as store:
        history = read_history(store, since=since, until=DAY)
    paid: dict[tuple[str, Any], list[int]] = {}
    for payment in Payment.objects.filter(kind="cash", paid_on__gt=since, paid_on__lte=DAY).select_related(
        "loan"
    ):
        entry = paid.setdefault((payment.loan.borrower_id, payment.paid_on), [0, 0])
        entry[0] += 1
        entry[1] += payment.amount_fen
    assert paid
    assert {(b, d): [n, fen] for b, d, n, fen in history.payments.iter_rows()} == paid
    tried: dict[tuple[str, Any], list[int]] = {}
    for attempt in ContactAttempt.objects.filter(outcome="allow", local_day__gt=since, local_day__lte=DAY):
        entry = tried.setdefault((attempt.borrower_id, attempt.local_day), [0, 0])
        entry[0] += 1
        entry[1] += int(attempt.result == "connected")
    assert {(b, d): [n, c] for b, d, n, c in history.contacts.iter_rows()} == tried
    earlier = dict(history.earlier_payments.iter_rows())
    for borrower_id, last in list(earlier.items())[:20]:
        assert last <= since
        assert not Payment.objects.filter(
            loan__borrower_id=borrower_id, kind="cash", paid_on__gt=last, paid_on__lte=since
        ).exists()


def test_a_tampered_model_is_not_used(book: Path) -> None:
    """An active model whose stored scorecard no longer matches its SHA-256 scores nothing; EOD still runs."""
    model = train_and_activate(book)
    artifact = dict(model.artifact)
    artifact["base"] = artifact["base"] + 100
    ScoreModel.objects.filter(pk=model.pk).update(artifact=artifact)
    apply_strategy(example_text(), by="test")
    result = run_eod(DAY)
    assert result.status == "succeeded"
    assert not RiskScore.objects.exists()
    assert set(Case.objects.values_list("segment", flat=True)) == {"unscored"}
