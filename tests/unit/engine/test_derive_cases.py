"""Hand cases of ``derive_snapshot`` (C2 grace, holidays and dpd origin; C3 dpd and buckets; C6 floors, the
NPL hold, its release and restart, stage; C7 limitation; payoff), each checked against a figure worked out
by hand AND against the domain's quote for every field (fed the domain's own ledgers)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import polars as pl
import pytest
from derive_support import (
    CAL,
    assert_parity,
    derived,
    ledgers_of,
    loan,
    paid_installments,
    row,
    with_payments,
)

from qingshou.domain.calendar import BusinessCalendar
from qingshou.domain.loan import Charge, ChargeKind, LoanTerms, Payment, RepaymentMethod, ScheduledInstallment
from qingshou.domain.policy import ProductPolicy
from qingshou.engine import schema
from qingshou.engine.book import Book
from qingshou.engine.calendar import CalendarFrame
from qingshou.engine.derive import derive_snapshot
from qingshou.engine.reference import LoanInputs, book_from_inputs, reference_snapshot

RETAIL = ProductPolicy.build("RETAIL")
CARD = ProductPolicy.build("CARD", kind="card")
GRACE = ProductPolicy.build("GRACE", grace_days=3)
#: Vertical waterfall: a payment finishes the oldest installment (penalty included) before the next (C5).
VERTICAL = ProductPolicy.build("VERTICAL", direction="vertical")
#: Every day a business day but weekends, 2018–2035: limitation expiries can be confirmed and moved.
WEEKDAYS = BusinessCalendar.of(range(2018, 2036))
D = Decimal


def check(items: list[LoanInputs], as_of: date, calendar: BusinessCalendar = CAL) -> pl.DataFrame:
    """Derive the book of ``items`` at ``as_of``, assert parity with the domain, return the snapshot."""
    book = book_from_inputs(items)
    snapshot = derived(book, as_of, calendar=calendar)
    assert_parity(snapshot, book, as_of, calendar)
    return snapshot


def field(items: list[LoanInputs], as_of: date, name: str, calendar: BusinessCalendar = CAL) -> object:
    """One field of the first loan at ``as_of`` (parity with the domain checked on the way)."""
    return row(check(items, as_of, calendar), items[0].terms.loan_id)[name]


# --- C2 / C3 -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("as_of", "dpd", "delinquent", "bucket", "loan_class", "stage"),
    [
        (date(2024, 2, 15), 0, False, "M0", "normal", 1),
        (date(2024, 2, 18), 3, False, "M0", "normal", 1),  # last on-time day: due 15 Feb + 3 days' grace
        (date(2024, 2, 19), 4, True, "M1", "special_mention", 2),  # counted from the original due date
    ],
)
def test_c2_grace_keeps_the_loan_current_and_dpd_counts_from_the_due_date(
    as_of: date, dpd: int, delinquent: bool, bucket: str, loan_class: str, stage: int
) -> None:
    """C2: due 15 Feb 2024 with 3 days' grace, unpaid: on time until 18 Feb, delinquent from 19 Feb with
    dpd 4 (C3: the due date is day 0)."""
    snap = row(check([loan("L1", GRACE)], as_of), "L1")
    assert (snap["dpd"], snap["delinquent"], snap["bucket"]) == (dpd, delinquent, bucket)
    assert (snap["classification"], snap["stage"]) == (loan_class, stage)


@pytest.mark.parametrize(
    ("dpd_origin", "as_of", "dpd", "delinquent"),
    [
        ("original", date(2024, 10, 8), 7, False),  # National Day: payable on time until Tue 8 Oct
        ("original", date(2024, 10, 9), 8, True),
        ("effective", date(2024, 10, 8), 0, False),
        ("effective", date(2024, 10, 9), 1, True),
    ],
)
def test_c2_holiday_shift_and_dpd_origin(dpd_origin: str, as_of: date, dpd: int, delinquent: bool) -> None:
    """C2: due Tue 1 Oct 2024 (National Day holiday, 1–7 Oct) under next_business_day: on time until 8 Oct;
    dpd from 1 Oct (original) or from 8 Oct (effective)."""
    policy = ProductPolicy.build("H", holiday_rule="next_business_day", dpd_origin=dpd_origin)
    item = loan("L1", policy, disbursed_on=date(2024, 9, 1), first_due_date=date(2024, 10, 1))
    snap = row(check([item], as_of), "L1")
    assert (snap["dpd"], snap["delinquent"]) == (dpd, delinquent)


def test_c2_paid_on_the_shifted_due_date_is_on_time() -> None:
    """C2: the 1 Oct 2024 installment paid on 8 Oct (next business day) is on time: M0, normal, no penalty."""
    policy = ProductPolicy.build("H", holiday_rule="next_business_day")
    item = loan("L1", policy, disbursed_on=date(2024, 9, 1), first_due_date=date(2024, 10, 1))
    item = with_payments(item, paid_installments(item, {1: date(2024, 10, 8)}))
    snap = row(check([item], date(2024, 10, 20)), "L1")
    assert (snap["dpd"], snap["bucket"], snap["penalty_interest_fen"]) == (0, "M0", 0)


@pytest.mark.parametrize(
    ("days", "bucket"), [(1, "M1"), (30, "M1"), (31, "M2"), (90, "M3"), (91, "M4"), (180, "M6"), (181, "M7+")]
)
def test_c3_buckets_at_their_edges(days: int, bucket: str) -> None:
    """C3: M1 1–30, M2 31–60, M3 61–90, M4 91–120, M5 121–150, M6 151–180, M7+ over 180."""
    snap = row(check([loan("L1", RETAIL)], date(2024, 2, 15) + timedelta(days=days)), "L1")
    assert (snap["dpd"], snap["bucket"]) == (days, bucket)


def test_c3_dpd_follows_the_oldest_unpaid_installment() -> None:
    """C3: the first installment paid late on 1 Apr (vertical waterfall), the second (15 Mar) still unpaid on
    20 Apr → dpd 36."""
    item = loan("L1", VERTICAL)
    item = with_payments(item, paid_installments(item, {1: date(2024, 4, 1)}, extra="50"))
    assert field([item], date(2024, 4, 20), "dpd") == 36


# --- C6 ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "retail", "card"),
    [
        (90, "special_mention", "special_mention"),
        (91, "substandard", "substandard"),
        (120, "substandard", "substandard"),
        (121, "substandard", "doubtful"),
        (180, "substandard", "doubtful"),
        (181, "substandard", "loss"),
        (270, "substandard", "loss"),
        (271, "doubtful", "loss"),
        (360, "doubtful", "loss"),
        (361, "loss", "loss"),
    ],
)
def test_c6_dpd_floors_retail_and_card(days: int, retail: str, card: str) -> None:
    """C6: retail 关注 1–90, 次级 91–270, 可疑 271–360, 损失 > 360; card 次级 91–120, 可疑 121–180, 损失 > 180;
    stage 3 over 90 days."""
    snap = check([loan("R", RETAIL), loan("C", CARD)], date(2024, 2, 15) + timedelta(days=days))
    assert (row(snap, "R")["classification"], row(snap, "C")["classification"]) == (retail, card)
    assert row(snap, "R")["stage"] == (3 if days > 90 else 2)


def cured_loan(after: dict[int, date], policy: ProductPolicy = RETAIL) -> LoanInputs:
    """Due the 15th from Feb 2024, nothing paid until 20 May (dpd 95: 次级), when installments 1–4 are
    paid with their penalty (cured); the later installments paid on the given days."""
    item = loan("L1", policy)
    catch_up = {seq: date(2024, 5, 20) for seq in (1, 2, 3, 4)}
    return with_payments(item, paid_installments(item, catch_up | after, extra="120"))


def class_on(item: LoanInputs, as_of: date) -> str:
    return str(field([item], as_of, "classification"))


def test_c6_npl_hold_released_by_two_installments_paid_on_time_after_the_cure() -> None:
    """C6: cured 20 May (dpd 0 but still 次级, stage 3); 15 Jun and 15 Jul paid on their due dates → 正常
    from 15 Jul, not before."""
    item = cured_loan({5: date(2024, 6, 15), 6: date(2024, 7, 15)})
    cured = row(check([item], date(2024, 5, 20)), "L1")
    assert (cured["dpd"], cured["classification"], cured["stage"]) == (0, "substandard", 3)
    assert (cured["npl_held_class"], cured["npl_cured_on"]) == ("substandard", date(2024, 5, 20))
    assert class_on(item, date(2024, 7, 14)) == "substandard"
    released = row(check([item], date(2024, 7, 15)), "L1")
    assert (released["classification"], released["npl_held_class"], released["stage"]) == ("normal", None, 1)


def test_c6_npl_hold_restarts_on_a_missed_installment() -> None:
    """C6: 15 Jun paid on 18 Jun (missed, no grace): the wait restarts on 18 Jun and needs 15 Jul and
    15 Aug on time → still 次级 on 15 Jul, 正常 on 15 Aug."""
    item = cured_loan({5: date(2024, 6, 18), 6: date(2024, 7, 15), 7: date(2024, 8, 15)})
    assert row(check([item], date(2024, 6, 17)), "L1")["npl_cured_on"] is None
    assert row(check([item], date(2024, 6, 18)), "L1")["npl_cured_on"] == date(2024, 6, 18)
    assert class_on(item, date(2024, 7, 15)) == "substandard"
    assert class_on(item, date(2024, 8, 14)) == "substandard"
    assert class_on(item, date(2024, 8, 15)) == "normal"


def test_c6_npl_hold_released_six_months_after_the_cure_with_nothing_falling_due() -> None:
    """C6: a 3-month loan cured on Thu 31 Aug 2023 with no installment left: 次级 until 28 Feb 2024, 正常
    from 29 Feb 2024 (6 months, month-end clamp of add_months)."""
    item = loan("L1", RETAIL, disbursed_on=date(2023, 1, 15), months=3)
    item = with_payments(
        item, paid_installments(item, dict.fromkeys((1, 2, 3), date(2023, 8, 31)), extra="800")
    )
    assert class_on(item, date(2023, 8, 31)) == "substandard"
    assert class_on(item, date(2024, 2, 28)) == "substandard"
    assert class_on(item, date(2024, 2, 29)) == "normal"


def test_c6_npl_hold_keeps_the_worst_class_reached() -> None:
    """C6: 可疑 at dpd 271 (12 Nov 2024); the three oldest installments paid on 20 Nov (vertical waterfall)
    bring dpd down to 194 (floor 次级) but the class stays 可疑 while arrears remain."""
    item = loan("L1", VERTICAL)
    item = with_payments(
        item, paid_installments(item, dict.fromkeys((1, 2, 3), date(2024, 11, 20)), extra="400")
    )
    snap = row(check([item], date(2024, 11, 25)), "L1")
    assert (snap["dpd"], snap["classification"], snap["npl_held_class"]) == (194, "doubtful", "doubtful")


def test_c6_relapse_after_release_starts_a_new_hold() -> None:
    """C6: released on 15 Jul (two on-time installments), then nothing paid from 15 Aug: 关注 at dpd 30,
    次级 again at dpd 91 (14 Nov)."""
    item = cured_loan({5: date(2024, 6, 15), 6: date(2024, 7, 15)})
    assert class_on(item, date(2024, 9, 14)) == "special_mention"
    assert class_on(item, date(2024, 11, 13)) == "special_mention"
    assert class_on(item, date(2024, 11, 14)) == "substandard"


def test_c6_two_installments_prepaid_with_the_cure_release_the_next_day() -> None:
    """C6: with prepayment, the catch-up of 20 May also settles 15 Jun and 15 Jul in advance: the wait that
    starts on 20 May ends the next day (21 May), never on the cure day itself."""
    prepay = ProductPolicy.build("PREPAY", prepayment=True)
    item = cured_loan({5: date(2024, 5, 20), 6: date(2024, 5, 20)}, prepay)
    assert class_on(item, date(2024, 5, 20)) == "substandard"
    assert class_on(item, date(2024, 5, 21)) == "normal"


def test_c6_paid_one_day_late_restarts_the_wait_that_same_day() -> None:
    """C6: 15 Jun paid on 16 Jun: 16 Jun is a miss (disturbed) and cleared, so the wait restarts on 16 Jun
    and is released by 15 Jul and 15 Aug on time."""
    item = cured_loan({5: date(2024, 6, 16), 6: date(2024, 7, 15), 7: date(2024, 8, 15)})
    assert row(check([item], date(2024, 6, 16)), "L1")["npl_cured_on"] == date(2024, 6, 16)
    assert class_on(item, date(2024, 8, 14)) == "substandard"
    assert class_on(item, date(2024, 8, 15)) == "normal"


def test_c6_a_relapse_holds_its_own_worst_class_not_the_earlier_one() -> None:
    """C6: 可疑 in 2024 (dpd 271 on 12 Nov), cured on 20 Nov, released on 15 Jan 2025 by two on-time installments,
    then unpaid from 15 Feb 2025: 次级 again at dpd 91 (17 May 2025) — the earlier 可疑 is not held."""
    item = loan("L1", RETAIL, months=24)
    catch_up = dict.fromkeys(range(1, 11), date(2024, 11, 20))
    on_time = {11: date(2024, 12, 15), 12: date(2025, 1, 15)}
    pays = paid_installments(item, catch_up, extra="100") + paid_installments(item, on_time, prefix="q")
    item = with_payments(item, pays)
    assert class_on(item, date(2024, 11, 20)) == "doubtful"
    assert class_on(item, date(2025, 1, 15)) == "normal"
    assert class_on(item, date(2025, 5, 16)) == "special_mention"
    snap = row(check([item], date(2025, 5, 20)), "L1")
    assert (snap["dpd"], snap["classification"], snap["npl_held_class"]) == (94, "substandard", "substandard")


def test_c6_installments_accelerated_to_one_day_count_in_due_order() -> None:
    """C6/C5: cured on 20 Jun, called on 1 Jul (installments 6–12 all due 1 Jul) and paid off that day:
    the 2 installments after the cure (6 and 7, both due 1 Jul) are settled → released on 1 Jul."""
    item = loan("L1", RETAIL, accelerated_on=date(2024, 7, 1))
    pays = (
        *paid_installments(item, dict.fromkeys(range(1, 6), date(2024, 6, 20)), extra="150"),
        Payment("z-payoff", date(2024, 7, 1), D("12000")),
    )
    item = with_payments(item, pays)
    assert class_on(item, date(2024, 6, 30)) == "substandard"
    assert class_on(item, date(2024, 7, 1)) == "normal"


def walk(item: LoanInputs, first: date, last: date) -> dict[date, pl.DataFrame]:
    """Derive day by day with the day before's snapshot as ``previous`` (the carried state)."""
    book = book_from_inputs([item])
    previous, snapshots = None, {}
    day = first
    while day <= last:
        previous = derived(book, day, previous)
        assert_parity(previous, book, day)
        fresh = derived(book, day)
        columns = ["classification", "npl_held_class", "npl_cured_on"]
        assert previous.select(columns).equals(fresh.select(columns)), day
        snapshots[day] = previous
        day += timedelta(days=1)
    return snapshots


