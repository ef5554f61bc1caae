"""Admin: reference data (products, calendar overrides) is editable; the loan book is read-only here.

Loans, schedules and payments change only through the load and payment services, so the admin shows
them without add, change or delete permissions.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms import ModelForm
from django.http import HttpRequest

from qingshou.apps.loans import models
from qingshou.domain.errors import DomainError


class ProductForm(ModelForm):  # type: ignore[type-arg]
    """Validates a product with the domain's ``ProductPolicy.build`` so the admin cannot store a bad policy."""

    class Meta:
        model = models.Product
        fields = "__all__"

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        if self.errors:
            return cleaned
        candidate = models.Product(**{k: v for k, v in cleaned.items() if k in _product_fields()})
        try:
            candidate.to_policy()
        except DomainError as error:
            field = error.field if error.field in _product_fields() else None
            if field == "direction":
                field = "allocation_direction"
            raise ValidationError({field: error.message} if field else error.message) from None
        return cleaned


def _product_fields() -> set[str]:
    return {field.name for field in models.Product._meta.get_fields()}


@admin.register(models.Product)
class ProductAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = ProductForm
    list_display = ("product_id", "name", "kind", "day_count", "penalty_markup", "grace_days", "holiday_rule")
    list_filter = ("kind", "holiday_rule")
    search_fields = ("product_id", "name")


@admin.register(models.CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("year", "note")


@admin.register(models.CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("day", "is_workday", "name")
    list_filter = ("is_workday",)
    date_hierarchy = "day"


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """View-only: the rows are written by services, never by hand."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class InstallmentInline(admin.TabularInline):  # type: ignore[type-arg]
    model = models.Installment
    fields = ("seq", "due_date", "principal_due_fen", "interest_due_fen", "fee_due_fen")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(models.Borrower)
class BorrowerAdmin(ReadOnlyAdmin):
    list_display = ("borrower_id", "name", "region", "phone")
    search_fields = ("borrower_id", "name", "phone")


@admin.register(models.Loan)
class LoanAdmin(ReadOnlyAdmin):
    list_display = (
        "loan_id",
        "borrower",
        "product",
        "principal_fen",
        "annual_rate",
        "disbursed_on",
        "term_months",
    )
    list_filter = ("product", "repayment_method", "branch", "acceleration_reason")
    search_fields = ("loan_id", "borrower__borrower_id", "borrower__name")
    list_select_related = ("borrower", "product")
    inlines = (InstallmentInline,)


@admin.register(models.Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ("payment_id", "loan", "paid_on", "amount_fen", "kind", "channel", "source")
    list_filter = ("source", "kind")
    search_fields = ("payment_id", "loan__loan_id")
    date_hierarchy = "paid_on"


@admin.register(models.Charge)
class ChargeAdmin(ReadOnlyAdmin):
    list_display = ("charge_id", "loan", "kind", "posted_on", "amount_fen")
    search_fields = ("charge_id", "loan__loan_id")


@admin.register(models.LoadRun)
class LoadRunAdmin(ReadOnlyAdmin):
    list_display = ("started_at", "finished_at", "directory", "accepted", "unchanged", "rejected", "status")
    list_filter = ("status",)


@admin.register(models.LimitationInterruption)
class LimitationInterruptionAdmin(ReadOnlyAdmin):
    list_display = ("loan_id", "on", "kind", "source", "created_at")
    list_filter = ("kind",)
    search_fields = ("loan__loan_id", "source")
    date_hierarchy = "on"
