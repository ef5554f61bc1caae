"""``{% load arrangements %}{% case_arrangements %}``: the section "还款计划 / 减免 / 结清" of the case page,
rendered from the page's context (``case`` and ``request``), so the cases views stay untouched."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.inclusion_tag("arrangements/_case_section.html", takes_context=True)
def case_arrangements(context: Any) -> dict[str, Any]:
    """The section for ``context["case"]`` as the user in ``context["request"]`` may see it (nothing when
    their role does not see arrangements)."""
    from qingshou.apps.arrangements.views import section_context

    request = context["request"]
    if not request.user.has_perm("arrangements.view_arrangement"):
        return {"hidden": True}
    return section_context(request, context["case"], lazy_forms=True)


@register.filter
def money(value: Any) -> str:
    """A yuan amount (``Decimal`` or decimal string) with thousands separators and two decimals
    (``"12345.6"`` → ``12,345.60``); empty → ``—``. Fen columns use ``workbench.yuan``."""
    from decimal import Decimal, InvalidOperation

    if value is None or value == "":
        return "—"
    try:
        return f"{Decimal(str(value)):,.2f}"
    except InvalidOperation:
        return str(value)


@register.filter
def percent(rate: Any) -> str:
    """An annual rate as a percentage (``0.0435`` → ``4.35%``)."""
    from decimal import Decimal

    if rate is None or rate == "":
        return "—"
    return f"{(Decimal(str(rate)) * 100).normalize():f}%"


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    """``mapping[key]`` or ``None`` (the successor loan of a plan in the section)."""
    if not mapping or not key:
        return None
    return mapping.get(key)
