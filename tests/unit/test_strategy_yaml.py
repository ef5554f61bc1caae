"""Strategy files as YAML text (``apps.strategy.documents``): every error with its line and path, duplicate
keys, syntax errors, and the packaged default and example files are valid. No database."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from textwrap import dedent

import pytest

from qingshou.apps.strategy.documents import LineIssue, StrategyFileError, default_text, parse_text
from qingshou.domain.strategy import Action, Field


def issues(text: str) -> list[str]:
    with pytest.raises(StrategyFileError) as caught:
        parse_text(dedent(text))
    return [str(issue) for issue in caught.value.issues]


GOOD = """\
    name: t
    segments:
      - name: early
        when:
          dpd: {min: 1, max: 30}
        paths:
          - name: a
            steps:
              - {day: 1, action: sms, template: d1}
      - name: rest
        paths:
          - name: b
            steps:
              - {day: 3, action: call, queue: early}
    """


def test_a_valid_file_parses() -> None:
    strategy = parse_text(dedent(GOOD))
    assert [segment.name for segment in strategy.segments] == ["early", "rest"]


def test_errors_carry_the_line_of_the_node_and_its_path() -> None:
    text = GOOD.replace("dpd: {min: 1, max: 30}", "dpd: abc").replace("action: call", "action: fax")
    assert issues(text) == [
        "line 5, segments[0].when.dpd: expected an integer, got 'abc'",
        "line 14, segments[1].paths[0].steps[0].action: unknown action 'fax' (allowed: "
        + ", ".join(Action)
        + ")",
    ]


def test_a_missing_key_points_at_its_mapping() -> None:
    text = GOOD.replace("  - name: a\n", "  - title: a\n")
    found = issues(text)
    assert (
        "line 7, segments[0].paths[0].title: unknown key 'title' (allowed: name, description, share, steps)"
        in found
    )
    assert "line 7, segments[0].paths[0].name: is required" in found


def test_duplicate_keys_are_refused_with_both_lines() -> None:
    text = GOOD.replace("name: t\n", "name: t\n    name: u\n")
    assert issues(text) == ["line 2, name: duplicate key 'name' (first on line 1)"]


def test_unknown_fields_and_operators_are_refused() -> None:
    text = GOOD.replace("dpd: {min: 1, max: 30}", "dpd: {above: 1}\n          colour: red")
    assert issues(text) == [
        "line 5, segments[0].when.dpd.above: unknown operator 'above' (allowed: eq, in, not_in, min, max, is_null)",
        "line 6, segments[0].when.colour: unknown key 'colour' (allowed: " + ", ".join(Field) + ")",
    ]


def test_a_syntax_error_is_one_issue_with_its_line() -> None:
    with pytest.raises(StrategyFileError) as caught:
        parse_text("name: t\nsegments: [\n  {name: a\n")
    [issue] = caught.value.issues
    assert isinstance(issue, LineIssue)
    assert issue.line == 4
    assert issue.reason.startswith("not valid YAML:")


def test_an_empty_file_is_not_a_strategy() -> None:
    assert issues("") == ["(document): expected a mapping, got null"]


def test_the_packaged_default_is_valid_and_has_the_issue_ladder() -> None:
    """Pre-due reminder D−3, SMS day 1, call day 3, letter day 7, field visit 20, agency 45, legal 90."""
    strategy = parse_text(default_text())
    catch_all = strategy.segments[-1]
    assert catch_all.conditions == ()
    ladder = [(step.day, step.action) for step in catch_all.paths[0].steps if step.every is None]
    assert ladder == [
        (-3, Action.SMS),
        (1, Action.SMS),
        (3, Action.CALL),
        (7, Action.LETTER),
        (20, Action.FIELD_VISIT),
        (45, Action.AGENCY_PLACEMENT),
        (90, Action.LEGAL_REVIEW),
    ]
    assert [len(segment.paths) for segment in strategy.segments].count(2) == 1  # one champion/challenger


@pytest.mark.parametrize(
    "name", sorted(p.name for p in resources.files("qingshou").joinpath("strategies", "examples").iterdir())
)
def test_the_example_files_are_valid(name: str) -> None:
    text = resources.files("qingshou").joinpath("strategies", "examples", name).read_text(encoding="utf-8")
    assert parse_text(text).segments


def test_the_yaml_examples_of_docs_strategy_md_are_valid() -> None:
    """Every ```yaml block of docs/strategy.md parses (the documentation cannot drift from the parser)."""
    docs = Path(__file__).resolve().parents[2] / "docs" / "strategy.md"
    blocks = re.findall(r"```yaml\n(.*?)```", docs.read_text(encoding="utf-8"), flags=re.DOTALL)
    assert blocks
    for block in blocks:
        assert parse_text(block).segments
