"""Admin: score model versions are written by ``train_model`` and ``activate`` only (``qingshou model``, the
models page), and the day's scores by EOD, so the admin shows them read-only."""

from __future__ import annotations

from django.contrib import admin

from qingshou.apps.loans.admin import ReadOnlyAdmin
from qingshou.apps.scoring import models


@admin.register(models.ScoreModel)
class ScoreModelAdmin(ReadOnlyAdmin):
    list_display = ("kind", "version", "status", "dataset", "rows", "events", "trained_at", "activated_at")
    list_filter = ("kind", "status")
    search_fields = ("dataset", "artifact_sha256", "trained_by")


@admin.register(models.RiskScore)
class RiskScoreAdmin(ReadOnlyAdmin):
    list_display = ("borrower_id", "kind", "as_of", "model_version", "points", "probability_ppm", "reasons")
    list_filter = ("kind", "as_of")
    search_fields = ("borrower_id",)
