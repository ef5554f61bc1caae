"""Admin: the EOD records are written by the run service only, so the admin shows them read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from qingshou.apps.eod import models
from qingshou.apps.loans.admin import ReadOnlyAdmin


class EodErrorInline(admin.TabularInline):  # type: ignore[type-arg]
    model = models.EodError
    fields = ("loan_id", "code", "message")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(models.EodRun)
class EodRunAdmin(ReadOnlyAdmin):
    list_display = (
        "as_of",
        "engine",
        "status",
        "started_at",
        "finished_at",
        "loans_read",
        "snapshot_rows",
        "error_count",
        "delinquent_count",
    )
    list_filter = ("status", "engine")
    date_hierarchy = "as_of"
    inlines = (EodErrorInline,)


@admin.register(models.EodError)
class EodErrorAdmin(ReadOnlyAdmin):
    list_display = ("as_of", "loan_id", "code", "message", "run")
    list_filter = ("code",)
    search_fields = ("loan_id",)
    date_hierarchy = "as_of"


@admin.register(models.LoanStatus)
class LoanStatusAdmin(ReadOnlyAdmin):
    list_display = (
        "loan",
        "as_of",
        "dpd",
        "bucket",
        "classification",
        "stage",
        "total_overdue_fen",
        "outstanding_principal_fen",
    )
    list_filter = ("bucket", "classification", "stage", "delinquent")
    search_fields = ("loan__loan_id",)
