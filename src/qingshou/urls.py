"""URL configuration: the admin for now; each app adds its own routes here as it grows."""

from __future__ import annotations

from django.contrib import admin
from django.urls import path

urlpatterns = [
    path("admin/", admin.site.urls),
]
