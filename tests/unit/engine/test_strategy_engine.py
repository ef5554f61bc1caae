"""The strategy engine (``engine.strategy``) on small hand frames: every operator, nulls, first match, the
lead loan, state days before and after the due date, repeats, champion/challenger shares and the stable
hash — and a hypothesis property: ``assign`` and ``plan`` equal a plain-Python evaluation of the domain."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from qingshou.domain.money import from_fen
from qingshou.domain.strategy import (
    KIND_OPERATORS,
    Facts,
    Field,
    Kind,
    Operator,
    Strategy,
    StrategyError,
    arm_name,
    hash_bucket,
    parse_strategy,
    repayment_ability,
    step_id,
)
from qingshou.engine.strategy import ACTIONS, ASSIGNMENTS, STRATEGY_INPUT, assign, plan, stable_hash_buckets

AS_OF = date(2026, 6, 30)

DEFAULTS: dict[str, Any] = {
    "as_of": AS_OF,
    "product_id": "CASH",
    "dpd": 5,
    "delinquent": True,
    "bucket": "M1",
    "classification": "special_mention",
    "total_overdue_fen": 100_000,
    "outstanding_principal_fen": 500_000,
    "limitation_expires_on": None,
    "borrower_worst_dpd": None,
    "borrower_total_overdue_fen": None,
    "borrower_overdue_loans": None,
    "next_due_on": None,
    "installment_fen": 100_000,
    "credit_score": 700,
    "monthly_income_fen": 300_000,
    "region": "310000",
    "contactable": True,
    "broken_promises": 0,
    "collection_score": None,
    "warning_score": None,
    "watch_listed": False,
}


def frame(rows: Iterable[Mapping[str, Any]]) -> pl.DataFrame:
    """STRATEGY_INPUT from rows (defaults above; each row its own borrower unless it names one); the
    borrower aggregates are computed like the snapshot's when a row leaves them out."""
    full = []
    for index, row in enumerate(rows):
        loan = {**DEFAULTS, "loan_id": f"L{index:03d}", "borrower_id": f"B{index:03d}", **row}
        full.append(loan)
    data = pl.DataFrame(full, schema=STRATEGY_INPUT)
    aggregates = data.group_by("borrower_id").agg(
        pl.col("dpd").max().alias("_worst"),
        pl.col("total_overdue_fen").sum().alias("_total"),
        pl.col("delinquent").sum().cast(pl.Int32).alias("_count"),
    )
    return (
        data.join(aggregates, on="borrower_id", how="left", maintain_order="left")
        .with_columns(
            pl.col("borrower_worst_dpd").fill_null(pl.col("_worst")),
            pl.col("borrower_total_overdue_fen").fill_null(pl.col("_total")),
            pl.col("borrower_overdue_loans").fill_null(pl.col("_count")),
        )
        .select(list(STRATEGY_INPUT))
    )


def strategy_with(when: Mapping[str, Any], *, steps: list[dict[str, Any]] | None = None) -> Strategy:
    """Segment ``hit`` with ``when`` then a catch-all ``rest``; one path each."""
    steps = steps or [{"day": 1, "action": "call", "queue": "q"}]
    return parse_strategy(
        {
            "name": "t",
            "segments": [
                {"name": "hit", "when": dict(when), "paths": [{"name": "p", "steps": steps}]},
                {"name": "rest", "paths": [{"name": "p", "steps": steps}]},
            ],
        }
    )


def hits(rows: list[dict[str, Any]], when: Mapping[str, Any]) -> list[str]:
    assigned = assign(frame(rows), strategy_with(when), AS_OF)
    return assigned.filter(pl.col("segment") == "hit")["borrower_id"].to_list()


# --------------------------------------------------------------------------------------- operators

