"""Compliance over a whole frame of planned contacts (C8): ``check_frame`` gives every row the decision
``domain.compliance.check`` gives it — allow, defer (with the next allowed moment, UTC) or refuse — with
Polars expressions over the whole frame (one branch per distinct time zone, no per-row Python).

Each attempt row is joined to its facts by (``borrower_id``, ``loan_id``, ``party_id``). Two outcomes exist
only here, both refusals, because a frame can hold what a domain value cannot: ``missing_facts`` (no facts
row for the attempt) and ``invalid_attempt`` (unknown channel or party kind, no moment, unknown time zone,
negative collectors). Times: ``planned_at`` and ``last_conversation_at`` are UTC instants; ``day`` and
``debt_call_days`` are the contacted person's local calendar days; ``deferred_to`` is UTC.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl

from qingshou.domain.compliance import (
    DEFER_ORDER,
    NUMBER_CHANNELS,
    REASONS,
    TIMED_CHANNELS,
    Channel,
    ComplianceError,
    ComplianceProfile,
    PartyKind,
)

Schema = dict[str, pl.DataType]
UTC_MOMENT: Final = pl.Datetime("us", "UTC")
KEYS: Final = ("borrower_id", "loan_id", "party_id")

#: One row per planned or attempted contact. ``time_zone`` empty or null → the profile's default zone;
#: ``collectors`` counts the people on a field visit.
ATTEMPTS: Final[Schema] = {
    "attempt_id": pl.String(),
    "borrower_id": pl.String(),
    "loan_id": pl.String(),
    "party_id": pl.Int64(),
    "channel": pl.String(),
    "party_kind": pl.String(),
    "address": pl.String(),
    "planned_at": UTC_MOMENT,
    "time_zone": pl.String(),
    "mentions_debt": pl.Boolean(),
    "threatens_legal_action": pl.Boolean(),
    "collectors": pl.Int32(),
}

#: One row per (borrower, loan, party): the domain's ``ContactFacts`` for the local ``day``; counts are
#: across the institution and all agencies; ``debt_call_days`` lists the local days of calls on the loan to
#: the party (the check counts those in the 7 days ending on the contact's day).
FACTS: Final[Schema] = {
    "borrower_id": pl.String(),
    "loan_id": pl.String(),
    "party_id": pl.Int64(),
    "day": pl.Date(),
    "connected_calls_today": pl.Int32(),
    "unanswered_attempts_on_number_today": pl.Int32(),
    "debt_call_days": pl.List(pl.Date()),
    "last_conversation_at": UTC_MOMENT,
    "quiet_hours_consent": pl.Boolean(),
    "do_not_contact": pl.Boolean(),
    "number_invalid": pl.Boolean(),
    "third_party_stop_requested": pl.Boolean(),
    "debtor_consecutive_failures": pl.Int32(),
    "debtor_numbers_invalid": pl.Boolean(),
    "debtor_deceased_or_incapacitated": pl.Boolean(),
    "time_barred": pl.Boolean(),
}

#: The answer: every attempt column, in the input's row order, then the decision.
DECISIONS: Final[Schema] = {
    **ATTEMPTS,
    "outcome": pl.String(),
    "reason": pl.String(),
    "deferred_to": UTC_MOMENT,
    "message_zh": pl.String(),
    "message_en": pl.String(),
}


def _cast(frame: pl.DataFrame, schema: Schema, name: str) -> pl.DataFrame:
    """``frame`` with exactly the schema's columns and types; a missing column is an error naming it."""
    missing = [column for column in schema if column not in frame.columns]
    if missing:
        raise ComplianceError(f"{name}: missing columns {missing}", field=missing[0])
    return frame.select(pl.col(column).cast(dtype) for column, dtype in schema.items())


def _duplicate_facts(facts: pl.DataFrame) -> None:
    duplicated = facts.filter(pl.struct(*KEYS).is_duplicated())
    if duplicated.height:
        key = duplicated.row(0, named=True)
        raise ComplianceError(
            f"facts: more than one row for borrower {key['borrower_id']}, loan {key['loan_id']}, "
            f"party {key['party_id']}",
            field="party_id",
        )


def _known_zones(names: Iterable[str]) -> list[str]:
    known = []
    for name in names:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            continue
        known.append(name)
    return sorted(known)


def _to_local(column: str, zones: list[str]) -> pl.Expr:
    """The UTC instant ``column`` as a naive local wall-clock time in each row's ``_tz`` (null: unknown zone)."""
    expr: pl.Expr = pl.lit(None, dtype=pl.Datetime("us"))
    for name in zones:
        local = pl.col(column).dt.convert_time_zone(name).dt.replace_time_zone(None)
        expr = pl.when(pl.col("_tz") == name).then(local).otherwise(expr)
    return expr


