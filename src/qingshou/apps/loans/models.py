"""Loan-book models: the stored facts (products, borrowers, loans, schedules, payments, charges) and derived data.

Table names are explicit (``qs_…``) because the engine and the ADBC bulk adapters read and write them by name.
Money is integer **fen** (``BigIntegerField``, column suffix ``_fen``), rates and markups are
``Decimal(12, 8)``, dates are ``DateField``. The models hold data and invariants only; workflows live in
``qingshou.apps.loans.services``. ``to_…`` methods turn a row into the pure domain value the rules read.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from django.db import models
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qingshou.domain.classification import Restructuring
from qingshou.domain.limitation import INTERRUPTION_KINDS, Interruption
from qingshou.domain.loan import Charge as DomainCharge
from qingshou.domain.loan import ChargeKind, LoanTerms, PaymentKind, RepaymentMethod, ScheduledInstallment
from qingshou.domain.loan import Payment as DomainPayment
from qingshou.domain.money import Rounding, from_fen
from qingshou.domain.policy import (
    DEFAULT_WATERFALL,
    Component,
    Direction,
    DpdOrigin,
    HolidayRule,
    LoanClass,
    ProductKind,
    ProductPolicy,
)

ID_LENGTH = 64


def _choices(enum: type[StrEnum]) -> list[tuple[str, str]]:
    """``(value, value)`` pairs of a domain ``StrEnum``: the stored codes are the domain's codes."""
    return [(member.value, member.value) for member in enum]


class Product(models.Model):
    """A loan product and its policy parameters (conventions C2–C6); ``to_policy`` validates them."""

    product_id = models.CharField(_("product id"), max_length=ID_LENGTH, primary_key=True)
    name = models.CharField(_("name"), max_length=200, blank=True, default="")
    kind = models.CharField(
        _("kind"), max_length=16, choices=_choices(ProductKind), default=ProductKind.RETAIL.value
    )
    day_count = models.PositiveSmallIntegerField(
        _("day count"), choices=[(360, "360"), (365, "365")], default=360
    )
    penalty_markup = models.DecimalField(
        _("penalty markup"), max_digits=12, decimal_places=8, default=Decimal("0.5")
    )
    compound = models.BooleanField(_("compound interest"), default=True)
    grace_days = models.PositiveSmallIntegerField(_("grace days"), default=0)
    holiday_rule = models.CharField(
        _("holiday rule"), max_length=32, choices=_choices(HolidayRule), default=HolidayRule.NONE.value
    )
    dpd_origin = models.CharField(
        _("DPD origin"), max_length=16, choices=_choices(DpdOrigin), default=DpdOrigin.ORIGINAL.value
    )
    rounding = models.CharField(
        _("rounding"), max_length=16, choices=_choices(Rounding), default=Rounding.HALF_UP.value
    )
    waterfall = models.CharField(
        _("waterfall"), max_length=100, default=",".join(component.value for component in DEFAULT_WATERFALL)
    )
    allocation_direction = models.CharField(
        _("allocation direction"),
        max_length=16,
        choices=_choices(Direction),
        default=Direction.HORIZONTAL.value,
    )
    prepayment = models.BooleanField(_("prepayment allowed"), default=False)
    cap_charges_at_principal = models.BooleanField(_("cap charges at principal"), default=False)

    class Meta:
        db_table = "qs_product"
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ("product_id",)

    def __str__(self) -> str:
        return f"{self.product_id} {self.name}".strip()

    def to_policy(self) -> ProductPolicy:
        """The validated domain policy; ``PolicyError`` (naming the field) when a parameter is wrong."""
        return ProductPolicy.build(
            self.product_id,
            name=self.name,
            kind=self.kind,
            day_count=self.day_count,
            penalty_markup=Decimal(self.penalty_markup),
            compound=self.compound,
            grace_days=self.grace_days,
            holiday_rule=self.holiday_rule,
            dpd_origin=self.dpd_origin,
            rounding=self.rounding,
            waterfall=self.waterfall,
            direction=self.allocation_direction,
            prepayment=self.prepayment,
            cap_charges_at_principal=self.cap_charges_at_principal,
        )


