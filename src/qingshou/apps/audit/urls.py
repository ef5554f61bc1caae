"""URLs of the audit app (included under ``audit/``)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from qingshou.apps.audit import views

app_name = "audit"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.event_list, name="list"),
]
