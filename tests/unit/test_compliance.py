"""Contact compliance (C8): every rule of both profiles at its boundaries, in the contacted person's local time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from qingshou.domain.compliance import (
    DEFAULT_PROFILES,
    REASONS,
    ComplianceError,
    ComplianceProfile,
    ContactAttempt,
    ContactFacts,
    Decision,
    Outcome,
    check,
    default_profile,
)

CN = default_profile("cn")
US = default_profile("us_reg_f")
SHANGHAI = ZoneInfo("Asia/Shanghai")
LA = ZoneInfo("America/Los_Angeles")
DAY = date(2026, 3, 10)


def at(day: date, hour: int, minute: int = 0, tz: ZoneInfo = SHANGHAI) -> datetime:
    """A local wall-clock moment as an aware UTC moment (what the store keeps)."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz).astimezone(UTC)


def attempt(
    moment: datetime,
    channel: str = "call",
    party: str = "debtor",
    tz: str = "Asia/Shanghai",
    **extra: object,
) -> ContactAttempt:
    return ContactAttempt("B1", "L1", channel, party, "13812341234", moment, tz, **extra)  # type: ignore[arg-type]


def facts(day: date = DAY, **extra: object) -> ContactFacts:
    return ContactFacts(day, **extra)  # type: ignore[arg-type]


def allowed() -> Decision:
    return Decision(Outcome.ALLOW, "ok")


# --- quiet hours ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("channel", ["call", "sms", "email", "visit"])
def test_c8_cn_21_59_is_allowed_and_22_00_is_deferred_to_08_00_next_day(channel: str) -> None:
    """C8 cn: 21:59 local is inside the window; 22:00 is quiet — deferred to 08:00 the next local day."""
    extra = {"collectors": 2} if channel == "visit" else {}
    assert check(attempt(at(DAY, 21, 59), channel, **extra), facts(), CN) == allowed()
    assert check(attempt(at(DAY, 22, 0), channel, **extra), facts(), CN) == Decision(
        Outcome.DEFER, "quiet_hours", at(DAY + timedelta(days=1), 8)
    )


def test_c8_cn_sms_planned_at_22_30_goes_at_08_00_next_day() -> None:
    """C8 cn: an SMS planned at 22:30 is not dropped: it goes at 08:00 the next day (00:00 UTC)."""
    decision = check(attempt(at(DAY, 22, 30), "sms"), facts(), CN)
    assert decision.outcome is Outcome.DEFER
    assert decision.deferred_to == datetime(2026, 3, 11, 0, 0, tzinfo=UTC)
    assert decision.message_zh.startswith("债务人当地时间")


def test_c8_cn_07_59_is_deferred_to_08_00_the_same_day_and_08_00_is_allowed() -> None:
    """C8 cn: before the window opens the contact waits for today's 08:00; 08:00 itself is allowed."""
    assert check(attempt(at(DAY, 7, 59)), facts(), CN) == Decision(Outcome.DEFER, "quiet_hours", at(DAY, 8))
    assert check(attempt(at(DAY, 8, 0)), facts(), CN) == allowed()


def test_c8_cn_debtor_consent_lifts_quiet_hours() -> None:
    """C8 cn: "unless the debtor agreed" — with recorded consent a 22:30 call is allowed."""
    assert check(attempt(at(DAY, 22, 30)), facts(quiet_hours_consent=True), CN) == allowed()


def test_c8_us_consent_does_not_lift_quiet_hours_by_default() -> None:
    """C8 us_reg_f: the profile does not take a recorded consent as leave to call at 21:30 (parameter off)."""
    decision = check(
        attempt(at(DAY, 21, 30, LA), tz="America/Los_Angeles"), facts(quiet_hours_consent=True), US
    )
    assert (decision.outcome, decision.reason) == (Outcome.DEFER, "quiet_hours")


def test_c8_letters_have_no_quiet_hours() -> None:
    """C8: a letter is posted, not delivered at an hour: 23:00 is allowed."""
    assert check(attempt(at(DAY, 23, 0), "letter"), facts(), CN) == allowed()


def test_c8_us_window_20_59_allowed_21_00_deferred_in_los_angeles_time() -> None:
    """C8 us_reg_f: 08:00–21:00 at the consumer's location (America/Los_Angeles, PDT = UTC−7 in June)."""
    day = date(2026, 6, 10)
    la = "America/Los_Angeles"
    assert check(attempt(at(day, 20, 59, LA), tz=la), facts(day), US) == allowed()
    deferred = check(attempt(at(day, 21, 0, LA), tz=la), facts(day), US)
    assert deferred == Decision(Outcome.DEFER, "quiet_hours", datetime(2026, 6, 11, 15, 0, tzinfo=UTC))
    assert check(attempt(at(day, 7, 59, LA), tz=la), facts(day), US).outcome is Outcome.DEFER
    assert check(attempt(at(day, 8, 0, LA), tz=la), facts(day), US) == allowed()


