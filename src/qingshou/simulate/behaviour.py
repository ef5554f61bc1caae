"""Behaviour: how a synthetic borrower repays one loan, installment by installment, up to as_of.

A loan gets a *profile* drawn from its default probability, which rises as the borrower's latent
willingness falls, as the installment eats more of their income and with the product's risk shift:
on time (mostly auto-debit on the due date, some days early), late by a few days (some within grace),
partial payments caught up at the next due date, a delinquency spell then cured with one lump sum,
defaulted (stops paying; some pay sporadically afterwards; a few loans are accelerated after long
default), early payoff (products that allow prepayment; the remaining schedule paid in one sum) and
over-payment. A payment made after the due date adds an upper estimate of the penalty and compound
interest it owes (C4) so that it clears the installment; within grace (C2) it pays exactly what is due.
Amounts here are integer fen; every payment date is after disbursement and on or before as_of (C1)."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from itertools import accumulate
from typing import Final

#: Installments due up to this many days after as_of are simulated (early payments land before as_of).
_HORIZON: Final = timedelta(days=7)
_PPM: Final = 1_000_000


class Profile(StrEnum):
    """The repayment pattern a loan follows over its life."""

    ON_TIME = "on_time"
    LATE = "late"
    PARTIAL = "partial"
    CURED = "cured"
    DEFAULTED = "defaulted"
    EARLY_PAYOFF = "early_payoff"
    OVERPAY = "overpay"


@dataclass(frozen=True, slots=True)
class Due:
    """One scheduled installment in integer fen."""

    due_date: date
    principal: int
    interest: int
    total: int


@dataclass(frozen=True, slots=True)
class Pricing:
    """What a late payment owes on top of the installment: rates in millionths, day count, grace days."""

    rate_ppm: int
    markup_ppm: int
    day_count: int
    grace_days: int


@dataclass(frozen=True, slots=True)
class LoanFacts:
    """What the behaviour model needs to know about one loan."""

    dues: tuple[Due, ...]
    pricing: Pricing
    disbursed_on: date
    as_of: date


@dataclass(frozen=True, slots=True)
class SimPayment:
    """A simulated payment: value date, amount in fen, channel."""

    paid_on: date
    amount: int
    channel: str


@dataclass(frozen=True, slots=True)
class Outcome:
    """The payments of a loan up to as_of (in date order) and its acceleration date, if any."""

    payments: tuple[SimPayment, ...]
    accelerated_on: date | None


_Days = Callable[[random.Random], int]


@dataclass(frozen=True, slots=True)
class _Channels:
    """Payment channels with cumulative weights, ready for ``random.choices``."""

    names: tuple[str, ...]
    cum_weights: tuple[int, ...]

    @classmethod
    def of(cls, *weighted: tuple[str, int]) -> _Channels:
        return cls(tuple(name for name, _ in weighted), tuple(accumulate(weight for _, weight in weighted)))


_AUTO_DEBIT: Final = _Channels.of(("auto_debit", 8), ("app", 2))
_EARLY: Final = _Channels.of(("app", 6), ("bank_transfer", 4))
_LATE: Final = _Channels.of(("app", 5), ("bank_transfer", 3), ("counter", 1), ("third_party", 1))
_LUMP: Final = _Channels.of(("bank_transfer", 5), ("counter", 3), ("app", 2))


def _channel(rng: random.Random, channels: _Channels) -> str:
    return rng.choices(channels.names, cum_weights=channels.cum_weights)[0]


def default_probability(willingness: float, burden: float, risk_shift: float) -> float:
    """Probability that a loan defaults over its life: logistic in willingness, payment burden and product."""
    burden = min(max(burden, 0.0), 2.0)
    score = -3.3 - 1.0 * willingness + 3.0 * (burden - 0.35) + risk_shift
    return 1.0 / (1.0 + math.exp(-score))


def choose_profile(rng: random.Random, p_default: float, prepayment: bool) -> Profile:
    """Draw the loan's profile; riskier loans are more often defaulted, cured, partial or late."""
    weights = (
        (Profile.DEFAULTED, p_default),
        (Profile.CURED, 1.0 * p_default + 0.035),
        (Profile.PARTIAL, 0.4 * p_default + 0.03),
        (Profile.LATE, 0.10 + 1.0 * p_default),
        (Profile.EARLY_PAYOFF, 0.10 * (1.0 - p_default) if prepayment else 0.0),
        (Profile.OVERPAY, 0.03),
    )
    draw = rng.random()
    for profile, weight in weights:
        if draw < weight:
            return profile
        draw -= weight
    return Profile.ON_TIME


