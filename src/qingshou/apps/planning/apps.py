"""Django app configuration of the planning app (label ``planning``)."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlanningConfig(AppConfig):
    """The optimised daily plan: candidate actions, capacity, optimised against greedy (issue 8)."""

    name = "qingshou.apps.planning"
    label = "planning"
    verbose_name = _("Daily plans")
    default_auto_field = "django.db.models.BigAutoField"
