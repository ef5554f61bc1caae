"""Django app configuration of the guarantees app (label ``guarantees``)."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GuaranteesConfig(AppConfig):
    """Guarantors on loans: guarantees, the guarantee period (C7) and demands on guarantors with reminders (issue 6)."""

    name = "qingshou.apps.guarantees"
    label = "guarantees"
    verbose_name = _("Guarantors")
    default_auto_field = "django.db.models.BigAutoField"
