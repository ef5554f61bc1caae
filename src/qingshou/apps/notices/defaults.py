"""The packaged default notice templates (Chinese, with English variants), loaded by
``services.templates.load_default_templates`` (and by the app's data migration).

Each debtor template carries every C8 field; the third-party template carries none of the debt fields.
"""

from __future__ import annotations

from typing import Final, TypedDict


class TemplateSpec(TypedDict):
    code: str
    channel: str
    audience: str
    language: str
    demand: bool
    subject: str
    body: str


_ZH_FIGURES: Final = (
    "逾期本金 {overdue_principal}，利息 {interest}，罚息 {penalty}，复利 {compound_interest}，"
    "已逾期 {days_overdue} 天，合计应还 {total_due}。"
)
_EN_FIGURES: Final = (
    "overdue principal {overdue_principal}, interest {interest}, penalty interest {penalty}, "
    "compound interest {compound_interest}; {days_overdue} days overdue; total due {total_due}."
)

DEFAULT_TEMPLATES: Final[tuple[TemplateSpec, ...]] = (
    {
        "code": "reminder",
        "channel": "sms",
        "audience": "debtor",
        "language": "zh-hans",
        "demand": False,
        "subject": "",
        "body": "【{institution}】{borrower_name}您好，您的贷款 {loan_id} 截至 {as_of}："
        + _ZH_FIGURES
        + "还款方式：{how_to_pay} 异议：{how_to_object} 联系：{contact}",
    },
    {
        "code": "demand",
        "channel": "sms",
        "audience": "debtor",
        "language": "zh-hans",
        "demand": True,
        "subject": "",
        "body": "【{institution}】{borrower_name}您好，您的贷款 {loan_id} 已逾期，截至 {as_of}："
        + _ZH_FIGURES
        + "请尽快还款。还款方式：{how_to_pay} 异议：{how_to_object} 联系：{contact}",
    },
    {
        "code": "demand",
        "channel": "sms",
        "audience": "debtor",
        "language": "en",
        "demand": True,
        "subject": "",
        "body": "[{institution}] Dear {borrower_name}, your loan {loan_id} is overdue. As of {as_of}: "
        + _EN_FIGURES
        + " Please pay promptly. How to pay: {how_to_pay} To object: {how_to_object} Contact: {contact}",
    },
    {
        "code": "demand",
        "channel": "email",
        "audience": "debtor",
        "language": "zh-hans",
        "demand": True,
        "subject": "【{institution}】贷款逾期催收通知 — {borrower_name}",
        "body": "{borrower_name}先生/女士：\n\n您在我行的贷款 {loan_id} 已逾期。截至 {as_of}，"
        + _ZH_FIGURES
        + "\n\n请尽快归还欠款。\n还款方式：{how_to_pay}\n异议渠道：{how_to_object}\n联系方式：{contact}\n\n{institution}",
    },
    {
        "code": "demand",
        "channel": "email",
        "audience": "debtor",
        "language": "en",
        "demand": True,
        "subject": "[{institution}] Overdue loan notice — {borrower_name}",
        "body": "Dear {borrower_name},\n\nYour loan {loan_id} is overdue. As of {as_of}: "
        + _EN_FIGURES
        + "\n\nPlease pay promptly.\nHow to pay: {how_to_pay}\nTo object: {how_to_object}\n"
        "Contact: {contact}\n\n{institution}",
    },
    {
        "code": "demand",
        "channel": "letter",
        "audience": "debtor",
        "language": "zh-hans",
        "demand": True,
        "subject": "逾期贷款催收函",
        "body": "{borrower_name}先生/女士：\n"
        "您在我行办理的贷款（编号 {loan_id}）已逾期 {days_overdue} 天。截至 {as_of}，" + _ZH_FIGURES + "\n"
        "请您收到本函后尽快归还上述欠款。还款方式：{how_to_pay}\n"
        "如有异议：{how_to_object}\n联系方式：{contact}\n特此函告。",
    },
    {
        "code": "contact_request",
        "channel": "sms",
        "audience": "third_party",
        "language": "zh-hans",
        "demand": False,
        "subject": "",
        "body": "【{institution}】您好，我们无法联系到{borrower_name}，烦请转告其尽快回电 {contact}。谢谢！",
    },
    {
        "code": "contact_request",
        "channel": "sms",
        "audience": "third_party",
        "language": "en",
        "demand": False,
        "subject": "",
        "body": "[{institution}] Hello, we cannot reach {borrower_name}. Please ask them to call us at {contact}. Thank you.",
    },
)
