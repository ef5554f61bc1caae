"""Django app configuration of the writeoffs app (label ``writeoffs``)."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WriteoffsConfig(AppConfig):
    """Write-off (核销): eligibility, maker-checker approval, off-balance tracking and recovery after write-off (账销案存, issue 6)."""

    name = "qingshou.apps.writeoffs"
    label = "writeoffs"
    verbose_name = _("Write-off")
    default_auto_field = "django.db.models.BigAutoField"