def test_c6_carried_state_walks_through_cure_miss_and_release() -> None:
    """C6 carry: stepping the state one day at a time from 18 May to 16 Aug gives the domain's class every
    day (enter the wait on the cure, drop it on the miss, restart, release on 15 Aug)."""
    item = cured_loan({5: date(2024, 6, 18), 6: date(2024, 7, 15), 7: date(2024, 8, 15)})
    days = walk(item, date(2024, 5, 18), date(2024, 8, 16))
    held = {day: row(snap, "L1")["npl_held_class"] for day, snap in days.items()}
    assert held[date(2024, 8, 14)] == "substandard"
    assert held[date(2024, 8, 15)] is None


def test_c6_carried_state_drops_the_wait_on_a_miss_paid_the_same_day() -> None:
    """C6 carry: 15 Jun paid on 16 Jun — not delinquent at the end of 16 Jun but a miss: the carried wait
    of 20 May is dropped and restarts on 16 Jun, as the derived state says."""
    item = cured_loan({5: date(2024, 6, 16), 6: date(2024, 7, 15), 7: date(2024, 8, 15)})
    days = walk(item, date(2024, 6, 14), date(2024, 6, 17))
    assert row(days[date(2024, 6, 15)], "L1")["npl_cured_on"] == date(2024, 5, 20)
    assert row(days[date(2024, 6, 16)], "L1")["npl_cured_on"] == date(2024, 6, 16)


