"""Early warning inside EOD (issue 8) on a simulated book (``-m db``): a current borrower with a court record
is watch-listed by EOD and gets the default strategy's pre-emptive reminder (segment ``watch_list``); without
the event they are not; a rerun of the day changes nothing; a backfill day changes nothing; an active
early-warning model scores the day (``qs_risk_score`` kind ``early_warning``, ``warning_score``)."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from eod_support import BOOK_DAY, NEEDS_KERNEL, SimulatedBook, lake, load_book, simulated_book

from qingshou.apps.cases.models import Action
from qingshou.apps.eod.models import LoanStatus
from qingshou.apps.eod.services.run import run_eod
from qingshou.apps.loans.models import Installment
from qingshou.apps.notices.services.templates import load_default_templates
from qingshou.apps.scoring.models import RiskScore, ScoreModel
from qingshou.apps.warning.models import WatchEntry
from qingshou.apps.warning.services.events import load_events
from qingshou.risk import scorecard, warning
from qingshou.risk.dataset import TrainingSet

pytestmark = [pytest.mark.db, pytest.mark.django_db(transaction=True), NEEDS_KERNEL]
__all__ = ["lake", "simulated_book"]  # fixtures

LOANS, SEED = 300, 11
DAY = BOOK_DAY


@pytest.fixture(autouse=True)
def templates() -> None:
    load_default_templates()


@pytest.fixture
def book(simulated_book: SimulatedBook, lake: Path) -> Path:
    folder = simulated_book(LOANS, SEED)
    load_book(folder)
    return folder


def current_due_in(days: int) -> list[str]:
    """Borrowers current on DAY (no delinquent loan, something owed) whose earliest next due date is DAY + days."""
    statuses = pl.DataFrame(
        list(
            LoanStatus.objects.filter(as_of=DAY).values(
                "loan_id", "loan__borrower_id", "delinquent", "payoff_amount_fen"
            )
        )
    ).rename({"loan__borrower_id": "borrower_id"})
    current = (
        statuses.group_by("borrower_id")
        .agg(pl.col("delinquent").any().alias("late"), (pl.col("payoff_amount_fen") > 0).any().alias("owes"))
        .filter(~pl.col("late") & pl.col("owes"))
    )
    dues = pl.DataFrame(
        list(Installment.objects.filter(due_date__gte=DAY).values("loan__borrower_id", "due_date"))
    ).rename({"loan__borrower_id": "borrower_id"})
    nearest = dues.group_by("borrower_id").agg(pl.col("due_date").min())
    found = current.join(nearest, on="borrower_id").filter(pl.col("due_date") == DAY + timedelta(days=days))
    return sorted(found.get_column("borrower_id").to_list())


def court_record(folder: Path, borrower_id: str) -> None:
    path = folder / "events.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["external_id", "borrower_id", "kind", "occurred_on", "source", "detail"])
        writer.writerow(
            [f"CR-{borrower_id}", borrower_id, "涉诉", (DAY - timedelta(days=10)).isoformat(), "法院", ""]
        )
    assert load_events(path).inserted == 1


def actions(borrower_id: str) -> list[tuple[Any, ...]]:
    return list(
        Action.objects.filter(as_of=DAY, borrower_id=borrower_id)
        .order_by("step")
        .values_list("segment", "action", "template", "queue", "priority")
    )


def entry_rows() -> list[tuple[Any, ...]]:
    return list(
        WatchEntry.objects.order_by("borrower_id", "opened_on").values_list(
            "borrower_id",
            "lead_loan_id",
            "status",
            "opened_on",
            "last_seen_on",
            "closed_on",
            "close_reason",
            "triggers",
            "rule_points",
            "points",
            "probability_ppm",
        )
    )


def test_a_court_record_puts_a_current_borrower_on_the_watch_list_and_plans_the_pre_due_sms(
    book: Path, tmp_path: Path
) -> None:
    run_eod(DAY)
    candidates = [b for b in current_due_in(7) if not WatchEntry.objects.filter(borrower_id=b).exists()]
    assert candidates, "the simulated book has a current borrower due in 7 days and not watch-listed"
    borrower = candidates[0]
    assert actions(borrower) == []  # the default strategy's other segments plan nothing 7 days before
    before = entry_rows()

    court_record(tmp_path, borrower)
    run_eod(DAY)  # the day again, now with the event
    entry = WatchEntry.objects.get(borrower_id=borrower)
    assert (entry.status, entry.opened_on, entry.last_seen_on) == ("open", DAY, DAY)
    assert "court_record" in entry.trigger_list
    assert entry.points is None  # no model: the rules alone
    assert actions(borrower) == [("watch_list", "sms", "reminder", "", 70)]
    assert [row for row in entry_rows() if row[0] != borrower] == before  # nobody else changed

    run_eod(DAY)  # a rerun leaves exactly what one run leaves
    assert WatchEntry.objects.filter(borrower_id=borrower).count() == 1
    assert actions(borrower) == [("watch_list", "sms", "reminder", "", 70)]


def test_the_call_two_days_before_and_a_backfill_changes_nothing(book: Path, tmp_path: Path) -> None:
    run_eod(DAY - timedelta(days=1))
    run_eod(DAY)
    due = [b for b in current_due_in(2) if not WatchEntry.objects.filter(borrower_id=b).exists()]
    assert due
    court_record(tmp_path, due[0])
    run_eod(DAY)
    assert actions(due[0]) == [("watch_list", "call", "", "early_warning", 80)]
    written = entry_rows()
    run_eod(DAY - timedelta(days=1))  # a backfill of an older day: the watch list stays as it was
    assert entry_rows() == written


def synthetic_set() -> TrainingSet:
    """A small training set over the warning features: low credit scores and late payments go bad."""
    rows = []
    for number in range(400):
        bad = number % 4 == 0
        rows.append(
            {
                **dict.fromkeys(warning.NUMERIC, 0),
                "row_id": f"r{number}",
                "credit_score": 560 + number % 60 if bad else 620 + number % 150,
                "days_late_max": number % 7 if bad else number % 2,
                "months_on_book": number % 24,
                "income_ratio": 2.0 + number % 5,
                "utilisation": 0.5,
                "days_late_mean": float(number % 3),
                "product_id": "P1",
                "target": int(bad),
            }
        )
    frame = pl.DataFrame(rows).with_columns(
        pl.col("income_ratio", "utilisation", "days_late_mean").cast(pl.Float64)
    )
    return TrainingSet(
        kind="early_warning",
        rows=frame,
        numeric=warning.NUMERIC,
        categorical=warning.CATEGORICAL,
        event=warning.EVENT,
        event_zh=warning.EVENT_ZH,
        event_is_good=False,
        dataset="synthetic",
    )


def activate_early_warning(data: TrainingSet) -> ScoreModel:
    """A scorecard trained on ``data`` (seed 1), stored as the active early-warning model v1 (the SHA-256 is
    not checked for this kind in EOD)."""
    trained = scorecard.train(data, seed=1)
    return ScoreModel.objects.create(
        kind="early_warning",
        version=1,
        status="active",
        dataset=data.dataset,
        seed=1,
        rows=trained.rows,
        events=trained.events,
        artifact=trained.artifact,
        artifact_sha256="0" * 64,
    )


def test_an_active_model_scores_current_borrowers(book: Path) -> None:
    activate_early_warning(synthetic_set())
    run_eod(DAY)
    scores = RiskScore.objects.filter(kind="early_warning")
    assert scores.count() > 0
    assert set(scores.values_list("as_of", flat=True)) == {DAY}
    assert scores.filter(model_version=1).count() == scores.count()
    delinquent = set(
        LoanStatus.objects.filter(as_of=DAY, delinquent=True).values_list("loan__borrower_id", flat=True)
    )
    assert not delinquent & set(scores.values_list("borrower_id", flat=True))  # current borrowers only
    for entry in WatchEntry.objects.filter(status="open"):
        assert entry.points is not None
        assert entry.model_version == 1
    high = scores.filter(probability_ppm__gte=200_000).values_list("borrower_id", flat=True)
    assert set(high) <= set(WatchEntry.objects.filter(status="open").values_list("borrower_id", flat=True))


def test_without_a_model_nothing_is_scored(book: Path) -> None:
    run_eod(DAY)
    assert not RiskScore.objects.filter(kind="early_warning").exists()
    assert not WatchEntry.objects.exclude(points=None).exists()


def test_dates_are_days(book: Path) -> None:
    run_eod(DAY)
    assert all(isinstance(row[3], date) for row in entry_rows())


def test_a_model_trained_on_other_features_is_left_out_and_the_rules_still_run(book: Path) -> None:
    from qingshou.risk.synthetic import synthetic_training_set

    activate_early_warning(synthetic_training_set("early_warning", rows=600, event_is_good=False))
    result = run_eod(DAY)
    assert result.status == "succeeded"
    assert not RiskScore.objects.filter(kind="early_warning").exists()
    assert WatchEntry.objects.filter(status="open").exists()  # the rules alone


def test_promises_and_contact_parties_in_the_store_fire_their_triggers(book: Path) -> None:
    """Triggers read the store's own rows: a promise broken 45 days ago on a closed case, and two contact
    parties added in the last 30 days besides the borrower's first (C8 does not apply: nobody is contacted)."""
    from datetime import UTC, datetime

    from qingshou.apps.cases.models import Case, Promise
    from qingshou.apps.contacts.models import ContactParty

    run_eod(DAY)
    free = [
        b
        for b in current_due_in(7) + current_due_in(12) + current_due_in(20)
        if not WatchEntry.objects.filter(borrower_id=b).exists()
    ]
    promiser, mover = free[0], free[1]
    case = Case.objects.create(
        borrower_id=promiser,
        status="closed",
        opened_on=DAY - timedelta(days=60),
        closed_on=DAY - timedelta(days=40),
        close_reason="cured",
        updated_on=DAY - timedelta(days=40),
        lead_loan_id="",
    )
    Promise.objects.create(
        case=case,
        amount_fen=10_000,
        due_on=DAY - timedelta(days=46),
        status="broken",
        evaluated_on=DAY - timedelta(days=45),
    )
    for days in (100, 3, 2):
        moment = datetime(DAY.year, DAY.month, DAY.day, 2, tzinfo=UTC) - timedelta(days=days)
        party = ContactParty.objects.create(borrower_id=mover, kind="third_party", phone=f"1390000{days:04d}")
        ContactParty.objects.filter(pk=party.pk).update(created_at=moment)
    run_eod(DAY)
    assert WatchEntry.objects.get(borrower_id=promiser).trigger_list == ["broken_promise"]
    assert WatchEntry.objects.get(borrower_id=mover).trigger_list == ["contact_changes"]


def test_the_store_facts_equal_the_book_and_feed_the_training_set(book: Path, lake: Path) -> None:
    """``read_facts`` (training) reads the same loans, installments and cash payments as EOD's book."""
    from qingshou import config
    from qingshou.apps.eod.book import read_book
    from qingshou.store import Store

    run_eod(DAY)
    with Store(config.adbc_uri()) as store:
        facts = warning.read_facts(store)
        read = read_book(store)
        data = warning.training_set(store, lake, as_of=DAY + timedelta(days=90), days=90, every=7)
    expected = warning.book_facts(read.book.loans, read.book.installments, read.book.payments)
    for name, frame in expected.items():
        stored = getattr(facts, name)
        assert stored.sort(stored.columns).equals(frame.sort(frame.columns)), name
    current = LoanStatus.objects.filter(as_of=DAY).values("loan__borrower_id").distinct().count()
    assert 0 < data.rows.height <= current
    assert data.rows.get_column("observed_on").unique().to_list() == [DAY]
