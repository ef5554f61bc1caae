"""Plans, waivers and settlements agreed on a case (``qs_arrangement``), proposed by one person and decided
by another (maker-checker, ``rules``).

An arrangement ends as facts the ledger already understands (the ``loans`` services of B1, referenced as
``arrangement:<pk>``): a plan becomes a successor loan (``successor_loan_id``), a waiver a non-cash payment
of the waived components, a settlement a non-cash discount once the cash since approval reached ``amount_fen``.
Every transition is an audit event (``apps.audit``, action ``arrangement.<verb>``, target this row).

Money in fen (``*_fen``); ``concession_fen`` is what the institution gives up — the waived amounts, or the
settlement's discount off the payoff — and what the approver's limit must cover.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qingshou.apps.arrangements.rules import Kind, Status
from qingshou.apps.cases.models import Case
from qingshou.apps.loans.models import ID_LENGTH, Loan


class Arrangement(models.Model):
    """One plan, waiver or settlement of one loan (module docstring)."""

    class KindChoice(models.TextChoices):
        PLAN = Kind.PLAN.value, _("repayment plan")
        WAIVER = Kind.WAIVER.value, _("waiver")
        SETTLEMENT = Kind.SETTLEMENT.value, _("discounted settlement")

    class StatusChoice(models.TextChoices):
        PROPOSED = Status.PROPOSED.value, _("proposed")
        APPROVED = Status.APPROVED.value, _("approved")
        EXECUTED = Status.EXECUTED.value, _("executed")
        REJECTED = Status.REJECTED.value, _("rejected")
        WITHDRAWN = Status.WITHDRAWN.value, _("withdrawn")
        LAPSED = Status.LAPSED.value, _("lapsed")
        BREACHED = Status.BREACHED.value, _("breached")
        COMPLETED = Status.COMPLETED.value, _("completed")

    class PlanKindChoice(models.TextChoices):
        INSTALMENTS = "instalments", _("instalments (个性化分期)")
        EXTENSION = "extension", _("extension (展期)")
        RESCHEDULED_ARREARS = "rescheduled_arrears", _("rescheduled arrears")

    case = models.ForeignKey(
        Case,
        on_delete=models.PROTECT,
        db_column="case_id",
        related_name="arrangements",
        verbose_name=_("case"),
    )
    loan = models.ForeignKey(
        Loan,
        on_delete=models.PROTECT,
        db_column="loan_id",
        related_name="arrangements",
        verbose_name=_("loan"),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=KindChoice.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=StatusChoice.choices, default=StatusChoice.PROPOSED
    )
    # Terms. A plan: plan_kind, months, annual_rate, method, waive, first_due_date; a waiver: the amounts of
    # the components it waives; a settlement: amount_fen and pay_by. effective_on: the day a plan or waiver
    # takes effect (empty: the day of the approval).
    plan_kind = models.CharField(_("plan kind"), max_length=24, choices=PlanKindChoice.choices, blank=True)
    effective_on = models.DateField(_("effective on"), null=True, blank=True)
    months = models.PositiveSmallIntegerField(_("months"), null=True, blank=True)
    annual_rate = models.DecimalField(
        _("annual rate"), max_digits=12, decimal_places=8, null=True, blank=True
    )
    method = models.CharField(_("repayment method"), max_length=32, blank=True, default="")
    first_due_date = models.DateField(_("first due date"), null=True, blank=True)
    waive = models.CharField(
        _("waived components"), max_length=64, blank=True, default="", help_text="comma-separated"
    )
    penalty_fen = models.BigIntegerField(_("penalty interest waived (fen)"), default=0)
    compound_fen = models.BigIntegerField(_("compound interest waived (fen)"), default=0)
    fees_fen = models.BigIntegerField(_("fees waived (fen)"), default=0)
    amount_fen = models.BigIntegerField(_("settlement amount (fen)"), null=True, blank=True)
    pay_by = models.DateField(_("pay by"), null=True, blank=True)
    # What the preview said (kept so the checker sees what the maker saw; refreshed at approval).
    concession_fen = models.BigIntegerField(_("concession (fen)"), default=0)
    original_payoff_fen = models.BigIntegerField(_("payoff when previewed (fen)"), null=True, blank=True)
    capitalised_fen = models.BigIntegerField(_("capitalised (fen)"), null=True, blank=True)
    preview = models.JSONField(_("preview"), default=dict, blank=True)
    # Maker and checker.
    reason = models.TextField(_("reason"))
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
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_on = models.DateField(_("decided on (business day)"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True, default="")
    # Execution and end.
    executed_on = models.DateField(_("executed on"), null=True, blank=True)
    posted_fen = models.BigIntegerField(_("posted by the execution (fen)"), null=True, blank=True)
    successor_loan_id = models.CharField(_("successor loan"), max_length=ID_LENGTH, blank=True, default="")
    ended_on = models.DateField(_("ended on"), null=True, blank=True)

    class Meta:
        db_table = "qs_arrangement"
        verbose_name = _("arrangement")
        verbose_name_plural = _("arrangements")
        permissions = (("approve_long_plan", _("Can approve repayment plans longer than 36 months")),)
        constraints = (
            models.CheckConstraint(condition=Q(concession_fen__gte=0), name="qs_arrangement_concession"),
            models.CheckConstraint(
                condition=~Q(kind="settlement") | (Q(amount_fen__gt=0) & Q(pay_by__isnull=False)),
                name="qs_arrangement_settlement_terms",
            ),
            models.CheckConstraint(
                condition=~Q(kind="plan") | (Q(months__gte=1) & Q(months__lte=60)),
                name="qs_arrangement_plan_months",
            ),
        )
        indexes = (
            models.Index(fields=["status", "kind"], name="qs_arrangement_status_kind"),
            models.Index(fields=["successor_loan_id"], name="qs_arrangement_successor"),
        )

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} {self.loan_id} ({self.status})"

    @property
    def reference(self) -> str:
        """The reference of the ledger's facts this arrangement posts (the idempotency key of `apps.loans.services.arrangements`)."""
        return f"arrangement:{self.pk}"

    @property
    def waived_components(self) -> list[str]:
        """The plan's waived components (``waive``) as a list."""
        return [name for name in self.waive.split(",") if name]
