"""Django app configuration of the arrangements app (label ``arrangements``)."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ArrangementsConfig(AppConfig):
    """Negotiated repayment plans (个性化分期 / 展期 / rescheduled arrears), waivers (减免) and discounted
    settlements (一次性结清), proposed by one person and approved by another (maker-checker)."""

    name = "qingshou.apps.arrangements"
    label = "arrangements"
    verbose_name = _("Plans, waivers and settlements")
    default_auto_field = "django.db.models.BigAutoField"