OPERATOR_CASES = [
    ({"dpd": {"min": 5}}, [{"dpd": 4}, {"dpd": 5}, {"dpd": 6}], ["B001", "B002"]),  # inclusive
    ({"dpd": {"max": 5}}, [{"dpd": 4}, {"dpd": 5}, {"dpd": 6}], ["B000", "B001"]),  # inclusive
    ({"dpd": 5}, [{"dpd": 4}, {"dpd": 5}], ["B001"]),
    ({"dpd": {"in": [4, 6]}}, [{"dpd": 4}, {"dpd": 5}, {"dpd": 6}], ["B000", "B002"]),
    ({"dpd": {"not_in": [4, 6]}}, [{"dpd": 4}, {"dpd": 5}, {"dpd": 6}], ["B001"]),
    ({"bucket": ["M1", "M2"]}, [{"bucket": "M1"}, {"bucket": "M3"}, {"bucket": "M2"}], ["B000", "B002"]),
    ({"bucket": {"not_in": ["M1"]}}, [{"bucket": "M1"}, {"bucket": "M3"}], ["B001"]),
    ({"product": "CARD"}, [{"product_id": "CASH"}, {"product_id": "CARD"}], ["B001"]),
    ({"classification": "loss"}, [{"classification": "loss"}, {"classification": "doubtful"}], ["B000"]),
    ({"contactable": False}, [{"contactable": True}, {"contactable": False}], ["B001"]),
    ({"broken_promises": {"min": 2}}, [{"broken_promises": 1}, {"broken_promises": 2}], ["B001"]),
    (
        {"credit_score": {"min": 600, "max": 700}},
        [{"credit_score": 599}, {"credit_score": 600}, {"credit_score": 701}],
        ["B001"],
    ),
    ({"credit_score": {"is_null": True}}, [{"credit_score": None}, {"credit_score": 600}], ["B000"]),
    ({"credit_score": {"is_null": False}}, [{"credit_score": None}, {"credit_score": 600}], ["B001"]),
    # C9: yuan decimal strings against integer fen, inclusive at the fen
    (
        {"overdue_amount": {"min": "1000.00"}},
        [{"total_overdue_fen": 99_999}, {"total_overdue_fen": 100_000}],
        ["B001"],
    ),
    (
        {"outstanding_principal": {"max": "5000"}},
        [{"outstanding_principal_fen": 500_001}, {"outstanding_principal_fen": 500_000}],
        ["B001"],
    ),
    (
        {"borrower_overdue_amount": {"min": "1500.00"}},
        [{"borrower_id": "B9", "loan_id": "L1"}, {"borrower_id": "B9", "loan_id": "L2"}, {}],
        ["B9"],
    ),
    (
        {"borrower_overdue_loans": {"min": 2}},
        [{"borrower_id": "B9", "loan_id": "L1"}, {"borrower_id": "B9", "loan_id": "L2"}, {}],
        ["B9"],
    ),
    (
        {"borrower_worst_dpd": {"min": 9}},
        [{"borrower_id": "B9", "loan_id": "L1", "dpd": 9}, {"dpd": 8}],
        ["B9"],
    ),
    # repayment ability = income / installment, exact: 3000.00 / 2000.00 = 1.5 ≤ 1.5; 3000.01 / 2000.00 is not
    (
        {"repayment_ability": {"max": "1.5"}},
        [
            {"monthly_income_fen": 300_000, "installment_fen": 200_000},
            {"monthly_income_fen": 300_001, "installment_fen": 200_000},
        ],
        ["B000"],
    ),
    (
        {"repayment_ability": {"min": "1.5"}},
        [
            {"monthly_income_fen": 299_999, "installment_fen": 200_000},
            {"monthly_income_fen": 300_000, "installment_fen": 200_000},
        ],
        ["B001"],
    ),
    (
        {"repayment_ability": {"eq": "0.3333"}},
        [
            {"monthly_income_fen": 3_333, "installment_fen": 10_000},
            {"monthly_income_fen": 1, "installment_fen": 3},
        ],
        ["B000"],
    ),
    # unknown income, unknown or zero installment: the ratio is null
    (
        {"repayment_ability": {"is_null": True}},
        [{"monthly_income_fen": None}, {"installment_fen": None}, {"installment_fen": 0}, {}],
        ["B000", "B001", "B002"],
    ),
    (
        {"repayment_ability": {"max": "100"}},
        [{"monthly_income_fen": None}, {"installment_fen": 0}, {}],
        ["B002"],
    ),
    # a null fact fails every operator but is_null — not_in too
    (
        {"region": {"not_in": ["110000"]}},
        [{"region": None}, {"region": "310000"}, {"region": "110000"}],
        ["B001"],
    ),
    ({"credit_score": {"max": 900}}, [{"credit_score": None}, {"credit_score": 1}], ["B001"]),
]


