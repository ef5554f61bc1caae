"""Forms of the accounts app."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    """Username and password, with the autocomplete hints browsers and password managers use."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "autofocus": True})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})


class RevealForm(forms.Form):
    """Which field of which record to reveal, and why."""

    model = forms.CharField(max_length=100)
    pk = forms.CharField(max_length=100)
    field = forms.CharField(max_length=50)
    # The length is checked by the service (a too long reason is asked again, not a 404).
    reason = forms.CharField(label=_("Reason"), required=False, strip=True)
