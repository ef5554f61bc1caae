"""Django app configuration of the field app (label ``field``)."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FieldConfig(AppConfig):
    """Field visits (外访): requests, assignment to two agents, scheduling and visit reports."""

    name = "qingshou.apps.field"
    label = "field"
    verbose_name = _("Field visits")
    default_auto_field = "django.db.models.BigAutoField"
