"""``qingshou cases …``: the collection cases EOD keeps and the day's action plan.

``qingshou cases plan [--as-of D] [--limit N] [--json]`` shows what the strategy planned for a day (default:
yesterday, the day an overnight EOD closes): counts by action and compliance outcome, by segment / path /
arm, the refusals by reason and the first actions by priority. ``qingshou cases list [--status open|closed]
[--limit N] [--json]`` lists cases, newest first. Exit codes: 0, 2 bad arguments.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import click

from qingshou.cli import setup_django
from qingshou.cli.eod import default_day, optional_date
from qingshou.cli.render import console, print_json, table, yuan
from qingshou.domain.money import from_fen, money_str

OUTCOME_NAMES = {"allow": "放行 allow", "defer": "顺延 defer", "refuse": "拒绝 refuse"}


@click.group("cases")
def cases() -> None:
    """Collection cases and the day's action plan."""


@cases.command("plan")
@click.option("--as-of", "as_of", callback=optional_date, help="The EOD day (default: yesterday).")
@click.option("--limit", default=20, show_default=True, help="Actions listed by priority.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def plan(as_of: date | None, limit: int, as_json: bool) -> None:
    """The action plan EOD computed for a day."""
    setup_django()
    from qingshou.apps.cases.selectors import day_plan

    day = as_of or default_day()
    result = day_plan(day, limit)
    top = [
        {
            "borrower_id": action.borrower_id,
            "loan_id": action.loan_id,
            "action": action.action,
            "step": action.step,
            "segment": action.segment,
            "path": action.path,
            "arm": action.arm,
            "priority": action.priority,
            "template": action.template,
            "queue": action.queue,
            "outcome": action.outcome,
            "reason": action.reason,
            "not_before": action.not_before.isoformat() if action.not_before else None,
        }
        for action in result.top
    ]
    if as_json:
        print_json(
            {
                "as_of": day.isoformat(),
                "total": result.total,
                "by_action": result.by_action,
                "by_path": result.by_path,
                "refusals": result.refusals,
                "top": top,
            }
        )
        return
    out = console()
    out.print(f"[bold]行动计划 action plan {day}[/bold]: {result.total} 项 actions")
    out.print(
        table(
            "按行动 by action",
            ["行动 action", "合规 outcome", "数量 count"],
            [
                (row["action"], OUTCOME_NAMES.get(row["outcome"], row["outcome"]), row["count"])
                for row in result.by_action
            ],
            right=1,
        )
    )
    out.print(
        table(
            "按策略 by segment / path / arm",
            ["分群 segment", "路径 path", "组 arm", "数量 count"],
            [(row["segment"], row["path"], row["arm"], row["count"]) for row in result.by_path],
            right=1,
        )
    )
    if result.refusals:
        out.print(
            table(
                "拒绝原因 refusals",
                ["原因 reason", "数量 count"],
                [(r["reason"], r["count"]) for r in result.refusals],
                right=1,
            )
        )
    out.print(
        table(
            f"优先 top {limit}",
            [
                "借款人 borrower",
                "贷款 loan",
                "行动 action",
                "步骤 step",
                "路径 path",
                "优先级 priority",
                "合规 outcome",
            ],
            [
                (
                    row["borrower_id"],
                    row["loan_id"],
                    row["action"],
                    row["step"],
                    row["path"],
                    row["priority"],
                    row["outcome"],
                )
                for row in top
            ],
            right=2,
        )
    )


@cases.command("list")
@click.option("--status", type=click.Choice(["open", "closed"]), help="Only cases with this status.")
@click.option("--limit", default=20, show_default=True, help="Cases listed.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_cases(status: str | None, limit: int, as_json: bool) -> None:
    """Cases, newest first."""
    setup_django()
    from qingshou.apps.cases.selectors import case_counts
    from qingshou.apps.cases.selectors import cases as query

    rows = [
        {
            "case_id": case.pk,
            "borrower_id": case.borrower_id,
            "status": case.status,
            "opened_on": case.opened_on.isoformat(),
            "closed_on": case.closed_on.isoformat() if case.closed_on else None,
            "close_reason": case.close_reason,
            "worst_dpd": getattr(case, "worst_dpd", None),
            "total_overdue": money_str(from_fen(getattr(case, "total_overdue_fen", None) or 0)),
            "segment": case.segment,
            "path": case.path,
            "arm": case.arm,
        }
        for case in query(status)[:limit]
    ]
    if as_json:
        print_json({"counts": case_counts(), "cases": rows})
        return
    out = console()
    out.print("案件 cases: " + ", ".join(f"{name} {count}" for name, count in sorted(case_counts().items())))
    out.print(
        table(
            "案件 cases",
            [
                "借款人 borrower",
                "状态 status",
                "立案 opened",
                "结案 closed",
                "分群 segment",
                "路径 path",
                "逾期天数 dpd",
                "逾期金额 overdue",
            ],
            [
                (
                    row["borrower_id"],
                    row["status"],
                    row["opened_on"],
                    row["closed_on"] or "",
                    row["segment"],
                    row["path"],
                    row["worst_dpd"],
                    yuan(Decimal(str(row["total_overdue"]))),
                )
                for row in rows
            ],
            right=2,
        )
    )


COMMANDS: list[click.Command] = [cases]
