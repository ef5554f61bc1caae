"""Routes of the assessment app: the read-only pricing page."""

from __future__ import annotations

from django.urls import URLPattern, path

from qingshou.apps.assessment import views

app_name = "assessment"

urlpatterns: list[URLPattern] = [
    path("pricing/", views.pricing, name="pricing"),
]
