"""Pages of the records app: upload a document on a case, download one (scoped, audited), a printed letter or
a field-visit photo of the case, and the search results.

Every view starts from ``accounts.scoping``: a case outside the user's scope answers 404 exactly as an unknown
one, and so does a document that is not on that case. Files are streamed by these views only (no public media
URL), as attachments, with ``no-store`` caching. Users without the document permissions get 404 for reading
(nothing to confirm) and 403 for uploading on a case they see (read-only roles).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from qingshou.apps.accounts.scoping import can_write, case_for
from qingshou.apps.records import search as searching
from qingshou.apps.records import services
from qingshou.apps.records.forms import UploadForm
from qingshou.apps.records.models import CaseDocument
from qingshou.apps.records.templatetags.records_tags import documents_context
from qingshou.domain.errors import DomainError


def _private(response: FileResponse) -> FileResponse:
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def upload(request: HttpRequest, case_id: int) -> HttpResponse:
    """Store a document on the case (multipart); the case page's document list comes back (HTMX) or the
    browser returns to the case page."""
    case = case_for(request.user, case_id)
    if not request.user.has_perm("records.add_casedocument") or not can_write(request.user):
        raise PermissionDenied("may not add documents")
    loans = list(case.borrower.loans.values_list("loan_id", flat=True))
    form = UploadForm(request.POST, request.FILES, loans=loans)
    if form.is_valid():
        data = form.cleaned_data
        upload_file = data["file"]
        try:
            services.upload_document(
                case,
                request.user,
                kind=data["kind"],
                title=data["title"],
                name=upload_file.name or "?",
                size=upload_file.size or 0,
                stream=upload_file,
                loan_id=data.get("loan_id") or "",
                request=request,
            )
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            if getattr(request, "htmx", False):
                context = documents_context(case, request.user)
                return render(request, "records/case_documents.html", context)
            return redirect(reverse("cases:case", args=[case.pk]) + "#documents")
    context = documents_context(case, request.user, form=form)
    template = (
        "records/case_documents.html" if getattr(request, "htmx", False) else "records/upload_page.html"
    )
    return render(request, template, context, status=422)


@login_required
@require_GET
def download(request: HttpRequest, case_id: int, document_id: int) -> FileResponse:
    """A document of the case, to users who see the case and may view documents; audited."""
    if not request.user.has_perm("records.view_casedocument"):
        raise Http404("no such document")
    case = case_for(request.user, case_id)
    document = get_object_or_404(CaseDocument, pk=document_id, case=case)
    services.audit_download(
        request.user,
        document,
        {"case_id": case.pk, "kind": document.kind, "sha256": document.sha256},
        request,
    )
    stored = document.file.name or ""
    suffix = stored.rpartition(".")[2] if "." in stored else "bin"
    response = FileResponse(
        document.file.open("rb"),
        content_type=document.content_type,
        as_attachment=True,
        filename=f"case-{case.pk}-document-{document.pk}.{suffix}",
    )
    return _private(response)


@login_required
@require_GET
def letter(request: HttpRequest, case_id: int, outbox_id: int) -> FileResponse:
    """A printed letter of the case's borrower (rendered alone from the outbox row — the batch PDF holds
    other borrowers' letters and is never served); audited."""
    import io

    from qingshou.apps.notices.services.rendering import render_notice

    if not request.user.has_perm("records.view_casedocument"):
        raise Http404("no such letter")
    case = case_for(request.user, case_id)
    row = services.case_letters(case).filter(pk=outbox_id).first()
    if row is None:
        raise Http404("no such letter")
    try:
        kind, content = render_notice(row.key)
    except DomainError:
        raise Http404("no such letter") from None
    if kind != "pdf":
        raise Http404("no such letter")
    services.audit_download(
        request.user, row, {"case_id": case.pk, "kind": "letter", "template": row.template_code}, request
    )
    response = FileResponse(
        io.BytesIO(content),
        content_type="application/pdf",
        as_attachment=True,
        filename=f"case-{case.pk}-letter-{row.pk}.pdf",
    )
    return _private(response)


@login_required
@require_GET
def photo(request: HttpRequest, case_id: int, photo_id: int) -> FileResponse:
    """A field-visit photo of the case, from the case page's document list (the field app serves the same
    file to the visit's agents); audited like every document."""
    from qingshou.apps.field.models import VisitPhoto

    if not request.user.has_perm("records.view_casedocument"):
        raise Http404("no such photo")
    case = case_for(request.user, case_id)
    found = get_object_or_404(VisitPhoto, pk=photo_id, report__visit__case=case)
    services.audit_download(
        request.user,
        found,
        {"case_id": case.pk, "kind": "visit_photo", "visit_id": found.report.visit_id},
        request,
    )
    response = FileResponse(found.image.open("rb"), content_type=found.content_type)
    return _private(response)


@login_required
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """The results of the top bar's search (users who see cases; others: 404)."""
    if not request.user.has_perm("cases.view_case"):
        raise Http404("no search")
    result = searching.search(request.user, request.GET.get("q", ""), request=request)
    return render(request, "records/search.html", {"result": result, "limit": searching.LIMIT})
