"""``qingshou records …``: the retention of collection records.

``qingshou records retention [--as-of D] [--dry-run|--apply] [--json]`` lists (the default, a dry run) or
purges the collection records past their retention period on day D (default: today in Beijing), per
``settings.QINGSHOU_RETENTION`` (docs/security.md "Retention"): one line per record type and part with the
period, the closing day it reaches back to, the action (deleted / blanked), the rows and files. ``--apply``
works in batches with a progress bar (none with ``--json``), one audit event per batch. Exit codes: 0,
2 bad arguments or settings.
"""

from __future__ import annotations

from datetime import date

import click

from qingshou.cli import setup_django
from qingshou.cli.eod import optional_date
from qingshou.cli.render import StepBars, console, print_json, step_progress, table


@click.group("records")
def records() -> None:
    """Documents and collection records: retention."""


@records.command("retention")
@click.option(
    "--as-of", "as_of", callback=optional_date, help="The day the periods are measured to (default: today)."
)
@click.option("--dry-run/--apply", "dry_run", default=True, show_default=True, help="List only, or purge.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (no progress bar).")
def retention(as_of: date | None, dry_run: bool, as_json: bool) -> None:
    """List (dry run) or purge the collection records past their retention period."""
    setup_django()
    from qingshou import clock
    from qingshou.apps.records import retention as rules

    day = as_of or clock.today()
    try:
        rules.policy()
        if dry_run:
            lines = rules.plan(day)
        elif as_json:
            lines = rules.apply(day)
        else:
            with step_progress() as progress:
                lines = rules.apply(day, progress=StepBars(progress))
    except rules.RetentionError as error:
        raise click.UsageError(str(error)) from None
    if as_json:
        print_json(
            {
                "as_of": day.isoformat(),
                "mode": "dry_run" if dry_run else "apply",
                "lines": [line.as_dict() for line in lines],
                "rows": sum(line.rows for line in lines),
                "files": sum(line.files for line in lines),
            }
        )
        return
    title = f"{'待清理 due (dry run)' if dry_run else '已清理 purged'} · as of {day.isoformat()}"
    rows = [
        (
            line.type,
            line.part,
            line.years,
            line.closed_on_or_before.isoformat(),
            line.action,
            line.rows,
            line.files,
        )
        for line in lines
    ]
    out = console()
    out.print(
        table(
            title, ["type", "part", "years", "closed on or before", "action", "rows", "files"], rows, right=2
        )
    )
    if dry_run:
        out.print("--apply to purge (audited, in batches).")


COMMANDS: list[click.Command] = [records]
