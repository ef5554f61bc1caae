"""Classification: the five-category class (五级分类), the IFRS 9 stage and reference reserves (C6).

The class of a loan on day D is the worst of: the dpd floor (product's ``class_floors``; 正常 when not
delinquent), the NPL hold, the restructuring observation floor and any manual downgrade in force. The hold
and the observation depend on the loan's history, which is derived from the same ``DueItem`` timeline as
delinquency (dpd on every past day is computable from the settlement dates), by replaying the days from
the first due date (or the first restructuring) to D:

* NPL hold (cure rule). Once the dpd floor is NPL (次级 or worse) the class does not improve until the
  arrears are cleared (nothing due by that day unpaid) AND afterwards either the next 2 installments
  falling due after the cure are settled on time, or 6 months pass from the cure — with nothing delinquent
  and no installment missed (not settled by its last on-time day) in between; a delinquency or a miss
  restarts the wait from the next day the arrears are clear. While held the class is the worst dpd floor
  reached since the loan became NPL.
* Restructuring observation. The floor 关注 applies from the restructuring day; the observation period
  starts at the first due date after the restructuring and ends once at least 2 installments due from the
  start are settled (all on time) AND at least 1 year has passed since the start. A missed installment
  restarts it from the first due date after the day the miss became final. With no due date left to
  start or to complete it, the observation stays in force. A loan NPL on the restructuring day (its full
  class at the end of that day — for a successor loan, the worse of its own and the predecessor's class,
  ``Restructuring.class_on_day``) cannot rise above that class during observation.
* Manual downgrade. In force from ``effective_on`` to ``until`` inclusive, reason required. A manual
  class better than the computed one is refused in a command (``refuse_upgrade``); inside ``classify``
  it simply has no effect (worst-of).

For non-retail debtors ``debtor_rule`` lifts every claim to at least 次级 when more than 10 % of the
debtor's balance is NPL. ``ifrs9_stage`` and ``reference_reserve_rate`` give the IFRS 9 / CAS 22 stage and
the reference provision rate of a class.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Final

from qingshou.domain.calendar import BusinessCalendar
from qingshou.domain.delinquency import DueItem
from qingshou.domain.duedates import last_on_time_day, overdue_origin
from qingshou.domain.errors import ClassificationError
from qingshou.domain.policy import LoanClass, ProductPolicy
from qingshou.domain.schedule import add_months

#: Installments to be settled on time after a cure (NPL hold) or from the start of an observation period.
ON_TIME_PERIODS: Final = 2
#: Months after a cure after which an NPL hold ends even without 2 installments falling due.
HOLD_MONTHS: Final = 6
#: Minimum length of a restructuring observation period, in months.
OBSERVATION_MONTHS: Final = 12
#: More than this share of a non-retail debtor's balance being NPL makes every claim at least 次级.
DEBTOR_NPL_SHARE: Final = Decimal("0.10")
#: Reference provision rates for institutions without an ECL model (C6).
RESERVE_RATES: Final = {
    LoanClass.NORMAL: Decimal("0"),
    LoanClass.SPECIAL_MENTION: Decimal("0.02"),
    LoanClass.SUBSTANDARD: Decimal("0.25"),
    LoanClass.DOUBTFUL: Decimal("0.50"),
    LoanClass.LOSS: Decimal("1"),
}

_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Restructuring:
    """The loan's terms were changed (重组) on ``on``.

    ``class_on_day`` is the predecessor's class at the end of ``on`` for a successor loan whose own history
    starts that day (a plan's new contract, issue 5): the observation then takes the worse of it and the
    loan's own class on that day (an NPL predecessor keeps the successor at its class during observation).
    """

    on: date
    class_on_day: LoanClass | None = None


@dataclass(frozen=True, slots=True)
class ManualDowngrade:
    """A class set by a person from ``effective_on`` to ``until`` inclusive (open-ended when None)."""

    effective_on: date
    loan_class: LoanClass
    reason: str
    until: date | None = None

    def __post_init__(self) -> None:
        if not self.reason or not self.reason.strip():
            raise ClassificationError("a manual classification needs a reason", field="reason")
        if self.until is not None and self.until < self.effective_on:
            raise ClassificationError(
                f"manual classification ends ({self.until}) before it starts ({self.effective_on})",
                field="until",
            )

    def in_force_on(self, day: date) -> bool:
        """Whether the downgrade applies on ``day``."""
        return self.effective_on <= day and (self.until is None or day <= self.until)


@dataclass(frozen=True, slots=True)
class Classification:
    """The class of a loan on a day, its IFRS 9 stage, its dpd floor and the rules that decided it."""

    loan_class: LoanClass
    stage: int
    floor: LoanClass
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DebtorClaim:
    """One claim on a non-retail debtor: its class and outstanding balance (yuan)."""

    loan_id: str
    loan_class: LoanClass
    balance: Decimal


def dpd_floor(dpd: int, delinquent: bool, policy: ProductPolicy) -> LoanClass:
    """C6: the class floor for ``dpd`` from the product's floors; 正常 when the loan is not delinquent."""
    result = LoanClass.NORMAL
    if not delinquent:
        return result
    for floor in policy.class_floors:
        if dpd >= floor.min_dpd:
            result = max(result, floor.loan_class)
    return result


def ifrs9_stage(dpd: int, loan_class: LoanClass) -> int:
    """C6: stage 3 when dpd > 90 or NPL; stage 2 when dpd > 30 or 关注; else stage 1."""
    if dpd > 90 or loan_class.is_npl:
        return 3
    if dpd > 30 or loan_class is LoanClass.SPECIAL_MENTION:
        return 2
    return 1


def reference_reserve_rate(loan_class: LoanClass) -> Decimal:
    """C6: the reference provision rate of a class (正常 0, 关注 2 %, 次级 25 %, 可疑 50 %, 损失 100 %)."""
    return RESERVE_RATES[loan_class]


def refuse_upgrade(target: LoanClass, computed: LoanClass) -> None:
    """C6: a manual class better than the computed one is refused (``ClassificationError``)."""
    if target < computed:
        raise ClassificationError(
            f"a manual classification cannot upgrade the loan above its floor: {target.code} is better than"
            f" {computed.code}",
            field="loan_class",
        )


def debtor_rule(claims: Sequence[DebtorClaim]) -> dict[str, LoanClass]:
    """C6 10 % rule: when NPL claims are more than 10 % of a non-retail debtor's balance, all are ≥ 次级."""
    ids = [claim.loan_id for claim in claims]
    if len(set(ids)) != len(ids):
        raise ClassificationError("a debtor's claims must have distinct loan ids", field="loan_id")
    for claim in claims:
        if claim.balance < 0:
            raise ClassificationError(f"claim {claim.loan_id}: balance must not be negative", field="balance")
    total = sum((claim.balance for claim in claims), Decimal(0))
    npl = sum((claim.balance for claim in claims if claim.loan_class.is_npl), Decimal(0))
    triggered = npl > total * DEBTOR_NPL_SHARE
    return {
        claim.loan_id: max(claim.loan_class, LoanClass.SUBSTANDARD) if triggered else claim.loan_class
        for claim in claims
    }


class _Timeline:
    """The installments in due order with their overdue origin and last on-time day, swept day by day.

    Origins and last on-time days are computed only for installments due by ``as_of`` (so a calendar gap
    after ``as_of`` never matters). Both are non-decreasing in due order, so the oldest unpaid
    installment also decides whether the loan is delinquent.
    """

    def __init__(
        self, items: Iterable[DueItem], as_of: date, policy: ProductPolicy, calendar: BusinessCalendar
    ) -> None:
        ordered = sorted(items, key=lambda item: (item.due_date, item.seq))
        self.due = [item.due_date for item in ordered]
        self.settled = [item.settled_on for item in ordered]
        past = ordered[: bisect_right(self.due, as_of)]
        self.origin = [overdue_origin(item.due_date, policy, calendar) for item in past]
        self.on_time_until = [last_on_time_day(item.due_date, policy, calendar) for item in past]
        self.miss_days = frozenset(
            last + _DAY
            for item, last in zip(past, self.on_time_until, strict=True)
            if item.settled_on is None or item.settled_on > last
        )
        self._oldest = 0

    def max_dpd(self, as_of: date) -> int:
        """The highest dpd the loan reached at the end of any day up to ``as_of``.

        dpd(t) = t − origin of the oldest installment unsettled at the end of t, so each installment's worst
        day is its last unsettled day (the day before it settled, or ``as_of``); the oldest unsettled
        installment on that day has an origin no later than its own, so this bound is reached exactly.
        """
        worst = 0
        for origin, settled in zip(self.origin, self.settled, strict=False):
            last_unsettled = as_of if settled is None or settled > as_of else settled - _DAY
            worst = max(worst, (last_unsettled - origin).days)
        return worst

    def first_day(self, as_of: date) -> date:
        """The day the replay starts: the first due date (``as_of`` when nothing is due by then)."""
        return min(self.due[0], as_of) if self.due else as_of

    def state(self, day: date) -> tuple[int, bool, bool]:
        """(dpd, delinquent, arrears cleared) at the end of ``day``; days must be asked in order."""
        count = len(self.origin)
        while self._oldest < count and self._settled_by(self._oldest, day):
            self._oldest += 1
        if self._oldest >= count or self.due[self._oldest] > day:
            return 0, False, True
        dpd = max(0, (day - self.origin[self._oldest]).days)
        return dpd, day > self.on_time_until[self._oldest], False

    def first_due_after(self, day: date) -> date | None:
        """The first due date strictly after ``day``."""
        index = bisect_right(self.due, day)
        return self.due[index] if index < len(self.due) else None

    def settled_run(self, first_due: date, day: date, *, strictly_after: bool) -> bool:
        """Whether the 2 installments due from ``first_due`` (or after it) are both settled by ``day``."""
        start = bisect_right(self.due, first_due) if strictly_after else bisect_left(self.due, first_due)
        run = range(start, start + ON_TIME_PERIODS)
        return run.stop <= len(self.due) and all(self._settled_by(index, day) for index in run)

    def _settled_by(self, index: int, day: date) -> bool:
        settled = self.settled[index]
        return settled is not None and settled <= day


class _NplHold:
    """The cure rule: an NPL loan keeps its worst class until cured and proven (see module docstring)."""

    def __init__(self) -> None:
        self.held: LoanClass | None = None
        self.cured_on: date | None = None

    def step(self, day: date, floor: LoanClass, disturbed: bool, cleared: bool, timeline: _Timeline) -> None:
        """Advance to the end of ``day``: ``disturbed`` = delinquent or an installment missed that day."""
        if floor.is_npl:
            self.held = max(self.held or floor, floor)
            self.cured_on = None
            return
        if self.held is None:
            return
        if disturbed:
            self.cured_on = None
        if self.cured_on is None:
            self.cured_on = day if cleared else None
            return
        if day >= add_months(self.cured_on, HOLD_MONTHS) or timeline.settled_run(
            self.cured_on, day, strictly_after=True
        ):
            self.held = None
            self.cured_on = None


class _Observation:
    """The restructuring observation period and its floor (see module docstring)."""

    def __init__(self) -> None:
        self.cap: LoanClass | None = None
        self.start: date | None = None

    def begin(self, day: date, class_on_day: LoanClass, timeline: _Timeline) -> None:
        """A restructuring on ``day`` when the loan's class at the end of that day was ``class_on_day``."""
        self.cap = class_on_day if class_on_day.is_npl else LoanClass.SPECIAL_MENTION
        self.start = timeline.first_due_after(day)

    def step(self, day: date, missed: bool, timeline: _Timeline) -> None:
        """Advance to the end of ``day``: restart on a miss, end when the conditions are met."""
        if self.cap is None:
            return
        if missed:
            self.start = timeline.first_due_after(day)
            return
        if (
            self.start is not None
            and day >= add_months(self.start, OBSERVATION_MONTHS)
            and timeline.settled_run(self.start, day, strictly_after=False)
        ):
            self.cap = None
            self.start = None


def _npl_threshold(policy: ProductPolicy) -> int:
    """The lowest dpd whose floor is non-performing (no floor NPL: never)."""
    return min((f.min_dpd for f in policy.class_floors if f.loan_class.is_npl), default=10**9)


def _manual_class(manual: Sequence[ManualDowngrade], day: date) -> LoanClass | None:
    in_force = [entry.loan_class for entry in manual if entry.in_force_on(day)]
    return max(in_force) if in_force else None


def _worst(*classes: LoanClass | None) -> LoanClass:
    return max((value for value in classes if value is not None), default=LoanClass.NORMAL)


@dataclass(frozen=True, slots=True)
class _Day:
    dpd: int
    floor: LoanClass
    held: LoanClass | None
    observation: LoanClass | None
    manual: LoanClass | None

    @property
    def loan_class(self) -> LoanClass:
        return _worst(self.floor, self.held, self.observation, self.manual)

    def reasons(self) -> tuple[str, ...]:
        final = self.loan_class
        rules = (
            ("dpd_floor", self.floor),
            ("npl_hold", self.held),
            ("restructuring", self.observation),
            ("manual", self.manual),
        )
        decided = tuple(name for name, value in rules if value == final)
        return decided or ("dpd_floor",)


def classify(
    items: Iterable[DueItem],
    as_of: date,
    policy: ProductPolicy,
    calendar: BusinessCalendar,
    *,
    restructurings: Sequence[Restructuring] = (),
    manual: Sequence[ManualDowngrade] = (),
) -> Classification:
    """C6: the class of the loan at the end of ``as_of``, replaying its history (rules in the docstring)."""
    timeline = _Timeline(items, as_of, policy, calendar)
    if not restructurings and not manual and timeline.max_dpd(as_of) < _npl_threshold(policy):
        # Never NPL, never restructured, no manual class: no history rule can apply (fast path).
        dpd, delinquent, _cleared = timeline.state(as_of)
        floor = dpd_floor(dpd, delinquent, policy)
        return Classification(floor, ifrs9_stage(dpd, floor), floor, ("dpd_floor",))
    restructured_on: dict[date, LoanClass | None] = {}
    for entry in sorted(restructurings, key=lambda entry: entry.on):
        if entry.on <= as_of:
            restructured_on[entry.on] = _worst(restructured_on.get(entry.on), entry.class_on_day)
    hold, observation = _NplHold(), _Observation()
    day = min([timeline.first_day(as_of), *restructured_on])
    while True:
        dpd, delinquent, cleared = timeline.state(day)
        floor = dpd_floor(dpd, delinquent, policy)
        missed = day in timeline.miss_days
        hold.step(day, floor, delinquent or missed, cleared, timeline)
        observation.step(day, missed, timeline)
        today = _Day(dpd, floor, hold.held, observation.cap, _manual_class(manual, day))
        if day in restructured_on:
            observation.begin(day, _worst(today.loan_class, restructured_on[day]), timeline)
            today = _Day(dpd, floor, hold.held, observation.cap, today.manual)
        if day >= as_of:
            break
        day += _DAY
    return Classification(today.loan_class, ifrs9_stage(dpd, today.loan_class), floor, today.reasons())
