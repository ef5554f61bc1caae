"""Compliance: the contact rules (conventions C8) every planned or attempted contact is checked against.

One function, ``check(attempt, facts, profile)``, decides: **allow**, **defer** (with the next allowed moment:
quiet hours and caps that reset are postponed, never dropped) or **refuse** (with a reason that is recorded).
A profile holds the parameters — ``cn`` (GB/T 45251—2025, CBA 2026 guide) is the default, ``us_reg_f``
(CFPB Regulation F, 12 CFR 1006). Times of day are in the contacted person's local time (their IANA time
zone, the profile's default when unknown); ``day`` means that person's local calendar day. The rules, in the
order they are checked (the first refusal wins; among deferrals the latest moment wins):

refusals — do-not-contact; third party who asked to stop; third-party message that mentions the debt;
third party while the debtor is reachable and alive; a number known to be invalid; a field visit with fewer
collectors than required; a legal threat on a time-barred debt. deferrals — quiet hours (unless the debtor
agreed, where the profile allows it); connected voice conversations per debtor per day; unanswered attempts
per number per day; Reg F calls per debt in 7 consecutive days; Reg F silence after a telephone conversation.
docs/compliance.md gives the source of each rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from qingshou.domain.errors import DomainError


class ComplianceError(DomainError):
    """A compliance profile parameter, a contact attempt or its facts are invalid (C8)."""

    code = "invalid_compliance"


class Channel(StrEnum):
    """How the contact is made."""

    CALL = "call"
    SMS = "sms"
    EMAIL = "email"
    LETTER = "letter"
    VISIT = "visit"


class PartyKind(StrEnum):
    """Who is contacted: the debtor, a guarantor, or a third party (contact person, employer, relative)."""

    DEBTOR = "debtor"
    GUARANTOR = "guarantor"
    THIRD_PARTY = "third_party"


class Outcome(StrEnum):
    """The decision on one contact."""

    ALLOW = "allow"
    DEFER = "defer"
    REFUSE = "refuse"


#: Every reason code: its outcome, the Chinese message and the English one.
REASONS: Final[Mapping[str, tuple[Outcome, str, str]]] = {
    "ok": (Outcome.ALLOW, "符合联系规则", "contact complies with the rules"),
    "facts_day_mismatch": (
        Outcome.REFUSE,
        "联系记录统计日与本次联系的当地日期不一致，须重新统计",
        "the facts are for another local day than the contact; recount them",
    ),
    "missing_facts": (
        Outcome.REFUSE,
        "缺少联系记录统计，不能核验",
        "no facts for this contact; cannot check",
    ),
    "invalid_attempt": (
        Outcome.REFUSE,
        "联系计划数据无效（渠道、对象、时间或时区），不能核验",
        "the planned contact is invalid (channel, party, moment or time zone); cannot check",
    ),
    "do_not_contact": (Outcome.REFUSE, "对方已要求不再联系", "the person asked not to be contacted"),
    "third_party_stop": (
        Outcome.REFUSE,
        "第三人已要求不再联系，不得再次联系",
        "the third party asked not to be contacted again",
    ),
    "third_party_debt_info": (
        Outcome.REFUSE,
        "不得向第三人透露任何债务信息",
        "no debt information may be disclosed to a third party",
    ),
    "third_party_debtor_reachable": (
        Outcome.REFUSE,
        "债务人未失联且未死亡或丧失民事行为能力，不得联系第三人",
        "the debtor is reachable and alive: third parties may not be contacted",
    ),
    "number_invalid": (Outcome.REFUSE, "号码已确认无效", "the number is known to be invalid"),
    "visit_collectors": (
        Outcome.REFUSE,
        "外访须至少两名催收人员",
        "a field visit needs at least the required number of collectors",
    ),
    "time_barred_legal_threat": (
        Outcome.REFUSE,
        "债务已过诉讼时效，不得以起诉相威胁",
        "the debt is time-barred: no suit or threat of suit",
    ),
    "quiet_hours": (
        Outcome.DEFER,
        "债务人当地时间不在允许联系的时段，顺延至下一可联系时间",
        "outside the allowed hours in the debtor's local time; deferred to the next allowed moment",
    ),
    "connected_call_cap": (
        Outcome.DEFER,
        "当日已达接通通话次数上限（含机构及全部委外机构），顺延至次日",
        "the daily cap of connected calls (institution and all agencies) is reached; deferred to tomorrow",
    ),
    "number_attempt_cap": (
        Outcome.DEFER,
        "该号码当日未接通拨打次数已达上限，顺延至次日",
        "the daily cap of unanswered attempts on this number is reached; deferred to tomorrow",
    ),
    "reg_f_7_in_7": (
        Outcome.DEFER,
        "该笔债务连续7日内呼叫次数已达上限，顺延至窗口释放",
        "7 calls on this debt within 7 consecutive days; deferred until the window frees up",
    ),
    "reg_f_after_conversation": (
        Outcome.DEFER,
        "就该笔债务通话后7日内不得再次呼叫，顺延",
        "no call within 7 days after a telephone conversation about the debt; deferred",
    ),
}

#: Deferral reasons in check order (ties on the moment go to the earlier one).
DEFER_ORDER: Final = (
    "quiet_hours",
    "connected_call_cap",
    "number_attempt_cap",
    "reg_f_7_in_7",
    "reg_f_after_conversation",
)
#: Refusal reasons in check order (the first that applies is reported).
REFUSE_ORDER: Final = (
    "facts_day_mismatch",
    "do_not_contact",
    "third_party_stop",
    "third_party_debt_info",
    "third_party_debtor_reachable",
    "number_invalid",
    "visit_collectors",
    "time_barred_legal_threat",
)
#: Quiet hours do not apply to letters: a letter is posted, not delivered at an hour the sender chooses.
TIMED_CHANNELS: Final = frozenset({Channel.CALL, Channel.SMS, Channel.EMAIL, Channel.VISIT})
#: Channels that use a telephone number (an invalid number refuses them).
NUMBER_CHANNELS: Final = frozenset({Channel.CALL, Channel.SMS})
#: The earliest window start allowed: no time zone in use changes its clocks at or after 04:00 local.
EARLIEST_WINDOW_START: Final = time(4, 0)


def _time(name: str, value: object) -> time:
    if isinstance(value, time):
        return value
    if isinstance(value, str):
        try:
            return time.fromisoformat(value)
        except ValueError:
            pass
    raise ComplianceError(f"{name} must be a time of day like '08:00', got {value!r}", field=name)


def _cap(name: str, value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ComplianceError(f"{name} must be a whole number ≥ 1 or null (off), got {value!r}", field=name)
    return value


def _count(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ComplianceError(f"{name} must be a whole number ≥ 0, got {value!r}", field=name)
    return value


def _flag(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise ComplianceError(f"{name} must be true or false, got {value!r}", field=name)
    return value


def zone(name: str, field: str = "time_zone") -> ZoneInfo:
    """The IANA time zone ``name``; an unknown one is a ``ComplianceError`` naming ``field``."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ComplianceError(f"{field}: unknown time zone {name!r}", field=field) from error


