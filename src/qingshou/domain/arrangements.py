"""Arrangements: repayment plans, discounted settlements and waivers as facts the ledger understands
(issue 5 "Plans, waivers and settlements"; C4–C7).

A collection system must not invent money: every arrangement ends as payments and loans the ledger already
replays, so the domain and the engine keep agreeing to the fen.

* **Plan** (``propose_plan``). On the plan's effective day R the original loan is called early on R
  (acceleration, ledger rule 7) and closed by a non-cash ``restructure`` payment of its payoff at the end
  of R (after that day's cash). A **successor loan** carries what the plan capitalises:
  ``capitalised = payoff − Σ waived``, where ``payoff`` is the quote's payoff at the end of R (outstanding
  principal, unpaid interest — the current period's pro rata —, fees, costs, penalty, compound, less
  credit) and ``waived`` is the whole unpaid amount of each component in ``PlanTerms.waive`` (penalty,
  compound, fees) at the end of R; ``concession = Σ waived``. The successor's rate must not be above the
  original's; it is disbursed on R, monthly, 1–60 months. Its schedule, by ``PlanKind``:

  - ``instalments`` (个性化分期): ``schedule.build_schedule`` of the capitalised amount over ``months``,
    equal instalment or equal principal, first due ``first_due_date`` or R + 1 month;
  - ``extension`` (展期): the same, and the successor's last due date must fall after the original
    contract's last due date (a longer term);
  - ``rescheduled_arrears``: the original's installments due after R keep their due dates and the
    principal still unpaid on them; the arrears — capitalised minus that principal — are spread evenly over
    them: each gets the arrears divided by their count, rounded down to the fen, and the last also takes
    the cent remainder. Interest of each is ``to_fen(balance before it × plan rate / 12)``, a whole month
    on every installment as ``build_schedule`` does (``months`` and ``first_due_date`` are not used: the
    remaining schedule fixes the count and the dates; ``method`` is recorded on the successor's terms).

  C6: the successor is restructured on R, with the original's class at the end of R (``Restructuring``
  with ``class_on_day``); C7: the plan interrupts the original's limitation on R.
* **Settlement** (``settlement_discount``): an approved amount P below the payoff; once cash reaches P the
  loan is called early and a non-cash ``discount`` payment of payoff − P closes it.
* **Waiver** (``check_waiver``): amounts per component (fees, penalty, compound), each at most what is
  unpaid of it in the quote of the day before the waiver; posted as a non-cash ``waiver`` payment that the
  ledger allocates only to those components (ledger rule 10).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum
from typing import Final

from qingshou.domain.errors import DomainError
from qingshou.domain.loan import WAIVABLE, LoanTerms, RepaymentMethod, ScheduledInstallment
from qingshou.domain.money import EXACT_CONTEXT, FEN, ZERO, to_fen
from qingshou.domain.policy import Component
from qingshou.domain.quote import Quote
from qingshou.domain.schedule import build_schedule, due_dates

#: A plan runs 1 to 60 monthly instalments (个性化分期 up to 5 years).
MAX_MONTHS: Final = 60
#: The methods a plan may use (monthly schedules).
PLAN_METHODS: Final = frozenset({RepaymentMethod.EQUAL_INSTALLMENT, RepaymentMethod.EQUAL_PRINCIPAL})


class ArrangementError(DomainError):
    """A plan, settlement or waiver breaks a rule (issue 5); ``field`` names the offending input."""

    code = "invalid_arrangement"


class PlanKind(StrEnum):
    """The three repayment plans of issue 5."""

    INSTALMENTS = "instalments"  # 个性化分期
    EXTENSION = "extension"  # 展期
    RESCHEDULED_ARREARS = "rescheduled_arrears"


@dataclass(frozen=True, slots=True)
class PlanTerms:
    """What a plan proposes: its kind, effective day R, months, rate, method, the components it waives."""

    kind: PlanKind
    effective_on: date
    months: int
    annual_rate: Decimal
    method: RepaymentMethod
    waive: frozenset[Component] = frozenset()
    first_due_date: date | None = None


@dataclass(frozen=True, slots=True)
class PlanOutcome:
    """The plan applied to the original at the end of R (amounts in yuan at fen precision)."""

    original_payoff: Decimal
    waived: Mapping[Component, Decimal]
    capitalised: Decimal
    terms: LoanTerms
    schedule: tuple[ScheduledInstallment, ...]
    concession: Decimal = field(default=ZERO)


def _unpaid(quote: Quote, component: Component) -> Decimal:
    """What the quote shows unpaid of a waivable component."""
    if component is Component.PENALTY:
        return quote.penalty_interest
    if component is Component.COMPOUND:
        return quote.compound_interest
    return quote.fees


def _check_plan(original: LoanTerms, quote: Quote, plan: PlanTerms) -> None:
    """Refuse a plan that breaks a rule (module docstring), naming the field."""
    day = plan.effective_on
    if quote.as_of != day:
        raise ArrangementError(
            f"loan {original.loan_id}: the quote is of {quote.as_of}, the plan takes effect on {day}",
            field="effective_on",
        )
    if day < original.disbursed_on:
        raise ArrangementError(
            f"loan {original.loan_id}: the plan takes effect on {day}, before disbursement on"
            f" {original.disbursed_on}",
            field="effective_on",
        )
    if quote.payoff_amount <= ZERO:
        raise ArrangementError(
            f"loan {original.loan_id}: nothing is owed at the end of {day} (the loan is closed)",
            field="effective_on",
        )
    if not 1 <= plan.months <= MAX_MONTHS:
        raise ArrangementError(f"a plan runs 1 to {MAX_MONTHS} months, not {plan.months}", field="months")
    if plan.annual_rate < ZERO or plan.annual_rate > original.annual_rate:
        raise ArrangementError(
            f"the plan's rate {plan.annual_rate} must be between 0 and the original's {original.annual_rate}",
            field="annual_rate",
        )
    if plan.method not in PLAN_METHODS:
        raise ArrangementError(
            f"a plan is monthly equal instalment or equal principal, not {plan.method}", field="method"
        )
    if not plan.waive <= WAIVABLE:
        raise ArrangementError("a plan waives only fees, penalty and compound interest", field="waive")
    if plan.first_due_date is not None and plan.first_due_date <= day:
        raise ArrangementError(
            f"the first due date {plan.first_due_date} must be after the effective day {day}",
            field="first_due_date",
        )


def propose_plan(
    original: LoanTerms,
    quote: Quote,
    plan: PlanTerms,
    successor_id: str,
    *,
    schedule: Sequence[ScheduledInstallment] = (),
) -> PlanOutcome:
    """The successor loan a plan makes of ``original`` (rules in the module docstring).

    ``quote``: the original's domain quote at the end of R with the loan called early on R (what the
    ``restructure`` payment settles). ``schedule``: the original's contractual schedule, required for
    ``rescheduled_arrears`` (its installments due after R). Raises ``ArrangementError``.
    """
    _check_plan(original, quote, plan)
    waived = {component: _unpaid(quote, component) for component in sorted(plan.waive)}
    concession = sum(waived.values(), ZERO)
    capitalised = quote.payoff_amount - concession
    if capitalised <= ZERO:
        raise ArrangementError(
            f"loan {original.loan_id}: the plan waives everything owed ({concession})", field="waive"
        )
    if plan.kind is PlanKind.RESCHEDULED_ARREARS:
        terms, rows = _rescheduled(original, quote, plan, successor_id, capitalised, schedule)
    else:
        terms = _successor_terms(original, plan, successor_id, capitalised, plan.months, plan.first_due_date)
        rows = build_schedule(terms)
        if plan.kind is PlanKind.EXTENSION:
            _check_longer(original, rows, schedule)
    return PlanOutcome(quote.payoff_amount, waived, capitalised, terms, rows, concession)


def _successor_terms(
    original: LoanTerms,
    plan: PlanTerms,
    successor_id: str,
    principal: Decimal,
    months: int,
    first_due: date | None,
) -> LoanTerms:
    return LoanTerms(
        loan_id=successor_id,
        product_id=original.product_id,
        principal=principal,
        annual_rate=plan.annual_rate,
        disbursed_on=plan.effective_on,
        term_months=months,
        method=plan.method,
        first_due_date=first_due,
        borrower_id=original.borrower_id,
    )


def _check_longer(
    original: LoanTerms, rows: Sequence[ScheduledInstallment], schedule: Sequence[ScheduledInstallment]
) -> None:
    last = max(row.due_date for row in schedule) if schedule else due_dates(original)[-1]
    if rows[-1].due_date <= last:
        raise ArrangementError(
            f"an extension must end after the original's last due date {last}, not on {rows[-1].due_date}",
            field="months",
        )


def _rescheduled(
    original: LoanTerms,
    quote: Quote,
    plan: PlanTerms,
    successor_id: str,
    capitalised: Decimal,
    schedule: Sequence[ScheduledInstallment],
) -> tuple[LoanTerms, tuple[ScheduledInstallment, ...]]:
    """The remaining installments after R with the arrears spread evenly (module docstring)."""
    day = plan.effective_on
    paid = {row.seq: row.principal_paid for row in quote.installments}
    remaining = [row for row in schedule if row.due_date > day]
    if not remaining:
        raise ArrangementError(
            f"loan {original.loan_id}: no installment falls due after {day} to spread the arrears over",
            field="kind",
        )
    unpaid = [row.principal_due - paid.get(row.seq, ZERO) for row in remaining]
    arrears = capitalised - sum(unpaid, ZERO)
    if arrears <= ZERO:
        raise ArrangementError(f"loan {original.loan_id}: nothing is in arrears on {day}", field="kind")
    share = EXACT_CONTEXT.divide(arrears, Decimal(len(remaining))).quantize(FEN, rounding=ROUND_DOWN)
    shares = [share] * (len(remaining) - 1) + [arrears - share * (len(remaining) - 1)]
    terms = _successor_terms(original, plan, successor_id, capitalised, len(remaining), remaining[0].due_date)
    monthly = EXACT_CONTEXT.divide(plan.annual_rate, Decimal(12))
    balance = capitalised
    rows: list[ScheduledInstallment] = []
    for seq, (row, principal) in enumerate(zip(remaining, unpaid, strict=True), start=1):
        interest = to_fen(EXACT_CONTEXT.multiply(balance, monthly))
        amount = principal + shares[seq - 1]
        rows.append(ScheduledInstallment(seq, row.due_date, amount, interest, ZERO))
        balance -= amount
    return terms, tuple(rows)


def settlement_discount(payoff: Decimal, amount: Decimal) -> Decimal:
    """The discount of a settlement for ``amount``: payoff − amount; refused unless 0 < amount < payoff."""
    if amount <= ZERO:
        raise ArrangementError(f"a settlement amount must be positive, not {amount}", field="amount")
    if amount >= payoff:
        raise ArrangementError(
            f"a settlement of {amount} is not below the payoff {payoff}: nothing to discount", field="amount"
        )
    return payoff - amount


def check_waiver(quote: Quote, amounts: Mapping[Component, Decimal]) -> Decimal:
    """The total of a waiver of ``amounts`` per component; refused when a component is not fees, penalty or
    compound, an amount is not positive, or one exceeds what is unpaid of it in ``quote`` (the loan at the
    end of the day before the waiver)."""
    if not amounts:
        raise ArrangementError("a waiver names at least one component", field="amounts")
    total = ZERO
    for component, amount in amounts.items():
        if component not in WAIVABLE:
            raise ArrangementError(
                f"only fees, penalty and compound interest can be waived, not {component}",
                field=str(component),
            )
        if amount <= ZERO or amount != to_fen(amount):
            raise ArrangementError(
                f"the waived {component} must be a positive amount in fen, not {amount}", field=str(component)
            )
        unpaid = _unpaid(quote, component)
        if amount > unpaid:
            raise ArrangementError(
                f"the waived {component} {amount} is more than the unpaid {unpaid} on {quote.as_of}",
                field=str(component),
            )
        total += amount
    return total
