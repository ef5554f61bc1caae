"""Routes of the dashboards app: the overview and one page per report section (``book``, ``strategies``,
``impact``, ``recommendations``), all under the GET filters ``month``, ``product``, ``branch``, ``team``."""

from __future__ import annotations

from django.urls import URLPattern, path

from qingshou.apps.dashboards import views

app_name = "dashboards"

urlpatterns: list[URLPattern] = [
    path("", views.page, name="overview"),
    path("<slug:section>/", views.page, name="section"),
]
