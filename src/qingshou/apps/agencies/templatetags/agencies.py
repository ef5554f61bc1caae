"""``{% load agencies %}{% case_placements %}``: the case page's section "委外" (the case's placements and, for
those who place cases, the placement form), rendered from the page's context so the cases views stay
untouched."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.inclusion_tag("agencies/_case_section.html", takes_context=True)
def case_placements(context: Any) -> dict[str, Any]:
    """The section for ``context["case"]`` (hidden for roles that neither see placements nor work them)."""
    from qingshou.apps.agencies.views import PORTAL, VIEW_PLACEMENTS, case_section_context

    request = context["request"]
    if not (request.user.has_perm(VIEW_PLACEMENTS) or request.user.has_perm(PORTAL)):
        return {"hidden": True}
    return case_section_context(request, context["case"])
