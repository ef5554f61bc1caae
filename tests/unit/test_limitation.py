"""Limitation period, interruptions, enforcement deadline and guarantee period (C7)."""

from __future__ import annotations

from datetime import date

import pytest

from qingshou.calendars import CalendarOverride, build_calendar, china_calendar
from qingshou.domain.errors import LimitationError
from qingshou.domain.limitation import (
    Deadline,
    Interruption,
    LimitationExpiry,
    enforcement_deadline,
    guarantee_period_end,
    limitation_expiry,
)

CN = china_calendar()


def demand(on: date) -> Interruption:
    return Interruption(on, "demand_delivered", f"SMS delivery receipt {on}")


def test_c7_limitation_runs_three_years_from_the_day_after_the_last_due_date() -> None:
    """C7: last due 15 Jun 2023 → counted from 16 Jun 2023 (art. 201) → expires on the corresponding day,
    Mon 15 Jun 2026 (art. 202), a business day."""
    result = limitation_expiry(date(2023, 6, 15), None, (), CN)
    assert result == LimitationExpiry(date(2023, 6, 16), date(2026, 6, 15), date(2026, 6, 15), True, None)


def test_c7_acceleration_before_the_last_due_date_starts_the_period() -> None:
    """C7: called early on 10 Jan 2023 → starts 11 Jan 2023 → 10 Jan 2026 is a Saturday → Mon 12 Jan."""
    result = limitation_expiry(date(2025, 12, 15), date(2023, 1, 10), (), CN)
    assert (result.start, result.unadjusted_on, result.expires_on) == (
        date(2023, 1, 11),
        date(2026, 1, 10),
        date(2026, 1, 12),
    )


def test_c7_acceleration_after_the_last_due_date_is_ignored() -> None:
    """C7: an acceleration after the last due date does not move the start."""
    result = limitation_expiry(date(2023, 6, 15), date(2023, 8, 1), (), CN)
    assert result.start == date(2023, 6, 16)


def test_c7_delivered_demand_interrupts_and_restarts_three_years() -> None:
    """C7: a demand delivered on 3 Mar 2025 restarts the period: expires 3 Mar 2028 — a year the package
    does not cover, so it is flagged, not guessed; with a 2028 override it is confirmed."""
    interruption = demand(date(2025, 3, 3))
    result = limitation_expiry(date(2023, 6, 15), None, (interruption,), CN)
    assert result == LimitationExpiry(
        date(2023, 6, 16), date(2028, 3, 3), date(2028, 3, 3), False, interruption
    )
    with_2028 = build_calendar([CalendarOverride(date(2028, 1, 1), is_workday=False, name="元旦")], [2028])
    confirmed = limitation_expiry(date(2023, 6, 15), None, (interruption,), with_2028)
    assert (confirmed.expires_on, confirmed.calendar_confirmed) == (date(2028, 3, 3), True)


def test_c7_later_interruptions_win_and_earlier_ones_are_ignored() -> None:
    """C7: interruptions before the start are ignored; each later one restarts the period."""
    before_start = Interruption(date(2023, 5, 1), "promise_to_pay", "call recording 0501")
    first = Interruption(date(2023, 9, 1), "partial_payment", "payment P-17")
    latest = Interruption(date(2024, 2, 5), "repayment_plan", "signed plan 2024-02-05")
    result = limitation_expiry(date(2023, 6, 15), None, (latest, before_start, first), CN)
    assert result.last_interruption == latest
    assert result.unadjusted_on == date(2027, 2, 5)
    only_before = limitation_expiry(date(2023, 6, 15), None, (before_start,), CN)
    assert (only_before.last_interruption, only_before.expires_on) == (None, date(2026, 6, 15))


def test_c7_an_act_after_expiry_does_not_revive_the_claim() -> None:
    """C7 (decision): an interruption after the period expired does not restart it."""
    late = demand(date(2026, 7, 1))
    result = limitation_expiry(date(2023, 6, 15), None, (late,), CN)
    assert (result.expires_on, result.last_interruption) == (date(2026, 6, 15), None)


def test_c7_an_interruption_on_the_shifted_expiry_day_still_counts() -> None:
    """C7: expiry 10 Jan 2026 (Saturday) moves to Mon 12 Jan; a demand delivered on 12 Jan still interrupts."""
    result = limitation_expiry(
        date(2023, 1, 10), None, (demand(date(2026, 1, 12)),), build_calendar([], [2029])
    )
    assert (result.unadjusted_on, result.expires_on, result.calendar_confirmed) == (
        date(2029, 1, 12),
        date(2029, 1, 12),
        True,
    )


def test_c7_29_february_becomes_28_february() -> None:
    """C7: an interruption on 29 Feb 2020 restarts the period until 28 Feb 2023."""
    result = limitation_expiry(date(2019, 12, 31), None, (demand(date(2020, 2, 29)),), CN)
    assert (result.unadjusted_on, result.expires_on) == (date(2023, 2, 28), date(2023, 2, 28))


def test_c7_expiry_on_national_day_moves_past_the_holiday() -> None:
    """C7: an expiry on 1 Oct 2025 (National Day holiday to 8 Oct) moves to Thu 9 Oct 2025 (art. 203)."""
    result = limitation_expiry(date(2022, 10, 1), None, (), CN)
    assert (result.start, result.unadjusted_on, result.expires_on) == (
        date(2022, 10, 2),
        date(2025, 10, 1),
        date(2025, 10, 9),
    )


def test_c7_uncovered_year_is_flagged_not_guessed() -> None:
    """C7: an expiry in 2027 without an override is returned unadjusted with calendar_confirmed False."""
    result = limitation_expiry(date(2024, 3, 14), None, (), CN)
    assert (result.unadjusted_on, result.expires_on, result.calendar_confirmed) == (
        date(2027, 3, 14),
        date(2027, 3, 14),
        False,
    )


def test_c7_enforcement_deadline_two_years_with_adjusted_workday() -> None:
    """C7: performance date 29 Feb 2024 → 28 Feb 2026, a Saturday that is an adjusted workday: not moved;
    1 Mar 2024 → Sun 1 Mar 2026 → Mon 2 Mar."""
    assert enforcement_deadline(date(2024, 2, 29), CN) == Deadline(date(2026, 2, 28), date(2026, 2, 28), True)
    assert enforcement_deadline(date(2024, 3, 1), CN) == Deadline(date(2026, 3, 1), date(2026, 3, 2), True)
    assert enforcement_deadline(date(2025, 6, 1), CN).calendar_confirmed is False


def test_c7_guarantee_period_is_six_months_with_month_end_clamp() -> None:
    """C7: 31 Aug 2024 + 6 months = 28 Feb 2025; 15 Mar 2025 → 15 Sep 2025."""
    assert guarantee_period_end(date(2024, 8, 31)) == date(2025, 2, 28)
    assert guarantee_period_end(date(2025, 3, 15)) == date(2025, 9, 15)


@pytest.mark.parametrize(
    ("kind", "evidence", "field"),
    [
        ("phone_call", "recording", "kind"),
        ("demand_delivered", "", "evidence"),
        ("suit_filed", "  ", "evidence"),
    ],
)
def test_c7_interruption_needs_a_known_kind_and_evidence(kind: str, evidence: str, field: str) -> None:
    """C7: each interruption keeps its evidence; unknown kinds are refused."""
    with pytest.raises(LimitationError) as err:
        Interruption(date(2024, 1, 1), kind, evidence)
    assert err.value.field == field
