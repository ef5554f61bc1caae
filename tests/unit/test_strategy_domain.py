"""The strategy domain (issue 4): parsing with precise errors (every kind, all at once), condition
semantics (inclusive bounds, nulls, exact ratios), first match, steps with repeats, shares and the hash."""

from __future__ import annotations

import copy
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from qingshou.domain.strategy import (
    Action,
    Condition,
    Field,
    Operator,
    Step,
    StrategyError,
    arm_name,
    fnv1a_64,
    format_path,
    hash_bucket,
    parse_strategy,
    repayment_ability,
    step_id,
)


def valid() -> dict[str, Any]:
    """A small valid strategy: an early segment with a champion/challenger split, then a catch-all."""
    return {
        "name": "test",
        "segments": [
            {
                "name": "early",
                "when": {"bucket": ["M1"], "dpd": {"min": 1, "max": 30}},
                "paths": [
                    {"name": "a", "share": 7000, "steps": [{"day": 1, "action": "sms", "template": "d1"}]},
                    {"name": "b", "share": 3000, "steps": [{"day": 3, "action": "call", "queue": "early"}]},
                ],
            },
            {
                "name": "rest",
                "paths": [{"name": "ladder", "steps": [{"day": 7, "action": "letter", "template": "n"}]}],
            },
        ],
    }


def issues_of(data: Any) -> list[tuple[str, str]]:
    with pytest.raises(StrategyError) as caught:
        parse_strategy(data)
    return [(format_path(issue.path), issue.reason) for issue in caught.value.issues]


def with_change(path: str, value: Any) -> dict[str, Any]:
    """``valid()`` with the value at a dotted path (``segments.0.when.dpd``) set (``...`` deletes it)."""
    data = copy.deepcopy(valid())
    *parents, last = [int(part) if part.isdigit() else part for part in path.split(".")]
    target: Any = data
    for part in parents:
        target = target[part]
    if value is ...:
        del target[last]
    else:
        target[last] = value
    return data


def test_the_valid_strategy_parses_into_ordered_segments_paths_and_steps() -> None:
    strategy = parse_strategy(valid())
    assert [s.name for s in strategy.segments] == ["early", "rest"]
    early = strategy.segments[0]
    assert [(p.name, p.share) for p in early.paths] == [("a", 7000), ("b", 3000)]
    assert early.conditions == (
        Condition(Field.BUCKET, Operator.IN, ("M1",)),
        Condition(Field.DPD, Operator.MIN, 1),
        Condition(Field.DPD, Operator.MAX, 30),
    )
    assert strategy.segments[1].conditions == ()
    assert strategy.segments[1].paths[0].share == 10_000  # a single path takes everything
    assert early.paths[1].steps[0] == Step(3, Action.CALL, queue="early", priority=50)


# ------------------------------------------------------------------------------ every kind of error