def test_c6_carried_state_walks_through_a_six_month_release() -> None:
    """C6 carry: the 31 Aug 2023 cure walked from 26 Feb to 1 Mar 2024: released on 29 Feb."""
    item = loan("L1", RETAIL, disbursed_on=date(2023, 1, 15), months=3)
    item = with_payments(
        item, paid_installments(item, dict.fromkeys((1, 2, 3), date(2023, 8, 31)), extra="800")
    )
    days = walk(item, date(2024, 2, 26), date(2024, 3, 1))
    assert row(days[date(2024, 2, 28)], "L1")["classification"] == "substandard"
    assert row(days[date(2024, 2, 29)], "L1")["classification"] == "normal"


def test_c6_carried_state_across_the_acceleration_day() -> None:
    """C6 carry: a held loan called on 1 Jul (its due dates rewritten from the start) is derived that day,
    not stepped, and every day from 28 Jun to 3 Jul equals the domain."""
    item = loan("L1", RETAIL, accelerated_on=date(2024, 7, 1))
    pays = (
        *paid_installments(item, dict.fromkeys(range(1, 6), date(2024, 6, 20)), extra="150"),
        Payment("z-payoff", date(2024, 7, 1), D("12000")),
    )
    days = walk(with_payments(item, pays), date(2024, 6, 28), date(2024, 7, 3))
    assert row(days[date(2024, 6, 30)], "L1")["npl_held_class"] == "substandard"
    assert row(days[date(2024, 7, 1)], "L1")["npl_held_class"] is None


