"""The upload form of the case page's documents (the file itself is checked by the service, by content)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from qingshou.apps.records.models import CaseDocument

ACCEPT = ".pdf,.jpg,.jpeg,.png,.xlsx,.mp3,.m4a,.wav,application/pdf,image/jpeg,image/png,audio/*"


class UploadForm(forms.Form):
    """Kind, title, the loan it concerns (optional, among the borrower's loans) and the file."""

    kind = forms.ChoiceField(label=_("kind"), choices=CaseDocument.Kind.choices)
    title = forms.CharField(label=_("title"), max_length=200)
    loan_id = forms.ChoiceField(label=_("loan"), required=False)
    file = forms.FileField(label=_("file"), widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}))

    def __init__(self, *args: Any, loans: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["loan_id"].choices = [("", "—"), *((loan, loan) for loan in loans)]  # type: ignore[attr-defined]
