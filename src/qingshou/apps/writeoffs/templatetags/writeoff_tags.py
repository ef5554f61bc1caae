"""``{% load writeoff_tags %}{% case_writeoffs %}``: the section "核销" of the case page, rendered from the
page's context (``case`` and ``request``), so the cases views stay untouched."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.inclusion_tag("writeoffs/_case_section.html", takes_context=True)
def case_writeoffs(context: Any) -> dict[str, Any]:
    """The section for ``context["case"]`` (nothing when the user's role does not see write-offs)."""
    from qingshou.apps.cases.forms import fixed_choices
    from qingshou.apps.writeoffs.services import VIEW_PERMISSION
    from qingshou.apps.writeoffs.views import section_context

    request = context["request"]
    if not request.user.has_perm(VIEW_PERMISSION):
        return {"hidden": True}
    data = section_context(request, context["case"])
    form, loans = data.get("form"), context.get("case_loans")
    if form is not None and loans is not None:  # the page's one read of the loans (no query per form)
        fixed_choices(form.fields["loan"], loans, lambda loan: loan.loan_id)
    return data


@register.filter
def grounds_label(names: Any) -> str:
    """The grounds of a write-off, translated and joined."""
    from qingshou.apps.writeoffs.labels import GROUND_LABELS

    return "、".join(str(GROUND_LABELS.get(name, name)) for name in names)