ERROR_CASES = [
    # (change at path, new value, expected issue path, words in the reason)
    ("name", ..., "name", "is required"),
    ("name", 5, "name", "expected a non-empty string, got int 5"),
    ("colour", "red", "colour", "unknown key 'colour'"),
    ("unmatched", "skip", "unmatched", "the only allowed value is 'no_segment'"),
    ("segments", [], "segments", "expected a non-empty list"),
    ("segments", ..., "segments", "expected a non-empty list, got nothing"),
    ("segments.1", "rest", "segments[1]", "expected a mapping, got 'rest'"),
    ("segments.0.tags", ["x"], "segments[0].tags", "unknown key 'tags'"),
    ("segments.0.name", ..., "segments[0].name", "is required"),
    ("segments.0.when", ["dpd"], "segments[0].when", "expected a mapping, got a list"),
    ("segments.0.when.colour", "red", "segments[0].when.colour", "unknown key 'colour'"),
    ("segments.0.when.dpd", "abc", "segments[0].when.dpd", "expected an integer, got 'abc'"),
    ("segments.0.when.dpd", {"min": True}, "segments[0].when.dpd.min", "expected an integer, got bool True"),
    ("segments.0.when.dpd", {"above": 3}, "segments[0].when.dpd.above", "unknown operator 'above'"),
    ("segments.0.when.dpd", {}, "segments[0].when.dpd", "expected at least one operator"),
    ("segments.0.when.dpd", {"min": 9, "max": 3}, "segments[0].when.dpd", "min 9 is greater than max 3"),
    ("segments.0.when.dpd", {"in": []}, "segments[0].when.dpd.in", "expected a non-empty list"),
    (
        "segments.0.when.dpd",
        {"not_in": 3},
        "segments[0].when.dpd.not_in",
        "expected a non-empty list, got int 3",
    ),
    ("segments.0.when.dpd", [1, "x"], "segments[0].when.dpd[1]", "expected an integer, got 'x'"),
    (
        "segments.0.when.bucket",
        {"min": "M1"},
        "segments[0].when.bucket.min",
        "does not apply to text field bucket",
    ),
    ("segments.0.when.bucket", 3, "segments[0].when.bucket", "expected a string, got int 3"),
    (
        "segments.0.when.contactable",
        "yes",
        "segments[0].when.contactable",
        "expected true or false, got 'yes'",
    ),
    ("segments.0.when.contactable", [True], "segments[0].when.contactable", "does not apply to flag field"),
    (
        "segments.0.when.credit_score",
        {"is_null": "yes"},
        "segments[0].when.credit_score.is_null",
        "true or false",
    ),
    (
        "segments.0.when.classification",
        "bad",
        "segments[0].when.classification",
        "unknown classification 'bad'",
    ),
    (
        "segments.0.when.repayment_ability",
        ["1.5"],
        "segments[0].when.repayment_ability",
        "does not apply to ratio",
    ),
    (
        "segments.0.when.repayment_ability",
        {"max": "1.23456"},
        "segments[0].when.repayment_ability.max",
        "at most 4",
    ),
    (
        "segments.0.when.repayment_ability",
        {"min": "-1"},
        "segments[0].when.repayment_ability.min",
        "non-negative",
    ),
    (
        "segments.0.when.repayment_ability",
        {"min": 1.5},
        "segments[0].when.repayment_ability.min",
        "float 1.5",
    ),
    ("segments.0.paths", ..., "segments[0].paths", "expected a non-empty list, got nothing"),
    ("segments.0.paths.0", 7, "segments[0].paths[0]", "expected a mapping, got int 7"),
    ("segments.0.paths.0.weight", 1, "segments[0].paths[0].weight", "unknown key 'weight'"),
    ("segments.0.paths.0.name", ..., "segments[0].paths[0].name", "is required"),
    ("segments.0.paths.1.name", "a", "segments[0].paths[1].name", "duplicate path name 'a' (also paths[0])"),
    ("segments.0.paths.0.share", ..., "segments[0].paths[0].share", "is required when a segment has several"),
    ("segments.0.paths.0.share", 0, "segments[0].paths[0].share", "must be between 1 and 10000, got 0"),
    (
        "segments.0.paths.0.share",
        6000,
        "segments[0].paths",
        "must sum to 10000 basis points, got 6000 + 3000",
    ),
    ("segments.0.paths.0.steps", [], "segments[0].paths[0].steps", "expected a non-empty list"),
    ("segments.0.paths.0.steps.0.when", 1, "segments[0].paths[0].steps[0].when", "unknown key 'when'"),
    ("segments.0.paths.0.steps.0.day", ..., "segments[0].paths[0].steps[0].day", "is required"),
    (
        "segments.0.paths.0.steps.0.day",
        "1",
        "segments[0].paths[0].steps[0].day",
        "expected an integer, got '1'",
    ),
    (
        "segments.0.paths.0.steps.0.every",
        0,
        "segments[0].paths[0].steps[0].every",
        "must be at least 1, got 0",
    ),
    ("segments.0.paths.0.steps.0.until", 9, "segments[0].paths[0].steps[0].until", "'until' needs 'every'"),
    ("segments.0.paths.0.steps.0.action", ..., "segments[0].paths[0].steps[0].action", "is required"),
    (
        "segments.0.paths.0.steps.0.action",
        "fax",
        "segments[0].paths[0].steps[0].action",
        "unknown action 'fax'",
    ),
    (
        "segments.0.paths.0.steps.0.template",
        ...,
        "segments[0].paths[0].steps[0].template",
        "needs a template",
    ),
    ("segments.0.paths.0.steps.0.queue", "q", "segments[0].paths[0].steps[0].queue", "takes no queue"),
    (
        "segments.0.paths.1.steps.0.queue",
        ...,
        "segments[0].paths[1].steps[0].queue",
        "action call needs a queue",
    ),
    (
        "segments.0.paths.1.steps.0.template",
        "t",
        "segments[0].paths[1].steps[0].template",
        "takes no template",
    ),
    (
        "segments.0.paths.0.steps.0.priority",
        101,
        "segments[0].paths[0].steps[0].priority",
        "between 0 and 100",
    ),
    ("segments.1.name", "early", "segments[1].name", "duplicate segment name 'early' (also segments[0])"),
    ("segments.1.when", {"dpd": 5}, "segments[1].when", "the last segment must be a catch-all"),
]


