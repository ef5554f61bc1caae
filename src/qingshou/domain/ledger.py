"""Ledger: replay of one loan from its facts — allocation and accrual day by day (conventions C1, C2, C4, C5).

``replay`` is a pure function of the facts (schedule, payments, charges, acceleration, policy, calendar)
and ``as_of``: allocations and accruals are derived data, so a backdated payment simply gives another
replay. The rules, in the order the replay applies them:

1. **Time (C1).** "As of D" is the end of day D after every payment valued on D. Facts dated after
   ``as_of`` are ignored. The replay walks the *event days* up to ``as_of`` — payment value dates, due
   dates, charge postings — in date order; payments on one day are applied by kind — waivers first, then
   cash, then the closing non-cash kinds (restructure, discount: they settle what the day's cash left) —
   and within a kind in ``payment_id`` order, so the order the payments are given in never matters.
2. **Accrual (C4, ``qingshou.domain.accrual``).** Penalty on unpaid principal and (``policy.compound``)
   compound interest on unpaid contractual interest, at annual_rate × (1 + markup) / day_count, for each
   day d with origin < d ≤ D on the balance at the end of d − 1; exact between events.
3. **Crystallisation.** At each allocation event — a payment, or an application of unapplied credit — and
   when reported at ``as_of``, each installment's exact accrual is rounded to the fen with
   ``policy.rounding`` and added to what it has accrued.
4. **Grace (C2).** Up to the installment's last on-time day g (``duedates.last_on_time_day``) the accrual
   is contingent: not crystallised, not payable, reported as 0. Paid in full (principal, interest, fee) by
   g, it is discarded; otherwise it is crystallised from the origin at the first event after g.
5. **Waterfall (C5, ``qingshou.domain.allocation``).** Horizontal or vertical in ``policy.waterfall``
   order over the overdue items, then the items due that day; then, if ``policy.prepayment``, the
   installments not yet due; whatever remains is held as unapplied credit (溢缴款).
6. **Unapplied credit** is applied, as an allocation event valued that day, on each installment due date
   (after that day's payments) and each charge's posting day while credit is held. Credit is used oldest
   first, and its allocations carry the ``payment_id`` of the payment whose remainder they use.
7. **Acceleration** (``terms.accelerated_on`` = A ≤ ``as_of``, see :func:`accelerate`). The replay uses the
   accelerated schedule from the start: it is a fact of the loan, like a payment.
8. **Cap** (``policy.cap_charges_at_principal``): crystallised penalty and compound interest are truncated
   so that penalty + compound + contractual interest and fees of the schedule + fee charges posted so far
   never exceed the principal (installments by seq, penalty before compound, take the room first).
9. **Money.** Every reported amount is at fen precision; each payment is split exactly into allocations
   and unapplied credit, so Σ payments = Σ allocations + unapplied credit.

10. **Non-cash payments (issue 5 plans).** ``restructure`` and ``discount`` payments allocate exactly like
   cash (rules 3, 5, 6); only the reports that count money received filter ``Payment.is_cash``. A
   ``waiver`` is allocated at its value day, after the day's accrual and crystallisation and before the
   day's cash, ONLY to its ``waives`` components (fees — installment fees of installments due by that day
   and fee charges posted by then —, penalty, compound): item by item oldest first (``Debt.order_key``),
   each item's waived components in the product's waterfall order. A waiver above what is unpaid of those
   components at that moment is refused (``LedgerError`` naming the payment); it never becomes credit.

``settled_on`` is the day (end of day) an installment's principal, interest and fee became fully paid — the
delinquency timeline; an installment that never owed anything counts as settled on ``disbursed_on``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from qingshou.domain import accrual
from qingshou.domain.allocation import Applied, Debt, Owed, allocate, waterfall
from qingshou.domain.calendar import BusinessCalendar
from qingshou.domain.duedates import last_on_time_day, overdue_origin
from qingshou.domain.errors import LedgerError
from qingshou.domain.loan import Charge, ChargeKind, LoanTerms, Payment, PaymentKind, ScheduledInstallment
from qingshou.domain.money import EXACT_CONTEXT, ZERO, Rounding, to_fen
from qingshou.domain.policy import Component, ProductPolicy
from qingshou.domain.schedule import validate_schedule

#: The components that accrue (C4), in the order they take room under the cap.
_ACCRUING = (Component.PENALTY, Component.COMPOUND)


@dataclass(frozen=True, slots=True)
class InstallmentState:
    """One installment at the end of ``as_of``; amounts due are after acceleration, all at fen precision."""

    seq: int
    due_date: date
    principal_due: Decimal
    interest_due: Decimal
    fee_due: Decimal
    principal_paid: Decimal
    interest_paid: Decimal
    fee_paid: Decimal
    penalty_accrued: Decimal
    penalty_paid: Decimal
    compound_accrued: Decimal
    compound_paid: Decimal
    settled_on: date | None
    accelerated: bool

    @property
    def principal_unpaid(self) -> Decimal:
        """Principal due and not paid."""
        return self.principal_due - self.principal_paid

    @property
    def interest_unpaid(self) -> Decimal:
        """Contractual interest due and not paid."""
        return self.interest_due - self.interest_paid

    @property
    def fee_unpaid(self) -> Decimal:
        """Installment fee due and not paid."""
        return self.fee_due - self.fee_paid

    @property
    def penalty_unpaid(self) -> Decimal:
        """Penalty interest accrued (as reported) and not paid."""
        return self.penalty_accrued - self.penalty_paid

    @property
    def compound_unpaid(self) -> Decimal:
        """Compound interest accrued (as reported) and not paid."""
        return self.compound_accrued - self.compound_paid

    @property
    def is_settled(self) -> bool:
        """Whether principal, interest and fee are fully paid."""
        return self.settled_on is not None


@dataclass(frozen=True, slots=True)
class ChargeState:
    """A cost or fee charge posted by ``as_of`` and what has been paid of it."""

    charge_id: str
    kind: ChargeKind
    posted_on: date
    amount: Decimal
    paid: Decimal

    @property
    def unpaid(self) -> Decimal:
        """What is still owed on the charge."""
        return self.amount - self.paid


@dataclass(frozen=True, slots=True)
class Allocation:
    """A part of a payment applied on ``value_date`` to one component of an installment or a charge.

    ``seq`` is None for a charge (then ``charge_id`` names it). Allocations of unapplied credit carry the
    ``payment_id`` of the payment the credit came from and the day the credit was applied.
    """

    payment_id: str
    value_date: date
    seq: int | None
    charge_id: str | None
    component: Component
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Ledger:
    """One loan replayed to the end of ``as_of``: installments, charges, allocations and unapplied credit."""

    loan_id: str
    as_of: date
    installments: tuple[InstallmentState, ...]
    charges: tuple[ChargeState, ...]
    allocations: tuple[Allocation, ...]
    unapplied_credit: Decimal


def replay(
    terms: LoanTerms,
    schedule: Sequence[ScheduledInstallment],
    payments: Iterable[Payment],
    charges: Iterable[Charge],
    policy: ProductPolicy,
    calendar: BusinessCalendar,
    as_of: date,
) -> Ledger:
    """Replay the loan's facts to the end of ``as_of`` (rules in the module docstring).

    Raises ``ScheduleError`` for a schedule inconsistent with the terms (e.g. principal not summing to
    ``terms.principal``) and ``LedgerError`` for a payment or charge dated before ``disbursed_on`` or a
    repeated payment or charge id.
    """
    rows = accelerate(terms, validate_schedule(terms, schedule), as_of)
    payment_list, charge_list = _checked_facts(terms, tuple(payments), tuple(charges))
    by_day: defaultdict[date, list[Payment]] = defaultdict(list)
    for payment in sorted(payment_list, key=day_order):
        if payment.paid_on <= as_of:
            by_day[payment.paid_on].append(payment)
    posted = [charge for charge in charge_list if charge.posted_on <= as_of]
    book = _Book.open(terms, rows, posted, policy, calendar, as_of)
    credit_days = {row.due_date for row, _ in rows} | {charge.posted_on for charge in posted}
    for day in sorted(d for d in set(by_day) | credit_days if d <= as_of):
        book.accrue_through(day)
        for payment in by_day.get(day, ()):
            if payment.kind is PaymentKind.WAIVER:
                book.waive(payment.payment_id, payment.amount, payment.waives, day)
            else:
                book.pay(payment.payment_id, payment.amount, day)
        if day in credit_days:
            book.apply_credit(day)
        book.close_day(day)
    return book.report(as_of)


#: The order of a day's payments by kind (module rule 1): waivers, then cash, then the closing non-cash kinds.
_DAY_RANK: dict[PaymentKind, int] = {
    PaymentKind.WAIVER: 0,
    PaymentKind.CASH: 1,
    PaymentKind.RESTRUCTURE: 2,
    PaymentKind.DISCOUNT: 2,
}


def day_order(payment: Payment) -> tuple[int, str]:
    """The sort key of payments within one value day: kind rank (module rule 1), then ``payment_id``."""
    return (_DAY_RANK[payment.kind], payment.payment_id)


def accelerate(
    terms: LoanTerms, schedule: Sequence[ScheduledInstallment], as_of: date
) -> tuple[tuple[ScheduledInstallment, bool], ...]:
    """The schedule after acceleration, each row with whether it was accelerated (module rule 7).

    When ``terms.accelerated_on`` = A is on or before ``as_of``, every installment due after A becomes due
    on A with its principal unchanged. The first of them — the one whose period contains A — keeps its fee
    and has its interest cut to ``interest × (A − period_start) / (due_date − period_start)``, rounded
    half-up to the fen (period_start: the previous due date, or ``disbursed_on`` for the first); the later
    ones owe no interest and no fee. Otherwise the schedule is unchanged.
    """
    called = terms.accelerated_on
    if called is None or called > as_of:
        return tuple((row, False) for row in schedule)
    rows: list[tuple[ScheduledInstallment, bool]] = []
    period_start = terms.disbursed_on
    for row in schedule:
        if row.due_date <= called:
            rows.append((row, False))
        elif period_start <= called:  # the installment whose period contains A
            interest = _prorated(row, period_start, called)
            rows.append((replace(row, due_date=called, interest_due=interest), True))
        else:
            rows.append((replace(row, due_date=called, interest_due=ZERO, fee_due=ZERO), True))
        period_start = row.due_date
    return tuple(rows)


def _prorated(row: ScheduledInstallment, period_start: date, called: date) -> Decimal:
    elapsed = (called - period_start).days
    length = (row.due_date - period_start).days
    share = EXACT_CONTEXT.divide(row.interest_due * elapsed, Decimal(length))
    return to_fen(share, Rounding.HALF_UP)


def _checked_facts(
    terms: LoanTerms, payments: tuple[Payment, ...], charges: tuple[Charge, ...]
) -> tuple[tuple[Payment, ...], tuple[Charge, ...]]:
    """The payments and charges, refused when dated before disbursement or when an id repeats."""
    for payment in payments:
        if payment.paid_on < terms.disbursed_on:
            raise LedgerError(
                f"loan {terms.loan_id}: payment {payment.payment_id} is valued {payment.paid_on},"
                f" before disbursement on {terms.disbursed_on}",
                field="paid_on",
            )
    for charge in charges:
        if charge.posted_on < terms.disbursed_on:
            raise LedgerError(
                f"loan {terms.loan_id}: charge {charge.charge_id} is posted {charge.posted_on},"
                f" before disbursement on {terms.disbursed_on}",
                field="posted_on",
            )
    _refuse_repeats(terms, "payment", Counter(p.payment_id for p in payments))
    _refuse_repeats(terms, "charge", Counter(c.charge_id for c in charges))
    return payments, charges


def _refuse_repeats(terms: LoanTerms, what: str, counts: Counter[str]) -> None:
    repeated = sorted(key for key, count in counts.items() if count > 1)
    if repeated:
        raise LedgerError(
            f"loan {terms.loan_id}: {what} id(s) given more than once: {', '.join(repeated)}",
            field=f"{what}_id",
        )


@dataclass(slots=True)
class _Line:
    """The working state of one installment during a replay (private; the result is InstallmentState)."""

    row: ScheduledInstallment
    accelerated: bool
    origin: date
    last_on_time: date
    accrued_through: date
    settled_on: date | None
    paid: dict[Component, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    accrued: dict[Component, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    pending: dict[Component, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))

    def due(self, component: Component) -> Decimal:
        """What the installment owes on ``component`` in all (penalty and compound: as crystallised)."""
        if component is Component.PRINCIPAL:
            return self.row.principal_due
        if component is Component.INTEREST:
            return self.row.interest_due
        if component is Component.FEES:
            return self.row.fee_due
        return self.accrued[component]

    def unpaid(self, component: Component) -> Decimal:
        """What is still owed on ``component``."""
        return self.due(component) - self.paid[component]

    def is_closed(self) -> bool:
        """Settled with nothing accrued left to pay or to round: no later event can change this line."""
        return (
            self.settled_on is not None
            and all(self.unpaid(c) == ZERO for c in _ACCRUING)
            and all(self.pending[c] == ZERO for c in _ACCRUING)
        )

    def debt(self) -> Debt:
        """The installment as an item of the waterfall."""
        owed = {
            component: self.unpaid(component)
            for component in (Component.FEES, *_ACCRUING, Component.INTEREST, Component.PRINCIPAL)
        }
        return Debt(self.row.due_date, self.row.seq, None, owed)

    def accrue_through(self, day: date, compound: bool) -> None:
        """Add the balance-days of the days after the last accrual up to ``day`` (C4)."""
        days = accrual.accrual_days(self.origin, self.accrued_through, day)
        if days:
            pending = self.pending
            pending[Component.PENALTY] += accrual.balance_days(self.unpaid(Component.PRINCIPAL), days)
            if compound:
                pending[Component.COMPOUND] += accrual.balance_days(self.unpaid(Component.INTEREST), days)
        self.accrued_through = max(self.accrued_through, day)

    def close_day(self, day: date) -> None:
        """Mark the installment settled at the end of ``day``; paid within grace, drop its accrual (C2)."""
        if self.settled_on is not None:
            return
        if all(self.unpaid(c) == ZERO for c in (Component.PRINCIPAL, Component.INTEREST, Component.FEES)):
            self.settled_on = day
            if day <= self.last_on_time:
                self.pending.clear()

    def state(self) -> InstallmentState:
        """The frozen result."""
        row = self.row
        return InstallmentState(
            seq=row.seq,
            due_date=row.due_date,
            principal_due=row.principal_due,
            interest_due=row.interest_due,
            fee_due=row.fee_due,
            principal_paid=self.paid[Component.PRINCIPAL],
            interest_paid=self.paid[Component.INTEREST],
            fee_paid=self.paid[Component.FEES],
            penalty_accrued=self.accrued[Component.PENALTY],
            penalty_paid=self.paid[Component.PENALTY],
            compound_accrued=self.accrued[Component.COMPOUND],
            compound_paid=self.paid[Component.COMPOUND],
            settled_on=self.settled_on,
            accelerated=self.accelerated,
        )


@dataclass(slots=True)
class _ChargeLine:
    charge: Charge
    paid: Decimal = ZERO

    def debt(self) -> Debt:
        owed = {Component(self.charge.kind.value): self.charge.amount - self.paid}
        return Debt(self.charge.posted_on, None, self.charge.charge_id, owed)

    def state(self) -> ChargeState:
        c = self.charge
        return ChargeState(c.charge_id, c.kind, c.posted_on, c.amount, self.paid)


@dataclass(slots=True)
class _Credit:
    """Unapplied credit left by one payment."""

    payment_id: str
    amount: Decimal


@dataclass(slots=True)
class _Book:
    """The working state of a replay: installments, charges, credit (FIFO) and the allocations so far."""

    terms: LoanTerms
    policy: ProductPolicy
    lines: list[_Line]
    charges: list[_ChargeLine]
    credit: list[_Credit] = field(default_factory=list)
    allocations: list[Allocation] = field(default_factory=list)

    @classmethod
    def open(
        cls,
        terms: LoanTerms,
        rows: Sequence[tuple[ScheduledInstallment, bool]],
        charges: Sequence[Charge],
        policy: ProductPolicy,
        calendar: BusinessCalendar,
        as_of: date,
    ) -> _Book:
        """The book before the first event: nothing paid, nothing accrued."""
        lines = [_open_line(terms, row, flag, policy, calendar, as_of) for row, flag in rows]
        ordered = sorted(charges, key=lambda c: (c.posted_on, c.charge_id))
        return cls(terms, policy, lines, [_ChargeLine(c) for c in ordered])

    def accrue_through(self, day: date) -> None:
        """Accrue every installment up to the end of ``day`` on the balances of the day before."""
        for line in self.lines:
            line.accrue_through(day, self.policy.compound)

    def crystallise(self, day: date) -> None:
        """Round each non-contingent installment's exact accrual to the fen and add it (C4, cap)."""
        for line in self.lines:
            if accrual.is_contingent(day, line.last_on_time, line.settled_on):
                continue
            for component in _ACCRUING:
                amount = accrual.crystallise(line.pending[component], self.terms.annual_rate, self.policy)
                if self.policy.cap_charges_at_principal:
                    amount = min(amount, self._cap_room(day))
                line.accrued[component] += amount
                line.pending[component] = ZERO

    def _cap_room(self, day: date) -> Decimal:
        contractual = sum((line.row.interest_due + line.row.fee_due for line in self.lines), ZERO)
        fee_charges = sum(
            (
                c.charge.amount
                for c in self.charges
                if c.charge.kind is ChargeKind.FEE and c.charge.posted_on <= day
            ),
            ZERO,
        )
        accrued = sum((line.accrued[c] for line in self.lines for c in _ACCRUING), ZERO)
        return accrual.cap_room(self.terms.principal, contractual + fee_charges, accrued)

    def pay(self, payment_id: str, amount: Decimal, day: date) -> None:
        """Apply a payment valued on ``day``; its remainder becomes unapplied credit."""
        self.crystallise(day)
        rest = self._allocate(payment_id, amount, day)
        if rest > ZERO:
            self.credit.append(_Credit(payment_id, rest))

    def waive(self, payment_id: str, amount: Decimal, waives: frozenset[Component], day: date) -> None:
        """Apply a WAIVER valued on ``day`` to the ``waives`` components only (module rule 10)."""
        self.crystallise(day)
        debts = [line.debt() for line in self.lines if line.row.due_date <= day and not line.is_closed()]
        debts.extend(c.debt() for c in self.charges if c.charge.posted_on <= day)
        order = [component for component in self.policy.waterfall if component in waives]
        steps = [
            Owed(debt.seq, debt.charge_id, component, debt.owed.get(component, ZERO))
            for debt in sorted(debts, key=lambda debt: debt.order_key)
            for component in order
            if debt.owed.get(component, ZERO) > ZERO
        ]
        unpaid = sum((step.amount for step in steps), ZERO)
        if amount > unpaid:
            names = ", ".join(component.value for component in order)
            raise LedgerError(
                f"loan {self.terms.loan_id}: waiver {payment_id} of {amount} on {day} is more than the unpaid"
                f" {names} ({unpaid})",
                field="amount",
            )
        applied, _rest = allocate(amount, steps)
        for piece in applied:
            self._record(payment_id, day, piece)

    def apply_credit(self, day: date) -> None:
        """Apply held credit, oldest first, to what is owed on ``day`` (an allocation event)."""
        if not self.credit:
            return
        self.crystallise(day)
        for held in self.credit:
            held.amount = self._allocate(held.payment_id, held.amount, day)
            if held.amount > ZERO:
                break
        self.credit = [held for held in self.credit if held.amount > ZERO]

    def _allocate(self, payment_id: str, amount: Decimal, day: date) -> Decimal:
        # Closed lines owe nothing, and lines not yet due are owed only as prepayment: leaving them out
        # keeps a long schedule (a 30-year mortgage) linear in its payments instead of quadratic.
        debts = [
            line.debt()
            for line in self.lines
            if (line.row.due_date <= day or self.policy.prepayment) and not line.is_closed()
        ]
        debts.extend(c.debt() for c in self.charges if c.charge.posted_on <= day)
        applied, rest = allocate(amount, waterfall(debts, day, self.policy))
        for piece in applied:
            self._record(payment_id, day, piece)
        return rest

    def _record(self, payment_id: str, day: date, piece: Applied) -> None:
        if piece.seq is not None:
            # validate_schedule guarantees seqs 1..n in order, so seq k is lines[k - 1].
            self.lines[piece.seq - 1].paid[piece.component] += piece.amount
        else:
            charge = next(c for c in self.charges if c.charge.charge_id == piece.charge_id)
            charge.paid += piece.amount
        self.allocations.append(
            Allocation(payment_id, day, piece.seq, piece.charge_id, piece.component, piece.amount)
        )

    def close_day(self, day: date) -> None:
        """End of an event day: record settlements (and drop accruals paid off within grace)."""
        for line in self.lines:
            line.close_day(day)

    def report(self, as_of: date) -> Ledger:
        """Accrue to ``as_of``, crystallise what is reported, and freeze the result."""
        self.accrue_through(as_of)
        self.crystallise(as_of)
        return Ledger(
            loan_id=self.terms.loan_id,
            as_of=as_of,
            installments=tuple(line.state() for line in self.lines),
            charges=tuple(c.state() for c in self.charges),
            allocations=tuple(self.allocations),
            unapplied_credit=sum((held.amount for held in self.credit), ZERO),
        )


def _open_line(
    terms: LoanTerms,
    row: ScheduledInstallment,
    accelerated: bool,
    policy: ProductPolicy,
    calendar: BusinessCalendar,
    as_of: date,
) -> _Line:
    """An installment before the first event. Origin and grace are looked up only for installments due by
    ``as_of`` (a calendar gap after ``as_of`` never matters); a later one cannot accrue by ``as_of``."""
    if row.due_date <= as_of:
        origin = overdue_origin(row.due_date, policy, calendar)
        last_on_time = last_on_time_day(row.due_date, policy, calendar)
    else:
        origin = last_on_time = row.due_date
    nothing_owed = row.total_due == ZERO
    return _Line(
        row=row,
        accelerated=accelerated,
        origin=origin,
        last_on_time=last_on_time,
        accrued_through=origin,
        settled_on=terms.disbursed_on if nothing_owed else None,
    )
