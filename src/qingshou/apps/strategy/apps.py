"""Django app configuration of the strategy app (label ``strategy``)."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StrategyConfig(AppConfig):
    """Collection strategies: versioned YAML files, segments, treatment paths, champion / challenger."""

    name = "qingshou.apps.strategy"
    label = "strategy"
    verbose_name = _("Strategies")
    default_auto_field = "django.db.models.BigAutoField"
