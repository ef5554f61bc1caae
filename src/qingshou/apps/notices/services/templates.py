"""Template use cases: save a checked template version, load the packaged defaults, find the one to use.

Every template goes through ``qingshou.channels.templates.check_template`` before it is stored: a
third-party template using a debt field, a debtor template missing a C8 field, or an unknown field is
refused with a ``TemplateError`` naming the field. Saving a text that differs from the latest version
stores the next version; saving the same text again changes nothing.
"""

from __future__ import annotations

from django.db import transaction

from qingshou.apps.loans.errors import NotFound
from qingshou.apps.notices.defaults import DEFAULT_TEMPLATES
from qingshou.apps.notices.models import Channel, NoticeTemplate
from qingshou.channels.templates import TemplateError, check_template


def _latest(code: str, channel: str, language: str) -> NoticeTemplate | None:
    return (
        NoticeTemplate.objects.filter(code=code, channel=channel, language=language)
        .order_by("-version")
        .first()
    )


def save_template(
    *,
    code: str,
    channel: str,
    audience: str,
    language: str,
    subject: str,
    body: str,
    demand: bool = False,
) -> NoticeTemplate:
    """Check and store a template; a changed text becomes the next version (the same text: no change)."""
    if channel not in Channel.values:
        raise TemplateError(
            f"channel must be one of {' | '.join(Channel.values)}, got {channel!r}", field="channel"
        )
    if not code.strip():
        raise TemplateError("a template needs a code", field="code")
    if channel == Channel.EMAIL and not subject.strip():
        raise TemplateError("an e-mail template needs a subject", field="subject")
    if demand and audience != "debtor":
        raise TemplateError("only a debtor template can be a demand (C7)", field="demand")
    check_template(audience, subject, body)
    with transaction.atomic():
        latest = _latest(code, channel, language)
        same = (latest.audience, latest.subject, latest.body, latest.demand) if latest else None
        if same == (audience, subject, body, demand) and latest is not None:
            return latest
        return NoticeTemplate.objects.create(
            code=code,
            channel=channel,
            audience=audience,
            language=language,
            subject=subject,
            body=body,
            demand=demand,
            version=(latest.version + 1) if latest else 1,
        )


def load_default_templates() -> int:
    """Store each packaged default that has no version yet (never over an operator's own version);
    return how many were written."""
    written = 0
    for spec in DEFAULT_TEMPLATES:
        if _latest(spec["code"], spec["channel"], spec["language"]) is None:
            save_template(**spec)
            written += 1
    return written


def template_for(code: str, channel: str, language: str) -> NoticeTemplate:
    """The latest version for the language, else for Chinese (the default language)."""
    found = _latest(code, channel, language) or _latest(code, channel, "zh-hans")
    if found is None:
        raise NotFound(f"no notice template {code!r} for the channel {channel} ({language})")
    return found
