"""Cases: one per borrower in arrears, its history, the day's action plan and promises to pay.

A **case** (``qs_case``) is opened by the EOD run of the first day one of the borrower's loans is delinquent
(C3) and closed by the run of the first day none is — *cured* while a balance remains, *settled* when nothing
is owed any more. A borrower has at most one open case; a later delinquency opens a new one, so the rows are
the borrower's history of arrears episodes. The strategy's assignment (segment, treatment path,
champion / challenger arm) lives on the case and every change of it is an event (``qs_case_event``).
The figures that move every day (days past due, amounts overdue) are the loans' (``LoanStatus``, the lake);
a case row changes only when the case does — opened, closed, reassigned, a new lead loan — so a book of a
million open cases costs EOD a read, not a million updates. Events keep the figures of their day.

The **action plan** (``qs_action``) is what the strategy asks for on a day — notices, call tasks, proposals
for field visits, agency placement and legal review — with the compliance decision (C8) of every contact.
A rerun of the day replaces that day's plan exactly.

Table names are explicit because the EOD run writes them in bulk through ADBC. Money in fen.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qingshou.apps.accounts.models import Agency, Team
from qingshou.apps.loans.models import ID_LENGTH, Borrower

NAME_LENGTH = 100


class Case(models.Model):
    """A borrower's episode of arrears, from the first delinquent day to the cure or settlement."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        CLOSED = "closed", _("closed")

    class CloseReason(models.TextChoices):
        CURED = "cured", _("cured")
        SETTLED = "settled", _("settled")

    borrower = models.ForeignKey(
        Borrower,
        on_delete=models.PROTECT,
        db_column="borrower_id",
        related_name="cases",
        verbose_name=_("borrower"),
    )
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN)
    opened_on = models.DateField(_("opened on"))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    close_reason = models.CharField(
        _("close reason"), max_length=8, choices=CloseReason.choices, blank=True, default=""
    )
    updated_on = models.DateField(_("changed on (EOD day)"))
    lead_loan_id = models.CharField(_("lead loan"), max_length=ID_LENGTH)
    strategy_version = models.IntegerField(_("strategy version"), null=True, blank=True)
    segment = models.CharField(_("segment"), max_length=NAME_LENGTH, blank=True, default="")
    path = models.CharField(_("treatment path"), max_length=NAME_LENGTH, blank=True, default="")
    arm = models.CharField(_("arm"), max_length=32, blank=True, default="")
    # Who works the case (the workbench, issue 5; row-level scoping: qingshou.apps.accounts.scoping).
    collector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_cases",
        verbose_name=_("collector"),
    )
    team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="cases", verbose_name=_("team")
    )
    agency = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("agency"),
    )
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("locked by"),
    )
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)

    class Meta:
        db_table = "qs_case"
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        constraints = (
            models.UniqueConstraint(fields=["borrower", "opened_on"], name="qs_case_borrower_opened"),
            models.UniqueConstraint(
                fields=["borrower"], condition=Q(status="open"), name="qs_case_one_open_per_borrower"
            ),
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(closed_on__gte=models.F("opened_on")),
                name="qs_case_closed_after_opened",
            ),
        )
        indexes = (
            models.Index(fields=["status", "segment"], name="qs_case_status_segment"),
            models.Index(fields=["opened_on"], name="qs_case_opened_on"),
        )

    def __str__(self) -> str:
        return f"{self.borrower_id} {self.opened_on}"


