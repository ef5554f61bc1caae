"""Django app configuration of the contacts app (label ``contacts``)."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContactsConfig(AppConfig):
    """Contact parties, consent, every contact attempt and the compliance decision on it (C8)."""

    name = "qingshou.apps.contacts"
    label = "contacts"
    verbose_name = _("Contacts and compliance")
    default_auto_field = "django.db.models.BigAutoField"