def _snapshot_before(book: Book, as_of: date, **state: object) -> pl.DataFrame:
    """The derived snapshot of as_of − 1 with its carried state overwritten."""
    before = derived(book, as_of - timedelta(days=1))
    return before.with_columns(*(pl.lit(value).alias(name) for name, value in state.items()))


def test_c6_a_consistent_previous_state_is_carried_not_derived() -> None:
    """C6: the previous day's state is what the engine carries: a clean loan handed a held 损失 for
    yesterday stays 损失 (its wait starts today, cleared) — the history is not re-derived."""
    book = book_from_inputs([loan("L1", RETAIL)])
    as_of = date(2024, 2, 10)
    previous = _snapshot_before(book, as_of, npl_held_class="loss")
    snap = row(derived(book, as_of, previous), "L1")
    assert (snap["classification"], snap["npl_held_class"], snap["npl_cured_on"]) == ("loss", "loss", as_of)


@pytest.mark.parametrize(
    "state",
    [
        {"npl_held_class": "loss", "npl_state_on": date(2024, 2, 8)},  # not the day before
        {"npl_held_class": "loss", "dpd": 5},  # yesterday's dpd disagrees with the timeline
        {"npl_held_class": "loss", "npl_state_on": None},  # the reference engine's snapshot
    ],
)
def test_c6_a_previous_state_that_cannot_be_carried_is_derived(state: dict[str, object]) -> None:
    """C6: a state of another day, one whose history disagrees with today's timeline (a backdated fact) or
    a null state is not carried: the class is derived from the timeline (正常 here)."""
    book = book_from_inputs([loan("L1", RETAIL)])
    as_of = date(2024, 2, 10)
    previous = _snapshot_before(book, as_of, **state).cast({"npl_state_on": pl.Date, "dpd": pl.Int32})
    assert row(derived(book, as_of, previous), "L1")["classification"] == "normal"


