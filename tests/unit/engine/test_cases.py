"""Cases from the snapshot (engine.cases): open on the first delinquent day (C3), close on cure or settlement,
keep, reopen and drop on reruns; borrowers with an uncomputed loan are held."""

from __future__ import annotations

from datetime import date

import polars as pl

from qingshou.engine.cases import OPEN_CASES, borrower_state, case_day

D = date(2025, 6, 30)


def snapshot(*rows: tuple[str, str, int, bool, int, int]) -> pl.DataFrame:
    """Rows of (borrower, loan, dpd, delinquent, total overdue fen, payoff fen)."""
    return pl.DataFrame(
        rows,
        schema={
            "borrower_id": pl.String,
            "loan_id": pl.String,
            "dpd": pl.Int32,
            "delinquent": pl.Boolean,
            "total_overdue_fen": pl.Int64,
            "payoff_amount_fen": pl.Int64,
        },
        orient="row",
    )


def cases(*rows: tuple[int, str, date, date | None]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=OPEN_CASES, orient="row")


def test_lead_loan_is_the_worst_then_the_largest_then_the_first_id() -> None:
    state = borrower_state(
        snapshot(
            ("B1", "L2", 40, True, 500, 9_000),
            ("B1", "L1", 40, True, 500, 9_000),
            ("B1", "L3", 40, True, 900, 9_000),
            ("B1", "L4", 10, True, 5_000, 9_000),
            ("B2", "L5", 0, False, 0, 0),
        )
    )
    assert state.row(0, named=True) == {
        "borrower_id": "B1",
        "lead_loan_id": "L3",
        "worst_dpd": 40,
        "delinquent_loans": 4,
        "total_overdue_fen": 6_900,
        "owed_fen": 36_000,
    }
    assert state.row(1, named=True)["delinquent_loans"] == 0


def test_c3_a_case_opens_on_the_first_delinquent_day_only_when_none_is_open() -> None:
    day = case_day(
        snapshot(("B1", "L1", 1, True, 100, 10_000), ("B2", "L2", 5, True, 100, 10_000)),
        cases((7, "B2", date(2025, 6, 26), None)),
        D,
    )
    assert day.opened.select("borrower_id", "opened_on", "status", "case_id").rows() == [
        ("B1", D, "open", None)
    ]
    assert day.kept.select("case_id", "borrower_id", "opened_on", "updated_on").rows() == [
        (7, "B2", date(2025, 6, 26), D)
    ]


def test_a_loan_in_grace_is_not_delinquent_and_opens_no_case() -> None:
    """C2/C3: past the due date but within grace — dpd may count, ``delinquent`` is false."""
    day = case_day(snapshot(("B1", "L1", 2, False, 100, 10_000)), cases(), D)
    assert day.opened.is_empty()


def test_close_cured_when_a_balance_remains_and_settled_when_nothing_is_owed() -> None:
    day = case_day(
        snapshot(("B1", "L1", 0, False, 0, 50_000), ("B2", "L2", 0, False, 0, 0)),
        cases((1, "B1", date(2025, 6, 1), None), (2, "B2", date(2025, 6, 1), None)),
        D,
    )
    assert day.closed.select("case_id", "status", "closed_on", "close_reason").rows() == [
        (1, "closed", D, "cured"),
        (2, "closed", D, "settled"),
    ]


def test_every_loan_must_be_cured_before_the_case_closes() -> None:
    day = case_day(
        snapshot(("B1", "L1", 0, False, 0, 50_000), ("B1", "L2", 31, True, 700, 50_000)),
        cases((1, "B1", date(2025, 6, 1), None)),
        D,
    )
    assert day.closed.is_empty()
    assert day.kept.select("case_id", "lead_loan_id", "delinquent_loans").rows() == [(1, "L2", 1)]


def test_rerun_reopens_a_case_the_first_run_closed_and_drops_one_it_opened() -> None:
    """A rerun of D after the book changed: the case closed on D is open again; a case opened on D by the
    first run whose borrower is no longer delinquent disappears (the day's outputs are replaced)."""
    day = case_day(
        snapshot(("B1", "L1", 3, True, 100, 10_000), ("B2", "L2", 0, False, 0, 10_000)),
        cases((1, "B1", date(2025, 6, 1), D), (2, "B2", D, None)),
        D,
    )
    assert day.kept.select("case_id", "status", "closed_on", "close_reason").rows() == [(1, "open", None, "")]
    assert day.dropped.get_column("case_id").to_list() == [2]
    assert day.closed.is_empty()
    assert day.opened.is_empty()


def test_rerun_of_the_same_day_changes_nothing() -> None:
    book = snapshot(("B1", "L1", 3, True, 100, 10_000), ("B2", "L2", 0, False, 0, 10_000))
    first = case_day(book, cases((2, "B2", date(2025, 6, 1), None)), D)
    assert first.opened.get_column("borrower_id").to_list() == ["B1"]
    assert first.closed.get_column("case_id").to_list() == [2]
    again = case_day(book, cases((1, "B1", D, None), (2, "B2", date(2025, 6, 1), D)), D)
    assert again.opened.is_empty()
    assert again.dropped.is_empty()
    assert again.kept.select("case_id", "opened_on").rows() == [(1, D)]
    assert again.closed.select("case_id", "closed_on", "close_reason").rows() == [(2, D, "cured")]


def test_borrowers_with_an_uncomputed_loan_keep_their_cases_untouched() -> None:
    day = case_day(
        snapshot(("B1", "L1", 0, False, 0, 10_000), ("B2", "L3", 9, True, 10, 10)),
        cases((1, "B1", date(2025, 6, 1), None)),
        D,
        held=pl.Series(["B1", "B2"]),
    )
    assert day.closed.is_empty()
    assert day.opened.is_empty()
    assert day.kept.is_empty()
