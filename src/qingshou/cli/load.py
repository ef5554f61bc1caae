"""``qingshou load DIR``: import a folder of core-system extracts (docs/data-format.md).

Exit codes: 0 every row accepted (or already stored unchanged); 3 some rows rejected (see
``DIR/rejects/``); 2 the input is unusable (missing file or required column, unreadable file) and nothing
was written; 1 an unexpected failure (e.g. the database has not been initialised: run ``qingshou init``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from qingshou.cli import EXIT_FAILURE, EXIT_USAGE, setup_django
from qingshou.cli.render import StepBars, step_progress


def _summary_table(summary: dict[str, Any]) -> Table:
    table = Table(title=f"qingshou load {summary['directory']}")
    for heading in ("table", "rows", "accepted", "unchanged", "rejected", "generated"):
        table.add_column(heading, justify="left" if heading == "table" else "right")
    for name, counts in summary["tables"].items():
        table.add_row(
            name, *(str(counts[key]) for key in ("rows", "accepted", "unchanged", "rejected", "generated"))
        )
    return table


def _run(directory: Path, encoding: str, quiet: bool) -> dict[str, Any]:
    from qingshou.apps.loans.services.load import load_extracts

    if quiet:
        return load_extracts(directory, encoding=encoding).as_json()
    with step_progress(transient=False) as progress:
        return load_extracts(directory, encoding=encoding, progress=StepBars(progress)).as_json()


def _fail(code: int, message: str, as_json: bool, **fields: Any) -> None:
    if as_json:
        click.echo(
            json.dumps(
                {
                    "status": "unusable" if code == EXIT_USAGE else "failed",
                    "exit_code": code,
                    "error": message,
                    **fields,
                },
                ensure_ascii=False,
            )
        )
    else:
        click.echo(f"error: {message}", err=True)
    sys.exit(code)


@click.command("load")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--encoding",
    type=click.Choice(["utf-8", "gbk"], case_sensitive=False),
    default="utf-8",
    show_default=True,
    help="Encoding of the CSV files (UTF-8 with or without BOM, or GBK).",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary; no progress bars.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars.")
def load(directory: Path, encoding: str, as_json: bool, quiet: bool) -> None:
    """Load the extract files in DIRECTORY (products, borrowers, loans, installments, payments)."""
    setup_django()
    from adbc_driver_manager import Error as AdbcError
    from django.db import DatabaseError

    from qingshou.ingest.errors import ExtractError

    try:
        summary = _run(directory, encoding.lower(), quiet or as_json)
    except ExtractError as error:
        _fail(EXIT_USAGE, error.message, as_json, field=error.field)
        return
    except (DatabaseError, AdbcError) as error:
        _fail(
            EXIT_FAILURE,
            f"database error: {error} (has the database been created? run `qingshou init`)",
            as_json,
        )
        return
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False))
    else:
        Console().print(_summary_table(summary))
        for name, path in summary["rejects"].items():
            click.echo(f"rejected {summary['tables'][name]['rejected']} {name} row(s): {path}")
    sys.exit(summary["exit_code"])


COMMANDS = [load]
