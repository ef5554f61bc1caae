"""Models of the dashboards app: none with a table — only the permission that opens the dashboards.

``Dashboard`` is unmanaged and has no table (``managed = False``, no default add/change/delete/view
permissions); it exists so that ``dashboards.view_dashboards`` is a real permission the role matrix
(``accounts.roles.ROLE_PERMISSIONS``) can grant. Row-level scope is separate: a supervisor holding it still
sees only their own teams (``qingshou.apps.dashboards.scope``).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Dashboard(models.Model):
    """The portfolio dashboards (no rows: a holder of the app's permission)."""

    class Meta:
        managed = False
        db_table = "qs_dashboard"
        verbose_name = _("dashboard")
        verbose_name_plural = _("dashboards")
        default_permissions = ()
        permissions = (("view_dashboards", _("Can see the portfolio dashboards")),)
