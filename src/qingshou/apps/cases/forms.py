"""Forms of the workbench pages (issue 5): queue filters, recording a contact, a promise to pay with its
instalments, reassignment and breaking a lock. They parse and validate input only; the services decide."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, Final

from django import forms
from django.contrib.auth.models import User
from django.utils.translation import gettext_lazy as _

from qingshou.apps.accounts.models import Profile, Team
from qingshou.apps.accounts.roles import Role
from qingshou.apps.cases.models import Case, ContactNote
from qingshou.apps.cases.services.queue import QueueFilters
from qingshou.apps.contacts.models import ContactAttempt, ContactParty
from qingshou.apps.loans.models import Loan

#: Instalment rows the promise form offers.
PROMISE_ROWS: Final = 6

CHANNELS: Final = (
    ("call", _("phone call")),
    ("sms", _("SMS")),
    ("email", _("e-mail")),
    ("letter", _("letter")),
)
RESULTS: Final = tuple(ContactAttempt.Result.choices)


class QueueFilterForm(forms.Form):
    """The queue's filters (GET)."""

    bucket = forms.CharField(label=_("bucket"), required=False, max_length=32)
    segment = forms.ChoiceField(label=_("segment"), required=False)
    dpd_min = forms.IntegerField(label=_("dpd from"), required=False, min_value=0)
    dpd_max = forms.IntegerField(label=_("dpd to"), required=False, min_value=0)
    queue = forms.ChoiceField(label=_("queue"), required=False)

    def __init__(self, *args: Any, segments: list[str], queues: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        blank = [("", _("all"))]
        self.fields["segment"].choices = blank + [(name, name) for name in segments]  # type: ignore[attr-defined]
        self.fields["queue"].choices = blank + [(name, name) for name in queues]  # type: ignore[attr-defined]

    def filters(self) -> QueueFilters:
        """The valid filters (invalid ones are ignored: the form shows their errors)."""
        data = self.cleaned_data if self.is_valid() else {}
        return QueueFilters(
            bucket=data.get("bucket") or "",
            segment=data.get("segment") or "",
            dpd_min=data.get("dpd_min"),
            dpd_max=data.get("dpd_max"),
            queue=data.get("queue") or "",
        )


class ContactForm(forms.Form):
    """One contact the collector made (or is about to make): checked (C8) before it is recorded."""

    party = forms.ModelChoiceField(label=_("party"), queryset=ContactParty.objects.none())
    loan = forms.ModelChoiceField(label=_("loan"), queryset=Loan.objects.none(), to_field_name="loan_id")
    channel = forms.ChoiceField(label=_("channel"), choices=CHANNELS, initial="call")
    result = forms.ChoiceField(label=_("outcome"), choices=RESULTS)
    reason = forms.ChoiceField(
        label=_("reason for delinquency"), choices=[("", "—"), *ContactNote.Reason.choices], required=False
    )
    notes = forms.CharField(
        label=_("notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=4000
    )
    callback_at = forms.DateTimeField(
        label=_("call back at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )

    def __init__(
        self,
        *args: Any,
        case: Case,
        parties: Sequence[ContactParty] | None = None,
        loans: Sequence[Loan] | None = None,
        **kwargs: Any,
    ) -> None:
        """``parties`` / ``loans``: the borrower's parties (by pk) and loans (by loan id) when the caller has
        them already (the case page): the drop-downs are rendered from them without a query of their own."""
        super().__init__(*args, **kwargs)
        party: Any = self.fields["party"]
        party.queryset = ContactParty.objects.filter(borrower_id=case.borrower_id).order_by("pk")
        party.label_from_instance = _party_label
        if parties is None:
            party.initial = party.queryset.filter(kind="debtor").values_list("pk", flat=True).first()
        else:
            party.initial = next((item.pk for item in parties if item.kind == "debtor"), None)
            fixed_choices(party, parties, lambda item: item.pk)
        loan: Any = self.fields["loan"]
        loan.queryset = Loan.objects.filter(borrower_id=case.borrower_id).order_by("loan_id")
        loan.label_from_instance = _loan_label
        loan.initial = case.lead_loan_id
        if loans is not None:
            fixed_choices(loan, loans, _loan_label)


def _loan_label(loan: Loan) -> str:
    return loan.loan_id


def fixed_choices(field: Any, items: Iterable[Any], value: Callable[[Any], Any]) -> None:
    """Give a ``ModelChoiceField`` the choices of objects already fetched, in their order (the case page
    has the borrower's loans and parties): rendering then costs no query — Django would run the field's
    queryset through a server-side cursor for every form. Validation still looks the value up in the
    field's queryset, so a posted value outside it is refused as before."""
    empty = [("", field.empty_label)] if field.empty_label is not None else []
    field.choices = empty + [(value(item), field.label_from_instance(item)) for item in items]


def _party_label(party: ContactParty) -> str:
    """A party as the drop-down shows it: kind, relation and the masked phone (never the full number)."""
    from qingshou.domain.privacy import mask_name, mask_phone

    parts = [
        str(party.kind),
        party.relation,
        mask_name(party.name) if party.name else "",
        mask_phone(party.phone),
    ]
    return " · ".join(part for part in parts if part)


class PromiseForm(forms.Form):
    """A promise to pay: up to ``PROMISE_ROWS`` instalments (date + amount), optionally for one loan."""

    loan = forms.ModelChoiceField(
        label=_("loan (empty: any of the borrower's)"),
        queryset=Loan.objects.none(),
        to_field_name="loan_id",
        required=False,
    )

    def __init__(self, *args: Any, case: Case, loans: Sequence[Loan] | None = None, **kwargs: Any) -> None:
        """``loans``: the borrower's loans by loan id when the caller has them (as ``ContactForm``)."""
        super().__init__(*args, **kwargs)
        loan: Any = self.fields["loan"]
        loan.queryset = Loan.objects.filter(borrower_id=case.borrower_id).order_by("loan_id")
        loan.label_from_instance = _loan_label
        if loans is not None:
            fixed_choices(loan, loans, _loan_label)
        for row in range(1, PROMISE_ROWS + 1):
            self.fields[f"due_on_{row}"] = forms.DateField(
                label=_("date"), required=row == 1, widget=forms.DateInput(attrs={"type": "date"})
            )
            self.fields[f"amount_{row}"] = forms.DecimalField(
                label=_("amount (yuan)"),
                required=row == 1,
                min_value=Decimal("0.01"),
                decimal_places=2,
                max_digits=14,
            )

    def rows(self) -> list[tuple[Any, Any]]:
        """The instalment field pairs, for the template."""
        return [(self[f"due_on_{row}"], self[f"amount_{row}"]) for row in range(1, PROMISE_ROWS + 1)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        instalments: list[tuple[date, Decimal]] = []
        for row in range(1, PROMISE_ROWS + 1):
            due_on, amount = data.get(f"due_on_{row}"), data.get(f"amount_{row}")
            if due_on is None and amount is None:
                continue
            if due_on is None or amount is None:
                raise forms.ValidationError(
                    _("Instalment %(row)s needs both a date and an amount.") % {"row": row}
                )
            instalments.append((due_on, amount))
        data["instalments"] = instalments
        return data


class ReassignForm(forms.Form):
    """Move a case to another collector of a team the supervisor leads (admins: any team)."""

    collector = forms.ModelChoiceField(label=_("collector"), queryset=User.objects.none())
    reason = forms.CharField(label=_("reason"), max_length=500)

    def __init__(self, *args: Any, supervisor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        teams = Team.objects.all() if supervisor.is_superuser else Team.objects.filter(supervisor=supervisor)
        if supervisor.groups.filter(name=Role.ADMIN.value).exists():
            teams = Team.objects.all()
        members = Profile.objects.filter(team__in=teams).values("user_id")
        field: Any = self.fields["collector"]
        field.queryset = User.objects.filter(
            pk__in=members, groups__name=Role.COLLECTOR.value, is_active=True
        ).order_by("username")


class ReasonForm(forms.Form):
    """Why a supervisor breaks a lock."""

    reason = forms.CharField(label=_("reason"), max_length=500)
