"""Outside agencies (issue 6, C8): commission arithmetic at band edges (marginal and whole-amount), tier by
bucket at placement, period commission adding up, evaluation overdue and renewal, the champion / challenger
split stable and near its share, placement by eligibility / capacity / performance, and the ranking."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qingshou.domain.agencies import (
    AgencyError,
    Arm,
    BandMode,
    Candidate,
    CaseToPlace,
    CohortResult,
    EvaluationRecord,
    choose_placements,
    cohort_of,
    commission,
    commission_for_period,
    evaluation_state,
    parse_tiers,
    rank,
    renewal_blocker,
    split_arm,
    totals,
)
from qingshou.domain.strategy import hash_bucket

D = Decimal


def tiers(mode: str) -> object:
    """M1–M3 via '*': 10 % up to 10 000, 12 % up to 50 000, 15 % above; M4: 20 % up to 10 000, 25 % above."""
    return {
        "mode": mode,
        "buckets": {
            "*": [
                {"upto": "10000", "rate": "0.10"},
                {"upto": "50000", "rate": "0.12"},
                {"upto": None, "rate": "0.15"},
            ],
            "M4": [{"upto": "10000", "rate": "0.20"}, {"upto": None, "rate": "0.25"}],
        },
    }


MARGINAL = parse_tiers(tiers("marginal"))
WHOLE = parse_tiers(tiers("whole"))


@pytest.mark.parametrize(
    ("recovered", "marginal", "whole"),
    [
        ("0", "0.00", "0.00"),
        ("0.01", "0.00", "0.00"),  # 0.001 rounds half-up to 0.00
        ("0.05", "0.01", "0.01"),  # 0.005 → 0.01 (half-up)
        ("9999.99", "1000.00", "1000.00"),  # 999.999
        ("10000.00", "1000.00", "1000.00"),  # at the edge: still the first band
        ("10000.01", "1000.00", "1200.00"),  # marginal 1000 + 0.0012; whole 12 % of everything
        ("50000.00", "5800.00", "6000.00"),  # 1000 + 4800 / 12 % of 50 000
        ("50000.01", "5800.00", "7500.00"),  # 5800.0015 / 15 % of 50 000.01 = 7500.0015
        ("100000.00", "13300.00", "15000.00"),
    ],
)
def test_commission_at_band_edges_marginal_and_whole(recovered: str, marginal: str, whole: str) -> None:
    assert commission(D(recovered), MARGINAL, "M1") == D(marginal)
    assert commission(D(recovered), WHOLE, "M1") == D(whole)


@pytest.mark.parametrize(
    ("bucket", "recovered", "expected"),
    [
        ("M4", "10000", "2000.00"),
        ("M4", "20000", "4500.00"),
        ("M2", "20000", "2200.00"),
        ("M7+", "10000", "1000.00"),
    ],
)
def test_the_tier_follows_the_bucket_at_placement(bucket: str, recovered: str, expected: str) -> None:
    assert commission(D(recovered), MARGINAL, bucket) == D(expected)


def test_a_bucket_without_tier_and_without_star_is_an_error() -> None:
    only_m4 = parse_tiers({"mode": "marginal", "buckets": {"M4": [{"upto": None, "rate": "0.2"}]}})
    with pytest.raises(AgencyError, match="no commission tier for bucket 'M1'"):
        commission(D("100"), only_m4, "M1")


def test_monthly_commissions_add_up_to_the_whole_placement() -> None:
    months = [D("4000.00"), D("7000.00"), D("45000.00"), D("0.00"), D("1.00")]
    for table in (MARGINAL, WHOLE):
        before = D(0)
        total = D(0)
        for amount in months:
            total += commission_for_period(before, amount, table, "M2")
            before += amount
        assert total == commission(before, table, "M2")
    # crossing 10 000 in the second month: marginal pays 10 % on 6 000 and 12 % on 1 000
    assert commission_for_period(D("4000"), D("7000"), MARGINAL, "M1") == D("720.00")
    assert commission_for_period(D("4000"), D("7000"), WHOLE, "M1") == D("920.00")  # 1320 − 400


@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=0, max_value=10**9))
def test_commission_never_falls_as_more_is_recovered(a: int, b: int) -> None:
    low, high = sorted((D(a) / 100, D(b) / 100))
    for table in (MARGINAL, WHOLE):
        assert commission(low, table, "M3") <= commission(high, table, "M3")
        assert commission(high, MARGINAL, "M3") <= commission(high, WHOLE, "M3")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"mode": "tiered", "buckets": {}}, "tiers.mode"),
        ({"mode": "whole", "buckets": {}}, "tiers.buckets"),
        ({"mode": "whole", "buckets": {"M9": [{"upto": None, "rate": "0.1"}]}}, "unknown bucket 'M9'"),
        (
            {"mode": "whole", "buckets": {"M1": [{"upto": "100", "rate": "0.1"}]}},
            "last band must have no upper",
        ),
        ({"mode": "whole", "buckets": {"M1": [{"upto": None, "rate": 0.1}]}}, r"M1\[0\].rate"),
        ({"mode": "whole", "buckets": {"M1": [{"upto": None, "rate": "1.5"}]}}, "between 0 and 1"),
        (
            {
                "mode": "whole",
                "buckets": {"M1": [{"upto": "100", "rate": "0.2"}, {"upto": None, "rate": "0.1"}]},
            },
            "whole-amount rates may not fall",
        ),
        (
            {
                "mode": "marginal",
                "buckets": {
                    "M1": [
                        {"upto": "100", "rate": "0.2"},
                        {"upto": "50", "rate": "0.1"},
                        {"upto": None, "rate": "0.1"},
                    ]
                },
            },
            r"M1\[1\].upto: must be above",
        ),
        (
            {"mode": "marginal", "buckets": {"M1": [{"upto": "1.005", "rate": "0.1"}]}},
            "more than two decimals",
        ),
    ],
)
def test_invalid_tiers_name_the_field(data: object, message: str) -> None:
    with pytest.raises(AgencyError, match=message):
        parse_tiers(data)


def test_tiers_round_trip_through_plain_data() -> None:
    assert parse_tiers(MARGINAL.as_data()) == MARGINAL
    assert MARGINAL.mode is BandMode.MARGINAL


# --- evaluation (C8) ---------------------------------------------------------------------------------------

START = date(2025, 3, 1)


@pytest.mark.parametrize(
    ("evaluations", "on", "overdue"),
    [
        ((), date(2026, 3, 1), False),  # a year after the start: due that day, not overdue
        ((), date(2026, 3, 2), True),
        ((EvaluationRecord(date(2025, 9, 30), True),), date(2026, 9, 30), False),
        ((EvaluationRecord(date(2025, 9, 30), True),), date(2026, 10, 1), True),
        (
            (EvaluationRecord(date(2026, 10, 5), True),),
            date(2026, 10, 1),
            True,
        ),  # a later evaluation does not count yet
    ],
)
def test_evaluation_is_overdue_a_year_after_the_last(
    evaluations: tuple[EvaluationRecord, ...], on: date, overdue: bool
) -> None:
    state = evaluation_state(START, evaluations, on)
    assert state.overdue is overdue
    assert (state.blocks == "evaluation_overdue") is overdue


def test_a_leap_day_evaluation_is_due_on_28_february() -> None:
    state = evaluation_state(date(2024, 2, 29), (), date(2025, 2, 28))
    assert state.due_on == date(2025, 2, 28)
    assert not state.overdue


def test_a_failed_evaluation_blocks_placement_and_renewal() -> None:
    records = (EvaluationRecord(date(2025, 6, 1), True), EvaluationRecord(date(2026, 1, 10), False))
    assert evaluation_state(START, records, date(2026, 2, 1)).blocks == "evaluation_failed"
    assert renewal_blocker(START, records, date(2026, 2, 1)) == "evaluation_failed"


@pytest.mark.parametrize(
    ("evaluated", "renew_on", "blocker"),
    [
        (date(2026, 1, 1), date(2026, 3, 1), None),  # 59 days before
        (date(2025, 12, 1), date(2026, 2, 28), None),  # exactly 89 days
        (date(2025, 12, 1), date(2026, 3, 1), None),  # exactly 90 days: inside the window
        (date(2025, 12, 1), date(2026, 3, 2), "no_evaluation_before_renewal"),
        (date(2025, 3, 1), date(2026, 3, 2), "evaluation_overdue"),
    ],
)
def test_renewal_needs_a_recent_passed_evaluation(
    evaluated: date, renew_on: date, blocker: str | None
) -> None:
    assert renewal_blocker(START, (EvaluationRecord(evaluated, True),), renew_on) == blocker


# --- champion / challenger and placement choice --------------------------------------------------------------


def test_the_split_is_stable_and_near_its_share() -> None:
    keys = [f"B{n:05d}" for n in range(4000)]
    first = [split_arm(key, 2_500) for key in keys]
    assert first == [split_arm(key, 2_500) for key in keys]  # same key, same arm, every time
    share = sum(arm is Arm.CHALLENGER for arm in first) / len(keys)
    assert 0.22 < share < 0.28
    assert all(split_arm(key, 0) is Arm.CHAMPION for key in keys[:100])
    assert all(split_arm(key, 10_000) is Arm.CHALLENGER for key in keys[:100])
    # the arm is the FNV-1a bucket with the agencies salt
    assert split_arm("B00001", 2_500) is (
        Arm.CHALLENGER if hash_bucket("B00001", "agencies") < 2_500 else Arm.CHAMPION
    )
    with pytest.raises(AgencyError, match="challenger share"):
        split_arm("B1", 10_001)


def candidate(
    agency: str,
    contract: int,
    *,
    capacity: int = 10,
    open_placements: int = 0,
    rate: Fraction | None = None,
    buckets: frozenset[str] = frozenset(),
    white_listed: bool = True,
    evaluated: date = date(2026, 1, 1),
) -> Candidate:
    return Candidate(
        agency_id=agency,
        contract_id=contract,
        white_listed=white_listed,
        starts_on=date(2025, 6, 1),
        ends_on=date(2026, 12, 31),
        buckets=buckets,
        capacity=capacity,
        open_placements=open_placements,
        evaluation=evaluation_state(date(2025, 6, 1), (EvaluationRecord(evaluated, True),), ON),
        recovery_rate=rate,
    )


ON = date(2026, 3, 10)


def test_placement_goes_to_the_best_performer_within_capacity() -> None:
    cases = [CaseToPlace(n, f"B{n}", "M4") for n in range(1, 5)]
    agencies = [
        candidate("A", 1, capacity=2, rate=Fraction(3, 10)),
        candidate("B", 2, capacity=5, rate=Fraction(1, 10)),
        candidate("C", 3, capacity=5, rate=None),  # no history: after those with one
    ]
    choices = choose_placements(cases, agencies, ON, challenger_share=0)
    assert [c.agency_id for c in choices] == ["A", "A", "B", "B"]
    assert {c.arm for c in choices} == {Arm.CHAMPION}


def test_ineligible_agencies_are_skipped_with_the_reason() -> None:
    case = [CaseToPlace(1, "B1", "M2")]
    assert choose_placements(case, [candidate("A", 1, buckets=frozenset({"M4"}))], ON)[0].reason == (
        "bucket_not_covered"
    )
    assert (
        choose_placements(case, [candidate("A", 1, white_listed=False)], ON)[0].reason == "not_white_listed"
    )
    overdue = candidate("A", 1, evaluated=date(2025, 3, 9))
    assert choose_placements(case, [overdue], ON)[0].reason == "evaluation_overdue"
    full = candidate("A", 1, capacity=3, open_placements=3)
    assert choose_placements(case, [full], ON)[0].reason == "no_capacity"
    assert choose_placements(case, [], ON)[0].reason == "no_agency"
    assert choose_placements(case, [overdue, candidate("B", 2)], ON)[0].agency_id == "B"


def test_challenger_cases_go_to_the_other_agency_by_the_stable_hash() -> None:
    cases = [CaseToPlace(n, f"B{n:04d}", "M4") for n in range(200)]
    agencies = [candidate("A", 1, capacity=1000, rate=Fraction(1, 2)), candidate("B", 2, capacity=1000)]
    choices = choose_placements(cases, agencies, ON, challenger_share=3_000)
    for case, choice in zip(cases, choices, strict=True):
        expected = split_arm(case.key, 3_000)
        assert choice.arm is expected
        assert choice.agency_id == ("B" if expected is Arm.CHALLENGER else "A")
    # a single eligible agency takes every case as champion
    alone = choose_placements(cases, agencies[:1], ON, challenger_share=3_000)
    assert {c.arm for c in alone} == {Arm.CHAMPION}


# --- ranking -------------------------------------------------------------------------------------------------


def result(agency: str, cohort: str, balance: str, recovered: str, complaints: int = 0) -> CohortResult:
    return CohortResult(agency, cohort, 1, D(balance), D(recovered), complaints)


def test_ranking_by_recovery_rate_then_complaints() -> None:
    rows = [
        result("A", "2026-01", "1000", "100"),  # 10 %
        result("B", "2026-01", "3000", "600", complaints=2),  # 20 %
        result("C", "2026-01", "2000", "400", complaints=1),  # 20 %, fewer complaints
        result("D", "2026-01", "0", "0"),
        result("E", "2026-01", "1000", "100"),  # ties with A
    ]
    ranked = rank(rows)
    assert [(r.rank, r.result.agency_id) for r in ranked] == [
        (1, "C"),
        (2, "B"),
        (3, "A"),
        (3, "E"),
        (5, "D"),
    ]
    assert ranked[0].result.recovery_rate == D("0.2000")
    assert result("X", "2026-01", "3", "1").recovery_rate == D("0.3333")


def test_totals_add_cohorts_per_agency() -> None:
    rows = [
        result("A", "2026-01", "1000", "100", 1),
        result("A", "2026-02", "1000", "500", 2),
        result("B", "2026-02", "100", "50"),
    ]
    summed = {r.agency_id: r for r in totals(rows)}
    assert summed["A"] == CohortResult("A", "all", 2, D("2000"), D("600"), 3)
    assert [r.result.agency_id for r in rank(list(summed.values()))] == ["B", "A"]
    assert cohort_of(date(2026, 3, 31)) == "2026-03"
