"""Django app configuration of the loans app (label ``loans``)."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LoansConfig(AppConfig):
    """The loan book and its reference data."""

    name = "qingshou.apps.loans"
    label = "loans"
    verbose_name = _("Loans")
    default_auto_field = "django.db.models.BigAutoField"
