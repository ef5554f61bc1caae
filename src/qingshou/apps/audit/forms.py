"""Forms of the audit app: the filters of the audit page."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class AuditFilterForm(forms.Form):
    """Filter by actor (username, exact), action (exact), and a date range (inclusive, local days)."""

    actor = forms.CharField(label=_("Actor"), max_length=150, required=False)
    action = forms.CharField(label=_("Action"), max_length=64, required=False)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, object] | None:
        data = super().clean()
        if data and data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError(_("The start date is after the end date."))
        return data
