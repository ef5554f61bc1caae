"""Read side of the legal app: the legal cases a user may see, their deadlines, a case page's section.

Every read starts from the row-level scope (``accounts.scoping.visible_cases``): a legal case is visible when
its collection case is. ``None`` as the user means the whole book (the command line and EOD).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Prefetch, QuerySet

from qingshou.apps.accounts.scoping import visible_cases
from qingshou.apps.cases.models import Case
from qingshou.apps.eod.models import LoanStatus
from qingshou.apps.legal.conf import LegalSettings, legal_settings
from qingshou.apps.legal.deadlines import (
    CaseFacts,
    Deadline,
    LimitationFacts,
    MeasureFacts,
    build_deadlines,
    upcoming,
)
from qingshou.apps.legal.models import LegalCase, Preservation
from qingshou.apps.loans.models import Loan
from qingshou.apps.loans.selectors import business_calendar
from qingshou.domain.legal import Stage

ALL: Any = None


def visible_legal_cases(user: Any) -> QuerySet[LegalCase]:
    """The legal cases of the cases ``user`` sees (every one when ``user`` is ``None``: CLI, EOD)."""
    cases = LegalCase.objects.all()
    if user is None:
        return cases
    return cases.filter(case__in=visible_cases(user).values("pk"))


def legal_case_for(user: Any, legal_case_id: int) -> LegalCase | None:
    """The legal case if ``user`` may see it (with its case, borrower and loans), else ``None``."""
    return (
        visible_legal_cases(user)
        .select_related("case", "case__borrower", "opened_by")
        .prefetch_related(Prefetch("loans", queryset=Loan.objects.order_by("loan_id")))
        .filter(pk=legal_case_id)
        .first()
    )


def case_legal_cases(case: Case) -> list[LegalCase]:
    """The legal cases of the case's borrower (every episode), newest first, with their loans."""
    return list(
        LegalCase.objects.filter(case__borrower_id=case.borrower_id)
        .prefetch_related(Prefetch("loans", queryset=Loan.objects.order_by("loan_id")))
        .order_by("-opened_on", "-pk")
    )


def active_measures(legal_cases: QuerySet[LegalCase]) -> QuerySet[Preservation]:
    """Measures in force (not released, not renewed) of ``legal_cases``."""
    return Preservation.objects.filter(
        legal_case__in=legal_cases.values("pk"), released_on__isnull=True, renewal__isnull=True
    ).select_related("legal_case")


def deadline_facts(
    legal_cases: QuerySet[LegalCase], limitation: dict[str, date] | None = None
) -> tuple[list[CaseFacts], list[MeasureFacts], list[LimitationFacts]]:
    """The facts ``deadlines.build_deadlines`` reads, for ``legal_cases``; a loan's limitation expiry from
    ``limitation`` (loan id → day, e.g. the EOD snapshot) or else its stored status (``LoanStatus``)."""
    open_cases = list(
        legal_cases.exclude(stage=Stage.CLOSED.value).values(
            "pk", "case_id", "case_type", "stage", "hearing_on", "effective_on", "performance_due_on"
        )
    )
    cases = [
        CaseFacts(
            legal_case_id=row["pk"],
            case_id=row["case_id"],
            case_type=row["case_type"],
            stage=row["stage"],
            hearing_on=row["hearing_on"],
            effective_on=row["effective_on"],
            performance_due_on=row["performance_due_on"],
        )
        for row in open_cases
    ]
    measures = [
        MeasureFacts(
            preservation_id=row.pk,
            legal_case_id=row.legal_case_id,
            case_id=row.legal_case.case_id,
            asset_kind=row.asset_kind,
            description=row.description,
            expires_on=row.expires_on,
            renewal_due_on=row.renewal_due_on,
        )
        for row in active_measures(legal_cases)
    ]
    by_case = {row["pk"]: row["case_id"] for row in open_cases}
    pairs = list(
        LegalCase.loans.through.objects.filter(legalcase_id__in=list(by_case)).values_list(
            "legalcase_id", "loan_id"
        )
    )
    known = limitation
    if known is None:
        stored = LoanStatus.objects.filter(loan_id__in={loan for _case, loan in pairs}).values_list(
            "loan_id", "limitation_expires_on"
        )
        known = {loan: day for loan, day in stored if day is not None}
    limitations = [
        LimitationFacts(legal_case_id=case_pk, case_id=by_case[case_pk], loan_id=loan, expires_on=known[loan])
        for case_pk, loan in pairs
        if known.get(loan) is not None
    ]
    return cases, measures, limitations


def all_deadlines(user: Any, conf: LegalSettings | None = None) -> list[Deadline]:
    """Every deadline of the legal cases ``user`` sees."""
    settings = conf or legal_settings()
    cases, measures, limitations = deadline_facts(visible_legal_cases(user))
    return build_deadlines(cases, measures, limitations, settings, business_calendar())


def calendar(user: Any, today: date, days: int | None = None) -> list[Deadline]:
    """The legal calendar of ``user``: deadlines still ahead within ``days`` (default ``calendar_days``) or
    already inside their reminder window (``deadlines.upcoming``)."""
    conf = legal_settings()
    return upcoming(all_deadlines(user, conf), today, conf.calendar_days if days is None else days)
