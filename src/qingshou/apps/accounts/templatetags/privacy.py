"""Template helpers for personal data: maskers as filters, ``{% masked obj "phone" %}``, role names.

``{% load privacy %}`` then ``{{ borrower.phone|mask_phone }}`` or ``{% masked borrower "phone" %}``; the
reveal button is ``{% include "accounts/reveal.html" with obj=borrower field="phone" %}``.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.db import models

from qingshou.apps.accounts import services
from qingshou.apps.accounts.roles import ROLE_LABELS, role_of
from qingshou.domain import privacy

register = template.Library()

register.filter("mask_phone", privacy.mask_phone)
register.filter("mask_id_number", privacy.mask_id_number)
register.filter("mask_address", privacy.mask_address)
register.filter("mask_email", privacy.mask_email)
register.filter("mask_name", privacy.mask_name)


@register.simple_tag
def masked(obj: models.Model, field: str) -> str:
    """The masked value of a personal-data field of ``obj`` (``services.PERSONAL_FIELDS``)."""
    return services.masked(obj, field)


@register.filter
def model_label(obj: models.Model) -> str:
    """``app_label.model`` of an instance (``loans.borrower``)."""
    return obj._meta.label_lower


@register.filter
def dom_key(obj: models.Model) -> str:
    """A string usable in an HTML id for ``obj`` (``loans-borrower-B1``)."""
    raw = f"{obj._meta.label_lower}-{obj.pk}"
    return "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in raw.replace(".", "-"))


@register.simple_tag
def role_label(user: Any) -> str:
    """The translated name of the user's role (empty when they have none)."""
    role = role_of(user)
    return str(ROLE_LABELS[role]) if role is not None else ""
