"""Routes of the agencies app."""

from __future__ import annotations

from django.urls import URLPattern, path

from qingshou.apps.agencies import views

app_name = "agencies"

urlpatterns: list[URLPattern] = [
    path("", views.register, name="register"),
    path("published/", views.published, name="published"),
    path("contracts/new/", views.contract_new, name="contract_new"),
    path("contracts/<int:contract_id>/renew/", views.renew, name="renew"),
    path("contracts/<int:contract_id>/evaluate/", views.evaluate, name="evaluate"),
    path("placements/", views.placements, name="placements"),
    path("placements/place/", views.place_by_rules, name="place_by_rules"),
    path("placements/<int:placement_id>/recall/", views.recall, name="recall"),
    path("placements/<int:placement_id>/complaint/", views.complaint, name="complaint"),
    path("case/<int:case_id>/place/", views.place_case, name="place"),
    path("portal/", views.portal, name="portal"),
    path("commission/", views.commission, name="commission"),
    path("ranking/", views.ranking, name="ranking"),
]
