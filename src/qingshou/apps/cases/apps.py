"""Django app configuration of the cases app (label ``cases``)."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    """Collection cases per borrower, their history and the day's action plan."""

    name = "qingshou.apps.cases"
    label = "cases"
    verbose_name = _("Cases")
    default_auto_field = "django.db.models.BigAutoField"