def test_c8_the_debtors_time_zone_decides_not_the_institutions() -> None:
    """C8: 12:00 in Beijing is 21:00 in Los Angeles the day before (PDT): quiet for the US debtor."""
    moment = datetime(2026, 6, 11, 4, 0, tzinfo=UTC)  # 12:00 Beijing, 21:00 LA on 10 June
    assert check(attempt(moment), facts(date(2026, 6, 11)), CN) == allowed()
    us = check(attempt(moment, tz="America/Los_Angeles"), facts(date(2026, 6, 10)), US)
    assert (us.outcome, us.reason) == (Outcome.DEFER, "quiet_hours")


def test_c8_dst_the_next_window_start_is_08_00_local_across_the_spring_change() -> None:
    """C8 + DST: 21:30 PST on Sat 7 Mar 2026 defers to 08:00 PDT on Sun 8 Mar (clocks moved at 02:00):
    15:00 UTC, not 16:00."""
    day = date(2026, 3, 7)
    decision = check(attempt(at(day, 21, 30, LA), tz="America/Los_Angeles"), facts(day), US)
    assert decision.deferred_to == datetime(2026, 3, 8, 15, 0, tzinfo=UTC)


def test_c8_an_empty_time_zone_takes_the_profiles_default() -> None:
    """C8: no known zone → the profile's default (Asia/Shanghai for cn): 22:00 Beijing is quiet."""
    decision = check(attempt(at(DAY, 22, 0), tz=""), facts(), CN)
    assert decision.reason == "quiet_hours"


# --- daily caps (cn) -----------------------------------------------------------------------------------


def test_c8_cn_third_connected_call_allowed_fourth_deferred_to_tomorrow() -> None:
    """C8 cn: at most 3 connected conversations per debtor per day (institution and agencies together):
    with 2 done the 3rd is allowed; with 3 done the 4th waits for 08:00 tomorrow."""
    assert check(attempt(at(DAY, 15, 0)), facts(connected_calls_today=2), CN) == allowed()
    assert check(attempt(at(DAY, 15, 0)), facts(connected_calls_today=3), CN) == Decision(
        Outcome.DEFER, "connected_call_cap", at(DAY + timedelta(days=1), 8)
    )


def test_c8_cn_connected_call_cap_is_for_calls_only() -> None:
    """C8 cn: the cap counts voice conversations; an SMS after 3 connected calls is allowed."""
    assert check(attempt(at(DAY, 15, 0), "sms"), facts(connected_calls_today=3), CN) == allowed()


def test_c8_cn_sixth_attempt_on_a_number_allowed_seventh_deferred() -> None:
    """C8 cn: at most 6 unanswered attempts per number per day: 5 failed → the 6th is allowed; 6 failed → the
    7th waits for tomorrow."""
    assert check(attempt(at(DAY, 15, 0)), facts(unanswered_attempts_on_number_today=5), CN) == allowed()
    assert check(attempt(at(DAY, 15, 0)), facts(unanswered_attempts_on_number_today=6), CN) == Decision(
        Outcome.DEFER, "number_attempt_cap", at(DAY + timedelta(days=1), 8)
    )


def test_c8_cn_caps_do_not_apply_in_the_us_profile() -> None:
    """C8: the cn daily caps are off in us_reg_f (its limits are per debt over 7 days)."""
    many = facts(connected_calls_today=5, unanswered_attempts_on_number_today=9)
    assert check(attempt(at(DAY, 15, 0, LA), tz="America/Los_Angeles"), many, US) == allowed()


def test_c8_a_cap_reached_in_quiet_hours_defers_once_to_the_next_window() -> None:
    """C8: 22:30 with the connected cap reached → 08:00 tomorrow (the latest of the two, reason of the first)."""
    decision = check(attempt(at(DAY, 22, 30)), facts(connected_calls_today=3), CN)
    assert decision == Decision(Outcome.DEFER, "quiet_hours", at(DAY + timedelta(days=1), 8))


# --- Reg F ---------------------------------------------------------------------------------------------


def call_days(*offsets: int) -> tuple[date, ...]:
    return tuple(DAY - timedelta(days=offset) for offset in offsets)


def us_attempt(day: date = DAY, hour: int = 10) -> ContactAttempt:
    return attempt(at(day, hour, 0, LA), tz="America/Los_Angeles")


