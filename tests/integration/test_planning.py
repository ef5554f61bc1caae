"""The day's plan from a real EOD (issue 8, ``-m db``): a simulated book, a strategy that asks for every
channel every day, EOD writes ``qs_action``; ``plan_day`` turns the allowed actions into candidates (refused
ones are not candidates, C8), plans greedy and optimised within the capacity and the per-borrower caps, and
stores both runs and their items; a rerun replaces them."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from click.testing import CliRunner
from eod_support import BOOK_DAY, NEEDS_KERNEL, SimulatedBook, lake, load_book, simulated_book

from qingshou import config
from qingshou.analytics.contract import check_table
from qingshou.analytics.ops_plan import plan_metrics
from qingshou.analytics.sources import Sources
from qingshou.apps.accounts.roles import ROLE_PERMISSIONS, Role
from qingshou.apps.audit.models import AuditEvent
from qingshou.apps.cases.models import Action
from qingshou.apps.eod.models import LoanStatus
from qingshou.apps.eod.services.run import run_eod
from qingshou.apps.loans.models import Installment
from qingshou.apps.notices.services.templates import load_default_templates
from qingshou.apps.planning.models import PlanItem, PlanRun
from qingshou.apps.planning.services import PlanSettings, candidates_of, plan_day
from qingshou.apps.scoring.models import RiskScore
from qingshou.apps.strategy.services import apply_strategy
from qingshou.cli import build
from qingshou.risk.optimise import Capacity, Caps, check_plan
from qingshou.store import Store

pytestmark = [pytest.mark.db, pytest.mark.django_db(transaction=True), NEEDS_KERNEL]

__all__ = ["lake", "simulated_book"]  # fixtures

EVERY_CHANNEL = """
name: every_channel
segments:
  - name: all
    paths:
      - name: daily
        steps:
          - {day: 1, every: 1, action: sms, template: reminder, priority: 20}
          - {day: 1, every: 1, action: letter, template: demand, priority: 30}
          - {day: 1, every: 1, action: call, queue: early, priority: 60}
          - {day: 1, every: 1, action: field_visit, queue: field, priority: 90}
          - {day: 1, every: 1, action: agency_placement, queue: agency_review, priority: 40}
          - {day: 1, every: 1, action: legal_review, queue: legal, priority: 95}
