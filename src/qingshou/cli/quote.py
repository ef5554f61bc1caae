"""``qingshou quote LOAN_ID --as-of D [--json]``: one loan exactly, as the domain computes it."""

from __future__ import annotations

from datetime import date, datetime

import click

from qingshou.cli import exit_code_for, fail, setup_django
from qingshou.cli.render import console, print_json, table, yuan
from qingshou.domain.errors import DomainError
from qingshou.domain.quote import Quote

CLASS_NAMES = {
    "normal": "正常",
    "special_mention": "关注",
    "substandard": "次级",
    "doubtful": "可疑",
    "loss": "损失",
}
STATUS_NAMES = {
    "not_due": "未到期",
    "prepaid": "已提前还",
    "due": "应还(未逾期)",
    "overdue": "逾期",
    "partially_paid": "部分还款",
    "paid": "已还清",
    "paid_late": "逾期后还清",
    "penalty_due": "欠罚息",
}
SUMMARY_ROWS = (
    ("逾期本金 overdue principal", "overdue_principal"),
    ("逾期利息 overdue interest", "overdue_interest"),
    ("罚息 penalty interest", "penalty_interest"),
    ("复利 compound interest", "compound_interest"),
    ("费用 fees", "fees"),
    ("实现债权费用 costs", "costs"),
    ("逾期合计 total overdue", "total_overdue"),
    ("剩余本金 outstanding principal", "outstanding_principal"),
    ("结清金额 payoff amount", "payoff_amount"),
    ("溢缴款 unapplied credit", "unapplied_credit"),
)


def as_date(_ctx: click.Context, _param: click.Parameter, value: str) -> date:
    """Parse an ISO date option, with a clear message."""
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()  # noqa: DTZ007 - a calendar date, no time
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date YYYY-MM-DD") from None


@click.command("quote")
@click.argument("loan_id")
@click.option("--as-of", "as_of", required=True, callback=as_date, help="End of this day (YYYY-MM-DD).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def quote_command(loan_id: str, as_of: date, as_json: bool) -> None:
    """Quote one loan at the end of a day: dpd, class, overdue amounts, payoff, schedule."""
    setup_django()
    from qingshou.apps.loans.schemas import quote_json
    from qingshou.apps.loans.selectors import quote

    try:
        result = quote(loan_id, as_of)
    except DomainError as error:
        fail(error, exit_code_for(error))
    if as_json:
        print_json(quote_json(result))
    else:
        show_quote(result)


#: Installment statuses that need no attention (left out of the schedule when ``open_only``).
SETTLED_STATUSES = frozenset({"paid", "paid_late", "not_due", "prepaid"})


def show_quote(quote: Quote, *, open_only: bool = False) -> None:
    """The quote as readable Chinese tables; ``open_only`` lists only installments with something owed."""
    out = console()
    cls = quote.classification.code
    state = "逾期中 delinquent" if quote.delinquent else "未逾期 not delinquent"
    out.print(
        f"[bold]贷款 {quote.loan_id}[/bold]  截至 {quote.as_of} 日终  逾期天数 DPD {quote.dpd}  "
        f"账龄 {quote.bucket}  五级分类 {CLASS_NAMES[cls]} ({cls})  阶段 stage {quote.stage}  {state}"
    )
    amounts = ((label, yuan(getattr(quote, key))) for label, key in SUMMARY_ROWS)
    out.print(table("金额 Amounts", ("项目 item", "金额 amount"), amounts, right=1))
    limitation = quote.limitation
    note = (
        "" if limitation.calendar_confirmed else "（该年节假日历未覆盖，未按节假日顺延 calendar not covered）"
    )
    out.print(f"诉讼时效届满 limitation expires on {limitation.expires_on}{note}")
    out.print(
        table(
            "欠款分期 Installments with amounts owed" if open_only else "还款计划 Schedule",
            (
                "期 seq",
                "到期日 due",
                "状态 status",
                "应还本金",
                "应还利息",
                "已还本金",
                "已还利息",
                "罚息",
                "复利",
            ),
            (
                (
                    row.seq,
                    row.due_date,
                    STATUS_NAMES.get(row.status, row.status),
                    yuan(row.principal_due),
                    yuan(row.interest_due),
                    yuan(row.principal_paid),
                    yuan(row.interest_paid),
                    yuan(row.penalty_accrued),
                    yuan(row.compound_accrued),
                )
                for row in quote.installments
                if not (open_only and row.status in SETTLED_STATUSES)
            ),
            right=6,
        )
    )


COMMANDS = [quote_command]
