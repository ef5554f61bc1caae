"""Contacts: the people a borrower may be reached through, and every contact attempt with its compliance
decision (C8).

``ContactParty`` (``qs_contact_party``) is a person tied to a borrower — the debtor, a guarantor or a third
party (contact person, employer, relative) — with one phone / e-mail / address, the time zone they live in,
their consent to contact in quiet hours and the stop flags. ``ContactAttempt`` (``qs_contact_attempt``) is
append-only: every planned or attempted contact, whoever started it (the engine, a user, an agency), with the
decision of ``domain.compliance.check`` (a refusal is stored with its reason), and once the attempt was made,
its result. Rows are never deleted and a decision is never changed; the result is written once
(``services.record_result``). The models hold data only; the workflow is ``qingshou.apps.contacts.services``.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qingshou.apps.loans.models import Borrower, Loan
from qingshou.domain.compliance import Channel, Outcome, PartyKind


def _choices(values: type[Channel] | type[PartyKind] | type[Outcome]) -> list[tuple[str, str]]:
    return [(member.value, member.value) for member in values]


class ContactParty(models.Model):
    """A person a borrower's collection may contact, with their contact data and the flags the rules read."""

    borrower = models.ForeignKey(
        Borrower,
        on_delete=models.PROTECT,
        db_column="borrower_id",
        related_name="contact_parties",
        verbose_name=_("borrower"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=_choices(PartyKind))
    name = models.CharField(_("name"), max_length=200, blank=True, default="")
    relation = models.CharField(_("relation to the borrower"), max_length=100, blank=True, default="")
    phone = models.CharField(_("phone"), max_length=32, blank=True, default="")
    email = models.CharField(_("e-mail"), max_length=254, blank=True, default="")
    address = models.CharField(_("postal address"), max_length=500, blank=True, default="")
    time_zone = models.CharField(
        _("time zone"), max_length=64, blank=True, default="", help_text=_("IANA name; empty: the profile's")
    )
    quiet_hours_consent = models.BooleanField(_("agreed to contact in quiet hours"), default=False)
    do_not_contact = models.BooleanField(_("do not contact"), default=False)
    stop_requested = models.BooleanField(_("asked to stop contact"), default=False)
    number_invalid = models.BooleanField(_("number invalid"), default=False)
    deceased_or_incapacitated = models.BooleanField(_("deceased or incapacitated"), default=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        db_table = "qs_contact_party"
        verbose_name = _("contact party")
        verbose_name_plural = _("contact parties")
        ordering = ("borrower_id", "id")
        indexes = (models.Index(fields=["borrower", "kind"], name="qs_contact_party_kind_idx"),)

    def __str__(self) -> str:
        return f"{self.borrower_id} {self.kind} {self.name}"


class ContactAttempt(models.Model):
    """One planned or attempted contact and its compliance decision; after the attempt, its result.

    ``local_day`` is the contacted person's local day of ``attempted_at`` (or of ``planned_at`` before the
    attempt): the day the daily caps count it on."""

    class Initiator(models.TextChoices):
        ENGINE = "engine", _("engine")
        USER = "user", _("user")
        AGENCY = "agency", _("agency")

    class Result(models.TextChoices):
        CONNECTED = "connected", _("connected with the right party")
        WRONG_PARTY = "wrong_party", _("wrong party")
        NO_ANSWER = "no_answer", _("no answer")
        BUSY = "busy", _("busy")
        INVALID_NUMBER = "invalid_number", _("invalid number")
        DELIVERED = "delivered", _("delivered")
        UNDELIVERED = "undelivered", _("undelivered")

    initiator = models.CharField(_("started by"), max_length=16, choices=Initiator.choices)
    initiator_id = models.CharField(_("user or agency id"), max_length=100, blank=True, default="")
    borrower = models.ForeignKey(
        Borrower,
        on_delete=models.PROTECT,
        db_column="borrower_id",
        related_name="contact_attempts",
        verbose_name=_("borrower"),
    )
    loan = models.ForeignKey(
        Loan,
        on_delete=models.PROTECT,
        db_column="loan_id",
        related_name="contact_attempts",
        verbose_name=_("loan"),
    )
    party = models.ForeignKey(
        ContactParty,
        on_delete=models.PROTECT,
        db_column="party_id",
        related_name="attempts",
        verbose_name=_("party"),
    )
    party_kind = models.CharField(_("party kind"), max_length=16, choices=_choices(PartyKind))
    channel = models.CharField(_("channel"), max_length=16, choices=_choices(Channel))
    address = models.CharField(_("number or address"), max_length=500)
    time_zone = models.CharField(_("time zone used"), max_length=64)
    planned_at = models.DateTimeField(_("planned at"))
    local_day = models.DateField(_("local day"))
    mentions_debt = models.BooleanField(_("mentions the debt"), default=True)
    threatens_legal_action = models.BooleanField(_("threatens legal action"), default=False)
    collectors = models.PositiveSmallIntegerField(_("collectors on the visit"), default=0)
    time_barred = models.BooleanField(_("debt time-barred"), default=False)
    profile = models.CharField(_("compliance profile"), max_length=32)
    outcome = models.CharField(_("decision"), max_length=8, choices=_choices(Outcome))
    reason = models.CharField(_("reason"), max_length=64)
    deferred_to = models.DateTimeField(_("deferred to"), null=True, blank=True)
    checked_at = models.DateTimeField(_("checked at"), default=timezone.now)
    attempted_at = models.DateTimeField(_("attempted at"), null=True, blank=True)
    result = models.CharField(_("result"), max_length=16, choices=Result.choices, blank=True, default="")
    conversation_about_debt = models.BooleanField(_("conversation about the debt"), null=True, blank=True)
    result_recorded_at = models.DateTimeField(_("result recorded at"), null=True, blank=True)

    class Meta:
        db_table = "qs_contact_attempt"
        verbose_name = _("contact attempt")
        verbose_name_plural = _("contact attempts")
        ordering = ("planned_at", "id")
        indexes = (
            models.Index(fields=["borrower", "local_day"], name="qs_contact_attempt_day_idx"),
            models.Index(fields=["local_day", "outcome"], name="qs_contact_attempt_outcome_idx"),
        )

    def __str__(self) -> str:
        return f"{self.planned_at:%Y-%m-%d %H:%M} {self.channel} {self.party_id} {self.outcome}"