def test_c6_reference_snapshot_as_previous_is_derived_and_equals_the_domain() -> None:
    """C6: the reference engine leaves the state null; the next day derives it and matches the domain."""
    item = cured_loan({5: date(2024, 6, 15), 6: date(2024, 7, 15)})
    book = book_from_inputs([item])
    previous = reference_snapshot(book, date(2024, 7, 14), CAL).rows
    snap = derived(book, date(2024, 7, 15), previous)
    assert_parity(snap, book, date(2024, 7, 15))
    assert row(snap, "L1")["classification"] == "normal"


# --- C7 ----------------------------------------------------------------------------------------------------


def test_c7_limitation_from_the_last_due_date_moved_to_a_business_day() -> None:
    """C7: last due Tue 1 Feb 2028 → counted from 2 Feb 2028 → expires Sat 1 Feb 2031 → moved to Mon
    3 Feb 2031 (weekday calendar, art. 203)."""
    item = loan("L1", RETAIL, disbursed_on=date(2027, 2, 1))
    snap = row(check([item], date(2027, 3, 1), WEEKDAYS), "L1")
    assert snap["limitation_start"] == date(2028, 2, 2)
    assert (snap["limitation_unadjusted_on"], snap["limitation_expires_on"]) == (
        date(2031, 2, 1),
        date(2031, 2, 3),
    )
    assert snap["limitation_calendar_confirmed"]


