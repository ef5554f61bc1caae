"""Reads of the contacts app: the compliance facts of many borrowers at once (for the engine and the check
service), the decisions of a period (for the report), and masking of numbers and addresses for display.

``facts_frame`` counts the institution's and every agency's attempts together (who started an attempt does
not matter to the caps). A **person** is the debtor (all the borrower's ``debtor`` parties, whatever number)
or one guarantor / third-party row; caps and Reg F counts are per person. Only attempts with a recorded
result count (a planned contact that was never made is not a call).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final

import polars as pl

from qingshou.apps.contacts.models import ContactAttempt, ContactParty
from qingshou.apps.loans.models import Loan
from qingshou.domain.compliance import ComplianceProfile, ContactFacts, PartyKind
from qingshou.domain.privacy import mask_contact_address
from qingshou.engine.compliance import FACTS

#: Results that count as a failed attempt to reach the debtor (失联 after ``unreachable_after_failures``).
FAILURES: Final = ("no_answer", "busy", "invalid_number", "wrong_party")
#: Results of a call that did not connect (the per-number daily cap counts these).
UNANSWERED: Final = ("no_answer", "busy")
#: How far back consecutive failures are looked for: older failures never make the debtor unreachable.
FAILURE_LOOKBACK_DAYS: Final = 30
#: Borrower ids per ``IN (…)`` query (SQLite allows 32,766 parameters).
CHUNK: Final = 10_000

_PARTY_COLUMNS: Final = (
    "id",
    "borrower_id",
    "kind",
    "phone",
    "quiet_hours_consent",
    "do_not_contact",
    "stop_requested",
    "number_invalid",
    "deceased_or_incapacitated",
)
_ATTEMPT_COLUMNS: Final = (
    "borrower_id",
    "loan_id",
    "party_id",
    "party_kind",
    "address",
    "attempted_at",
    "local_day",
    "result",
    "conversation_about_debt",
)


def _chunks(ids: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def _frame(rows: Iterable[tuple[Any, ...]], schema: dict[str, pl.DataType]) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=schema, orient="row")


def _parties(ids: Sequence[str]) -> pl.DataFrame:
    schema: dict[str, pl.DataType] = {
        "party_id": pl.Int64(),
        "borrower_id": pl.String(),
        "party_kind": pl.String(),
        "phone": pl.String(),
        "quiet_hours_consent": pl.Boolean(),
        "party_do_not_contact": pl.Boolean(),
        "stop_requested": pl.Boolean(),
        "number_invalid": pl.Boolean(),
        "deceased_or_incapacitated": pl.Boolean(),
    }
    parts = [
        _frame(ContactParty.objects.filter(borrower_id__in=chunk).values_list(*_PARTY_COLUMNS), schema)
        for chunk in _chunks(ids)
    ]
    return pl.concat([_frame([], schema), *parts])


def _loans(ids: Sequence[str]) -> pl.DataFrame:
    schema: dict[str, pl.DataType] = {"loan_id": pl.String(), "borrower_id": pl.String()}
    parts = [
        _frame(Loan.objects.filter(borrower_id__in=chunk).values_list("loan_id", "borrower_id"), schema)
        for chunk in _chunks(ids)
    ]
    return pl.concat([_frame([], schema), *parts])


def _calls(ids: Sequence[str], day: date) -> pl.DataFrame:
    """The call attempts with a result since ``FAILURE_LOOKBACK_DAYS`` before ``day``."""
    schema: dict[str, pl.DataType] = {
        "borrower_id": pl.String(),
        "loan_id": pl.String(),
        "party_id": pl.Int64(),
        "party_kind": pl.String(),
        "address": pl.String(),
        "attempted_at": pl.Datetime("us", "UTC"),
        "local_day": pl.Date(),
        "result": pl.String(),
        "conversation_about_debt": pl.Boolean(),
    }
    since = datetime.combine(day - timedelta(days=FAILURE_LOOKBACK_DAYS + 1), time(), tzinfo=UTC)
    parts = []
    for chunk in _chunks(ids):
        rows = (
            ContactAttempt.objects.filter(borrower_id__in=chunk, channel="call", attempted_at__gte=since)
            .exclude(result="")
            .values_list(*_ATTEMPT_COLUMNS)
        )
        parts.append(_frame(rows, schema))
    return pl.concat([_frame([], schema), *parts])


def _person() -> pl.Expr:
    """The person a row is about: ``D<borrower>`` for the debtor (any of their numbers), ``P<party>`` else."""
    debtor = pl.col("party_kind") == PartyKind.DEBTOR.value
    return (
        pl.when(debtor)
        .then(pl.lit("D") + pl.col("borrower_id"))
        .otherwise(pl.lit("P") + pl.col("party_id").cast(pl.String()))
    )


def _debtor_state(parties: pl.DataFrame, calls: pl.DataFrame) -> pl.DataFrame:
    """Per borrower: consecutive failed calls to the debtor since the last connected one, all the debtor's
    numbers invalid, debtor dead or incapacitated."""
    debtor = PartyKind.DEBTOR.value
    to_debtor = calls.filter(pl.col("party_kind") == debtor)
    last_connected = pl.col("attempted_at").filter(pl.col("result") == "connected").max()
    failures = to_debtor.group_by("borrower_id").agg(
        pl.col("result")
        .filter(
            pl.col("result").is_in(FAILURES)
            & (last_connected.is_null() | (pl.col("attempted_at") > last_connected))
        )
        .len()
        .alias("debtor_consecutive_failures")
    )
    flags = (
        parties.filter(pl.col("party_kind") == debtor)
        .group_by("borrower_id")
        .agg(
            pl.col("number_invalid").all().alias("debtor_numbers_invalid"),
            pl.col("deceased_or_incapacitated").any().alias("debtor_deceased_or_incapacitated"),
        )
    )
    return flags.join(failures, on="borrower_id", how="full", coalesce=True)


def _call_counts(calls: pl.DataFrame, day: date) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Connected calls per person on ``day``; unanswered per (borrower, number) on ``day``; per (loan,
    person) the local days of calls in the 7 days ending on ``day`` and the last conversation about the debt."""
    calls = calls.with_columns(person=_person())
    today = calls.filter(pl.col("local_day") == day)
    connected = today.group_by("person").agg(
        (pl.col("result") == "connected").sum().cast(pl.Int32()).alias("connected_calls_today")
    )
    unanswered = (
        today.filter(pl.col("result").is_in(UNANSWERED))
        .group_by("borrower_id", "address")
        .agg(pl.len().cast(pl.Int32()).alias("unanswered_attempts_on_number_today"))
    )
    window = calls.filter(pl.col("local_day").is_between(day - timedelta(days=6), day))
    talked = pl.col("attempted_at").filter(
        (pl.col("result") == "connected") & pl.col("conversation_about_debt")
    )
    per_debt = (
        calls.group_by("loan_id", "person")
        .agg(talked.max().alias("last_conversation_at"))
        .join(
            window.group_by("loan_id", "person").agg(pl.col("local_day").alias("debt_call_days")),
            on=["loan_id", "person"],
            how="full",
            coalesce=True,
        )
    )
    return connected, unanswered, per_debt


