"""Routes of the records app (/records/): search, and a case's documents (upload, download, letters)."""

from __future__ import annotations

from django.urls import URLPattern, path

from qingshou.apps.records import views

app_name = "records"

urlpatterns: list[URLPattern] = [
    path("search/", views.search, name="search"),
    path("case/<int:case_id>/documents/", views.upload, name="upload"),
    path("case/<int:case_id>/documents/<int:document_id>/", views.download, name="download"),
    path("case/<int:case_id>/letters/<int:outbox_id>/", views.letter, name="letter"),
    path("case/<int:case_id>/photos/<int:photo_id>/", views.photo, name="photo"),
]
