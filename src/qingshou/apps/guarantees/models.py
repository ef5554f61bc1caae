"""Guarantees on loans (``qs_guarantee``), the acts against them (``qs_guarantor_demand``) and the EOD reminders
before a guarantee period ends (``qs_guarantee_reminder``).

The guarantor is a ``contacts.ContactParty`` of kind ``guarantor`` of the borrower: contacting them goes through
the one compliance check (C8) like every contact, and their name and phone are masked wherever the party is
shown. The period's rules are ``qingshou.domain.guarantees`` (C7, Civil Code art. 692–693). Money in fen.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qingshou.apps.cases.models import Case
from qingshou.apps.contacts.models import ContactParty
from qingshou.apps.loans.models import Loan
from qingshou.domain.guarantees import Act, GuaranteeKind


class Guarantee(models.Model):
    """One guarantor's guarantee of one loan: kind, cap (empty: the whole debt) and the agreed end of the
    guarantee period (empty: none agreed, 6 months after the principal's due date, C7)."""

    class KindChoice(models.TextChoices):
        GENERAL = GuaranteeKind.GENERAL.value, _("general guarantee (一般保证)")
        JOINT = GuaranteeKind.JOINT.value, _("joint and several liability guarantee (连带责任保证)")

    loan = models.ForeignKey(
        Loan, on_delete=models.PROTECT, db_column="loan_id", related_name="guarantees", verbose_name=_("loan")
    )
    party = models.ForeignKey(
        ContactParty,
        on_delete=models.PROTECT,
        related_name="guarantees",
        verbose_name=_("guarantor"),
    )
    kind = models.CharField(_("kind"), max_length=8, choices=KindChoice.choices)
    cap_fen = models.BigIntegerField(_("cap (fen)"), null=True, blank=True)
    agreed_end = models.DateField(_("agreed end of the guarantee period"), null=True, blank=True)
    contract_ref = models.CharField(_("guarantee contract"), max_length=100, blank=True, default="")
    note = models.CharField(_("note"), max_length=500, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        db_table = "qs_guarantee"
        verbose_name = _("guarantee")
        verbose_name_plural = _("guarantees")
        constraints = (
            models.CheckConstraint(
                condition=Q(cap_fen__isnull=True) | Q(cap_fen__gt=0), name="qs_guarantee_cap"
            ),
            models.UniqueConstraint(fields=["loan", "party"], name="qs_guarantee_once_per_party"),
        )

    def __str__(self) -> str:
        return f"guarantee #{self.pk} {self.loan_id} ({self.kind})"


class GuarantorDemand(models.Model):
    """An act against a guarantee on a day: a demand on the guarantor, or a suit / arbitration against the
    debtor, with its channel and evidence; ``preserves`` is what the domain said (art. 693)."""

    class ActChoice(models.TextChoices):
        DEMAND = Act.DEMAND.value, _("demand on the guarantor")
        SUIT = Act.SUIT.value, _("suit against the debtor")
        ARBITRATION = Act.ARBITRATION.value, _("arbitration against the debtor")

    class Channel(models.TextChoices):
        LETTER = "letter", _("registered letter")
        SMS = "sms", _("SMS")
        EMAIL = "email", _("e-mail")
        IN_PERSON = "in_person", _("delivered in person")
        NOTARY = "notary", _("notarised delivery")
        COURT = "court", _("court filing")

    guarantee = models.ForeignKey(
        Guarantee, on_delete=models.PROTECT, related_name="demands", verbose_name=_("guarantee")
    )
    on = models.DateField(_("date"))
    act = models.CharField(_("act"), max_length=12, choices=ActChoice.choices, default=ActChoice.DEMAND)
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    evidence = models.CharField(_("evidence"), max_length=500)
    delivered = models.BooleanField(_("delivered"), default=False)
    preserves = models.BooleanField(_("preserves the guarantee"), default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        db_table = "qs_guarantor_demand"
        verbose_name = _("demand on a guarantor")
        verbose_name_plural = _("demands on guarantors")
        ordering = ("on", "pk")


class GuaranteeReminder(models.Model):
    """A reminder EOD recorded on ``as_of`` that a guarantee period ends soon (one per guarantee and day)."""

    guarantee = models.ForeignKey(
        Guarantee, on_delete=models.CASCADE, related_name="reminders", verbose_name=_("guarantee")
    )
    case = models.ForeignKey(
        Case,
        on_delete=models.SET_NULL,
        db_column="case_id",
        null=True,
        blank=True,
        related_name="guarantee_reminders",
        verbose_name=_("case"),
    )
    as_of = models.DateField(_("as of"))
    reminder_day = models.DateField(_("reminder day"))
    period_last_day = models.DateField(_("last day of the guarantee period"))
    days_left = models.IntegerField(_("days left"))

    class Meta:
        db_table = "qs_guarantee_reminder"
        verbose_name = _("guarantee period reminder")
        verbose_name_plural = _("guarantee period reminders")
        constraints = (
            models.UniqueConstraint(fields=["guarantee", "as_of"], name="qs_guarantee_reminder_once_a_day"),
        )