class Borrower(models.Model):
    """A debtor as the core system knows them; extract columns we do not model are kept in ``extra``."""

    borrower_id = models.CharField(_("borrower id"), max_length=ID_LENGTH, primary_key=True)
    name = models.CharField(_("name"), max_length=200)
    id_number = models.CharField(_("ID number"), max_length=32, blank=True, default="")
    phone = models.CharField(_("phone"), max_length=32, blank=True, default="")
    address = models.CharField(_("address"), max_length=500, blank=True, default="")
    region = models.CharField(_("region"), max_length=100, blank=True, default="")
    employer = models.CharField(_("employer"), max_length=200, blank=True, default="")
    monthly_income_fen = models.BigIntegerField(_("monthly income (fen)"), null=True, blank=True)
    credit_score = models.IntegerField(_("credit score"), null=True, blank=True)
    extra = models.JSONField(_("extra columns"), default=dict, blank=True)

    class Meta:
        db_table = "qs_borrower"
        verbose_name = _("borrower")
        verbose_name_plural = _("borrowers")
        ordering = ("borrower_id",)
        # search (apps.records.search): exact lookups by phone, ID number or name, never a scan
        indexes = (
            models.Index(fields=["phone"], name="qs_borrower_phone_idx"),
            models.Index(fields=["id_number"], name="qs_borrower_id_number_idx"),
            models.Index(fields=["name"], name="qs_borrower_name_idx"),
        )

    def __str__(self) -> str:
        return f"{self.borrower_id} {self.name}"


class Loan(models.Model):
    """A loan contract; ``accelerated_on`` records that the lender called it early (C7) and
    ``acceleration_reason`` why. A plan's successor loan (issue 5, 重组 as a new contract) names its
    predecessor (``restructured_from``), the day (``restructured_on``, its disbursement day) and the
    predecessor's class at the end of that day (``class_at_restructuring``, a ``LoanClass`` value, C6)."""

    class AccelerationReason(models.TextChoices):
        NONE = "", _("none")
        LEGAL = "legal", _("legal action")
        RESTRUCTURING = "restructuring", _("restructuring")
        SETTLEMENT = "settlement", _("settlement")

    loan_id = models.CharField(_("loan id"), max_length=ID_LENGTH, primary_key=True)
    borrower = models.ForeignKey(
        Borrower,
        on_delete=models.PROTECT,
        db_column="borrower_id",
        related_name="loans",
        verbose_name=_("borrower"),
    )
    product = models.ForeignKey(
        Product,
        on_delete=models.PROTECT,
        db_column="product_id",
        related_name="loans",
        verbose_name=_("product"),
    )
    principal_fen = models.BigIntegerField(_("principal (fen)"))
    annual_rate = models.DecimalField(_("annual rate"), max_digits=12, decimal_places=8)
    disbursed_on = models.DateField(_("disbursed on"))
    term_months = models.PositiveIntegerField(_("term (months)"))
    repayment_method = models.CharField(
        _("repayment method"), max_length=32, choices=_choices(RepaymentMethod)
    )
    first_due_date = models.DateField(_("first due date"), null=True, blank=True)
    branch = models.CharField(_("branch"), max_length=100, blank=True, default="")
    channel = models.CharField(_("channel"), max_length=100, blank=True, default="")
    accelerated_on = models.DateField(_("accelerated on"), null=True, blank=True)
    acceleration_reason = models.CharField(
        _("acceleration reason"),
        max_length=16,
        choices=AccelerationReason.choices,
        blank=True,
        default="",
        db_default="",
    )
    restructured_from = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        db_column="restructured_from",
        related_name="successors",
        null=True,
        blank=True,
        verbose_name=_("restructured from"),
    )
    restructured_on = models.DateField(_("restructured on"), null=True, blank=True)
    class_at_restructuring = models.PositiveSmallIntegerField(
        _("class at restructuring"),
        choices=[(int(value), value.code) for value in LoanClass],
        null=True,
        blank=True,
    )
    extra = models.JSONField(_("extra columns"), default=dict, blank=True)

    class Meta:
        db_table = "qs_loan"
        verbose_name = _("loan")
        verbose_name_plural = _("loans")
        ordering = ("loan_id",)
        indexes = (models.Index(fields=["disbursed_on"], name="qs_loan_disbursed_idx"),)

    def __str__(self) -> str:
        return self.loan_id

    def to_terms(self) -> LoanTerms:
        """The domain's loan terms (principal in yuan at fen precision)."""
        return LoanTerms(
            loan_id=self.loan_id,
            product_id=self.product_id,
            principal=from_fen(self.principal_fen),
            annual_rate=Decimal(self.annual_rate),
            disbursed_on=self.disbursed_on,
            term_months=self.term_months,
            method=RepaymentMethod(self.repayment_method),
            first_due_date=self.first_due_date,
            accelerated_on=self.accelerated_on,
            borrower_id=self.borrower_id,
        )

    def to_restructurings(self) -> tuple[Restructuring, ...]:
        """The loan's restructuring for C6 (a successor loan: its day and the predecessor's class)."""
        if self.restructured_on is None:
            return ()
        known = self.class_at_restructuring
        return (Restructuring(self.restructured_on, LoanClass(known) if known is not None else None),)