def test_c7_chain_of_payments_restarts_the_period_and_a_gap_breaks_it() -> None:
    """C7: last due 15 Jan 2025; payments 1 Mar 2025 and 1 Feb 2028 (within 3 years) restart it → 1 Feb 2031
    (Sat) moved to Mon 3 Feb 2031; a payment on 10 Feb 2034 comes after that expiry and does not revive it."""
    item = loan("L1", RETAIL)
    pays = (
        Payment("p1", date(2025, 3, 1), D("10")),
        Payment("p2", date(2028, 2, 1), D("10")),
        Payment("p3", date(2034, 2, 10), D("10")),
    )
    snap = row(check([with_payments(item, pays)], date(2034, 6, 1), WEEKDAYS), "L1")
    assert (snap["limitation_unadjusted_on"], snap["limitation_expires_on"]) == (
        date(2031, 2, 1),
        date(2031, 2, 3),
    )


@pytest.mark.parametrize(
    ("paid_on", "unadjusted", "expires"),
    [
        (date(2028, 1, 17), date(2031, 1, 17), date(2031, 1, 17)),  # on the moved expiry day: restarts
        (date(2028, 1, 18), date(2028, 1, 15), date(2028, 1, 17)),  # the day after: expired, not revived
    ],
)
def test_c7_a_payment_on_the_moved_expiry_day_still_interrupts(
    paid_on: date, unadjusted: date, expires: date
) -> None:
    """C7: last due 15 Jan 2025 → expiry Sat 15 Jan 2028 moved to Mon 17 Jan 2028; a payment that day is in
    time (→ Fri 17 Jan 2031), one on 18 Jan is not."""
    item = loan("L1", RETAIL, disbursed_on=date(2024, 1, 15))
    item = with_payments(item, (Payment("p1", paid_on, D("10")),))
    snap = row(check([item], date(2028, 2, 1), WEEKDAYS), "L1")
    assert (snap["limitation_unadjusted_on"], snap["limitation_expires_on"]) == (unadjusted, expires)


def test_c7_acceleration_starts_the_period_early_and_earlier_payments_do_not_count() -> None:
    """C7: called on 1 Jun 2024 (before the last due date): start 2 Jun 2024, expiry 1 Jun 2027 (Tue); the
    payment of 15 Mar 2024 precedes the start."""
    item = loan("L1", RETAIL, accelerated_on=date(2024, 6, 1))
    item = with_payments(item, (Payment("p1", date(2024, 3, 15), D("100")),))
    snap = row(check([item], date(2024, 7, 1), WEEKDAYS), "L1")
    assert (snap["limitation_start"], snap["limitation_expires_on"]) == (date(2024, 6, 2), date(2027, 6, 1))
    before_call = row(check([item], date(2024, 5, 31), WEEKDAYS), "L1")
    assert before_call["limitation_start"] == date(2025, 1, 16)  # not yet called: the last due date


def test_c7_29_february_becomes_28_february() -> None:
    """C7: a bullet due Thu 29 Feb 2024 → expiry 28 Feb 2027 (Sun, add_years clamp) → Mon 1 Mar 2027."""
    item = loan(
        "L1",
        RETAIL,
        disbursed_on=date(2024, 1, 29),
        months=1,
        method=RepaymentMethod.BULLET,
        first_due_date=date(2024, 2, 29),
    )
    snap = row(check([item], date(2024, 3, 1), WEEKDAYS), "L1")
    assert (snap["limitation_unadjusted_on"], snap["limitation_expires_on"]) == (
        date(2027, 2, 28),
        date(2027, 3, 1),
    )