@dataclass(frozen=True, slots=True)
class ComplianceProfile:
    """The parameters of one contact-rule profile (C8). Contact is allowed from ``window_start``
    (inclusive) to ``window_end`` (exclusive) local time. A cap of ``None`` switches that rule off."""

    name: str
    window_start: time
    window_end: time
    quiet_hours_consent_allowed: bool
    connected_calls_per_day: int | None
    unanswered_attempts_per_number_per_day: int | None
    unreachable_after_failures: int
    calls_per_debt_in_7_days: int | None
    silence_days_after_conversation: int | None
    min_visit_collectors: int
    no_legal_threat_when_time_barred: bool
    default_time_zone: str

    @classmethod
    def build(cls, name: str, params: Mapping[str, object]) -> ComplianceProfile:
        """A validated profile from a mapping of every parameter (times as ``"HH:MM"``, caps ``int | None``);
        a missing, unknown or invalid key is a ``ComplianceError`` naming it (prefixed with the profile)."""
        expected = {f.name for f in fields(cls)} - {"name"}
        unknown = sorted(set(params) - expected)
        missing = sorted(expected - set(params))
        if unknown or missing:
            raise ComplianceError(
                f"compliance profile {name!r}: unknown keys {unknown}, missing keys {missing}", field=name
            )
        try:
            profile = cls(
                name=name,
                window_start=_time("window_start", params["window_start"]),
                window_end=_time("window_end", params["window_end"]),
                quiet_hours_consent_allowed=_flag(
                    "quiet_hours_consent_allowed", params["quiet_hours_consent_allowed"]
                ),
                connected_calls_per_day=_cap("connected_calls_per_day", params["connected_calls_per_day"]),
                unanswered_attempts_per_number_per_day=_cap(
                    "unanswered_attempts_per_number_per_day", params["unanswered_attempts_per_number_per_day"]
                ),
                unreachable_after_failures=_count(
                    "unreachable_after_failures", params["unreachable_after_failures"]
                ),
                calls_per_debt_in_7_days=_cap("calls_per_debt_in_7_days", params["calls_per_debt_in_7_days"]),
                silence_days_after_conversation=_cap(
                    "silence_days_after_conversation", params["silence_days_after_conversation"]
                ),
                min_visit_collectors=_count("min_visit_collectors", params["min_visit_collectors"]),
                no_legal_threat_when_time_barred=_flag(
                    "no_legal_threat_when_time_barred", params["no_legal_threat_when_time_barred"]
                ),
                default_time_zone=str(params["default_time_zone"]),
            )
            profile.validate()
        except ComplianceError as error:
            raise ComplianceError(
                f"compliance profile {name!r}: {error.message}", field=error.field
            ) from None
        return profile

    def validate(self) -> None:
        """Check the invariants: a same-day window starting at 04:00 or later, a failure count ≥ 1, a known
        default time zone."""
        if not EARLIEST_WINDOW_START <= self.window_start < self.window_end:
            raise ComplianceError(
                f"window_start must be from 04:00 and before window_end, got "
                f"{self.window_start}–{self.window_end}",
                field="window_start",
            )
        if self.window_end.second or self.window_end.microsecond or self.window_start.microsecond:
            raise ComplianceError("window times are whole minutes", field="window_end")
        if self.unreachable_after_failures < 1:
            raise ComplianceError(
                "unreachable_after_failures must be ≥ 1", field="unreachable_after_failures"
            )
        zone(self.default_time_zone, "default_time_zone")

    def local_zone(self, name: str | None) -> ZoneInfo:
        """The contacted person's zone, or the profile's default when ``name`` is empty."""
        return zone(name or self.default_time_zone)


