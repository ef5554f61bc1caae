"""Admin: templates can be added (checked against C8 like the service does); the outbox and the
interruptions are written by services only and shown read-only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from qingshou.apps.loans.admin import ReadOnlyAdmin
from qingshou.apps.notices import models
from qingshou.channels.templates import TemplateError, check_template


class NoticeTemplateForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = models.NoticeTemplate
        fields = ("code", "channel", "audience", "language", "demand", "subject", "body", "version")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            check_template(data.get("audience", ""), data.get("subject", ""), data.get("body", ""))
        except TemplateError as error:
            raise ValidationError(error.message) from error
        if data.get("demand") and data.get("audience") != models.Audience.DEBTOR:
            raise ValidationError("only a debtor template can be a demand (C7)")
        return data


@admin.register(models.NoticeTemplate)
class NoticeTemplateAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = NoticeTemplateForm
    list_display = ("code", "channel", "audience", "language", "demand", "version", "created_at")
    list_filter = ("channel", "audience", "language", "demand")


@admin.register(models.Outbox)
class OutboxAdmin(ReadOnlyAdmin):
    list_display = (
        "key",
        "channel",
        "audience",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "delivered_at",
    )
    list_filter = ("status", "channel", "audience")
    search_fields = ("key", "borrower_id", "loan_id", "provider_message_id")
    date_hierarchy = "as_of"
