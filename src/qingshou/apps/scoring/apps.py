"""Django app configuration of the scoring app (label ``scoring``)."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScoringConfig(AppConfig):
    """Scorecard models (collection, early warning, application), versioned, and the book's daily scores (issue 8)."""

    name = "qingshou.apps.scoring"
    label = "scoring"
    verbose_name = _("Scoring")
    default_auto_field = "django.db.models.BigAutoField"
