"""Notice templates: named fields, what each audience may use (C8), and rendering with zh-CN money.

A template is text with named fields in braces, ``{borrower_name}`` (Python's format syntax, read with
``string.Formatter().parse`` — the template's own parser, not a regular expression). Only the fields of
``FIELDS`` are allowed, without conversions or format specs (formatting is ours: money as ``1,033.33 元``
in Chinese and ``¥1,033.33`` in English). C8 fixes what a notice carries:

* a notice to the **debtor** must carry every field of ``DEBTOR_REQUIRED`` (2011 Measures art. 69: name,
  overdue principal, interest, penalty and compound interest, days overdue, total due, how to pay, how to
  object, the institution's contact) — in its subject or body;
* a message to a **third party** (a contact person, an employer) must carry **none** of ``DEBT_FIELDS``
  (every figure of the debt, and how to pay or object, which would disclose it).

``check_template`` refuses a template that breaks these rules with an error naming the field;
``render`` fills a checked template from a payload (figures as decimal strings, days as an integer).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from string import Formatter
from typing import Any, Final

from qingshou.domain.errors import DomainError

DEBTOR: Final = "debtor"
THIRD_PARTY: Final = "third_party"
AUDIENCES: Final = (DEBTOR, THIRD_PARTY)

#: Money fields: decimal strings in the payload ("1033.33"), formatted for people when rendered.
MONEY_FIELDS: Final = ("overdue_principal", "interest", "penalty", "compound_interest", "total_due")
#: Fields that disclose the debt: never in a third-party message (C8).
DEBT_FIELDS: Final = frozenset({*MONEY_FIELDS, "days_overdue", "how_to_pay", "how_to_object"})
#: What a notice to the debtor must carry (C8, 2011 Measures art. 69).
DEBTOR_REQUIRED: Final = (
    "borrower_name",
    "overdue_principal",
    "interest",
    "penalty",
    "compound_interest",
    "days_overdue",
    "total_due",
    "how_to_pay",
    "how_to_object",
    "contact",
)
#: Every field a template may use.
FIELDS: Final = frozenset({*DEBTOR_REQUIRED, "institution", "as_of", "loan_id"})


class TemplateError(DomainError):
    """A template breaks a rule (unknown field, a debt field for a third party, a C8 field missing)."""

    code = "invalid_template"


class RenderError(DomainError):
    """A notice cannot be rendered: its payload lacks a field the template uses or holds a bad value."""

    code = "render_failed"


def template_fields(text: str) -> list[str]:
    """The field names ``text`` uses, in order of appearance (duplicates kept once)."""
    names: list[str] = []
    try:
        parsed = list(Formatter().parse(text))
    except ValueError as error:
        raise TemplateError(f"template text cannot be parsed: {error}") from error
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name.isidentifier():
            raise TemplateError(f"field {{{name}}} is not a plain field name", field=name)
        if spec or conversion:
            raise TemplateError(f"field {{{name}}} must not carry a format spec or conversion", field=name)
        if name not in names:
            names.append(name)
    return names


def check_template(audience: str, subject: str, body: str) -> list[str]:
    """The fields a template uses, after checking them against C8 for its audience."""
    if audience not in AUDIENCES:
        raise TemplateError(
            f"audience must be one of {' | '.join(AUDIENCES)}, got {audience!r}", field="audience"
        )
    used = list(dict.fromkeys(template_fields(subject) + template_fields(body)))
    for name in used:
        if name not in FIELDS:
            raise TemplateError(f"unknown field {{{name}}}; allowed: {', '.join(sorted(FIELDS))}", field=name)
    if audience == THIRD_PARTY:
        for name in used:
            if name in DEBT_FIELDS:
                raise TemplateError(
                    f"a third-party template must not use the debt field {{{name}}} (C8)", field=name
                )
    else:
        missing = [name for name in DEBTOR_REQUIRED if name not in used]
        if missing:
            raise TemplateError(
                f"a debtor notice must carry {', '.join('{' + m + '}' for m in missing)} (C8)",
                field=missing[0],
            )
    return used


def _decimal(name: str, value: Any) -> Decimal:
    if isinstance(value, float) or value is None:
        raise RenderError(f"payload field {name} must be a decimal string, got {value!r}", field=name)
    try:
        amount = Decimal(str(value))
    except InvalidOperation as error:
        raise RenderError(f"payload field {name} is not a decimal: {value!r}", field=name) from error
    if amount != amount.quantize(Decimal("0.01")):
        raise RenderError(f"payload field {name} has more than 2 decimals: {value!r}", field=name)
    return amount


def format_money(amount: Decimal, language: str) -> str:
    """Money for people: ``1,033.33 元`` in Chinese, ``¥1,033.33`` in English (zh-CN grouping)."""
    sign = "-" if amount < 0 else ""
    digits = f"{abs(amount):,.2f}"
    return f"{sign}{digits} 元" if language.startswith("zh") else f"{sign}¥{digits}"


@dataclass(frozen=True, slots=True)
class Rendered:
    """A rendered notice: subject (e-mail, letter title) and body text."""

    subject: str
    body: str


def field_values(payload: Mapping[str, Any], language: str) -> dict[str, str]:
    """Every payload value as the text a notice shows (money formatted, days as an integer)."""
    values: dict[str, str] = {}
    for name, value in payload.items():
        if name in MONEY_FIELDS:
            values[name] = format_money(_decimal(name, value), language)
        elif name == "days_overdue":
            if isinstance(value, bool) or not isinstance(value, int):
                raise RenderError(f"payload field days_overdue must be an integer, got {value!r}", field=name)
            values[name] = str(value)
        elif value is not None:
            values[name] = str(value)
    return values


def render(subject: str, body: str, payload: Mapping[str, Any], language: str) -> Rendered:
    """Fill ``subject`` and ``body`` from ``payload``; a field the payload lacks is an error naming it."""
    values = field_values(payload, language)
    for name in dict.fromkeys(template_fields(subject) + template_fields(body)):
        if name not in values:
            raise RenderError(f"the notice has no value for {{{name}}}", field=name)
    return Rendered(subject.format_map(values), body.format_map(values))