def _window_start_utc(day: pl.Expr, profile: ComplianceProfile, zones: list[str]) -> pl.Expr:
    """The UTC instant the window opens on local ``day`` (Date) in each row's zone (the earlier of an
    ambiguous wall-clock time, as ``zoneinfo`` with fold 0)."""
    naive = day.dt.combine(profile.window_start)
    expr: pl.Expr = pl.lit(None, dtype=UTC_MOMENT)
    for name in zones:
        moment = naive.dt.replace_time_zone(name, ambiguous="earliest").dt.convert_time_zone("UTC")
        expr = pl.when(pl.col("_tz") == name).then(moment).otherwise(expr)
    return expr


def _invalid() -> pl.Expr:
    """Rows the domain could not even build as a ``ContactAttempt``."""
    return (
        ~pl.col("channel").is_in([member.value for member in Channel])
        | ~pl.col("party_kind").is_in([member.value for member in PartyKind])
        | pl.col("_local").is_null()
        | pl.col("collectors").is_null()
        | (pl.col("collectors") < 0)
    ).fill_null(True)


def _channel_in(channels: Iterable[Channel]) -> pl.Expr:
    return pl.col("channel").is_in([member.value for member in channels])


def _refusal(profile: ComplianceProfile) -> pl.Expr:
    """The first refusal reason (``REFUSE_ORDER``, after ``invalid_attempt`` and ``missing_facts``), or null."""
    third = pl.col("party_kind") == PartyKind.THIRD_PARTY.value
    unreachable = (
        pl.col("debtor_numbers_invalid")
        | (pl.col("debtor_consecutive_failures") >= profile.unreachable_after_failures)
        | pl.col("debtor_deceased_or_incapacitated")
    )
    threat = pl.col("time_barred") & pl.col("threatens_legal_action")
    rules: list[tuple[str, pl.Expr]] = [
        ("invalid_attempt", _invalid()),
        ("missing_facts", pl.col("_has_facts").is_null()),
        ("facts_day_mismatch", pl.col("_day") != pl.col("day")),
        ("do_not_contact", pl.col("do_not_contact")),
        ("third_party_stop", third & pl.col("third_party_stop_requested")),
        ("third_party_debt_info", third & pl.col("mentions_debt")),
        ("third_party_debtor_reachable", third & ~unreachable),
        ("number_invalid", _channel_in(NUMBER_CHANNELS) & pl.col("number_invalid")),
        (
            "visit_collectors",
            (pl.col("channel") == Channel.VISIT.value)
            & (pl.col("collectors") < profile.min_visit_collectors),
        ),
        ("time_barred_legal_threat", threat if profile.no_legal_threat_when_time_barred else pl.lit(False)),
    ]
    expr: pl.Expr = pl.lit(None, dtype=pl.String())
    for code, condition in reversed(rules):
        expr = pl.when(condition.fill_null(False)).then(pl.lit(code)).otherwise(expr)
    return expr


def _days(expr: pl.Expr) -> pl.Expr:
    return pl.duration(days=expr)


def _deferral_days(profile: ComplianceProfile) -> dict[str, pl.Expr]:
    """Every deferral rule as a Date expression: the local day whose window start is next allowed, or null."""
    day = pl.col("_day")
    tod = pl.col("_local").dt.time()
    tomorrow = day + _days(pl.lit(1))
    call = pl.col("channel") == Channel.CALL.value
    consented = pl.col("quiet_hours_consent") if profile.quiet_hours_consent_allowed else pl.lit(False)
    quiet_day = pl.when(tod < profile.window_start).then(day).when(tod >= profile.window_end).then(tomorrow)
    rules: dict[str, pl.Expr] = {
        "quiet_hours": pl.when(_channel_in(TIMED_CHANNELS) & ~consented).then(quiet_day),
    }
    if profile.connected_calls_per_day is not None:
        over = call & (pl.col("connected_calls_today") >= profile.connected_calls_per_day)
        rules["connected_call_cap"] = pl.when(over).then(tomorrow)
    if profile.unanswered_attempts_per_number_per_day is not None:
        cap = profile.unanswered_attempts_per_number_per_day
        rules["number_attempt_cap"] = pl.when(
            call & (pl.col("unanswered_attempts_on_number_today") >= cap)
        ).then(tomorrow)
    if profile.calls_per_debt_in_7_days is not None:
        rules["reg_f_7_in_7"] = pl.when(call).then(_reg_f_release(profile.calls_per_debt_in_7_days))
    if profile.silence_days_after_conversation is not None:
        free = pl.col("_talked_day") + _days(pl.lit(profile.silence_days_after_conversation))
        rules["reg_f_after_conversation"] = pl.when(call & (day < free)).then(free)
    return rules