#: The defaults of each profile (docs/compliance.md gives the source of each number).
DEFAULT_PROFILES: Final[Mapping[str, Mapping[str, object]]] = {
    "cn": {
        "window_start": "08:00",
        "window_end": "22:00",
        "quiet_hours_consent_allowed": True,
        "connected_calls_per_day": 3,
        "unanswered_attempts_per_number_per_day": 6,
        "unreachable_after_failures": 3,
        "calls_per_debt_in_7_days": None,
        "silence_days_after_conversation": None,
        "min_visit_collectors": 2,
        "no_legal_threat_when_time_barred": True,
        "default_time_zone": "Asia/Shanghai",
    },
    "us_reg_f": {
        "window_start": "08:00",
        "window_end": "21:00",
        "quiet_hours_consent_allowed": False,
        "connected_calls_per_day": None,
        "unanswered_attempts_per_number_per_day": None,
        "unreachable_after_failures": 3,
        "calls_per_debt_in_7_days": 7,
        "silence_days_after_conversation": 7,
        "min_visit_collectors": 2,
        "no_legal_threat_when_time_barred": True,
        "default_time_zone": "America/New_York",
    },
}
DEFAULT_PROFILE: Final = "cn"


def default_profile(name: str = DEFAULT_PROFILE) -> ComplianceProfile:
    """One of the built-in profiles with its default parameters."""
    if name not in DEFAULT_PROFILES:
        raise ComplianceError(
            f"unknown compliance profile {name!r} (known: {', '.join(DEFAULT_PROFILES)})", field="profile"
        )
    return ComplianceProfile.build(name, DEFAULT_PROFILES[name])


