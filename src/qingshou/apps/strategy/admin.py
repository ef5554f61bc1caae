"""Admin: strategy versions are written by ``apply_strategy`` only (``qingshou strategy apply``), so the
admin shows them read-only — the record champion/challenger results are compared against."""

from __future__ import annotations

from django.contrib import admin

from qingshou.apps.loans.admin import ReadOnlyAdmin
from qingshou.apps.strategy import models


@admin.register(models.StrategyVersion)
class StrategyVersionAdmin(ReadOnlyAdmin):
    list_display = ("version", "name", "active", "applied_at", "applied_by", "sha256")
    list_filter = ("active", "name")
    search_fields = ("name", "applied_by", "sha256")
