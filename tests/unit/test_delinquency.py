"""Days past due, delinquency and buckets on a plain timeline (C2, C3)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qingshou.calendars import china_calendar
from qingshou.domain.calendar import BusinessCalendar
from qingshou.domain.delinquency import (
    Delinquency,
    DueItem,
    bucket,
    days_past_due,
    delinquency_on,
    is_delinquent,
)
from qingshou.domain.policy import ProductPolicy

CN = china_calendar()
NO_CALENDAR = BusinessCalendar.of(())  # rules that do not shift dates never consult it
DEFAULT = ProductPolicy.build("P")
SHIFTED = ProductPolicy.build("P", holiday_rule="next_business_day")
SHIFTED_EFFECTIVE = ProductPolicy.build("P", holiday_rule="next_business_day", dpd_origin="effective")
GRACE_3 = ProductPolicy.build("P", grace_days=3)


def one(due: date, settled_on: date | None = None) -> tuple[DueItem, ...]:
    return (DueItem(1, due, settled_on),)


def state(
    items: tuple[DueItem, ...], as_of: date, policy: ProductPolicy = DEFAULT, calendar: BusinessCalendar = CN
) -> tuple[int, bool, str]:
    result = delinquency_on(items, as_of, policy, calendar)
    return result.dpd, result.delinquent, result.bucket


def test_c3_due_day_is_day_0_and_the_day_after_is_dpd_1() -> None:
    """C3: unpaid at the end of the due date is dpd 0 and not delinquent; the next day is dpd 1, M1."""
    due = date(2024, 3, 15)
    table = [
        # as_of              dpd  delinquent  bucket
        (date(2024, 3, 14), 0, False, "M0"),
        (date(2024, 3, 15), 0, False, "M0"),
        (date(2024, 3, 16), 1, True, "M1"),
        (date(2024, 4, 14), 30, True, "M1"),
    ]
    for as_of, dpd, delinquent, name in table:
        assert state(one(due), as_of) == (dpd, delinquent, name), as_of


def test_c2_paying_on_the_due_date_is_on_time() -> None:
    """C2: an installment settled on its due date is never overdue."""
    items = one(date(2024, 3, 15), settled_on=date(2024, 3, 15))
    assert state(items, date(2024, 3, 15)) == (0, False, "M0")
    assert state(items, date(2024, 3, 16)) == (0, False, "M0")


def test_c3_paid_late_counts_until_the_settlement_day_only() -> None:
    """C3: settled on 20 Mar → dpd 4 at the end of 19 Mar, 0 at the end of 20 Mar (as of = end of day)."""
    items = one(date(2024, 3, 15), settled_on=date(2024, 3, 20))
    assert state(items, date(2024, 3, 19)) == (4, True, "M1")
    assert state(items, date(2024, 3, 20)) == (0, False, "M0")


def test_c3_dpd_counts_from_the_oldest_unpaid_installment() -> None:
    """C3: the second installment paid but the first not: dpd counts from the first's due date."""
    items = (
        DueItem(1, date(2024, 1, 15), None),
        DueItem(2, date(2024, 2, 15), date(2024, 2, 15)),
        DueItem(3, date(2024, 3, 15), None),
    )
    assert days_past_due(items, date(2024, 3, 20), DEFAULT, CN) == 65
    # once the first is settled, the oldest unpaid is the third
    settled_first = (DueItem(1, date(2024, 1, 15), date(2024, 3, 18)), *items[1:])
    assert days_past_due(settled_first, date(2024, 3, 20), DEFAULT, CN) == 5


def test_c2_grace_paid_within_is_never_delinquent() -> None:
    """C2: grace 3 days: paid on due + 3 → never delinquent (bucket M0) although dpd counted 1..2."""
    items = one(date(2024, 3, 15), settled_on=date(2024, 3, 18))
    table = [
        (date(2024, 3, 16), 1, False, "M0"),
        (date(2024, 3, 17), 2, False, "M0"),
        (date(2024, 3, 18), 0, False, "M0"),
    ]
    for as_of, dpd, delinquent, name in table:
        assert state(items, as_of, GRACE_3) == (dpd, delinquent, name), as_of


def test_c2_grace_missed_is_delinquent_from_the_original_due_date() -> None:
    """C2: grace 3 days missed → delinquent on due + 4 with dpd 4 counted from the original due date."""
    items = one(date(2024, 3, 15))
    assert state(items, date(2024, 3, 18), GRACE_3) == (3, False, "M0")
    assert state(items, date(2024, 3, 19), GRACE_3) == (4, True, "M1")


def test_c2_due_on_a_saturday_is_payable_on_monday() -> None:
    """C2: next_business_day: due Sat 15 Jun 2024 is on time until Mon 17 Jun; dpd still counts from Sat."""
    due = date(2024, 6, 15)
    assert state(one(due), date(2024, 6, 17), SHIFTED) == (2, False, "M0")
    assert state(one(due), date(2024, 6, 18), SHIFTED) == (3, True, "M1")
    assert state(one(due, settled_on=date(2024, 6, 17)), date(2024, 6, 18), SHIFTED) == (0, False, "M0")
    # without the holiday rule the same loan is delinquent on the Sunday
    assert state(one(due), date(2024, 6, 16), DEFAULT) == (1, True, "M1")


def test_c2_due_on_national_day_is_payable_after_the_golden_week() -> None:
    """C2: due 1 Oct 2024 (statutory holiday through 7 Oct): on time until Tue 8 Oct."""
    due = date(2024, 10, 1)
    assert state(one(due), date(2024, 10, 8), SHIFTED) == (7, False, "M0")
    assert state(one(due), date(2024, 10, 9), SHIFTED) == (8, True, "M1")


