"""Django app configuration of the dashboards app (label ``dashboards``)."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardsConfig(AppConfig):
    """The managers' and risk managers' dashboards: the monthly report's metrics on web pages (ECharts), filtered and scoped (issue 7)."""

    name = "qingshou.apps.dashboards"
    label = "dashboards"
    verbose_name = _("Dashboards")
    default_auto_field = "django.db.models.BigAutoField"
