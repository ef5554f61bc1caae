"""URL configuration: the admin and each app's own routes (the SMS gateway's delivery callback)."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("notices/", include("qingshou.apps.notices.urls")),
]
