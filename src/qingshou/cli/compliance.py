"""``qingshou compliance report --from D1 --to D2 [--outcome allow|defer|refuse] [--json]``: the compliance
decisions (C8) on contacts planned for the contacted person's local days D1…D2 — counts by outcome and by
reason, then every decision, numbers and addresses masked (``138****1234``).

Exit codes: 0 listed (also when there is nothing to list); 2 a bad argument (``--from`` after ``--to``).
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

import click

from qingshou.cli import setup_django
from qingshou.cli.quote import as_date
from qingshou.cli.render import console, print_json, table

OUTCOMES = ("allow", "defer", "refuse")
OUTCOME_NAMES = {"allow": "允许 allow", "defer": "顺延 defer", "refuse": "拒绝 refuse"}


@click.group("compliance")
def compliance() -> None:
    """Contact compliance (C8): the decisions on planned and attempted contacts."""


def _summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    by_outcome = Counter(row["outcome"] for row in rows)
    by_reason = Counter((row["outcome"], row["reason"]) for row in rows)
    return {
        "by_outcome": {outcome: by_outcome[outcome] for outcome in OUTCOMES if by_outcome[outcome]},
        "by_reason": [
            {"outcome": outcome, "reason": reason, "count": count}
            for (outcome, reason), count in sorted(by_reason.items(), key=lambda item: (-item[1], item[0]))
        ],
    }


def _moment(value: Any) -> str:
    return "" if value is None else value.isoformat()


def _as_json(first: date, last: date, outcome: str | None, rows: list[dict[str, Any]]) -> dict[str, Any]:
    from qingshou.domain.compliance import REASONS

    decisions = [
        {
            **row,
            "planned_at": _moment(row["planned_at"]),
            "deferred_to": _moment(row["deferred_to"]) or None,
            "message_zh": REASONS[row["reason"]][1] if row["reason"] in REASONS else "",
            "message_en": REASONS[row["reason"]][2] if row["reason"] in REASONS else "",
        }
        for row in rows
    ]
    return {
        "from": first,
        "to": last,
        "outcome": outcome,
        "total": len(rows),
        **_summary(rows),
        "decisions": decisions,
    }


def _show(first: date, last: date, rows: list[dict[str, Any]]) -> None:
    from qingshou.domain.compliance import REASONS

    out = console()
    summary = _summary(rows)
    out.print(
        table(
            f"合规决定 compliance decisions {first} – {last}",
            ("结果 outcome", "笔数 count"),
            [(OUTCOME_NAMES[key], f"{count:,}") for key, count in summary["by_outcome"].items()],
            right=1,
        )
    )
    out.print(
        table(
            "原因 reasons",
            ("结果 outcome", "原因 reason", "说明 message", "笔数 count"),
            [
                (
                    item["outcome"],
                    item["reason"],
                    REASONS.get(item["reason"], ("", "", ""))[1],
                    f"{item['count']:,}",
                )
                for item in summary["by_reason"]
            ],
            right=1,
        )
    )
    headers = ("#", "计划 planned", "贷款 loan", "对象 party", "号码 address", "发起 by")
    out.print(
        table(
            f"明细 decisions ({len(rows):,}; times UTC)",
            (*headers, "结果 outcome", "原因 reason", "顺延至 deferred", "回执 result"),
            (
                (
                    row["id"],
                    f"{row['planned_at']:%Y-%m-%d %H:%M}",
                    f"{row['borrower_id']}/{row['loan_id']}",
                    f"{row['party_kind']} {row['channel']}",
                    row["address"],
                    f"{row['initiator']} {row['initiator_id']}".strip(),
                    row["outcome"],
                    row["reason"],
                    "" if row["deferred_to"] is None else f"{row['deferred_to']:%Y-%m-%d %H:%M}",
                    row["result"],
                )
                for row in rows
            ),
        )
    )


@compliance.command("report")
@click.option("--from", "first", required=True, callback=as_date, help="First local day (YYYY-MM-DD).")
@click.option("--to", "last", required=True, callback=as_date, help="Last local day (YYYY-MM-DD).")
@click.option("--outcome", type=click.Choice(OUTCOMES), default=None, help="Only this outcome.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def report(first: date, last: date, outcome: str | None, as_json: bool) -> None:
    """List the compliance decisions of contacts planned for days D1…D2 (counts, reasons, rows)."""
    if first > last:
        raise click.UsageError(f"--from {first} is after --to {last}")
    setup_django()
    from qingshou.apps.contacts.selectors import decisions

    rows = decisions(first, last, outcome)
    if as_json:
        print_json(_as_json(first, last, outcome, rows))
    else:
        _show(first, last, rows)


COMMANDS: list[click.Command] = [compliance]
