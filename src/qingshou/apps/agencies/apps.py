"""Django app configuration of the agencies app (label ``agencies``)."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgenciesConfig(AppConfig):
    """Outside collection agencies (委外): register, contracts and commission tiers, placements and recall, the agency portal, commission and ranking (issue 6)."""

    name = "qingshou.apps.agencies"
    label = "agencies"
    verbose_name = _("Outside agencies")
    default_auto_field = "django.db.models.BigAutoField"
