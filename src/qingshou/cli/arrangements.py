"""``qingshou arrangements …``: plans, waivers and settlements agreed on cases (issue 5, maker-checker).

``qingshou arrangements list [--status S] [--kind K] [--limit N] [--json]`` lists them, newest first, with
counts by status. Deciding happens on the workbench (a person, never a command). Exit codes: 0, 2 bad
arguments.
"""

from __future__ import annotations

from decimal import Decimal

import click

from qingshou.apps.arrangements.rules import Kind, Status
from qingshou.cli import setup_django
from qingshou.cli.render import console, print_json, table, yuan
from qingshou.domain.money import from_fen, money_str


@click.group("arrangements")
def arrangements() -> None:
    """Repayment plans, waivers and discounted settlements."""


@arrangements.command("list")
@click.option("--status", type=click.Choice([s.value for s in Status]), help="Only this status.")
@click.option("--kind", type=click.Choice([k.value for k in Kind]), help="Only this kind.")
@click.option("--limit", default=50, show_default=True, help="Arrangements listed.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_arrangements(status: str | None, kind: str | None, limit: int, as_json: bool) -> None:
    """Arrangements, newest first."""
    setup_django()
    from django.db.models import Count

    from qingshou.apps.arrangements.models import Arrangement

    query = Arrangement.objects.select_related("proposed_by", "decided_by").order_by("-proposed_at", "-pk")
    if status:
        query = query.filter(status=status)
    if kind:
        query = query.filter(kind=kind)
    counts = {
        row["status"]: row["n"]
        for row in Arrangement.objects.values("status").annotate(n=Count("id")).order_by("status")
    }
    rows = [
        {
            "id": item.pk,
            "case_id": item.case_id,
            "loan_id": item.loan_id,
            "kind": item.kind,
            "plan_kind": item.plan_kind,
            "status": item.status,
            "concession": money_str(from_fen(item.concession_fen)),
            "proposed_by": item.proposed_by.get_username(),
            "proposed_at": item.proposed_at.isoformat(),
            "decided_by": item.decided_by.get_username() if item.decided_by else None,
            "effective_on": item.effective_on.isoformat() if item.effective_on else None,
            "executed_on": item.executed_on.isoformat() if item.executed_on else None,
            "successor_loan_id": item.successor_loan_id or None,
            "reference": item.reference,
        }
        for item in query[:limit]
    ]
    if as_json:
        print_json({"counts": counts, "arrangements": rows})
        return
    out = console()
    out.print("安排 arrangements: " + ", ".join(f"{name} {count}" for name, count in counts.items()))
    out.print(
        table(
            "还款计划 / 减免 / 结清 arrangements",
            [
                "# id",
                "案件 case",
                "贷款 loan",
                "类型 kind",
                "状态 status",
                "提议 proposed by",
                "审批 decided by",
                "执行 executed",
                "新贷款 successor",
                "让利 concession",
            ],
            [
                (
                    row["id"],
                    row["case_id"],
                    row["loan_id"],
                    row["kind"],
                    row["status"],
                    row["proposed_by"],
                    row["decided_by"] or "",
                    row["executed_on"] or "",
                    row["successor_loan_id"] or "",
                    yuan(Decimal(str(row["concession"]))),
                )
                for row in rows
            ],
            right=1,
        )
    )


COMMANDS: list[click.Command] = [arrangements]
