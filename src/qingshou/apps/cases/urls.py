"""URLs of the cases app (the workbench: queue, case page and its actions)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from qingshou.apps.cases import views

app_name = "cases"
urlpatterns: list[URLPattern | URLResolver] = [
    path("queue/", views.queue_page, name="queue"),
    path("queue/next/", views.next_case_view, name="next"),
    path("<int:case_id>/", views.case_page, name="case"),
    path("<int:case_id>/lock/", views.lock_view, name="lock"),
    path("<int:case_id>/contact/", views.contact_view, name="contact"),
    path("<int:case_id>/promise/", views.promise_view, name="promise"),
    path("<int:case_id>/reassign/", views.reassign_view, name="reassign"),
    path("<int:case_id>/break-lock/", views.break_lock_view, name="break_lock"),
    path("<int:case_id>/loans/<str:loan_id>/quote/", views.quote_page, name="quote"),
    path("<int:case_id>/loans/<str:loan_id>/schedule/", views.schedule_page, name="schedule"),
]
