"""Legal cases (``qs_legal_case``), their stage history, court fees posted as costs, preservation measures and
the reminders EOD records for deadlines entering their lead window.

A legal case belongs to a collection case and covers one or more of the borrower's loans; its type and stage
follow ``qingshou.domain.legal`` (the stage machine). Each stage's day is kept on the case and every change is
a history row (and an audit event). Fees are computed by the domain's scale and posted on a loan as a
``costs`` charge (``charge_id``: first in the waterfall, C5). A renewal of a preservation measure is a new
row naming the measure it renews (``renewed_from``). Money in fen.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from qingshou.apps.cases.models import Case
from qingshou.apps.loans.models import ID_LENGTH, Loan
from qingshou.domain.legal import AssetKind, CaseType, Outcome, Reduction, Stage


class LegalCase(models.Model):
    """One legal action on a claim (module docstring)."""

    class TypeChoice(models.TextChoices):
        DEMAND_LETTER = CaseType.DEMAND_LETTER.value, _("lawyer's demand letter")
        PAYMENT_ORDER = CaseType.PAYMENT_ORDER.value, _("payment order")
        LAWSUIT = CaseType.LAWSUIT.value, _("lawsuit")
        ARBITRATION = CaseType.ARBITRATION.value, _("arbitration")
        SECURITY_REALISATION = CaseType.SECURITY_REALISATION.value, _("realisation of security")
        ENFORCEMENT = CaseType.ENFORCEMENT.value, _("enforcement")

    class StageChoice(models.TextChoices):
        PREPARATION = Stage.PREPARATION.value, pgettext_lazy("legal stage", "preparation")
        FILED = Stage.FILED.value, pgettext_lazy("legal stage", "filed")
        ACCEPTED = Stage.ACCEPTED.value, pgettext_lazy("legal stage", "accepted")
        HEARING = Stage.HEARING.value, pgettext_lazy("legal stage", "hearing")
        JUDGMENT = Stage.JUDGMENT.value, pgettext_lazy("legal stage", "judgment")
        EFFECTIVE = Stage.EFFECTIVE.value, pgettext_lazy("legal stage", "effective")
        ENFORCEMENT_APPLIED = (
            Stage.ENFORCEMENT_APPLIED.value,
            pgettext_lazy("legal stage", "enforcement applied"),
        )
        ENFORCEMENT = Stage.ENFORCEMENT.value, pgettext_lazy("legal stage", "in enforcement")
        CLOSED = Stage.CLOSED.value, pgettext_lazy("legal stage", "closed")

    class OutcomeChoice(models.TextChoices):
        NONE = "", pgettext_lazy("legal outcome", "none")
        RECOVERED = Outcome.RECOVERED.value, pgettext_lazy("legal outcome", "recovered")
        TERMINATED = Outcome.TERMINATED.value, pgettext_lazy("legal outcome", "terminated without assets")
        WITHDRAWN = Outcome.WITHDRAWN.value, pgettext_lazy("legal outcome", "withdrawn")

    case = models.ForeignKey(
        Case,
        on_delete=models.PROTECT,
        db_column="case_id",
        related_name="legal_cases",
        verbose_name=_("case"),
    )
    loans = models.ManyToManyField(
        Loan, related_name="legal_cases", db_table="qs_legal_case_loan", verbose_name=_("loans")
    )
    case_type = models.CharField(_("type"), max_length=24, choices=TypeChoice.choices)
    stage = models.CharField(
        _("stage"), max_length=24, choices=StageChoice.choices, default=Stage.PREPARATION.value
    )
    outcome = models.CharField(
        _("outcome"), max_length=12, choices=OutcomeChoice.choices, blank=True, default=""
    )
    court = models.CharField(_("court or arbitration body"), max_length=200, blank=True, default="")
    court_case_number = models.CharField(_("court case number"), max_length=100, blank=True, default="")
    lawyer = models.CharField(_("lawyer"), max_length=200, blank=True, default="")
    claim_fen = models.BigIntegerField(_("claim (fen)"))
    # the day of each stage
    opened_on = models.DateField(_("opened on"))
    filed_on = models.DateField(_("filed on"), null=True, blank=True)
    accepted_on = models.DateField(_("accepted on"), null=True, blank=True)
    hearing_on = models.DateField(_("hearing on"), null=True, blank=True)
    judgment_on = models.DateField(_("judgment on"), null=True, blank=True)
    effective_on = models.DateField(_("effective on"), null=True, blank=True)
    enforcement_applied_on = models.DateField(_("enforcement applied on"), null=True, blank=True)
    enforcement_on = models.DateField(_("enforcement started on"), null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    # what the judgment (award, ruling, order) fixed
    judgment_principal_fen = models.BigIntegerField(_("judgment principal (fen)"), null=True, blank=True)
    judgment_interest_fen = models.BigIntegerField(_("judgment interest (fen)"), null=True, blank=True)
    judgment_costs_fen = models.BigIntegerField(_("judgment costs (fen)"), null=True, blank=True)
    performance_due_on = models.DateField(_("performance due on"), null=True, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("opened by")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    note = models.TextField(_("note"), blank=True, default="")

    class Meta:
        db_table = "qs_legal_case"
        verbose_name = _("legal case")
        verbose_name_plural = _("legal cases")
        ordering = ("-opened_on", "-pk")
        constraints = (
            models.CheckConstraint(condition=Q(claim_fen__gt=0), name="qs_legal_case_claim_positive"),
            models.CheckConstraint(
                condition=Q(stage="closed", closed_on__isnull=False) | ~Q(stage="closed"),
                name="qs_legal_case_closed_day",
            ),
        )
        indexes = (models.Index(fields=["stage"], name="qs_legal_case_stage"),)

    def __str__(self) -> str:
        return f"{self.case_type} #{self.pk} ({self.stage})"

    @property
    def is_open(self) -> bool:
        """Not closed."""
        return self.stage != Stage.CLOSED.value


class StageChange(models.Model):
    """One move of a legal case from a stage to another on a day, by a person."""

    legal_case = models.ForeignKey(
        LegalCase,
        on_delete=models.CASCADE,
        db_column="legal_case_id",
        related_name="history",
        verbose_name=_("legal case"),
    )
    from_stage = models.CharField(_("from stage"), max_length=24, blank=True, default="")
    to_stage = models.CharField(_("to stage"), max_length=24, choices=LegalCase.StageChoice.choices)
    on = models.DateField(_("on"))
    outcome = models.CharField(_("outcome"), max_length=12, blank=True, default="")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("changed by")
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    note = models.TextField(_("note"), blank=True, default="")

    class Meta:
        db_table = "qs_legal_stage_change"
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        ordering = ("legal_case_id", "on", "pk")


class LegalFee(models.Model):
    """A fee of a legal case posted on a loan as a cost of enforcement (``charge_id``, C5)."""

    class KindChoice(models.TextChoices):
        ACCEPTANCE = "acceptance", _("case acceptance fee")
        PAYMENT_ORDER = "payment_order", _("payment order fee")
        PRESERVATION = "preservation", _("preservation fee")
        ENFORCEMENT = "enforcement", _("enforcement application fee")
        LAWYER = "lawyer", _("lawyer's fee")
        OTHER = "other", _("other cost")

    legal_case = models.ForeignKey(
        LegalCase,
        on_delete=models.PROTECT,
        db_column="legal_case_id",
        related_name="fees",
        verbose_name=_("legal case"),
    )
    loan = models.ForeignKey(
        Loan, on_delete=models.PROTECT, db_column="loan_id", related_name="+", verbose_name=_("loan")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=KindChoice.choices)
    basis_fen = models.BigIntegerField(_("basis (fen)"), null=True, blank=True)
    fee_fen = models.BigIntegerField(_("fee (fen)"))
    reductions = models.CharField(
        _("reductions"),
        max_length=64,
        blank=True,
        default="",
        help_text=", ".join(item.value for item in Reduction),
    )
    rounding = models.CharField(_("rounding"), max_length=8, blank=True, default="")
    posted_on = models.DateField(_("posted on"))
    charge_id = models.CharField(_("posted charge"), max_length=ID_LENGTH, unique=True)
    description = models.CharField(_("description"), max_length=300, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        db_table = "qs_legal_fee"
        verbose_name = _("legal fee")
        verbose_name_plural = _("legal fees")
        ordering = ("legal_case_id", "posted_on", "pk")
        constraints = (models.CheckConstraint(condition=Q(fee_fen__gt=0), name="qs_legal_fee_positive"),)


class Preservation(models.Model):
    """A preservation measure (查封 / 扣押 / 冻结) or its renewal, with its term (民诉法解释 第四百八十五条)."""

    class AssetChoice(models.TextChoices):
        BANK_DEPOSIT = AssetKind.BANK_DEPOSIT.value, _("bank deposits (frozen)")
        MOVABLE = AssetKind.MOVABLE.value, _("movables (sealed or seized)")
        IMMOVABLE = AssetKind.IMMOVABLE.value, _("immovables (sealed)")
        OTHER_RIGHT = AssetKind.OTHER_RIGHT.value, _("other property rights (frozen)")

    legal_case = models.ForeignKey(
        LegalCase,
        on_delete=models.PROTECT,
        db_column="legal_case_id",
        related_name="preservations",
        verbose_name=_("legal case"),
    )
    asset_kind = models.CharField(_("asset kind"), max_length=16, choices=AssetChoice.choices)
    description = models.CharField(_("description"), max_length=500)
    ruling_number = models.CharField(_("ruling number"), max_length=100, blank=True, default="")
    amount_fen = models.BigIntegerField(_("amount preserved (fen)"), default=0)
    start_on = models.DateField(_("start on"))
    term_months = models.PositiveSmallIntegerField(_("term (months)"))
    expires_on = models.DateField(_("expires on"))
    renewal_due_on = models.DateField(_("renewal to be applied for by"))
    renewed_from = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="renewal",
        verbose_name=_("renewed from"),
    )
    released_on = models.DateField(_("released on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        db_table = "qs_legal_preservation"
        verbose_name = _("preservation measure")
        verbose_name_plural = _("preservation measures")
        ordering = ("legal_case_id", "start_on", "pk")
        constraints = (
            models.CheckConstraint(
                condition=Q(expires_on__gte=models.F("start_on")), name="qs_legal_preservation_term"
            ),
        )


class Reminder(models.Model):
    """A reminder EOD recorded on ``as_of`` for a deadline inside its lead window (one per deadline and day)."""

    legal_case = models.ForeignKey(
        LegalCase,
        on_delete=models.CASCADE,
        db_column="legal_case_id",
        related_name="reminders",
        verbose_name=_("legal case"),
    )
    as_of = models.DateField(_("as of"))
    key = models.CharField(_("deadline"), max_length=120)
    kind = models.CharField(_("kind"), max_length=32)
    due_on = models.DateField(_("due on"))
    detail = models.CharField(_("detail"), max_length=300, blank=True, default="")

    class Meta:
        db_table = "qs_legal_reminder"
        verbose_name = _("legal reminder")
        verbose_name_plural = _("legal reminders")
        ordering = ("as_of", "due_on", "key")
        constraints = (models.UniqueConstraint(fields=["key", "as_of"], name="qs_legal_reminder_once_a_day"),)