def test_c7_an_expiry_the_calendar_cannot_place_is_unadjusted_and_unconfirmed() -> None:
    """C7: China's calendar data ends in 2026: an expiry in 2028 stays unadjusted, calendar_confirmed false;
    with a calendar covering 2027 whose next business day after Fri 31 Dec 2027 (a holiday here) falls in an
    uncovered 2028, the same."""
    item = loan("L1", RETAIL)
    snap = row(check([item], date(2025, 3, 1)), "L1")
    assert (snap["limitation_expires_on"], snap["limitation_calendar_confirmed"]) == (
        date(2028, 1, 15),
        False,
    )
    short = BusinessCalendar.of(range(2024, 2028), holidays=[date(2027, 12, 31)])
    ends_2024 = loan("L2", RETAIL, disbursed_on=date(2023, 12, 31), months=12)
    snap = row(check([ends_2024], date(2025, 1, 10), short), "L2")
    assert snap["limitation_unadjusted_on"] == date(2027, 12, 31)
    assert (snap["limitation_expires_on"], snap["limitation_calendar_confirmed"]) == (
        date(2027, 12, 31),
        False,
    )


# --- amounts and payoff ------------------------------------------------------------------------------------


def one_period(interest: str) -> LoanInputs:
    """1000.00 disbursed 1 Apr 2024, one installment due 1 May 2024 (30 days) with the given interest."""
    terms = LoanTerms(
        "L1", RETAIL.product_id, D("1000.00"), D("0.12"), date(2024, 4, 1), 1, RepaymentMethod.BULLET
    )
    return LoanInputs(
        terms, (ScheduledInstallment(1, date(2024, 5, 1), D("1000.00"), D(interest)),), (), (), RETAIL
    )


def test_payoff_accrues_the_current_period_pro_rata_half_up() -> None:
    """Payoff = undue principal + interest × elapsed / length, half-up: 10.01 × 15 / 30 = 5.005 → 5.01
    (half-up; 5.00 if truncated); at the due date the whole installment is overdue instead."""
    snap = row(check([one_period("10.01")], date(2024, 4, 16)), "L1")
    assert (snap["payoff_amount_fen"], snap["total_overdue_fen"], snap["outstanding_principal_fen"]) == (
        100_501,
        0,
        100_000,
    )
    due = row(check([one_period("10.01")], date(2024, 5, 1)), "L1")
    assert (due["payoff_amount_fen"], due["overdue_interest_fen"], due["total_overdue_fen"]) == (
        101_001,
        1001,
        101_001,
    )


def test_payoff_less_unapplied_credit_is_never_negative() -> None:
    """Payoff is reduced by unapplied credit (溢缴款) and never below zero; credit is reported."""
    item = with_payments(one_period("10.00"), (Payment("p1", date(2024, 4, 10), D("2000.00")),))
    snap = row(check([item], date(2024, 4, 16)), "L1")
    assert (snap["unapplied_credit_fen"], snap["payoff_amount_fen"]) == (200_000, 0)


def test_c4_c5_overdue_components_penalty_fees_and_costs() -> None:
    """C4/C5: an installment 20 days late with a cost and a fee charge posted: every component is reported
    (penalty and compound accrued from the due date), total overdue is their sum."""
    item = loan("L1", RETAIL)
    item = LoanInputs(
        item.terms,
        item.schedule,
        (),
        (
            Charge("c1", ChargeKind.COST, date(2024, 3, 1), D("88.80")),
            Charge("c2", ChargeKind.FEE, date(2024, 3, 2), D("15.00")),
        ),
        RETAIL,
    )
    snap = row(check([item], date(2024, 3, 6)), "L1")
    assert (snap["costs_fen"], snap["fees_fen"]) == (8880, 1500)
    assert min(snap["penalty_interest_fen"], snap["compound_interest_fen"]) > 0
    parts = ("overdue_principal_fen", "overdue_interest_fen", "penalty_interest_fen", "compound_interest_fen")
    assert snap["total_overdue_fen"] == sum(snap[name] for name in parts) + 8880 + 1500


