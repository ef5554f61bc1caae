"""Reads of the loan book: the facts of one loan as domain values, the business calendar, and quotes.

Selectors never write. ``loan_facts`` loads everything the domain needs to replay a loan in four queries;
``quote`` hands those facts to ``qingshou.domain.quote.quote_loan`` — the reference for every number.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from django.db.models import Prefetch, QuerySet

from qingshou.apps.loans.errors import LoanNotFound
from qingshou.apps.loans.models import CalendarDay, CalendarYear, Installment, LimitationInterruption, Loan
from qingshou.apps.loans.models import Charge as ChargeRow
from qingshou.apps.loans.models import Payment as PaymentRow
from qingshou.calendars import CalendarOverride, build_calendar
from qingshou.domain.calendar import BusinessCalendar
from qingshou.domain.classification import Restructuring
from qingshou.domain.limitation import Interruption
from qingshou.domain.loan import Charge, LoanTerms, Payment, ScheduledInstallment
from qingshou.domain.policy import ProductPolicy
from qingshou.domain.quote import Quote, quote_loan
from qingshou.domain.schedule import build_schedule


@dataclass(frozen=True, slots=True)
class LoanFacts:
    """Everything recorded about one loan, as domain values."""

    terms: LoanTerms
    policy: ProductPolicy
    schedule: tuple[ScheduledInstallment, ...]
    payments: tuple[Payment, ...]
    charges: tuple[Charge, ...]
    interruptions: tuple[Interruption, ...] = ()
    restructurings: tuple[Restructuring, ...] = ()


def business_calendar() -> BusinessCalendar:
    """China's calendar (chinesecalendar) with the operators' override years laid over it."""
    years = CalendarYear.objects.values_list("year", flat=True)
    days = [
        CalendarOverride(day=row.day, is_workday=row.is_workday, name=row.name)
        for row in CalendarDay.objects.filter(day__year__in=list(years))
    ]
    return build_calendar(days, years)


def loan_facts(loan_id: str) -> LoanFacts:
    """The facts of ``loan_id``; ``NotFound`` when there is no such loan."""
    loan = _with_facts(Loan.objects.filter(loan_id=loan_id)).first()
    if loan is None:
        raise LoanNotFound(f"no loan {loan_id!r}", field="loan_id")
    return _facts(loan, {})


def iter_loan_facts(chunk_size: int = 2000) -> Iterator[LoanFacts]:
    """The facts of every loan, in loan id order, a few queries per chunk (for whole-book reads)."""
    policies: dict[str, ProductPolicy] = {}
    ids = list(Loan.objects.order_by("loan_id").values_list("loan_id", flat=True))
    for start in range(0, len(ids), chunk_size):
        chunk = _with_facts(Loan.objects.filter(loan_id__in=ids[start : start + chunk_size]))
        for loan in chunk.order_by("loan_id"):
            yield _facts(loan, policies)


def _with_facts(loans: QuerySet[Loan]) -> QuerySet[Loan]:
    return loans.select_related("product").prefetch_related(
        Prefetch("installments", queryset=Installment.objects.order_by("seq")),
        Prefetch("payments", queryset=PaymentRow.objects.order_by("paid_on", "payment_id")),
        Prefetch("charges", queryset=ChargeRow.objects.order_by("posted_on", "charge_id")),
        Prefetch(
            "limitation_interruptions", queryset=LimitationInterruption.objects.order_by("on", "source")
        ),
    )


def _facts(loan: Loan, policies: dict[str, ProductPolicy]) -> LoanFacts:
    """Domain values of a loan whose related rows are prefetched; ``policies`` caches products."""
    terms = loan.to_terms()
    schedule = tuple(row.to_installment() for row in loan.installments.all())
    policy = policies.get(loan.product_id)
    if policy is None:
        policy = policies[loan.product_id] = loan.product.to_policy()
    return LoanFacts(
        terms=terms,
        policy=policy,
        schedule=schedule or build_schedule(terms),
        payments=tuple(row.to_payment() for row in loan.payments.all()),
        charges=tuple(row.to_charge() for row in loan.charges.all()),
        interruptions=tuple(row.to_interruption() for row in loan.limitation_interruptions.all()),
        restructurings=loan.to_restructurings(),
    )


def quote(loan_id: str, as_of: date, calendar: BusinessCalendar | None = None) -> Quote:
    """The domain's view of ``loan_id`` at the end of ``as_of`` (C1)."""
    return quote_facts(loan_facts(loan_id), as_of, calendar or business_calendar())


def quote_facts(facts: LoanFacts, as_of: date, calendar: BusinessCalendar) -> Quote:
    """Quote already-loaded facts (whole-book reads quote loan after loan without re-querying)."""
    return quote_loan(
        facts.terms,
        facts.schedule,
        facts.payments,
        facts.charges,
        facts.policy,
        calendar,
        as_of,
        restructurings=facts.restructurings,
        interruptions=facts.interruptions,
    )
