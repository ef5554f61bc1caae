"""Routes of the scoring app: the models page, one version, activation."""

from __future__ import annotations

from django.urls import URLPattern, path

from qingshou.apps.scoring import views

app_name = "scoring"

urlpatterns: list[URLPattern] = [
    path("models/", views.listing, name="models"),
    path("models/<str:kind>/<int:version>/", views.detail, name="model"),
    path("models/<str:kind>/<int:version>/activate/", views.activate, name="activate"),
]
