"""Forms of the collateral pages. They parse and validate input only; the services (and the domain's auction
rules) decide."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, Final

from django import forms
from django.utils.translation import gettext_lazy as _

from qingshou.apps.collateral.models import Collateral

_LOAN_ITEM: Final = re.compile(r"^\s*([^\s:]+)\s*(?::\s*(\d+))?\s*$")


def _date(label: Any) -> forms.DateField:
    return forms.DateField(label=label, widget=forms.DateInput(attrs={"type": "date"}))


def _yuan(label: Any, *, required: bool = True) -> forms.DecimalField:
    return forms.DecimalField(
        label=label, required=required, min_value=Decimal("0.00"), decimal_places=2, max_digits=16
    )


def parse_loans(text: str) -> list[tuple[str, int]]:
    """``"L1:1, L2:2"`` (loan id, optional lien rank, default 1) as pairs; a bad item is a ``ValidationError``
    naming it."""
    pairs = []
    for item in (part for part in re.split(r"[,，\n]", text) if part.strip()):
        match = _LOAN_ITEM.match(item)
        if match is None:
            raise forms.ValidationError(
                _("Not a loan id with an optional rank (L1:2): %(item)s") % {"item": item}
            )
        pairs.append((match.group(1), int(match.group(2) or 1)))
    if not pairs:
        raise forms.ValidationError(_("Name at least one loan."))
    return pairs


class RegisterForm(forms.Form):
    """A new collateral and the loans it secures."""

    kind = forms.ChoiceField(label=_("kind"), choices=Collateral.KindChoice.choices)
    description = forms.CharField(label=_("description"), max_length=500)
    owner_name = forms.CharField(label=_("owner name"), max_length=200)
    owner_id_number = forms.CharField(label=_("owner ID number"), max_length=32, required=False)
    third_party = forms.BooleanField(label=_("owned by a third party"), required=False)
    lien_number = forms.CharField(label=_("lien registration number"), max_length=100, required=False)
    lien_authority = forms.CharField(label=_("registration authority"), max_length=200, required=False)
    lien_registered_on = forms.DateField(
        label=_("registered on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    loans = forms.CharField(
        label=_("secured loans"), max_length=1000, help_text=_("loan ids with the lien rank: L1:1, L2:2")
    )

    def clean_loans(self) -> list[tuple[str, int]]:
        return parse_loans(self.cleaned_data["loans"])


class LinkForm(forms.Form):
    loan_id = forms.CharField(label=_("loan"), max_length=64)
    rank = forms.IntegerField(label=_("lien rank"), min_value=1, max_value=99, initial=1)


class AppraisalForm(forms.Form):
    appraised_on = _date(_("appraised on"))
    value = _yuan(_("value (yuan)"))
    appraiser = forms.CharField(label=_("appraiser"), max_length=200)
    method = forms.CharField(label=_("method"), max_length=100, required=False)


class DisposalForm(forms.Form):
    started_on = _date(_("started on"))


class RoundForm(forms.Form):
    starting_price = _yuan(_("starting price (yuan)"))
    held_on = _date(_("held on"))


class SaleForm(forms.Form):
    VIA: Final = (
        ("auction", _("in the auction round")),
        ("sale", _("by sale (变卖) after the second round")),
    )

    via = forms.ChoiceField(label=_("sold"), choices=VIA)
    price = _yuan(_("price (yuan)"))
    costs = _yuan(_("disposal costs (yuan)"), required=False)
    sold_on = _date(_("sold on"))
    buyer = forms.CharField(label=_("buyer"), max_length=200, required=False)


class TransferForm(forms.Form):
    transferred_on = _date(_("transferred on"))
    taker = forms.CharField(label=_("taken by"), max_length=200)
    costs = _yuan(_("disposal costs (yuan)"), required=False)


class SurplusForm(forms.Form):
    returned_on = _date(_("returned on"))
    reference = forms.CharField(label=_("transfer reference"), max_length=100)


class ReleaseForm(forms.Form):
    released_on = _date(_("released on"))
    reason = forms.CharField(label=_("reason"), max_length=500)
