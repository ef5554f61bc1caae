"""Accrual: penalty (罚息) and compound (复利) interest of an overdue installment (conventions C2, C4).

The rules, which the ledger replay (``qingshou.domain.ledger``) applies per installment:

* **Rate.** The penalty rate is the contract's ``annual_rate × (1 + penalty_markup)``; the daily rate is
  that over the product's ``day_count`` (360 or 365). Compound interest uses the same penalty rate.
* **Days.** Each day ``d`` with ``origin < d ≤ D`` accrues on the balance unpaid at the end of day
  ``d − 1``; ``origin`` is ``duedates.overdue_origin`` (the original due date by default). Due 1 Jan, paid in
  full on 10 Jan → days 2…10 → 9 days.
* **Bases.** Penalty accrues on the installment's unpaid principal; compound interest (when the product has
  ``compound``) on its unpaid contractual interest — never on penalty, compound interest or fees.
* **Exact between events.** Balances only change at events, so an installment's accrual is kept as the
  exact sum of ``balance × days`` (*balance-days*, fen × whole days: no rounding at all) and turned into
  money only when it is crystallised: ``to_fen(balance_days × annual_rate × (1 + markup) / day_count)``
  with the product's ``rounding`` (``money.EXACT_CONTEXT`` for the one division). Splitting a stretch of
  days into more segments therefore never changes a figure.
* **Grace.** While the day is at or before the installment's last on-time day (effective due date + grace)
  and the installment is not fully paid, its accrual is *contingent*: kept, not crystallised, not payable,
  reported as 0. Paid in full by that day, it is discarded; otherwise it is crystallised (from the origin)
  at the first allocation event after it, and when reported.
* **Cap** (``cap_charges_at_principal``, card products): penalty + compound + interest + fees charged on the
  loan never exceed its principal; crystallised amounts are truncated to the room left (see
  :func:`cap_room`), so accrual stops, at the fen, once the cap is reached.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from qingshou.domain.money import EXACT_CONTEXT, ZERO, to_fen
from qingshou.domain.policy import ProductPolicy


def accrual_days(origin: date, accrued_through: date, day: date) -> int:
    """How many days ``d`` with ``max(origin, accrued_through) < d ≤ day`` there are (0 if none)."""
    start = max(origin, accrued_through)
    return max((day - start).days, 0)


def balance_days(balance: Decimal, days: int) -> Decimal:
    """``balance × days``: the exact measure of one segment's accrual (fen × days, no rounding)."""
    return balance * days


def penalty_rate(annual_rate: Decimal, policy: ProductPolicy) -> Decimal:
    """The annual penalty rate: contract rate × (1 + markup), exact (C4)."""
    return EXACT_CONTEXT.multiply(annual_rate, policy.penalty_rate_factor)


def exact_accrual(measure: Decimal, annual_rate: Decimal, policy: ProductPolicy) -> Decimal:
    """The exact penalty (or compound) interest of ``measure`` balance-days at the penalty rate."""
    numerator = EXACT_CONTEXT.multiply(measure, penalty_rate(annual_rate, policy))
    return EXACT_CONTEXT.divide(numerator, Decimal(policy.day_count))


def crystallise(measure: Decimal, annual_rate: Decimal, policy: ProductPolicy) -> Decimal:
    """The fen amount ``measure`` balance-days crystallise to, with the product's ``rounding`` (C4)."""
    return to_fen(exact_accrual(measure, annual_rate, policy), policy.rounding)


def is_contingent(day: date, last_on_time: date, settled_on: date | None) -> bool:
    """Whether an installment's accrual is still contingent on ``day``: within grace and not fully paid."""
    return day <= last_on_time and settled_on is None


def cap_room(principal: Decimal, interest_and_fees: Decimal, penalty_and_compound: Decimal) -> Decimal:
    """What penalty + compound may still grow by under the cap at principal (never below 0).

    ``interest_and_fees`` is the contractual interest and fees of the whole (possibly accelerated) schedule
    plus the fee charges posted so far; ``penalty_and_compound`` is what has already been crystallised.
    All three are at fen precision, so the room is too.
    """
    return max(principal - interest_and_fees - penalty_and_compound, ZERO)
