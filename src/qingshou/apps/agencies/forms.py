"""Forms of the agency register's contract pages: register a contract (its commission tiers as rows: bucket,
up to amount, rate; whole or marginal mode) and renew one. They parse and validate input only; the services
(``create_contract`` / ``renew_contract``) decide, and ``put_refusal`` shows their refusal on the field that
caused it (a tier error such as ``tiers.buckets.M4[1].upto`` on that row's field)."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any, Final

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from qingshou.apps.accounts.models import Agency
from qingshou.apps.agencies.services import ContractInput
from qingshou.domain.agencies import ANY_BUCKET, BUCKETS, BandMode
from qingshou.domain.errors import DomainError

#: Commission tier rows offered by the contract form (a bucket's bands are its rows, in order).
TIER_ROWS: Final = 8
MODES: Final = (
    (BandMode.MARGINAL.value, _("marginal (累进): each band's rate on the part inside the band")),
    (BandMode.WHOLE.value, _("whole amount (全额): the band's rate on the whole amount")),
)
#: Why a renewal is refused (``domain.agencies.renewal_blocker``), for the user.
BLOCKERS: Final = {
    "evaluation_overdue": _("the yearly evaluation is overdue"),
    "evaluation_failed": _("the latest evaluation failed"),
    "no_evaluation_before_renewal": _("no passed evaluation within 90 days before the renewal"),
}
_TIER_FIELD = re.compile(
    r"^tiers\.buckets\.(?P<bucket>[^\[]+)(?:\[(?P<index>\d+)\])?(?:\.(?P<part>upto|rate))?$"
)


def _date(label: Any) -> forms.DateField:
    return forms.DateField(label=label, widget=forms.DateInput(attrs={"type": "date"}))


class ContractForm(forms.Form):
    """A new contract with an agency (``services.ContractInput``) and its commission tiers as rows."""

    agency = forms.ModelChoiceField(
        label=_("Agency"), queryset=Agency.objects.order_by("agency_id"), to_field_name="agency_id"
    )
    number = forms.CharField(label=_("Contract number"), max_length=64)
    licence = forms.CharField(label=_("Business licence number"), max_length=64)
    qualifications = forms.CharField(
        label=_("Qualifications"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    white_listed = forms.BooleanField(label=_("White-listed"), required=False, initial=True)
    starts_on = _date(_("Starts on"))
    ends_on = _date(_("Ends on"))
    capacity = forms.IntegerField(label=_("Capacity (open placements)"), min_value=0)
    buckets = forms.MultipleChoiceField(
        label=_("Buckets taken (none: every bucket)"),
        required=False,
        choices=[(bucket, bucket) for bucket in BUCKETS],
        widget=forms.CheckboxSelectMultiple,
    )
    term_days = forms.IntegerField(label=_("Placement term (days)"), min_value=1, initial=90)
    mode = forms.ChoiceField(label=_("Commission mode"), choices=MODES, initial=BandMode.MARGINAL.value)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bucket_choices = [("", "—"), (ANY_BUCKET, gettext("* (every other bucket)"))]
        bucket_choices += [(bucket, bucket) for bucket in BUCKETS]
        for row in range(1, TIER_ROWS + 1):
            self.fields[f"tier_bucket_{row}"] = forms.ChoiceField(
                label=_("Bucket"), choices=bucket_choices, required=False
            )
            self.fields[f"tier_upto_{row}"] = forms.DecimalField(
                label=_("Up to (yuan, empty: no limit)"),
                required=False,
                min_value=Decimal("0.01"),
                decimal_places=2,
                max_digits=14,
            )
            self.fields[f"tier_rate_{row}"] = forms.DecimalField(
                label=_("Rate (0–1, e.g. 0.12)"),
                required=False,
                min_value=Decimal(0),
                max_value=Decimal(1),
                decimal_places=6,
                max_digits=7,
            )
        #: (bucket, index of the band within the bucket) → form row, filled by ``clean``.
        self.tier_rows: dict[tuple[str, int], int] = {}

    def contract_fields(self) -> list[Any]:
        """The bound fields of the contract itself (not the tier rows), for the template."""
        return [self[name] for name in self.fields if not name.startswith("tier_") and name != "mode"]

    def rows(self) -> list[tuple[int, Any, Any, Any]]:
        """The tier rows (number, bucket, up to, rate), for the template."""
        return [
            (row, self[f"tier_bucket_{row}"], self[f"tier_upto_{row}"], self[f"tier_rate_{row}"])
            for row in range(1, TIER_ROWS + 1)
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        bands: dict[str, list[dict[str, str | None]]] = {}
        self.tier_rows = {}
        for row in range(1, TIER_ROWS + 1):
            bucket = data.get(f"tier_bucket_{row}") or ""
            upto: Decimal | None = data.get(f"tier_upto_{row}")
            band_rate: Decimal | None = data.get(f"tier_rate_{row}")
            if not bucket and upto is None and band_rate is None:
                continue
            if not bucket:
                self.add_error(f"tier_bucket_{row}", gettext("Choose the bucket of this band."))
                continue
            if band_rate is None:
                self.add_error(f"tier_rate_{row}", gettext("A band needs a rate."))
                continue
            self.tier_rows[(bucket, len(bands.get(bucket, [])))] = row
            bands.setdefault(bucket, []).append(
                {"upto": None if upto is None else str(upto), "rate": str(band_rate)}
            )
        if not bands and not any(f"tier_{part}_1" in self.errors for part in ("bucket", "rate")):
            self.add_error("tier_rate_1", gettext("Give at least one commission band."))
        data["tiers"] = {"mode": data.get("mode"), "buckets": bands}
        return data

    def contract_input(self) -> ContractInput:
        """What the service is given (after ``is_valid``)."""
        data = self.cleaned_data
        return ContractInput(
            agency_id=data["agency"].agency_id,
            number=data["number"],
            licence=data["licence"],
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
            capacity=data["capacity"],
            tiers=data["tiers"],
            qualifications=data["qualifications"],
            white_listed=data["white_listed"],
            buckets=tuple(data["buckets"]),
            term_days=data["term_days"],
        )

    def put_refusal(self, error: DomainError) -> None:
        """Show the service's refusal on the field it names (a tier error on its row), else above the form."""
        named = error.field or ""
        if named in self.fields:
            self.add_error(named, error.message)
            return
        if named == "tiers.mode":
            self.add_error("mode", error.message)
            return
        found = _TIER_FIELD.match(named)
        if found is not None:
            bucket = found["bucket"]
            bucket_rows = sorted(row for (b, _i), row in self.tier_rows.items() if b == bucket)
            if found["index"] is not None:
                row = self.tier_rows.get((bucket, int(found["index"])))
            else:  # the bucket's list as a whole (e.g. the last band must have no limit): its last row
                row = bucket_rows[-1] if bucket_rows else None
            if row is not None:
                self.add_error(f"tier_{found['part'] or 'upto'}_{row}", error.message)
                return
        if named.startswith("tiers"):
            self.add_error("tier_rate_1", error.message)
            return
        self.add_error(None, error.message)


class RenewForm(forms.Form):
    """A renewal of a contract from a day to a new end under a new number (same terms)."""

    number = forms.CharField(label=_("New contract number"), max_length=64)
    starts_on = _date(_("Renewal starts on"))
    ends_on = _date(_("Ends on"))

    def put_refusal(self, error: DomainError) -> None:
        """The service's refusal on its field; an evaluation that blocks the renewal on the renewal day."""
        named = error.field or ""
        if named == "evaluation":
            reason = next((text for code, text in BLOCKERS.items() if error.message.endswith(code)), None)
            message = (
                gettext("Cannot be renewed on this day: %(reason)s.") % {"reason": reason}
                if reason is not None
                else error.message
            )
            self.add_error("starts_on", message)
        elif named in self.fields:
            self.add_error(named, error.message)
        else:
            self.add_error(None, error.message)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts_on: date | None = data.get("starts_on")
        ends_on: date | None = data.get("ends_on")
        if starts_on is not None and ends_on is not None and ends_on < starts_on:
            self.add_error("ends_on", gettext("The renewal ends before it starts."))
        return data
