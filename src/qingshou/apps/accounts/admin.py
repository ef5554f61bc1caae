"""Admin of the accounts app: teams, agencies, and the profile inline on the user page."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from qingshou.apps.accounts.models import Agency, Profile, Team


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "supervisor")
    search_fields = ("name",)


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("agency_id", "name", "active")
    list_filter = ("active",)
    search_fields = ("agency_id", "name")


class ProfileInline(admin.StackedInline):  # type: ignore[type-arg]
    model = Profile
    can_delete = False


User = get_user_model()


class QingshouUserAdmin(UserAdmin):  # type: ignore[type-arg]
    inlines = (ProfileInline,)


if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, QingshouUserAdmin)
