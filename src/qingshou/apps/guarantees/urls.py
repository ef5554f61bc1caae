"""Routes of the guarantees app: the case page's section, recording a guarantee and an act against it."""

from __future__ import annotations

from django.urls import URLPattern, path

from qingshou.apps.guarantees import views

app_name = "guarantees"

urlpatterns: list[URLPattern] = [
    path("case/<int:case_id>/", views.case_section, name="case"),
    path("case/<int:case_id>/add/", views.add, name="add"),
    path("<int:guarantee_id>/demand/", views.demand, name="demand"),
]
