"""Routes of the arrangements app: the case page's section, the approvals queue and the decisions."""

from __future__ import annotations

from django.urls import URLPattern, path

from qingshou.apps.arrangements import views

app_name = "arrangements"

urlpatterns: list[URLPattern] = [
    path("approvals/", views.approvals, name="approvals"),
    path("case/<int:case_id>/", views.case_section, name="case"),
    path("case/<int:case_id>/propose/<str:kind>/", views.propose, name="propose"),
    path("case/<int:case_id>/form/<str:kind>/", views.form_fragment, name="form"),
    path("<int:arrangement_id>/approve/", views.approve, name="approve"),
    path("<int:arrangement_id>/reject/", views.reject, name="reject"),
    path("<int:arrangement_id>/withdraw/", views.withdraw, name="withdraw"),
]
