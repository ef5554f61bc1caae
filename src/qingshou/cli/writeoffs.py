"""``qingshou writeoffs …``: write-off (核销) from the command line (issue 6).

* ``qingshou writeoffs eligible --as-of D [--json]``: the loans that qualify on D from the day's EOD snapshot
  (the lake's partition, else the store's statuses of D) and on which grounds, with the amounts a write-off
  would take (principal + interest) and leave tracked off-balance (penalty, compound, fees, costs).
* ``qingshou writeoffs report --month YYYY-MM [--json]``: recovery after write-off in the month.

Proposing and deciding happen on the workbench (people, never a command). Exit codes: 0; 2 bad arguments;
4 no snapshot of the day.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import click

from qingshou.cli import exit_code_for, fail, setup_django
from qingshou.cli.quote import as_date
from qingshou.cli.render import console, print_json, table, yuan
from qingshou.domain.errors import DomainError


@click.group("writeoffs")
def writeoffs() -> None:
    """Write-off (核销): eligibility and recovery after write-off."""


@writeoffs.command("eligible")
@click.option("--as-of", "as_of", required=True, callback=as_date, help="End of this day (YYYY-MM-DD).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def eligible(as_of: date, as_json: bool) -> None:
    """Loans that qualify for write-off on a day, and on which grounds."""
    setup_django()
    from qingshou.apps.writeoffs.services import eligible_loans

    try:
        found = eligible_loans(as_of)
    except DomainError as error:
        fail(error, exit_code_for(error))
        return
    total = sum((item.written_off for item in found), Decimal("0.00"))
    if as_json:
        print_json(
            {
                "as_of": as_of.isoformat(),
                "count": len(found),
                "written_off": f"{total:.2f}",
                "loans": [item.as_json() for item in found],
            }
        )
        return
    out = console()
    out.print(f"截至 {as_of.isoformat()} 可核销 eligible: {len(found)} 笔, 核销金额 {yuan(total)}")
    out.print(
        table(
            "可核销贷款 eligible loans",
            [
                "贷款 loan",
                "依据 grounds",
                "五级分类 class",
                "逾期天数 DPD",
                "核销 written off",
                "表外 off-balance",
            ],
            [
                (
                    item.loan_id,
                    ", ".join(ground.value for ground in item.grounds),
                    item.classification,
                    item.dpd,
                    yuan(item.written_off),
                    yuan(item.off_balance),
                )
                for item in found
            ],
            right=3,
        )
    )


@writeoffs.command("report")
@click.option("--month", required=True, help="The month (YYYY-MM).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def report(month: str, as_json: bool) -> None:
    """Recovery after write-off in a month: cash paid after each write-off's day."""
    setup_django()
    from qingshou.apps.writeoffs.services import recovery_report

    try:
        result = recovery_report(month)
    except DomainError as error:
        fail(error, exit_code_for(error))
        return
    if as_json:
        print_json(result.as_json())
        return
    out = console()
    out.print(
        f"{result.month} 核销后回收 recovered after write-off: {yuan(result.recovered)}"
        f" ({len(result.rows)} 笔); 本月核销 written off {yuan(result.written_off_in_month)}"
        f" ({result.count_written_off_in_month} 笔)"
    )
    out.print(
        table(
            "核销后回收 recovery after write-off",
            [
                "# id",
                "贷款 loan",
                "核销日 written off on",
                "核销 written off",
                "本月回收 in month",
                "累计 to date",
            ],
            [
                (
                    row.writeoff_id,
                    row.loan_id,
                    row.written_off_on.isoformat(),
                    yuan(row.written_off),
                    yuan(row.recovered_in_month),
                    yuan(row.recovered_to_date),
                )
                for row in result.rows
            ],
            right=3,
        )
    )


COMMANDS: list[click.Command] = [writeoffs]
