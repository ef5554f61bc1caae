"""The risk part of the EOD run's summary (issue 8, ``-m db``) on a simulated book: ``EodResult.risk`` says how
many borrowers the active early-warning model scored, the watch list entries opened / kept / closed and the
day's greedy and optimised plans (``QINGSHOU_PLAN_EOD``), each equal to what the run wrote to the store; a
rerun of the day says the same; ``qingshou eod --json`` carries it and the text output prints it. Money in the
JSON is decimal strings (C9)."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from eod_support import BOOK_DAY, NEEDS_KERNEL, SimulatedBook, lake, load_book, simulated_book
from test_warning_eod import activate_early_warning, synthetic_set

from qingshou.apps.eod.services.run import run_eod
from qingshou.apps.notices.services.templates import load_default_templates
from qingshou.apps.planning.models import PlanRun
from qingshou.apps.scoring.models import RiskScore
from qingshou.apps.warning.models import WatchEntry
from qingshou.cli import build
from qingshou.domain.money import from_fen, money_str

pytestmark = [pytest.mark.db, pytest.mark.django_db(transaction=True), NEEDS_KERNEL]
__all__ = ["lake", "simulated_book"]  # fixtures

DAY = BOOK_DAY


@pytest.fixture
def book(simulated_book: SimulatedBook, lake: Path, settings: Any) -> Path:
    load_default_templates()
    load_book(simulated_book(300, 11))
    settings.QINGSHOU_PLAN_EOD = True
    settings.QINGSHOU_PLAN = {"time_limit_s": 2.0}
    return lake


def money(fen: int) -> str:
    return money_str(from_fen(fen))


def test_the_summary_equals_what_the_run_wrote(book: Path) -> None:
    activate_early_warning(synthetic_set())
    run_eod(DAY - timedelta(days=1))
    risk = run_eod(DAY).as_json()["risk"]

    scored = RiskScore.objects.filter(kind="early_warning", as_of=DAY)
    assert risk["scored"] == {"early_warning": {"model_version": 1, "borrowers": scored.count()}}
    assert scored.count() > 0
    assert "collection" not in risk["scored"]  # no active collection model: nothing scored

    watch = risk["watch_list"]
    open_now = WatchEntry.objects.filter(status="open")
    assert watch["opened"] == open_now.filter(opened_on=DAY).count()
    assert watch["kept"] == open_now.filter(opened_on__lt=DAY).count()
    assert watch["closed"] == WatchEntry.objects.filter(status="closed", closed_on=DAY).count()
    assert watch["open"] == open_now.count() == watch["opened"] + watch["kept"]
    assert watch["kept"] > 0  # the day before opened them

    runs = {run.method: run for run in PlanRun.objects.filter(day=DAY)}
    plan = risk["plan"]
    assert plan["candidates"] == runs["optimised"].candidates
    assert plan["optimised_chosen"] == runs["optimised"].chosen
    assert plan["greedy_chosen"] == runs["greedy"].chosen
    assert plan["optimised_net"] == money(runs["optimised"].net_fen)
    assert plan["greedy_net"] == money(runs["greedy"].net_fen)
    assert Decimal(plan["gain"]) == Decimal(plan["optimised_net"]) - Decimal(plan["greedy_net"])
    assert plan["status"] == runs["optimised"].status

    again = run_eod(DAY).as_json()["risk"]  # a rerun of the day: the same counts
    assert again["watch_list"] == watch
    assert again["scored"] == risk["scored"]


def test_the_command_prints_it(book: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(build(), ["eod", "--as-of", DAY.isoformat(), "--json"])
    assert result.exit_code == 0, result.output
    risk = json.loads(result.stdout)["runs"][0]["risk"]
    assert set(risk) == {"watch_list", "plan"}  # no model active: nothing scored
    text = runner.invoke(build(), ["eod", "--as-of", DAY.isoformat(), "--quiet"])
    assert text.exit_code == 0, text.output
    assert "风险 risk" in text.output
    assert f"{risk['watch_list']['open']:,}" in text.output
    assert "优化计划选中 optimised plan chose" in text.output
