"""Template filters of the field pages: masked personal data (``domain.privacy``), fen as yuan, and whether
the case page offers the visit request form."""

from __future__ import annotations

from typing import Any

from django import template

from qingshou.apps.accounts.roles import has_role
from qingshou.apps.accounts.scoping import can_write
from qingshou.domain.money import from_fen, money_str
from qingshou.domain.privacy import mask_address, mask_name

register = template.Library()


@register.filter
def masked_address(value: str) -> str:
    """The address down to the district, the rest starred (lists show no full address)."""
    return mask_address(value or "")


@register.filter
def masked_name(value: str) -> str:
    """The family name, the rest starred."""
    return mask_name(value or "")


@register.filter
def fen_as_yuan(value: int | None) -> str:
    """Integer fen as a yuan amount with two places ("1200.50")."""
    return "" if value is None else money_str(from_fen(int(value)))


@register.filter
def may_request_visit(user: Any) -> bool:
    """Whether the case page shows the "request a field visit" form to ``user`` (the roles the view lets in)."""
    from qingshou.apps.field.selectors import REQUEST_ROLES

    return has_role(user, *REQUEST_ROLES) and can_write(user)


@register.filter
def person(user: Any) -> str:
    """A user's name in Chinese order (family name first, no space), else the username."""
    if user is None:
        return ""
    return f"{user.last_name}{user.first_name}".strip() or str(user.get_username())
