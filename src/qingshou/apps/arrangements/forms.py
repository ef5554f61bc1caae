"""Forms of the arrangements pages: proposing a plan, a waiver or a settlement on a case, deciding one.
They parse and validate input only; the services decide (and preview through the ledger)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Final

from django import forms
from django.utils.translation import gettext_lazy as _

from qingshou.apps.arrangements.models import Arrangement
from qingshou.apps.cases.models import Case
from qingshou.apps.loans.models import Loan

METHODS: Final = (
    ("equal_installment", _("equal instalments (等额本息)")),
    ("equal_principal", _("equal principal (等额本金)")),
)


def _date(label: Any, *, required: bool = True) -> forms.DateField:
    return forms.DateField(label=label, required=required, widget=forms.DateInput(attrs={"type": "date"}))


def _yuan(label: Any, *, required: bool = True) -> forms.DecimalField:
    return forms.DecimalField(
        label=label, required=required, min_value=Decimal("0.00"), decimal_places=2, max_digits=14
    )


class _LoanForm(forms.Form):
    """The loan of the case's borrower the proposal is about, and the reason."""

    loan = forms.ModelChoiceField(label=_("loan"), queryset=Loan.objects.none(), to_field_name="loan_id")
    reason = forms.CharField(
        label=_("reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2, "maxlength": 500})
    )

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        loan: Any = self.fields["loan"]
        loan.queryset = Loan.objects.filter(borrower_id=case.borrower_id).order_by("loan_id")
        loan.label_from_instance = lambda item: item.loan_id
        loan.initial = case.lead_loan_id


class PlanForm(_LoanForm):
    """A repayment plan: kind, months (1–60), annual rate in percent, method, components waived."""

    plan_kind = forms.ChoiceField(label=_("plan"), choices=Arrangement.PlanKindChoice.choices)
    months = forms.IntegerField(label=_("months"), min_value=1, max_value=60, initial=12)
    rate_percent = forms.DecimalField(
        label=_("annual rate (%)"), min_value=Decimal(0), max_digits=8, decimal_places=4
    )
    method = forms.ChoiceField(label=_("repayment method"), choices=METHODS, initial="equal_installment")
    waive_penalty = forms.BooleanField(label=_("waive penalty interest"), required=False)
    waive_compound = forms.BooleanField(label=_("waive compound interest"), required=False)
    waive_fees = forms.BooleanField(label=_("waive fees"), required=False)
    first_due_date = _date(_("first due date (optional)"), required=False)
    effective_on = _date(_("effective on (empty: on approval)"), required=False)

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, case=case, **kwargs)
        rate = Loan.objects.filter(loan_id=case.lead_loan_id).values_list("annual_rate", flat=True).first()
        if rate is not None:
            self.fields["rate_percent"].initial = (Decimal(rate) * 100).normalize()


class WaiverForm(_LoanForm):
    """A waiver: the amounts (yuan) of penalty, compound interest and fees to waive."""

    penalty = _yuan(_("penalty interest (yuan)"), required=False)
    compound = _yuan(_("compound interest (yuan)"), required=False)
    fees = _yuan(_("fees (yuan)"), required=False)
    effective_on = _date(_("effective on (empty: on approval)"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not any(data.get(name) for name in ("penalty", "compound", "fees")):
            raise forms.ValidationError(_("Give the amount of at least one component to waive."))
        return data


class SettlementForm(_LoanForm):
    """A discounted settlement: the amount (yuan) that closes the loan if paid by the pay-by day."""

    amount = forms.DecimalField(
        label=_("settlement amount (yuan)"), min_value=Decimal("0.01"), decimal_places=2, max_digits=14
    )
    pay_by = _date(_("pay by"))


class DecisionForm(forms.Form):
    """A checker's note (required to reject)."""

    note = forms.CharField(label=_("note"), max_length=500, required=False)
