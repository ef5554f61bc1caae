"""Admin: assessments are written by ``services.assess`` only (``POST /api/assess``, ``qingshou assess``), so the
admin shows them read-only — the stored answer, the features scored (the model's features only: no name, ID
number or phone) and who asked."""

from __future__ import annotations

from django.contrib import admin

from qingshou.apps.assessment import models
from qingshou.apps.loans.admin import ReadOnlyAdmin


@admin.register(models.Assessment)
class AssessmentAdmin(ReadOnlyAdmin):
    list_display = (
        "application_id",
        "created_at",
        "grade",
        "decision",
        "probability_ppm",
        "points",
        "annual_rate",
        "model_version",
        "requested_by",
    )
    list_filter = ("decision", "grade", "model_version")
    search_fields = ("application_id",)
    date_hierarchy = "created_at"
    list_select_related = ("requested_by",)
