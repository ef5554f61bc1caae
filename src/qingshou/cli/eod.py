"""``qingshou eod``: the daily batch — every loan's snapshot at the end of a day, into the lake and the store.

``qingshou eod`` with no date computes **yesterday** (``clock.today()`` − 1, Beijing time): a bank's EOD
job runs after the business day has closed — shortly after midnight — and computes the day that just
ended; computing today before it ends would miss the rest of the day's payments. ``--as-of D`` computes
any day up to today (today itself only makes sense after the day's cut-off); ``--from D1 --to D2``
backfills a range day by day. ``--engine`` picks the kernel: ``polars`` (default), ``domain`` (the
reference, loan by loan — slow) or ``spark`` (``--spark-master URL``; local mode by default).

Each day's JSON has the collection steps' ``collection`` and the risk steps' ``risk`` (issue 8: borrowers scored
per model kind, watch-list entries opened / kept / closed, the day's plans; docs/scores.md "The run's
summary"); the text output prints the last day's risk figures as the table 风险 risk.

Exit codes: 0 every loan computed; 3 the run succeeded but some loans have error rows (``EodError``: their
data breaks an invariant); 2 unusable arguments (a day after today, ``--from`` after ``--to``, an engine
not available here); 1 the run failed — it is recorded as failed with the reason and the previous outputs
are intact (unless the reason says the store committed but the lake swap failed: rerun the day).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import click

from qingshou.cli import EXIT_FAILURE, EXIT_OK, exit_code_for, setup_django
from qingshou.cli.quote import CLASS_NAMES, as_date
from qingshou.cli.render import StepBars, console, step_progress, table, yuan
from qingshou.domain.errors import DomainError

ENGINES = ("polars", "domain", "spark")
TIMINGS = (
    ("read_store", "读库 read s"),
    ("compute", "计算 compute s"),
    ("write_lake", "写湖 lake s"),
    ("write_store", "写库 store s"),
)


def optional_date(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    """An optional ISO date option."""
    return None if value is None else as_date(ctx, param, value)


def default_day() -> date:
    """Yesterday in Beijing (the clock adapter's today − 1): the day an overnight EOD closes."""
    from qingshou import clock

    return clock.today() - timedelta(days=1)


def days_asked(as_of: date | None, first: date | None, last: date | None) -> tuple[date, date]:
    """The first and last day to run from the options (one day unless ``--from``/``--to``)."""
    if as_of is not None and (first is not None or last is not None):
        raise click.UsageError("give either --as-of or --from/--to, not both")
    if (first is None) != (last is None):
        raise click.UsageError("--from and --to go together")
    if first is not None and last is not None:
        return first, last
    day = as_of or default_day()
    return day, day


def _run(
    first: date, last: date, engine: str, master: str | None, quiet: bool
) -> tuple[list[dict[str, Any]], Exception | None]:
    """Run the days; the JSON of every finished day, and the error that stopped the range (or None)."""
    from qingshou.apps.eod.services.run import EodResult, run_range

    done: list[dict[str, Any]] = []

    def keep(result: EodResult) -> None:
        done.append(result.as_json())

    try:
        if quiet:
            run_range(first, last, engine, spark_master=master, on_day=keep)
        else:
            with step_progress() as progress:
                run_range(first, last, engine, spark_master=master, on_day=keep, progress=StepBars(progress))
    except Exception as error:
        return done, error
    return done, None


def _counts_table(title: str, counts: dict[str, int], names: dict[str, str] | None = None) -> Any:
    """Loans per bucket (in the run's order: M0 first) or per class (best to worst, with Chinese names)."""
    keys = [key for key in names if key in counts] if names else list(counts)
    rows = ((f"{names[key]} ({key})" if names else key, f"{counts[key]:,}") for key in keys)
    return table(title, (title.split()[0], "贷款数 loans"), rows, right=1)


WATCH_ROWS = (
    ("opened", "观察名单新增 watch list opened"),
    ("kept", "观察名单保留 watch list kept"),
    ("closed", "观察名单移出 watch list closed"),
    ("open", "观察名单在列 watch list open"),
)
PLAN_ROWS = (
    ("candidates", "计划候选 plan candidates"),
    ("greedy_chosen", "策略计划选中 strategy plan chose"),
    ("optimised_chosen", "优化计划选中 optimised plan chose"),
    ("greedy_net", "策略预期净回收 strategy expected net"),
    ("optimised_net", "优化预期净回收 optimised expected net"),
    ("gain", "增益 gain"),
    ("status", "求解状态 solver status"),
)


def _risk_rows(risk: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """The rows of the risk table: scores per kind, the watch list, the plan (``EodResult.risk``)."""
    for kind, scored in risk.get("scored", {}).items():
        yield f"评分 scored {kind} (v{scored['model_version']})", f"{scored['borrowers']:,}"
    for kind, reason in risk.get("model_errors", {}).items():
        yield f"模型未用 model not used {kind}", reason
    watch = risk.get("watch_list", {})
    for key, label in WATCH_ROWS if watch else ():
        yield label, f"{watch[key]:,}"
    plan = risk.get("plan", {})
    for key, label in PLAN_ROWS:
        if key in plan:
            yield label, _plan_value(key, plan[key])


def _plan_value(key: str, value: Any) -> str:
    """Amounts (decimal strings) as yuan, counts grouped, the rest as it is."""
    if key.endswith("net") or key == "gain":
        return yuan(Decimal(value))
    return f"{value:,}" if isinstance(value, int) else str(value)


def show(runs: list[dict[str, Any]]) -> None:
    """Per-day counts and the time split; buckets, classes and error samples of the last day."""
    out = console()
    headers = ("日期 as of", "run", "贷款 loans", "快照 rows", "错误 errors", "逾期 delinquent")
    timing_headers = tuple(label for _, label in TIMINGS)
    out.print(
        table(
            "日终跑批 EOD",
            (*headers, *timing_headers),
            (
                (
                    run["as_of"],
                    run["run_id"],
                    f"{run['loans_read']:,}",
                    f"{run['snapshot_rows']:,}",
                    f"{run['error_count']:,}",
                    f"{run['delinquent_count']:,}",
                    *(f"{run['seconds'][key]:.2f}" for key, _ in TIMINGS),
                )
                for run in runs
            ),
            right=len(headers) + len(TIMINGS) - 1,
        )
    )
    if not runs:
        return
    last = runs[-1]
    out.print(_counts_table(f"账龄 buckets {last['as_of']}", last["buckets"]))
    out.print(_counts_table(f"五级分类 classification {last['as_of']}", last["classes"], CLASS_NAMES))
    if last["error_count"]:
        out.print(
            table(
                f"错误 errors {last['as_of']} ({last['error_count']:,}; the admin lists them all)",
                ("贷款 loan", "code", "message"),
                ((e["loan_id"], e["code"], e["message"]) for e in last["errors"]),
            )
        )
    if last.get("risk"):
        out.print(
            table(f"风险 risk {last['as_of']}", ("项目 item", "值 value"), _risk_rows(last["risk"]), right=1)
        )
    out.print(f"快照 snapshot: {last['lake_path']}")


def _exit_code(runs: list[dict[str, Any]]) -> int:
    return max((run["exit_code"] for run in runs), default=EXIT_OK)


def _fail(code: int, message: str, as_json: bool, runs: list[dict[str, Any]]) -> None:
    if as_json:
        payload = {"status": "failed", "exit_code": code, "error": message, "runs": runs}
        click.echo(json.dumps(payload, ensure_ascii=False))
    else:
        if runs:
            show(runs)
        click.echo(f"错误 error: {message}", err=True)
    sys.exit(code)


@click.command("eod")
@click.option(
    "--as-of", "as_of", callback=optional_date, help="The day to close (YYYY-MM-DD; default yesterday)."
)
@click.option("--from", "first", callback=optional_date, help="First day of a backfill (with --to).")
@click.option("--to", "last", callback=optional_date, help="Last day of a backfill (with --from).")
@click.option("--engine", type=click.Choice(ENGINES), default="polars", show_default=True, help="The kernel.")
@click.option("--spark-master", "spark_master", default=None, help="Spark master URL (--engine spark).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary; no progress bars.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars.")
def eod(
    as_of: date | None,
    first: date | None,
    last: date | None,
    engine: str,
    spark_master: str | None,
    as_json: bool,
    quiet: bool,
) -> None:
    """Compute every loan's snapshot at the end of a day: lake partition, loan statuses, run record."""
    first_day, last_day = days_asked(as_of, first, last)
    if spark_master and engine != "spark":
        raise click.UsageError("--spark-master goes with --engine spark")
    setup_django()
    runs, error = _run(first_day, last_day, engine, spark_master, quiet or as_json)
    if isinstance(error, DomainError):
        _fail(exit_code_for(error), error.message, as_json, runs)
    elif error is not None:
        message = f"EOD failed (recorded as failed; rerun the day): {type(error).__name__}: {error}"
        _fail(EXIT_FAILURE, message, as_json, runs)
    code = _exit_code(runs)
    if as_json:
        status = "succeeded" if code == EXIT_OK else "succeeded_with_errors"
        click.echo(json.dumps({"status": status, "exit_code": code, "runs": runs}, ensure_ascii=False))
    else:
        show(runs)
    sys.exit(code)


COMMANDS = [eod]