def _reg_f_release(cap: int) -> pl.Expr:
    """Reg F 7-in-7: the calls of the 7 days ending on ``_day`` as day offsets (−6…0), sorted; with ``cap`` or
    more, the window frees 7 days after the call ``n − cap`` (0-based) of them."""
    offsets = pl.col("debt_call_days").cast(pl.List(pl.Int32())) - pl.col("_day").cast(pl.Int32())
    window = offsets.list.filter((pl.element() >= -6) & (pl.element() <= 0)).list.sort()
    count = window.list.len().cast(pl.Int32())
    oldest_kept = window.list.get((count - cap).clip(lower_bound=0), null_on_oob=True)
    return pl.when(count >= cap).then(pl.col("_day") + _days(oldest_kept + 7))


def _deferral(profile: ComplianceProfile, zones: list[str]) -> list[pl.Expr]:
    """``_defer_day`` (the latest applicable day), ``_defer_reason`` (first in ``DEFER_ORDER`` reaching it)
    and ``_defer_at`` (that day's window start, UTC)."""
    rules = _deferral_days(profile)
    latest = pl.max_horizontal(*rules.values())
    reason: pl.Expr = pl.lit(None, dtype=pl.String())
    for code in reversed(DEFER_ORDER):
        if code in rules:
            reason = pl.when(rules[code] == latest).then(pl.lit(code)).otherwise(reason)
    return [reason.alias("_defer_reason"), _window_start_utc(latest, profile, zones).alias("_defer_at")]


def _zone(profile: ComplianceProfile) -> pl.Expr:
    """The contacted person's zone: ``time_zone``, or the profile's default when it is empty or null."""
    given = pl.col("time_zone").fill_null("")
    return pl.when(given == "").then(pl.lit(profile.default_time_zone)).otherwise(given)


def _prepared(
    attempts: pl.DataFrame, facts: pl.DataFrame, profile: ComplianceProfile, zones: list[str]
) -> pl.LazyFrame:
    """Attempts joined to their facts, with ``_tz`` (the zone used), ``_local`` (naive local time), ``_day``
    and ``_talked_day`` (the local day of the last conversation)."""
    joined = attempts.lazy().join(
        facts.lazy().with_columns(_has_facts=pl.lit(True)),
        on=list(KEYS),
        how="left",
        maintain_order="left",
        nulls_equal=False,
    )
    return (
        joined.with_columns(_tz=_zone(profile))
        .with_columns(_local=_to_local("planned_at", zones), _talked=_to_local("last_conversation_at", zones))
        .with_columns(_day=pl.col("_local").dt.date(), _talked_day=pl.col("_talked").dt.date())
    )


def check_frame(attempts: pl.DataFrame, facts: pl.DataFrame, profile: ComplianceProfile) -> pl.DataFrame:
    """The decision on every planned contact (schema ``DECISIONS``, rows in the order of ``attempts``).

    ``attempts`` follows ``ATTEMPTS`` and ``facts`` follows ``FACTS`` (extra columns are ignored; missing ones
    are an error); facts must be unique by (borrower_id, loan_id, party_id)."""
    attempts = _cast(attempts, ATTEMPTS, "attempts")
    facts = _cast(facts, FACTS, "facts")
    _duplicate_facts(facts)
    zones = _known_zones(attempts.select(_zone(profile).unique()).to_series().to_list())
    messages_zh = {code: zh for code, (_, zh, _) in REASONS.items()}
    messages_en = {code: en for code, (_, _, en) in REASONS.items()}
    outcomes = {code: outcome.value for code, (outcome, _, _) in REASONS.items()}
    decided = (
        _prepared(attempts, facts, profile, zones)
        .with_columns(_refusal(profile).alias("_refused"), *_deferral(profile, zones))
        .with_columns(
            reason=pl.coalesce("_refused", "_defer_reason", pl.lit("ok")),
            deferred_to=pl.when(pl.col("_refused").is_null()).then(pl.col("_defer_at")),
        )
        .with_columns(
            outcome=pl.col("reason").replace_strict(outcomes, return_dtype=pl.String()),
            message_zh=pl.col("reason").replace_strict(messages_zh, return_dtype=pl.String()),
            message_en=pl.col("reason").replace_strict(messages_en, return_dtype=pl.String()),
        )
    )
    return decided.select(pl.col(column).cast(dtype) for column, dtype in DECISIONS.items()).collect()
