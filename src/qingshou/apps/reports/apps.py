"""Django app configuration of the reports app (label ``reports``)."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """The monthly 逾期贷款清收报告 (HTML, PDF, XLSX) and the managers' dashboards (issue 7)."""

    name = "qingshou.apps.reports"
    label = "reports"
    verbose_name = _("Reports")
    default_auto_field = "django.db.models.BigAutoField"
