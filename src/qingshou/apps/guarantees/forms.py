"""Forms of the guarantees section: record a guarantee (an existing guarantor party, or a new one), record an
act against a guarantee. They parse input only; the services decide."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from qingshou.apps.cases.models import Case
from qingshou.apps.contacts.models import ContactParty
from qingshou.apps.guarantees.models import Guarantee, GuarantorDemand
from qingshou.apps.loans.models import Loan
from qingshou.domain.privacy import mask_name, mask_phone


def _date(label: Any, *, required: bool = True) -> forms.DateField:
    return forms.DateField(label=label, required=required, widget=forms.DateInput(attrs={"type": "date"}))


class GuaranteeForm(forms.Form):
    """A guarantee of one of the borrower's loans."""

    loan = forms.ModelChoiceField(label=_("loan"), queryset=Loan.objects.none(), to_field_name="loan_id")
    kind = forms.ChoiceField(label=_("kind"), choices=Guarantee.KindChoice.choices)
    party = forms.ModelChoiceField(
        label=_("existing guarantor"), queryset=ContactParty.objects.none(), required=False
    )
    name = forms.CharField(label=_("new guarantor's name"), max_length=200, required=False)
    phone = forms.CharField(label=_("new guarantor's phone"), max_length=32, required=False)
    cap = forms.DecimalField(
        label=_("cap (yuan, empty: the whole debt)"),
        required=False,
        min_value=Decimal("0.01"),
        decimal_places=2,
        max_digits=14,
    )
    agreed_end = _date(_("agreed end of the period (empty: none agreed)"), required=False)
    contract_ref = forms.CharField(label=_("guarantee contract"), max_length=100, required=False)

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        loan: Any = self.fields["loan"]
        loan.queryset = Loan.objects.filter(borrower_id=case.borrower_id).order_by("loan_id")
        loan.label_from_instance = lambda item: item.loan_id
        loan.initial = case.lead_loan_id
        party: Any = self.fields["party"]
        party.queryset = ContactParty.objects.filter(borrower_id=case.borrower_id, kind="guarantor").order_by(
            "pk"
        )
        party.label_from_instance = lambda item: " · ".join(
            text for text in (mask_name(item.name) if item.name else "", mask_phone(item.phone)) if text
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("party") is None and not (data.get("name") and data.get("phone")):
            raise forms.ValidationError(_("Choose the guarantor, or give a new guarantor's name and phone."))
        return data


class DemandForm(forms.Form):
    """An act against a guarantee: date, act, channel, evidence, delivered."""

    on = _date(_("date"))
    act = forms.ChoiceField(label=_("act"), choices=GuarantorDemand.ActChoice.choices)
    channel = forms.ChoiceField(label=_("channel"), choices=GuarantorDemand.Channel.choices)
    evidence = forms.CharField(label=_("evidence"), max_length=500)
    delivered = forms.BooleanField(label=_("delivered (reached the guarantor)"), required=False)
