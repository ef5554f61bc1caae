"""Confidence intervals of ``qingshou.risk.evaluation`` against published worked examples: Wilson (Newcombe
1998a, Statistics in Medicine 17:857, table I), Newcombe's hybrid score interval for a difference of
independent proportions (Newcombe 1998b, Statistics in Medicine 17:873, method 10, table II) and the paired
t interval (Student's sleep data, as R's ``t.test(extra ~ group, sleep, paired = TRUE)`` gives it).
No database."""

from __future__ import annotations

import polars as pl
import pytest

from qingshou.risk.evaluation import (
    Interval,
    arm_differences,
    newcombe_difference,
    paired_difference,
    wilson,
    z_value,
)


@pytest.mark.parametrize(
    ("successes", "trials", "low", "high"),
    [
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0000, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_matches_newcombe_1998a(successes: int, trials: int, low: float, high: float) -> None:
    """Newcombe 1998a, method 3 (score interval without continuity correction), 4-decimal limits."""
    interval = wilson(successes, trials)
    assert interval.estimate == pytest.approx(successes / trials)
    assert round(interval.low, 4) == low
    assert round(interval.high, 4) == high


@pytest.mark.parametrize(
    ("x1", "n1", "x2", "n2", "difference", "low", "high"),
    [
        (56, 70, 48, 80, 0.2000, 0.0524, 0.3339),
        (9, 10, 3, 10, 0.6000, 0.1705, 0.8090),
        (6, 7, 2, 7, 0.5714, 0.0582, 0.8062),
        (5, 56, 0, 29, 0.0893, -0.0381, 0.1926),
    ],
)
def test_newcombe_difference_matches_1998b(
    x1: int, n1: int, x2: int, n2: int, difference: float, low: float, high: float
) -> None:
    """Newcombe 1998b, method 10, examples (a)–(d)."""
    interval = newcombe_difference(x1, n1, x2, n2)
    assert round(interval.estimate, 4) == difference
    assert (round(interval.low, 4), round(interval.high, 4)) == (low, high)


def test_newcombe_difference_is_antisymmetric() -> None:
    """Swapping the samples mirrors the interval."""
    forward = newcombe_difference(56, 70, 48, 80)
    backward = newcombe_difference(48, 80, 56, 70)
    assert backward.low == pytest.approx(-forward.high)
    assert backward.high == pytest.approx(-forward.low)


SLEEP_GROUP_1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
SLEEP_GROUP_2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]


def test_paired_difference_matches_students_sleep_data() -> None:
    """Group 1 − group 2 of the sleep data: mean −1.58, 95 % interval (−2.4598858, −0.7001142) by t(9)."""
    differences = [a - b for a, b in zip(SLEEP_GROUP_1, SLEEP_GROUP_2, strict=True)]
    interval = paired_difference(differences)
    assert interval.estimate == pytest.approx(-1.58)
    assert interval.low == pytest.approx(-2.4598858, abs=1e-6)
    assert interval.high == pytest.approx(-0.7001142, abs=1e-6)


def test_paired_difference_without_spread_is_a_point() -> None:
    """All differences equal (identical arms): the interval is the point itself."""
    assert paired_difference([0, 0, 0]) == Interval(0.0, 0.0, 0.0)
    assert paired_difference([5.0]) == Interval(5.0, 5.0, 5.0)


def test_scaled_turns_a_mean_into_a_total_and_keeps_the_order() -> None:
    """× N for the total over N borrowers; a negative factor swaps the ends."""
    interval = Interval(2.0, 1.0, 3.0)
    assert interval.scaled(100) == Interval(200.0, 100.0, 300.0)
    assert interval.scaled(-1) == Interval(-2.0, -3.0, -1.0)
    assert interval.contains(1.0)
    assert not interval.contains(3.5)


def test_z_value_of_95_percent() -> None:
    assert z_value() == pytest.approx(1.959964, abs=1e-6)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: wilson(1, 0), "trials must be positive"),
        (lambda: wilson(5, 4), "successes must be between 0 and trials"),
        (lambda: wilson(-1, 4), "successes must be between 0 and trials"),
        (lambda: paired_difference([]), "at least one difference"),
        (lambda: paired_difference([1.0, 2.0], level=1.0), "level must be between 0 and 1"),
    ],
)
def test_bad_input_is_refused_with_a_reason(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]


def test_arm_differences_gives_each_challenger_against_its_champion() -> None:
    """The report's champion_challenger rows → challenger − champion cure rate per segment (Newcombe); the
    segment without a champion and the champion rows give none; an arm with no cases has no interval."""
    arms = pl.DataFrame(
        {
            "segment": ["early", "early", "early", "late", "orphan"],
            "arm": ["champion", "challenger-1", "challenger-2", "champion", "challenger-1"],
            "cases": [80, 70, 0, 10, 5],
            "cured": [48, 56, 0, 3, 1],
        }
    )
    result = arm_differences(arms)
    assert result.select("segment", "arm").rows() == [("early", "challenger-1"), ("early", "challenger-2")]
    first = result.row(0, named=True)
    assert (first["cases"], first["cured"], first["champion_cases"], first["champion_cured"]) == (
        70,
        56,
        80,
        48,
    )
    assert round(first["difference"], 4) == 0.2
    assert (round(first["diff_low"], 4), round(first["diff_high"], 4)) == (0.0524, 0.3339)
    assert result.row(1, named=True)["difference"] is None
