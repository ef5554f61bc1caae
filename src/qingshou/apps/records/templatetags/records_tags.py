"""Template tags of the records app: the case page's document list (an inclusion tag, so the cases app's
view stays unaware of it)."""

from __future__ import annotations

from typing import Any

from django import template

from qingshou.apps.accounts.scoping import can_write
from qingshou.apps.cases.models import Case
from qingshou.apps.records.forms import UploadForm
from qingshou.apps.records.services import case_documents as documents_of

register = template.Library()


def documents_context(
    case: Case, user: Any, form: UploadForm | None = None, loan_ids: list[str] | None = None
) -> dict[str, Any]:
    """What ``records/case_documents.html`` shows for ``case`` to ``user`` (who already sees the case);
    ``loan_ids``: the borrower's loans when the caller has read them already (the case page)."""
    may_view = user.has_perm("records.view_casedocument")
    may_add = may_view and user.has_perm("records.add_casedocument") and can_write(user)
    if not may_add:
        loans: list[str] = []
    elif loan_ids is not None:
        loans = loan_ids
    else:
        loans = list(case.borrower.loans.values_list("loan_id", flat=True))
    return {
        "case": case,
        "may_view": may_view,
        "may_add": may_add,
        "documents": documents_of(case) if may_view else [],
        "upload_form": form or (UploadForm(loans=loans) if may_add else None),
    }


@register.inclusion_tag("records/case_documents.html", takes_context=True)
def case_documents(context: template.Context, case: Case) -> dict[str, Any]:
    """The documents of ``case``: uploads, printed letters, visit photos; the upload form for those who may."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None:
        return {"case": case, "may_view": False, "may_add": False, "documents": []}
    loans = context.get("case_loans")  # the case page's loans (cases.views.case_context): no second query
    loan_ids = None if loans is None else [loan.loan_id for loan in loans]
    data = documents_context(case, user, loan_ids=loan_ids)
    data["csrf_token"] = context.get("csrf_token")
    return data
