"""``qingshou post-payment``: post money received for a loan, allocated by the domain (C5)."""

from __future__ import annotations

from datetime import date

import click

from qingshou.cli import exit_code_for, fail, setup_django
from qingshou.cli.quote import as_date
from qingshou.cli.render import console, print_json, table, yuan
from qingshou.domain.errors import DomainError
from qingshou.domain.money import money

COMPONENT_NAMES = {
    "costs": "实现债权费用",
    "fees": "费用",
    "penalty": "罚息",
    "compound": "复利",
    "interest": "利息",
    "principal": "本金",
}


@click.command("post-payment")
@click.option("--loan", "loan_id", required=True, help="Loan id.")
@click.option("--amount", required=True, help="Amount in yuan, e.g. 1033.33.")
@click.option("--paid-on", "paid_on", required=True, callback=as_date, help="Value date (YYYY-MM-DD).")
@click.option("--id", "payment_id", required=True, help="External payment id (idempotency key).")
@click.option("--channel", default="", help="Payment channel (optional).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def post_payment_command(
    loan_id: str, amount: str, paid_on: date, payment_id: str, channel: str, as_json: bool
) -> None:
    """Post a payment; the same --id twice is a no-op that says so."""
    setup_django()
    from qingshou.apps.loans.schemas import posted_payment_json
    from qingshou.apps.loans.services.payments import post_payment

    try:
        posted = post_payment(loan_id, payment_id, money(amount), paid_on, channel=channel)
    except DomainError as error:
        fail(error, exit_code_for(error))
    data = posted_payment_json(posted)
    if as_json:
        print_json(data)
        return
    out = console()
    if posted.created:
        out.print(
            f"已入账 posted {posted.payment_id}: {yuan(posted.amount)} → 贷款 {posted.loan_id} ({paid_on})"
        )
    else:
        out.print(f"重复入账已忽略 already posted: {posted.payment_id} — 未做任何改动 nothing changed")
    rows = (
        (
            row.value_date,
            row.seq if row.seq is not None else row.charge_id,
            COMPONENT_NAMES[row.component.value],
            yuan(row.amount),
        )
        for row in posted.allocations
    )
    out.print(
        table(
            "分配 Allocation",
            ("起息日 value date", "期/费用 item", "科目 component", "金额 amount"),
            rows,
            right=1,
        )
    )
    out.print(f"溢缴款 unapplied credit: {yuan(posted.unapplied_credit)}")


COMMANDS = [post_payment_command]
