"""Strategy versions in the store and the ``qingshou strategy`` commands (SQLite and PostgreSQL): apply,
identical text as a no-op, one active version, the packaged default when nothing was applied, validate
with every error and its line (exit 2), show, history."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from django.db import IntegrityError, transaction

from qingshou.apps.notices.services.templates import load_default_templates
from qingshou.apps.strategy.documents import StrategyFileError, default_text
from qingshou.apps.strategy.models import StrategyVersion
from qingshou.apps.strategy.selectors import (
    SOURCE_DEFAULT,
    SOURCE_STORE,
    active_strategy,
    sha256_of,
    strategy_version,
)
from qingshou.apps.strategy.services import apply_strategy
from qingshou.cli import build
from qingshou.domain.errors import DomainError

pytestmark = [pytest.mark.db, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def templates() -> None:
    """The packaged notice templates (a transactional test's flush removes the migration's rows)."""
    load_default_templates()


SMALL = """\
name: small
segments:
  - name: all
    paths:
      - name: only
        steps:
          - {day: 1, action: sms, template: reminder}
"""

BAD = """\
name: bad
segments:
  - name: early
    when:
      dpd: abc
      colour: red
    paths:
      - name: a
        share: 6000
        steps:
          - {day: 1, action: sms}
      - name: b
        share: 3000
        steps:
          - {day: x, action: call, queue: q}