def _aware(name: str, value: datetime | None) -> None:
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise ComplianceError(f"{name} must be an aware moment (with a time zone), got {value}", field=name)


@dataclass(frozen=True, slots=True)
class ContactAttempt:
    """One planned or attempted contact. ``at`` is an aware moment; ``time_zone`` the contacted person's
    IANA zone (empty: the profile's default). ``collectors`` counts the people on a field visit."""

    borrower_id: str
    loan_id: str
    channel: Channel
    party: PartyKind
    address: str
    at: datetime
    time_zone: str = ""
    mentions_debt: bool = True
    threatens_legal_action: bool = False
    collectors: int = 0

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "channel", Channel(self.channel))
        except ValueError:
            allowed = " | ".join(member.value for member in Channel)
            raise ComplianceError(
                f"channel must be {allowed}, got {self.channel!r}", field="channel"
            ) from None
        try:
            object.__setattr__(self, "party", PartyKind(self.party))
        except ValueError:
            allowed = " | ".join(member.value for member in PartyKind)
            raise ComplianceError(f"party must be {allowed}, got {self.party!r}", field="party") from None
        _aware("at", self.at)
        if self.time_zone:
            zone(self.time_zone)
        _count("collectors", self.collectors)


@dataclass(frozen=True, slots=True)
class ContactFacts:
    """What the store knows about the contacted person and the debt on ``day`` (their local day of the
    contact). Counts are across the institution and all its agencies. ``debt_call_days`` are the local days
    of the calls placed about this debt to this person (any range; the check counts the 7 days ending on
    ``day``). ``connected_calls_today`` counts the debtor's connected conversations that day;
    ``unanswered_attempts_on_number_today`` the attempts on this number that day that did not connect.
    ``debtor_*`` describe the debtor whatever party is contacted (the third-party rules read them)."""

    day: date
    connected_calls_today: int = 0
    unanswered_attempts_on_number_today: int = 0
    debt_call_days: tuple[date, ...] = ()
    last_conversation_at: datetime | None = None
    quiet_hours_consent: bool = False
    do_not_contact: bool = False
    number_invalid: bool = False
    third_party_stop_requested: bool = False
    debtor_consecutive_failures: int = 0
    debtor_numbers_invalid: bool = False
    debtor_deceased_or_incapacitated: bool = False
    time_barred: bool = False

    def __post_init__(self) -> None:
        _count("connected_calls_today", self.connected_calls_today)
        _count("unanswered_attempts_on_number_today", self.unanswered_attempts_on_number_today)
        _count("debtor_consecutive_failures", self.debtor_consecutive_failures)
        _aware("last_conversation_at", self.last_conversation_at)
        object.__setattr__(self, "debt_call_days", tuple(self.debt_call_days))


@dataclass(frozen=True, slots=True)
class Decision:
    """The check's answer: the outcome, its reason code and, for ``defer``, the next allowed moment (UTC)."""

    outcome: Outcome
    reason: str
    deferred_to: datetime | None = None

    @property
    def message_zh(self) -> str:
        return REASONS[self.reason][1]

    @property
    def message_en(self) -> str:
        return REASONS[self.reason][2]


def debtor_unreachable(facts: ContactFacts, profile: ComplianceProfile) -> bool:
    """失联: every known number of the debtor is invalid, or the last attempts failed consecutively."""
    return (
        facts.debtor_numbers_invalid
        or facts.debtor_consecutive_failures >= profile.unreachable_after_failures
    )


def _third_party_refusal(
    attempt: ContactAttempt, facts: ContactFacts, profile: ComplianceProfile
) -> str | None:
    if attempt.party is not PartyKind.THIRD_PARTY:
        return None
    if facts.third_party_stop_requested:
        return "third_party_stop"
    if attempt.mentions_debt:
        return "third_party_debt_info"
    if not (debtor_unreachable(facts, profile) or facts.debtor_deceased_or_incapacitated):
        return "third_party_debtor_reachable"
    return None


