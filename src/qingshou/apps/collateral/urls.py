"""Routes of the collateral app."""

from __future__ import annotations

from django.urls import URLPattern

app_name = "collateral"

urlpatterns: list[URLPattern] = []
