"""Django app configuration of the notices app (label ``notices``)."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NoticesConfig(AppConfig):
    """The notice channels: the transactional outbox, SMS / e-mail / letter delivery and delivery status."""

    name = "qingshou.apps.notices"
    label = "notices"
    verbose_name = _("Notices")
    default_auto_field = "django.db.models.BigAutoField"
