"""Read side of the guarantees section: the guarantees of a case's borrower with their periods, acts and
reminders (a fixed number of queries)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Max, Prefetch, QuerySet

from qingshou.apps.cases.models import Case
from qingshou.apps.guarantees.models import Guarantee, GuaranteeReminder, GuarantorDemand
from qingshou.apps.loans.models import Installment
from qingshou.apps.loans.selectors import business_calendar
from qingshou.domain.calendar import BusinessCalendar
from qingshou.domain.guarantees import GuaranteePeriod, guarantee_period, principal_due_date


@dataclass(frozen=True, slots=True)
class GuaranteeRow:
    """A guarantee as the case page shows it: its period (None: the loan has no schedule), whether an act
    preserved it, days left on ``today``."""

    guarantee: Guarantee
    period: GuaranteePeriod | None
    preserved: bool
    days_left: int | None
    demands: list[GuarantorDemand]
    reminders: list[GuaranteeReminder]

    @property
    def ended(self) -> bool:
        """The period is over (and nothing preserved the guarantee: the claim is lost)."""
        return self.days_left is not None and self.days_left < 0


def _rows(
    query: QuerySet[Guarantee], today: date, calendar: BusinessCalendar | None = None
) -> list[GuaranteeRow]:
    guarantees = list(
        query.select_related("loan", "party")
        .prefetch_related(
            Prefetch("demands", queryset=GuarantorDemand.objects.order_by("on", "pk")),
            Prefetch("reminders", queryset=GuaranteeReminder.objects.order_by("-as_of")),
        )
        .order_by("pk")
    )
    if not guarantees:
        return []
    last_due = dict(
        Installment.objects.filter(loan_id__in={g.loan_id for g in guarantees})
        .values("loan_id")
        .annotate(last=Max("due_date"))
        .values_list("loan_id", "last")
    )
    cal = calendar if calendar is not None else business_calendar()
    rows = []
    for guarantee in guarantees:
        due = last_due.get(guarantee.loan_id)
        period = (
            guarantee_period(
                principal_due_date(due, guarantee.loan.accelerated_on), guarantee.agreed_end, cal
            )
            if due is not None
            else None
        )
        demands = list(guarantee.demands.all())
        rows.append(
            GuaranteeRow(
                guarantee=guarantee,
                period=period,
                preserved=any(item.preserves for item in demands),
                days_left=period.days_left(today) if period is not None else None,
                demands=demands,
                reminders=list(guarantee.reminders.all())[:20],
            )
        )
    return rows


def case_guarantees(case: Case, today: date, calendar: BusinessCalendar | None = None) -> list[GuaranteeRow]:
    """The guarantees of the case's borrower's loans, oldest first."""
    return _rows(Guarantee.objects.filter(loan__borrower_id=case.borrower_id), today, calendar)


def periods_due(as_of: date, within: int, calendar: BusinessCalendar | None = None) -> list[GuaranteeRow]:
    """Guarantees not preserved whose period's last day is at most ``within`` days after ``as_of`` (ended ones
    included, days left negative), soonest first."""
    rows = [
        row
        for row in _rows(Guarantee.objects.all(), as_of, calendar)
        if not row.preserved and row.days_left is not None and row.days_left <= within
    ]
    return sorted(rows, key=lambda row: (row.days_left, row.guarantee.pk))