"""

CAPACITY = Capacity(collector_minutes=300, sms=40, letters=5, field_visits=1, agency_slots=3)


@pytest.fixture
def planned_day(simulated_book: SimulatedBook, lake: Path) -> Path:
    load_default_templates()
    load_book(simulated_book(300, 11))
    apply_strategy(EVERY_CHANNEL, by="test")
    run_eod(BOOK_DAY)
    assert Action.objects.filter(as_of=BOOK_DAY, outcome="allow").exists()
    return lake


def test_plans_both_ways_within_capacity_and_stores_them(planned_day: Path) -> None:
    """C8: a refused action is no candidate; neither plan exceeds a capacity or a per-borrower cap."""
    refused = Action.objects.filter(as_of=BOOK_DAY, action="sms", outcome="allow").order_by("id").first()
    assert refused is not None
    Action.objects.filter(pk=refused.pk).update(outcome="refuse", reason="quiet_hours")
    scored = Action.objects.filter(as_of=BOOK_DAY, action="call", outcome="allow").order_by("id").first()
    assert scored is not None
    RiskScore.objects.create(
        borrower_id=scored.borrower_id,
        kind="collection",
        as_of=BOOK_DAY,
        model_version=1,
        points=500,
        probability_ppm=900_000,
    )
    with Store(config.adbc_uri()) as store:
        plans = plan_day(BOOK_DAY, store=store, capacity=CAPACITY, time_limit_s=5, actor="test")
        candidates = plans.candidates
        assert refused.pk not in set(candidates["candidate_id"])
        allowed = set(
            Action.objects.filter(as_of=BOOK_DAY, outcome="allow")
            .exclude(action="legal_review")
            .values_list("id", flat=True)
        )
        assert set(candidates["candidate_id"]) == allowed
        for plan in (plans.greedy, plans.optimised):
            assert check_plan(candidates.drop("probability_ppm", "p_source"), plan, CAPACITY, Caps()) == []
        assert plans.optimised.net_fen >= plans.greedy.net_fen
        assert plans.optimised.bound_fen >= plans.optimised.net_fen

    row = candidates.filter(pl.col("candidate_id") == scored.pk).row(0, named=True)
    overdue = LoanStatus.objects.get(loan_id=scored.loan_id).borrower_total_overdue_fen
    assert row["p_source"] == "score"
    assert row["value_fen"] == overdue * 900_000 // 1_000_000 * 350_000 // 1_000_000
    assert row["cost_fen"] == 300
    assert row["minutes"] == 6
    visit = candidates.filter(pl.col("channel") == "field_visit").row(0, named=True)
    assert visit["minutes"] == 240  # 120 minutes for each of the 2 collectors a visit needs (C8)
    assert set(candidates["p_source"]) <= {"score", "cure_rate", "default"}

    runs = {run.method: run for run in PlanRun.objects.filter(day=BOOK_DAY)}
    assert set(runs) == {"greedy", "optimised"}
    for method, plan in (("greedy", plans.greedy), ("optimised", plans.optimised)):
        run = runs[method]
        assert (run.candidates, run.chosen, run.net_fen) == (
            candidates.height,
            len(plan.chosen),
            plan.net_fen,
        )
        assert run.value_fen - run.cost_fen == run.net_fen
        assert run.capacity["collector_minutes"] == 300
        assert run.used["collector_minutes"] <= 300
        chosen = set(PlanItem.objects.filter(run=run, chosen=True).values_list("action_id", flat=True))
        assert chosen == set(plan.chosen)
        assert PlanItem.objects.filter(run=run).count() == candidates.height
    assert AuditEvent.objects.filter(action="planning.plan_run", target_id=BOOK_DAY.isoformat()).count() == 1

    with Store(config.adbc_uri()) as store:
        plan_day(BOOK_DAY, store=store, capacity=CAPACITY, time_limit_s=5)
    assert PlanRun.objects.filter(day=BOOK_DAY).count() == 2
    assert PlanItem.objects.count() == 2 * candidates.height


def test_a_day_without_actions_plans_nothing(planned_day: Path) -> None:
    with Store(config.adbc_uri()) as store:
        empty = candidates_of(BOOK_DAY.replace(day=1), store, PlanSettings())
        assert empty.height == 0
        plans = plan_day(BOOK_DAY.replace(day=1), store=store, capacity=CAPACITY)
    assert plans.optimised.chosen == ()
    assert plans.gain_fen == 0
    assert PlanRun.objects.filter(day=BOOK_DAY.replace(day=1)).count() == 2


def test_cli_run_and_show(planned_day: Path) -> None:
    """``qingshou plan run`` stores both runs and prints money as decimal strings; ``show`` reads them back."""
    runner = CliRunner()
    missing = runner.invoke(build(), ["plan", "show", "--day", BOOK_DAY.isoformat()])
    assert missing.exit_code == 4
    bad = runner.invoke(build(), ["plan", "run", "--day", BOOK_DAY.isoformat(), "--capacity", "faxes=3"])
    assert bad.exit_code == 2
    assert "faxes" in bad.output
    result = runner.invoke(
        build(),
        [
            "plan",
            "run",
            "--day",
            BOOK_DAY.isoformat(),
            "--time-limit",
            "5",
            "--json",
            "--capacity",
            "collector_minutes=120",
            "--capacity",
            "sms=10",
            "--capacity",
            "letters=none",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["capacity"]["collector_minutes"] == 120
    assert data["capacity"]["sms"] == 10
    assert data["capacity"]["letters"] is None
    assert data["optimised"]["used"]["collector_minutes"] <= 120
    assert Decimal(data["gain"]) == Decimal(data["optimised"]["net"]) - Decimal(data["greedy"]["net"])
    assert Decimal(data["gain"]) >= 0
    shown = runner.invoke(build(), ["plan", "show", "--day", BOOK_DAY.isoformat(), "--json"])
    assert shown.exit_code == 0, shown.output
    runs = json.loads(shown.stdout)["runs"]
    assert [run["method"] for run in runs] == ["greedy", "optimised"]
    assert runs[1]["net"] == data["optimised"]["net"]
    table = runner.invoke(build(), ["plan", "show", "--day", BOOK_DAY.isoformat()])
    assert "plan vs strategy" in table.output


def test_report_table_reads_the_stored_runs(planned_day: Path) -> None:
    """The month's ``plan_vs_strategy`` table reads ``qs_plan_run`` back: the day's row and the total carry the
    stored nets and their difference; another month is empty with a note."""
    with Store(config.adbc_uri()) as store:
        plans = plan_day(BOOK_DAY, store=store, capacity=CAPACITY, time_limit_s=5)
        june = Sources(BOOK_DAY.replace(day=1), BOOK_DAY, (BOOK_DAY,), planned_day, store)
        metrics = plan_metrics(june)
        may = Sources(date(2026, 5, 1), date(2026, 5, 31), (), planned_day, store)
        empty = plan_metrics(may)
    table = metrics.tables["plan_vs_strategy"]
    check_table(table)
    rows = table.frame.to_dicts()
    assert [row["day"] for row in rows] == [BOOK_DAY.isoformat(), "total"]
    for row in rows:
        assert row["strategy_net_fen"] == plans.greedy.net_fen
        assert row["optimised_net_fen"] == plans.optimised.net_fen
        assert row["gain_fen"] == plans.gain_fen
        assert row["candidates"] == plans.greedy.candidates
    assert empty.tables["plan_vs_strategy"].frame.height == 0
    assert empty.notes


def test_eod_step_off_by_default_then_plans_inside_the_run(planned_day: Path, settings: Any) -> None:
    """``PlanDay`` does nothing unless ``QINGSHOU_PLAN_EOD``; then the run stores both plans, and a rerun of the
    day replaces them."""
    assert not PlanRun.objects.exists()
    settings.QINGSHOU_PLAN_EOD = True
    settings.QINGSHOU_PLAN = {"time_limit_s": 3.0}
    settings.QINGSHOU_PLAN_CAPACITY = {"collector_minutes": 200, "sms": 30}
    result = run_eod(BOOK_DAY)
    assert result.status == "succeeded"
    runs = {run.method: run for run in PlanRun.objects.filter(day=BOOK_DAY)}
    assert set(runs) == {"greedy", "optimised"}
    assert runs["optimised"].net_fen >= runs["greedy"].net_fen
    assert runs["optimised"].capacity["collector_minutes"] == 200
    assert runs["optimised"].used["sms"] <= 30
    items = PlanItem.objects.count()
    run_eod(BOOK_DAY)
    assert PlanRun.objects.filter(day=BOOK_DAY).count() == 2
    assert PlanItem.objects.count() == items


def test_only_risk_managers_and_admins_run_plans() -> None:
    """Least privilege: risk managers and admins run and read plans, supervisors read them; collectors, agency
    users and field agents never see the plan's internals."""
    runners = {role for role, names in ROLE_PERMISSIONS.items() if "planning.run_plan" in names}
    readers = {role for role, names in ROLE_PERMISSIONS.items() if "planning.view_planrun" in names}
    assert runners == {Role.ADMIN, Role.RISK_MANAGER}
    assert readers == {Role.ADMIN, Role.RISK_MANAGER, Role.SUPERVISOR}


