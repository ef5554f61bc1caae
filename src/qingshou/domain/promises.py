"""Promises to pay: whether a borrower kept what they promised, from the payments posted (issue 5).

A promise is taken on a day (``taken_on``) and has one or more instalments, each an amount and a date. The
payments that count are those posted on the case's loans (the promise's own loan when it names one) with a
payment date on or after ``taken_on``. They are applied to the instalments oldest first (FIFO): the amount
instalment *i* received by its deadline is

    covered(i) = clamp(P(deadline(i)) − Σ amount(j < i), 0, amount(i))

where ``P(d)`` is what was paid from ``taken_on`` to ``d`` inclusive and ``deadline(i)`` = its date + the
grace days (calendar days). A payment late for one instalment therefore first makes up that instalment's
shortfall and only its excess counts for the next one.

Status of an instalment on ``as_of`` (the end of that day, its payments known):

* **kept** — covered ≥ amount − tolerance (also before the deadline: paid early is kept);
* **pending** — not kept and the deadline has not ended (``as_of < deadline``);
* **partly kept** — deadline ended, something but not enough covered;
* **broken** — deadline ended, nothing covered.

The tolerance of an instalment is the larger of a fixed amount (e.g. ¥1) and a share of the instalment
(e.g. 1 %), rounded down to the fen. The promise's overall status: **kept** when every instalment is kept;
**pending** while none has failed; once one has failed (broken or partly kept) the promise is decided —
**partly kept** when at least one instalment received something, **broken** otherwise. Pure: stdlib only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Final

from qingshou.domain.errors import DomainError
from qingshou.domain.money import ZERO, Rounding, money, rate, to_fen

#: At most this many instalments per promise (a longer arrangement is a repayment plan, not a promise).
MAX_INSTALMENTS: Final = 12


class PromiseError(DomainError):
    """A promise or its evaluation settings are invalid (no instalment, amount ≤ 0, dates out of order)."""

    code = "invalid_promise"


class PromiseStatus(StrEnum):
    """The status of an instalment or of a whole promise (``Promise.status`` in the store)."""

    PENDING = "pending"
    KEPT = "kept"
    PARTLY_KEPT = "partly_kept"
    BROKEN = "broken"


@dataclass(frozen=True, slots=True)
class Tolerance:
    """How much short of an instalment still counts as kept, and the grace days after its date.

    ``amount`` is yuan (e.g. ``1.00``), ``share`` a fraction of the instalment (e.g. ``0.01`` = 1 %),
    ``grace_days`` calendar days during which a payment still counts."""

    amount: Decimal = ZERO
    share: Decimal = ZERO
    grace_days: int = 0

    @classmethod
    def build(cls, amount: str | int = "0", share: str | int = "0", grace_days: int = 0) -> Tolerance:
        """Validated settings (``QINGSHOU_PROMISES``): amounts from str or int only, nothing negative."""
        value, fraction = money(amount), rate(share)
        if value < 0:
            raise PromiseError(f"tolerance amount must be ≥ 0, got {value}", field="tolerance_amount")
        if not ZERO <= fraction < 1:
            raise PromiseError(f"tolerance share must be in [0, 1), got {fraction}", field="tolerance_share")
        if isinstance(grace_days, bool) or not isinstance(grace_days, int) or grace_days < 0:
            raise PromiseError(f"grace days must be an integer ≥ 0, got {grace_days!r}", field="grace_days")
        return cls(value, fraction, grace_days)

    def of(self, instalment: Decimal) -> Decimal:
        """The shortfall tolerated on an instalment of ``instalment`` yuan (rounded down to the fen)."""
        return max(self.amount, to_fen(instalment * self.share, Rounding.DOWN))


@dataclass(frozen=True, slots=True)
class Instalment:
    """One promised payment: ``amount`` yuan on or before ``due_on``."""

    due_on: date
    amount: Decimal


@dataclass(frozen=True, slots=True)
class PaymentMade:
    """A posted payment that may count for a promise: its date and amount (yuan)."""

    paid_on: date
    amount: Decimal


@dataclass(frozen=True, slots=True)
class InstalmentResult:
    """One instalment's evaluation: what it received by its deadline and its status."""

    due_on: date
    amount: Decimal
    deadline: date
    covered: Decimal
    status: PromiseStatus


