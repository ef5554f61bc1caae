"""Read side of the arrangements pages: what a user may see, the approvals queue, a successor's schedule."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, QuerySet

from qingshou.apps.accounts.scoping import visible_cases
from qingshou.apps.arrangements.models import Arrangement
from qingshou.apps.arrangements.rules import Status
from qingshou.apps.cases.models import Case
from qingshou.apps.loans.models import Installment, Loan


def visible_arrangements(user: Any) -> QuerySet[Arrangement]:
    """The arrangements of the cases ``user`` sees (row-level scope: ``accounts.scoping``)."""
    return Arrangement.objects.filter(case__in=visible_cases(user).values("pk"))


def case_arrangements(case: Case) -> list[Arrangement]:
    """The arrangements of the case's borrower, newest first, with their people (one query): those agreed on
    an earlier case of the borrower too — a breached plan shows on the case its successor's arrears opened."""
    return list(
        Arrangement.objects.filter(case__borrower_id=case.borrower_id)
        .select_related("proposed_by", "decided_by")
        .order_by("-proposed_at", "-pk")
    )


def successors(arrangements: list[Arrangement]) -> dict[str, Loan]:
    """The successor loans of executed plans with their installments (two queries at most)."""
    ids = [a.successor_loan_id for a in arrangements if a.successor_loan_id]
    if not ids:
        return {}
    loans = Loan.objects.filter(loan_id__in=ids).prefetch_related(
        Prefetch("installments", queryset=Installment.objects.order_by("seq"))
    )
    return {loan.loan_id: loan for loan in loans}


@dataclass(frozen=True, slots=True)
class QueueRow:
    """A pending proposal in the approvals queue and whether the user may approve it (``refusal`` is why
    not)."""

    arrangement: Arrangement
    refusal: str | None

    @property
    def actionable(self) -> bool:
        """The user may approve it (reject is offered whenever they decide at all)."""
        return self.refusal is None


def pending(user: Any) -> QuerySet[Arrangement]:
    """Proposals waiting for a decision on the cases ``user`` sees, oldest first."""
    return (
        visible_arrangements(user)
        .filter(status=Status.PROPOSED.value)
        .select_related("case", "case__borrower", "proposed_by")
        .order_by("proposed_at", "pk")
    )
