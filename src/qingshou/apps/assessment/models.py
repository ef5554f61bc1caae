"""Models of the assessment app (issue 8).

``Assessment`` (``qs_assessment``): one credit assessment answered by ``POST /api/assess`` or ``qingshou assess``:
the caller's ``application_id`` (unique: the same id with the same request answers the stored assessment; with
another request it is refused), the request's hash, the features the model scored (only the model's features:
no name, ID number or phone), the model version, the score, the probability of default (ppm, no float in the
store), the grade, the price and the decision, and the answer as sent (``answer``, language-neutral: both
labels of each reason).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Assessment(models.Model):
    """One assessed application (module docstring)."""

    class Decision(models.TextChoices):
        APPROVE = "approve", _("approve")
        DECLINE = "decline", _("decline")

    application_id = models.CharField(_("application id"), max_length=100, unique=True)
    request_hash = models.CharField(_("SHA-256 of the request"), max_length=64)
    product_id = models.CharField(_("product id"), max_length=64, blank=True, default="")
    term_months = models.PositiveIntegerField(_("term (months)"))
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    features = models.JSONField(_("features scored"), default=dict)
    model = models.ForeignKey(
        "scoring.ScoreModel", on_delete=models.PROTECT, related_name="+", verbose_name=_("model")
    )
    model_version = models.PositiveIntegerField(_("model version"))
    points = models.IntegerField(_("points"))
    probability_ppm = models.PositiveIntegerField(_("probability of default (ppm)"))
    grade = models.CharField(_("grade"), max_length=16)
    annual_rate = models.DecimalField(_("annual rate"), max_digits=8, decimal_places=4)
    decision = models.CharField(_("decision"), max_length=8, choices=Decision.choices)
    reasons = models.CharField(_("reason codes"), max_length=500, blank=True, default="")
    answer = models.JSONField(_("answer"), default=dict)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
        help_text=_("empty when assessed from the command line without --user"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        db_table = "qs_assessment"
        verbose_name = _("credit assessment")
        verbose_name_plural = _("credit assessments")
        ordering = ("-created_at", "-pk")
        indexes = (models.Index(fields=("created_at",), name="qs_assessment_created"),)

    def __str__(self) -> str:
        return f"{self.application_id} {self.grade} {self.decision}"