"""


def invoke(*args: str) -> Result:
    return CliRunner().invoke(build(), list(args))


def write(tmp_path: Path, text: str, name: str = "strategy.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_without_an_applied_version_the_packaged_default_is_in_force_and_says_so() -> None:
    found = active_strategy()
    assert found.source == SOURCE_DEFAULT
    assert found.version is None
    assert found.strategy.name == "default"
    assert found.sha256 == sha256_of(default_text())


def test_apply_stores_version_1_as_the_active_strategy() -> None:
    result = apply_strategy(SMALL, "zhang.san")
    assert result.created
    row = StrategyVersion.objects.get()
    assert (row.version, row.name, row.applied_by, row.active, row.text) == (
        1,
        "small",
        "zhang.san",
        True,
        SMALL,
    )
    assert row.sha256 == sha256_of(SMALL)
    found = active_strategy()
    assert (found.source, found.version, found.strategy.name) == (SOURCE_STORE, 1, "small")


def test_applying_the_active_text_again_is_a_no_op_returning_that_version() -> None:
    first = apply_strategy(SMALL, "a")
    again = apply_strategy(SMALL, "b")
    assert not again.created
    assert again.version.pk == first.version.pk
    assert StrategyVersion.objects.count() == 1
    assert StrategyVersion.objects.get().applied_by == "a"


def test_a_new_text_becomes_the_next_version_and_the_only_active_one() -> None:
    apply_strategy(SMALL, "a")
    apply_strategy(default_text(), "b")
    rolled_back = apply_strategy(SMALL, "c")  # back to the first text: a new version, history kept
    rows = list(StrategyVersion.objects.order_by("version").values_list("version", "name", "active"))
    assert rows == [(1, "small", False), (2, "default", False), (3, "small", True)]
    assert rolled_back.created
    assert strategy_version(2).strategy.name == "default"


def test_the_store_refuses_a_second_active_version() -> None:
    apply_strategy(SMALL, "a")
    with pytest.raises(IntegrityError), transaction.atomic():
        StrategyVersion.objects.create(
            version=9, name="x", text="x", sha256="0" * 64, applied_by="x", active=True
        )


def test_an_invalid_text_is_refused_with_every_issue_and_nothing_is_stored() -> None:
    with pytest.raises(StrategyFileError) as caught:
        apply_strategy(BAD, "a")
    assert len(caught.value.issues) == 6
    assert StrategyVersion.objects.count() == 0
    assert active_strategy().source == SOURCE_DEFAULT


def test_an_unknown_version_is_not_found() -> None:
    with pytest.raises(DomainError) as caught:
        strategy_version(7)
    assert caught.value.code == "not_found"


# ------------------------------------------------------------------------------------------- the CLI


def test_cli_validate_prints_the_summary_and_exits_0(tmp_path: Path) -> None:
    result = invoke("strategy", "validate", str(write(tmp_path, default_text())))
    assert result.exit_code == 0, result.output
    for text in ("self_cure", "challenger-1", "legal_review", "p0.s7", "catch-all"):
        assert text in result.output


def test_cli_validate_lists_every_error_with_its_line_and_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(build(), ["strategy", "validate", str(write(tmp_path, BAD))])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "错误 error: 6 problem(s) in the strategy file:",
        "  line 5, segments[0].when.dpd: expected an integer, got 'abc'",
        "  line 5, segments[0].when: the last segment must be a catch-all (no 'when'), or set 'unmatched: no_segment'",
        "  line 6, segments[0].when.colour: unknown key 'colour' (allowed: bucket, dpd, borrower_worst_dpd, "
        "overdue_amount, borrower_overdue_amount, borrower_overdue_loans, outstanding_principal, product, "
        "credit_score, repayment_ability, contactable, broken_promises, region, classification, "
        "collection_score, warning_score, watch_listed)",
        "  line 8, segments[0].paths: shares must sum to 10000 basis points, got 6000 + 3000 = 9000",
        "  line 11, segments[0].paths[0].steps[0].template: action sms needs a template",
        "  line 15, segments[0].paths[1].steps[0].day: expected an integer, got 'x'",
    ]


def test_cli_validate_of_a_missing_file_exits_2(tmp_path: Path) -> None:
    result = invoke("strategy", "validate", str(tmp_path / "none.yaml"))
    assert result.exit_code == 2
    assert "cannot read" in result.stderr


def as_json(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_cli_apply_show_and_history(tmp_path: Path) -> None:
    shown = as_json(invoke("strategy", "show", "--json"))
    assert (shown["source"], shown["version"], shown["strategy"]["name"]) == (
        "packaged_default",
        None,
        "default",
    )

    applied = as_json(invoke("strategy", "apply", str(write(tmp_path, SMALL)), "--by", "li.si", "--json"))
    assert (applied["version"], applied["created"], applied["applied_by"]) == (1, True, "li.si")
    again = as_json(invoke("strategy", "apply", str(write(tmp_path, SMALL)), "--by", "wang", "--json"))
    assert (again["version"], again["created"]) == (1, False)
    as_json(invoke("strategy", "apply", str(write(tmp_path, default_text(), "d.yaml")), "--json"))

    shown = as_json(invoke("strategy", "show", "--json"))
    assert (shown["source"], shown["version"], shown["active"]) == ("store", 2, True)
    high = next(s for s in shown["strategy"]["segments"] if s["name"] == "high_balance")
    money = high["when"][0]
    assert money == {"field": "borrower_overdue_amount", "operator": "min", "operand": "50000.00"}  # C9
    older = as_json(invoke("strategy", "show", "--version", "1", "--json"))
    assert (older["version"], older["active"], older["text"]) == (1, False, SMALL)

    history = as_json(invoke("strategy", "history", "--json"))
    assert [(row["version"], row["name"], row["active"]) for row in history] == [
        (2, "default", True),
        (1, "small", False),
    ]
    table = invoke("strategy", "history")
    assert table.exit_code == 0
    assert "li.si" in table.output


def test_cli_apply_of_an_invalid_file_exits_2_and_stores_nothing(tmp_path: Path) -> None:
    result = invoke("strategy", "apply", str(write(tmp_path, BAD)), "--by", "x")
    assert result.exit_code == 2
    assert "line 5, segments[0].when.dpd" in result.stderr
    assert StrategyVersion.objects.count() == 0


def test_cli_show_of_an_unknown_version_exits_4() -> None:
    result = invoke("strategy", "show", "--version", "3")
    assert result.exit_code == 4
    assert "no strategy version 3" in result.stderr


def test_cli_show_says_when_the_packaged_default_is_in_force() -> None:
    result = invoke("strategy", "show")
    assert result.exit_code == 0
    assert "packaged default" in result.output
