"""Five-category classification, NPL cure, restructuring, manual downgrades, 10 % rule, stages (C6)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qingshou.calendars import china_calendar
from qingshou.domain.calendar import BusinessCalendar
from qingshou.domain.classification import (
    DebtorClaim,
    ManualDowngrade,
    Restructuring,
    classify,
    debtor_rule,
    dpd_floor,
    ifrs9_stage,
    reference_reserve_rate,
    refuse_upgrade,
)
from qingshou.domain.delinquency import DueItem, days_past_due, is_delinquent
from qingshou.domain.errors import ClassificationError
from qingshou.domain.policy import LoanClass, ProductPolicy
from qingshou.domain.schedule import add_months

N, SM, SS, DB, LS = (
    LoanClass.NORMAL,
    LoanClass.SPECIAL_MENTION,
    LoanClass.SUBSTANDARD,
    LoanClass.DOUBTFUL,
    LoanClass.LOSS,
)
RETAIL = ProductPolicy.build("R")
CARD = ProductPolicy.build("C", kind="card")
NO_CALENDAR = BusinessCalendar.of(())  # no holiday shift: the calendar is never consulted


def monthly(first_due: date, count: int, paid: dict[int, date | None] | None = None) -> tuple[DueItem, ...]:
    """``count`` monthly installments, each settled on its due date unless ``paid`` says otherwise."""
    overrides = paid or {}
    items = []
    for seq in range(1, count + 1):
        due = add_months(first_due, seq - 1)
        items.append(DueItem(seq, due, overrides.get(seq, due)))
    return tuple(items)


def class_on(items: tuple[DueItem, ...], as_of: date, **kwargs: object) -> tuple[LoanClass, tuple[str, ...]]:
    result = classify(items, as_of, RETAIL, NO_CALENDAR, **kwargs)  # type: ignore[arg-type]
    return result.loan_class, result.reasons


# --- dpd floors ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dpd", "retail", "card"),
    [
        # dpd   retail  card
        (0, N, N),
        (1, SM, SM),
        (90, SM, SM),
        (91, SS, SS),
        (120, SS, SS),
        (121, SS, DB),
        (180, SS, DB),
        (181, SS, LS),
        (270, SS, LS),
        (271, DB, LS),
        (360, DB, LS),
        (361, LS, LS),
    ],
)
def test_c6_dpd_floors_retail_and_card_at_their_edges(dpd: int, retail: LoanClass, card: LoanClass) -> None:
    """C6: retail 关注 1–90, 次级 91–270, 可疑 271–360, 损失 > 360; card 次级 91–120, 可疑 121–180, 损失 > 180."""
    assert dpd_floor(dpd, dpd > 0, RETAIL) == retail
    assert dpd_floor(dpd, dpd > 0, CARD) == card
    # the same through classify on a one-installment timeline unpaid for dpd days
    due = date(2022, 1, 10)
    items = (DueItem(1, due, None),)
    assert classify(items, due + timedelta(days=dpd), RETAIL, NO_CALENDAR).floor == retail
    assert classify(items, due + timedelta(days=dpd), CARD, NO_CALENDAR).floor == card


def test_c6_not_delinquent_is_normal_whatever_the_dpd() -> None:
    """C6: 正常 when not delinquent (dpd inside grace)."""
    assert dpd_floor(5, False, RETAIL) == N


# --- NPL hold (cure rule) ------------------------------------------------------------------------------


def test_c6_npl_is_not_upgraded_on_cure_but_after_two_on_time_periods() -> None:
    """C6: dpd 91 → 次级; all arrears paid 20 Apr → still 次级; the next 2 installments (15 May, 15 Jun) paid
    on time → 正常 on 15 Jun."""
    cured = date(2024, 4, 20)
    items = monthly(date(2024, 1, 15), 12, {1: cured, 2: cured, 3: cured, 4: cured})
    table = [
        # as_of              class  reasons
        (date(2024, 4, 14), SM, ("dpd_floor",)),  # dpd 90
        (date(2024, 4, 15), SS, ("dpd_floor", "npl_hold")),  # dpd 91
        (date(2024, 4, 20), SS, ("npl_hold",)),  # cured today, dpd 0
        (date(2024, 5, 15), SS, ("npl_hold",)),  # 1 on-time period
        (date(2024, 6, 14), SS, ("npl_hold",)),
        (date(2024, 6, 15), N, ("dpd_floor",)),  # 2 on-time periods
    ]
    for as_of, expected, reasons in table:
        assert class_on(items, as_of) == (expected, reasons), as_of


def test_c6_npl_hold_restarts_on_a_late_installment_during_the_wait() -> None:
    """C6: after the cure the 15 May installment is paid on 17 May (late): the wait restarts and needs
    15 Jun and 15 Jul on time."""
    cured = date(2024, 4, 20)
    items = monthly(date(2024, 1, 15), 12, {1: cured, 2: cured, 3: cured, 4: cured, 5: date(2024, 5, 17)})
    table = [
        (date(2024, 5, 16), SS),
        (date(2024, 6, 15), SS),  # would have been released without the late payment
        (date(2024, 7, 14), SS),
        (date(2024, 7, 15), N),
    ]
    for as_of, expected in table:
        assert class_on(items, as_of)[0] == expected, as_of


def test_c6_npl_hold_ends_six_months_after_the_cure_when_nothing_falls_due() -> None:
    """C6: a loan whose last installments were cured on 1 May 2024 with nothing left to fall due stays
    次级 until 31 Oct and is 正常 from 1 Nov (6 months)."""
    cured = date(2024, 5, 1)
    items = monthly(date(2024, 1, 15), 3, {1: cured, 2: cured, 3: cured})
    assert class_on(items, date(2024, 4, 30))[0] == SS  # dpd 106
    assert class_on(items, date(2024, 10, 31))[0] == SS
    assert class_on(items, date(2024, 11, 1))[0] == N


def test_c6_npl_hold_keeps_the_worst_class_reached() -> None:
    """C6: 可疑 at dpd 271; paying the three oldest installments brings the floor back to 次级 but the
    class stays 可疑 while the arrears are not cleared."""
    partial = date(2023, 10, 20)
    items = monthly(
        date(2023, 1, 15), 12, {seq: None for seq in range(1, 13)} | {1: partial, 2: partial, 3: partial}
    )
    assert class_on(items, date(2023, 10, 12)) == (SS, ("dpd_floor", "npl_hold"))  # dpd 270
    assert class_on(items, date(2023, 10, 13)) == (DB, ("dpd_floor", "npl_hold"))  # dpd 271
    result = classify(items, date(2023, 10, 20), RETAIL, NO_CALENDAR)
    assert (result.floor, result.loan_class, result.reasons) == (SS, DB, ("npl_hold",))


# --- restructuring -------------------------------------------------------------------------------------


def test_c6_restructured_loan_is_special_mention_for_two_periods_and_one_year() -> None:
    """C6: restructured 1 Mar 2024, first due after is 15 Mar → 关注 until 2 periods paid AND 1 year:
    正常 from 15 Mar 2025."""
    items = monthly(date(2024, 1, 15), 36)
    changes = (Restructuring(date(2024, 3, 1)),)
    table = [
        (date(2024, 2, 29), N, ("dpd_floor",)),
        (date(2024, 3, 1), SM, ("restructuring",)),  # the floor applies from the restructuring day
        (date(2024, 4, 15), SM, ("restructuring",)),  # 2 periods paid, not yet 1 year
        (date(2025, 3, 14), SM, ("restructuring",)),
        (date(2025, 3, 15), N, ("dpd_floor",)),
    ]
    for as_of, expected, reasons in table:
        assert class_on(items, as_of, restructurings=changes) == (expected, reasons), as_of


def test_c6_restructuring_observation_restarts_on_a_missed_payment() -> None:
    """C6: the 15 Jun 2024 installment paid on 18 Jun: observation restarts from 15 Jul 2024 and ends
    15 Jul 2025 (not 15 Mar 2025)."""
    items = monthly(date(2024, 1, 15), 36, {6: date(2024, 6, 18)})
    changes = (Restructuring(date(2024, 3, 1)),)
    table = [
        (date(2024, 6, 17), SM),  # dpd 2 and in observation
        (date(2025, 3, 15), SM),
        (date(2025, 7, 14), SM),
        (date(2025, 7, 15), N),
    ]
    for as_of, expected in table:
        assert class_on(items, as_of, restructurings=changes)[0] == expected, as_of


def test_c6_restructuring_needs_two_periods_even_after_a_year() -> None:
    """C6: a bullet-like schedule with one installment a year after the restructuring: 1 year passes
    but only one period is paid → still 关注."""
    items = (
        DueItem(1, date(2024, 1, 15), date(2024, 1, 15)),
        DueItem(2, date(2025, 6, 15), date(2025, 6, 15)),
    )
    changes = (Restructuring(date(2024, 3, 1)),)
    assert class_on(items, date(2026, 6, 15), restructurings=changes)[0] == SM


def test_c6_npl_at_restructuring_cannot_rise_above_its_class_during_observation() -> None:
    """C6: 次级 (dpd 101) when restructured on 25 Apr 2024; the hold ends after 2 on-time periods
    (15 Jun) but the class stays 次级 until the observation ends (15 May 2025)."""
    changed = date(2024, 4, 25)
    items = monthly(date(2024, 1, 15), 36, {1: changed, 2: changed, 3: changed, 4: changed})
    changes = (Restructuring(changed),)
    table = [
        (date(2024, 4, 25), SS, ("npl_hold", "restructuring")),
        (date(2024, 6, 15), SS, ("restructuring",)),
        (date(2025, 5, 14), SS, ("restructuring",)),
        (date(2025, 5, 15), N, ("dpd_floor",)),
    ]
    for as_of, expected, reasons in table:
        assert class_on(items, as_of, restructurings=changes) == (expected, reasons), as_of


def test_c6_restructuring_after_as_of_is_ignored() -> None:
    """C6: a restructuring recorded after as_of does not change the class on as_of."""
    items = monthly(date(2024, 1, 15), 12)
    assert class_on(items, date(2024, 2, 1), restructurings=(Restructuring(date(2024, 3, 1)),))[0] == N


# --- manual downgrade ----------------------------------------------------------------------------------


def test_c6_manual_downgrade_applies_between_its_dates() -> None:
    """C6: a manual 次级 from 1 Feb to 29 Feb inclusive on a clean loan; worst-of with the floor."""
    items = monthly(date(2024, 1, 15), 12)
    manual = (ManualDowngrade(date(2024, 2, 1), SS, "borrower's business closed", until=date(2024, 2, 29)),)
    assert class_on(items, date(2024, 1, 31), manual=manual) == (N, ("dpd_floor",))
    assert class_on(items, date(2024, 2, 1), manual=manual) == (SS, ("manual",))
    assert class_on(items, date(2024, 2, 29), manual=manual) == (SS, ("manual",))
    assert class_on(items, date(2024, 3, 1), manual=manual) == (N, ("dpd_floor",))


def test_c6_manual_class_better_than_the_floor_has_no_effect() -> None:
    """C6: worst-of: a manual 关注 on a loan 91 days past due leaves it 次级."""
    items = (DueItem(1, date(2024, 1, 15), None),)
    manual = (ManualDowngrade(date(2024, 1, 20), SM, "watch list"),)
    assert class_on(items, date(2024, 4, 15), manual=manual) == (SS, ("dpd_floor", "npl_hold"))


def test_c6_manual_upgrade_above_the_floor_is_refused() -> None:
    """C6: a manual class better than the computed floor is refused; equal or worse is accepted."""
    with pytest.raises(ClassificationError) as err:
        refuse_upgrade(SM, SS)
    assert err.value.field == "loan_class"
    refuse_upgrade(SS, SS)
    refuse_upgrade(DB, SS)


@pytest.mark.parametrize("reason", ["", "   "])
def test_c6_manual_downgrade_needs_a_reason(reason: str) -> None:
    """C6: a manual downgrade without a reason is refused, naming the field."""
    with pytest.raises(ClassificationError) as err:
        ManualDowngrade(date(2024, 1, 1), SS, reason)
    assert err.value.field == "reason"


def test_c6_manual_downgrade_cannot_end_before_it_starts() -> None:
    """C6: until before effective_on is refused."""
    with pytest.raises(ClassificationError) as err:
        ManualDowngrade(date(2024, 2, 1), SS, "fraud", until=date(2024, 1, 31))
    assert err.value.field == "until"


# --- 10 % rule, stages, reserves -----------------------------------------------------------------------


def test_c6_ten_percent_rule_exactly_ten_percent_is_not_triggered() -> None:
    """C6: NPL share exactly 10 % → classes unchanged."""
    claims = [
        DebtorClaim("A", N, Decimal("900.00")),
        DebtorClaim("B", SS, Decimal("100.00")),
    ]
    assert debtor_rule(claims) == {"A": N, "B": SS}


def test_c6_ten_percent_rule_just_above_lifts_every_claim_to_substandard() -> None:
    """C6: NPL share 10.001 % → every claim at least 次级 (a 可疑 claim stays 可疑)."""
    claims = [
        DebtorClaim("A", N, Decimal("899.99")),
        DebtorClaim("B", SM, Decimal("0.00")),
        DebtorClaim("C", DB, Decimal("100.01")),
    ]
    assert debtor_rule(claims) == {"A": SS, "B": SS, "C": DB}


def test_c6_ten_percent_rule_refuses_duplicate_ids_and_negative_balances() -> None:
    """C6: bad claims are named."""
    with pytest.raises(ClassificationError) as err:
        debtor_rule([DebtorClaim("A", N, Decimal(1)), DebtorClaim("A", SS, Decimal(1))])
    assert err.value.field == "loan_id"
    with pytest.raises(ClassificationError) as err:
        debtor_rule([DebtorClaim("A", N, Decimal("-1"))])
    assert err.value.field == "balance"


@pytest.mark.parametrize(
    ("dpd", "loan_class", "stage"),
    [(0, N, 1), (30, N, 1), (31, N, 2), (0, SM, 2), (90, SM, 2), (91, SM, 3), (0, SS, 3), (0, LS, 3)],
)
def test_c6_ifrs9_stage(dpd: int, loan_class: LoanClass, stage: int) -> None:
    """C6: stage 3 when dpd > 90 or NPL; stage 2 when dpd > 30 or 关注; else 1."""
    assert ifrs9_stage(dpd, loan_class) == stage


def test_c6_classify_reports_the_stage() -> None:
    """C6: the stage follows the final class: a cured NPL (dpd 0, held 次级) is stage 3."""
    cured = date(2024, 4, 20)
    items = monthly(date(2024, 1, 15), 12, {1: cured, 2: cured, 3: cured, 4: cured})
    assert classify(items, date(2024, 4, 20), RETAIL, NO_CALENDAR).stage == 3
    assert classify(items, date(2024, 6, 15), RETAIL, NO_CALENDAR).stage == 1


def test_c6_reference_reserve_rates() -> None:
    """C6: 关注 2 %, 次级 25 %, 可疑 50 %, 损失 100 %, 正常 0."""
    rates = {cls: reference_reserve_rate(cls) for cls in LoanClass}
    assert rates == {
        N: Decimal(0),
        SM: Decimal("0.02"),
        SS: Decimal("0.25"),
        DB: Decimal("0.5"),
        LS: Decimal(1),
    }


# --- properties ----------------------------------------------------------------------------------------

#: (days from the start to the due date, days from the due date to settlement or None) per installment.
TIMELINE_ROWS = st.lists(
    st.tuples(st.integers(min_value=0, max_value=700), st.none() | st.integers(min_value=-10, max_value=600)),
    max_size=8,
)


def timeline(start: date, rows: list[tuple[int, int | None]]) -> tuple[DueItem, ...]:
    """Due items from generated rows, in due order."""
    return tuple(
        DueItem(
            seq, start + timedelta(days=due), None if paid is None else start + timedelta(days=due + paid)
        )
        for seq, (due, paid) in enumerate(sorted(rows, key=lambda row: row[0]), start=1)
    )


@settings(max_examples=200, deadline=None)
@given(
    rows=TIMELINE_ROWS,
    as_of_offset=st.integers(min_value=-5, max_value=900),
    policy=st.sampled_from(
        [
            RETAIL,
            CARD,
            ProductPolicy.build("H", holiday_rule="next_business_day", grace_days=5, dpd_origin="effective"),
        ]
    ),
)
def test_c6_classify_floor_agrees_with_delinquency(
    rows: list[tuple[int, int | None]], as_of_offset: int, policy: ProductPolicy
) -> None:
    """C6 property: the replayed floor equals dpd_floor(days_past_due, is_delinquent); the class is never
    better than the floor; without an NPL ever reached the class is the floor."""
    start = date(2020, 1, 1)
    items = timeline(start, rows)
    as_of = start + timedelta(days=as_of_offset)
    calendar = china_calendar()
    result = classify(items, as_of, policy, calendar)
    dpd = days_past_due(items, as_of, policy, calendar)
    assert result.floor == dpd_floor(dpd, is_delinquent(items, as_of, policy, calendar), policy)
    assert result.loan_class >= result.floor
    history = [days_past_due(items, day, policy, calendar) for day in _days(start, as_of)]
    if max(history, default=0) <= 90:
        assert result.loan_class == result.floor


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def test_c6_payment_within_grace_during_the_wait_is_on_time() -> None:
    """C2/C6: with 3 days' grace, the 15 May installment paid on 17 May is on time: released on 15 Jun."""
    grace = ProductPolicy.build("G", grace_days=3)
    cured = date(2024, 4, 20)
    items = monthly(date(2024, 1, 15), 12, {1: cured, 2: cured, 3: cured, 4: cured, 5: date(2024, 5, 17)})
    assert classify(items, date(2024, 6, 14), grace, NO_CALENDAR).loan_class == SS
    assert classify(items, date(2024, 6, 15), grace, NO_CALENDAR).loan_class == N


@settings(max_examples=200, deadline=None)
@given(
    rows=TIMELINE_ROWS,
    as_of_offset=st.integers(min_value=-5, max_value=900),
    policy=st.sampled_from([RETAIL, CARD, ProductPolicy.build("G", grace_days=5, dpd_origin="effective")]),
)
def test_c6_fast_path_equals_the_full_history_replay(
    rows: list[tuple[int, int | None]], as_of_offset: int, policy: ProductPolicy
) -> None:
    """C6 property: the shortcut for loans that never reached NPL gives exactly what walking their whole
    history gives (forced here by a manual entry that only comes into force after as_of)."""
    start = date(2020, 1, 1)
    items = timeline(start, rows)
    as_of = start + timedelta(days=as_of_offset)
    later = ManualDowngrade(as_of + timedelta(days=1), LoanClass.LOSS, "comes into force after as_of")
    calendar = china_calendar()
    assert classify(items, as_of, policy, calendar) == classify(
        items, as_of, policy, calendar, manual=(later,)
    )
