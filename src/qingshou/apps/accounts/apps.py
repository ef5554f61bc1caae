"""Django app configuration of the accounts app (label ``accounts``)."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """People and access: roles (groups with permissions), teams, agencies, profiles, row-level scoping and the reveal of personal data."""

    name = "qingshou.apps.accounts"
    label = "accounts"
    verbose_name = _("Accounts")
    default_auto_field = "django.db.models.BigAutoField"
