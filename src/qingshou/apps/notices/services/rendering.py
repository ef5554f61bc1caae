"""Rendering an outbox row: its template (latest version), its payload and the institution's settings.

The values a notice shows are the row's payload (borrower name, figures as decimal strings, days) plus the
row's loan id and day and the institution's name, contact, how to pay and how to object from the settings
(C8). A template whose audience is not the row's audience is refused (a debtor template must never go to
a third party). Letters become ``qingshou.channels.letters.Letter`` values with the figures table.
"""

from __future__ import annotations

from typing import Any, Final

from qingshou.apps.notices.models import NoticeTemplate, Outbox
from qingshou.apps.notices.services.config import notice_settings
from qingshou.apps.notices.services.templates import template_for
from qingshou.channels.letters import Letter
from qingshou.channels.templates import Rendered, RenderError, field_values, render

#: The figures table of a letter: label, payload field (C8 order).
LETTER_FIGURES: Final = (
    ("逾期本金 Overdue principal", "overdue_principal"),
    ("利息 Interest", "interest"),
    ("罚息 Penalty interest", "penalty"),
    ("复利 Compound interest", "compound_interest"),
    ("逾期天数 Days overdue", "days_overdue"),
    ("合计应还 Total due", "total_due"),
)


def notice_values(row: Outbox) -> dict[str, Any]:
    """The raw values of a row's notice (before formatting)."""
    config = notice_settings()
    values: dict[str, Any] = {
        "institution": config.institution_name,
        "contact": config.institution_contact,
        "how_to_pay": config.how_to_pay,
        "how_to_object": config.how_to_object,
        "as_of": row.as_of.isoformat() if hasattr(row.as_of, "isoformat") else str(row.as_of),
        "loan_id": row.loan_id,
    }
    values.update({name: value for name, value in dict(row.payload or {}).items() if value is not None})
    return values


def render_text(row: Outbox) -> tuple[NoticeTemplate, Rendered]:
    """The template used and the rendered subject and body of a row."""
    template = template_for(row.template_code, row.channel, row.language)
    if template.audience != row.audience:
        raise RenderError(
            f"template {template} is for the audience {template.audience}, the notice for {row.audience} (C8)",
            field="audience",
        )
    return template, render(template.subject, template.body, notice_values(row), row.language)


def build_letter(row: Outbox) -> tuple[NoticeTemplate, Letter]:
    """The template used and the letter of a row (every C8 figure in its table)."""
    template, text = render_text(row)
    shown = field_values(notice_values(row), row.language)
    missing = [name for _, name in LETTER_FIGURES if name not in shown]
    if missing:
        raise RenderError(f"the letter has no value for {', '.join(missing)}", field=missing[0])
    letter = Letter(
        reference=row.key,
        addressee=shown.get("borrower_name", ""),
        address=row.recipient,
        title=text.subject,
        body=text.body,
        figures=tuple(
            (label, f"{shown[name]} 天" if name == "days_overdue" else shown[name])
            for label, name in LETTER_FIGURES
        ),
        how_to_pay=shown["how_to_pay"],
        how_to_object=shown["how_to_object"],
        contact=shown["contact"],
        institution=shown["institution"],
        dated=f"{row.as_of:%Y年%m月%d日}" if hasattr(row.as_of, "year") else str(row.as_of),
    )
    return template, letter


def render_notice(key: str) -> tuple[str, bytes]:
    """A stored notice rendered for people: ("pdf", the letter) or ("text", subject and body in UTF-8).

    A notice already sent shows what was sent (its stored subject and text); a pending one is rendered now.
    """
    from qingshou.apps.loans.errors import NotFound
    from qingshou.channels.letters import render_letters

    row = Outbox.objects.filter(key=key).first()
    if row is None:
        raise NotFound(f"no notice with the outbox key {key!r}")
    if row.channel == "letter":
        return "pdf", render_letters([build_letter(row)[1]])
    if row.content:
        subject, body = row.subject, row.content
    else:
        text = render_text(row)[1]
        subject, body = text.subject, text.body
    heading = f"主题 Subject: {subject}\n\n" if subject else ""
    return "text", f"收件人 To: {row.recipient}\n{heading}{body}\n".encode()
