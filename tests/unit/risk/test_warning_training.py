"""The early-warning model's training rows (issue 8): observation days, the label (30+ dpd within 90 days, from
the lake's snapshots), point-in-time features, determinism, and a scorecard trained on them (no database)."""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest

from qingshou.lake.snapshots import SnapshotNotFound, write_snapshot
from qingshou.risk import scorecard, warning
from qingshou.risk.dataset import OBSERVED_ON, ROW_ID, TARGET
from qingshou.risk.warning import Facts, build_training_set

AS_OF = date(2026, 6, 30)
FIRST = date(2026, 3, 4)
#: Snapshots every 7 days from FIRST, and the day itself.
DAYS = sorted({FIRST + timedelta(days=7 * k) for k in range(17)} | {AS_OF})
BORROWERS = 60


def bad_day(number: int) -> date | None:
    """Borrowers 0..14 go 30+ dpd on 2026-05-13; borrower 15 on AS_OF; the rest never."""
    if number < 15:
        return date(2026, 5, 13)
    if number == 15:
        return AS_OF
    return None


def snapshot(day: date) -> pl.DataFrame:
    rows = []
    for number in range(BORROWERS):
        bad = bad_day(number)
        dpd = 35 if bad is not None and day >= bad else 0
        rows.append(
            {
                "as_of": day,
                "loan_id": f"L{number:03d}",
                "borrower_id": f"B{number:03d}",
                "product_id": "P1" if number % 2 else "P2",
                "dpd": dpd,
                "delinquent": dpd > 0,
                "payoff_amount_fen": 500_000,
                "outstanding_principal_fen": 450_000,
                "borrower_worst_dpd": dpd,
            }
        )
    return pl.DataFrame(rows)


def facts() -> Facts:
    rng = random.Random(5)
    loans, installments, payments, borrowers, events = [], [], [], [], []
    dues = [date(2025, 10 + k, 20) if k < 3 else date(2026, k - 2, 20) for k in range(12)]
    for number in range(BORROWERS):
        loan, borrower = f"L{number:03d}", f"B{number:03d}"
        bad = bad_day(number) is not None
        loans.append(
            {
                "loan_id": loan,
                "borrower_id": borrower,
                "product_id": "P1" if number % 2 else "P2",
                "principal_fen": 600_000,
                "disbursed_on": date(2025, 9, 20),
            }
        )
        for due in dues:
            installments.append({"loan_id": loan, "due_date": due, "amount_fen": 55_000})
            late = rng.randint(2, 9) if bad and rng.random() < 0.7 else 0
            payments.append({"loan_id": loan, "paid_on": due + timedelta(days=late), "amount_fen": 55_000})
        score = rng.randint(520, 640) if bad else rng.randint(600, 780)
        borrowers.append({"borrower_id": borrower, "credit_score": score, "monthly_income_fen": 800_000})
        if bad:
            events.append({"borrower_id": borrower, "kind": "court_record", "occurred_on": date(2026, 3, 1)})
    return Facts.of(
        loans=pl.DataFrame(loans),
        installments=pl.DataFrame(installments),
        payments=pl.DataFrame(payments),
        borrowers=pl.DataFrame(borrowers),
        events=pl.DataFrame(events),
    )


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("lake")
    for day in DAYS:
        write_snapshot(root, day, snapshot(day))
    return root


def test_observation_days_of_a_month_end_lake_are_its_month_ends() -> None:
    """A lake of month-ends only (the report's history): the default weekly step still finds them."""
    month_ends = [date(2025, m, 28) for m in range(1, 13)]
    assert warning.observation_days(month_ends, date(2025, 12, 31), 365, 7) == [
        date(2025, m, 28) for m in range(1, 10)
    ]
    assert warning.observation_days(month_ends, date(2025, 12, 31), 365, 60) == [
        date(2025, 3, 28),
        date(2025, 5, 28),
        date(2025, 7, 28),
        date(2025, 9, 28),
    ]  # fmt: skip — stepping back from the latest: Jan 28 is 59 days before Mar 28


def test_observation_days_step_back_from_90_days_before() -> None:
    assert warning.observation_days(DAYS, AS_OF, 120, 7) == [
        date(2026, 3, 4),
        date(2026, 3, 11),
        date(2026, 3, 18),
        date(2026, 3, 25),
        date(2026, 4, 1),
    ]


def test_rows_labels_and_contract(lake: Path) -> None:
    data = build_training_set(facts(), lake, as_of=AS_OF, days=120, every=7)
    data.check()
    assert (data.kind, data.event_is_good, data.time_split) == ("early_warning", False, True)
    assert data.rows.height == 5 * BORROWERS  # every borrower is current on every observation day
    target = {row_id: value for row_id, value in data.rows.select(ROW_ID, TARGET).iter_rows()}
    assert target["B000@2026-03-04"] == 1  # 30+ dpd on 05-13, 70 days later
    assert target["B015@2026-04-01"] == 1  # 30+ dpd on 06-30: exactly 90 days later
    assert target["B015@2026-03-25"] == 0  # 97 days later: outside the horizon
    assert target["B030@2026-04-01"] == 0
    assert data.rows.get_column(OBSERVED_ON).unique().len() == 5
    assert set(data.labels) >= set(data.features)


def test_features_are_point_in_time(lake: Path) -> None:
    """An event, a payment or a party after the observation day is not seen on that day."""
    base = facts()
    later = Facts.of(
        **{
            name: getattr(base, name)
            for name in ("loans", "installments", "borrowers", "promises", "parties")
        },
        payments=base.payments,
        events=pl.concat(
            [
                base.events,
                pl.DataFrame(
                    [{"borrower_id": "B030", "kind": "court_record", "occurred_on": date(2026, 3, 20)}]
                ),
            ]
        ),
    )
    rows = build_training_set(later, lake, as_of=AS_OF, days=120, every=7).rows
    seen = dict(
        rows.filter(pl.col(ROW_ID).str.starts_with("B030@")).select(ROW_ID, "events_court_record").iter_rows()
    )
    assert seen["B030@2026-03-18"] == 0
    assert seen["B030@2026-03-25"] == 1


def test_the_same_inputs_give_the_same_rows_and_the_same_scorecard(lake: Path) -> None:
    first = build_training_set(facts(), lake, as_of=AS_OF, days=120, every=7)
    second = build_training_set(facts(), lake, as_of=AS_OF, days=120, every=7)
    assert first.rows.equals(second.rows)
    one = scorecard.train(first, seed=3)
    two = scorecard.train(second, seed=3)
    assert json.dumps(one.artifact, sort_keys=True) == json.dumps(two.artifact, sort_keys=True)
    scored = scorecard.score(one.artifact, first.rows)
    probability = scored.get_column("probability_ppm").cast(pl.Float64)
    target = first.rows.get_column(TARGET)
    bad = float(probability.filter(target == 1).sum()) / int((target == 1).sum())
    good = float(probability.filter(target == 0).sum()) / int((target == 0).sum())
    assert bad > good  # the score ranks the bad outcome higher


def test_a_lake_without_a_labelled_horizon_is_refused(lake: Path) -> None:
    with pytest.raises(SnapshotNotFound):
        build_training_set(facts(), lake, as_of=AS_OF + timedelta(days=200))
