"""Routes of the planning app: the recent plans and one day's plans."""

from __future__ import annotations

from django.urls import URLPattern, path

from qingshou.apps.planning import views

app_name = "planning"

urlpatterns: list[URLPattern] = [
    path("", views.listing, name="plans"),
    path("<str:day>/", views.detail, name="plan"),
]