def test_acceleration_makes_everything_overdue() -> None:
    """C5 acceleration on 1 Jun 2024: every installment due on 1 Jun, nothing left to accrue pro rata."""
    item = loan("L1", RETAIL, accelerated_on=date(2024, 6, 1))
    snap = row(check([item], date(2024, 6, 5)), "L1")
    assert snap["overdue_principal_fen"] == snap["outstanding_principal_fen"] == 1_200_000
    assert snap["payoff_amount_fen"] == snap["total_overdue_fen"]


# --- errors ------------------------------------------------------------------------------------------------


def test_a_ledger_loan_of_an_unknown_product_is_refused_naming_the_loan() -> None:
    """Bad input: a ledger loan whose product is not in the book is an error naming the loan and field."""
    book = book_from_inputs([loan("L1", RETAIL)])
    ledger = ledgers_of(book, date(2024, 3, 1))
    stranger = Book(
        book.products, book.loans.with_columns(pl.lit("NOPE").alias("product_id")), *book_rest(book)
    )
    with pytest.raises(ValueError, match="loan L1: product_id 'NOPE'"):
        derive_snapshot(stranger, ledger, date(2024, 3, 1), CalendarFrame.of(CAL), None)


def test_ledger_frames_breaking_the_replay_contract_are_refused_naming_the_loan() -> None:
    """Bad input: a ledger loan without lines, or lines of a loan the ledger does not list, is an error
    naming the loan."""
    book = book_from_inputs([loan("L1", RETAIL), loan("L2", RETAIL)])
    ledger = ledgers_of(book, date(2024, 3, 1))
    no_lines = schema.LedgerFrames(
        ledger.lines.filter(pl.col("loan_id") == "L1"), ledger.charges, ledger.loans, ledger.errors
    )
    with pytest.raises(ValueError, match="loan L2: no ledger lines"):
        derive_snapshot(book, no_lines, date(2024, 3, 1), CalendarFrame.of(CAL), None)
    unlisted = schema.LedgerFrames(
        ledger.lines, ledger.charges, ledger.loans.filter(pl.col("loan_id") == "L1"), ledger.errors
    )
    with pytest.raises(ValueError, match="loan L2: ledger lines for a loan the ledger does not list"):
        derive_snapshot(book, unlisted, date(2024, 3, 1), CalendarFrame.of(CAL), None)


def test_c2_a_past_due_date_the_calendar_cannot_shift_is_refused_naming_the_loan() -> None:
    """C2: under next_business_day a past due date outside the calendar cannot be shifted (the domain raises
    CalendarError): derive refuses it naming the loan rather than guessing."""
    policy = ProductPolicy.build("H", holiday_rule="next_business_day")
    book = book_from_inputs([loan("L1", policy)])
    ledger = ledgers_of(book, date(2024, 3, 1))
    only_2025 = CalendarFrame.of(BusinessCalendar.of([2025]))
    with pytest.raises(ValueError, match="loan L1: installment 1 due_date 2024-02-15 cannot be moved"):
        derive_snapshot(book, ledger, date(2024, 3, 1), only_2025, None)


def book_rest(book: Book) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    return book.installments, book.payments, book.charges, book.interruptions


def test_snapshot_schema_and_first_run_changes() -> None:
    """The result has the SNAPSHOT schema; on a first run every change flag is false."""
    snap = check([loan("L1", RETAIL), loan("L2", CARD, borrower="B1")], date(2024, 3, 1))
    assert snap.schema == pl.Schema(schema.SNAPSHOT)
    assert not snap["newly_delinquent"].any()
    assert snap["borrower_overdue_loans"].to_list() == [2, 2]


def test_an_empty_ledger_gives_an_empty_snapshot() -> None:
    """A partition without loans gives an empty frame with the SNAPSHOT schema (with or without previous)."""
    book = book_from_inputs([loan("L1", RETAIL)])
    empty = schema.LedgerFrames(
        schema.empty(schema.LEDGER_LINES),
        schema.empty(schema.LEDGER_CHARGES),
        schema.empty(schema.LEDGER_LOANS),
        schema.empty(schema.ERRORS),
    )
    previous = derived(book, date(2024, 2, 29))
    for before in (None, previous):
        snap = derive_snapshot(book, empty, date(2024, 3, 1), CalendarFrame.of(CAL), before)
        assert snap.height == 0
        assert snap.schema == pl.Schema(schema.SNAPSHOT)
