"""Forms of the legal pages: opening a case, moving its stage, a hearing day, fees, measures, acceleration.

Forms parse and check shapes only; the rules (stages, terms, fees) are the services' and the domain's.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from qingshou.apps.legal.models import LegalCase, LegalFee, Preservation
from qingshou.domain.legal import Reduction, next_stages

DATE = forms.DateInput(attrs={"type": "date"})
MONEY: dict[str, Any] = {"max_digits": 16, "decimal_places": 2, "min_value": 0}


class OpenForm(forms.Form):
    """Open a legal case on some of the borrower's loans."""

    case_type = forms.ChoiceField(label=_("Type"), choices=LegalCase.TypeChoice.choices)
    loans = forms.MultipleChoiceField(label=_("Loans"), widget=forms.CheckboxSelectMultiple)
    claim = forms.DecimalField(
        label=_("Claim (yuan)"), required=False, help_text=_("Empty: the loans' payoff today."), **MONEY
    )
    court = forms.CharField(label=_("Court or arbitration body"), max_length=200, required=False)
    lawyer = forms.CharField(label=_("Lawyer"), max_length=200, required=False)
    note = forms.CharField(
        label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, loan_ids: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["loans"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(loan_id, loan_id) for loan_id in loan_ids]
        if len(loan_ids) == 1:
            field.initial = loan_ids


class AdvanceForm(forms.Form):
    """Move a legal case to its next stage."""

    target = forms.ChoiceField(label=_("Next stage"))
    on = forms.DateField(label=_("On"), widget=DATE)
    outcome = forms.ChoiceField(
        label=_("Outcome (when closing)"), choices=LegalCase.OutcomeChoice.choices, required=False
    )
    court_case_number = forms.CharField(label=_("Court case number"), max_length=100, required=False)
    performance_due_on = forms.DateField(label=_("Performance due on"), widget=DATE, required=False)
    judgment_principal = forms.DecimalField(label=_("Judgment principal"), required=False, **MONEY)
    judgment_interest = forms.DecimalField(label=_("Judgment interest"), required=False, **MONEY)
    judgment_costs = forms.DecimalField(label=_("Judgment costs"), required=False, **MONEY)
    note = forms.CharField(label=_("Note"), max_length=2000, required=False)

    def __init__(self, *args: Any, legal_case: LegalCase, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = dict(LegalCase.StageChoice.choices)
        stages = next_stages(legal_case.case_type, legal_case.stage, legal_case.outcome or None)
        field = self.fields["target"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(stage.value, labels[stage.value]) for stage in stages]


class HearingForm(forms.Form):
    """The (next) hearing day."""

    hearing_on = forms.DateField(label=_("Hearing on"), widget=DATE)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class FeeForm(forms.Form):
    """A fee to post as a cost of enforcement."""

    kind = forms.ChoiceField(label=_("Fee"), choices=LegalFee.KindChoice.choices)
    basis = forms.DecimalField(
        label=_("Basis (yuan)"),
        required=False,
        help_text=_("Empty: the claim, judgment or measure."),
        **MONEY,
    )
    amount = forms.DecimalField(label=_("Amount (lawyer / other)"), required=False, **MONEY)
    reductions = forms.MultipleChoiceField(
        label=_("Halved because of"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[
            (Reduction.MEDIATION.value, _("mediation")),
            (Reduction.WITHDRAWAL.value, _("withdrawal")),
            (Reduction.SIMPLIFIED.value, _("simplified procedure")),
        ],
    )
    loan = forms.ChoiceField(label=_("Post on loan"))
    preservation = forms.ChoiceField(label=_("Measure (preservation fee)"), required=False)
    reference = forms.CharField(label=_("Reference (lawyer / other)"), max_length=40, required=False)
    on = forms.DateField(label=_("Posted on"), widget=DATE)
    description = forms.CharField(label=_("Description"), max_length=300, required=False)

    def __init__(self, *args: Any, legal_case: LegalCase, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        loan = self.fields["loan"]
        assert isinstance(loan, forms.ChoiceField)
        loan.choices = [(item.loan_id, item.loan_id) for item in legal_case.loans.all()]
        measure = self.fields["preservation"]
        assert isinstance(measure, forms.ChoiceField)
        measure.choices = [("", "—")] + [
            (str(item.pk), f"#{item.pk} {item.description}") for item in legal_case.preservations.all()
        ]


class PreservationForm(forms.Form):
    """A new preservation measure from its ruling."""

    asset_kind = forms.ChoiceField(label=_("Asset"), choices=Preservation.AssetChoice.choices)
    description = forms.CharField(label=_("Description"), max_length=500)
    start_on = forms.DateField(label=_("Start on"), widget=DATE)
    months = forms.IntegerField(
        label=_("Term (months)"), required=False, min_value=1, help_text=_("Empty: the legal maximum.")
    )
    amount = forms.DecimalField(label=_("Amount preserved (yuan)"), required=False, **MONEY)
    ruling_number = forms.CharField(label=_("Ruling number"), max_length=100, required=False)


class RenewForm(forms.Form):
    """The renewal (续行) of a measure."""

    renewed_on = forms.DateField(label=_("Renewed on"), widget=DATE)
    months = forms.IntegerField(label=_("Term (months)"), required=False, min_value=1)
    ruling_number = forms.CharField(label=_("Ruling number"), max_length=100, required=False)


class ReleaseForm(forms.Form):
    """The release (解除) of a measure."""

    on = forms.DateField(label=_("Released on"), widget=DATE)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class AccelerateForm(forms.Form):
    """宣布提前到期 of the case's loans."""

    on = forms.DateField(label=_("On"), widget=DATE)
    note = forms.CharField(label=_("Reason"), max_length=500)


class CalendarForm(forms.Form):
    """How far ahead the calendar looks."""

    days = forms.IntegerField(label=_("Days ahead"), min_value=1, max_value=3660, required=False)


__all__ = [
    "AccelerateForm",
    "AdvanceForm",
    "CalendarForm",
    "FeeForm",
    "HearingForm",
    "OpenForm",
    "PreservationForm",
    "ReleaseForm",
    "RenewForm",
]
