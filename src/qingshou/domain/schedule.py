"""Schedule: the contractual installments built from the loan terms, and the check of a given schedule.

``build_schedule`` is the reference that the engine and the loaders reproduce exactly, so its rules are
fixed here and nowhere else:

* Due dates. The first due date is ``terms.first_due_date``, else ``disbursed_on`` + 1 month (same day of
  month, clamped to the month end). Installment k (1-based) is due on first due + (k − 1) months, on the
  *day of month of the first due date*, clamped to the month end (31 Jan → 28/29 Feb → 31 Mar; but a
  loan disbursed on 31 Jan without a first due date is first due on 29 Feb, then 29 Mar …). There are
  ``term_months`` installments; a bullet loan has one, due on ``first_due_date`` if given, else on
  ``disbursed_on`` + ``term_months`` months (day of month of ``disbursed_on``, clamped).
* Interest. The monthly rate r = annual_rate / 12, exact (``money.EXACT_CONTEXT``). The interest of every
  installment — an irregular first period included — is ``to_fen(balance_before × r)``. Schedules always
  round half-up, whatever the product's rounding.
* 等额本息 (equal_installment): payment A = to_fen(P·r·(1+r)^n / ((1+r)^n − 1)), or to_fen(P / n) when
  r = 0; principal_k = A − interest_k for k < n; the last installment's principal is the remaining balance
  (it absorbs the rounding residue).
* 等额本金 (equal_principal): principal_k = to_fen(P / n) for k < n; the last is the remaining balance.
* 先息后本 (interest_only): principal 0 except the last, which is P; interest every month on P.
* 到期一次还本付息 (bullet): one installment, principal P, interest to_fen(P × annual_rate × term_months / 12).
* A non-final principal is never more than the remaining balance (only reachable with a principal of a
  few fen spread over many months); ``fee_due`` is 0 on every installment.

``validate_schedule`` checks a schedule given by a core system against the terms (contiguous seqs,
strictly increasing due dates after disbursement, non-negative fen amounts, principal summing to P) and
raises ``ScheduleError`` naming the seq and the field.
"""

from __future__ import annotations

import calendar as _calendar
from collections.abc import Sequence
from datetime import date
from decimal import Decimal, localcontext

from qingshou.domain.errors import ScheduleError
from qingshou.domain.loan import LoanTerms, RepaymentMethod, ScheduledInstallment
from qingshou.domain.money import EXACT_CONTEXT, FEN, ZERO, to_fen

_MONTHS_PER_YEAR = 12


def add_months(start: date, months: int, day_of_month: int | None = None) -> date:
    """``start`` moved by ``months`` months on ``day_of_month`` (default: start's day), clamped to month end."""
    index = start.year * _MONTHS_PER_YEAR + (start.month - 1) + months
    year, month0 = divmod(index, _MONTHS_PER_YEAR)
    month = month0 + 1
    last_day = _calendar.monthrange(year, month)[1]
    wanted = start.day if day_of_month is None else day_of_month
    return date(year, month, min(wanted, last_day))


def first_due_date(terms: LoanTerms) -> date:
    """The first installment's due date: the given one, else disbursement + 1 month (clamped)."""
    if terms.first_due_date is not None:
        return terms.first_due_date
    return add_months(terms.disbursed_on, 1)


def due_dates(terms: LoanTerms) -> tuple[date, ...]:
    """Every due date of the schedule, in order (see the module docstring for the rule)."""
    if terms.method is RepaymentMethod.BULLET:
        if terms.first_due_date is not None:
            return (terms.first_due_date,)
        return (add_months(terms.disbursed_on, terms.term_months),)
    first = first_due_date(terms)
    return tuple(add_months(first, k, first.day) for k in range(terms.term_months))


def monthly_rate(terms: LoanTerms) -> Decimal:
    """annual_rate / 12, exact."""
    with localcontext(EXACT_CONTEXT):
        return terms.annual_rate / _MONTHS_PER_YEAR


def equal_installment_payment(principal: Decimal, rate: Decimal, count: int) -> Decimal:
    """The 等额本息 payment A = to_fen(P·r·(1+r)^n / ((1+r)^n − 1)); to_fen(P / n) when r = 0."""
    with localcontext(EXACT_CONTEXT):
        if rate == 0:
            return to_fen(principal / count)
        growth = (1 + rate) ** count
        return to_fen(principal * rate * growth / (growth - 1))


