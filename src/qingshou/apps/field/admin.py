"""Admin of the field app: read-only (visits change through the services, which audit every change)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from qingshou.apps.field.models import VisitAgent, VisitPhoto, VisitReport, VisitRequest
from qingshou.apps.loans.admin import ReadOnlyAdmin


class VisitAgentInline(admin.TabularInline):  # type: ignore[type-arg]
    model = VisitAgent
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(VisitRequest)
class VisitRequestAdmin(ReadOnlyAdmin):
    list_display = ("id", "case", "source", "status", "region", "due_by", "scheduled_at")
    list_filter = ("status", "source", "region")
    inlines = (VisitAgentInline,)


@admin.register(VisitReport)
class VisitReportAdmin(ReadOnlyAdmin):
    list_display = ("visit", "visited_at", "met", "address_valid", "filed_by")
    list_filter = ("met", "address_valid")


@admin.register(VisitPhoto)
class VisitPhotoAdmin(ReadOnlyAdmin):
    list_display = ("id", "report", "content_type", "size", "uploaded_at")
