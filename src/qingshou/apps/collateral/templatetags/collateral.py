"""``{% load collateral %}{% case_collateral %}``: the section "抵押物 / 质押物" of the case page, rendered from
the page's context (``case`` and ``request``), so the cases views stay untouched; ``ltv`` formats basis points."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

register = template.Library()


@register.inclusion_tag("collateral/_case_section.html", takes_context=True)
def case_collateral(context: Any) -> dict[str, Any]:
    """The collateral securing the case borrower's loans (nothing when the role does not see collateral)."""
    from qingshou.apps.collateral import selectors, services

    request = context["request"]
    if not request.user.has_perm(services.VIEW_PERMISSION):
        return {"hidden": True}
    items, ltv = selectors.case_collateral(context["case"])
    return {"case": context["case"], "items": items, "ltv": ltv, "request": request}


@register.filter
def ltv(basis_points: Any) -> str:
    """An LTV in basis points as a percentage (``8523`` → ``85.23%``); ``None`` → ``—``."""
    if basis_points is None or basis_points == "":
        return "—"
    return f"{Decimal(int(basis_points)) / 100:.2f}%"


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    """``mapping[key]`` or ``None``."""
    if not mapping or key is None:
        return None
    return mapping.get(key)


@register.filter
def yuan_text(amount: Any) -> str:
    """A yuan amount as a decimal string (``"84000.00"``) with thousands separators (``84,000.00``)."""
    if amount is None or amount == "":
        return "—"
    return f"{Decimal(str(amount)):,.2f}"
