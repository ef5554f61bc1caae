"""``qingshou report``: the monthly 逾期贷款清收报告 (issue 7).

``qingshou report --month YYYY-MM --out DIR [--lang en] [--reserves AMOUNT] [--json]`` writes the report's
HTML, PDF and XLSX (and the charts as PNG) into DIR for the month's last snapshot day, and records the run.
Exit 0 on success; 2 on unusable input — a month the lake has no snapshot in, a bad month, language or
reserves amount (the message names it).
"""

from __future__ import annotations

import json
import re
import sys
from datetime import date
from pathlib import Path

import click

from qingshou.cli import EXIT_OK, EXIT_USAGE, setup_django
from qingshou.cli.render import StepBars, console, step_progress, table

MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def month_option(ctx: click.Context, param: click.Parameter, value: str) -> date:
    found = MONTH.match(value.strip())
    if found is None or not 1 <= int(found.group(2)) <= 12:
        raise click.BadParameter(f"expected YYYY-MM, got {value!r}")
    return date(int(found.group(1)), int(found.group(2)), 1)


def _fail(message: str, as_json: bool) -> None:
    if as_json:
        click.echo(
            json.dumps({"status": "failed", "exit_code": EXIT_USAGE, "error": message}, ensure_ascii=False)
        )
    else:
        click.echo(f"错误 error: {message}", err=True)
    sys.exit(EXIT_USAGE)


@click.command("report")
@click.option("--month", "month", required=True, callback=month_option, help="The month (YYYY-MM).")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write the HTML, PDF, XLSX and charts into (created if missing).",
)
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True, help="Language.")
@click.option(
    "--reserves",
    default=None,
    help="Loan-loss reserves at month-end in yuan (provision coverage and loan provision ratio need them).",
)
@click.option(
    "--no-compare",
    "no_compare",
    is_flag=True,
    help="Do not compute the previous month for month-over-month recommendations (faster).",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary; no progress bars.")
def report(month: date, out: Path, lang: str, reserves: str | None, no_compare: bool, as_json: bool) -> None:
    """Write the monthly overdue-loan collection report (HTML, PDF, XLSX) of MONTH into OUT."""
    setup_django()
    from qingshou.apps.reports.services import ReportError, ReportResult, generate

    result: ReportResult
    try:
        if as_json:
            result = generate(month, out, lang, reserves, compare=not no_compare)
        else:
            with step_progress() as progress:
                result = generate(
                    month, out, lang, reserves, compare=not no_compare, progress=StepBars(progress)
                )
    except ReportError as error:
        _fail(error.message, as_json)
        return
    if as_json:
        click.echo(
            json.dumps({"status": "succeeded", "exit_code": EXIT_OK, **result.as_json()}, ensure_ascii=False)
        )
        return
    rows = [(item["name"], f"{item['bytes']:,}", item["sha256"][:16]) for item in result.run.files]
    console().print(
        table(
            f"报告 report {month:%Y-%m} ({result.data.as_of})",
            ["文件 file", "字节 bytes", "SHA-256"],
            rows,
            right=1,
        )
    )
    click.echo(f"建议 recommendations: {len(result.data.recommendations)} · {out}")


COMMANDS: list[click.Command] = [report]
