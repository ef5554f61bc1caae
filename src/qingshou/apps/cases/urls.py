"""URLs of the cases app (the workbench: queue, case page)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

app_name = "cases"
urlpatterns: list[URLPattern | URLResolver] = []
