"""Allocation: the payment waterfall — what a payment valued on a day pays, in which order (C5).

Two pure steps. :func:`waterfall` lays out what is owed on the value date ``p`` as an ordered list of
``Owed`` amounts; :func:`allocate` pays an amount down that list and returns the pieces and what is left.

* **Owed items** are the installments with ``due_date ≤ p`` (oldest first, then by seq) and the charges
  posted on or before ``p`` (by ``posted_on``, then ``charge_id``); a charge and an installment on the same
  date: the installment first. An installment owes fees, penalty, compound interest, interest and
  principal; a charge owes its own component (``costs`` or ``fees``).
* **Order.** Components follow ``policy.waterfall`` (default costs → fees → penalty → compound → interest →
  principal). ``horizontal`` (default): for each component in that order, across all *overdue* items
  (dated before ``p``) oldest first; then the same over the items *currently due* (dated ``p``).
  ``vertical``: item by item, oldest first (overdue, then current), every component of an item before the
  next item.
* **Prepayment.** When ``policy.prepayment``, what remains pays the installments not yet due, in due order,
  vertically: fees, interest, principal of each (the full scheduled amounts, no pro-rata). Otherwise — and
  whatever is still left — the ledger holds it as unapplied credit (溢缴款).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Final

from qingshou.domain.errors import LedgerError
from qingshou.domain.money import ZERO
from qingshou.domain.policy import Component, Direction, ProductPolicy

#: What a prepayment pays of each installment not yet due, in this order (C5).
PREPAYMENT_ORDER: Final = (Component.FEES, Component.INTEREST, Component.PRINCIPAL)


@dataclass(frozen=True, slots=True)
class Debt:
    """One payable item: an installment (``seq``) or a charge (``charge_id``), due from ``due_date``.

    ``owed`` maps each component to what is unpaid on it (a missing component owes nothing).
    """

    due_date: date
    seq: int | None
    charge_id: str | None
    owed: Mapping[Component, Decimal]

    @property
    def order_key(self) -> tuple[date, int, int, str]:
        """Oldest first; on one date installments (by seq) before charges (by charge id)."""
        if self.seq is not None:
            return (self.due_date, 0, self.seq, "")
        return (self.due_date, 1, 0, self.charge_id or "")


@dataclass(frozen=True, slots=True)
class Owed:
    """An amount owed on one component of one item, a step of the waterfall."""

    seq: int | None
    charge_id: str | None
    component: Component
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Applied:
    """The part of a payment that went to one ``Owed`` step."""

    seq: int | None
    charge_id: str | None
    component: Component
    amount: Decimal


def waterfall(debts: Iterable[Debt], value_date: date, policy: ProductPolicy) -> tuple[Owed, ...]:
    """Everything owed on ``value_date`` in the order a payment valued that day pays it (module rules)."""
    ordered = sorted(debts, key=lambda debt: debt.order_key)
    overdue = [debt for debt in ordered if debt.due_date < value_date]
    current = [debt for debt in ordered if debt.due_date == value_date]
    if policy.direction is Direction.HORIZONTAL:
        steps = [*_horizontal(overdue, policy.waterfall), *_horizontal(current, policy.waterfall)]
    else:
        steps = list(_vertical([*overdue, *current], policy.waterfall))
    if policy.prepayment:
        undue = [debt for debt in ordered if debt.due_date > value_date and debt.seq is not None]
        steps.extend(_vertical(undue, PREPAYMENT_ORDER))
    return tuple(steps)


def _horizontal(debts: Sequence[Debt], order: Sequence[Component]) -> Iterator[Owed]:
    for component in order:
        for debt in debts:
            yield from _step(debt, component)


def _vertical(debts: Sequence[Debt], order: Sequence[Component]) -> Iterator[Owed]:
    for debt in debts:
        for component in order:
            yield from _step(debt, component)


def _step(debt: Debt, component: Component) -> Iterator[Owed]:
    amount = debt.owed.get(component, ZERO)
    if amount > ZERO:
        yield Owed(debt.seq, debt.charge_id, component, amount)


def allocate(amount: Decimal, steps: Iterable[Owed]) -> tuple[tuple[Applied, ...], Decimal]:
    """Pay ``amount`` down ``steps`` in order; return the pieces paid and the remainder.

    Money is conserved exactly: the pieces and the remainder sum to ``amount``, and no step receives more
    than it owes.
    """
    if amount < ZERO:
        raise LedgerError(f"cannot allocate a negative amount ({amount})", field="amount")
    left = amount
    applied: list[Applied] = []
    for step in steps:
        if left <= ZERO:
            break
        if step.amount < ZERO:
            raise LedgerError(f"owed amount is negative ({step})", field="amount")
        piece = min(left, step.amount)
        if piece > ZERO:
            applied.append(Applied(step.seq, step.charge_id, step.component, piece))
            left -= piece
    return tuple(applied), left
