"""Routes of the legal app: the calendar, a legal case's page and its actions, opening one from a case."""

from __future__ import annotations

from django.urls import URLPattern, path

from qingshou.apps.legal import views

app_name = "legal"

urlpatterns: list[URLPattern] = [
    path("calendar/", views.calendar, name="calendar"),
    path("case/<int:case_id>/open/", views.open_case, name="open"),
    path("<int:legal_case_id>/", views.detail, name="detail"),
    path("<int:legal_case_id>/advance/", views.advance, name="advance"),
    path("<int:legal_case_id>/hearing/", views.hearing, name="hearing"),
    path("<int:legal_case_id>/fee/", views.fee, name="fee"),
    path("<int:legal_case_id>/preserve/", views.preserve, name="preserve"),
    path("<int:legal_case_id>/accelerate/", views.accelerate, name="accelerate"),
    path("preservation/<int:preservation_id>/renew/", views.renew, name="renew"),
    path("preservation/<int:preservation_id>/release/", views.release, name="release"),
]
