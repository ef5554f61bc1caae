"""``{% load guarantee_tags %}{% case_guarantees %}``: the section "保证人" of the case page, rendered from the
page's context (``case`` and ``request``), so the cases views stay untouched."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.inclusion_tag("guarantees/_case_section.html", takes_context=True)
def case_guarantees(context: Any) -> dict[str, Any]:
    """The section for ``context["case"]`` (nothing when the user's role does not see guarantees)."""
    from qingshou.apps.cases.forms import fixed_choices
    from qingshou.apps.guarantees.services import VIEW_PERMISSION
    from qingshou.apps.guarantees.views import section_context

    request = context["request"]
    if not request.user.has_perm(VIEW_PERMISSION):
        return {"hidden": True}
    data = section_context(request, context["case"])
    form = data.get("guarantee_form")
    loans, parties = context.get("case_loans"), context.get("parties")
    if form is not None and loans is not None:  # the page's one read of the loans (no query per form)
        fixed_choices(form.fields["loan"], loans, lambda loan: loan.loan_id)
    if form is not None and parties is not None:
        guarantors = [party for party in parties if party.kind == "guarantor"]
        fixed_choices(form.fields["party"], guarantors, lambda party: party.pk)
    return data
