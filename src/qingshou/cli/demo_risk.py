"""The demo's risk step (issue 8): history, three scorecards, the day re-run with them, the optimised plan, one
credit assessment and a strategy trial — each through the same command a user would type.

The demo's lake holds a week of EOD snapshots; training needs months. ``qingshou scores history`` computes
weekly snapshots of the earlier months from the loaded facts (the engine's kernel, the store untouched), on a
grid that ends exactly 90 days before the demo day, so the early-warning model (label: 30+ days past due
within 90 days) and the collection model (paid or cured within 30 days) both find labelled days. Then:

1. ``qingshou model train collection|early_warning --activate`` on that history, and ``qingshou model train
   application --dataset german-credit --activate`` (the German Credit data shipped in a package);
2. ``qingshou eod --as-of D`` again: the day's delinquent borrowers get their collection score, current ones
   their early-warning score and the watch list, and the strategy routes on them (a re-run is idempotent);
3. ``qingshou plan run --day D``: the day's actions planned by the strategy's priorities and by the optimiser;
4. ``qingshou assess application``: one German Credit applicant graded and priced within the legal cap;
5. ``qingshou trial --optimised-b``: simulated borrowers against the strategy with and without the optimiser.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Final

import click

from qingshou.cli import EXIT_OK
from qingshou.cli.assess import application
from qingshou.cli.eod import eod
from qingshou.cli.model import train
from qingshou.cli.plan import run as plan_run
from qingshou.cli.render import console
from qingshou.cli.scores import history
from qingshou.cli.scores import show as scores_show
from qingshou.cli.trial import trial
from qingshou.cli.watch import list_entries

#: Weeks of history before the last early-warning observation day (as_of − 90).
HISTORY_WEEKS: Final = 24
#: Days between observation days (the models' default).
EVERY: Final = 7
#: The early-warning label's horizon: the grid ends this many days before the demo day.
HORIZON: Final = 90
#: The training window of both book models.
TRAIN_DAYS: Final = 260

#: One applicant of the German Credit kind (docs/assessment.md).
SAMPLE_APPLICATION: Final = {
    "application_id": "DEMO-APP-0001",
    "term_months": 24,
    "amount": "5000.00",
    "applicant": {
        "checking_status": "0 <= ... < 200 DM",
        "duration": 24,
        "credit_history": "existing credits paid back duly till now",
        "purpose": "radio/television",
        "amount": 5000,
        "savings": "... < 100 DM",
        "employment_since": "1 <= ... < 4 years",
        "installment_rate": 2,
        "property": "real estate",
        "age": 35,
        "other_installment_plans": "none",
        "housing": "own",
    },
}


def history_window(as_of: date) -> tuple[date, date]:
    """First and last day of the weekly history grid: it ends on as_of − 90 and reaches as_of − 30 after."""
    anchor = as_of - timedelta(days=HORIZON)
    first = anchor - timedelta(days=EVERY * HISTORY_WEEKS)
    return first, as_of - timedelta(days=30)


def _tolerant(ctx: click.Context, command: click.Command, **params: object) -> None:
    """Invoke a command; a non-zero exit is reported and the demo goes on (one failed model is not fatal)."""
    try:
        ctx.invoke(command, **params)
    except SystemExit as stop:
        if stop.code not in (None, EXIT_OK):
            console(stderr=True).print(f"[yellow]{command.name}: exit code {stop.code} — the demo goes on")


def show_risk(ctx: click.Context, as_of: date, folder: Path) -> None:
    """Run the steps of the module docstring for the demo day ``as_of``; files go to ``folder``."""
    out = console()
    first, last = history_window(as_of)
    out.rule(f"[bold]风险智能 risk intelligence (issue 8): history {first} … {last}, every {EVERY} days")
    _tolerant(ctx, history, first=first, last=last, every=EVERY, no_horizon=False, as_json=False)
    for kind in ("collection", "early_warning"):
        out.rule(f"[bold]模型 model: {kind}")
        _tolerant(
            ctx, train, kind=kind, dataset="lake", as_of=as_of, days=TRAIN_DAYS, every=EVERY, seed=1,
            test_share=0.3, then_activate=True, as_json=False,
        )  # fmt: skip
    out.rule("[bold]模型 model: application (German Credit)")
    _tolerant(
        ctx, train, kind="application", dataset="german-credit", as_of=None, days=180, every=EVERY, seed=1,
        test_share=0.3, then_activate=True, as_json=False,
    )  # fmt: skip
    out.rule(f"[bold]日终重跑 EOD of {as_of} again, with the scores")
    _tolerant(
        ctx,
        eod,
        as_of=as_of,
        first=None,
        last=None,
        engine="polars",
        spark_master=None,
        as_json=False,
        quiet=True,
    )
    _tolerant(ctx, scores_show, kind="collection", borrower_id=None, top=5, band=40, as_json=False)
    _tolerant(ctx, list_entries, status="open", limit=5, as_json=False)
    out.rule(f"[bold]优化计划 the optimised plan of {as_of} against the strategy's")
    _tolerant(ctx, plan_run, day=as_of, time_limit=None, capacity=(), as_json=False)
    out.rule("[bold]授信评估 credit assessment at origination (POST /api/assess does the same)")
    sample = folder / "application-sample.json"
    sample.parent.mkdir(parents=True, exist_ok=True)
    sample.write_text(json.dumps(SAMPLE_APPLICATION, ensure_ascii=False, indent=2), encoding="utf-8")
    _tolerant(ctx, application, file=sample, username=None, lang="zh", as_json=False)
    out.rule("[bold]策略试验 trial: the default strategy, plain against optimised, same capacity")
    _tolerant(
        ctx, trial, a_file=None, b_file=None, optimised_b=True, borrowers=2000, days=30, seed=1,
        capacity="minutes=600,sms=400,emails=400,letters=50,visits=2,agency=5", time_limit=1.0,
        out_dir=folder / "trial", as_json=False, quiet=True,
    )  # fmt: skip