@pytest.mark.parametrize(
    ("when", "rows", "expected"), OPERATOR_CASES, ids=[str(case[0]) for case in OPERATOR_CASES]
)
def test_every_operator_on_the_lead_loan_and_the_borrower(
    when: Mapping[str, Any], rows: list[dict[str, Any]], expected: list[str]
) -> None:
    assert hits(rows, when) == expected


def test_conditions_of_a_segment_are_all_required() -> None:
    rows = [{"dpd": 5, "bucket": "M1"}, {"dpd": 5, "bucket": "M2"}, {"dpd": 50, "bucket": "M1"}]
    assert hits(rows, {"dpd": {"max": 30}, "bucket": "M1"}) == ["B000"]


def test_the_first_matching_segment_wins() -> None:
    strategy = parse_strategy(
        {
            "name": "t",
            "segments": [
                {
                    "name": "first",
                    "when": {"dpd": {"min": 10}},
                    "paths": [{"name": "p", "steps": [{"day": 1, "action": "call", "queue": "a"}]}],
                },
                {
                    "name": "second",
                    "when": {"dpd": {"min": 5}},
                    "paths": [{"name": "p", "steps": [{"day": 1, "action": "call", "queue": "b"}]}],
                },
                {
                    "name": "rest",
                    "paths": [{"name": "p", "steps": [{"day": 1, "action": "call", "queue": "c"}]}],
                },
            ],
        }
    )
    assigned = assign(frame([{"dpd": 12}, {"dpd": 7}, {"dpd": 2}]), strategy, AS_OF)
    assert assigned["segment"].to_list() == ["first", "second", "rest"]


def test_unmatched_borrowers_are_recorded_without_a_segment_and_get_no_actions() -> None:
    strategy = parse_strategy(
        {
            "name": "t",
            "unmatched": "no_segment",
            "segments": [
                {
                    "name": "late",
                    "when": {"dpd": {"min": 10}},
                    "paths": [{"name": "p", "steps": [{"day": 12, "action": "call", "queue": "a"}]}],
                }
            ],
        }
    )
    assigned = assign(
        frame(
            [
                {"dpd": 12, "borrower_worst_dpd": 12},
                {"dpd": 12, "bucket": "M1", "borrower_worst_dpd": 12, "credit_score": None},
                {"dpd": 2},
            ]
        ),
        strategy,
        AS_OF,
    )
    assert assigned.select("segment", "path", "arm").rows() == [("late", "p", "champion")] * 2 + [
        (None, None, None)
    ]
    assert plan(assigned, strategy, AS_OF)["borrower_id"].to_list() == ["B000", "B001"]


# --------------------------------------------------------------------------- lead loan and state day


def test_the_lead_loan_is_the_worst_by_dpd_then_overdue_then_loan_id() -> None:
    rows = [
        {"borrower_id": "B1", "loan_id": "L3", "dpd": 10, "total_overdue_fen": 500},
        {"borrower_id": "B1", "loan_id": "L2", "dpd": 12, "total_overdue_fen": 100},
        {"borrower_id": "B1", "loan_id": "L1", "dpd": 12, "total_overdue_fen": 100},
        {"borrower_id": "B2", "loan_id": "L5", "dpd": 7, "total_overdue_fen": 100},
        {"borrower_id": "B2", "loan_id": "L4", "dpd": 7, "total_overdue_fen": 900},
    ]
    assigned = assign(frame(rows), strategy_with({"dpd": {"min": 100}}), AS_OF)
    assert assigned.select("borrower_id", "lead_loan_id", "state_day").rows() == [
        ("B1", "L1", 12),
        ("B2", "L4", 7),
    ]


def test_conditions_read_the_lead_loans_row() -> None:
    rows = [
        {"borrower_id": "B1", "loan_id": "L1", "dpd": 40, "product_id": "CARD"},
        {"borrower_id": "B1", "loan_id": "L2", "dpd": 3, "product_id": "CASH"},
    ]
    assert hits(rows, {"product": "CARD"}) == ["B1"]
    assert hits(rows, {"product": "CASH"}) == []


