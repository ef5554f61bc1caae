"""URLs of the field app (/field/): the agent's visits, a visit and its actions, the supervisors' board."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from qingshou.apps.field import views

app_name = "field"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.my_visits, name="index"),
    path("board/", views.board, name="board"),
    path("board/assign/", views.assign_all, name="assign_all"),
    path("case/<int:case_id>/request/", views.request_visit, name="request"),
    path("<int:visit_id>/", views.visit_page, name="visit"),
    path("<int:visit_id>/schedule/", views.schedule, name="schedule"),
    path("<int:visit_id>/report/", views.report, name="report"),
    path("<int:visit_id>/assign/", views.assign, name="assign"),
    path("<int:visit_id>/cancel/", views.cancel, name="cancel"),
    path("<int:visit_id>/photos/<int:photo_id>/", views.photo, name="photo"),
]
