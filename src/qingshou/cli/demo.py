"""``qingshou demo``: the main job on the embedded default — simulate a book, load it, show the overdue book.

Steps: create or migrate the database (``init``), simulate a loan book into ``var/demo/book`` (``simulate``),
load it (``load``), run the daily batch for the last week up to the demo day (``eod --from --to``: the
engine's snapshots in the lake, the loans' current status in the store, the cases, the default strategy's
action plan with the compliance decision of every contact, the notices in the outbox), then print what a
collection manager looks at first: the day's changes (newly delinquent, cured, rolled to a worse bucket),
the day's action plan, a few rendered notices (an SMS as text, a letter as a PDF file in ``var/demo``),
loans and balances by delinquency bucket and by five-category class (quoted by the domain, which the engine
equals to the fen), and a few sample quotes. Then (``--risk``, on by default) issue 8's risk step
(``cli.demo_risk``): months of history computed, the collection, early-warning and application scorecards
trained and activated, the day re-run with them, the optimised plan, one credit assessment and a trial.

The demo lives on a fixed day: unless ``QINGSHOU_TODAY`` is set, "today" is pinned to the morning after the
demo day (the EOD of the demo day is the overnight run, and its notices are due that morning).
"""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta
from pathlib import Path

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from qingshou.cli import EXIT_OK, EXIT_REJECTED, setup_django
from qingshou.cli.cases import plan
from qingshou.cli.demo_recovery import show_recovery
from qingshou.cli.demo_risk import show_risk
from qingshou.cli.eod import eod
from qingshou.cli.init import init
from qingshou.cli.load import load
from qingshou.cli.quote import CLASS_NAMES, show_quote
from qingshou.cli.render import console, table, yuan
from qingshou.cli.simulate import simulate
from qingshou.cli.users import DEFAULT_DEMO_PASSWORD, demo_users
from qingshou.cli.users import serve as serve_command
from qingshou.clock import TODAY_VAR
from qingshou.config import var_dir

#: A fixed day so the demo prints the same figures on every machine (inside chinesecalendar's years).
DEMO_AS_OF = "2026-11-27"
#: Days of history the demo's EOD backfill computes (so the last day has changes to show).
DEMO_EOD_DAYS = 7
SAMPLE_BUCKETS = ("M1", "M3", "M7+")


