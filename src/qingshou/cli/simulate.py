"""``qingshou simulate``: write a synthetic loan book as an extract folder that ``qingshou load`` reads.

The command parses its options, runs ``qingshou.simulate.simulate_book`` with a rich progress bar on
stderr (none with ``--quiet``) and prints the rows written per table — as a table, or as JSON with
``--json`` for programs such as the benchmarks. Bad parameters exit with code 2.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from qingshou.cli import EXIT_USAGE
from qingshou.domain.errors import DomainError
from qingshou.simulate import SimulationConfig, SimulationError, SimulationSummary, simulate_book


def _summary_json(config: SimulationConfig, summary: SimulationSummary) -> str:
    return json.dumps(
        {
            "out": str(summary.out_dir),
            "loans": config.loans,
            "seed": config.seed,
            "as_of": config.as_of.isoformat(),
            "format": config.fmt,
            "rows": dict(summary.rows),
            "seconds": round(summary.seconds, 3),
            "rows_per_second": round(summary.total_rows / summary.seconds) if summary.seconds else None,
        },
        ensure_ascii=False,
    )


def _summary_table(summary: SimulationSummary) -> Table:
    table = Table(title=f"{summary.out_dir} — {summary.seconds:.1f} s")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, count in summary.rows:
        table.add_row(name, f"{count:,}")
    return table


def _run(config: SimulationConfig, out: Path, workers: int | None, quiet: bool) -> SimulationSummary:
    if quiet:
        return simulate_book(config, out, workers=workers)
    columns = (TextColumn("simulating"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True)) as progress:
        task = progress.add_task("loans", total=config.loans)
        return simulate_book(
            config, out, workers=workers, on_progress=lambda done: progress.update(task, completed=done)
        )


@click.command("simulate")
@click.option("--loans", type=int, required=True, help="Number of loans to simulate.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed: same seed, same files.")
@click.option(
    "--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), required=True, help="YYYY-MM-DD."
)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True, help="Folder.")
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet"]), default="csv", show_default=True)
@click.option(
    "--omit-installments",
    type=float,
    default=0.0,
    show_default=True,
    help="Share of loans written without installments (the loader builds their schedule).",
)
@click.option("--workers", type=int, default=None, help="Worker processes (default: one per CPU).")
@click.option("--quiet", is_flag=True, help="No progress bar and no summary.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def simulate(
    loans: int,
    seed: int,
    as_of: datetime,
    out: Path,
    fmt: str,
    omit_installments: float,
    workers: int | None,
    quiet: bool,
    as_json: bool,
) -> None:
    """Write a synthetic loan book (products, borrowers, loans, installments, payments) into OUT."""
    try:
        config = SimulationConfig(
            loans=loans,
            seed=seed,
            as_of=as_of.date(),
            fmt="parquet" if fmt == "parquet" else "csv",
            omit_installments=omit_installments,
        )
        if workers is not None and workers < 1:
            raise SimulationError(f"workers must be at least 1, got {workers}", field="workers")
    except DomainError as exc:
        click.echo(f"error: {exc.field}: {exc.message}", err=True)
        sys.exit(EXIT_USAGE)
    summary = _run(config, out, workers, quiet)
    if as_json:
        click.echo(_summary_json(config, summary))
    elif not quiet:
        Console().print(_summary_table(summary))


COMMANDS = (simulate,)
