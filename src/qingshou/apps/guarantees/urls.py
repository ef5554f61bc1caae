"""Routes of the guarantees app."""

from __future__ import annotations

from django.urls import URLPattern

app_name = "guarantees"

urlpatterns: list[URLPattern] = []