def test_c2_adjusted_sunday_workday_is_a_business_day() -> None:
    """C2: due Sat 28 Sep 2024; Sun 29 Sep is an adjusted workday (调休), so paying on Mon 30 Sep is late."""
    due = date(2024, 9, 28)
    assert state(one(due), date(2024, 9, 29), SHIFTED) == (1, False, "M0")
    assert state(one(due), date(2024, 9, 30), SHIFTED) == (2, True, "M1")
    # a due date on the adjusted Sunday itself is not shifted at all
    assert state(one(date(2024, 9, 29)), date(2024, 9, 30), SHIFTED) == (1, True, "M1")


def test_c2_dpd_origin_original_versus_effective() -> None:
    """C2: due 1 Oct 2024, unpaid on 10 Oct: dpd 9 from the original date, 2 from the effective 8 Oct."""
    items = one(date(2024, 10, 1))
    assert state(items, date(2024, 10, 10), SHIFTED) == (9, True, "M1")
    assert state(items, date(2024, 10, 10), SHIFTED_EFFECTIVE) == (2, True, "M1")
    # before the effective date the effective count is 0, never negative
    assert days_past_due(items, date(2024, 10, 5), SHIFTED_EFFECTIVE, CN) == 0


@pytest.mark.parametrize(
    ("dpd", "expected"),
    [(0, "M0"), (1, "M1"), (30, "M1"), (31, "M2"), (90, "M3"), (91, "M4"), (180, "M6"), (181, "M7+")],
)
def test_c3_bucket_edges(dpd: int, expected: str) -> None:
    """C3: default buckets M1 1–30, M2 31–60 … M6 151–180, M7+ over 180, computed from a real timeline."""
    due = date(2023, 1, 10)
    as_of = due + timedelta(days=dpd)
    assert state(one(due), as_of) == (dpd, dpd > 0, expected)


def test_c3_bucket_is_m0_when_not_delinquent() -> None:
    """C3: a dpd inside grace is M0; the product's buckets are used otherwise."""
    assert bucket(2, False, GRACE_3) == "M0"
    assert bucket(31, True, DEFAULT) == "M2"


def test_c3_nothing_due_yet_is_current() -> None:
    """C3: a loan with nothing due yet (or no installments) is dpd 0, M0."""
    assert delinquency_on(one(date(2024, 3, 15)), date(2024, 3, 1), DEFAULT, CN) == Delinquency(
        0, False, "M0"
    )
    assert delinquency_on((), date(2024, 3, 1), DEFAULT, CN) == Delinquency(0, False, "M0")


def test_c2_future_items_never_consult_the_calendar() -> None:
    """C2: installments due after as_of do not need a calendar year (no CalendarError for 2040)."""
    items = (DueItem(1, date(2024, 3, 15), None), DueItem(2, date(2040, 3, 15), None))
    assert state(items, date(2024, 3, 20), SHIFTED) == (5, True, "M1")


# --- properties ----------------------------------------------------------------------------------------

timelines = st.lists(
    st.tuples(st.integers(min_value=0, max_value=400), st.none() | st.integers(min_value=-20, max_value=500)),
    max_size=8,
)


def build(start: date, rows: list[tuple[int, int | None]]) -> tuple[DueItem, ...]:
    items = []
    for seq, (offset, paid_after) in enumerate(sorted(rows, key=lambda row: row[0]), start=1):
        due = start + timedelta(days=offset)
        items.append(DueItem(seq, due, None if paid_after is None else due + timedelta(days=paid_after)))
    return tuple(items)


@settings(max_examples=300, deadline=None)
@given(
    rows=timelines,
    start=st.dates(min_value=date(2010, 1, 1), max_value=date(2024, 6, 30)),
    as_of_offset=st.integers(min_value=-10, max_value=600),
)
def test_c3_dpd_is_zero_exactly_when_nothing_past_due_is_unpaid(
    rows: list[tuple[int, int | None]], start: date, as_of_offset: int
) -> None:
    """C3 property: dpd ≥ 0; dpd = 0 ⇔ no installment due before as_of is unpaid; delinquent ⇔ dpd > 0
    with no grace and no holiday shift; the effective count never exceeds the original one."""
    items = build(start, rows)
    as_of = start + timedelta(days=as_of_offset)
    dpd = days_past_due(items, as_of, DEFAULT, NO_CALENDAR)
    unpaid_past_due = any(item.due_date < as_of and item.unpaid_at(as_of) for item in items)
    assert dpd >= 0
    assert (dpd == 0) == (not unpaid_past_due)
    assert is_delinquent(items, as_of, DEFAULT, NO_CALENDAR) == (dpd > 0)
    effective = days_past_due(items, as_of, SHIFTED_EFFECTIVE, CN)
    assert 0 <= effective <= days_past_due(items, as_of, SHIFTED, CN) == dpd


@settings(max_examples=200, deadline=None)
@given(
    rows=timelines,
    start=st.dates(min_value=date(2010, 1, 1), max_value=date(2024, 6, 30)),
    as_of_offset=st.integers(min_value=0, max_value=600),
    grace=st.integers(min_value=0, max_value=15),
)
def test_c2_delinquent_implies_dpd_beyond_grace(
    rows: list[tuple[int, int | None]], start: date, as_of_offset: int, grace: int
) -> None:
    """C2 property: a delinquent loan has dpd > grace days (counted from the original due date)."""
    policy = ProductPolicy.build("P", grace_days=grace, holiday_rule="next_business_day")
    items = build(start, rows)
    as_of = start + timedelta(days=as_of_offset)
    if is_delinquent(items, as_of, policy, CN):
        assert days_past_due(items, as_of, policy, CN) > grace