def test_the_state_day_before_the_due_date_is_minus_the_days_to_the_earliest_next_due() -> None:
    """Not delinquent: −(days to the earliest next_due_on on or after as_of); earlier dates are ignored;
    nothing due and nothing delinquent: no assignment."""
    current = {"dpd": 0, "delinquent": False, "bucket": "M0", "total_overdue_fen": 0}
    rows = [
        {**current, "borrower_id": "B1", "loan_id": "L1", "next_due_on": AS_OF + timedelta(days=5)},
        {**current, "borrower_id": "B1", "loan_id": "L2", "next_due_on": AS_OF + timedelta(days=3)},
        {**current, "borrower_id": "B2", "loan_id": "L3", "next_due_on": AS_OF},
        {**current, "borrower_id": "B3", "loan_id": "L4", "next_due_on": AS_OF - timedelta(days=1)},
        {**current, "borrower_id": "B4", "loan_id": "L5", "next_due_on": None},
        # a borrower with one delinquent loan is in arrears: worst dpd, whatever falls due
        {"borrower_id": "B5", "loan_id": "L6", "dpd": 4, "next_due_on": AS_OF + timedelta(days=2)},
        {**current, "borrower_id": "B5", "loan_id": "L7", "next_due_on": AS_OF + timedelta(days=2)},
    ]
    assigned = assign(frame(rows), strategy_with({"dpd": 99}), AS_OF)
    assert assigned.select("borrower_id", "state_day").rows() == [("B1", -3), ("B2", 0), ("B5", 4)]


# ------------------------------------------------------------------------------------------- plan

LADDER = [
    {"day": -3, "action": "sms", "template": "pre_due_reminder", "priority": 30},
    {"day": 1, "action": "sms", "template": "overdue_d1"},
    {"day": 3, "action": "call", "queue": "early", "priority": 60},
    {"day": 3, "every": 5, "until": 13, "action": "call", "queue": "mid"},
    {"day": 7, "action": "letter", "template": "overdue_notice"},
    {"day": 20, "action": "field_visit", "queue": "field"},
    {"day": 45, "action": "agency_placement"},
    {"day": 90, "action": "legal_review", "queue": "legal", "priority": 90},
]


def planned_days(state_day: int) -> list[tuple[str, str]]:
    strategy = strategy_with({"dpd": 999}, steps=LADDER)
    if state_day < 0:
        row = {
            "dpd": 0,
            "delinquent": False,
            "bucket": "M0",
            "next_due_on": AS_OF + timedelta(days=-state_day),
        }
    else:
        row = {"dpd": state_day}
    actions = plan(assign(frame([row]), strategy, AS_OF), strategy, AS_OF)
    return list(zip(actions["step"].to_list(), actions["action"].to_list(), strict=True))


@pytest.mark.parametrize(
    ("state_day", "expected"),
    [
        (-4, []),
        (-3, [("p0.s0", "sms")]),
        (0, []),
        (1, [("p0.s1", "sms")]),
        (3, [("p0.s2", "call"), ("p0.s3", "call")]),
        (7, [("p0.s4", "letter")]),
        (8, [("p0.s3", "call")]),
        (13, [("p0.s3", "call")]),  # until is inclusive
        (18, []),  # past until
        (20, [("p0.s5", "field_visit")]),
        (45, [("p0.s6", "agency_placement")]),
        (90, [("p0.s7", "legal_review")]),
        (91, []),
    ],
)
def test_the_plan_fires_steps_on_their_day_and_repeats(
    state_day: int, expected: list[tuple[str, str]]
) -> None:
    assert planned_days(state_day) == expected


def test_a_planned_action_carries_everything_the_channels_need() -> None:
    strategy = strategy_with({"dpd": 999}, steps=LADDER)
    actions = plan(
        assign(frame([{"dpd": 3, "loan_id": "LX", "borrower_id": "BX"}]), strategy, AS_OF), strategy, AS_OF
    )
    assert actions.schema == pl.Schema(ACTIONS)
    assert actions.row(0, named=True) == {
        "as_of": AS_OF,
        "borrower_id": "BX",
        "loan_id": "LX",
        "segment": "rest",
        "path": "p",
        "arm": "champion",
        "step": "p0.s2",
        "action": "call",
        "template": None,
        "queue": "early",
        "priority": 60,
    }


def test_assign_and_plan_are_idempotent_and_independent_of_input_order() -> None:
    rows = [{"dpd": day % 23 + 1, "borrower_id": f"B{day % 47}", "loan_id": f"L{day}"} for day in range(60)]
    strategy = strategy_with({"dpd": {"max": 10}}, steps=LADDER)
    inputs = frame(rows)
    first = plan(assign(inputs, strategy, AS_OF), strategy, AS_OF)
    again = plan(assign(inputs.reverse(), strategy, AS_OF), strategy, AS_OF)
    assert first.height >= 10
    assert first.equals(again)