def refusal(
    attempt: ContactAttempt, facts: ContactFacts, profile: ComplianceProfile, day: date
) -> str | None:
    """The first refusal reason that applies (``REFUSE_ORDER``), or None."""
    if day != facts.day:
        return "facts_day_mismatch"
    if facts.do_not_contact:
        return "do_not_contact"
    third_party = _third_party_refusal(attempt, facts, profile)
    if third_party:
        return third_party
    if attempt.channel in NUMBER_CHANNELS and facts.number_invalid:
        return "number_invalid"
    if attempt.channel is Channel.VISIT and attempt.collectors < profile.min_visit_collectors:
        return "visit_collectors"
    if profile.no_legal_threat_when_time_barred and facts.time_barred and attempt.threatens_legal_action:
        return "time_barred_legal_threat"
    return None


def window_day(local: datetime, profile: ComplianceProfile) -> date | None:
    """None when ``local`` is inside the window; else the local day whose window start is the next one."""
    if local.time() < profile.window_start:
        return local.date()
    if local.time() >= profile.window_end:
        return local.date() + timedelta(days=1)
    return None


def reg_f_release_day(call_days: tuple[date, ...], day: date, cap: int) -> date | None:
    """Reg F 7-in-7: None when fewer than ``cap`` calls fall in the 7 days ending on ``day``; else the first
    day whose 7-day window (it and the 6 before) holds fewer than ``cap`` of them."""
    window = sorted(d for d in call_days if day - timedelta(days=6) <= d <= day)
    if len(window) < cap:
        return None
    return window[len(window) - cap] + timedelta(days=7)


def deferrals(
    attempt: ContactAttempt, facts: ContactFacts, profile: ComplianceProfile, local: datetime
) -> dict[str, date]:
    """Every deferral rule that applies, as reason → the local day whose window start is allowed again."""
    day = local.date()
    found: dict[str, date] = {}
    consented = profile.quiet_hours_consent_allowed and facts.quiet_hours_consent
    quiet = window_day(local, profile)
    if attempt.channel in TIMED_CHANNELS and not consented and quiet is not None:
        found["quiet_hours"] = quiet
    if attempt.channel is not Channel.CALL:
        return found
    cap = profile.connected_calls_per_day
    if cap is not None and facts.connected_calls_today >= cap:
        found["connected_call_cap"] = day + timedelta(days=1)
    cap = profile.unanswered_attempts_per_number_per_day
    if cap is not None and facts.unanswered_attempts_on_number_today >= cap:
        found["number_attempt_cap"] = day + timedelta(days=1)
    cap = profile.calls_per_debt_in_7_days
    release = None if cap is None else reg_f_release_day(facts.debt_call_days, day, cap)
    if release is not None:
        found["reg_f_7_in_7"] = release
    silence = profile.silence_days_after_conversation
    if silence is not None and facts.last_conversation_at is not None:
        talked = facts.last_conversation_at.astimezone(local.tzinfo).date()
        if day < talked + timedelta(days=silence):
            found["reg_f_after_conversation"] = talked + timedelta(days=silence)
    return found


def window_start_utc(day: date, profile: ComplianceProfile, tz: ZoneInfo) -> datetime:
    """The moment (UTC) the allowed window opens on local ``day``."""
    return datetime.combine(day, profile.window_start, tzinfo=tz).astimezone(UTC)


def check(attempt: ContactAttempt, facts: ContactFacts, profile: ComplianceProfile) -> Decision:
    """Decide one contact (C8): the first refusal in ``REFUSE_ORDER``; else, if any deferral applies, defer to
    the latest of their next allowed moments (each a window start, so the answer is inside the window);
    else allow."""
    tz = profile.local_zone(attempt.time_zone)
    local = attempt.at.astimezone(tz)
    refused = refusal(attempt, facts, profile, local.date())
    if refused:
        return Decision(Outcome.REFUSE, refused)
    found = deferrals(attempt, facts, profile, local)
    if not found:
        return Decision(Outcome.ALLOW, "ok")
    latest = max(found.values())
    reason = next(code for code in DEFER_ORDER if found.get(code) == latest)
    return Decision(Outcome.DEFER, reason, window_start_utc(latest, profile, tz))
