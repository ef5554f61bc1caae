"""Book: one chunk of the synthetic loan book — borrowers, loans, schedules and payments as extract rows.

A chunk is a pure function of (seed, chunk index, chunk size, loan count, as_of, omitted share): it seeds
its own ``random.Random`` from those, so chunks can be drawn in any order, in any process, and the files
come out the same. Borrowers are drawn first (four for every five loans: most borrowers hold one loan,
some several); each loan picks a product by share, a size from the borrower's
income, a disbursement date spread over the years before as_of (young, mid-term and matured loans), and
gets its schedule from the domain's ``build_schedule``. Its payments come from the behaviour model.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Final, TypeVar

from qingshou.domain.loan import LoanTerms, RepaymentMethod, ScheduledInstallment
from qingshou.domain.money import money_str
from qingshou.domain.schedule import add_months, build_schedule
from qingshou.simulate.behaviour import (
    Due,
    LoanFacts,
    Outcome,
    Pricing,
    choose_profile,
    default_probability,
    simulate_behaviour,
)
from qingshou.simulate.catalogue import PRODUCT_CUM_WEIGHTS, PRODUCTS, ProductSpec
from qingshou.simulate.extract import COLUMNS
from qingshou.simulate.people import Borrower, draw_borrower

#: Borrowers drawn per loan in a chunk (4 for 5 loans); the other loans go to borrowers who already have one.
BORROWERS_PER_LOAN: Final = (4, 5)
_T = TypeVar("_T")
_REPAYMENT_DAYS: Final = (5, 10, 15, 20, 25)
_MIN_FIRST_PERIOD_DAYS: Final = 15
_ADULT_DAYS: Final = 20 * 365


@dataclass(frozen=True, slots=True)
class ChunkPlan:
    """Where a chunk sits in the book: its index, loan and borrower numbering, and what to draw."""

    seed: int
    index: int
    first_loan: int
    loans: int
    first_borrower: int
    as_of: date
    omit_installments: float

    @property
    def borrowers(self) -> int:
        """How many borrowers the chunk draws."""
        return borrowers_for(self.loans)


@dataclass(slots=True)
class ChunkRows:
    """The extract rows of one chunk, column by column (every value already a string)."""

    tables: dict[str, dict[str, list[str]]] = field(
        default_factory=lambda: {name: {column: [] for column in COLUMNS[name]} for name in COLUMNS}
    )

    def add(self, table: str, *values: str) -> None:
        """Append one row to ``table`` (values in the table's column order)."""
        for column, value in zip(self.tables[table].values(), values, strict=True):
            column.append(value)


@dataclass(frozen=True, slots=True)
class DrawnLoan:
    """A loan as drawn: its terms, product, origination and the schedule built by the domain."""

    terms: LoanTerms
    spec: ProductSpec
    branch: str
    channel: str
    schedule: tuple[ScheduledInstallment, ...]


def borrowers_for(loans: int) -> int:
    """Borrowers drawn for a chunk of ``loans`` loans (at least one, never more than the loans)."""
    numerator, denominator = BORROWERS_PER_LOAN
    return max(1, -(-loans * numerator // denominator))


def chunk_random(seed: int, index: int, stream: str) -> random.Random:
    """The generator of one stream of one chunk, seeded from text (stable across runs and platforms)."""
    return random.Random(f"qingshou-simulate/{seed}/{index}/{stream}")


def yuan(amount_fen: int) -> str:
    """Integer fen as a yuan string with two decimals ("1033.30")."""
    sign = "-" if amount_fen < 0 else ""
    whole, cents = divmod(abs(amount_fen), 100)
    return f"{sign}{whole}.{cents:02d}"


def _weighted(rng: random.Random, options: tuple[tuple[_T, int], ...]) -> _T:
    return rng.choices([value for value, _ in options], weights=[weight for _, weight in options])[0]


def _first_due_date(rng: random.Random, disbursed_on: date, method: RepaymentMethod, term: int) -> date:
    """Bullet: disbursement + term. Else one month after disbursement, or a fixed repayment day (40 %)."""
    if method is RepaymentMethod.BULLET:
        return add_months(disbursed_on, term)
    if rng.random() < 0.6:
        return add_months(disbursed_on, 1)
    day = rng.choice(_REPAYMENT_DAYS)
    first = add_months(disbursed_on, 1, day)
    if (first - disbursed_on).days < _MIN_FIRST_PERIOD_DAYS:
        first = add_months(disbursed_on, 2, day)
    return first


def _principal(rng: random.Random, spec: ProductSpec, income: int, term: int, rate_bps: int) -> Decimal:
    """Loan size in whole yuan from a drawn payment burden, clamped to the product's range and step.

    The monthly payment is taken as P/term + P·rate/12 (exact for the first 等额本金 installment, an upper
    bound otherwise), so P = income × burden / (1/term + rate/12), in integers.
    """
    low, mode, high = spec.burden_permille
    permille = int(rng.triangular(low, high, mode))
    amount = income * permille * 120_000 * term // (1000 * (120_000 + rate_bps * term))
    amount = max(spec.principal_range[0], min(spec.principal_range[1], amount))
    return Decimal(amount // spec.principal_step * spec.principal_step)


def _disbursed_on(rng: random.Random, spec: ProductSpec, term: int, borrower: Borrower, as_of: date) -> date:
    """Disbursed 1 day to 1.4 terms before as_of (so some loans have matured), once the borrower was adult."""
    adult_for = (as_of - borrower.birth_date).days - _ADULT_DAYS
    max_age = max(1, min(spec.max_age_days, term * 426 // 10, adult_for))
    return as_of - timedelta(days=rng.randint(1, max_age))


def _branch(rng: random.Random, borrower: Borrower) -> str:
    district = rng.choice(borrower.city.districts).name
    return f"{borrower.city.short}分行{district.removesuffix('区')}支行"


def draw_loan(rng: random.Random, loan_id: str, borrower: Borrower, as_of: date) -> DrawnLoan:
    """Draw one loan of ``borrower`` and build its schedule with the domain."""
    spec = rng.choices(PRODUCTS, cum_weights=PRODUCT_CUM_WEIGHTS)[0]
    method = _weighted(rng, spec.methods)
    term = _weighted(rng, spec.terms)
    rate_bps = rng.randrange(spec.rate_bps[0], spec.rate_bps[1] + 1, spec.rate_step_bps)
    disbursed_on = _disbursed_on(rng, spec, term, borrower, as_of)
    terms = LoanTerms(
        loan_id=loan_id,
        product_id=spec.product_id,
        principal=_principal(rng, spec, borrower.monthly_income, term, rate_bps),
        annual_rate=Decimal(rate_bps).scaleb(-4),
        disbursed_on=disbursed_on,
        term_months=term,
        method=method,
        first_due_date=_first_due_date(rng, disbursed_on, method, term),
        borrower_id=borrower.borrower_id,
    )
    channel = _weighted(rng, spec.channels)
    return DrawnLoan(terms, spec, _branch(rng, borrower), channel, build_schedule(terms))


def _due(row: ScheduledInstallment) -> Due:
    """An installment in integer fen (its amounts are at fen precision, so the shift is exact)."""
    principal = int(row.principal_due.scaleb(2))
    interest = int(row.interest_due.scaleb(2))
    return Due(row.due_date, principal, interest, principal + interest + int(row.fee_due.scaleb(2)))


def loan_facts(loan: DrawnLoan, as_of: date) -> LoanFacts:
    """The loan in the behaviour model's terms: dues in fen and what a late day costs."""
    policy = loan.spec.policy
    dues = tuple(_due(row) for row in loan.schedule)
    pricing = Pricing(
        rate_ppm=int(loan.terms.annual_rate * 1_000_000),
        markup_ppm=int(policy.penalty_markup * 1_000_000),
        day_count=policy.day_count,
        grace_days=policy.grace_days,
    )
    return LoanFacts(dues, pricing, loan.terms.disbursed_on, as_of)


def _burden(facts: LoanFacts, term: int, income: int) -> float:
    """The monthly payment as a share of monthly income (a bullet's total spread over its term)."""
    monthly = facts.dues[0].total if len(facts.dues) > 1 else facts.dues[0].total // term
    return monthly / (income * 100)


def behave(rng: random.Random, loan: DrawnLoan, borrower: Borrower, as_of: date) -> Outcome:
    """Draw the loan's profile from the borrower and the loan, then its payments up to as_of."""
    facts = loan_facts(loan, as_of)
    burden = _burden(facts, loan.terms.term_months, borrower.monthly_income)
    p_default = default_probability(borrower.willingness, burden, loan.spec.risk_shift)
    profile = choose_profile(rng, p_default, loan.spec.policy.prepayment)
    return simulate_behaviour(rng, profile, facts)


def _add_borrower(rows: ChunkRows, borrower: Borrower) -> None:
    rows.add(
        "borrowers",
        borrower.borrower_id,
        borrower.name,
        borrower.id_number,
        borrower.phone,
        borrower.address,
        borrower.city.region,
        borrower.employer,
        f"{borrower.monthly_income}.00",
        str(borrower.credit_score),
    )


def _add_loan(rows: ChunkRows, loan: DrawnLoan, outcome: Outcome, with_installments: bool) -> None:
    terms = loan.terms
    first_due = terms.first_due_date.isoformat() if terms.first_due_date else ""
    accelerated = outcome.accelerated_on.isoformat() if outcome.accelerated_on else ""
    rows.add(
        "loans", terms.loan_id, terms.borrower_id, terms.product_id, money_str(terms.principal),
        str(terms.annual_rate), terms.disbursed_on.isoformat(), str(terms.term_months), terms.method.value,
        first_due, loan.branch, loan.channel, accelerated,
    )  # fmt: skip
    if with_installments:
        _add_installments(rows.tables["installments"], terms.loan_id, loan.schedule)
    for number, payment in enumerate(outcome.payments, start=1):
        rows.add(
            "payments", f"{terms.loan_id}-{number:04d}", terms.loan_id, payment.paid_on.isoformat(),
            yuan(payment.amount), payment.channel,
        )  # fmt: skip


def _add_installments(
    columns: dict[str, list[str]], loan_id: str, schedule: tuple[ScheduledInstallment, ...]
) -> None:
    """Append the schedule column by column (its amounts are at fen precision, so ``str`` is exact)."""
    columns["loan_id"].extend([loan_id] * len(schedule))
    columns["seq"].extend([str(row.seq) for row in schedule])
    columns["due_date"].extend([row.due_date.isoformat() for row in schedule])
    columns["principal_due"].extend([str(row.principal_due) for row in schedule])
    columns["interest_due"].extend([str(row.interest_due) for row in schedule])
    columns["fee_due"].extend([str(row.fee_due) for row in schedule])


def loan_id_of(number: int) -> str:
    """The loan id of the book's ``number``-th loan (1-based): ``L`` and nine digits."""
    return f"L{number:09d}"


def borrower_id_of(number: int) -> str:
    """The borrower id of the book's ``number``-th borrower (1-based): ``B`` and nine digits."""
    return f"B{number:09d}"


def simulate_chunk(plan: ChunkPlan) -> ChunkRows:
    """Draw the chunk's borrowers, loans, schedules and payments as extract rows."""
    people = chunk_random(plan.seed, plan.index, "borrowers")
    lending = chunk_random(plan.seed, plan.index, "loans")
    omitting = chunk_random(plan.seed, plan.index, "omit")
    rows = ChunkRows()
    borrowers = [
        draw_borrower(people, borrower_id_of(plan.first_borrower + offset), plan.as_of)
        for offset in range(plan.borrowers)
    ]
    for borrower in borrowers:
        _add_borrower(rows, borrower)
    for offset in range(plan.loans):
        borrower = borrowers[offset] if offset < len(borrowers) else lending.choice(borrowers)
        loan = draw_loan(lending, loan_id_of(plan.first_loan + offset), borrower, plan.as_of)
        outcome = behave(lending, loan, borrower, plan.as_of)
        omit = omitting.random() < plan.omit_installments
        _add_loan(rows, loan, outcome, with_installments=not omit)
    return rows
