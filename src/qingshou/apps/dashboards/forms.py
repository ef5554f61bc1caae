"""The dashboards' filter form (GET): month, product, branch, team."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from qingshou.apps.accounts.models import Team

Choices = Sequence[tuple[str, str]]


def month_value(month: date) -> str:
    """``2026-11`` (the form's value of a month)."""
    return f"{month:%Y-%m}"


class FilterForm(forms.Form):
    """The filters of every dashboard page. ``months``: the lake's months (newest first); ``teams``: the teams
    the user may choose; ``any_team``: whether "all teams" is a choice (not for a supervisor)."""

    month = forms.ChoiceField(label=_("month"))
    product = forms.ChoiceField(label=_("product"), required=False)
    branch = forms.ChoiceField(label=_("branch"), required=False)
    team = forms.ChoiceField(label=_("team"), required=False)

    def __init__(
        self,
        data: Any,
        *,
        months: Sequence[date],
        products: Choices,
        branches: Choices,
        teams: Sequence[Team],
        any_team: bool,
    ) -> None:
        super().__init__(data)
        everything = ("", _("all"))
        self._months = {month_value(month): month for month in months}
        self._choice("month").choices = [(value, value) for value in self._months]
        self._choice("product").choices = [everything, *products]
        self._choice("branch").choices = [everything, *branches]
        team_choices = [(str(team.pk), team.name) for team in teams]
        self._choice("team").choices = [everything, *team_choices] if any_team else team_choices
        self._choice("team").required = not any_team

    def _choice(self, name: str) -> forms.ChoiceField:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        return field

    def chosen_month(self) -> date:
        """The month chosen (first day); the form must be valid."""
        return self._months[self.cleaned_data["month"]]

    def filters(self) -> dict[str, str]:
        """The chosen filters for ``Sources.filters`` (``product``: product id, ``branch``: branch name,
        ``team``: the team's id as text); "all" leaves a filter out."""
        return {
            name: str(self.cleaned_data[name])
            for name in ("product", "branch", "team")
            if self.cleaned_data.get(name)
        }