# --------------------------------------------------------------------------- champion / challenger

SPLIT = {
    "name": "ab",
    "segments": [
        {
            "name": "all",
            "paths": [
                {"name": "a", "share": 6000, "steps": [{"day": 1, "action": "call", "queue": "q"}]},
                {"name": "b", "share": 2500, "steps": [{"day": 1, "action": "call", "queue": "q"}]},
                {"name": "c", "share": 1500, "steps": [{"day": 1, "action": "call", "queue": "q"}]},
            ],
        }
    ],
}


def test_champion_challenger_shares_hold_within_one_percent_and_are_stable() -> None:
    """100 000 borrowers split 60 / 25 / 15 % within ±1 point; the same arms on a second call and on
    another day (the hash depends on the borrower id only)."""
    count = 100_000
    inputs = (
        pl.DataFrame(
            {"loan_id": [f"L{i}" for i in range(count)], "borrower_id": [f"BRW{i:07d}" for i in range(count)]}
        )
        .with_columns(
            [pl.lit(value).cast(STRATEGY_INPUT[name]).alias(name) for name, value in DEFAULTS.items()]
        )
        .with_columns(pl.col("dpd").alias("borrower_worst_dpd"))
    )
    strategy = parse_strategy(SPLIT)
    first = assign(inputs, strategy, AS_OF)
    shares = dict(first.group_by("arm").len().rows())
    for arm, share in (("champion", 0.60), ("challenger-1", 0.25), ("challenger-2", 0.15)):
        assert abs(shares[arm] / count - share) < 0.01, shares
    later = assign(inputs.with_columns(pl.col("dpd") + 1), strategy, AS_OF + timedelta(days=1))
    assert first.select("borrower_id", "arm", "hash_bucket").equals(
        later.select("borrower_id", "arm", "hash_bucket")
    )


def id_with_bucket(bucket: int) -> str:
    """The first id ``X<n>`` whose hash bucket is ``bucket``."""
    return next(f"X{n}" for n in range(10**7) if hash_bucket(f"X{n}") == bucket)


def test_a_path_takes_its_share_range_inclusive_of_its_start_exclusive_of_its_end() -> None:
    """Shares 6000 / 2500 / 1500: buckets 0–5999 champion, 6000–8499 challenger-1, 8500–9999 challenger-2."""
    edges = [0, 5999, 6000, 8499, 8500, 9999]
    ids = [id_with_bucket(bucket) for bucket in edges]
    rows = [{"borrower_id": borrower_id, "loan_id": f"L{index}"} for index, borrower_id in enumerate(ids)]
    assigned = assign(frame(rows), parse_strategy(SPLIT), AS_OF)
    arms = dict(zip(assigned["hash_bucket"].to_list(), assigned["arm"].to_list(), strict=True))
    assert [arms[bucket] for bucket in edges] == [
        "champion",
        "champion",
        "challenger-1",
        "challenger-1",
        "challenger-2",
        "challenger-2",
    ]


@settings(max_examples=60, deadline=None)
@given(
    ids=st.lists(st.text(min_size=0, max_size=24), min_size=1, max_size=40),
    salt=st.sampled_from(["", "s", "实验"]),
)
def test_the_vectorised_hash_equals_the_plain_python_fnv(ids: list[str], salt: str) -> None:
    series = pl.Series(ids, dtype=pl.String)
    assert stable_hash_buckets(series, salt).to_list() == [hash_bucket(i, salt) for i in ids]
    sliced = series.slice(1)  # an Arrow array with an offset
    assert stable_hash_buckets(sliced, salt).to_list() == [hash_bucket(i, salt) for i in ids[1:]]


def test_the_hash_of_known_ids_never_changes() -> None:
    """Pinned values: a change here would reshuffle every running champion/challenger test."""
    assert stable_hash_buckets(pl.Series(["B000001", "借款人7", ""])).to_list() == [
        hash_bucket("B000001"),
        hash_bucket("借款人7"),
        0xCBF29CE484222325 % 10_000,
    ]
    assert [hash_bucket(i) for i in ("B000001", "借款人7", "")] == [8570, 1726, 6037]


# ------------------------------------------------------------------- property: engine == domain


