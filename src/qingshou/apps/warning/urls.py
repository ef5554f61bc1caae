"""Routes of the warning app: the watch list and marking an entry reviewed."""

from __future__ import annotations

from django.urls import URLPattern, path

from qingshou.apps.warning import views

app_name = "warning"

urlpatterns: list[URLPattern] = [
    path("", views.listing, name="list"),
    path("<int:entry_id>/review/", views.review, name="review"),
]