@dataclass(frozen=True, slots=True)
class Evaluation:
    """A promise's evaluation on ``as_of``: each instalment and the overall status."""

    as_of: date
    instalments: tuple[InstalmentResult, ...]
    status: PromiseStatus
    paid: Decimal


def validate(taken_on: date, instalments: Sequence[Instalment]) -> tuple[Instalment, ...]:
    """The instalments of a new promise, checked: 1…``MAX_INSTALMENTS``, positive fen amounts, dates on or
    after ``taken_on`` and strictly increasing."""
    if not instalments:
        raise PromiseError("a promise needs at least one instalment", field="instalments")
    if len(instalments) > MAX_INSTALMENTS:
        raise PromiseError(
            f"a promise has at most {MAX_INSTALMENTS} instalments, got {len(instalments)}",
            field="instalments",
        )
    previous: date | None = None
    for number, item in enumerate(instalments, start=1):
        if money(item.amount) <= 0:
            raise PromiseError(f"instalment {number}: amount must be > 0, got {item.amount}", field="amount")
        if item.due_on < taken_on:
            raise PromiseError(
                f"instalment {number}: date {item.due_on} is before the promise was taken ({taken_on})",
                field="due_on",
            )
        if previous is not None and item.due_on <= previous:
            raise PromiseError(
                f"instalment {number}: date {item.due_on} is not after the previous one ({previous})",
                field="due_on",
            )
        previous = item.due_on
    return tuple(instalments)


def paid_through(payments: Iterable[PaymentMade], taken_on: date, through: date) -> Decimal:
    """What was paid from ``taken_on`` to ``through`` inclusive."""
    return sum((p.amount for p in payments if taken_on <= p.paid_on <= through), ZERO)


def _status(
    covered: Decimal, amount: Decimal, deadline: date, as_of: date, tolerance: Tolerance
) -> PromiseStatus:
    if covered >= amount - tolerance.of(amount):
        return PromiseStatus.KEPT
    if as_of < deadline:
        return PromiseStatus.PENDING
    return PromiseStatus.PARTLY_KEPT if covered > 0 else PromiseStatus.BROKEN


def overall(statuses: Sequence[PromiseStatus], covered: Sequence[Decimal]) -> PromiseStatus:
    """The promise's status from its instalments' (module docstring)."""
    if all(status is PromiseStatus.KEPT for status in statuses):
        return PromiseStatus.KEPT
    failed = (PromiseStatus.BROKEN, PromiseStatus.PARTLY_KEPT)
    if not any(status in failed for status in statuses):
        return PromiseStatus.PENDING
    received = any(
        amount > 0
        for status, amount in zip(statuses, covered, strict=True)
        if status is not PromiseStatus.PENDING
    )
    return PromiseStatus.PARTLY_KEPT if received else PromiseStatus.BROKEN


def evaluate(
    taken_on: date,
    instalments: Sequence[Instalment],
    payments: Iterable[PaymentMade],
    as_of: date,
    tolerance: Tolerance,
) -> Evaluation:
    """Evaluate a promise on ``as_of`` against the payments posted (those dated after ``as_of`` are
    ignored: C1)."""
    items = validate(taken_on, instalments)
    known = tuple(p for p in payments if p.paid_on <= as_of)
    results: list[InstalmentResult] = []
    promised_before = ZERO
    for item in items:
        deadline = item.due_on + timedelta(days=tolerance.grace_days)
        received = paid_through(known, taken_on, min(deadline, as_of))
        covered = min(max(received - promised_before, ZERO), item.amount)
        status = _status(covered, item.amount, deadline, as_of, tolerance)
        results.append(InstalmentResult(item.due_on, item.amount, deadline, covered, status))
        promised_before += item.amount
    status = overall([r.status for r in results], [r.covered for r in results])
    return Evaluation(as_of, tuple(results), status, paid_through(known, taken_on, as_of))
