"""Django app configuration of the EOD app (label ``eod``)."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EodConfig(AppConfig):
    """The daily batch: run records, error rows and each loan's current status."""

    name = "qingshou.apps.eod"
    label = "eod"
    verbose_name = _("End of day")
    default_auto_field = "django.db.models.BigAutoField"