@pytest.mark.parametrize(
    ("path", "value", "where", "reason"), ERROR_CASES, ids=[c[2] + ":" + c[3] for c in ERROR_CASES]
)
def test_every_error_names_its_path_and_reason(path: str, value: Any, where: str, reason: str) -> None:
    found = issues_of(with_change(path, value))
    assert any(at == where and reason in why for at, why in found), found


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (3000.5, "expected an amount of yuan as a decimal string such as '3000.00', got float 3000.5"),
        ("3000.555", "at most two decimals"),
        ("lots", "at most two decimals, got 'lots'"),
        (True, "got bool True"),
    ],
)
def test_c9_money_operands_are_decimal_strings_of_yuan_never_floats(value: Any, reason: str) -> None:
    found = issues_of(with_change("segments.0.when.overdue_amount", {"min": value}))
    assert any(at == "segments[0].when.overdue_amount.min" and reason in why for at, why in found), found


def test_c9_money_operands_become_exact_decimals() -> None:
    strategy = parse_strategy(with_change("segments.0.when.overdue_amount", {"min": "3000.5", "max": 50000}))
    conditions = [c for c in strategy.segments[0].conditions if c.field is Field.OVERDUE_AMOUNT]
    assert [c.operand for c in conditions] == [Decimal("3000.50"), Decimal("50000.00")]


def test_the_document_must_be_a_mapping() -> None:
    assert issues_of(["segments"]) == [("(document)", "expected a mapping, got a list")]


def test_a_segment_after_a_catch_all_is_unreachable() -> None:
    data = valid()
    data["segments"].insert(
        1, {"name": "all", "paths": [{"name": "x", "steps": [{"day": 1, "action": "call", "queue": "q"}]}]}
    )
    assert ("segments[2]", "unreachable: segments[1] is a catch-all before it") in issues_of(data)


def test_a_segment_with_the_conditions_of_an_earlier_one_is_unreachable() -> None:
    data = valid()
    clone = copy.deepcopy(data["segments"][0]) | {"name": "early2"}
    data["segments"].insert(1, clone)
    assert ("segments[1]", "unreachable: segments[0] has the same conditions and comes first") in issues_of(
        data
    )


def test_a_step_repeating_another_in_the_same_path_is_an_overlap() -> None:
    data = valid()
    steps = data["segments"][1]["paths"][0]["steps"]
    steps.append(dict(steps[0]) | {"template": "other"})
    assert ("segments[1].paths[0].steps[1]", "repeats steps[0] (same day and action)") in issues_of(data)


def test_until_before_day_is_refused() -> None:
    data = with_change("segments.0.paths.0.steps.0.every", 2)
    data["segments"][0]["paths"][0]["steps"][0]["until"] = 0
    assert ("segments[0].paths[0].steps[0].until", "until 0 is before day 1") in issues_of(data)


def test_unmatched_no_segment_allows_a_last_segment_with_conditions() -> None:
    data = with_change("segments.1.when", {"dpd": {"min": 31}})
    data["unmatched"] = "no_segment"
    strategy = parse_strategy(data)
    assert strategy.allow_unmatched
    assert strategy.segment_index({Field.DPD: 0, Field.BUCKET: "M0"}) is None


def test_every_error_is_reported_at_once_not_only_the_first() -> None:
    data = valid()
    data["segments"][0]["when"]["dpd"] = {"min": "x"}
    data["segments"][0]["paths"][0]["steps"][0]["action"] = "fax"
    data["segments"][0]["paths"][1]["share"] = 0
    data["segments"][1]["paths"][0]["steps"][0]["day"] = None
    data["segments"].append("junk")
    found = {at for at, _ in issues_of(data)}
    assert {
        "segments[0].when.dpd.min",
        "segments[0].paths[0].steps[0].action",
        "segments[0].paths[1].share",
        "segments[1].paths[0].steps[0].day",
        "segments[2]",
    } <= found


# ------------------------------------------------------------------------------------ conditions


