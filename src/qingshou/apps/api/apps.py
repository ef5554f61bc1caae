"""Django app configuration of the API app (label ``api``)."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    """The JSON API (django-ninja): tokens, idempotency keys and the endpoints (docs/api.md)."""

    name = "qingshou.apps.api"
    label = "api"
    verbose_name = _("API")
    default_auto_field = "django.db.models.BigAutoField"
