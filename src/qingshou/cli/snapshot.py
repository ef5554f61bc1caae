"""``qingshou snapshot export --as-of D --out FILE.parquet``: one day's snapshot for other tools.

The file holds the lake's snapshot of that day as one Parquet file (columns: docs/data-format.md,
"The snapshot"). Exit codes: 0 written; 4 the lake has no snapshot for that day (run ``qingshou eod``
first); 2 a bad argument.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import click

from qingshou.cli import exit_code_for, fail, setup_django
from qingshou.cli.quote import as_date
from qingshou.domain.errors import DomainError


@click.group("snapshot")
def snapshot() -> None:
    """EOD snapshots in the lake."""


@snapshot.command("export")
@click.option("--as-of", "as_of", required=True, callback=as_date, help="The day (YYYY-MM-DD).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Parquet file.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary.")
def export(as_of: date, out: Path, as_json: bool) -> None:
    """Write the snapshot of a day as one Parquet file."""
    setup_django()
    from qingshou.apps.eod.services.export import export_day

    try:
        result = export_day(as_of, out)
    except DomainError as error:
        fail(error, exit_code_for(error))
        return
    if as_json:
        click.echo(json.dumps(result.as_json(), ensure_ascii=False))
    else:
        click.echo(f"{result.rows:,} 行 rows → {result.out}")


COMMANDS = [snapshot]
