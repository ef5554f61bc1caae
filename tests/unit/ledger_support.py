"""Helpers for the ledger tests: loans written as small text tables (C4, C5 scenarios).

A schedule is ``seq due principal interest [fee]`` per line, payments ``id date amount``, charges
``id kind date amount``. Dates are ISO. Amounts are yuan strings.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal

from hypothesis import strategies as st

from qingshou.domain.calendar import BusinessCalendar
from qingshou.domain.ledger import Allocation, InstallmentState, Ledger, replay
from qingshou.domain.loan import Charge, ChargeKind, LoanTerms, Payment, RepaymentMethod, ScheduledInstallment
from qingshou.domain.policy import DEFAULT_WATERFALL, ProductPolicy

D = Decimal

#: Weekends only, except the 2024 National Day week (holidays 1–7 Oct, adjusted workdays 29 Sep, 12 Oct).
NATIONAL_DAY_2024 = [date(2024, 10, day) for day in range(1, 8)]
CALENDAR = BusinessCalendar.of(
    range(2020, 2031), holidays=NATIONAL_DAY_2024, workdays=[date(2024, 9, 29), date(2024, 10, 12)]
)

#: Two installments of 1000.00 + 15.00 on a 2000.00 loan at 18 % a year, disbursed 1 Jan 2024.
#: Penalty rate 18 % × 1.5 = 27 %; on 360 days that is 0.75 a day per 1000.00 of principal.
TWO = """
1 2024-02-01 1000.00 15.00
2 2024-03-01 1000.00 15.00
"""


def d(text: str) -> date:
    return date.fromisoformat(text)


def lines(table: str) -> list[list[str]]:
    return [line.split() for line in table.strip().splitlines() if line.strip()]


def schedule(table: str) -> list[ScheduledInstallment]:
    rows = []
    for seq, due, principal, interest, *fee in lines(table):
        rows.append(
            ScheduledInstallment(int(seq), d(due), D(principal), D(interest), D(fee[0] if fee else "0.00"))
        )
    return rows


def payments(table: str) -> list[Payment]:
    return [Payment(pid, d(day), D(amount)) for pid, day, amount in lines(table)]


def charges(table: str) -> list[Charge]:
    return [Charge(cid, ChargeKind(kind), d(day), D(amount)) for cid, kind, day, amount in lines(table)]


def terms_for(
    rows: Sequence[ScheduledInstallment],
    annual_rate: str = "0.18",
    disbursed_on: date = date(2024, 1, 1),
    accelerated_on: date | None = None,
) -> LoanTerms:
    return LoanTerms(
        loan_id="L1",
        product_id="P1",
        principal=sum((row.principal_due for row in rows), D("0.00")),
        annual_rate=D(annual_rate),
        disbursed_on=disbursed_on,
        term_months=len(rows),
        method=RepaymentMethod.EQUAL_PRINCIPAL,
        accelerated_on=accelerated_on,
    )


def policy(**params: object) -> ProductPolicy:
    return ProductPolicy.build("P1", **params)


def run(
    as_of: str,
    pays: str | Iterable[Payment] = "",
    table: str = TWO,
    posted: str = "",
    product: ProductPolicy | None = None,
    annual_rate: str = "0.18",
    disbursed_on: date = date(2024, 1, 1),
    accelerated_on: date | None = None,
) -> Ledger:
    """Replay a loan written as tables to the end of ``as_of``."""
    rows = schedule(table)
    terms = terms_for(rows, annual_rate, disbursed_on, accelerated_on)
    given = payments(pays) if isinstance(pays, str) else list(pays)
    return replay(terms, rows, given, charges(posted), product or policy(), CALENDAR, d(as_of))


def inst(ledger: Ledger, seq: int) -> InstallmentState:
    return ledger.installments[seq - 1]


def accrued(ledger: Ledger, seq: int = 1) -> tuple[str, str]:
    """(penalty accrued, compound accrued) of one installment as strings."""
    row = inst(ledger, seq)
    return (str(row.penalty_accrued), str(row.compound_accrued))


def split(ledger: Ledger, payment_id: str | None = None) -> list[tuple[str, str, str]]:
    """Allocations as (item, component, amount): item is the seq, or the charge id."""
    return [_row(a) for a in ledger.allocations if payment_id is None or a.payment_id == payment_id]


def _row(allocation: Allocation) -> tuple[str, str, str]:
    item = str(allocation.seq) if allocation.seq is not None else str(allocation.charge_id)
    return (item, allocation.component.value, str(allocation.amount))


@st.composite
def policies(draw: st.DrawFn, *, holiday_rules: bool = True) -> ProductPolicy:
    """Random product policies for the ledger properties; ``holiday_rules`` False keeps the holiday rule
    ``none`` and dpd from the original due date (what the day-by-day oracle models)."""
    order = draw(st.one_of(st.just(DEFAULT_WATERFALL), st.permutations(DEFAULT_WATERFALL)))
    shifted = {
        "holiday_rule": draw(st.sampled_from(["none", "next_business_day"])),
        "dpd_origin": draw(st.sampled_from(["original", "effective"])),
    }
    return ProductPolicy.build(
        "P1",
        day_count=draw(st.sampled_from([360, 365])),
        penalty_markup=draw(st.sampled_from(["0.3", "0.5", "1"])),
        compound=draw(st.booleans()),
        grace_days=draw(st.integers(min_value=0, max_value=5)),
        rounding=draw(st.sampled_from(["half_up", "down"])),
        waterfall=tuple(order),
        direction=draw(st.sampled_from(["horizontal", "vertical"])),
        **(shifted if holiday_rules else {}),
    )