def facts_frame(
    borrower_ids: Collection[str],
    day: date,
    *,
    time_barred_loan_ids: Collection[str] = (),
) -> pl.DataFrame:
    """The compliance facts (schema ``engine.compliance.FACTS``) on local ``day`` for every (loan, party) of
    ``borrower_ids``: one row per loan of the borrower × each of the borrower's contact parties.

    ``time_barred_loan_ids``: the loans whose limitation has expired (the caller knows them from the EOD
    snapshot's ``limitation_expires_on``). The flags come from the party: ``do_not_contact`` also holds for a
    debtor or guarantor who asked to stop; ``third_party_stop_requested`` is a third party's stop request."""
    ids = sorted(set(borrower_ids))
    parties = _parties(ids)
    calls = _calls(ids, day)
    connected, unanswered, per_debt = _call_counts(calls, day)
    rows = (
        _loans(ids)
        .join(parties, on="borrower_id")
        .with_columns(person=_person())
        .join(_debtor_state(parties, calls), on="borrower_id", how="left")
        .join(connected, on="person", how="left")
        .join(unanswered, left_on=["borrower_id", "phone"], right_on=["borrower_id", "address"], how="left")
        .join(per_debt, on=["loan_id", "person"], how="left")
    )
    stop = pl.col("stop_requested")
    third = pl.col("party_kind") == PartyKind.THIRD_PARTY.value
    return rows.select(
        "borrower_id",
        "loan_id",
        "party_id",
        pl.lit(day).alias("day"),
        pl.col("connected_calls_today").fill_null(0),
        pl.col("unanswered_attempts_on_number_today").fill_null(0),
        pl.col("debt_call_days").fill_null(pl.lit([], dtype=pl.List(pl.Date()))),
        "last_conversation_at",
        "quiet_hours_consent",
        (pl.col("party_do_not_contact") | (stop & ~third)).alias("do_not_contact"),
        "number_invalid",
        (stop & third).alias("third_party_stop_requested"),
        pl.col("debtor_consecutive_failures").fill_null(0),
        pl.col("debtor_numbers_invalid").fill_null(False),
        pl.col("debtor_deceased_or_incapacitated").fill_null(False),
        pl.col("loan_id").is_in(list(time_barred_loan_ids)).alias("time_barred"),
    ).select(pl.col(column).cast(dtype) for column, dtype in FACTS.items())


