"""The JSON shapes of the loans app (quote, posted payment): one definition for the CLI and the API.

Money is a decimal string with two places, dates ISO, classification its code (C9). The key names are a
contract other programs rely on (README, docs/architecture.md).
"""

from __future__ import annotations

from typing import Any

from qingshou.apps.loans.services.payments import PostedPayment
from qingshou.domain.money import money_str
from qingshou.domain.quote import InstallmentQuote, Quote

QUOTE_MONEY_FIELDS = (
    "overdue_principal",
    "overdue_interest",
    "penalty_interest",
    "compound_interest",
    "fees",
    "costs",
    "total_overdue",
    "outstanding_principal",
    "payoff_amount",
    "unapplied_credit",
)
INSTALLMENT_MONEY_FIELDS = (
    "principal_due",
    "interest_due",
    "principal_paid",
    "interest_paid",
    "penalty_accrued",
    "penalty_paid",
    "compound_accrued",
    "compound_paid",
)


def quote_json(quote: Quote) -> dict[str, Any]:
    """``qingshou quote --json``: the loan at the end of ``as_of``."""
    data: dict[str, Any] = {
        "loan_id": quote.loan_id,
        "as_of": quote.as_of.isoformat(),
        "dpd": quote.dpd,
        "delinquent": quote.delinquent,
        "bucket": quote.bucket,
        "classification": quote.classification.code,
        "stage": quote.stage,
    }
    data.update({name: money_str(getattr(quote, name)) for name in QUOTE_MONEY_FIELDS})
    data["limitation_expires_on"] = quote.limitation.expires_on.isoformat()
    data["limitation_calendar_confirmed"] = quote.limitation.calendar_confirmed
    data["installments"] = [installment_json(row) for row in quote.installments]
    return data


def installment_json(row: InstallmentQuote) -> dict[str, Any]:
    """One installment line of the quote."""
    data: dict[str, Any] = {"seq": row.seq, "due_date": row.due_date.isoformat()}
    data.update({name: money_str(getattr(row, name)) for name in INSTALLMENT_MONEY_FIELDS})
    data["status"] = row.status
    return data


def posted_payment_json(posted: PostedPayment) -> dict[str, Any]:
    """``qingshou post-payment --json``: whether the payment was new and how it was applied."""
    return {
        "payment_id": posted.payment_id,
        "loan_id": posted.loan_id,
        "paid_on": posted.paid_on.isoformat(),
        "amount": money_str(posted.amount),
        "status": "posted" if posted.created else "already_posted",
        "allocations": [
            {
                "value_date": row.value_date.isoformat(),
                "seq": row.seq,
                "charge_id": row.charge_id,
                "component": row.component.value,
                "amount": money_str(row.amount),
            }
            for row in posted.allocations
        ],
        "unapplied_credit": money_str(posted.unapplied_credit),
    }
