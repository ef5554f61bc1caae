"""Routes of the writeoffs app: the case page's section and proposal, the list, approvals, decisions and the
recovery after write-off report."""

from __future__ import annotations

from django.urls import URLPattern, path

from qingshou.apps.writeoffs import views

app_name = "writeoffs"

urlpatterns: list[URLPattern] = [
    path("", views.listing, name="list"),
    path("approvals/", views.approvals, name="approvals"),
    path("report/", views.report, name="report"),
    path("case/<int:case_id>/", views.case_section, name="case"),
    path("case/<int:case_id>/propose/", views.propose, name="propose"),
    path("<int:writeoff_id>/approve/", views.approve, name="approve"),
    path("<int:writeoff_id>/reject/", views.reject, name="reject"),
    path("<int:writeoff_id>/withdraw/", views.withdraw, name="withdraw"),
    path("<int:writeoff_id>/execute/", views.execute, name="execute"),
]