def reference_assign(inputs: pl.DataFrame, strategy: Strategy, as_of: date) -> list[tuple[Any, ...]]:
    """ASSIGNMENTS rows computed loan by loan with the domain (the test oracle)."""
    borrowers: dict[str, list[dict[str, Any]]] = {}
    for row in inputs.iter_rows(named=True):
        borrowers.setdefault(row["borrower_id"], []).append(row)
    result = []
    for borrower_id in sorted(borrowers):
        loans = borrowers[borrower_id]
        lead = min(loans, key=lambda r: (-r["dpd"], -r["total_overdue_fen"], r["loan_id"]))
        if any(r["delinquent"] for r in loans):
            state_day = lead["borrower_worst_dpd"]
        else:
            upcoming = [
                r["next_due_on"] for r in loans if r["next_due_on"] is not None and r["next_due_on"] >= as_of
            ]
            if not upcoming:
                continue
            state_day = -(min(upcoming) - as_of).days
        bucket = hash_bucket(borrower_id, strategy.salt)
        index = strategy.segment_index(facts_of(lead))
        if index is None:
            result.append((borrower_id, lead["loan_id"], None, None, None, state_day, bucket))
            continue
        segment = strategy.segments[index]
        p_index = segment.path_index(bucket)
        result.append(
            (
                borrower_id,
                lead["loan_id"],
                segment.name,
                segment.paths[p_index].name,
                arm_name(p_index),
                state_day,
                bucket,
            )
        )
    return result


def facts_of(row: Mapping[str, Any]) -> Facts:
    def yuan(value: int | None) -> Any:
        return None if value is None else from_fen(value)

    return {
        Field.BUCKET: row["bucket"],
        Field.DPD: row["dpd"],
        Field.BORROWER_WORST_DPD: row["borrower_worst_dpd"],
        Field.OVERDUE_AMOUNT: yuan(row["total_overdue_fen"]),
        Field.BORROWER_OVERDUE_AMOUNT: yuan(row["borrower_total_overdue_fen"]),
        Field.BORROWER_OVERDUE_LOANS: row["borrower_overdue_loans"],
        Field.OUTSTANDING_PRINCIPAL: yuan(row["outstanding_principal_fen"]),
        Field.PRODUCT: row["product_id"],
        Field.CREDIT_SCORE: row["credit_score"],
        Field.REPAYMENT_ABILITY: repayment_ability(
            yuan(row["monthly_income_fen"]), yuan(row["installment_fen"])
        ),
        Field.CONTACTABLE: row["contactable"],
        Field.BROKEN_PROMISES: row["broken_promises"],
        Field.REGION: row["region"],
        Field.CLASSIFICATION: row["classification"],
        Field.COLLECTION_SCORE: row["collection_score"],
        Field.WARNING_SCORE: row["warning_score"],
        Field.WATCH_LISTED: row["watch_listed"],
    }


def reference_plan(assigned: list[tuple[Any, ...]], strategy: Strategy) -> list[tuple[str, str, str]]:
    result = []
    for borrower_id, _, segment_name, path_name, _, state_day, _ in assigned:
        if segment_name is None:
            continue
        segment = next(s for s in strategy.segments if s.name == segment_name)
        p_index, path = next((i, p) for i, p in enumerate(segment.paths) if p.name == path_name)
        result.extend(
            (borrower_id, step_id(p_index, s_index), step.action.value)
            for s_index, step in enumerate(path.steps)
            if step.is_due(state_day)
        )
    return result


OPERANDS: dict[Kind, st.SearchStrategy[Any]] = {
    Kind.INTEGER: st.integers(-3, 12),
    Kind.MONEY: st.integers(0, 3000).map(lambda f: str(from_fen(f))),
    Kind.RATIO: st.sampled_from(["0", "0.5", "1", "1.5", "2.25"]),
    Kind.FLAG: st.booleans(),
}
TEXTS = {
    Field.BUCKET: ["M0", "M1", "M2"],
    Field.PRODUCT: ["P1", "P2"],
    Field.REGION: ["R1", "R2"],
    Field.CLASSIFICATION: ["normal", "substandard", "loss"],
}


