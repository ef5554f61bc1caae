"""``qingshou scores …``: the risk scores EOD stores, and past snapshots for training (issue 8).

* ``qingshou scores show [--kind collection] [--borrower ID] [--top 20] [--band 20] [--json]``: the stored
  scores as a distribution by score band and the lowest / highest accounts with their reasons (borrower ids
  only, no personal data); ``--borrower`` shows one borrower's score.
* ``qingshou scores history --from D --to D [--every 7] [--json]``: computes the lake snapshots of those days
  (and of each day + 30, the label's day) that the lake lacks, from the book in the store, without writing to
  the store — so a young lake can train a collection model.

Exit codes: 0; 2 bad arguments; 4 nothing stored (no score of the kind, or the borrower is not scored).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import click

from qingshou.cli import EXIT_NOT_FOUND, EXIT_USAGE, fail, setup_django
from qingshou.cli.quote import as_date
from qingshou.cli.render import console, print_json, table

KINDS = ("collection", "early_warning")


@click.group("scores")
def scores() -> None:
    """Risk scores (风险评分): the day's stored scores and the history models learn from."""


def _reasons(account: Any) -> str:
    return "; ".join(f"{reason.zh} {reason.en}" for reason in account.reasons)


@scores.command("show")
@click.option("--kind", type=click.Choice(KINDS), default="collection", show_default=True, help="Model kind.")
@click.option("--borrower", "borrower_id", default=None, help="One borrower's score.")
@click.option("--top", default=20, show_default=True, type=click.IntRange(0, 1000), help="Accounts listed.")
@click.option("--band", default=20, show_default=True, type=click.IntRange(1, 1000), help="Points per band.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def show(kind: str, borrower_id: str | None, top: int, band: int, as_json: bool) -> None:
    """The distribution of the stored scores and the lowest / highest accounts with reasons."""
    setup_django()
    from qingshou.apps.scoring.services.scores import borrower_score, summary

    out = console()
    if borrower_id is not None:
        account = borrower_score(borrower_id, kind)
        if account is None:
            fail(LookupError(f"borrower {borrower_id!r} has no {kind} score"), EXIT_NOT_FOUND)
            return
        if as_json:
            print_json(account.as_json())
            return
        out.print(
            f"{account.borrower_id} 评分 score {account.points} (P {account.probability}),"
            f" 模型 model v{account.model_version}, {account.as_of.isoformat()}"
        )
        out.print(
            table(
                "原因 reasons",
                ["代码 code", "原因", "reason"],
                [(r.code, r.zh, r.en) for r in account.reasons],
            )
        )
        return
    found = summary(kind, top=top, band=band)
    if found.count == 0:
        fail(LookupError(f"no {kind} score is stored (is a model active? has EOD run?)"), EXIT_NOT_FOUND)
        return
    if as_json:
        print_json(found.as_json())
        return
    day = found.as_of.isoformat() if found.as_of else "-"
    versions = ", ".join(f"v{version}" for version in found.model_versions)
    out.print(f"{kind} 评分 scores: {found.count} 户 borrowers, 截至 as of {day}, 模型 model {versions}")
    out.print(
        table(
            "分数段 score bands",
            ["分数 points", "户数 count", "占比 share", "平均概率 mean P"],
            [
                (
                    f"{b.low}–{b.high - 1}",
                    b.count,
                    f"{100 * b.count / found.count:.1f}%",
                    f"{b.mean_probability_ppm / 10_000:.1f}%",
                )
                for b in found.bands
            ],
            right=3,
        )
    )
    for title, accounts in (("最低分 lowest", found.bottom), ("最高分 highest", found.top)):
        out.print(
            table(
                title,
                ["借款人 borrower", "贷款 loan", "分数 points", "概率 P", "原因 reasons"],
                [(a.borrower_id, a.loan_id, a.points, a.probability, _reasons(a)) for a in accounts],
                right=0,
            )
        )


@scores.command("history")
@click.option("--from", "first", required=True, callback=as_date, help="First day (YYYY-MM-DD).")
@click.option("--to", "last", required=True, callback=as_date, help="Last day (YYYY-MM-DD).")
@click.option("--every", default=7, show_default=True, type=click.IntRange(1, 366), help="Days between.")
@click.option("--no-horizon", is_flag=True, help="Do not add each day + 30 (the label's day).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON; no progress bar.")
def history(first: date, last: date, every: int, no_horizon: bool, as_json: bool) -> None:
    """Compute the lake snapshots of past days the lake lacks (the store is only read)."""
    setup_django()
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from qingshou import clock, config
    from qingshou.apps.scoring.services.history import fill_history
    from qingshou.store import Store

    if last > clock.today():
        fail(ValueError(f"--to {last} is after today {clock.today()}"), EXIT_USAGE)
        return
    if first > last:
        fail(ValueError(f"--from {first} is after --to {last}"), EXIT_USAGE)
        return
    lake = config.lake_path()
    with Store(config.adbc_uri()) as store:
        if as_json:
            result = fill_history(store, lake, first, last, every, with_horizon=not no_horizon)
        else:
            columns = (
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
            )
            with Progress(*columns, console=console(stderr=True), transient=True) as bars:
                task = bars.add_task("快照 snapshots", total=None)

                def advance(done: int, total: int) -> None:
                    bars.update(task, completed=done, total=total)

                result = fill_history(
                    store, lake, first, last, every, with_horizon=not no_horizon, progress=advance
                )
    if as_json:
        print_json(result.as_json())
        return
    out = console()
    out.print(
        f"已计算 computed {len(result.computed)} 天 day(s), {result.rows} 行 rows;"
        f" 湖中已有 already in the lake {len(result.present)} 天 day(s) — {lake}"
    )
    for day, count in result.errors.items():
        out.print(f"  {day}: {count} 笔贷款无法计算 loan(s) could not be computed")


COMMANDS: list[Any] = [scores]
