"""``qingshou assess …``: credit assessment at origination (issue 8, docs/assessment.md).

* ``qingshou assess FILE.json [--user NAME] [--lang zh|en] [--json]``: assess the application in FILE (the body
  of ``POST /api/assess``: ``application_id``, ``term_months``, ``amount``, optional ``product_id``,
  ``applicant``) through the same service: grade, probability of default, reasons, price; stored and audited
  (as ``--user``, who needs ``assessment.add_assessment``; without it, as the system). The same
  ``application_id`` again with the same content prints the stored assessment.
* ``qingshou assess pricing [--term 12] [--lpr 0.03] [--lender licensed|private] [--json]``: the grade → rate
  table of ``QINGSHOU_PRICING`` with its components and the legal cap (C4).

Exit codes: 0; 2 bad input (the message names the field); 3 the application id was assessed with other
content (409 in the API); 4 FILE not found; 5 no active application model (503 in the API).
"""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import click

from qingshou.cli import EXIT_NOT_FOUND, EXIT_REJECTED, EXIT_USAGE, fail, setup_django
from qingshou.cli.render import console, print_json, table
from qingshou.domain.errors import DomainError

EXIT_NO_MODEL = 5


def _percent(value: Decimal | str) -> str:
    return f"{Decimal(value) * 100:.2f}%"