@st.composite
def condition_data(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    field_ = draw(st.sampled_from(list(Field)))
    operator = draw(st.sampled_from(sorted(KIND_OPERATORS[field_.kind])))
    operand_of = OPERANDS[field_.kind] if field_.kind in OPERANDS else st.sampled_from(TEXTS[field_])
    if operator is Operator.IS_NULL:
        operand: Any = draw(st.booleans())
    elif operator in (Operator.IN, Operator.NOT_IN):
        operand = draw(st.lists(operand_of, min_size=1, max_size=3))
    else:
        operand = draw(operand_of)
    return field_.value, {operator.value: operand}


@st.composite
def strategy_data(draw: st.DrawFn) -> dict[str, Any]:
    steps = [{"day": d, "action": "call", "queue": "q"} for d in (-2, 0, 1, 3)] + [
        {"day": 2, "every": 3, "until": 11, "action": "sms", "template": "t"}
    ]
    segments = []
    for index in range(draw(st.integers(1, 4))):
        when = dict(draw(st.lists(condition_data(), min_size=1, max_size=3)))
        shares = draw(st.sampled_from([[10_000], [5000, 5000], [7000, 2000, 1000]]))
        paths = [{"name": f"p{i}", "share": share, "steps": steps[i:]} for i, share in enumerate(shares)]
        segments.append({"name": f"s{index}", "when": when, "paths": paths})
    unmatched = draw(st.booleans())
    if not unmatched:
        segments.append({"name": "rest", "paths": [{"name": "p", "steps": steps}]})
    return {"name": "prop", "salt": draw(st.sampled_from(["", "x"])), "segments": segments} | (
        {"unmatched": "no_segment"} if unmatched else {}
    )


@st.composite
def loan_rows(draw: st.DrawFn) -> list[dict[str, Any]]:
    rows = []
    for index in range(draw(st.integers(1, 25))):
        delinquent = draw(st.booleans())
        rows.append(
            {
                "loan_id": f"L{index:02d}",
                "borrower_id": f"B{draw(st.integers(0, 8))}",
                "product_id": draw(st.sampled_from(TEXTS[Field.PRODUCT])),
                "dpd": draw(st.integers(1, 12)) if delinquent else draw(st.integers(0, 2)),
                "delinquent": delinquent,
                "bucket": draw(st.sampled_from(TEXTS[Field.BUCKET])),
                "classification": draw(st.sampled_from(TEXTS[Field.CLASSIFICATION])),
                "total_overdue_fen": draw(st.integers(0, 3000)),
                "outstanding_principal_fen": draw(st.integers(0, 3000)),
                "next_due_on": draw(st.none() | st.integers(-3, 5).map(lambda d: AS_OF + timedelta(days=d))),
                "installment_fen": draw(st.none() | st.integers(0, 400)),
                "credit_score": draw(st.none() | st.integers(-3, 12)),
                "monthly_income_fen": draw(st.none() | st.integers(0, 900)),
                "region": draw(st.none() | st.sampled_from(TEXTS[Field.REGION])),
                "contactable": draw(st.booleans()),
                "broken_promises": draw(st.integers(0, 12)),
                "collection_score": draw(st.none() | st.integers(-3, 12)),
                "warning_score": draw(st.none() | st.integers(-3, 12)),
                "watch_listed": draw(st.booleans()),
            }
        )
    return rows


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=strategy_data(), rows=loan_rows())
def test_assign_and_plan_equal_the_domain_evaluated_borrower_by_borrower(
    data: dict[str, Any], rows: list[dict[str, Any]]
) -> None:
    try:
        strategy = parse_strategy(data)
    except StrategyError:
        assume(False)
        raise
    inputs = frame(rows)
    assigned = assign(inputs, strategy, AS_OF)
    assert assigned.schema == pl.Schema(ASSIGNMENTS)
    expected = reference_assign(inputs, strategy, AS_OF)
    assert assigned.rows() == expected
    actions = plan(assigned, strategy, AS_OF)
    assert actions.select("borrower_id", "step", "action").rows() == reference_plan(expected, strategy)


def test_an_empty_book_gives_empty_frames_with_the_contract_schemas() -> None:
    strategy = strategy_with({"dpd": 1})
    assigned = assign(pl.DataFrame(schema=STRATEGY_INPUT), strategy, AS_OF)
    assert (assigned.height, assigned.schema) == (0, pl.Schema(ASSIGNMENTS))
    actions = plan(assigned, strategy, AS_OF)
    assert (actions.height, actions.schema) == (0, pl.Schema(ACTIONS))
