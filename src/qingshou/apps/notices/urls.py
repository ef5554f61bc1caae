"""Routes of the notices app (included by ``qingshou.urls`` under ``notices/``)."""

from __future__ import annotations

from django.urls import path

from qingshou.apps.notices import views

app_name = "notices"
urlpatterns = [
    path("sms/callback/", views.sms_callback, name="sms-callback"),
]
