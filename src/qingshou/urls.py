"""URL configuration: the admin and each app's own routes."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from qingshou.apps.accounts.views import home
from qingshou.apps.api.api import api

urlpatterns = [
    path("", home, name="home"),
    path("admin/", admin.site.urls),
    path("accounts/", include("qingshou.apps.accounts.urls")),
    path("audit/", include("qingshou.apps.audit.urls")),
    path("cases/", include("qingshou.apps.cases.urls")),
    path("field/", include("qingshou.apps.field.urls")),
    path("notices/", include("qingshou.apps.notices.urls")),
    path("arrangements/", include("qingshou.apps.arrangements.urls")),
    path("records/", include("qingshou.apps.records.urls")),
    path("legal/", include("qingshou.apps.legal.urls")),
    path("collateral/", include("qingshou.apps.collateral.urls")),
    path("agencies/", include("qingshou.apps.agencies.urls")),
    path("guarantees/", include("qingshou.apps.guarantees.urls")),
    path("writeoffs/", include("qingshou.apps.writeoffs.urls")),
    path("reports/", include("qingshou.apps.reports.urls")),
    path("dashboards/", include("qingshou.apps.dashboards.urls")),
    path("warning/", include("qingshou.apps.warning.urls")),
    path("scoring/", include("qingshou.apps.scoring.urls")),
    path("planning/", include("qingshou.apps.planning.urls")),
    path("assessment/", include("qingshou.apps.assessment.urls")),
    path("api/", api.urls),
]
