"""EOD models: the run record, the loans a run could not compute, and each loan's current status.

Table names are explicit (``qs_eod_…``, ``qs_loan_status``) because the run service writes them in bulk
through ADBC by name. Money is integer **fen** (``*_fen``), dates are ``DateField``. ``LoanStatus`` holds
one row per loan: the snapshot row of the latest day computed for it (the lake keeps every day). The models
hold data only; the workflow is ``qingshou.apps.eod.services.run``.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qingshou.apps.loans.models import ID_LENGTH, Loan
from qingshou.domain.policy import LoanClass

CLASS_CHOICES = [(member.code, member.code) for member in LoanClass]


class EodRun(models.Model):
    """One EOD run for one day: when, which engine, how it ended, what it counted and how long each part
    took (seconds). ``buckets`` counts the snapshot's loans per bucket; ``step_seconds`` times every step
    of the pipeline by name (the four ``*_seconds`` columns sum them by kind)."""

    class Status(models.TextChoices):
        RUNNING = "running", _("running")
        SUCCEEDED = "succeeded", _("succeeded")
        FAILED = "failed", _("failed")

    as_of = models.DateField(_("as of"))
    engine = models.CharField(_("engine"), max_length=16)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    loans_read = models.PositiveIntegerField(_("loans read"), default=0)
    snapshot_rows = models.PositiveIntegerField(_("snapshot rows"), default=0)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    delinquent_count = models.PositiveIntegerField(_("delinquent loans"), default=0)
    read_store_seconds = models.FloatField(_("read store (s)"), default=0.0)
    compute_seconds = models.FloatField(_("compute (s)"), default=0.0)
    write_lake_seconds = models.FloatField(_("write lake (s)"), default=0.0)
    write_store_seconds = models.FloatField(_("write store (s)"), default=0.0)
    buckets = models.JSONField(_("loans per bucket"), default=dict, blank=True)
    step_seconds = models.JSONField(_("seconds per step"), default=dict, blank=True)
    lake_path = models.CharField(_("lake partition"), max_length=1000, blank=True, default="")
    message = models.TextField(_("message"), blank=True, default="")

    class Meta:
        db_table = "qs_eod_run"
        verbose_name = _("EOD run")
        verbose_name_plural = _("EOD runs")
        ordering = ("-started_at",)
        indexes = (models.Index(fields=["as_of"], name="qs_eod_run_as_of_idx"),)

    def __str__(self) -> str:
        return f"{self.as_of} {self.engine} {self.status}"


class EodError(models.Model):
    """A loan the run could not compute (its data breaks an invariant): it has no snapshot row that day.
    A rerun of the day replaces the day's error rows."""

    run = models.ForeignKey(
        EodRun, on_delete=models.CASCADE, db_column="run_id", related_name="errors", verbose_name=_("run")
    )
    as_of = models.DateField(_("as of"))
    loan_id = models.CharField(_("loan id"), max_length=ID_LENGTH)
    code = models.CharField(_("code"), max_length=64)
    message = models.TextField(_("message"))

    class Meta:
        db_table = "qs_eod_error"
        verbose_name = _("EOD error")
        verbose_name_plural = _("EOD errors")
        ordering = ("as_of", "loan_id")
        indexes = (models.Index(fields=["as_of"], name="qs_eod_error_as_of_idx"),)

    def __str__(self) -> str:
        return f"{self.as_of} {self.loan_id} {self.code}"


class LoanStatus(models.Model):
    """The current status of a loan: its snapshot row of the latest day computed (``as_of``).

    A run for an older day (a backfill) never replaces a newer status. Amounts in fen; ``npl_*`` is the
    classification history carried to the next day (C6); ``previous_*`` and the flags compare with the
    snapshot of the day before.
    """

    loan = models.OneToOneField(
        Loan,
        on_delete=models.CASCADE,
        primary_key=True,
        db_column="loan_id",
        related_name="eod_status",
        verbose_name=_("loan"),
    )
    as_of = models.DateField(_("as of"))
    dpd = models.IntegerField(_("days past due"))
    delinquent = models.BooleanField(_("delinquent"))
    bucket = models.CharField(_("bucket"), max_length=32)
    classification = models.CharField(_("classification"), max_length=32, choices=CLASS_CHOICES)
    stage = models.PositiveSmallIntegerField(_("IFRS 9 stage"))
    overdue_principal_fen = models.BigIntegerField(_("overdue principal (fen)"))
    overdue_interest_fen = models.BigIntegerField(_("overdue interest (fen)"))
    penalty_interest_fen = models.BigIntegerField(_("penalty interest (fen)"))
    compound_interest_fen = models.BigIntegerField(_("compound interest (fen)"))
    fees_fen = models.BigIntegerField(_("fees (fen)"))
    costs_fen = models.BigIntegerField(_("costs (fen)"))
    total_overdue_fen = models.BigIntegerField(_("total overdue (fen)"))
    outstanding_principal_fen = models.BigIntegerField(_("outstanding principal (fen)"))
    payoff_amount_fen = models.BigIntegerField(_("payoff amount (fen)"))
    unapplied_credit_fen = models.BigIntegerField(_("unapplied credit (fen)"))
    limitation_start = models.DateField(_("limitation start"), null=True, blank=True)
    limitation_expires_on = models.DateField(_("limitation expires on"), null=True, blank=True)
    limitation_unadjusted_on = models.DateField(_("limitation unadjusted expiry"), null=True, blank=True)
    limitation_calendar_confirmed = models.BooleanField(_("limitation calendar confirmed"))
    npl_held_class = models.CharField(
        _("NPL class held"), max_length=32, choices=CLASS_CHOICES, null=True, blank=True
    )
    npl_cured_on = models.DateField(_("NPL cured on"), null=True, blank=True)
    npl_state_on = models.DateField(_("NPL state as of"), null=True, blank=True)
    borrower_worst_dpd = models.IntegerField(_("borrower worst days past due"))
    borrower_total_overdue_fen = models.BigIntegerField(_("borrower total overdue (fen)"))
    borrower_overdue_loans = models.IntegerField(_("borrower overdue loans"))
    previous_dpd = models.IntegerField(_("previous days past due"), null=True, blank=True)
    previous_bucket = models.CharField(_("previous bucket"), max_length=32, null=True, blank=True)
    previous_classification = models.CharField(
        _("previous classification"), max_length=32, choices=CLASS_CHOICES, null=True, blank=True
    )
    newly_delinquent = models.BooleanField(_("newly delinquent"))
    cured = models.BooleanField(_("cured"))
    rolled_worse = models.BooleanField(_("rolled to a worse bucket"))
    class_changed = models.BooleanField(_("classification changed"))

    class Meta:
        db_table = "qs_loan_status"
        verbose_name = _("loan status")
        verbose_name_plural = _("loan statuses")
        ordering = ("loan_id",)
        indexes = (
            models.Index(fields=["as_of"], name="qs_loan_status_as_of_idx"),
            models.Index(fields=["bucket"], name="qs_loan_status_bucket_idx"),
            models.Index(fields=["classification"], name="qs_loan_status_class_idx"),
        )

    def __str__(self) -> str:
        return f"{self.loan_id} {self.as_of} dpd {self.dpd} {self.bucket}"
