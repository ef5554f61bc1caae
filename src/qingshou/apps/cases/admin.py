"""Admin: cases, their events and the day's plans are written by EOD only, so the admin shows them read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from qingshou.apps.cases import models
from qingshou.apps.loans.admin import ReadOnlyAdmin


class CaseEventInline(admin.TabularInline):  # type: ignore[type-arg]
    model = models.CaseEvent
    fields = ("as_of", "kind", "segment", "path", "arm", "strategy_version", "worst_dpd", "total_overdue_fen")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(models.Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = (
        "borrower",
        "status",
        "opened_on",
        "closed_on",
        "close_reason",
        "lead_loan_id",
        "segment",
        "path",
        "arm",
    )
    list_filter = ("status", "close_reason", "segment", "arm")
    search_fields = ("borrower__borrower_id",)
    date_hierarchy = "opened_on"
    inlines = (CaseEventInline,)


@admin.register(models.Action)
class ActionAdmin(ReadOnlyAdmin):
    list_display = (
        "as_of",
        "borrower",
        "action",
        "step",
        "segment",
        "path",
        "arm",
        "priority",
        "outcome",
        "reason",
    )
    list_filter = ("action", "outcome", "segment", "arm")
    search_fields = ("borrower__borrower_id", "loan_id")
    date_hierarchy = "as_of"


@admin.register(models.Promise)
class PromiseAdmin(ReadOnlyAdmin):
    list_display = ("case", "loan_id", "amount_fen", "due_on", "status", "created_by")
    list_filter = ("status",)
