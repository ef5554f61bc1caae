"""``qingshou assign [--as-of D] [--json]``: place the unassigned open cases by the assignment rules (分案).

Rules come from ``QINGSHOU_ASSIGNMENT`` (docs/workbench.md); team cases are balanced across the team's
collectors. Prints the counts per collector, agency and team. Exit codes: 0, 2 invalid rules.
"""

from __future__ import annotations

from datetime import date

import click

from qingshou.cli import exit_code_for, fail, setup_django
from qingshou.cli.eod import optional_date
from qingshou.cli.render import console, print_json, table


@click.command("assign")
@click.option(
    "--as-of", "as_of", callback=optional_date, help="The day recorded with the run (default: today)."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def assign(as_of: date | None, as_json: bool) -> None:
    """Assign the unassigned open cases to teams, collectors and agencies by the configured rules."""
    setup_django()
    from qingshou import clock
    from qingshou.apps.cases.assignment import assign_cases
    from qingshou.domain.errors import DomainError

    try:
        result = assign_cases(as_of or clock.today())
    except DomainError as error:
        fail(error, exit_code_for(error))
        return
    if as_json:
        print_json(result.as_json())
        return
    out = console()
    out.print(
        f"[bold]分案 assignment {result.day}[/bold]: {result.assigned} 件 cases, 未匹配 unmatched {result.unmatched}"
    )
    rows = [("催收员 collector", name, count) for name, count in sorted(result.to_collectors.items())]
    rows += [("委外 agency", name, count) for name, count in sorted(result.to_agencies.items())]
    rows += [("仅分组 team only", name, count) for name, count in sorted(result.team_only.items())]
    out.print(table("分案结果 placed", ["去向 to", "名称 name", "件数 cases"], rows, right=1))


COMMANDS: list[click.Command] = [assign]
