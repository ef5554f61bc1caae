"""Notice models: the templates, the transactional outbox and the limitation interruptions it proves.

Table names are explicit (``qs_notice_template``, ``qs_outbox``, ``qs_limitation_interruption``) because the
EOD run writes the outbox in bulk through ADBC by name (``services.outbox.stage_outbox``). Money never
appears as a column here: an outbox row's ``payload`` holds the notice's figures as decimal strings and
days as integers (C9). The models hold data only; the workflows are in ``qingshou.apps.notices.services``.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qingshou.apps.loans.models import ID_LENGTH

KEY_LENGTH = 600


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("e-mail")
    LETTER = "letter", _("letter")


class Audience(models.TextChoices):
    DEBTOR = "debtor", _("debtor")
    THIRD_PARTY = "third_party", _("third party")


class NoticeTemplate(models.Model):
    """One version of a notice template for a channel and language. ``demand`` marks a demand for payment:
    delivered to the debtor it interrupts limitation (C7). Rows are checked against C8 when saved through
    ``services.templates.save_template``; the highest ``version`` of a (code, channel, language) is used."""

    code = models.CharField(_("code"), max_length=64)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    audience = models.CharField(_("audience"), max_length=16, choices=Audience.choices)
    language = models.CharField(_("language"), max_length=16, default="zh-hans")
    demand = models.BooleanField(_("demand for payment"), default=False)
    subject = models.CharField(_("subject"), max_length=300, blank=True, default="")
    body = models.TextField(_("body"))
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        db_table = "qs_notice_template"
        verbose_name = _("notice template")
        verbose_name_plural = _("notice templates")
        ordering = ("code", "channel", "language", "-version")
        constraints = (
            models.UniqueConstraint(
                fields=("code", "channel", "language", "version"), name="qs_notice_template_version_uniq"
            ),
        )

    def __str__(self) -> str:
        return f"{self.code} {self.channel} {self.language} v{self.version}"


class Outbox(models.Model):
    """A notice to send, and what became of it. ``key`` is unique per (as_of, action key, channel,
    recipient): a rerun of the day's EOD stages the same keys and sends nothing twice.

    Life cycle: pending → sending (claimed by one worker) → sent → delivered (callback or receipt); a
    transient failure puts it back to pending with ``next_attempt_at`` later; a permanent failure or the
    last attempt makes it failed; undeliverable is reported by the gateway or the post. A row left in
    sending longer than the lease (the worker died mid-send: ``claimed_at``) is failed as "outcome unknown"
    by the next relay, never sent again automatically (``services.sending.fail_stalled``)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        DELIVERED = "delivered", _("delivered")
        FAILED = "failed", _("failed")
        UNDELIVERABLE = "undeliverable", _("undeliverable")

    key = models.CharField(_("key"), max_length=KEY_LENGTH, unique=True)
    as_of = models.DateField(_("as of"))
    action_key = models.CharField(_("action key"), max_length=200)
    borrower_id = models.CharField(_("borrower id"), max_length=ID_LENGTH)
    loan_id = models.CharField(_("loan id"), max_length=ID_LENGTH, blank=True, default="")
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    audience = models.CharField(_("audience"), max_length=16, choices=Audience.choices)
    recipient = models.CharField(_("recipient"), max_length=400)
    template_code = models.CharField(_("template"), max_length=64)
    language = models.CharField(_("language"), max_length=16, default="zh-hans")
    payload = models.JSONField(_("payload"), default=dict)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True, default="")
    template = models.ForeignKey(
        NoticeTemplate,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_column="template_id",
        related_name="+",
        verbose_name=_("template version sent"),
    )
    subject = models.CharField(_("subject sent"), max_length=300, blank=True, default="")
    content = models.TextField(_("content sent"), blank=True, default="")
    provider_message_id = models.CharField(_("provider message id"), max_length=200, blank=True, default="")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    evidence = models.TextField(_("evidence"), blank=True, default="")

    class Meta:
        db_table = "qs_outbox"
        verbose_name = _("outbox notice")
        verbose_name_plural = _("outbox")
        ordering = ("next_attempt_at", "id")
        indexes = (
            models.Index(fields=["status", "next_attempt_at"], name="qs_outbox_due_idx"),
            models.Index(fields=["provider_message_id"], name="qs_outbox_provider_idx"),
            models.Index(fields=["as_of"], name="qs_outbox_as_of_idx"),
            # the case page's "notices sent" and its letters: one borrower's rows, newest first
            models.Index(fields=["borrower_id", "as_of"], name="qs_outbox_borrower_idx"),
        )

    def __str__(self) -> str:
        return f"{self.key} {self.status}"
