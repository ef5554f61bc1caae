"""``{% load legal %}{% case_legal %}``: the section "法务" of the case page, rendered from the page's context
(``case`` and ``request``), so the cases views stay untouched."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.inclusion_tag("legal/_case_section.html", takes_context=True)
def case_legal(context: Any) -> dict[str, Any]:
    """The section for ``context["case"]`` as the user in ``context["request"]`` may see it (nothing when their
    role does not see legal cases)."""
    from qingshou.apps.legal.views import may_view, section_context

    request = context["request"]
    if not may_view(request.user):
        return {"hidden": True}
    return section_context(request, context["case"])


@register.filter
def stage_label(code: str) -> str:
    """The display name of a stage code (``—`` when empty)."""
    from qingshou.apps.legal.models import LegalCase

    return str(dict(LegalCase.StageChoice.choices).get(code, code)) if code else "—"


@register.filter
def outcome_label(code: str) -> str:
    """The display name of an outcome code."""
    from qingshou.apps.legal.models import LegalCase

    return str(dict(LegalCase.OutcomeChoice.choices).get(code, code)) if code else ""


@register.filter
def amount(value: Any) -> str:
    """A ``Decimal`` yuan amount with thousands separators and two decimals (``3300`` → ``3,300.00``)."""
    from decimal import Decimal

    return "—" if value is None else f"{Decimal(value):,.2f}"
