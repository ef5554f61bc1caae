"""Models of the reports app: the record of every monthly report generated."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ReportRun(models.Model):
    """One generation of the monthly 逾期贷款清收报告: which month, in which language, by whom (a user name,
    or ``cli`` from the command line), into which folder, and every file written with its SHA-256 (so a
    report handed to the board can be checked against the record)."""

    class Lang(models.TextChoices):
        ZH = "zh", _("Chinese")
        EN = "en", _("English")

    month = models.DateField(_("month (first day)"))
    as_of = models.DateField(_("month-end snapshot day"))
    lang = models.CharField(_("language"), max_length=4, choices=Lang.choices)
    requested_by = models.CharField(_("requested by"), max_length=150)
    out_dir = models.CharField(_("output folder"), max_length=1000)
    reserves_fen = models.BigIntegerField(_("loan-loss reserves (fen)"), null=True, blank=True)
    #: ``[{"name": "report-2026-05.pdf", "sha256": "…", "bytes": 12345}, …]``
    files = models.JSONField(_("files"), default=list)
    recommendations = models.PositiveIntegerField(_("recommendations"), default=0)
    seconds = models.FloatField(_("seconds taken"), default=0.0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        db_table = "qs_report_run"
        verbose_name = _("report run")
        verbose_name_plural = _("report runs")
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.lang} {self.requested_by}"