class Installment(models.Model):
    """One installment of a loan's contractual schedule (given by the core system or generated)."""

    loan = models.ForeignKey(
        Loan,
        on_delete=models.CASCADE,
        db_column="loan_id",
        related_name="installments",
        verbose_name=_("loan"),
    )
    seq = models.PositiveIntegerField(_("seq"))
    due_date = models.DateField(_("due date"))
    principal_due_fen = models.BigIntegerField(_("principal due (fen)"))
    interest_due_fen = models.BigIntegerField(_("interest due (fen)"))
    fee_due_fen = models.BigIntegerField(_("fee due (fen)"), default=0, db_default=0)

    class Meta:
        db_table = "qs_installment"
        verbose_name = _("installment")
        verbose_name_plural = _("installments")
        ordering = ("loan_id", "seq")
        constraints = (models.UniqueConstraint(fields=["loan", "seq"], name="qs_installment_loan_seq_uniq"),)
        # by due date, covering the amounts: what falls due in a month (the report's cash flow, issue 7) is
        # read from the index alone, not from 28 M rows scattered over the table
        indexes = (
            models.Index(
                fields=["due_date", "principal_due_fen", "interest_due_fen"],
                name="qs_installment_due_amounts",
            ),
        )

    def __str__(self) -> str:
        return f"{self.loan_id}#{self.seq}"

    def to_installment(self) -> ScheduledInstallment:
        """The domain's scheduled installment (amounts in yuan)."""
        return ScheduledInstallment(
            seq=self.seq,
            due_date=self.due_date,
            principal_due=from_fen(self.principal_due_fen),
            interest_due=from_fen(self.interest_due_fen),
            fee_due=from_fen(self.fee_due_fen),
        )


