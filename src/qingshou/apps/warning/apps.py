"""Django app configuration of the warning app (label ``warning``)."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WarningConfig(AppConfig):
    """Early warning of current loans: external events, rule triggers, the watch list (issue 8)."""

    name = "qingshou.apps.warning"
    label = "warning"
    verbose_name = _("Early warning")
    default_auto_field = "django.db.models.BigAutoField"
