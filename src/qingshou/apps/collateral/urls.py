"""Routes of the collateral app: the register, a collateral's page and its managers' actions."""

from __future__ import annotations

from django.urls import URLPattern, path

from qingshou.apps.collateral import views

app_name = "collateral"

urlpatterns: list[URLPattern] = [
    path("", views.register_list, name="list"),
    path("new/", views.register, name="register"),
    path("<int:collateral_id>/", views.detail, name="detail"),
    path("<int:collateral_id>/reveal/", views.reveal, name="reveal"),
    path("<int:collateral_id>/<str:action>/", views.act, name="act"),
]