def late_charge(amount: int, days: int, pricing: Pricing) -> int:
    """Upper estimate (fen, rounded up) of penalty + compound interest on ``amount`` fen unpaid ``days`` days.

    Penalty rate = contract rate × (1 + markup), daily on the day-count basis (C4); charging it on the whole
    installment (principal and interest) bounds penalty plus compound interest from above.
    """
    if days <= 0 or amount <= 0:
        return 0
    numerator = amount * pricing.rate_ppm * (_PPM + pricing.markup_ppm) * days
    denominator = pricing.day_count * _PPM * _PPM
    return -(-numerator // denominator)


def _late_days(rng: random.Random) -> int:
    """How late a late payment is: 45 % within 1–3 days (often inside grace), 40 % 4–15, 15 % 16–29."""
    draw = rng.random()
    if draw < 0.45:
        return rng.randint(1, 3)
    if draw < 0.85:
        return rng.randint(4, 15)
    return rng.randint(16, 29)


def _earliest_day(facts: LoanFacts, k: int) -> date:
    """The first day a payment for installment ``k`` may be made: after disbursement and the previous due."""
    previous = facts.dues[k - 1].due_date if k > 0 else facts.disbursed_on
    return previous + timedelta(days=1)


def _on_time(rng: random.Random, facts: LoanFacts, k: int) -> SimPayment:
    """Installment ``k`` paid in full on its due date (auto-debit, mostly) or 1–5 days before it."""
    due = facts.dues[k]
    if rng.random() < 0.75:
        return SimPayment(due.due_date, due.total, _channel(rng, _AUTO_DEBIT))
    paid_on = max(due.due_date - timedelta(days=rng.randint(1, 5)), _earliest_day(facts, k))
    return SimPayment(paid_on, due.total, _channel(rng, _EARLY))


def _late(rng: random.Random, facts: LoanFacts, k: int, days: int) -> SimPayment:
    """Installment ``k`` paid ``days`` days late, with the estimated penalty once past grace (C2, C4)."""
    due = facts.dues[k]
    extra = 0 if days <= facts.pricing.grace_days else late_charge(due.total, days, facts.pricing)
    return SimPayment(due.due_date + timedelta(days=days), due.total + extra, _channel(rng, _LATE))


def _slip_days(rng: random.Random) -> int:
    """How late a punctual borrower's rare slip is: 1–3 days."""
    return rng.randint(1, 3)


def _regular(
    rng: random.Random, facts: LoanFacts, k: int, late_probability: float, late_days: _Days = _late_days
) -> SimPayment:
    """Installment ``k`` paid on time, or ``late_days`` late with probability ``late_probability``."""
    if rng.random() < late_probability:
        return _late(rng, facts, k, late_days(rng))
    return _on_time(rng, facts, k)


def _visible(facts: LoanFacts) -> int:
    """How many installments fall due by as_of + the horizon (the ones whose payments can be ≤ as_of)."""
    horizon = facts.as_of + _HORIZON
    count = 0
    for due in facts.dues:
        if due.due_date > horizon:
            break
        count += 1
    return count


def _regular_run(
    rng: random.Random,
    facts: LoanFacts,
    first: int,
    stop: int,
    late_probability: float,
    late_days: _Days = _late_days,
) -> list[SimPayment]:
    """Installments ``first`` to ``stop`` − 1 (those visible by as_of) paid by :func:`_regular`."""
    visible = range(first, min(stop, _visible(facts)))
    return [_regular(rng, facts, k, late_probability, late_days) for k in visible]


_Plan = tuple[list[SimPayment], date | None]


def _plan_on_time(rng: random.Random, facts: LoanFacts) -> _Plan:
    return _regular_run(rng, facts, 0, len(facts.dues), 0.01, _slip_days), None


def _plan_late(rng: random.Random, facts: LoanFacts) -> _Plan:
    return _regular_run(rng, facts, 0, len(facts.dues), 0.35), None


def _plan_overpay(rng: random.Random, facts: LoanFacts) -> _Plan:
    """On time, but some payments rounded up to the next hundred yuan (the surplus is 溢缴款, C5)."""
    payments = []
    for payment in _regular_run(rng, facts, 0, len(facts.dues), 0.01, _slip_days):
        if rng.random() < 0.3:
            rounded = (payment.amount // 10_000 + 1) * 10_000
            payment = SimPayment(payment.paid_on, rounded, payment.channel)
        payments.append(payment)
    return payments, None


def _plan_partial(rng: random.Random, facts: LoanFacts) -> _Plan:
    """On the due date, sometimes only 30–90 % is paid; the shortfall is caught up at the next due date."""
    payments = []
    carry, carry_since = 0, facts.disbursed_on
    for k in range(_visible(facts)):
        due = facts.dues[k]
        amount = carry + late_charge(carry, (due.due_date - carry_since).days, facts.pricing)
        if rng.random() < 0.35:
            part = due.total * rng.randint(30, 90) // 100
            amount, carry, carry_since = amount + part, due.total - part, due.due_date
        else:
            amount, carry = amount + due.total, 0
        payments.append(SimPayment(due.due_date, amount, _channel(rng, _AUTO_DEBIT)))
    return payments, None


def _with_charge(due: Due, paid_on: date, pricing: Pricing) -> int:
    """What clears installment ``due`` on ``paid_on``: its total plus the late-charge estimate."""
    return due.total + late_charge(due.total, (paid_on - due.due_date).days, pricing)


def _cure_day(rng: random.Random, facts: LoanFacts, end: int) -> date:
    """The lump-sum day after a spell ending before installment ``end``: 1–28 days after the last miss."""
    day = facts.dues[end - 1].due_date + timedelta(days=rng.randint(1, 28))
    if end < len(facts.dues):
        day = min(day, facts.dues[end].due_date - timedelta(days=1))
    return day


def _plan_cured(rng: random.Random, facts: LoanFacts) -> _Plan:
    """A spell of 1–6 missed installments (maybe one small payment in it), then one lump clears the arrears."""
    dues = facts.dues
    start = rng.randrange(len(dues))
    end = min(start + rng.choice((1, 2, 2, 3, 3, 3, 4, 5, 6)), len(dues))
    payments = _regular_run(rng, facts, 0, start, 0.05)
    cure_day = _cure_day(rng, facts, end)
    paid_in_spell = 0
    spell_day = dues[start].due_date + timedelta(days=rng.randint(5, 25))
    if rng.random() < 0.4 and spell_day < cure_day:
        paid_in_spell = dues[start].total * rng.randint(10, 40) // 100
        payments.append(SimPayment(spell_day, paid_in_spell, _channel(rng, _LATE)))
    owed = sum(_with_charge(due, cure_day, facts.pricing) for due in dues[start:end])
    payments.append(SimPayment(cure_day, max(owed - paid_in_spell, 1), _channel(rng, _LUMP)))
    payments.extend(_regular_run(rng, facts, end, len(dues), 0.05))
    return payments, None


def _sporadic(rng: random.Random, facts: LoanFacts, start: int) -> list[SimPayment]:
    """Occasional small payments after default, never more than half of the arrears due by as_of."""
    visible = _visible(facts)
    cap = sum(due.total for due in facts.dues[start:visible]) // 2
    payments: list[SimPayment] = []
    paid = 0
    day = facts.dues[start].due_date + timedelta(days=rng.randint(20, 90))
    while day <= facts.as_of and paid < cap:
        amount = min(rng.choice((20_000, 50_000, 100_000, 200_000, 500_000)), cap - paid)
        payments.append(SimPayment(day, amount, _channel(rng, _LATE)))
        paid += amount
        day += timedelta(days=rng.randint(30, 150))
    return payments


def _acceleration(rng: random.Random, facts: LoanFacts, start: int) -> date | None:
    """After 90+ days of default some loans are called early (before their last due date, by as_of)."""
    default_day = facts.dues[start].due_date
    if default_day + timedelta(days=90) > facts.as_of or rng.random() >= 0.35:
        return None
    accelerated = min(default_day + timedelta(days=rng.randint(90, 240)), facts.as_of)
    return accelerated if accelerated < facts.dues[-1].due_date else None


def _plan_defaulted(rng: random.Random, facts: LoanFacts) -> _Plan:
    """Pays (sometimes late) until a default installment, early in the term more often, then stops."""
    start = int(len(facts.dues) * rng.random() ** 2)
    payments = _regular_run(rng, facts, 0, start, 0.15)
    if start >= _visible(facts):
        return payments, None
    if rng.random() < 0.4:
        payments.extend(_sporadic(rng, facts, start))
    return payments, _acceleration(rng, facts, start)


def _plan_early_payoff(rng: random.Random, facts: LoanFacts) -> _Plan:
    """On time, then everything still scheduled in one payment between two due dates.

    The domain's waterfall applies a prepayment to the installments not yet due at their full scheduled
    amounts (``qingshou.domain.allocation``), so settling early means paying the remaining schedule: the
    remaining principal and the scheduled interest of every remaining installment.
    """
    dues = facts.dues
    if len(dues) < 3:
        return _plan_on_time(rng, facts)
    stop = rng.randint(1, len(dues) - 1)
    gap = (dues[stop].due_date - dues[stop - 1].due_date).days
    payoff_day = dues[stop - 1].due_date + timedelta(days=rng.randint(1, max(gap - 1, 1)))
    if payoff_day > facts.as_of:
        return _plan_on_time(rng, facts)
    payments = _regular_run(rng, facts, 0, stop, 0.0)
    payments.append(SimPayment(payoff_day, sum(due.total for due in dues[stop:]), _channel(rng, _LUMP)))
    return payments, None


_PLANS: Final[dict[Profile, Callable[[random.Random, LoanFacts], _Plan]]] = {
    Profile.ON_TIME: _plan_on_time,
    Profile.LATE: _plan_late,
    Profile.OVERPAY: _plan_overpay,
    Profile.PARTIAL: _plan_partial,
    Profile.CURED: _plan_cured,
    Profile.DEFAULTED: _plan_defaulted,
    Profile.EARLY_PAYOFF: _plan_early_payoff,
}


def simulate_behaviour(rng: random.Random, profile: Profile, facts: LoanFacts) -> Outcome:
    """The loan's payments up to as_of under ``profile``, in date order, and its acceleration date."""
    planned, accelerated_on = _PLANS[profile](rng, facts)
    kept = [payment for payment in planned if payment.paid_on <= facts.as_of and payment.amount > 0]
    kept.sort(key=lambda payment: payment.paid_on)
    return Outcome(tuple(kept), accelerated_on)