def test_c8_reg_f_seventh_call_in_7_days_allowed_eighth_deferred_until_the_window_frees() -> None:
    """C8 us_reg_f: 6 calls on the debt in the 7 days ending today → the 7th is allowed; 7 calls → the 8th is
    deferred to the day the oldest call leaves the window (oldest 6 days ago → tomorrow)."""
    assert check(us_attempt(), facts(debt_call_days=call_days(6, 5, 4, 3, 2, 1)), US) == allowed()
    decision = check(us_attempt(), facts(debt_call_days=call_days(6, 5, 4, 3, 2, 1, 0)), US)
    assert decision == Decision(Outcome.DEFER, "reg_f_7_in_7", at(DAY + timedelta(days=1), 8, 0, LA))


def test_c8_reg_f_window_frees_when_enough_calls_have_left_it() -> None:
    """C8 us_reg_f: 8 calls in the window (days −5, −3, −3, −2, −2, −1, −1, 0): it holds fewer than 7 once the
    two oldest have left it — the second oldest (3 days ago) is outside on day +4. Calls 7 days ago are outside
    the window already and do not count."""
    days = call_days(7, 7, 5, 3, 3, 2, 2, 1, 1, 0)
    decision = check(us_attempt(), facts(debt_call_days=days), US)
    assert decision == Decision(Outcome.DEFER, "reg_f_7_in_7", at(DAY + timedelta(days=4), 8, 0, LA))


def test_c8_reg_f_day_after_a_conversation_deferred_seven_days_after_allowed() -> None:
    """C8 us_reg_f: the conversation day is day 1 of 7: a call the next day is deferred to day 8 (conversation
    + 7 days) at 08:00; a call 6 days after is still deferred; 7 days after is allowed."""
    talked = at(DAY, 11, 0, LA)
    for gap, expected in ((1, "reg_f_after_conversation"), (6, "reg_f_after_conversation"), (7, "ok")):
        day = DAY + timedelta(days=gap)
        decision = check(us_attempt(day), facts(day, last_conversation_at=talked), US)
        assert decision.reason == expected, gap
    decision = check(
        us_attempt(DAY + timedelta(days=1)), facts(DAY + timedelta(days=1), last_conversation_at=talked), US
    )
    assert decision.deferred_to == at(DAY + timedelta(days=7), 8, 0, LA)


def test_c8_reg_f_rules_are_for_calls_and_off_in_cn() -> None:
    """C8: an e-mail the day after a conversation is fine under Reg F; the cn profile has no 7-in-7."""
    talked = at(DAY, 11, 0, LA)
    day = DAY + timedelta(days=1)
    email = attempt(at(day, 10, 0, LA), "email", tz="America/Los_Angeles")
    assert check(email, facts(day, last_conversation_at=talked), US) == allowed()
    assert check(attempt(at(DAY, 10)), facts(debt_call_days=call_days(*range(7), 0, 0)), CN) == allowed()


# --- third parties -------------------------------------------------------------------------------------


def third(**extra: object) -> ContactAttempt:
    return attempt(at(DAY, 10), party="third_party", mentions_debt=False, **extra)


def test_c8_third_party_refused_while_the_debtor_is_reachable() -> None:
    """C8: a contact person may be called only once the debtor is unreachable: 2 consecutive failures → refused."""
    decision = check(third(), facts(debtor_consecutive_failures=2), CN)
    assert decision == Decision(Outcome.REFUSE, "third_party_debtor_reachable")


@pytest.mark.parametrize(
    "state",
    [
        {"debtor_consecutive_failures": 3},
        {"debtor_numbers_invalid": True},
        {"debtor_deceased_or_incapacitated": True},
    ],
)
def test_c8_third_party_allowed_once_the_debtor_is_unreachable_or_dead(state: dict[str, object]) -> None:
    """C8: 3 consecutive failed attempts, every number invalid, or the debtor dead/incapacitated → a third
    party may be contacted to restore contact."""
    assert check(third(), facts(**state), CN) == allowed()


def test_c8_third_party_never_again_after_a_stop_request() -> None:
    """C8: once the third party asked not to be contacted, never again — even with the debtor unreachable."""
    decision = check(third(), facts(debtor_numbers_invalid=True, third_party_stop_requested=True), CN)
    assert decision == Decision(Outcome.REFUSE, "third_party_stop")


def test_c8_third_party_message_never_carries_debt_information() -> None:
    """C8: a third-party message that mentions the debt is refused, whatever the debtor's state."""
    contact = attempt(at(DAY, 10), "sms", party="third_party", mentions_debt=True)
    assert check(contact, facts(debtor_numbers_invalid=True), CN).reason == "third_party_debt_info"


def test_c8_guarantor_is_not_a_third_party() -> None:
    """C8: a guarantor may be contacted about the debt while the debtor is reachable."""
    assert check(attempt(at(DAY, 10), party="guarantor"), facts(), CN) == allowed()


