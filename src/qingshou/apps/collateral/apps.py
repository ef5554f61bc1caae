"""Django app configuration of the collateral app (label ``collateral``)."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CollateralConfig(AppConfig):
    """Collateral (抵押物 / 质押物): the register, appraisal history, loan-to-value monitoring and disposal by judicial auction (issue 6)."""

    name = "qingshou.apps.collateral"
    label = "collateral"
    verbose_name = _("Collateral")
    default_auto_field = "django.db.models.BigAutoField"
