"""Django app configuration of the accounts app (label ``accounts``)."""

from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_roles(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    """After every migrate (and test flush): permissions of every app, then the role groups."""
    from django.apps import apps as global_apps
    from django.db import router

    from qingshou.apps.accounts.roles import ensure_permissions, sync_role_groups

    if not router.allow_migrate(using, "auth"):
        return
    ensure_permissions(global_apps)
    sync_role_groups(global_apps)


class AccountsConfig(AppConfig):
    """People and access: roles (groups with permissions), teams, agencies, profiles, row-level scoping and the reveal of personal data."""

    name = "qingshou.apps.accounts"
    label = "accounts"
    verbose_name = _("Accounts")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        post_migrate.connect(_sync_roles, sender=self, dispatch_uid="qingshou.accounts.sync_roles")