@pytest.mark.parametrize(
    ("condition", "value", "holds"),
    [
        (Condition(Field.DPD, Operator.MIN, 30), 30, True),  # min is inclusive
        (Condition(Field.DPD, Operator.MIN, 30), 29, False),
        (Condition(Field.DPD, Operator.MAX, 30), 30, True),  # max is inclusive
        (Condition(Field.DPD, Operator.MAX, 30), 31, False),
        (Condition(Field.DPD, Operator.EQ, 3), 3, True),
        (Condition(Field.DPD, Operator.IN, (1, 3)), 2, False),
        (Condition(Field.DPD, Operator.NOT_IN, (1, 3)), 2, True),
        (Condition(Field.BUCKET, Operator.IN, ("M1", "M2")), "M2", True),
        (Condition(Field.BUCKET, Operator.NOT_IN, ("M1", "M2")), "M2", False),
        (Condition(Field.CONTACTABLE, Operator.EQ, False), False, True),
        (Condition(Field.OVERDUE_AMOUNT, Operator.MIN, Decimal("3000.00")), Decimal("3000.00"), True),
        (Condition(Field.OVERDUE_AMOUNT, Operator.MIN, Decimal("3000.00")), Decimal("2999.99"), False),
        (Condition(Field.CREDIT_SCORE, Operator.IS_NULL, True), None, True),
        (Condition(Field.CREDIT_SCORE, Operator.IS_NULL, True), 600, False),
        (Condition(Field.CREDIT_SCORE, Operator.IS_NULL, False), 600, True),
        # a null (unknown) fact satisfies nothing but is_null: true — not_in included
        (Condition(Field.CREDIT_SCORE, Operator.MIN, 0), None, False),
        (Condition(Field.CREDIT_SCORE, Operator.NOT_IN, (600,)), None, False),
        (Condition(Field.REGION, Operator.NOT_IN, ("110000",)), None, False),
    ],
)
def test_condition_operators(condition: Condition, value: Any, holds: bool) -> None:
    assert condition.holds({condition.field: value}) is holds


def test_repayment_ability_is_an_exact_ratio_compared_inclusively() -> None:
    ability = repayment_ability(Decimal("3000.00"), Decimal("2000.00"))
    assert ability == Fraction(3, 2)
    at_most = Condition(Field.REPAYMENT_ABILITY, Operator.MAX, Decimal("1.5"))
    assert at_most.holds({Field.REPAYMENT_ABILITY: ability})
    assert not at_most.holds({Field.REPAYMENT_ABILITY: Fraction(3001, 2000)})
    assert repayment_ability(Decimal("3000.00"), Decimal("0.00")) is None
    assert repayment_ability(None, Decimal("1.00")) is None


def test_the_first_matching_segment_wins() -> None:
    strategy = parse_strategy(valid())
    assert strategy.segment_index({Field.BUCKET: "M1", Field.DPD: 5}) == 0
    assert strategy.segment_index({Field.BUCKET: "M1", Field.DPD: 31}) == 1  # falls through to the catch-all
    assert strategy.segment_index({Field.BUCKET: None, Field.DPD: 5}) == 1


# ------------------------------------------------------------------------------------ steps, arms


@pytest.mark.parametrize(
    ("step", "due_days"),
    [
        (Step(-3, Action.SMS, template="t"), [-3]),
        (Step(1, Action.SMS, template="t"), [1]),
        (Step(3, Action.CALL, every=5, until=13, queue="q"), [3, 8, 13]),  # until is inclusive
        (Step(3, Action.CALL, every=5, until=12, queue="q"), [3, 8]),
        (Step(10, Action.CALL, every=30, queue="q"), [10, 40, 70]),  # no until: as long as the state lasts
        (Step(-7, Action.SMS, every=2, until=-1, template="t"), [-7, -5, -3, -1]),
    ],
)
def test_steps_fire_on_their_day_and_repeats(step: Step, due_days: list[int]) -> None:
    assert [day for day in range(-10, 80) if step.is_due(day)] == due_days


def test_shares_cut_the_hash_range_in_order() -> None:
    segment = parse_strategy(valid()).segments[0]  # shares 7000 / 3000
    assert [segment.path_index(bucket) for bucket in (0, 6999, 7000, 9999)] == [0, 0, 1, 1]
    assert [arm_name(i) for i in range(3)] == ["champion", "challenger-1", "challenger-2"]
    assert step_id(1, 2) == "p1.s2"


def test_fnv1a_64_matches_the_published_test_vectors() -> None:
    assert fnv1a_64(b"") == 0xCBF29CE484222325
    assert fnv1a_64(b"a") == 0xAF63DC4C8601EC8C
    assert fnv1a_64(b"foobar") == 0x85944171F73967E8


def test_hash_bucket_is_fnv_of_the_utf8_id_modulo_10000_and_the_salt_reseeds_it() -> None:
    assert hash_bucket("foobar") == 0x85944171F73967E8 % 10_000
    assert hash_bucket("借款人001") == fnv1a_64("借款人001".encode()) % 10_000
    assert hash_bucket("B1", salt="2026q3") == fnv1a_64(b"2026q3:B1") % 10_000
    assert hash_bucket("B1", salt="2026q3") != hash_bucket("B1")