# --- consent, numbers, visits, time-barred debt --------------------------------------------------------


def test_c8_do_not_contact_refuses_every_channel() -> None:
    """C8: a person who asked not to be contacted is refused (recorded with the reason), not deferred."""
    for channel in ("call", "sms", "email", "letter"):
        decision = check(attempt(at(DAY, 10), channel), facts(do_not_contact=True), CN)
        assert decision == Decision(Outcome.REFUSE, "do_not_contact"), channel


def test_c8_invalid_number_refuses_calls_and_sms_not_letters() -> None:
    """C8: a number known to be invalid is not dialled or texted; a letter to the address still goes."""
    assert check(attempt(at(DAY, 10), "sms"), facts(number_invalid=True), CN).reason == "number_invalid"
    assert check(attempt(at(DAY, 10), "letter"), facts(number_invalid=True), CN) == allowed()


def test_c8_field_visit_needs_two_collectors() -> None:
    """C8: one collector → refused; two → allowed."""
    assert check(attempt(at(DAY, 10), "visit", collectors=1), facts(), CN).reason == "visit_collectors"
    assert check(attempt(at(DAY, 10), "visit", collectors=2), facts(), CN) == allowed()


@pytest.mark.parametrize("profile", [CN, US], ids=["cn", "us_reg_f"])
def test_c8_time_barred_debt_no_threat_of_suit(profile: ComplianceProfile) -> None:
    """C8/C7: a letter threatening suit on a time-barred debt is refused; on a live debt, or without the
    threat, it is allowed."""
    letter = attempt(at(DAY, 10), "letter", threatens_legal_action=True)
    assert check(letter, facts(time_barred=True), profile) == Decision(
        Outcome.REFUSE, "time_barred_legal_threat"
    )
    assert check(letter, facts(), profile) == allowed()
    plain = attempt(at(DAY, 10), "letter")
    assert check(plain, facts(time_barred=True), profile) == allowed()


def test_c8_refusal_wins_over_deferral() -> None:
    """C8: a refused contact in quiet hours is refused (never deferred to be refused later)."""
    decision = check(attempt(at(DAY, 23, 0)), facts(do_not_contact=True), CN)
    assert decision.outcome is Outcome.REFUSE


def test_c8_facts_of_another_day_are_refused() -> None:
    """C8: counts for 9 March do not decide a call on 10 March (the check never silently passes)."""
    decision = check(attempt(at(DAY, 10)), facts(DAY - timedelta(days=1)), CN)
    assert decision == Decision(Outcome.REFUSE, "facts_day_mismatch")


# --- profiles and input --------------------------------------------------------------------------------


def test_c8_profiles_build_from_a_mapping_with_validation() -> None:
    """C8: a profile is built from every parameter; unknown, missing or invalid ones name the key."""
    assert ComplianceProfile.build("cn", DEFAULT_PROFILES["cn"]) == CN
    with pytest.raises(ComplianceError, match="missing keys \\['window_end'\\]"):
        ComplianceProfile.build("x", {k: v for k, v in DEFAULT_PROFILES["cn"].items() if k != "window_end"})
    with pytest.raises(ComplianceError, match="unknown keys \\['colour'\\]"):
        ComplianceProfile.build("x", {**DEFAULT_PROFILES["cn"], "colour": 1})
    with pytest.raises(ComplianceError, match="connected_calls_per_day must be a whole number"):
        ComplianceProfile.build("x", {**DEFAULT_PROFILES["cn"], "connected_calls_per_day": 0})
    with pytest.raises(ComplianceError, match="window_start must be from 04:00"):
        ComplianceProfile.build("x", {**DEFAULT_PROFILES["cn"], "window_start": "23:00"})
    with pytest.raises(ComplianceError, match="default_time_zone: unknown time zone"):
        ComplianceProfile.build("x", {**DEFAULT_PROFILES["cn"], "default_time_zone": "Mars/Olympus"})
    with pytest.raises(ComplianceError, match="unknown compliance profile"):
        default_profile("eu")


def test_c8_bad_attempts_are_errors_naming_the_field() -> None:
    """C8: an unknown channel, a naive moment or an unknown zone is a ComplianceError with the field."""
    with pytest.raises(ComplianceError, match="channel must be") as error:
        attempt(at(DAY, 10), "fax")
    assert error.value.field == "channel"
    with pytest.raises(ComplianceError, match="aware moment"):
        attempt(datetime(2026, 3, 10, 10, 0))
    with pytest.raises(ComplianceError, match="unknown time zone"):
        attempt(at(DAY, 10), tz="Nowhere/Town")


def test_c8_every_reason_has_both_messages() -> None:
    """C8: reasons are shown in Chinese by default, English available."""
    assert all(zh and en for _, zh, en in REASONS.values())
