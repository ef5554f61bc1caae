"""Models of the warning app (issue 8): external events about borrowers and the watch list of current loans.

``ExternalEvent`` (``qs_external_event``): a fact about a borrower from outside the institution — a court
record (涉诉), the enforcement list (失信被执行人), non-performing or overdue at another bank (他行不良 / 他行逾期),
many credit inquiries (多头借贷) — imported from a file (``qingshou watch events load``), idempotent by the
source's ``external_id``. ``WatchEntry`` (``qs_watch_entry``): a current borrower on the watch list from the day a
trigger fired or the model's probability crossed the threshold until they are cured, go delinquent or pay off;
EOD opens, updates and closes entries in bulk (``services.eod``), people only mark them reviewed.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qingshou.apps.loans.models import Borrower


class EventKind(models.TextChoices):
    """Kinds of external events (``qingshou.risk.warning.EVENT_KINDS``)."""

    COURT_RECORD = "court_record", _("court record")
    ENFORCEMENT_LIST = "enforcement_list", _("on the enforcement list")
    OTHER_BANK_NPL = "other_bank_npl", _("non-performing at another bank")
    OTHER_BANK_OVERDUE = "other_bank_overdue", _("overdue at another bank")
    BUREAU_INQUIRIES = "bureau_inquiries", _("many credit inquiries")
    OTHER = "other", _("other")


class ExternalEvent(models.Model):
    """One imported external event about a borrower (module docstring)."""

    external_id = models.CharField(_("external id"), max_length=100, unique=True)
    borrower = models.ForeignKey(
        Borrower,
        on_delete=models.PROTECT,
        db_column="borrower_id",
        related_name="external_events",
        verbose_name=_("borrower"),
    )
    kind = models.CharField(_("kind"), max_length=24, choices=EventKind.choices)
    occurred_on = models.DateField(_("occurred on"))
    source = models.CharField(_("source"), max_length=100, blank=True, default="")
    detail = models.CharField(_("detail"), max_length=1000, blank=True, default="")
    imported_at = models.DateTimeField(_("imported at"), default=timezone.now)
    batch = models.CharField(_("batch"), max_length=64)

    class Meta:
        db_table = "qs_external_event"
        verbose_name = _("external event")
        verbose_name_plural = _("external events")
        ordering = ("borrower_id", "occurred_on", "external_id")
        indexes = (models.Index(fields=["borrower", "occurred_on"], name="qs_external_event_day_idx"),)

    def __str__(self) -> str:
        return f"{self.external_id} {self.borrower_id} {self.kind} {self.occurred_on}"


class WatchEntry(models.Model):
    """One spell of a borrower on the watch list (module docstring). ``triggers`` and ``reasons`` are codes
    separated by ``;`` (trigger codes; the model's reason codes); ``points`` / ``probability_ppm`` are the
    early-warning model's score (null without a model); ``rule_points`` the weights of the triggers."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        CLOSED = "closed", _("closed")

    class CloseReason(models.TextChoices):
        NONE = "", _("—")
        CURED = "cured", _("cured of triggers")
        DELINQUENT = "delinquent", _("went delinquent")
        PAID_OFF = "paid_off", _("paid off")

    borrower = models.ForeignKey(
        Borrower,
        on_delete=models.PROTECT,
        db_column="borrower_id",
        related_name="watch_entries",
        verbose_name=_("borrower"),
    )
    lead_loan_id = models.CharField(_("lead loan"), max_length=64, blank=True, default="")
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN)
    opened_on = models.DateField(_("opened on"))
    last_seen_on = models.DateField(_("last seen on"), help_text=_("the last day a condition held"))
    prior_seen_on = models.DateField(_("seen before the last run"), null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    close_reason = models.CharField(
        _("close reason"), max_length=16, choices=CloseReason.choices, blank=True, default=""
    )
    triggers = models.CharField(_("triggers"), max_length=300, blank=True, default="")
    rule_points = models.IntegerField(_("trigger points"), default=0)
    points = models.IntegerField(_("warning score"), null=True, blank=True)
    probability_ppm = models.IntegerField(_("P(30+ dpd in 90 days), ppm"), null=True, blank=True)
    model_version = models.PositiveIntegerField(_("model version"), null=True, blank=True)
    reasons = models.CharField(_("reason codes"), max_length=500, blank=True, default="")
    updated_on = models.DateField(_("updated on"))
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_note = models.CharField(_("review note"), max_length=500, blank=True, default="")

    class Meta:
        db_table = "qs_watch_entry"
        verbose_name = _("watch list entry")
        verbose_name_plural = _("watch list entries")
        ordering = ("-opened_on", "borrower_id")
        constraints = (
            models.UniqueConstraint(
                fields=("borrower",), condition=Q(status="open"), name="qs_watch_entry_one_open"
            ),
        )
        indexes = (models.Index(fields=["status", "opened_on"], name="qs_watch_entry_status_idx"),)
        permissions = (("review_watchentry", _("Can mark watch list entries reviewed")),)

    def __str__(self) -> str:
        return f"{self.borrower_id} {self.status} {self.opened_on}"

    @property
    def trigger_list(self) -> list[str]:
        """The trigger codes."""
        return [code for code in self.triggers.split(";") if code]

    @property
    def reason_list(self) -> list[str]:
        """The model's reason codes."""
        return [code for code in self.reasons.split(";") if code]