PRE_DUE = """
name: pre_due
segments:
  - name: all
    paths:
      - name: remind
        steps:
          - {day: -3, action: sms, template: reminder, priority: 30}
          - {day: 1, every: 1, action: call, queue: early, priority: 60}
"""


def test_a_pre_due_reminder_is_valued_on_the_next_instalment_at_risk(
    simulated_book: SimulatedBook, lake: Path
) -> None:
    """A current borrower owes nothing overdue: the reminder's value is P(miss) × the next instalment × the
    SMS effect (the earliest instalment due over the borrower's loans) — P(miss) from the early-warning score when there is one, else the pre-due default."""
    load_default_templates()
    load_book(simulated_book(300, 11))
    apply_strategy(PRE_DUE, by="test")
    run_eod(BOOK_DAY)
    reminders = list(Action.objects.filter(as_of=BOOK_DAY, action="sms", outcome="allow").order_by("id")[:2])
    assert len(reminders) == 2, "the book has current borrowers due in three days"
    warned, plain = reminders
    RiskScore.objects.create(
        borrower_id=warned.borrower_id,
        kind="early_warning",
        as_of=BOOK_DAY,
        model_version=1,
        points=480,
        probability_ppm=200_000,
    )
    with Store(config.adbc_uri()) as store:
        candidates = candidates_of(BOOK_DAY, store, PlanSettings(), lake=lake)

    def next_instalment(borrower_id: str) -> int:
        due = (
            Installment.objects.filter(loan__borrower_id=borrower_id, due_date__gte=BOOK_DAY)
            .order_by("due_date", "loan_id")
            .first()
        )
        assert due is not None
        return due.principal_due_fen + due.interest_due_fen + due.fee_due_fen

    for action, ppm, source in ((warned, 200_000, "warning_score"), (plain, 30_000, "pre_due_default")):
        row = candidates.filter(pl.col("candidate_id") == action.pk).row(0, named=True)
        assert LoanStatus.objects.get(loan_id=action.loan_id).borrower_total_overdue_fen == 0
        assert row["p_source"] == source
        assert row["probability_ppm"] == ppm
        assert (
            row["value_fen"] == next_instalment(action.borrower_id) * ppm // 1_000_000 * 100_000 // 1_000_000
        )
        assert row["value_fen"] > 0
