"""Routes of the writeoffs app."""

from __future__ import annotations

from django.urls import URLPattern

app_name = "writeoffs"

urlpatterns: list[URLPattern] = []
