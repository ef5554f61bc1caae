"""Django app configuration of the legal app (label ``legal``)."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LegalConfig(AppConfig):
    """Legal cases (法务): demand letters, payment orders, lawsuits, arbitration, special procedure, enforcement; court fees, preservation (查封/扣押/冻结), deadlines and the legal calendar (issue 6)."""

    name = "qingshou.apps.legal"
    label = "legal"
    verbose_name = _("Legal recovery")
    default_auto_field = "django.db.models.BigAutoField"