class Payment(models.Model):
    """A payment of a loan. Immutable: the external ``payment_id`` posted twice is a no-op (C5).

    ``kind`` is ``cash`` (money received) or a non-cash kind an arrangement posts (``PaymentKind``: restructure,
    discount, waiver — issue 5); only cash counts as money collected. ``waives`` lists the components a waiver
    forgives, comma-separated (``Component`` values), blank otherwise."""

    class Source(models.TextChoices):
        LOAD = "load", _("extract load")
        API = "api", _("API")
        CLI = "cli", _("command line")
        ARRANGEMENT = "arr", _("arrangement")

    payment_id = models.CharField(_("payment id"), max_length=ID_LENGTH, unique=True)
    loan = models.ForeignKey(
        Loan, on_delete=models.PROTECT, db_column="loan_id", related_name="payments", verbose_name=_("loan")
    )
    paid_on = models.DateField(_("paid on"))
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    kind = models.CharField(
        _("kind"),
        max_length=16,
        choices=_choices(PaymentKind),
        default=PaymentKind.CASH.value,
        db_default="cash",
    )
    waives = models.CharField(_("waives"), max_length=40, blank=True, default="", db_default="")
    channel = models.CharField(_("channel"), max_length=100, blank=True, default="", db_default="")
    source = models.CharField(_("source"), max_length=8, choices=Source.choices, default=Source.LOAD)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_default=Now())

    class Meta:
        db_table = "qs_payment"
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ("loan_id", "paid_on", "payment_id")
        indexes = (models.Index(fields=["loan", "paid_on"], name="qs_payment_loan_paid_idx"),)

    def __str__(self) -> str:
        return self.payment_id

    def to_payment(self) -> DomainPayment:
        """The domain's payment (amount in yuan)."""
        return DomainPayment(
            payment_id=self.payment_id,
            paid_on=self.paid_on,
            amount=from_fen(self.amount_fen),
            kind=PaymentKind(self.kind),
            waives=frozenset(Component(name) for name in self.waives.split(",") if name),
        )


class Charge(models.Model):
    """A cost (实现债权的费用) or fee posted on a loan after origination (C5)."""

    charge_id = models.CharField(_("charge id"), max_length=ID_LENGTH, unique=True)
    loan = models.ForeignKey(
        Loan, on_delete=models.PROTECT, db_column="loan_id", related_name="charges", verbose_name=_("loan")
    )
    kind = models.CharField(_("kind"), max_length=8, choices=_choices(ChargeKind))
    posted_on = models.DateField(_("posted on"))
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    description = models.CharField(_("description"), max_length=500, blank=True, default="")

    class Meta:
        db_table = "qs_charge"
        verbose_name = _("charge")
        verbose_name_plural = _("charges")
        ordering = ("loan_id", "posted_on", "charge_id")
        indexes = (models.Index(fields=["loan", "posted_on"], name="qs_charge_loan_posted_idx"),)

    def __str__(self) -> str:
        return self.charge_id

    def to_charge(self) -> DomainCharge:
        """The domain's charge (amount in yuan)."""
        return DomainCharge(
            charge_id=self.charge_id,
            kind=ChargeKind(self.kind),
            posted_on=self.posted_on,
            amount=from_fen(self.amount_fen),
            description=self.description,
        )


class Allocation(models.Model):
    """Derived: how a payment was applied (C5). Recomputed per loan by the payment service, never edited.

    ``seq`` names the installment (null for a loan-level charge or an unapplied credit), ``charge_id`` the
    charge (costs/fees posted on the loan), ``component`` a waterfall component or another allocation target
    the payment service defines (e.g. an unapplied credit).
    """

    loan = models.ForeignKey(
        Loan,
        on_delete=models.CASCADE,
        db_column="loan_id",
        related_name="allocations",
        verbose_name=_("loan"),
    )
    payment_id = models.CharField(_("payment id"), max_length=ID_LENGTH)
    value_date = models.DateField(_("value date"))
    seq = models.PositiveIntegerField(_("seq"), null=True, blank=True)
    charge_id = models.CharField(_("charge id"), max_length=ID_LENGTH, null=True, blank=True)
    component = models.CharField(_("component"), max_length=16)
    amount_fen = models.BigIntegerField(_("amount (fen)"))

    class Meta:
        db_table = "qs_allocation"
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")
        ordering = ("loan_id", "value_date", "id")
        indexes = (
            models.Index(fields=["loan", "value_date"], name="qs_allocation_loan_value_idx"),
            models.Index(fields=["payment_id"], name="qs_allocation_payment_idx"),
        )

    def __str__(self) -> str:
        return f"{self.payment_id}→{self.component} {self.amount_fen}"


