"""``qingshou collateral …``: the collateral register and the auction price floors (issue 6).

``qingshou collateral list [--status S] [--limit N] [--json]`` lists the register, newest first, with each
secured loan's rank and latest LTV (owner names masked). ``qingshou collateral auction-plan --appraisal AMOUNT
[--first-start AMOUNT] [--json]`` prints the online judicial auction's floors: the first round's starting
price (≥ 70 % of the appraisal), the second round's (≤ 20 % below the first) and the 变卖 price. Registering,
disposing and selling happen on the workbench (audited, by a person). Exit codes: 0, 2 bad arguments.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import click

from qingshou.cli import setup_django
from qingshou.cli.render import console, print_json, table, yuan
from qingshou.domain.collateral import auction_plan
from qingshou.domain.errors import DomainError
from qingshou.domain.money import from_fen, money, money_str
from qingshou.domain.privacy import mask_name

STATUSES = ("active", "disposing", "disposed", "released")


@click.group("collateral")
def collateral() -> None:
    """Collateral (抵押物 / 质押物): the register and auction price floors."""


def _ltv_text(basis_points: int | None) -> str | None:
    return None if basis_points is None else f"{Decimal(basis_points) / 10000:.4f}"


@collateral.command("list")
@click.option("--status", type=click.Choice(STATUSES), help="Only this status.")
@click.option("--limit", default=100, show_default=True, help="Collateral listed.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_collateral(status: str | None, limit: int, as_json: bool) -> None:
    """The collateral register, newest first."""
    setup_django()
    from django.db.models import Prefetch

    from qingshou.apps.collateral.models import Appraisal, Collateral, CollateralLoan
    from qingshou.apps.collateral.selectors import latest_ltv

    query = Collateral.objects.order_by("-registered_at", "-pk").prefetch_related(
        Prefetch("links", queryset=CollateralLoan.objects.order_by("rank", "loan_id")),
        Prefetch("appraisals", queryset=Appraisal.objects.order_by("-appraised_on", "-pk")),
    )
    if status:
        query = query.filter(status=status)
    items = list(query[:limit])
    ltv = latest_ltv(sorted({link.loan_id for item in items for link in item.links.all()}))
    rows: list[dict[str, Any]] = []
    for item in items:
        appraisal = next(iter(item.appraisals.all()), None)
        rows.append(
            {
                "id": item.pk,
                "kind": item.kind,
                "description": item.description,
                "owner": mask_name(item.owner_name),
                "third_party": item.third_party,
                "status": item.status,
                "appraisal": money_str(from_fen(appraisal.value_fen)) if appraisal else None,
                "appraised_on": appraisal.appraised_on.isoformat() if appraisal else None,
                "loans": [
                    {
                        "loan_id": link.loan_id,
                        "rank": link.rank,
                        "ltv": _ltv_text(ltv[link.loan_id].ltv_bp) if link.loan_id in ltv else None,
                        "shortfall": money_str(from_fen(ltv[link.loan_id].shortfall_fen))
                        if link.loan_id in ltv
                        else None,
                    }
                    for link in item.links.all()
                ],
            }
        )
    if as_json:
        print_json({"collateral": rows})
        return
    console().print(
        table(
            "抵押物 / 质押物 collateral",
            [
                "# id",
                "类型 kind",
                "描述 description",
                "所有人 owner",
                "状态 status",
                "贷款 loans",
                "评估 appraisal",
            ],
            [
                (
                    row["id"],
                    row["kind"],
                    row["description"],
                    row["owner"],
                    row["status"],
                    ", ".join(
                        f"{loan['loan_id']}#{loan['rank']} LTV {loan['ltv'] or '—'}" for loan in row["loans"]
                    ),
                    yuan(Decimal(row["appraisal"])) if row["appraisal"] else "—",
                )
                for row in rows
            ],
            right=1,
        )
    )


@collateral.command("auction-plan")
@click.option(
    "--appraisal", required=True, help="The appraisal (or reference price) in yuan, e.g. 1000000.00."
)
@click.option("--first-start", default=None, help="The first round's starting price, if chosen (checked).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def plan_auction(appraisal: str, first_start: str | None, as_json: bool) -> None:
    """The price floors of an online judicial auction (网拍规定 第十条, 第二十六条)."""
    try:
        value = money(appraisal)
        start = money(first_start) if first_start is not None else None
        plan = auction_plan(value, start)
    except DomainError as error:
        option = "--first-start" if error.field == "starting_price" else "--appraisal"
        raise click.BadParameter(error.message, param_hint=option) from None
    data = {
        "appraisal": money_str(plan.appraisal),
        "first_round_floor": money_str(plan.first_floor),
        "first_round_start": money_str(plan.first_start),
        "second_round_floor": money_str(plan.second_floor),
        "sale_price": money_str(plan.sale_price),
        "reauction_within_days": plan.reauction_days,
    }
    if as_json:
        print_json(data)
        return
    console().print(
        table(
            "网络司法拍卖 online judicial auction",
            ["项目 item", "金额 amount"],
            [
                ("评估价 appraisal", yuan(plan.appraisal)),
                ("一拍起拍价下限 first round floor (70 %)", yuan(plan.first_floor)),
                ("一拍起拍价 first round start", yuan(plan.first_start)),
                ("二拍起拍价下限 second round floor (−20 %)", yuan(plan.second_floor)),
                ("变卖价 sale price", yuan(plan.sale_price)),
            ],
            right=1,
        )
    )


COMMANDS: list[click.Command] = [collateral]
