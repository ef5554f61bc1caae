"""``qingshou notices …``: the outbox (list), a rendered notice (render), postal receipts (receipts) and
the packaged templates (load-templates).

Exit codes: 0 done; 2 unusable input (missing file or column, bad option); 3 receipts with refused rows
(each named with its line, field and reason); 4 no notice with that key.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from qingshou.cli import EXIT_REJECTED, exit_code_for, fail, setup_django
from qingshou.cli.render import console, print_json, table

STATUSES = ("pending", "sending", "sent", "delivered", "failed", "undeliverable")


@click.group("notices")
def notices() -> None:
    """通知 Notices: the outbox, rendered notices, postal receipts."""


@notices.command("list")
@click.option("--status", type=click.Choice(STATUSES), default=None, help="Only rows of this status.")
@click.option("--limit", type=click.IntRange(1), default=200, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def list_command(status: str | None, limit: int, as_json: bool) -> None:
    """List the outbox, newest day first."""
    setup_django()
    from qingshou.apps.notices.selectors import outbox_rows

    rows = outbox_rows(status, limit)
    if as_json:
        print_json(rows)
        return
    headers = (
        "key",
        "渠道 channel",
        "对象 audience",
        "状态 status",
        "次数 attempts",
        "下次 next",
        "错误 error",
    )
    console().print(
        table(
            f"发件箱 outbox ({len(rows)})",
            headers,
            (
                (
                    r["key"],
                    r["channel"],
                    r["audience"],
                    r["status"],
                    r["attempts"],
                    r["next_attempt_at"][:19],
                    r["last_error"][:60],
                )
                for r in rows
            ),
        )
    )


@notices.command("render")
@click.option("--key", required=True, help="The outbox key of the notice.")
@click.option(
    "--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="File to write."
)
def render_command(key: str, out: Path) -> None:
    """Write one notice as people see it: text for SMS / e-mail, a PDF for a letter."""
    setup_django()
    from qingshou.apps.notices.services.rendering import render_notice
    from qingshou.domain.errors import DomainError

    try:
        kind, content = render_notice(key)
    except DomainError as error:
        fail(error, exit_code_for(error))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(content)
    click.echo(f"{kind}: {out}")


@notices.command("receipts")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def receipts_command(path: Path, as_json: bool) -> None:
    """Import postal receipts (CSV: outbox_key, delivered_on, signer, evidence_ref[, status, tracking_no])."""
    setup_django()
    from qingshou.apps.notices.services.delivery import import_receipts
    from qingshou.domain.errors import DomainError

    try:
        result = import_receipts(path)
    except (DomainError, UnicodeDecodeError) as error:
        fail(error)
    summary = result.as_json()
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False))
    else:
        click.echo(
            f"回执 receipts {path}: {summary['rows']} rows, {summary['applied']} applied, "
            f"{summary['unchanged']} unchanged, {summary['rejected']} rejected"
        )
        if result.errors:
            console().print(
                table(
                    "拒绝 rejected",
                    ("行 row", "字段 field", "原因 reason"),
                    ((e["row"], e["field"], e["reason"]) for e in result.errors),
                )
            )
    if result.errors:
        raise SystemExit(EXIT_REJECTED)


@notices.command("load-templates")
def load_templates_command() -> None:
    """Store the packaged default templates (idempotent)."""
    setup_django()
    from qingshou.apps.notices.services.templates import load_default_templates

    click.echo(f"templates written: {load_default_templates()}")


COMMANDS: list[click.Command] = [notices]
