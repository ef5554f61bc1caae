"""Django app configuration of the assessment app (label ``assessment``)."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentConfig(AppConfig):
    """Credit assessment at origination: grade, probability of default, reasons and risk-based price (issue 8)."""

    name = "qingshou.apps.assessment"
    label = "assessment"
    verbose_name = _("Credit assessment")
    default_auto_field = "django.db.models.BigAutoField"
