"""Routes of the agencies app."""

from __future__ import annotations

from django.urls import URLPattern

app_name = "agencies"

urlpatterns: list[URLPattern] = []
