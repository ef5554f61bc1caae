"""Write-offs (``qs_writeoff``): one loan written off on its grounds, proposed by one person and approved by
another (maker-checker, ``rules``), then executed on a day.

An executed write-off takes the loan's principal and interest receivable off the balance sheet; nothing is
posted to the ledger: the loan stays in the book, its case stays open and collection goes on for the whole
debt (账销案存) — penalty, compound interest, fees and costs stay tracked off-balance. Cash paid after the
write-off day is the recovery after write-off. Money in fen; every transition an audit event
(``writeoff.<verb>``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qingshou.apps.cases.models import Case
from qingshou.apps.loans.models import Loan
from qingshou.apps.writeoffs.rules import HOLDING, Status
from qingshou.domain.money import from_fen
from qingshou.domain.writeoff import WriteOffAmounts


class WriteOff(models.Model):
    """One write-off of one loan (module docstring)."""

    class StatusChoice(models.TextChoices):
        PROPOSED = Status.PROPOSED.value, _("proposed")
        APPROVED = Status.APPROVED.value, _("approved")
        EXECUTED = Status.EXECUTED.value, _("written off")
        REJECTED = Status.REJECTED.value, _("rejected")
        WITHDRAWN = Status.WITHDRAWN.value, _("withdrawn")

    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, db_column="case_id", related_name="writeoffs", verbose_name=_("case")
    )
    loan = models.ForeignKey(
        Loan, on_delete=models.PROTECT, db_column="loan_id", related_name="writeoffs", verbose_name=_("loan")
    )
    status = models.CharField(
        _("status"), max_length=12, choices=StatusChoice.choices, default=Status.PROPOSED.value
    )
    grounds = models.CharField(_("grounds"), max_length=200, help_text="comma-separated")
    evidence = models.TextField(_("evidence"), blank=True, default="")
    reason = models.TextField(_("reason"))
    assessed_on = models.DateField(_("assessed on"))
    principal_fen = models.BigIntegerField(_("principal written off (fen)"))
    interest_fen = models.BigIntegerField(_("interest written off (fen)"))
    amount_fen = models.BigIntegerField(_("amount written off (fen)"))
    penalty_fen = models.BigIntegerField(_("penalty interest tracked off-balance (fen)"))
    compound_fen = models.BigIntegerField(_("compound interest tracked off-balance (fen)"))
    fees_fen = models.BigIntegerField(_("fees tracked off-balance (fen)"), default=0)
    costs_fen = models.BigIntegerField(_("costs tracked off-balance (fen)"), default=0)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("proposed by")
    )
    proposed_at = models.DateTimeField(_("proposed at"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("approved by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True, default="")
    executed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("executed by"),
    )
    written_off_on = models.DateField(_("written off on"), null=True, blank=True)

    class Meta:
        db_table = "qs_writeoff"
        verbose_name = _("write-off")
        verbose_name_plural = _("write-offs")
        permissions = (
            ("approve_writeoff", _("Can approve write-offs")),
            ("view_recovery_report", _("Can see the recovery after write-off report")),
        )
        constraints = (
            models.UniqueConstraint(
                fields=["loan"], condition=Q(status__in=HOLDING), name="qs_writeoff_one_per_loan"
            ),
            models.CheckConstraint(
                condition=Q(principal_fen__gte=0)
                & Q(interest_fen__gte=0)
                & Q(penalty_fen__gte=0)
                & Q(compound_fen__gte=0)
                & Q(fees_fen__gte=0)
                & Q(costs_fen__gte=0),
                name="qs_writeoff_amounts",
            ),
            models.CheckConstraint(
                condition=~Q(status="executed") | Q(written_off_on__isnull=False),
                name="qs_writeoff_executed_day",
            ),
        )
        indexes = (models.Index(fields=["status", "written_off_on"], name="qs_writeoff_status_day"),)

    def __str__(self) -> str:
        return f"write-off #{self.pk} {self.loan_id} ({self.status})"

    @property
    def ground_list(self) -> list[str]:
        """The grounds as a list."""
        return [name for name in self.grounds.split(",") if name]

    @property
    def amounts(self) -> WriteOffAmounts:
        """The amounts in yuan."""
        return WriteOffAmounts(
            principal=from_fen(self.principal_fen),
            interest=from_fen(self.interest_fen),
            penalty=from_fen(self.penalty_fen),
            compound=from_fen(self.compound_fen),
            fees=from_fen(self.fees_fen),
            costs=from_fen(self.costs_fen),
        )

    @property
    def off_balance_fen(self) -> int:
        """Penalty + compound + fees + costs (fen): tracked off-balance."""
        return self.penalty_fen + self.compound_fen + self.fees_fen + self.costs_fen
