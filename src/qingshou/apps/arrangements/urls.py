"""Routes of the arrangements app."""

from __future__ import annotations

from django.urls import URLPattern

app_name = "arrangements"

urlpatterns: list[URLPattern] = []
