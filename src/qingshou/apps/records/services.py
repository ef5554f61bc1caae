"""Documents on a case: upload (checked, hashed, stored under a random name, audited) and the audited
download; the list the case page shows, uploaded documents together with the letters of the notices outbox
and the photos of field visits (read from their apps, never copied).

Callers pass a case already found through ``accounts.scoping.case_for`` (out of scope → 404 before anything
here runs). Each change and each download is an audit event (``document.upload``, ``document.download``) in
the same transaction as the change.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from django.core.files.base import File
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from qingshou.apps.audit.services import client_ip, record
from qingshou.apps.cases.models import Case
from qingshou.apps.records.content import check_upload
from qingshou.apps.records.models import CaseDocument
from qingshou.domain.errors import DomainError

#: The outbox statuses of a letter that was printed (the letter exists on paper).
PRINTED_LETTER_STATUSES = ("sent", "delivered", "undeliverable")


@dataclass(frozen=True, slots=True)
class DocumentRow:
    """One line of the case page's document list, whatever app holds the file."""

    source: str  # "upload", "letter" or "visit_photo"
    kind: str
    kind_label: str
    title: str
    at: datetime | None
    size: int | None
    url: str
    uploaded_by: str = ""


def _sha256(stream: IO[bytes]) -> str:
    digest = hashlib.sha256()
    stream.seek(0)
    for chunk in iter(lambda: stream.read(1024 * 1024), b""):
        digest.update(chunk)
    stream.seek(0)
    return digest.hexdigest()


def upload_document(
    case: Case,
    user: Any,
    *,
    kind: str,
    title: str,
    name: str,
    size: int,
    stream: IO[bytes],
    loan_id: str = "",
    request: Any = None,
) -> CaseDocument:
    """Store one uploaded file on ``case``; ``DomainError`` naming the field when the kind, the loan or the
    file is refused (``qingshou.apps.records.content``: type by content, size caps)."""
    from qingshou.apps.records.content import ContentError

    if kind not in CaseDocument.Kind.values:
        raise DomainError(_("unknown document kind %(kind)s") % {"kind": kind}, field="kind")
    title = title.strip()
    if not title:
        raise DomainError(_("a document needs a title"), field="title")
    if loan_id and not case.borrower.loans.filter(loan_id=loan_id).exists():
        raise DomainError(
            _("loan %(loan)s is not a loan of this case's borrower") % {"loan": loan_id}, field="loan_id"
        )
    try:
        content_type = check_upload(name, size, stream, recording=kind == CaseDocument.Kind.RECORDING)
    except ContentError as error:
        raise DomainError(str(error), field="file") from None
    sha256 = _sha256(stream)
    with transaction.atomic():
        document = CaseDocument(
            case=case,
            loan_id=loan_id,
            kind=kind,
            title=title[:200],
            sha256=sha256,
            size=size,
            content_type=content_type,
            uploaded_by=user,
        )
        document.file.save("upload", File(stream), save=False)
        document.save()
        record(
            user,
            "document.upload",
            document,
            {"case_id": case.pk, "kind": kind, "sha256": sha256, "size": size, "content_type": content_type},
            ip=client_ip(request) if request is not None else None,
        )
    return document


def audit_download(user: Any, target: Any, detail: dict[str, Any], request: Any = None) -> None:
    """One ``document.download`` event (a document, a letter or a photo opened from the case page)."""
    with transaction.atomic():
        record(
            user, "document.download", target, detail, ip=client_ip(request) if request is not None else None
        )


def case_letters(case: Case) -> Any:
    """The printed letters of the case's borrower sent while the case was open (notices outbox); a letter
    whose personal data the retention blanked is no longer a document."""
    from qingshou.apps.notices.models import Outbox

    letters = Outbox.objects.filter(
        borrower_id=case.borrower_id,
        channel="letter",
        status__in=PRINTED_LETTER_STATUSES,
        as_of__gte=case.opened_on,
    ).exclude(recipient="")
    if case.closed_on is not None:
        letters = letters.filter(as_of__lte=case.closed_on)
    return letters


def case_documents(case: Case) -> list[DocumentRow]:
    """Every document of the case, newest first: uploads, printed letters and field-visit photos."""
    from qingshou.apps.field.models import VisitPhoto

    rows: list[DocumentRow] = []
    uploads = CaseDocument.objects.filter(case=case).select_related("uploaded_by")
    for document in uploads:
        rows.append(
            DocumentRow(
                source="upload",
                kind=document.kind,
                kind_label=str(document.get_kind_display()),
                title=document.title,
                at=document.uploaded_at,
                size=document.size,
                url=reverse("records:download", args=[case.pk, document.pk]),
                uploaded_by=document.uploaded_by.get_username() if document.uploaded_by else "",
            )
        )
    letter_label = str(CaseDocument.Kind.LETTER.label)
    for letter in case_letters(case).only("pk", "template_code", "subject", "sent_at", "as_of"):
        rows.append(
            DocumentRow(
                source="letter",
                kind=CaseDocument.Kind.LETTER,
                kind_label=letter_label,
                title=letter.subject or letter.template_code,
                at=letter.sent_at,
                size=None,
                url=reverse("records:letter", args=[case.pk, letter.pk]),
            )
        )
    photo_label = str(CaseDocument.Kind.VISIT_PHOTO.label)
    photos = VisitPhoto.objects.filter(report__visit__case=case)
    for photo in photos:
        rows.append(
            DocumentRow(
                source="visit_photo",
                kind=CaseDocument.Kind.VISIT_PHOTO,
                kind_label=photo_label,
                title=f"{photo_label} #{photo.pk}",
                at=photo.uploaded_at,
                size=photo.size,
                url=reverse("records:photo", args=[case.pk, photo.pk]),
            )
        )
    rows.sort(key=lambda row: row.at.timestamp() if row.at is not None else 0.0, reverse=True)
    return rows
