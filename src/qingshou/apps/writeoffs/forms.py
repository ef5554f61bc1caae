"""Forms of the write-off pages: propose a write-off on a case, decide one, execute one, pick a month."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from qingshou.apps.cases.models import Case
from qingshou.apps.loans.models import Loan

ASSERTED_CHOICES = (
    ("debtor_deceased", _("the debtor died or was declared dead / missing")),
    ("debtor_bankrupt", _("the debtor was declared bankrupt, dissolved or closed")),
    ("enforcement_terminated", _("enforcement ended without recovery (终本)")),
)


class ProposeForm(forms.Form):
    """A write-off proposal: the loan, grounds the proposer asserts with evidence, the reason."""

    loan = forms.ModelChoiceField(label=_("loan"), queryset=Loan.objects.none(), to_field_name="loan_id")
    asserted = forms.MultipleChoiceField(
        label=_("asserted grounds"),
        choices=ASSERTED_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    evidence = forms.CharField(
        label=_("evidence (ruling, certificate)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 1000}),
    )
    reason = forms.CharField(
        label=_("reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2, "maxlength": 500})
    )

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        loan: Any = self.fields["loan"]
        loan.queryset = Loan.objects.filter(borrower_id=case.borrower_id).order_by("loan_id")
        loan.label_from_instance = lambda item: item.loan_id
        loan.initial = case.lead_loan_id


class DecisionForm(forms.Form):
    """A checker's note (required to reject)."""

    note = forms.CharField(label=_("note"), max_length=500, required=False)


class ExecuteForm(forms.Form):
    """The write-off day (empty: today)."""

    on = forms.DateField(
        label=_("write-off day"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class MonthForm(forms.Form):
    """``YYYY-MM``."""

    month = forms.RegexField(label=_("month"), regex=r"^\d{4}-(0[1-9]|1[0-2])$", max_length=7)
