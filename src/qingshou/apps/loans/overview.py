"""The overdue book at a glance: counts and balances by bucket and by class, quoted loan by loan.

This is the collection manager's first screen in ``qingshou demo`` until the EOD engine (issue 3)
computes the same figures as columns. Every figure comes from ``quote_loan`` — the domain reference — and a
loan whose data breaks a rule becomes an error row (loan id, code, message) while the rest go on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from qingshou.apps.loans.selectors import LoanFacts, business_calendar, iter_loan_facts, quote_facts
from qingshou.domain.errors import DomainError
from qingshou.domain.money import ZERO
from qingshou.domain.policy import LoanClass
from qingshou.domain.quote import Quote


@dataclass(slots=True)
class Tally:
    """Loans, overdue amount and outstanding principal of one group."""

    loans: int = 0
    total_overdue: Decimal = ZERO
    outstanding_principal: Decimal = ZERO

    def add(self, quote: Quote) -> None:
        """Count one quoted loan into the group."""
        self.loans += 1
        self.total_overdue += quote.total_overdue
        self.outstanding_principal += quote.outstanding_principal


@dataclass(frozen=True, slots=True)
class LoanError:
    """A loan that could not be quoted, and why."""

    loan_id: str
    code: str
    message: str


@dataclass(slots=True)
class BookOverview:
    """The book at the end of ``as_of`` grouped by bucket and by five-category class."""

    as_of: date
    by_bucket: dict[str, Tally] = field(default_factory=dict)
    by_class: dict[LoanClass, Tally] = field(default_factory=dict)
    errors: list[LoanError] = field(default_factory=list)
    samples: dict[str, Quote] = field(default_factory=dict)

    @property
    def loans(self) -> int:
        """Loans quoted."""
        return sum(t.loans for t in self.by_bucket.values())

    def add(self, quote: Quote) -> None:
        """Count a quote into its bucket and class; keep the first loan of each bucket as a sample."""
        self.by_bucket.setdefault(quote.bucket, Tally()).add(quote)
        self.by_class.setdefault(quote.classification, Tally()).add(quote)
        self.samples.setdefault(quote.bucket, quote)


def book_overview(
    as_of: date,
    facts: Iterable[LoanFacts] | None = None,
    progress: Callable[[int], None] | None = None,
) -> BookOverview:
    """Quote every loan at the end of ``as_of`` and group the results."""
    calendar = business_calendar()
    overview = BookOverview(as_of)
    for facts_of_loan in facts if facts is not None else iter_loan_facts():
        try:
            overview.add(quote_facts(facts_of_loan, as_of, calendar))
        except DomainError as error:
            overview.errors.append(LoanError(facts_of_loan.terms.loan_id, error.code, error.message))
        if progress is not None:
            progress(1)
    return overview