class CaseEvent(models.Model):
    """Something that happened to a case on an EOD day: opened, closed, (re)assigned by the strategy."""

    class Kind(models.TextChoices):
        OPENED = "opened", _("opened")
        CLOSED = "closed", _("closed")
        ASSIGNED = "assigned", _("assigned to a segment and path")
        PLAN_BREACHED = "plan_breached", _("repayment plan breached")
        LTV_EXCEEDED = "ltv_exceeded", _("collateral loan-to-value above the threshold")

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, db_column="case_id", related_name="events", verbose_name=_("case")
    )
    as_of = models.DateField(_("as of"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    segment = models.CharField(_("segment"), max_length=NAME_LENGTH, blank=True, default="")
    path = models.CharField(_("treatment path"), max_length=NAME_LENGTH, blank=True, default="")
    arm = models.CharField(_("arm"), max_length=32, blank=True, default="")
    strategy_version = models.IntegerField(_("strategy version"), null=True, blank=True)
    worst_dpd = models.IntegerField(_("worst days past due"))
    total_overdue_fen = models.BigIntegerField(_("total overdue (fen)"))
    detail = models.CharField(_("detail"), max_length=200, blank=True, default="")

    class Meta:
        db_table = "qs_case_event"
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        constraints = (
            models.UniqueConstraint(fields=["case", "as_of", "kind"], name="qs_case_event_once_a_day"),
        )
        indexes = (models.Index(fields=["as_of"], name="qs_case_event_as_of"),)


class Action(models.Model):
    """One action the strategy planned for a day, with the compliance decision on it (C8).

    ``outcome`` is ``allow`` / ``defer`` (``not_before`` says when) / ``refuse`` (``reason`` says why) for
    contacts (sms, email, letter, call) and ``allow`` for proposals, which contact nobody."""

    class Kind(models.TextChoices):
        SMS = "sms", _("SMS")
        EMAIL = "email", _("e-mail")
        LETTER = "letter", _("letter")
        CALL = "call", _("call task")
        FIELD_VISIT = "field_visit", _("field visit request")
        AGENCY_PLACEMENT = "agency_placement", _("agency placement proposal")
        LEGAL_REVIEW = "legal_review", _("legal review proposal")

    as_of = models.DateField(_("as of"))
    case = models.ForeignKey(
        Case,
        on_delete=models.CASCADE,
        db_column="case_id",
        related_name="actions",
        null=True,
        blank=True,
        verbose_name=_("case"),
    )
    borrower = models.ForeignKey(
        Borrower,
        on_delete=models.PROTECT,
        db_column="borrower_id",
        related_name="actions",
        verbose_name=_("borrower"),
    )
    loan_id = models.CharField(_("loan"), max_length=ID_LENGTH)
    segment = models.CharField(_("segment"), max_length=NAME_LENGTH)
    path = models.CharField(_("treatment path"), max_length=NAME_LENGTH)
    arm = models.CharField(_("arm"), max_length=32)
    step = models.CharField(_("step"), max_length=32)
    action = models.CharField(_("action"), max_length=20, choices=Kind.choices)
    template = models.CharField(_("template"), max_length=NAME_LENGTH, blank=True, default="")
    queue = models.CharField(_("queue"), max_length=NAME_LENGTH, blank=True, default="")
    priority = models.IntegerField(_("priority"))
    recipient = models.CharField(_("recipient"), max_length=500, blank=True, default="")
    planned_at = models.DateTimeField(_("planned at"))
    outcome = models.CharField(_("compliance outcome"), max_length=8)
    reason = models.CharField(_("compliance reason"), max_length=64, blank=True, default="")
    not_before = models.DateTimeField(_("not before"), null=True, blank=True)

    class Meta:
        db_table = "qs_action"
        verbose_name = _("planned action")
        verbose_name_plural = _("planned actions")
        constraints = (
            models.UniqueConstraint(fields=["as_of", "borrower", "step"], name="qs_action_once_a_day"),
        )
        indexes = (models.Index(fields=["as_of", "action"], name="qs_action_day_kind"),)


class Promise(models.Model):
    """A promise to pay taken on a case; its status is evaluated against posted payments (the workbench).
    Broken promises feed the strategy (``broken_promises``)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        KEPT = "kept", _("kept")
        PARTLY_KEPT = "partly_kept", _("partly kept")
        BROKEN = "broken", _("broken")

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, db_column="case_id", related_name="promises", verbose_name=_("case")
    )
    loan_id = models.CharField(_("loan"), max_length=ID_LENGTH, blank=True, default="")
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    due_on = models.DateField(_("due on"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.CharField(_("created by"), max_length=150, blank=True, default="")
    taken_on = models.DateField(_("taken on"), null=True, blank=True)
    evaluated_on = models.DateField(_("evaluated on"), null=True, blank=True)

    class Meta:
        db_table = "qs_promise"
        verbose_name = _("promise to pay")
        verbose_name_plural = _("promises to pay")
        constraints = (models.CheckConstraint(condition=Q(amount_fen__gt=0), name="qs_promise_positive"),)


# --- the workbench (issue 5): promise instalments, call-backs, what a collector recorded on a contact -------


class PromiseInstalment(models.Model):
    """One instalment of a promise to pay (amount and date), with its evaluation (``domain.promises``).

    ``Promise.amount_fen`` is the sum of its instalments and ``Promise.due_on`` the last instalment's date;
    ``Promise.status`` is the overall status."""

    promise = models.ForeignKey(
        Promise,
        on_delete=models.CASCADE,
        db_column="promise_id",
        related_name="instalments",
        verbose_name=_("promise to pay"),
    )
    seq = models.PositiveSmallIntegerField(_("number"))
    due_on = models.DateField(_("due on"))
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    status = models.CharField(
        _("status"), max_length=12, choices=Promise.Status.choices, default=Promise.Status.PENDING
    )
    covered_fen = models.BigIntegerField(_("received by the deadline (fen)"), default=0)

    class Meta:
        db_table = "qs_promise_instalment"
        verbose_name = _("promise instalment")
        verbose_name_plural = _("promise instalments")
        ordering = ("promise_id", "seq")
        constraints = (
            models.UniqueConstraint(fields=["promise", "seq"], name="qs_promise_instalment_seq"),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="qs_promise_instalment_positive"),
        )
        indexes = (models.Index(fields=["status"], name="qs_promise_instalment_status"),)


class CallBack(models.Model):
    """A call-back a collector agreed with the borrower: shown first in the queue on its day until done."""

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, db_column="case_id", related_name="callbacks", verbose_name=_("case")
    )
    at = models.DateTimeField(_("call back at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        db_table = "qs_callback"
        verbose_name = _("call-back")
        verbose_name_plural = _("call-backs")
        indexes = (models.Index(fields=["at"], name="qs_callback_at"),)


class ContactNote(models.Model):
    """What a person recorded with a contact attempt beyond its result: the reason for delinquency and notes.

    One per attempt a user started from the case page (``qs_contact_attempt`` keeps the decision and result)."""

    class Reason(models.TextChoices):
        UNEMPLOYMENT = "unemployment", _("unemployment")
        ILLNESS = "illness", _("illness")
        BUSINESS_FAILURE = "business_failure", _("business failure")
        DISPUTE = "dispute", _("dispute")
        REFUSAL = "refusal", _("refusal to pay")
        FORGOT = "forgot", _("forgot to pay")
        OTHER = "other", _("other")

    case = models.ForeignKey(
        Case,
        on_delete=models.CASCADE,
        db_column="case_id",
        related_name="contact_notes",
        verbose_name=_("case"),
    )
    attempt = models.OneToOneField(
        "contacts.ContactAttempt",
        on_delete=models.PROTECT,
        db_column="attempt_id",
        related_name="note",
        verbose_name=_("contact attempt"),
    )
    reason = models.CharField(_("reason for delinquency"), max_length=20, choices=Reason.choices, blank=True)
    notes = models.TextField(_("notes"), blank=True, default="")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        db_table = "qs_contact_note"
        verbose_name = _("contact note")
        verbose_name_plural = _("contact notes")