class LimitationInterruption(models.Model):
    """An act that interrupted the limitation period of the loan's claim on ``on`` (C7), with its evidence:
    a delivered demand, a promise to pay, a repayment plan, a suit filed … ``source`` names the act that
    proves it (e.g. ``outbox:<notice key>``) and is unique, so recording the same act twice is a no-op.
    Payments interrupt limitation by themselves (``domain.quote.payment_interruptions``) and are not stored
    here. The quote and the EOD engine read these rows."""

    loan = models.ForeignKey(
        Loan,
        on_delete=models.PROTECT,
        db_column="loan_id",
        related_name="limitation_interruptions",
        verbose_name=_("loan"),
    )
    on = models.DateField(_("on"))
    kind = models.CharField(
        _("kind"), max_length=32, choices=[(kind, kind) for kind in sorted(INTERRUPTION_KINDS)]
    )
    evidence = models.TextField(_("evidence"))
    source = models.CharField(_("source"), max_length=300, unique=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        db_table = "qs_limitation_interruption"
        verbose_name = _("limitation interruption")
        verbose_name_plural = _("limitation interruptions")
        ordering = ("loan_id", "on")
        indexes = (models.Index(fields=["loan", "on"], name="qs_limit_interrupt_loan_on"),)

    def __str__(self) -> str:
        return f"{self.loan_id} {self.on} {self.kind}"

    def to_interruption(self) -> Interruption:
        """The domain's interruption (its kind and evidence validated)."""
        return Interruption(on=self.on, kind=self.kind, evidence=self.evidence)


class CalendarYear(models.Model):
    """A year whose holidays the operator maintains (years ``chinesecalendar`` lacks, C2)."""

    year = models.PositiveSmallIntegerField(_("year"), primary_key=True)
    note = models.CharField(_("note"), max_length=200, blank=True, default="")

    class Meta:
        db_table = "qs_calendar_year"
        verbose_name = _("calendar year")
        verbose_name_plural = _("calendar years")
        ordering = ("year",)

    def __str__(self) -> str:
        return str(self.year)


class CalendarDay(models.Model):
    """An override day: a holiday (``is_workday`` false) or an adjusted workday (调休, ``is_workday`` true)."""

    day = models.DateField(_("day"), primary_key=True)
    is_workday = models.BooleanField(_("is a workday"))
    name = models.CharField(_("name"), max_length=100, blank=True, default="")

    class Meta:
        db_table = "qs_calendar_day"
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ("day",)

    def __str__(self) -> str:
        return f"{self.day} {'workday' if self.is_workday else 'holiday'} {self.name}".strip()


class LoadRun(models.Model):
    """One run of ``qingshou load``: when, which folder, counts per table and how it ended.

    ``counts`` is ``{table: {"accepted": n, "unchanged": n, "rejected": n, ...}}``; the totals repeat the sums.
    """

    class Status(models.TextChoices):
        RUNNING = "running", _("running")
        OK = "ok", _("all rows accepted")
        REJECTED = "rejected", _("some rows rejected")
        UNUSABLE = "unusable", _("input unusable")
        FAILED = "failed", _("failed")

    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    directory = models.CharField(_("directory"), max_length=1000)
    counts = models.JSONField(_("counts per table"), default=dict, blank=True)
    accepted = models.PositiveIntegerField(_("accepted"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    rejected = models.PositiveIntegerField(_("rejected"), default=0)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.RUNNING)
    message = models.TextField(_("message"), blank=True, default="")

    class Meta:
        db_table = "qs_load_run"
        verbose_name = _("load run")
        verbose_name_plural = _("load runs")
        ordering = ("-started_at",)

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} {self.directory} {self.status}"