def _interest(balance: Decimal, rate: Decimal) -> Decimal:
    with localcontext(EXACT_CONTEXT):
        return to_fen(balance * rate)


def _level_amount(terms: LoanTerms, rate: Decimal) -> Decimal:
    """The method's constant: payment A (等额本息), principal part P / n (等额本金), 0 (先息后本)."""
    if terms.method is RepaymentMethod.EQUAL_INSTALLMENT:
        return equal_installment_payment(terms.principal, rate, terms.term_months)
    if terms.method is RepaymentMethod.EQUAL_PRINCIPAL:
        with localcontext(EXACT_CONTEXT):
            return to_fen(terms.principal / terms.term_months)
    return ZERO


def _principal_part(method: RepaymentMethod, level: Decimal, interest: Decimal, balance: Decimal) -> Decimal:
    """The principal of a non-final installment, never more than the remaining balance."""
    part = level - interest if method is RepaymentMethod.EQUAL_INSTALLMENT else level
    return min(part, balance)


def _bullet(terms: LoanTerms) -> tuple[ScheduledInstallment, ...]:
    with localcontext(EXACT_CONTEXT):
        interest = to_fen(terms.principal * terms.annual_rate * terms.term_months / _MONTHS_PER_YEAR)
    (due,) = due_dates(terms)
    return (ScheduledInstallment(1, due, to_fen(terms.principal), interest, ZERO),)


def build_schedule(terms: LoanTerms) -> tuple[ScheduledInstallment, ...]:
    """The contractual schedule of ``terms`` (rules in the module docstring). Amounts at fen precision."""
    if terms.principal != to_fen(terms.principal):
        raise ScheduleError(
            f"loan {terms.loan_id}: principal {terms.principal} is not at fen precision", field="principal"
        )
    if terms.method is RepaymentMethod.BULLET:
        return _bullet(terms)
    rate = monthly_rate(terms)
    level = _level_amount(terms, rate)
    dates = due_dates(terms)
    balance = to_fen(terms.principal)
    rows: list[ScheduledInstallment] = []
    for seq, due in enumerate(dates, start=1):
        interest = _interest(balance, rate)
        last = seq == len(dates)
        principal = balance if last else _principal_part(terms.method, level, interest, balance)
        rows.append(ScheduledInstallment(seq, due, principal, interest, ZERO))
        balance -= principal
    return tuple(rows)


def _check_amount(row: ScheduledInstallment, name: str, amount: Decimal) -> None:
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(FEN):
        raise ScheduleError(
            f"installment {row.seq}: {name} {amount} must be a non-negative amount at fen precision",
            field=f"installments[{row.seq}].{name}",
        )


def _check_row(row: ScheduledInstallment, expected_seq: int, previous: date) -> None:
    if row.seq != expected_seq:
        raise ScheduleError(
            f"installment seqs must run 1..n without gaps: expected {expected_seq}, got {row.seq}",
            field=f"installments[{row.seq}].seq",
        )
    if row.due_date <= previous:
        what = "disbursed_on" if expected_seq == 1 else "the previous due date"
        raise ScheduleError(
            f"installment {row.seq}: due_date {row.due_date} must be after {what} {previous}",
            field=f"installments[{row.seq}].due_date",
        )
    _check_amount(row, "principal_due", row.principal_due)
    _check_amount(row, "interest_due", row.interest_due)
    _check_amount(row, "fee_due", row.fee_due)


def validate_schedule(
    terms: LoanTerms, rows: Sequence[ScheduledInstallment]
) -> tuple[ScheduledInstallment, ...]:
    """Check a given schedule against ``terms``; return it as a tuple or raise ``ScheduleError``."""
    if not rows:
        raise ScheduleError(f"loan {terms.loan_id}: the schedule has no installments", field="installments")
    previous = terms.disbursed_on
    for expected_seq, row in enumerate(rows, start=1):
        _check_row(row, expected_seq, previous)
        previous = row.due_date
    total = sum((row.principal_due for row in rows), ZERO)
    if total != terms.principal:
        last = rows[-1].seq
        raise ScheduleError(
            f"loan {terms.loan_id}: scheduled principal sums to {total}, terms say {terms.principal}",
            field=f"installments[{last}].principal_due",
        )
    return tuple(rows)
