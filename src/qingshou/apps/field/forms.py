"""Forms of the field pages: request, schedule, assign, cancel, and the visit report with its photos.

Photos are checked here before anything is stored: JPEG or PNG only (the format Pillow reads from the bytes,
not the file name or the browser's content type), at most ``QINGSHOU_FIELD["photo_max_bytes"]`` each (5 MB by
default) and ``photo_max_count`` per report. A bad photo is a form error on the field ``photos`` naming the
file and the reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, Final

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

from qingshou.apps.field.models import VisitReport
from qingshou.apps.field.services import ReportInput
from qingshou.domain.errors import MoneyError
from qingshou.domain.money import fen, money

#: Pillow's format name → the content type stored.
PHOTO_TYPES: Final = {"JPEG": "image/jpeg", "PNG": "image/png"}
DEFAULT_PHOTO_MAX_BYTES: Final = 5 * 1024 * 1024
DEFAULT_PHOTO_MAX_COUNT: Final = 10


def photo_limits() -> tuple[int, int]:
    """(bytes per photo, photos per report) from ``settings.QINGSHOU_FIELD``."""
    config = getattr(settings, "QINGSHOU_FIELD", None) or {}
    return (
        int(config.get("photo_max_bytes", DEFAULT_PHOTO_MAX_BYTES)),
        int(config.get("photo_max_count", DEFAULT_PHOTO_MAX_COUNT)),
    )


def photo_type(upload: UploadedFile[bytes]) -> str:
    """The content type of a JPEG or PNG photo, read and verified by Pillow; a ``ValidationError`` naming the
    file otherwise."""
    name = upload.name or "?"
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            kind = image.format or ""
            image.verify()
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError) as error:
        raise forms.ValidationError(
            _("%(name)s is not an image (%(error)s)"), params={"name": name, "error": error}, code="not_image"
        ) from None
    finally:
        upload.seek(0)
    if kind not in PHOTO_TYPES:
        raise forms.ValidationError(
            _("%(name)s is a %(kind)s image: only JPEG and PNG photos are accepted"),
            params={"name": name, "kind": kind or "?"},
            code="photo_type",
        )
    return PHOTO_TYPES[kind]


class MultiplePhotoInput(forms.ClearableFileInput):
    """A file input that takes several photos (and the phone's camera)."""

    allow_multiple_selected = True

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__({"accept": "image/jpeg,image/png", "capture": "environment", **(attrs or {})})


class PhotosField(forms.FileField):
    """Several photos; cleans to a list of ``(upload, content type)``."""

    widget = MultiplePhotoInput

    def clean(self, data: Any, initial: Any = None) -> list[tuple[UploadedFile[bytes], str]]:
        uploads: Sequence[UploadedFile[bytes]] = (
            data if isinstance(data, list | tuple) else ([data] if data else [])
        )
        max_bytes, max_count = photo_limits()
        if len(uploads) > max_count:
            raise forms.ValidationError(
                _("at most %(count)d photos per report"), params={"count": max_count}, code="too_many"
            )
        checked = []
        for upload in uploads:
            if (upload.size or 0) > max_bytes:
                raise forms.ValidationError(
                    _("%(name)s is too large (%(size)d bytes; at most %(max)d)"),
                    params={"name": upload.name, "size": upload.size, "max": max_bytes},
                    code="too_large",
                )
            checked.append((upload, photo_type(upload)))
        return checked


class RequestVisitForm(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class CancelVisitForm(forms.Form):
    reason = forms.CharField(label=_("why cancelled"), max_length=500)


class ScheduleForm(forms.Form):
    at = forms.DateTimeField(
        label=_("visit at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )


class AssignForm(forms.Form):
    """A supervisor's choice of agents among ``agents`` (id, label)."""

    agents = forms.TypedMultipleChoiceField(
        label=_("field agents"), coerce=int, widget=forms.CheckboxSelectMultiple
    )
    reason = forms.CharField(label=_("note"), max_length=500, required=False)

    def __init__(self, *args: Any, agents: Sequence[tuple[int, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agents"].choices = list(agents)  # type: ignore[attr-defined]


class ReportForm(forms.Form):
    """The visit report (multipart); ``attendees`` are chosen among the visit's agents."""

    visited_at = forms.DateTimeField(
        label=_("visited at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    met = forms.ChoiceField(label=_("met whom"), choices=VisitReport.Met.choices, widget=forms.RadioSelect)
    address_valid = forms.TypedChoiceField(
        label=_("address valid"),
        choices=[("yes", _("yes")), ("no", _("no"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    situation = forms.CharField(label=_("situation"), widget=forms.Textarea(attrs={"rows": 4}))
    assets_seen = forms.CharField(
        label=_("assets seen"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    stated_reason = forms.ChoiceField(
        label=_("reason the debtor gave"), choices=VisitReport.StatedReason.choices, required=False
    )
    promise_amount = forms.CharField(
        label=_("promised amount (yuan)"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    promise_due_on = forms.DateField(
        label=_("promised by"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    attendees = forms.TypedMultipleChoiceField(
        label=_("agents who attended"), coerce=int, widget=forms.CheckboxSelectMultiple
    )
    photos = PhotosField(label=_("photos"), required=False)

    def __init__(self, *args: Any, agents: Sequence[tuple[int, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["attendees"].choices = list(agents)  # type: ignore[attr-defined]
        self.fields["attendees"].initial = [pk for pk, _label in agents]

    def clean_visited_at(self) -> datetime:
        value: datetime = self.cleaned_data["visited_at"]
        if value > timezone.now():
            raise forms.ValidationError(_("the visit cannot be in the future"), code="future")
        return value

    def clean_promise_amount(self) -> int | None:
        text = (self.cleaned_data.get("promise_amount") or "").strip()
        if not text:
            return None
        try:
            amount = fen(money(text))
        except (MoneyError, ValueError, ArithmeticError):
            raise forms.ValidationError(_("an amount in yuan like 1200.50"), code="amount") from None
        if amount <= 0:
            raise forms.ValidationError(_("the amount must be positive"), code="amount")
        return amount

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        amount, due = data.get("promise_amount"), data.get("promise_due_on")
        if (amount is None) != (due is None) and "promise_amount" not in self.errors:
            field = "promise_due_on" if due is None else "promise_amount"
            self.add_error(field, _("a promise needs both an amount and a date"))
        visited, due_on = data.get("visited_at"), data.get("promise_due_on")
        if isinstance(visited, datetime) and isinstance(due_on, date) and due_on < visited.date():
            self.add_error("promise_due_on", _("a promise cannot be due before the visit"))
        return data

    def report(self) -> ReportInput:
        """The cleaned report for ``services.file_report``."""
        data = self.cleaned_data
        photos = data.get("photos") or []
        return ReportInput(
            visited_at=data["visited_at"],
            met=data["met"],
            address_valid=bool(data["address_valid"]),
            situation=data["situation"],
            attendees=list(data["attendees"]),
            assets_seen=data.get("assets_seen") or "",
            stated_reason=data.get("stated_reason") or "",
            promise_amount_fen=data.get("promise_amount"),
            promise_due_on=data.get("promise_due_on"),
            photos=[upload for upload, _kind in photos],
            photo_types=[kind for _upload, kind in photos],
        )
