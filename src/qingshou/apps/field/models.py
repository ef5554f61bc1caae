"""Field visits (外访): the request on a case, the agents sent, the report and its photos.

A ``VisitRequest`` (``qs_visit_request``) is asked for from a case page by a person or comes from the
strategy's plan (an ``Action`` of kind ``field_visit``; ``plan_day`` is the EOD day, so importing a day's
plan twice adds nothing). The address and region are copied from the borrower when the visit is requested:
the visit goes where it was asked to go even if the borrower's record changes afterwards. Its agents are
``VisitAgent`` rows (at least two, C8), its C8 check the ``ContactAttempt`` stored when it was scheduled.
A ``VisitReport`` (one per visit) says whom the visitors met, whether the address is valid, what they saw,
the reason the debtor gave and the promise taken (a ``Promise`` on the case); ``VisitPhoto`` rows hold the
photos (JPEG / PNG, checked by Pillow, stored under ``MEDIA_ROOT`` and served only through the scoped view).
The models hold data only; the workflow is ``qingshou.apps.field.services``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qingshou.apps.cases.models import Case, Promise
from qingshou.apps.contacts.models import ContactAttempt
from qingshou.domain.visits import MetWhom, VisitStatus


class VisitRequest(models.Model):
    """A field visit asked for on a case, from the request to the report."""

    class Status(models.TextChoices):
        REQUESTED = VisitStatus.REQUESTED.value, _("requested")
        ASSIGNED = VisitStatus.ASSIGNED.value, _("assigned")
        SCHEDULED = VisitStatus.SCHEDULED.value, _("scheduled")
        VISITED = VisitStatus.VISITED.value, _("visited")
        CANCELLED = VisitStatus.CANCELLED.value, _("cancelled")

    class Source(models.TextChoices):
        USER = "user", _("requested by a user")
        STRATEGY = "strategy", _("planned by the strategy")

    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, db_column="case_id", related_name="visits", verbose_name=_("case")
    )
    loan_id = models.CharField(_("loan"), max_length=64, blank=True, default="")
    source = models.CharField(_("source"), max_length=8, choices=Source.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    plan_day = models.DateField(_("plan day"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=500)
    address = models.CharField(_("address to visit"), max_length=500)
    region = models.CharField(_("region"), max_length=100, blank=True, default="")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.REQUESTED)
    due_by = models.DateField(_("due by"))
    unassigned_reason = models.CharField(_("why not assigned"), max_length=32, blank=True, default="")
    scheduled_at = models.DateTimeField(_("scheduled at"), null=True, blank=True)
    attempt = models.ForeignKey(
        ContactAttempt,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("compliance check (C8)"),
    )
    cancel_reason = models.CharField(_("why cancelled"), max_length=500, blank=True, default="")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    agents = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="VisitAgent",
        through_fields=("visit", "agent"),
        related_name="field_visits",
        verbose_name=_("field agents"),
    )

    class Meta:
        db_table = "qs_visit_request"
        verbose_name = _("field visit")
        verbose_name_plural = _("field visits")
        ordering = ("due_by", "id")
        constraints = (
            models.UniqueConstraint(
                fields=["case", "plan_day"], condition=Q(source="strategy"), name="qs_visit_once_per_plan_day"
            ),
            models.CheckConstraint(
                condition=Q(source="user", plan_day__isnull=True)
                | Q(source="strategy", plan_day__isnull=False),
                name="qs_visit_source_plan_day",
            ),
        )
        indexes = (
            models.Index(fields=["status", "region"], name="qs_visit_status_region"),
            models.Index(fields=["case", "status"], name="qs_visit_case_status"),
        )

    def __str__(self) -> str:
        return f"visit {self.pk} case {self.case_id} {self.status}"


class VisitAgent(models.Model):
    """One field agent sent on a visit."""

    visit = models.ForeignKey(
        VisitRequest, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("field visit")
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("field agent")
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assigned by"),
    )
    assigned_at = models.DateTimeField(_("assigned at"), default=timezone.now)

    class Meta:
        db_table = "qs_visit_agent"
        verbose_name = _("field agent on a visit")
        verbose_name_plural = _("field agents on visits")
        constraints = (models.UniqueConstraint(fields=["visit", "agent"], name="qs_visit_agent_once"),)


class VisitReport(models.Model):
    """What the visitors found; filed once, by one of the agents who attended."""

    class Met(models.TextChoices):
        DEBTOR = MetWhom.DEBTOR.value, _("the debtor")
        FAMILY = MetWhom.FAMILY.value, _("family")
        NEIGHBOUR = MetWhom.NEIGHBOUR.value, _("a neighbour")
        NOBODY = MetWhom.NOBODY.value, _("nobody")

    class StatedReason(models.TextChoices):
        NONE = "", _("none given")
        UNEMPLOYMENT = "unemployment", _("unemployment")
        ILLNESS = "illness", _("illness")
        BUSINESS_FAILURE = "business_failure", _("business failure")
        DISPUTE = "dispute", _("dispute")
        REFUSAL = "refusal", _("refusal to pay")
        OTHER = "other", _("other")

    visit = models.OneToOneField(
        VisitRequest, on_delete=models.PROTECT, related_name="report", verbose_name=_("field visit")
    )
    visited_at = models.DateTimeField(_("visited at"))
    met = models.CharField(_("met whom"), max_length=10, choices=Met.choices)
    address_valid = models.BooleanField(_("address valid"))
    situation = models.TextField(_("situation"))
    assets_seen = models.TextField(_("assets seen"), blank=True, default="")
    stated_reason = models.CharField(
        _("reason the debtor gave"), max_length=20, choices=StatedReason.choices, blank=True, default=""
    )
    promise = models.ForeignKey(
        Promise,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("promise to pay"),
    )
    attendees = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="+",
        db_table="qs_visit_report_attendee",
        verbose_name=_("agents who attended"),
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("filed by")
    )
    filed_at = models.DateTimeField(_("filed at"), default=timezone.now)

    class Meta:
        db_table = "qs_visit_report"
        verbose_name = _("visit report")
        verbose_name_plural = _("visit reports")

    def __str__(self) -> str:
        return f"report of visit {self.visit_id}"


def photo_path(instance: VisitPhoto, filename: str) -> str:
    """Where a photo is stored under ``MEDIA_ROOT``: one folder per visit, the original suffix kept."""
    suffix = ".png" if instance.content_type == "image/png" else ".jpg"
    return f"field/visits/{instance.report.visit_id}/{timezone.now():%Y%m%d%H%M%S%f}{suffix}"


class VisitPhoto(models.Model):
    """A photo taken on a visit (JPEG or PNG, checked by Pillow when uploaded)."""

    report = models.ForeignKey(
        VisitReport, on_delete=models.PROTECT, related_name="photos", verbose_name=_("visit report")
    )
    image = models.ImageField(_("photo"), upload_to=photo_path, max_length=300)
    content_type = models.CharField(_("content type"), max_length=20)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        db_table = "qs_visit_photo"
        verbose_name = _("visit photo")
        verbose_name_plural = _("visit photos")
        ordering = ("id",)
