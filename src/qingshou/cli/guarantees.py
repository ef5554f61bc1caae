"""``qingshou guarantees …`` (issue 6).

``qingshou guarantees due --as-of D [--within N] [--json]``: guarantees not yet preserved whose period ends
within N days after D (default 30), or ended — the guarantee calendar. Recording guarantees and demands
happens on the workbench. Exit codes: 0; 2 bad arguments.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import click

from qingshou.cli import setup_django
from qingshou.cli.quote import as_date
from qingshou.cli.render import console, print_json, table


@click.group("guarantees")
def guarantees() -> None:
    """Guarantors: guarantee periods and demands (C7)."""


@guarantees.command("due")
@click.option("--as-of", "as_of", required=True, callback=as_date, help="The day (YYYY-MM-DD).")
@click.option("--within", default=30, show_default=True, type=click.IntRange(0, 3660), help="Days ahead.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def due(as_of: date, within: int, as_json: bool) -> None:
    """Guarantee periods ending soon (or ended) with no act that preserved the guarantee."""
    setup_django()
    from qingshou.apps.guarantees.selectors import periods_due

    rows: list[dict[str, Any]] = [
        {
            "guarantee_id": row.guarantee.pk,
            "loan_id": row.guarantee.loan_id,
            "kind": row.guarantee.kind,
            "last_day": row.period.last_day.isoformat() if row.period else None,
            "days_left": row.days_left,
            "agreed": row.period.agreed if row.period else None,
        }
        for row in periods_due(as_of, within)
    ]
    if as_json:
        print_json({"as_of": as_of.isoformat(), "within": within, "guarantees": rows})
        return
    console().print(
        table(
            f"保证期间 guarantee periods ({as_of.isoformat()} + {within})",
            ["# id", "贷款 loan", "类型 kind", "届满 last day", "剩余 days left"],
            [
                (r["guarantee_id"], r["loan_id"], r["kind"], r["last_day"] or "—", r["days_left"])
                for r in rows
            ],
            right=1,
        )
    )


COMMANDS: list[click.Command] = [guarantees]
