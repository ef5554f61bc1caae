"""Scorecard models and the day's scores (issue 8).

``ScoreModel`` (``qs_score_model``): one trained scorecard of one kind — ``collection`` (the probability that a
delinquent borrower pays or self-cures within 30 days), ``early_warning`` (the probability that a current
loan goes 30+ days past due within 90 days) or ``application`` (the probability of default of an applicant).
Versions count up per kind and are never edited after training: the artifact (bins, WoE, points, the
scaling: ``qingshou.risk.scorecard``) and the validation metrics are frozen with the SHA-256 of the artifact.
At most one version per kind is ``active``; activating one retires the one before (an audit event).

``RiskScore`` (``qs_risk_score``): the latest score of each borrower per kind, replaced by each EOD run in bulk
(the store, not the ORM). Probabilities are kept in parts per million (integers, like money: no float in the
store); ``reasons`` are the reason codes, most important first, separated by ``;``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ModelKind(models.TextChoices):
    """What a scorecard predicts."""

    COLLECTION = "collection", _("collection score")
    EARLY_WARNING = "early_warning", _("early warning score")
    APPLICATION = "application", _("application score")


class ScoreModel(models.Model):
    """One trained, versioned scorecard (module docstring)."""

    class Status(models.TextChoices):
        TRAINED = "trained", _("trained")
        ACTIVE = "active", _("active")
        RETIRED = "retired", _("retired")

    kind = models.CharField(_("kind"), max_length=16, choices=ModelKind.choices)
    version = models.PositiveIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.TRAINED)
    dataset = models.CharField(_("dataset"), max_length=200, help_text=_("where the training rows came from"))
    window_from = models.DateField(_("observed from"), null=True, blank=True)
    window_to = models.DateField(_("observed to"), null=True, blank=True)
    seed = models.BigIntegerField(_("seed"))
    rows = models.PositiveIntegerField(_("training rows"))
    events = models.PositiveIntegerField(_("events"))
    params = models.JSONField(_("parameters"), default=dict)
    artifact = models.JSONField(_("scorecard"))
    artifact_sha256 = models.CharField(_("SHA-256 of the scorecard"), max_length=64)
    metrics = models.JSONField(_("validation metrics"), default=dict)
    trained_at = models.DateTimeField(_("trained at"), default=timezone.now)
    trained_by = models.CharField(_("trained by"), max_length=150, blank=True, default="")
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True)
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("activated by"),
    )

    class Meta:
        db_table = "qs_score_model"
        verbose_name = _("score model")
        verbose_name_plural = _("score models")
        ordering = ("kind", "-version")
        constraints = (
            models.UniqueConstraint(fields=("kind", "version"), name="qs_score_model_kind_version"),
            models.UniqueConstraint(
                fields=("kind",), condition=Q(status="active"), name="qs_score_model_one_active"
            ),
        )
        permissions = (("manage_models", _("Can train, activate and retire score models")),)

    def __str__(self) -> str:
        return f"{self.kind} v{self.version} ({self.status})"


class RiskScore(models.Model):
    """The latest score of one borrower for one kind of model (module docstring)."""

    borrower_id = models.CharField(_("borrower id"), max_length=64)
    kind = models.CharField(_("kind"), max_length=16, choices=ModelKind.choices)
    as_of = models.DateField(_("as of"))
    loan_id = models.CharField(_("lead loan id"), max_length=64, blank=True, default="")
    model_version = models.PositiveIntegerField(_("model version"))
    points = models.IntegerField(_("points"))
    probability_ppm = models.PositiveIntegerField(_("probability (ppm)"))
    reasons = models.CharField(_("reason codes"), max_length=500, blank=True, default="")

    class Meta:
        db_table = "qs_risk_score"
        verbose_name = _("risk score")
        verbose_name_plural = _("risk scores")
        constraints = (
            models.UniqueConstraint(fields=("borrower_id", "kind"), name="qs_risk_score_borrower_kind"),
        )
        indexes = (models.Index(fields=("kind", "as_of"), name="qs_risk_score_kind_day"),)

    def __str__(self) -> str:
        return f"{self.borrower_id} {self.kind} {self.points}"
