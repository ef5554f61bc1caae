"""Routes of the legal app."""

from __future__ import annotations

from django.urls import URLPattern

app_name = "legal"

urlpatterns: list[URLPattern] = []
