"""``qingshou legal …``: legal recovery (issue 6).

``qingshou legal calendar [--days N] [--as-of D] [--json]`` lists every upcoming deadline of the legal cases
(hearings, preservation renewals and expiries, enforcement application deadlines, limitation expiries of the
loans under legal action), the whole book (an operator's command). ``qingshou legal fees --claim AMOUNT
[--type T] [--reduction R …] [--json]`` computes the court fees of a claim by 《诉讼费用交纳办法》: the filing fee
of the case type and the preservation and enforcement fees on the same amount. Exit codes: 0, 2 bad
arguments.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import click

from qingshou.cli import EXIT_USAGE, fail, setup_django
from qingshou.cli.render import console, print_json, table, yuan
from qingshou.domain.legal import CaseType, FeeKind, Reduction, filing_fee_kind


@click.group("legal")
def legal() -> None:
    """Legal recovery: the legal calendar and court fees."""


@legal.command("calendar")
@click.option("--days", type=click.IntRange(1, 3660), default=None, help="Days ahead (default: the setting).")
@click.option(
    "--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Day (default today)."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def calendar(days: int | None, as_of: Any, as_json: bool) -> None:
    """Upcoming deadlines of every legal case."""
    setup_django()
    from qingshou import clock
    from qingshou.apps.legal.selectors import ALL
    from qingshou.apps.legal.selectors import calendar as legal_calendar

    today: date = as_of.date() if as_of is not None else clock.today()
    rows: list[dict[str, Any]] = [
        {
            "act_by": row.act_by,
            "due_on": row.due_on,
            "kind": row.kind,
            "legal_case_id": row.legal_case_id,
            "case_id": row.case_id,
            "detail": row.detail,
            "days_left": row.days_left(today),
            "reminding": row.in_window(today),
            "calendar_confirmed": row.calendar_confirmed,
            "key": row.key,
        }
        for row in legal_calendar(ALL, today, days)
    ]
    if as_json:
        print_json({"as_of": today, "deadlines": rows})
        return
    out = console()
    out.print(
        table(
            f"法务日历 legal calendar ({today.isoformat()})",
            [
                "办理期限 act by",
                "到期 due",
                "事项 deadline",
                "法务 legal",
                "案件 case",
                "说明 detail",
                "剩余天数 days",
            ],
            [
                (
                    ("⚑ " if row["reminding"] else "") + row["act_by"].isoformat(),
                    row["due_on"].isoformat(),
                    row["kind"],
                    row["legal_case_id"],
                    row["case_id"],
                    row["detail"],
                    row["days_left"],
                )
                for row in rows
            ],
            right=1,
        )
    )


@legal.command("fees")
@click.option("--claim", "claim_text", required=True, help="Claim amount in yuan, e.g. 150000.00.")
@click.option(
    "--type",
    "case_type",
    type=click.Choice([item.value for item in CaseType]),
    default=CaseType.LAWSUIT.value,
    show_default=True,
    help="Case type (its filing fee).",
)
@click.option(
    "--reduction",
    "reductions",
    multiple=True,
    type=click.Choice([item.value for item in Reduction]),
    help="A ground for halving the acceptance fee (halved once however many).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def fees(claim_text: str, case_type: str, reductions: tuple[str, ...], as_json: bool) -> None:
    """Court fees of a claim (《诉讼费用交纳办法》 第十三条, 第十四条)."""
    setup_django()
    from qingshou.apps.legal.services import fee_quote
    from qingshou.domain.errors import DomainError

    try:
        claim = Decimal(claim_text.strip())
    except InvalidOperation:
        fail(ValueError(f"--claim must be an amount of yuan, got {claim_text!r}"), EXIT_USAGE)
        return
    if not claim.is_finite() or claim <= 0 or claim != claim.quantize(Decimal("0.01")):
        fail(ValueError(f"--claim must be more than 0 with at most two decimals, got {claim_text!r}"))
    filing = filing_fee_kind(case_type)
    if reductions and filing is not FeeKind.ACCEPTANCE:
        fail(ValueError(f"--reduction halves the acceptance fee of a lawsuit, not a {case_type} filing"))
    kinds = [kind for kind in (filing, FeeKind.PRESERVATION, FeeKind.ENFORCEMENT) if kind is not None]
    try:
        quotes = [fee_quote(kind, claim, reductions if kind is FeeKind.ACCEPTANCE else ()) for kind in kinds]
    except DomainError as error:
        fail(error)
        return
    rows: list[dict[str, Any]] = [
        {
            "kind": item.kind,
            "basis": item.basis,
            "exact": str(item.exact.normalize()),
            "reductions": list(item.reductions),
            "rounding": item.rounding,
            "amount": item.amount,
            "article": item.article,
            "filing": item.kind is filing,
        }
        for item in quotes
    ]
    if as_json:
        print_json({"claim": claim, "case_type": case_type, "filing_fee": filing, "fees": rows})
        return
    out = console()
    if filing is None:
        out.print(
            f"{case_type}: 不按法院收费标准 no court filing fee on the schedule (entered as a cost by hand)"
        )
    out.print(
        table(
            f"诉讼费用 court fees · 标的 claim {yuan(claim)}",
            ["费用 fee", "依据 article", "减半 halved", "金额 amount"],
            [
                (
                    row["kind"].value + (" (filing)" if row["filing"] else ""),
                    row["article"],
                    ",".join(row["reductions"]) or "—",
                    yuan(row["amount"]),
                )
                for row in rows
            ],
            right=1,
        )
    )


COMMANDS: list[click.Command] = [legal]
