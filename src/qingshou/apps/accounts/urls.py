"""URLs of the accounts app (included under ``accounts/``)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path
from django.views.i18n import set_language

from qingshou.apps.accounts import views

app_name = "accounts"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("profile/", views.profile, name="profile"),
    path("reveal/", views.reveal, name="reveal"),
    path("language/", set_language, name="set_language"),
]
