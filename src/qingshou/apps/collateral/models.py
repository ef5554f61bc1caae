"""Models of the collateral app (issue 6): the register, the loans each collateral secures (lien rank),
appraisal history, disposals with their auction rounds and the allocation of the proceeds, and the daily
loan-to-value rows written by EOD.

Money in integer fen (``*_fen``). The owner's name and ID number are personal data: pages show them masked
(``qingshou.domain.privacy``) like the borrower's — the owner may be a third party (``third_party``). The
rules (haircuts, the auction price sequence, the proceeds) are ``qingshou.domain.collateral``; only
``services`` write these rows (EOD writes ``qs_collateral_ltv`` through its store connection).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qingshou.apps.loans.models import ID_LENGTH, Loan
from qingshou.domain.collateral import CollateralKind, RoundResult


class Collateral(models.Model):
    """One asset in the register (module docstring)."""

    class KindChoice(models.TextChoices):
        REAL_ESTATE = CollateralKind.REAL_ESTATE.value, _("real estate")
        VEHICLE = CollateralKind.VEHICLE.value, _("vehicle")
        EQUIPMENT = CollateralKind.EQUIPMENT.value, _("equipment")
        INVENTORY = CollateralKind.INVENTORY.value, _("inventory")
        DEPOSIT = CollateralKind.DEPOSIT.value, _("deposit / certificate pledge")
        EQUITY = CollateralKind.EQUITY.value, _("equity pledge")
        RECEIVABLES = CollateralKind.RECEIVABLES.value, _("receivables pledge")
        OTHER = CollateralKind.OTHER.value, _("other")

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        DISPOSING = "disposing", _("in disposal")
        DISPOSED = "disposed", _("disposed")
        RELEASED = "released", _("released")

    kind = models.CharField(_("kind"), max_length=16, choices=KindChoice.choices)
    description = models.CharField(_("description"), max_length=500)
    owner_name = models.CharField(_("owner name"), max_length=200)
    owner_id_number = models.CharField(_("owner ID number"), max_length=32, blank=True, default="")
    third_party = models.BooleanField(_("owned by a third party"), default=False)
    lien_number = models.CharField(_("lien registration number"), max_length=100, blank=True, default="")
    lien_authority = models.CharField(_("registration authority"), max_length=200, blank=True, default="")
    lien_registered_on = models.DateField(_("registered on"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("registered by")
    )
    registered_at = models.DateTimeField(_("registered at"), default=timezone.now)

    class Meta:
        db_table = "qs_collateral"
        verbose_name = _("collateral")
        verbose_name_plural = _("collateral")
        permissions = (("manage_collateral", _("Can register, appraise and dispose of collateral")),)

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} {self.description[:40]}"


class CollateralLoan(models.Model):
    """A loan a collateral secures, with the lien rank (1 = first lien; equal ranks share pro rata)."""

    collateral = models.ForeignKey(
        Collateral, on_delete=models.CASCADE, related_name="links", verbose_name=_("collateral")
    )
    loan = models.ForeignKey(
        Loan,
        on_delete=models.PROTECT,
        db_column="loan_id",
        related_name="collateral_links",
        verbose_name=_("loan"),
    )
    rank = models.PositiveSmallIntegerField(_("lien rank"), default=1)

    class Meta:
        db_table = "qs_collateral_loan"
        verbose_name = _("secured loan")
        verbose_name_plural = _("secured loans")
        constraints = (
            models.UniqueConstraint(fields=["collateral", "loan"], name="qs_collateral_loan_once"),
            models.CheckConstraint(condition=Q(rank__gte=1), name="qs_collateral_loan_rank"),
        )


class Appraisal(models.Model):
    """One appraisal (or reference price, 参考价) of a collateral; the latest by date counts."""

    collateral = models.ForeignKey(
        Collateral, on_delete=models.CASCADE, related_name="appraisals", verbose_name=_("collateral")
    )
    appraised_on = models.DateField(_("appraised on"))
    value_fen = models.BigIntegerField(_("value (fen)"))
    appraiser = models.CharField(_("appraiser"), max_length=200)
    method = models.CharField(_("method"), max_length=100, blank=True, default="")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        db_table = "qs_collateral_appraisal"
        verbose_name = _("appraisal")
        verbose_name_plural = _("appraisals")
        constraints = (
            models.CheckConstraint(condition=Q(value_fen__gte=0), name="qs_collateral_appraisal_value"),
        )
        indexes = (models.Index(fields=["collateral", "appraised_on"], name="qs_collateral_appraisal_day"),)


class Disposal(models.Model):
    """The disposal of a collateral: the appraisal it uses, its rounds, the outcome and the proceeds."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        SOLD = "sold", _("sold")
        TRANSFERRED = "transferred", _("transferred in lieu")
        RELEASED = "released", _("released")

    collateral = models.ForeignKey(
        Collateral, on_delete=models.PROTECT, related_name="disposals", verbose_name=_("collateral")
    )
    started_on = models.DateField(_("started on"))
    appraisal = models.ForeignKey(
        Appraisal, on_delete=models.PROTECT, related_name="+", verbose_name=_("appraisal used")
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    #: How a sold collateral was sold: ``auction`` (a round) or ``sale`` (变卖 after the second round failed).
    sold_via = models.CharField(_("sold via"), max_length=8, blank=True, default="")
    price_fen = models.BigIntegerField(_("price (fen)"), null=True, blank=True)
    costs_fen = models.BigIntegerField(_("disposal costs (fen)"), default=0)
    buyer = models.CharField(_("buyer / taker"), max_length=200, blank=True, default="")
    surplus_fen = models.BigIntegerField(_("surplus to the owner (fen)"), default=0)
    surplus_returned_on = models.DateField(_("surplus returned on"), null=True, blank=True)
    surplus_reference = models.CharField(
        _("surplus transfer reference"), max_length=100, blank=True, default=""
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("started by")
    )

    class Meta:
        db_table = "qs_collateral_disposal"
        verbose_name = _("disposal")
        verbose_name_plural = _("disposals")
        constraints = (
            models.UniqueConstraint(
                fields=["collateral"], condition=Q(status="open"), name="qs_collateral_disposal_one_open"
            ),
            models.CheckConstraint(
                condition=Q(costs_fen__gte=0) & Q(surplus_fen__gte=0), name="qs_collateral_disposal_amounts"
            ),
        )

    def payment_id(self, loan_id: str) -> str:
        """The idempotent payment id of this disposal's proceeds on ``loan_id``."""
        return f"collateral:{self.pk}:{loan_id}"


class AuctionRound(models.Model):
    """One auction round (or the 变卖 stage, ``sale``) of a disposal, in the order held."""

    class Result(models.TextChoices):
        PENDING = RoundResult.PENDING.value, _("pending")
        SOLD = RoundResult.SOLD.value, _("sold")
        FAILED = RoundResult.FAILED.value, _("failed (流拍)")
        WITHDRAWN = RoundResult.WITHDRAWN.value, _("withdrawn")

    disposal = models.ForeignKey(
        Disposal, on_delete=models.CASCADE, related_name="rounds", verbose_name=_("disposal")
    )
    number = models.PositiveSmallIntegerField(_("round"))
    stage = models.PositiveSmallIntegerField(_("auction stage"))
    starting_price_fen = models.BigIntegerField(_("starting price (fen)"))
    held_on = models.DateField(_("held on"))
    result = models.CharField(_("result"), max_length=12, choices=Result.choices, default=Result.PENDING)
    sale_price_fen = models.BigIntegerField(_("sale price (fen)"), null=True, blank=True)

    class Meta:
        db_table = "qs_collateral_auction_round"
        verbose_name = _("auction round")
        verbose_name_plural = _("auction rounds")
        ordering = ("disposal", "number")
        constraints = (
            models.UniqueConstraint(fields=["disposal", "number"], name="qs_collateral_round_once"),
        )


class ProceedsAllocation(models.Model):
    """What a disposal's net proceeds paid on one secured loan (posted as the cash payment ``payment_id``)."""

    disposal = models.ForeignKey(
        Disposal, on_delete=models.CASCADE, related_name="allocations", verbose_name=_("disposal")
    )
    loan = models.ForeignKey(
        Loan, on_delete=models.PROTECT, db_column="loan_id", related_name="+", verbose_name=_("loan")
    )
    rank = models.PositiveSmallIntegerField(_("lien rank"))
    claim_fen = models.BigIntegerField(_("claim (fen)"))
    applied_fen = models.BigIntegerField(_("applied (fen)"))
    deficiency_fen = models.BigIntegerField(_("deficiency (fen)"))
    payment_id = models.CharField(_("payment id"), max_length=ID_LENGTH, blank=True, default="")

    class Meta:
        db_table = "qs_collateral_allocation"
        verbose_name = _("proceeds allocation")
        verbose_name_plural = _("proceeds allocations")
        constraints = (
            models.UniqueConstraint(fields=["disposal", "loan"], name="qs_collateral_allocation_once"),
        )


class LoanToValue(models.Model):
    """A secured loan's cover at the end of a day (EOD, replaced for the day): exposure (the snapshot's payoff),
    the appraisal of its collaterals, the exposure ranked before it, the realisable value it gets, the
    shortfall and the LTV in basis points (null: no value)."""

    as_of = models.DateField(_("as of"))
    loan_id = models.CharField(_("loan id"), max_length=ID_LENGTH)
    exposure_fen = models.BigIntegerField(_("exposure (fen)"))
    value_fen = models.BigIntegerField(_("collateral value (fen)"))
    prior_fen = models.BigIntegerField(_("ranked before (fen)"))
    covered_fen = models.BigIntegerField(_("covered after haircut (fen)"))
    shortfall_fen = models.BigIntegerField(_("shortfall (fen)"))
    ltv_bp = models.BigIntegerField(_("LTV (basis points)"), null=True, blank=True)
    over_threshold = models.BooleanField(_("over the LTV threshold"), default=False)

    class Meta:
        db_table = "qs_collateral_ltv"
        verbose_name = _("loan-to-value")
        verbose_name_plural = _("loan-to-value")
        constraints = (models.UniqueConstraint(fields=["as_of", "loan_id"], name="qs_collateral_ltv_once"),)
        indexes = (models.Index(fields=["loan_id", "as_of"], name="qs_collateral_ltv_loan"),)
