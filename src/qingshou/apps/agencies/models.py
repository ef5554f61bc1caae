"""Models of the agencies app (委外, issue 6): contracts with their commission tiers and evaluations,
placements of cases with an agency, complaints and the monthly commission statement.

``accounts.Agency`` (``qs_agency``) is the agency itself; ``cases.Case.agency`` is what scoping reads (an
agency user sees the cases whose ``agency`` is theirs), so a placement sets it and a recall clears it. A
``Placement`` keeps the history: placed on, term end, recalled on, the cohort (month placed), the champion /
challenger arm and the balance at placement (the borrower's total overdue that day). Money in fen.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qingshou.apps.accounts.models import Agency
from qingshou.apps.cases.models import Case


class AgencyContract(models.Model):
    """A contract with an agency: qualifications, white list, term, capacity, buckets and commission tiers.

    ``tiers`` is the plain data ``domain.agencies.parse_tiers`` reads (mode marginal | whole, bands per
    bucket); ``buckets`` lists the buckets the agency takes (comma-separated, blank: every bucket)."""

    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="contracts", verbose_name=_("agency")
    )
    number = models.CharField(_("contract number"), max_length=64, unique=True)
    licence = models.CharField(_("business licence number"), max_length=64)
    qualifications = models.TextField(_("qualifications"), blank=True, default="")
    white_listed = models.BooleanField(_("white-listed"), default=False)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    capacity = models.PositiveIntegerField(_("capacity (open placements)"))
    buckets = models.CharField(_("buckets taken"), max_length=64, blank=True, default="")
    term_days = models.PositiveIntegerField(_("placement term (days)"), default=90)
    tiers = models.JSONField(_("commission tiers"))
    renews = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="renewals",
        verbose_name=_("renews contract"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        db_table = "qs_agency_contract"
        verbose_name = _("agency contract")
        verbose_name_plural = _("agency contracts")
        ordering = ("agency_id", "-starts_on")
        constraints = (
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="qs_agency_contract_term"
            ),
            models.CheckConstraint(condition=Q(term_days__gt=0), name="qs_agency_contract_term_days"),
        )

    def __str__(self) -> str:
        return f"{self.agency_id} {self.number}"

    def bucket_set(self) -> frozenset[str]:
        """The buckets taken (empty: every bucket)."""
        return frozenset(b.strip() for b in self.buckets.split(",") if b.strip())


class Evaluation(models.Model):
    """An evaluation of an agency under a contract (C8: at least yearly and before renewal)."""

    contract = models.ForeignKey(
        AgencyContract, on_delete=models.CASCADE, related_name="evaluations", verbose_name=_("contract")
    )
    evaluated_on = models.DateField(_("evaluated on"))
    score = models.PositiveSmallIntegerField(_("score (0–100)"))
    passed = models.BooleanField(_("passed"))
    notes = models.TextField(_("notes"), blank=True, default="")
    evaluated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("evaluated by"),
    )

    class Meta:
        db_table = "qs_agency_evaluation"
        verbose_name = _("agency evaluation")
        verbose_name_plural = _("agency evaluations")
        ordering = ("contract_id", "evaluated_on")
        constraints = (
            models.CheckConstraint(condition=Q(score__lte=100), name="qs_agency_evaluation_score"),
        )


class Placement(models.Model):
    """A case placed with an agency for a fixed term (module docstring)."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        RECALLED = "recalled", _("recalled")

    class Method(models.TextChoices):
        RULES = "rules", _("by rules")
        MANUAL = "manual", _("manually")

    class RecallReason(models.TextChoices):
        TERM_END = "term_end", _("end of term")
        CASE_CLOSED = "case_closed", _("case closed")
        MANUAL = "manual", _("recalled by a supervisor")

    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, db_column="case_id", related_name="placements", verbose_name=_("case")
    )
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="placements", verbose_name=_("agency")
    )
    contract = models.ForeignKey(
        AgencyContract, on_delete=models.PROTECT, related_name="placements", verbose_name=_("contract")
    )
    placed_on = models.DateField(_("placed on"))
    term_ends_on = models.DateField(_("term ends on"))
    recalled_on = models.DateField(_("recalled on"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    recall_reason = models.CharField(
        _("recall reason"), max_length=12, choices=RecallReason.choices, blank=True, default=""
    )
    cohort = models.CharField(_("cohort (month placed)"), max_length=7)
    arm = models.CharField(_("arm"), max_length=12, default="champion")
    method = models.CharField(_("method"), max_length=8, choices=Method.choices)
    bucket = models.CharField(_("bucket at placement"), max_length=8)
    balance_fen = models.BigIntegerField(_("balance at placement (fen)"))
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("placed by"),
    )

    class Meta:
        db_table = "qs_agency_placement"
        verbose_name = _("placement")
        verbose_name_plural = _("placements")
        ordering = ("-placed_on", "-pk")
        constraints = (
            models.UniqueConstraint(
                fields=["case"], condition=Q(status="active"), name="qs_agency_placement_one_active"
            ),
            models.CheckConstraint(
                condition=Q(term_ends_on__gte=models.F("placed_on")), name="qs_agency_placement_term"
            ),
            models.CheckConstraint(
                condition=Q(recalled_on__isnull=True) | Q(recalled_on__gte=models.F("placed_on")),
                name="qs_agency_placement_recalled_after",
            ),
        )
        indexes = (
            models.Index(fields=["status", "term_ends_on"], name="qs_agency_placement_due"),
            models.Index(fields=["agency", "cohort"], name="qs_agency_placement_cohort"),
        )

    def __str__(self) -> str:
        return f"{self.agency_id} case {self.case_id} {self.placed_on}"

    @property
    def ends_on(self) -> date:
        """The last day of the placement: the recall day, else the term end."""
        return self.recalled_on or self.term_ends_on


class Complaint(models.Model):
    """A complaint about an agency's conduct on a placement (counts in the ranking)."""

    placement = models.ForeignKey(
        Placement, on_delete=models.PROTECT, related_name="complaints", verbose_name=_("placement")
    )
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="complaints", verbose_name=_("agency")
    )
    received_on = models.DateField(_("received on"))
    summary = models.TextField(_("summary"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )

    class Meta:
        db_table = "qs_agency_complaint"
        verbose_name = _("agency complaint")
        verbose_name_plural = _("agency complaints")
        ordering = ("-received_on", "-pk")


class CommissionRow(models.Model):
    """One placement's line of a month's commission statement (rewritten when the month is recomputed)."""

    placement = models.ForeignKey(
        Placement, on_delete=models.PROTECT, related_name="commission_rows", verbose_name=_("placement")
    )
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="commission_rows", verbose_name=_("agency")
    )
    month = models.CharField(_("month"), max_length=7)
    recovered_fen = models.BigIntegerField(_("recovered in the month (fen)"))
    recovered_before_fen = models.BigIntegerField(_("recovered before the month (fen)"))
    commission_fen = models.BigIntegerField(_("commission (fen)"))
    computed_at = models.DateTimeField(_("computed at"), default=timezone.now)

    class Meta:
        db_table = "qs_agency_commission"
        verbose_name = _("commission statement row")
        verbose_name_plural = _("commission statement rows")
        ordering = ("month", "agency_id", "placement_id")
        constraints = (
            models.UniqueConstraint(fields=["placement", "month"], name="qs_agency_commission_once"),
        )
        permissions = (
            ("place_cases", _("Can place cases with agencies and recall them")),
            ("manage_agencies", _("Can manage agency contracts, evaluations and complaints")),
            ("view_agency_reports", _("Can see agency commission statements and rankings")),
            ("work_placements", _("Can work the agency portal")),
        )