class _AssessGroup(click.Group):
    """``qingshou assess FILE.json`` without a sub-command name runs ``application`` on FILE."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["application", *args]
        return super().resolve_command(ctx, args)


@click.group("assess", cls=_AssessGroup)
def assess() -> None:
    """Credit assessment: `assess FILE.json` (grade, PD, reasons, price) and `assess pricing`."""


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        fail(DomainError(f"no file {path}"), EXIT_NOT_FOUND)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        fail(DomainError(f"{path}: not JSON ({error})"), EXIT_USAGE)
    if not isinstance(data, dict):
        fail(DomainError(f"{path}: a JSON object is expected"), EXIT_USAGE)
    return dict(data)


def _request(data: dict[str, Any]) -> Any:
    from qingshou.apps.assessment.services import AssessmentRequest

    for name in ("application_id", "term_months", "amount"):
        if name not in data:
            fail(DomainError(f"{name}: required"), EXIT_USAGE)
    unknown = sorted(set(data) - {"application_id", "term_months", "amount", "product_id", "applicant"})
    if unknown:
        fail(DomainError(f"{unknown[0]}: not a field of an application"), EXIT_USAGE)
    if not isinstance(data["amount"], str):
        fail(DomainError('amount: a decimal string is expected (C9), e.g. "5000.00"'), EXIT_USAGE)
    return AssessmentRequest(
        application_id=str(data["application_id"]),
        term_months=data["term_months"],
        amount=data["amount"],
        applicant=data.get("applicant") or {},
        product_id=data.get("product_id"),
    )


def _user(username: str | None) -> Any:
    if username is None:
        return None
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        fail(DomainError(f"--user: no active user {username!r}"), EXIT_USAGE)
        return None
    if not user.has_perm("assessment.add_assessment"):
        fail(DomainError(f"--user: {username} lacks assessment.add_assessment"), EXIT_USAGE)
    return user


@assess.command("application", hidden=True)
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--user", "username", help="Assess as this user (needs assessment.add_assessment).")
@click.option(
    "--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True, help="Reason labels."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON (the API's answer).")
def application(file: Path, username: str | None, lang: str, as_json: bool) -> None:
    """Assess the application in FILE.json."""
    data = _read(file)
    setup_django()
    from qingshou.apps.assessment import services

    request = _request(data)
    try:
        answer = services.assess(_user(username), request)
    except services.NoActiveModel as error:
        fail(error, EXIT_NO_MODEL)
        return
    except services.AssessmentConflict as error:
        fail(error, EXIT_REJECTED)
        return
    except DomainError as error:
        fail(DomainError(f"{error.field}: {error.message}" if error.field else error.message), EXIT_USAGE)
        return
    body = services.localise(answer.body, lang)
    if as_json:
        print_json(body)
        return
    _print_answer(body, replayed=not answer.created)


def _print_answer(body: dict[str, Any], *, replayed: bool) -> None:
    out = console()
    price = body["price"]
    out.print(
        f"申请 application {body['application_id']}{' (已评估 stored)' if replayed else ''}: "
        f"等级 grade {body['grade']}  违约概率 PD {body['probability_of_default']}  分数 points {body['points']}  "
        f"决定 decision {body['decision']}"
    )
    out.print(
        f"年利率 annual rate {_percent(price['annual_rate'])} (上限 cap {_percent(price['cap'])}; "
        f"预期损失 EL {_percent(price['components']['expected_loss'])} + 资金 funding "
        f"{_percent(price['components']['funding'])} + 运营 operating {_percent(price['components']['operating'])}"
        f" + 利润 margin {_percent(price['components']['margin'])})"
    )
    if price["reason"]:
        out.print(f"拒绝原因 reason: {price['reason']}")
    out.print(
        table(
            "原因 reasons",
            ["代码 code", "名称 label", "分箱 bin", "差距 points short"],
            [(r["code"], r["label"], r["bin"], f"{r['points_short']:.1f}") for r in body["reasons"]],
            right=1,
        )
    )
    model = body["model"]
    out.print(f"模型 model {model['kind']} v{model['version']}")


@assess.command("pricing")
@click.option("--term", "term_months", type=int, default=12, show_default=True, help="Loan term in months.")
@click.option(
    "--lpr", help="One-year LPR at the contract date, e.g. 0.03 (private lenders' cap 4 × LPR, C4)."
)
@click.option(
    "--lender", type=click.Choice(["licensed", "private"]), help="Override QINGSHOU_PRICING's lender."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def pricing(term_months: int, lpr: str | None, lender: str | None, as_json: bool) -> None:
    """The grade → annual rate table with its components and the legal cap (C4)."""
    setup_django()
    from qingshou.apps.assessment.conf import pricing_settings
    from qingshou.domain.money import rate
    from qingshou.domain.pricing import Lender, price_table

    try:
        settings = pricing_settings(rate(lpr) if lpr is not None else None)
        policy = replace(settings.policy, lender=Lender(lender)) if lender else settings.policy
        table_rows = price_table(policy, term_months=term_months, lpr=settings.lpr)
    except DomainError as error:
        fail(DomainError(f"{error.field}: {error.message}" if error.field else error.message), EXIT_USAGE)
        return
    if as_json:
        print_json(
            {
                "term_months": term_months,
                "lender": str(policy.lender),
                "lpr": str(settings.lpr) if settings.lpr is not None else None,
                "lgd": str(policy.lgd),
                "pd_horizon_months": policy.pd_horizon_months,
                "grades": [
                    {
                        "grade": price.grade,
                        "max_pd": str(price.max_pd),
                        "expected_loss": str(price.expected_loss.quantize(Decimal("0.0001"))),
                        "funding": str(price.funding),
                        "operating": str(price.operating),
                        "margin": str(price.margin),
                        "required_rate": str(price.required_rate),
                        "annual_rate": str(price.annual_rate),
                        "cap": str(price.cap),
                        "decision": str(price.decision),
                        "reason": price.reason,
                    }
                    for price in table_rows
                ],
            }
        )
        return
    out = console()
    cap = table_rows[0].cap
    out.print(
        f"定价表 pricing: 期限 term {term_months} 月, 放贷机构 lender {policy.lender}, 上限 cap {_percent(cap)}, "
        f"LGD {_percent(policy.lgd)}"
    )
    out.print(
        table(
            "等级定价 rate per grade",
            [
                "等级 grade",
                "决定 decision",
                "PD ≤",
                "预期损失 EL",
                "资金 funding",
                "运营 operating",
                "利润 margin",
                "所需 required",
                "年利率 rate",
            ],
            [
                (
                    price.grade,
                    "拒绝 decline: 超上限 above cap" if price.capped else "批准 approve",
                    _percent(price.max_pd),
                    _percent(price.expected_loss),
                    _percent(price.funding),
                    _percent(price.operating),
                    _percent(price.margin),
                    _percent(price.required_rate),
                    _percent(price.annual_rate),
                )
                for price in table_rows
            ],
            right=7,
        )
    )


COMMANDS = [assess]
