"""Documents on a case (``qs_case_document``): contracts, ID copies, repayment agreements, letters, court
documents, visit photos, call recordings and other files a person uploaded from the case page.

The file lives under ``MEDIA_ROOT/records/<case>/`` with a random name (nothing of the original name or the
borrower in the path) and is served only through the scoped view (``records:download``), never by a public
media URL. ``sha256`` and ``size`` are taken while storing; ``content_type`` is what the bytes are (checked by
``qingshou.apps.records.content``), not what the browser said. Letters of the notices outbox and photos of
field visits are not copied here: the case page lists them from their own apps. The models hold data only;
the workflow is ``qingshou.apps.records.services``.
"""

from __future__ import annotations

import uuid
from typing import Final

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qingshou.apps.cases.models import Case
from qingshou.apps.loans.models import ID_LENGTH

#: Content type → the suffix of the stored file.
SUFFIXES: Final = {
    "application/pdf": ".pdf",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "audio/mpeg": ".mp3",
    "audio/mp4": ".m4a",
    "audio/wav": ".wav",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
}


def document_path(instance: CaseDocument, filename: str) -> str:
    """Where a document is stored under ``MEDIA_ROOT``: one folder per case, a random name, the suffix of the
    checked content type (the uploaded name is never part of the path)."""
    return f"records/{instance.case_id}/{uuid.uuid4().hex}{SUFFIXES.get(instance.content_type, '.bin')}"


class CaseDocument(models.Model):
    """A file uploaded on a case."""

    class Kind(models.TextChoices):
        CONTRACT = "contract", _("contract")
        ID_COPY = "id_copy", _("ID copy")
        REPAYMENT_AGREEMENT = "repayment_agreement", _("repayment agreement")
        LETTER = "letter", _("letter")
        COURT_DOCUMENT = "court_document", _("court document")
        VISIT_PHOTO = "visit_photo", _("visit photo")
        RECORDING = "recording", _("recording")
        OTHER = "other", _("other")

    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, db_column="case_id", related_name="documents", verbose_name=_("case")
    )
    loan_id = models.CharField(_("loan"), max_length=ID_LENGTH, blank=True, default="")
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(_("file"), upload_to=document_path, max_length=300)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    content_type = models.CharField(_("content type"), max_length=100)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        db_table = "qs_case_document"
        verbose_name = _("case document")
        verbose_name_plural = _("case documents")
        ordering = ("-uploaded_at", "-id")
        indexes = (models.Index(fields=["case", "kind"], name="qs_case_document_case_kind"),)

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind} {self.title}"