@click.command("demo")
@click.option("--loans", type=int, default=2000, show_default=True, help="Loans in the demo book.")
@click.option("--seed", type=int, default=2026, show_default=True)
@click.option("--as-of", "as_of", default=DEMO_AS_OF, show_default=True, help="YYYY-MM-DD.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None, help="Book folder.")
@click.option(
    "--serve/--no-serve",
    default=False,
    help="Then create the demo users, give the open cases to the demo team and run the workbench.",
)
@click.option("--port", type=int, default=8000, show_default=True, help="Port of the workbench (--serve).")
@click.option(
    "--risk/--no-risk",
    default=True,
    help="Train the scorecards on computed history, re-run the day with them, plan, assess, trial (issue 8).",
)
@click.pass_context
def demo(
    ctx: click.Context,
    loans: int,
    seed: int,
    as_of: str,
    out: Path | None,
    serve: bool,
    port: int,
    risk: bool,
) -> None:
    """Simulate a loan book, load it and show the overdue book at the end of AS_OF (``--serve``: then run
    the workbench over it on 127.0.0.1 with one demo user per role)."""
    folder = out or var_dir() / "demo" / "book"
    when = datetime.strptime(as_of, "%Y-%m-%d")  # noqa: DTZ007 - a calendar date
    os.environ.setdefault(TODAY_VAR, (when.date() + timedelta(days=1)).isoformat())
    out_console = console()
    out_console.rule("[bold]1. 数据库 database")
    ctx.invoke(init, as_json=False)
    out_console.rule(f"[bold]2. 模拟贷款账簿 simulate {loans:,} loans")
    ctx.invoke(
        simulate, loans=loans, seed=seed, as_of=when, out=folder, fmt="csv", omit_installments=0.02,
        workers=None, quiet=False, as_json=False,
    )  # fmt: skip
    out_console.rule("[bold]3. 导入 load")
    try:
        ctx.invoke(load, directory=folder, encoding="utf-8", as_json=False, quiet=False)
    except SystemExit as stop:
        if stop.code not in (EXIT_OK, EXIT_REJECTED):
            raise
    out_console.rule(f"[bold]4. 日终跑批 EOD, the last {DEMO_EOD_DAYS} days")
    first = when.date() - timedelta(days=DEMO_EOD_DAYS - 1)
    try:
        ctx.invoke(
            eod, as_of=None, first=first, last=when.date(), engine="polars", spark_master=None,
            as_json=False, quiet=False,
        )  # fmt: skip
    except SystemExit as stop:
        if stop.code not in (EXIT_OK, EXIT_REJECTED):
            raise
    show_changes(when.date())
    out_console.rule(f"[bold]5. 行动计划 the day's action plan (default strategy, contact rules C8) {as_of}")
    ctx.invoke(plan, as_of=when.date(), limit=10, as_json=False)
    show_notices(when.date(), var_dir() / "demo")
    out_console.rule(f"[bold]6. 逾期贷款概览 overdue book at the end of {as_of}")
    show_overview(when.date())
    if serve:
        out_console.rule("[bold]7. 催收工作台 the workbench")
        ctx.invoke(demo_users, password=DEFAULT_DEMO_PASSWORD, as_json=False)
        give_cases_to_the_demo_team(when.date())
        out_console.rule("[bold]8. 委外、诉讼、抵押、保证、核销 recovery beyond the phone (issue 6)")
        show_recovery(when.date())
    if risk:
        out_console.rule("[bold]9. 风险智能 scores, early warning, assessment, the optimised plan (issue 8)")
        show_risk(ctx, when.date(), var_dir() / "demo")
    if serve:
        ctx.invoke(serve_command, host="127.0.0.1", port=port, workers=2, dev=False)


def give_cases_to_the_demo_team(as_of: date) -> None:
    """分案 for the demo: every unassigned open case to the demo team, balanced over its collectors."""
    setup_django()
    from qingshou.apps.accounts.services import DEMO_TEAM
    from qingshou.apps.cases.assignment import Rule, assign_cases

    result = assign_cases(as_of, rules=[Rule(name="demo", team=DEMO_TEAM)])
    placed = ", ".join(f"{name} {count}" for name, count in sorted(result.to_collectors.items()))
    console().print(f"分案 assigned {result.assigned} open cases to {DEMO_TEAM}: {placed}")


def show_changes(as_of: date) -> None:
    """The day's movements from the engine's snapshot in the lake."""
    import polars as pl

    from qingshou.config import lake_path
    from qingshou.lake.snapshots import read_snapshot

    snapshot = read_snapshot(lake_path(), as_of)
    counts = snapshot.select(
        pl.col("newly_delinquent").sum(), pl.col("cured").sum(), pl.col("rolled_worse").sum(),
        pl.col("class_changed").sum(), pl.col("delinquent").sum(),
    ).row(0)  # fmt: skip
    rows = [
        ("新增逾期 newly delinquent", f"{counts[0]:,}"),
        ("结清/回正常 cured", f"{counts[1]:,}"),
        ("账龄恶化 rolled to a worse bucket", f"{counts[2]:,}"),
        ("分类变化 class changed", f"{counts[3]:,}"),
        ("逾期贷款 delinquent loans", f"{counts[4]:,} / {snapshot.height:,}"),
    ]
    console().print(table(f"当日变化 changes on {as_of}", ("变化 change", "贷款数 loans"), rows, right=1))


def show_notices(as_of: date, folder: Path, count: int = 2) -> None:
    """The outbox of the day by channel, ``count`` SMS as their text and one letter as a PDF file."""
    setup_django()
    from django.db.models import Count

    from qingshou.apps.notices.models import Outbox
    from qingshou.apps.notices.services.rendering import render_notice

    out = console()
    day = Outbox.objects.filter(as_of=as_of)
    counts = (
        day.values("channel", "template_code").annotate(n=Count("id")).order_by("channel", "template_code")
    )
    rows = [(row["channel"], row["template_code"], f"{row['n']:,}") for row in counts]
    out.print(
        table(
            f"待发通知 notices in the outbox for {as_of}",
            ("渠道 channel", "模板 template", "条数 notices"),
            rows,
            right=1,
        )
    )
    for key in day.filter(channel="sms").order_by("key").values_list("key", flat=True)[:count]:
        _kind, content = render_notice(key)
        out.print(f"[bold]短信 SMS[/bold] {key}\n{content.decode()}")
    letter = day.filter(channel="letter").order_by("key").values_list("key", flat=True).first()
    if letter is not None:
        _kind, content = render_notice(letter)
        path = folder / "letter-sample.pdf"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        out.print(f"[bold]催收函 letter[/bold] {letter} → {path}")
    out.print(
        "发送 send: [bold]qingshou worker --burst[/bold] (SMS needs QINGSHOU_SMS_GATEWAY_URL, e-mail an SMTP server)"
    )


def show_overview(as_of: date) -> None:
    """Quote the whole book and print it by bucket and by class, with sample quotes."""
    setup_django()
    from qingshou.apps.loans.models import Loan
    from qingshou.apps.loans.overview import book_overview

    columns = (TextColumn("quoting"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console(stderr=True)) as progress:
        task = progress.add_task("loans", total=Loan.objects.count())
        overview = book_overview(as_of, progress=lambda n: progress.advance(task, n))
    out = console()
    headers = ("分组 group", "笔数 loans", "逾期金额 overdue", "剩余本金 outstanding")
    buckets = sorted(overview.by_bucket.items(), key=lambda item: _bucket_order(item[0]))
    rows = [
        (name, f"{t.loans:,}", yuan(t.total_overdue), yuan(t.outstanding_principal)) for name, t in buckets
    ]
    out.print(table("按账龄 by bucket (M0 = 未逾期 current)", headers, rows, right=3))
    classes = sorted(overview.by_class.items())
    rows = [
        (
            f"{CLASS_NAMES[c.code]} {c.code}",
            f"{t.loans:,}",
            yuan(t.total_overdue),
            yuan(t.outstanding_principal),
        )
        for c, t in classes
    ]
    out.print(table("按五级分类 by classification", headers, rows, right=3))
    delinquent = sum(t.loans for name, t in overview.by_bucket.items() if name != "M0")
    npl = sum(t.outstanding_principal for c, t in overview.by_class.items() if c.is_npl)
    book = sum(t.outstanding_principal for t in overview.by_class.values())
    ratio = f"{npl / book:.2%}" if book else "—"
    out.print(
        f"逾期贷款 delinquent loans: {delinquent:,} / {overview.loans:,}    不良贷款率 NPL ratio: {ratio}"
    )
    if overview.errors:
        out.print(f"[red]{len(overview.errors)} loan(s) could not be quoted[/red]: {overview.errors[:3]}")
    for name in SAMPLE_BUCKETS:
        sample = overview.samples.get(name)
        if sample is not None:
            out.rule(f"样例 sample quote — {name}")
            show_quote(sample, open_only=True)


def _bucket_order(name: str) -> tuple[int, str]:
    digits = "".join(ch for ch in name if ch.isdigit())
    return (int(digits) if digits else 99, name)


COMMANDS = [demo]