def contact_facts(row: dict[str, Any]) -> ContactFacts:
    """One ``facts_frame`` row as the domain's ``ContactFacts``."""
    return ContactFacts(
        day=row["day"],
        connected_calls_today=row["connected_calls_today"],
        unanswered_attempts_on_number_today=row["unanswered_attempts_on_number_today"],
        debt_call_days=tuple(row["debt_call_days"]),
        last_conversation_at=row["last_conversation_at"],
        quiet_hours_consent=row["quiet_hours_consent"],
        do_not_contact=row["do_not_contact"],
        number_invalid=row["number_invalid"],
        third_party_stop_requested=row["third_party_stop_requested"],
        debtor_consecutive_failures=row["debtor_consecutive_failures"],
        debtor_numbers_invalid=row["debtor_numbers_invalid"],
        debtor_deceased_or_incapacitated=row["debtor_deceased_or_incapacitated"],
        time_barred=row["time_barred"],
    )


def local_day(moment: datetime, zone_name: str, profile: ComplianceProfile) -> date:
    """The local day of ``moment`` for someone in ``zone_name`` (empty: the profile's default zone)."""
    return moment.astimezone(profile.local_zone(zone_name)).date()


# --- the report --------------------------------------------------------------------------------------------


def mask_address(value: str) -> str:
    """For display in the compliance report: a phone keeps its first 3 and last 4 digits (``138****1234``),
    an e-mail its first character and domain (``z***@example.com``), a postal address its first 6
    characters (``qingshou.domain.privacy.mask_contact_address``)."""
    return mask_contact_address(value)


def decisions(first: date, last: date, outcome: str | None = None) -> list[dict[str, Any]]:
    """The decisions on contacts planned for local days ``first``…``last`` (inclusive), oldest first, with
    the number or address masked; ``outcome`` keeps only allow, defer or refuse."""
    rows = ContactAttempt.objects.filter(local_day__range=(first, last))
    if outcome:
        rows = rows.filter(outcome=outcome)
    fields = (
        "id",
        "local_day",
        "planned_at",
        "borrower_id",
        "loan_id",
        "party_id",
        "party_kind",
        "channel",
        "address",
        "initiator",
        "initiator_id",
        "profile",
        "outcome",
        "reason",
        "deferred_to",
        "result",
    )
    answer = []
    for row in rows.order_by("planned_at", "id").values(*fields):
        row["address"] = mask_address(row["address"])
        answer.append(row)
    return answer
