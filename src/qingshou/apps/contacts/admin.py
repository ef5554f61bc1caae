"""Admin: contact parties are editable (consent, stop flags, numbers); attempts are an append-only record,
shown without add, change or delete permissions."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from qingshou.apps.contacts import models


@admin.register(models.ContactParty)
class ContactPartyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("id", "borrower", "kind", "name", "relation", "phone", "do_not_contact", "stop_requested")
    list_filter = ("kind", "do_not_contact", "stop_requested", "number_invalid", "quiet_hours_consent")
    search_fields = ("borrower__borrower_id", "name", "phone", "email")
    raw_id_fields = ("borrower",)


@admin.register(models.ContactAttempt)
class ContactAttemptAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "id",
        "planned_at",
        "borrower",
        "loan",
        "party_kind",
        "channel",
        "initiator",
        "outcome",
        "reason",
        "deferred_to",
        "result",
    )
    list_filter = ("outcome", "reason", "channel", "initiator", "party_kind", "result")
    search_fields = ("borrower__borrower_id", "loan__loan_id")
    date_hierarchy = "planned_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
