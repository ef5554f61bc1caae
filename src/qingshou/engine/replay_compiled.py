"""Replay compiled: every loan's ledger replayed event by event in one compiled loop (C1, C2, C4, C5).

The facts of ``replay_facts.prepare`` (integer columns, each loan's rows given by ``line_start/line_end``,
``pay_start/pay_end``, ``charge_start/charge_end``) are handed to one ``numba.njit`` function as numpy
arrays (views of the Polars columns where they have one chunk and no nulls). Per loan it walks the event
days up to as_of as ``domain.ledger.replay`` does — payment days, and the due dates and charge postings on
which held credit is applied — and on each:

1. accrual (C4): each open installment due by the day adds its unpaid principal × days (and, with
   ``compound``, unpaid interest × days) to its exact balance-days, for the days d with
   max(origin, accrued through) < d ≤ day (lazily: balances only change at allocation events);
2. at a payment, and at a credit day while credit is held: crystallisation of every installment not
   contingent (past its last on-time day, or settled) — round(balance-days × rate_num / rate_den) half-up
   or down, exact: the product is formed in 128 bits (two 64-bit limbs) and divided by long division; with
   ``cap_charges_at_principal`` each amount is cut to the room left (principal − the schedule's interest and
   fees − fee charges posted by the day − penalty and compound crystallised so far), installments in seq
   order, penalty before compound;
3. the waterfall (C5): the installments due by the day and not closed and the charges posted by the day and
   not paid, in the loan's item order (``item``), overdue before current — horizontal (component by
   component in the product's order) or vertical (item by item) —; then, with ``prepayment``, the
   installments not yet due in seq order, fees → interest → principal; what is left is unapplied credit
   (money that covers everything owed pays every item in full, whatever the order: no walk down the order);
4. close of the day: an installment whose principal, interest and fee are paid is settled that day, and
   settled by its last on-time day its contingent accrual is discarded (C2).

At as_of every open installment accrues and crystallises once more for the report. The loop is the domain's
own order of operations, so it needs no closed form and no rounds; ``engine.replay_rounds`` stays as the
alternative path and the tests' oracle. A loan whose exact balance-days would not fit in 64 bits (an
installment of more than about 2.5 × 10¹⁴ fen overdue for a century), or whose crystallised amount would not,
is flagged (``Compiled.outside``) instead of being computed: ``engine.replay`` replays it through the domain.

From ``THREADED_FROM`` loans the loop runs in as many threads as Polars' pool has (one in an
``engine.parallel`` worker), each on its own consecutive part of the loans: it holds no GIL and every loan
writes only its own rows. Memory: besides its outputs (seven Int64 columns and one Date column per head line, handed to Polars without
a copy) the loop keeps only one loan's working state, so a million loans add no more than the result.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Final, Literal, TypeVar, cast

import numba
import numpy as np
import polars as pl

from qingshou.engine.replay_facts import RANKS, Facts

#: The per-line amounts handed back (``replay_rounds.LEDGER_STATE`` but ``settled``), in this order.
AMOUNTS: Final = (
    "principal_paid", "interest_paid", "fee_paid", "penalty_accrued", "penalty_paid", "compound_accrued",
    "compound_paid",
)  # fmt: skip
_PP, _IP, _FP, _PA, _PNP, _CA, _CP = range(7)  # rows of the amounts matrix
#: ``settled`` of a line not settled (days since 1970 otherwise, as a Date).
_UNSETTLED: Final = -(2**31)
_INT64_MAX: Final = 2**63 - 1
#: rate_den must be below this for the long division's remainder to stay within 64 bits.
_DEN_LIMIT: Final = 2**62
# component codes (replay_facts): costs, fees, penalty, compound, interest, principal
_COSTS, _FEES, _PENALTY, _COMPOUND, _INTEREST, _PRINCIPAL = range(6)
# the policy matrix's columns
_POLICY: Final = ("down", "compound", "prepayment", "vertical", "cap")
_DOWN, _COMPOUND_ON, _PREPAYMENT, _VERTICAL, _CAP = range(5)
_LOAN_INTS: Final = (
    "line_start", "line_end", "pay_start", "pay_end", "charge_start", "charge_end", "disbursed", "rate_num",
    "rate_den", "cap_base",
)  # fmt: skip
#: From this many loans the loop runs in as many threads as Polars' pool has (one part of the loans each).
THREADED_FROM: Final = 100_000
_LINE_INTS: Final = ("due", "origin", "last_on_time", "principal", "interest", "fee", "item")
_CHARGE_INTS: Final = ("posted", "amount", "component", "item")


@dataclass(frozen=True, slots=True)
class Compiled:
    """The replay of ``facts``: ``state`` per line of ``facts.lines`` (AMOUNTS as Int64 and ``settled_on``
    as a Date, null: not settled), ``charge_paid`` per charge of ``facts.charges``, and per loan ``credit``
    (unapplied) and ``outside`` (not computed, its figures would not fit in 64 bits — the caller replays it
    otherwise)."""

    state: dict[str, pl.Series]
    charge_paid: pl.Series
    credit: pl.Series
    outside: pl.Series


def replay_facts(facts: Facts) -> Compiled:
    """Replay every loan of ``facts`` to the end of ``facts.as_of`` (module docstring)."""
    loans, lines, charges = facts.loans, facts.lines, facts.charges
    count = loans.height
    policy = np.zeros((count, len(_POLICY)), dtype=np.bool_)
    for column, name in enumerate(_POLICY):
        policy[:, column] = _flags(loans[name])
    ranks = np.zeros((count, len(RANKS)), dtype=np.int64)
    for column, name in enumerate(RANKS):
        ranks[:, column] = _ints(loans[name])
    loan = {name: _ints(loans[name]) for name in _LOAN_INTS}
    line = {name: _ints(lines[name]) for name in _LINE_INTS}
    charge = {name: _ints(charges[name]) for name in _CHARGE_INTS}
    pay_day, pay_amount = _ints(facts.pays["day"]), _ints(facts.pays["amount"])
    amounts = np.zeros((len(AMOUNTS), lines.height), dtype=np.int64)
    settled = np.full(lines.height, _UNSETTLED, dtype=np.int32)
    charge_paid = np.zeros(charges.height, dtype=np.int64)
    credit = np.zeros(count, dtype=np.int64)
    outside = np.zeros(count, dtype=np.bool_)

    def replay_part(part: tuple[int, int]) -> None:
        _replay(
            part[0], part[1], facts.as_of,
            loan["line_start"], loan["line_end"], loan["pay_start"], loan["pay_end"], loan["charge_start"],
            loan["charge_end"], loan["disbursed"], loan["rate_num"], loan["rate_den"], loan["cap_base"], policy,
            ranks, line["due"], line["origin"], line["last_on_time"], line["principal"], line["interest"],
            line["fee"], line["item"], pay_day, pay_amount, charge["posted"],
            charge["amount"], charge["component"], charge["item"], amounts, settled, charge_paid, credit, outside,
        )  # fmt: skip

    threads = pl.thread_pool_size() if count >= THREADED_FROM else 1
    parts = [(count * i // threads, count * (i + 1) // threads) for i in range(threads)]
    if threads > 1:  # the loop holds no GIL: the parts run side by side, each writing its own rows
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(replay_part, parts))
    else:
        replay_part((0, count))
    state = {name: pl.Series(name, amounts[row]) for row, name in enumerate(AMOUNTS)}
    days = pl.Series("settled_on", settled)
    state["settled_on"] = pl.select(
        pl.when(pl.lit(days) != _UNSETTLED).then(pl.lit(days)).cast(pl.Date).alias("settled_on")
    ).to_series()
    return Compiled(
        state=state,
        charge_paid=pl.Series("paid", charge_paid),
        credit=pl.Series("credit", credit),
        outside=pl.Series("outside", outside),
    )


def _ints(column: pl.Series) -> np.ndarray:
    """An integer column as a contiguous, read-only int64 array (a view when it has one chunk and no nulls).
    Read-only whether a view or a copy: numba compiles (and caches) one version per argument type, and a
    writable array is another type."""
    values = np.ascontiguousarray(column.cast(pl.Int64).to_numpy(), dtype=np.int64)
    values.flags.writeable = False
    return values


def _flags(column: pl.Series) -> np.ndarray:
    return column.fill_null(False).to_numpy().astype(np.bool_)


# --- the compiled part -----------------------------------------------------------------------------------
# Loops over integer arrays, compiled by numba on first use and cached on disk (docs/architecture.md, "The
# daily batch"). The small helpers are inlined into the loop (``inline="always"``).

_F = TypeVar("_F", bound=Callable[..., object])


def _jit(*, inline: bool = False) -> Callable[[_F], _F]:
    """``numba.njit`` without the GIL, cached on disk where numba finds a writable place (beside this
    module, else its per-user cache folder, or ``NUMBA_CACHE_DIR``); compiled in each process otherwise."""
    mode: Literal["always", "never"] = "always" if inline else "never"

    def compile_(function: _F) -> _F:
        try:
            return cast(_F, numba.njit(function, cache=True, nogil=True, inline=mode))
        except RuntimeError:  # no writable cache location: compile anew in each process
            return cast(_F, numba.njit(function, cache=False, nogil=True, inline=mode))

    return compile_


@_jit(inline=True)
def _mul128(a: np.uint64, b: np.uint64) -> tuple[np.uint64, np.uint64]:  # pragma: no cover - compiled
    """a × b as (high, low) 64-bit limbs, from 32-bit halves."""
    mask = np.uint64(0xFFFFFFFF)
    shift = np.uint64(32)
    a0, a1 = a & mask, a >> shift
    b0, b1 = b & mask, b >> shift
    p00, p01, p10, p11 = a0 * b0, a0 * b1, a1 * b0, a1 * b1
    middle = (p00 >> shift) + (p01 & mask) + (p10 & mask)
    low = (p00 & mask) | (middle << shift)
    high = p11 + (p01 >> shift) + (p10 >> shift) + (middle >> shift)
    return high, low


@_jit()
def _divmod128(high: np.uint64, low: np.uint64, den: np.uint64) -> tuple[np.uint64, np.uint64]:
    """(high·2⁶⁴ + low) divided by ``den`` (high < den < 2⁶²): quotient and remainder, bit by bit."""
    one = np.uint64(1)
    remainder = high
    quotient = np.uint64(0)
    for bit in range(63, -1, -1):
        remainder = (remainder << one) | ((low >> np.uint64(bit)) & one)
        quotient = quotient << one
        if remainder >= den:
            remainder -= den
            quotient |= one
    return quotient, remainder


@_jit()
def rounded(measure: int, rate_num: int, rate_den: int, down: bool) -> int:  # pragma: no cover - compiled
    """round(measure × rate_num / rate_den) to an integer, half-up (or down), exact in 128 bits; −1 when the
    result does not fit in 64 bits. ``measure`` ≥ 0, ``rate_num`` ≥ 0, 0 < ``rate_den`` < 2⁶²."""
    if measure == 0 or rate_num == 0:
        return 0
    den = np.uint64(rate_den)
    high, low = _mul128(np.uint64(measure), np.uint64(rate_num))
    if high >= den:
        return -1
    if high == 0:
        quotient = low // den
        remainder = low - quotient * den
    else:
        quotient, remainder = _divmod128(high, low, den)
    if not down and remainder + remainder >= den:
        quotient += np.uint64(1)
    if quotient > np.uint64(_INT64_MAX):
        return -1
    return np.int64(quotient)  # type: ignore[return-value]  # int() would go through a float in numba


@_jit()
def _replay(
    begin: int,
    end_loan: int,
    as_of: int,
    line_start: np.ndarray,
    line_end: np.ndarray,
    pay_start: np.ndarray,
    pay_end: np.ndarray,
    charge_start: np.ndarray,
    charge_end: np.ndarray,
    disbursed: np.ndarray,
    rate_num: np.ndarray,
    rate_den: np.ndarray,
    cap_base: np.ndarray,
    policy: np.ndarray,
    ranks: np.ndarray,
    due: np.ndarray,
    origin: np.ndarray,
    last_on_time: np.ndarray,
    principal: np.ndarray,
    interest: np.ndarray,
    fee: np.ndarray,
    line_item: np.ndarray,
    pay_day: np.ndarray,
    pay_amount: np.ndarray,
    posted: np.ndarray,
    charge_amount: np.ndarray,
    component: np.ndarray,
    charge_item: np.ndarray,
    amounts: np.ndarray,
    settled: np.ndarray,
    charge_paid: np.ndarray,
    credit: np.ndarray,
    outside: np.ndarray,
) -> None:  # pragma: no cover - compiled
    """The loans ``begin`` to ``end_loan − 1`` in turn (module docstring), written into the outputs: per line the
    amounts (AMOUNTS rows) and the settlement day, per charge what was paid, per loan the unapplied credit
    and whether it is outside the 64-bit range."""
    widest = 1
    for loan in range(begin, end_loan):
        widest = max(widest, line_end[loan] - line_start[loan] + charge_end[loan] - charge_start[loan])
    # one loan's working state, by line from its first: balance-days pending (penalty, compound), accrued
    # through, closed; the owed items of an allocation; the waterfall's order; rate and cap
    pending = np.zeros((2, widest), dtype=np.int64)
    through = np.zeros(widest, dtype=np.int64)
    closed = np.zeros(widest, dtype=np.bool_)
    items = np.zeros(widest, dtype=np.int64)
    order = np.zeros(6, dtype=np.int64)
    terms = np.zeros(4, dtype=np.int64)
    for loan in range(begin, end_loan):
        first, end = line_start[loan], line_end[loan]
        num, den = rate_num[loan], rate_den[loan]
        if num < 0 or not 0 < den < _DEN_LIMIT or not _waterfall_order(ranks[loan], order):
            outside[loan] = True
            continue
        terms[0], terms[1], terms[2], terms[3] = num, den, cap_base[loan], as_of
        for k in range(first, end):
            owes = principal[k] + interest[k] + fee[k] > 0
            settled[k] = _UNSETTLED if owes else disbursed[loan]
            pending[0, k - first] = 0
            pending[1, k - first] = 0
            through[k - first] = origin[k]
            closed[k - first] = not owes
        left = _events(
            first, end, pay_start[loan], pay_end[loan], charge_start[loan], charge_end[loan], terms,
            policy[loan], order, due, origin, last_on_time, principal, interest, fee, line_item, pay_day,
            pay_amount, posted, charge_amount, component, charge_item, amounts, settled, charge_paid, pending,
            through, closed, items,
        )  # fmt: skip
        if left < 0:
            outside[loan] = True
        else:
            credit[loan] = left


@_jit(inline=True)
def _waterfall_order(ranks: np.ndarray, order: np.ndarray) -> bool:  # pragma: no cover - compiled
    """``order[r]``: the component ranked r; False unless the ranks are a permutation of 0…5."""
    order[:] = -1
    for code in range(6):
        rank = ranks[code]
        if rank < 0 or rank > 5 or order[rank] >= 0:
            return False
        order[rank] = code
    return True


@_jit()
def _events(  # noqa: C901 - the domain's event loop over one loan's arrays
    first: int,
    end: int,
    pay_first: int,
    pay_end: int,
    charge_first: int,
    charge_end: int,
    terms: np.ndarray,
    policy: np.ndarray,
    order: np.ndarray,
    due: np.ndarray,
    origin: np.ndarray,
    last_on_time: np.ndarray,
    principal: np.ndarray,
    interest: np.ndarray,
    fee: np.ndarray,
    line_item: np.ndarray,
    pay_day: np.ndarray,
    pay_amount: np.ndarray,
    posted: np.ndarray,
    charge_amount: np.ndarray,
    component: np.ndarray,
    charge_item: np.ndarray,
    amounts: np.ndarray,
    settled: np.ndarray,
    charge_paid: np.ndarray,
    pending: np.ndarray,
    through: np.ndarray,
    closed: np.ndarray,
    items: np.ndarray,
) -> int:  # pragma: no cover - compiled
    """One loan's event days (payments; due dates and charge postings, when credit is held) and its report
    at as_of; returns the unapplied credit (−1: a figure outside 64 bits). ``first_open``: no line before
    it can change any more."""
    as_of = terms[3]
    never = _INT64_MAX
    next_pay, next_due, next_charge = pay_first, first, charge_first
    first_open = first
    while first_open < end and closed[first_open - first]:
        first_open += 1
    credit = 0
    accrued = 0  # penalty + compound crystallised on the loan (the cap)
    while True:
        pay = pay_day[next_pay] if next_pay < pay_end else never
        line_day = due[next_due] if next_due < end else never
        charge_day = posted[next_charge] if next_charge < charge_end else never
        day = min(pay, min(line_day, charge_day))
        if day > as_of:
            break
        credit_day = line_day == day or charge_day == day
        while next_due < end and due[next_due] == day:
            next_due += 1
        while next_charge < charge_end and posted[next_charge] == day:
            next_charge += 1
        touched = first_open
        for turn in range(2):
            if turn == 0:
                if pay != day:
                    continue
                money = pay_amount[next_pay]
                next_pay += 1
            else:
                if not credit_day or credit <= 0:
                    continue
                money = credit
                credit = 0
            accrued = _crystallise(
                first, first_open, end, day, terms, policy, accrued, due, origin, last_on_time, principal,
                interest, charge_first, charge_end, posted, charge_amount, component, amounts, settled, pending,
                through, closed,
            )  # fmt: skip
            if accrued < 0:
                return -1
            left, reached = _allocate(
                money, day, first, first_open, end, policy, order, due, principal, interest, fee, line_item,
                charge_first, charge_end, posted, charge_amount, component, charge_item, amounts, charge_paid,
                closed, items,
            )  # fmt: skip
            credit += left
            touched = max(touched, reached)
        first_open = _close_day(
            day, first, first_open, touched, end, last_on_time, principal, interest, fee, amounts, settled,
            pending, closed,
        )  # fmt: skip
    accrued = _crystallise(
        first, first_open, end, as_of, terms, policy, accrued, due, origin, last_on_time, principal, interest,
        charge_first, charge_end, posted, charge_amount, component, amounts, settled, pending, through, closed,
    )  # fmt: skip
    return -1 if accrued < 0 else credit


@_jit(inline=True)
def _crystallise(
    first: int,
    first_open: int,
    end: int,
    day: int,
    terms: np.ndarray,
    policy: np.ndarray,
    accrued: int,
    due: np.ndarray,
    origin: np.ndarray,
    last_on_time: np.ndarray,
    principal: np.ndarray,
    interest: np.ndarray,
    charge_first: int,
    charge_end: int,
    posted: np.ndarray,
    charge_amount: np.ndarray,
    component: np.ndarray,
    amounts: np.ndarray,
    settled: np.ndarray,
    pending: np.ndarray,
    through: np.ndarray,
    closed: np.ndarray,
) -> int:  # pragma: no cover - compiled
    """Accrue the open lines due by ``day`` through it (C4), then round the balance-days of those not
    contingent, under the cap when the product has one; returns the loan's crystallised total (−1: a figure
    outside 64 bits). A line not yet due has accrued nothing (its origin is after the day)."""
    down, compound, cap = policy[_DOWN], policy[_COMPOUND_ON], policy[_CAP]
    limit = (
        _cap_limit(terms[2], day, charge_first, charge_end, posted, charge_amount, component) if cap else 0
    )
    for k in range(first_open, end):
        if due[k] > day:
            break
        at = k - first
        if closed[at]:
            continue
        start = max(origin[k], through[at])
        if day > start:
            through[at] = day
            unpaid = (principal[k] - amounts[_PP, k], interest[k] - amounts[_IP, k] if compound else 0)
            if not _accrue(pending, at, unpaid, day - start):
                return -1
        if day <= last_on_time[k] and settled[k] == _UNSETTLED:
            continue  # contingent (C2)
        for row, target in ((0, _PA), (1, _CA)):
            amount = rounded(pending[row, at], terms[0], terms[1], down)
            if amount < 0:
                return -1
            if cap:
                amount = min(amount, max(limit - accrued, 0))
            amounts[target, k] += amount
            pending[row, at] = 0
            accrued += amount
    return accrued


@_jit(inline=True)
def _cap_limit(
    base: int,
    day: int,
    charge_first: int,
    charge_end: int,
    posted: np.ndarray,
    charge_amount: np.ndarray,
    component: np.ndarray,
) -> int:  # pragma: no cover - compiled
    """What penalty + compound may reach under the cap on ``day``: principal − the schedule's interest and
    fees (``base``) − the fee charges posted by then."""
    limit = base
    for j in range(charge_first, charge_end):
        if posted[j] <= day and component[j] == _FEES:
            limit -= charge_amount[j]
    return limit


@_jit(inline=True)
def _accrue(pending: np.ndarray, at: int, unpaid: tuple[int, int], days: int) -> bool:  # pragma: no cover
    """Add ``unpaid`` (principal, interest) × ``days`` to the line's balance-days (C4); False when they
    would not fit in 64 bits."""
    for row in range(2):
        if unpaid[row] > 0:
            if unpaid[row] > (_INT64_MAX - pending[row, at]) // days:
                return False
            pending[row, at] += unpaid[row] * days
    return True


@_jit(inline=True)
def _allocate(  # noqa: C901 - one loan's arrays
    money: int,
    day: int,
    first: int,
    first_open: int,
    end: int,
    policy: np.ndarray,
    order: np.ndarray,
    due: np.ndarray,
    principal: np.ndarray,
    interest: np.ndarray,
    fee: np.ndarray,
    line_item: np.ndarray,
    charge_first: int,
    charge_end: int,
    posted: np.ndarray,
    charge_amount: np.ndarray,
    component: np.ndarray,
    charge_item: np.ndarray,
    amounts: np.ndarray,
    charge_paid: np.ndarray,
    closed: np.ndarray,
    items: np.ndarray,
) -> tuple[int, int]:  # pragma: no cover - compiled
    """Pay ``money`` down the waterfall of ``day`` (C5); returns what is left and the end of the lines it
    may have touched. ``items`` holds the owed items in order: a line k as k, a charge j as −(j + 1)."""
    count, overdue, k = 0, 0, first_open
    j = charge_first
    while True:  # lines due by the day and charges posted by then, merged in item order
        line_next = k < end and due[k] <= day
        charge_next = j < charge_end and posted[j] <= day
        if not line_next and not charge_next:
            break
        if line_next and (not charge_next or line_item[k] < charge_item[j]):
            if not closed[k - first]:
                items[count] = k
                count += 1
                overdue += due[k] < day
            k += 1
        else:
            if charge_paid[j] < charge_amount[j]:
                items[count] = -(j + 1)
                count += 1
                overdue += posted[j] < day
            j += 1
    left = money
    owed = _owed(items, count, principal, interest, fee, charge_amount, amounts, charge_paid)
    if left >= owed:  # the usual case: everything owed is paid, whatever the order
        left -= owed
        _pay_all(items, count, principal, interest, fee, charge_amount, amounts, charge_paid)
    elif policy[_VERTICAL]:  # item by item, every component of one before the next
        for t in range(count):
            for r in range(6):
                left = _pay(
                    items[t],
                    order[r],
                    left,
                    principal,
                    interest,
                    fee,
                    component,
                    charge_amount,
                    amounts,
                    charge_paid,
                )
    else:  # horizontal: the overdue items, then the current ones, component by component
        for low, high in ((0, overdue), (overdue, count)):
            for r in range(6):
                for t in range(low, high):
                    left = _pay(
                        items[t],
                        order[r],
                        left,
                        principal,
                        interest,
                        fee,
                        component,
                        charge_amount,
                        amounts,
                        charge_paid,
                    )
    if policy[_PREPAYMENT]:  # the lines not yet due, in order: fees → interest → principal of each
        while left > 0 and k < end:
            if not closed[k - first]:
                for code in (_FEES, _INTEREST, _PRINCIPAL):
                    left = _pay(
                        k,
                        code,
                        left,
                        principal,
                        interest,
                        fee,
                        component,
                        charge_amount,
                        amounts,
                        charge_paid,
                    )
            k += 1
    return left, k


@_jit(inline=True)
def _owed(
    items: np.ndarray,
    count: int,
    principal: np.ndarray,
    interest: np.ndarray,
    fee: np.ndarray,
    charge_amount: np.ndarray,
    amounts: np.ndarray,
    charge_paid: np.ndarray,
) -> int:  # pragma: no cover - compiled
    """Everything the first ``count`` of ``items`` owe."""
    total = 0
    for t in range(count):
        item = items[t]
        if item < 0:
            total += charge_amount[-item - 1] - charge_paid[-item - 1]
        else:
            total += principal[item] + interest[item] + fee[item] + amounts[_PA, item] + amounts[_CA, item]
            total -= amounts[_PP, item] + amounts[_IP, item] + amounts[_FP, item]
            total -= amounts[_PNP, item] + amounts[_CP, item]
    return total


@_jit(inline=True)
def _pay_all(
    items: np.ndarray,
    count: int,
    principal: np.ndarray,
    interest: np.ndarray,
    fee: np.ndarray,
    charge_amount: np.ndarray,
    amounts: np.ndarray,
    charge_paid: np.ndarray,
) -> None:  # pragma: no cover - compiled
    """Pay everything the first ``count`` of ``items`` owe."""
    for t in range(count):
        item = items[t]
        if item < 0:
            charge_paid[-item - 1] = charge_amount[-item - 1]
        else:
            amounts[_PP, item] = principal[item]
            amounts[_IP, item] = interest[item]
            amounts[_FP, item] = fee[item]
            amounts[_PNP, item] = amounts[_PA, item]
            amounts[_CP, item] = amounts[_CA, item]


@_jit(inline=True)
def _pay(
    item: int,
    code: int,
    left: int,
    principal: np.ndarray,
    interest: np.ndarray,
    fee: np.ndarray,
    component: np.ndarray,
    charge_amount: np.ndarray,
    amounts: np.ndarray,
    charge_paid: np.ndarray,
) -> int:  # pragma: no cover - compiled
    """Pay what ``item`` owes on component ``code`` out of ``left``; returns what is left."""
    if left <= 0:
        return left
    if item < 0:
        j = -item - 1
        if component[j] != code:
            return left
        piece: int = min(left, charge_amount[j] - charge_paid[j])
        charge_paid[j] += piece
        return left - piece
    if code == _COSTS:
        return left
    if code == _FEES:
        row, owed = _FP, fee[item]
    elif code == _PENALTY:
        row, owed = _PNP, amounts[_PA, item]
    elif code == _COMPOUND:
        row, owed = _CP, amounts[_CA, item]
    elif code == _INTEREST:
        row, owed = _IP, interest[item]
    else:
        row, owed = _PP, principal[item]
    part: int = min(left, owed - amounts[row, item])
    if part > 0:
        amounts[row, item] += part
        return left - part
    return left


@_jit(inline=True)
def _close_day(
    day: int,
    first: int,
    first_open: int,
    touched: int,
    end: int,
    last_on_time: np.ndarray,
    principal: np.ndarray,
    interest: np.ndarray,
    fee: np.ndarray,
    amounts: np.ndarray,
    settled: np.ndarray,
    pending: np.ndarray,
    closed: np.ndarray,
) -> int:  # pragma: no cover - compiled
    """End of an event day: the lines fully paid are settled (within grace their accrual is dropped, C2);
    ``closed``: settled with nothing accrued left to pay or round. Returns the first line still open."""
    for k in range(first_open, touched):
        at = k - first
        if closed[at]:
            continue
        if (
            settled[k] == _UNSETTLED
            and amounts[_PP, k] == principal[k]
            and amounts[_IP, k] == interest[k]
            and amounts[_FP, k] == fee[k]
        ):
            settled[k] = day
            if day <= last_on_time[k]:
                pending[0, at] = 0
                pending[1, at] = 0
        closed[at] = (
            settled[k] != _UNSETTLED
            and amounts[_PA, k] == amounts[_PNP, k]
            and amounts[_CA, k] == amounts[_CP, k]
            and pending[0, at] == 0
            and pending[1, at] == 0
        )
    while first_open < end and closed[first_open - first]:
        first_open += 1
    return first_open
