"""Notice templates (C8): which fields each audience may use, and rendering with zh-CN money."""

from __future__ import annotations

from decimal import Decimal

import pytest

from qingshou.apps.notices.defaults import DEFAULT_TEMPLATES
from qingshou.channels.templates import (
    DEBT_FIELDS,
    DEBTOR_REQUIRED,
    RenderError,
    TemplateError,
    check_template,
    format_money,
    render,
    template_fields,
)

FULL_BODY = " ".join("{" + name + "}" for name in DEBTOR_REQUIRED)
PAYLOAD = {
    "borrower_name": "张三",
    "overdue_principal": "1033.33",
    "interest": "12.50",
    "penalty": "3.01",
    "compound_interest": "0.09",
    "days_overdue": 37,
    "total_due": "1048.93",
    "how_to_pay": "手机银行还款",
    "how_to_object": "致电客服",
    "contact": "400-000-0000",
}


def test_fields_are_read_by_the_format_parser_not_by_pattern() -> None:
    """Escaped braces are text, not fields; each field is listed once in order."""
    assert template_fields("{{not_a_field}} {borrower_name} {total_due} {borrower_name}") == [
        "borrower_name",
        "total_due",
    ]


@pytest.mark.parametrize("field", sorted(DEBT_FIELDS))
def test_c8_third_party_template_with_any_debt_field_is_refused_naming_it(field: str) -> None:
    """C8: a third-party message carries none of the debt fields — each one is refused by name."""
    with pytest.raises(TemplateError, match=field) as raised:
        check_template("third_party", "", "请{borrower_name}回电 {contact} " + "{" + field + "}")
    assert raised.value.field == field


def test_c8_third_party_template_without_debt_fields_is_accepted() -> None:
    assert check_template("third_party", "", "请{borrower_name}回电 {contact}，{institution}") == [
        "borrower_name",
        "contact",
        "institution",
    ]


@pytest.mark.parametrize("missing", DEBTOR_REQUIRED)
def test_c8_debtor_template_missing_a_required_field_is_refused_naming_it(missing: str) -> None:
    """C8: a debtor notice must carry name, figures, days, total, how to pay / object, contact."""
    body = " ".join("{" + name + "}" for name in DEBTOR_REQUIRED if name != missing)
    with pytest.raises(TemplateError, match=missing) as raised:
        check_template("debtor", "", body)
    assert raised.value.field == missing


def test_c8_a_required_field_in_the_subject_counts() -> None:
    body = " ".join("{" + name + "}" for name in DEBTOR_REQUIRED if name != "borrower_name")
    assert "borrower_name" in check_template("debtor", "致{borrower_name}", body)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (FULL_BODY + " {balance}", "balance"),
        (FULL_BODY + " {total_due:.2f}", "total_due"),
        (FULL_BODY + " {borrower_name!r}", "borrower_name"),
        (FULL_BODY + " {payload.name}", "payload.name"),
    ],
)
def test_unknown_fields_specs_and_attribute_access_are_refused(body: str, field: str) -> None:
    with pytest.raises(TemplateError) as raised:
        check_template("debtor", "", body)
    assert raised.value.field == field


def test_unbalanced_braces_are_refused() -> None:
    with pytest.raises(TemplateError, match="cannot be parsed"):
        check_template("debtor", "", FULL_BODY + " {")


def test_every_packaged_default_template_passes_its_own_check() -> None:
    """The defaults obey C8 (a debtor template with every field, a third-party one with no debt field)."""
    for spec in DEFAULT_TEMPLATES:
        used = check_template(spec["audience"], spec["subject"], spec["body"])
        if spec["audience"] == "third_party":
            assert not DEBT_FIELDS & set(used), spec
        else:
            assert set(DEBTOR_REQUIRED) <= set(used), spec


@pytest.mark.parametrize(
    ("amount", "language", "text"),
    [
        ("1033.33", "zh-hans", "1,033.33 元"),
        ("1033.33", "en", "¥1,033.33"),
        ("1234567.8", "zh-hans", "1,234,567.80 元"),
        ("0", "en", "¥0.00"),
        ("-5.00", "en", "-¥5.00"),
    ],
)
def test_c9_money_is_formatted_for_zh_cn(amount: str, language: str, text: str) -> None:
    assert format_money(Decimal(amount), language) == text


def test_render_fills_every_field_with_formatted_money() -> None:
    rendered = render(
        "致{borrower_name}",
        "本金{overdue_principal}，合计{total_due}，逾期{days_overdue}天",
        PAYLOAD,
        "zh-hans",
    )
    assert rendered.subject == "致张三"
    assert rendered.body == "本金1,033.33 元，合计1,048.93 元，逾期37天"


@pytest.mark.parametrize(
    ("name", "value"),
    [("total_due", 1048.93), ("total_due", "10.001"), ("total_due", "ten"), ("days_overdue", "37")],
)
def test_c9_render_refuses_float_money_sub_fen_and_bad_days(name: str, value: object) -> None:
    with pytest.raises(RenderError) as raised:
        render("", "{total_due} {days_overdue}", {**PAYLOAD, name: value}, "zh-hans")
    assert raised.value.field == name


def test_render_names_a_field_the_payload_lacks() -> None:
    payload = {key: value for key, value in PAYLOAD.items() if key != "penalty"}
    with pytest.raises(RenderError, match="penalty"):
        render("", "{penalty}", payload, "zh-hans")
