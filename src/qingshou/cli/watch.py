"""``qingshou watch …``: early warning of current loans (issue 8).

* ``qingshou watch events load FILE [--encoding auto|utf-8|gbk] [--json]``: external events (court records,
  the enforcement list, other banks' NPL / overdue, credit inquiries) from a CSV or XLSX file; rejects in
  ``FILE's folder/rejects/external_events.csv``. Exit 0, 3 with rejected rows, 2 unusable file.
* ``qingshou watch list [--status open|closed|all] [--limit N] [--json]``: the watch list (borrower ids, no
  personal data), with triggers, scores and days on the list.

The watch list itself is kept by EOD (``apps.warning.services.eod``); the model is trained with
``qingshou model train early_warning``.
"""

from __future__ import annotations

from pathlib import Path

import click

from qingshou import clock
from qingshou.cli import EXIT_FAILURE, fail, setup_django
from qingshou.cli.render import console, print_json, table


@click.group("watch")
def watch() -> None:
    """预警 Early warning: external events and the watch list of current loans."""


@watch.group("events")
def events() -> None:
    """外部事件 External events (court records, enforcement list, other banks …)."""


@events.command("load")
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--encoding",
    type=click.Choice(["auto", "utf-8", "gbk"], case_sensitive=False),
    default="auto",
    show_default=True,
    help="CSV encoding (auto: UTF-8 with or without BOM, else GBK).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def load(file: Path, encoding: str, as_json: bool) -> None:
    """Load external events from FILE (.csv or .xlsx); bad rows go to rejects/external_events.csv."""
    setup_django()
    from qingshou.apps.warning.services.events import load_events
    from qingshou.ingest.errors import ExtractError

    try:
        result = load_events(file, encoding=encoding.lower())
    except ExtractError as error:
        fail(error)
        return
    if as_json:
        print_json(result.as_json())
    else:
        out = console()
        out.print(
            f"外部事件 events {file.name}: 读取 rows {result.rows}, 新增 inserted {result.inserted},"
            f" 已存在 already loaded {result.already}, 拒绝 rejected {result.rejected}"
        )
        if result.rejected:
            out.print(
                table(
                    "拒绝行 rejected rows",
                    ["行 row", "字段 field", "原因 reason", "说明 detail"],
                    [(r["row"], r["field"], r["reason"], r["detail"]) for r in result.reject_sample],
                )
            )
            out.print(f"全部拒绝行 all rejects: {result.rejects_path}")
    raise SystemExit(result.exit_code)


@watch.command("list")
@click.option(
    "--status",
    type=click.Choice(["open", "closed", "all"]),
    default="open",
    show_default=True,
    help="Which entries.",
)
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True, help="Rows shown.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_entries(status: str, limit: int, as_json: bool) -> None:
    """The watch list, newest first (borrower ids only)."""
    setup_django()
    from django.utils import translation

    from qingshou.apps.warning.models import WatchEntry
    from qingshou.apps.warning.services.watchlist import entry_rows, filtered

    try:
        entries = filtered(WatchEntry.objects.all(), status)
        total = entries.count()
        with translation.override("zh-hans"):
            rows = entry_rows(entries[:limit], clock.today())
    except Exception as error:  # a store that cannot be read: one line, exit 1
        fail(error, EXIT_FAILURE)
        return
    if as_json:
        print_json({"status": status, "total": total, "entries": [row.as_json() for row in rows]})
        return
    out = console()
    out.print(f"预警名单 watch list ({status}): {total} 条 entries, 显示 shown {len(rows)}")
    out.print(
        table(
            "预警名单 watch list",
            [
                "借款人 borrower",
                "贷款 loan",
                "触发 triggers",
                "规则分 rule points",
                "预警分 score",
                "概率 P(30+/90d)",
                "入单 opened",
                "天数 days",
                "状态 status",
            ],
            [
                (
                    row.entry.borrower_id,
                    row.entry.lead_loan_id,
                    "、".join(row.triggers) or "—",
                    row.entry.rule_points,
                    "—" if row.entry.points is None else row.entry.points,
                    "—"
                    if row.entry.probability_ppm is None
                    else f"{row.entry.probability_ppm / 10_000:.1f}%",
                    row.entry.opened_on.isoformat(),
                    row.days_on_list,
                    row.entry.status + (f" ({row.entry.close_reason})" if row.entry.close_reason else ""),
                )
                for row in rows
            ],
            right=3,
        )
    )


COMMANDS: list[click.Command] = [watch]
