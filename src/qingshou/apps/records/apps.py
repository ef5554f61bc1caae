"""Django app configuration of the records app (label ``records``)."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecordsConfig(AppConfig):
    """Case documents, search across the cases a user may see, and the retention of collection records."""

    name = "qingshou.apps.records"
    label = "records"
    verbose_name = _("Documents and records")
    default_auto_field = "django.db.models.BigAutoField"
