"""The day's action plan and the compliance check of every contact in it (C8), as whole frames.

The strategy (``engine.strategy.plan``) gives one row per action. Contacts — SMS, e-mail, letter and call
tasks — are planned for the **contact day** (the day after the EOD day: an overnight run plans the
morning's work) at the configured contact time in the debtor's local time, addressed to the borrower's
debtor party (a number not marked invalid first, then the most recent), and each goes through
``engine.compliance.check_frame`` with the facts the store holds (``apps.contacts.selectors.facts_frame``):
allowed, deferred to the next allowed moment, or refused with the reason. A borrower without a debtor
party on file is refused with ``no_contact_party``. Proposals (field visit, agency placement, legal review)
contact nobody yet and are allowed; the visit itself is checked when it is made.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

import polars as pl

from qingshou.domain.compliance import Channel, ComplianceProfile, Outcome, PartyKind
from qingshou.engine.compliance import ATTEMPTS, UTC_MOMENT, check_frame
from qingshou.store import Store

#: Actions that contact the debtor, by the compliance channel they use.
CONTACT_CHANNELS: Final = {
    "sms": Channel.SMS.value,
    "email": Channel.EMAIL.value,
    "letter": Channel.LETTER.value,
    "call": Channel.CALL.value,
}
#: The party column that addresses each channel.
ADDRESS_COLUMNS: Final = {"sms": "phone", "call": "phone", "email": "email", "letter": "address"}
NO_PARTY: Final = "no_contact_party"

PARTIES: Final = {
    "borrower_id": pl.String(),
    "party_id": pl.Int64(),
    "name": pl.String(),
    "phone": pl.String(),
    "email": pl.String(),
    "address": pl.String(),
    "time_zone": pl.String(),
    "number_invalid": pl.Boolean(),
}

#: The plan with its compliance decisions: the strategy's ACTIONS and these columns.
DECIDED: Final = {
    "party_id": pl.Int64(),
    "recipient": pl.String(),
    "time_zone": pl.String(),
    "planned_at": UTC_MOMENT,
    "outcome": pl.String(),
    "reason": pl.String(),
    "not_before": UTC_MOMENT,
}


def debtor_parties(store: Store) -> pl.DataFrame:
    """One debtor party per borrower: a number not marked invalid first, then the most recent."""
    parties = store.read(
        "SELECT borrower_id, id AS party_id, name, phone, email, address, time_zone, number_invalid"
        " FROM qs_contact_party WHERE kind = 'debtor'",
        PARTIES,
    )
    return (
        parties.sort(["borrower_id", "number_invalid", "party_id"], descending=[False, False, True])
        .group_by("borrower_id", maintain_order=True)
        .first()
    )


def contact_day(as_of: date) -> date:
    """The day the plan of ``as_of`` is carried out: the next morning."""
    return as_of + timedelta(days=1)


def _moments(zones: list[str], day: date, at: time, profile: ComplianceProfile) -> pl.DataFrame:
    """``day`` at local time ``at`` in each zone (empty: the profile's default), as UTC moments."""
    moments = [
        datetime.combine(day, at, tzinfo=ZoneInfo(name or profile.default_time_zone)).astimezone(UTC)
        for name in zones
    ]
    return pl.DataFrame(
        {"time_zone": zones, "planned_at": moments},
        schema={"time_zone": pl.String(), "planned_at": UTC_MOMENT},
    )


@dataclass(frozen=True, slots=True)
class PlanFacts:
    """What the check needs: the debtor parties, the facts of the contact day, the profile, the time."""

    parties: pl.DataFrame
    facts: pl.DataFrame
    profile: ComplianceProfile
    contact_time: time


def decide(actions: pl.DataFrame, inputs: PlanFacts, as_of: date) -> pl.DataFrame:
    """The plan with ``DECIDED`` columns, in the plan's order (module docstring)."""
    day = contact_day(as_of)
    planned = actions.with_row_index("_row").join(inputs.parties.drop("name"), on="borrower_id", how="left")
    zones = sorted(set(planned.get_column("time_zone").fill_null("").to_list()) | {""})
    planned = planned.with_columns(pl.col("time_zone").fill_null("")).join(
        _moments(zones, day, inputs.contact_time, inputs.profile), on="time_zone", how="left"
    )
    recipient = pl.lit("")
    for action, column in ADDRESS_COLUMNS.items():
        recipient = pl.when(pl.col("action") == action).then(pl.col(column)).otherwise(recipient)
    planned = planned.with_columns(recipient.fill_null("").alias("recipient"))
    is_contact = pl.col("action").is_in(list(CONTACT_CHANNELS))
    checkable = planned.filter(is_contact & pl.col("party_id").is_not_null())
    decisions = check_frame(_attempts(checkable), inputs.facts, inputs.profile).select(
        pl.col("attempt_id").cast(pl.UInt32).alias("_row"),
        "outcome",
        "reason",
        pl.col("deferred_to").alias("not_before"),
    )
    decided = planned.join(decisions, on="_row", how="left").with_columns(
        pl.when(is_contact & pl.col("party_id").is_null())
        .then(pl.lit(Outcome.REFUSE.value))
        .when(~is_contact)
        .then(pl.lit(Outcome.ALLOW.value))
        .otherwise(pl.col("outcome"))
        .alias("outcome"),
        pl.when(is_contact & pl.col("party_id").is_null())
        .then(pl.lit(NO_PARTY))
        .when(~is_contact)
        .then(pl.lit(""))
        .otherwise(pl.col("reason"))
        .alias("reason"),
    )
    return decided.sort("_row").select(*actions.columns, *DECIDED)


def _attempts(planned: pl.DataFrame) -> pl.DataFrame:
    """The contacts of the plan as ``engine.compliance.ATTEMPTS`` (``attempt_id``: the plan's row)."""
    channel = pl.col("action").replace_strict(CONTACT_CHANNELS, return_dtype=pl.String())
    return planned.select(
        pl.col("_row").cast(pl.String).alias("attempt_id"),
        "borrower_id",
        "loan_id",
        "party_id",
        channel.alias("channel"),
        pl.lit(PartyKind.DEBTOR.value).alias("party_kind"),
        pl.col("recipient").alias("address"),
        "planned_at",
        "time_zone",
        pl.lit(True).alias("mentions_debt"),
        pl.lit(False).alias("threatens_legal_action"),
        pl.lit(0, pl.Int32).alias("collectors"),
    ).select([pl.col(name).cast(dtype) for name, dtype in ATTEMPTS.items()])


def time_barred_loans(snapshot: pl.DataFrame, as_of: date) -> list[str]:
    """Loans whose limitation has expired by the contact day (C7): no legal threat on them (C8)."""
    return (
        snapshot.filter(pl.col("limitation_expires_on") < contact_day(as_of)).get_column("loan_id").to_list()
    )


#: Notice actions, by the outbox channel they use.
NOTICE_ACTIONS: Final = ("sms", "email", "letter")
NOTICE_LANGUAGE: Final = "zh-hans"


def notice_frame(decided: pl.DataFrame, inputs: pl.DataFrame, parties: pl.DataFrame) -> pl.DataFrame:
    """The notices of the plan for the outbox (``apps.notices.services.outbox.outbox_frame_schema``):
    every allowed or deferred SMS, e-mail and letter, one per loan it is about — each delinquent loan of
    a borrower in arrears, or the loans falling due next for a pre-due reminder — with that loan's figures
    (C8: principal, interest, penalty and compound interest overdue, days overdue, total due). A deferred
    notice is not sent before the compliance check's moment, an allowed one not before its planned moment."""
    notices = decided.filter(
        pl.col("action").is_in(list(NOTICE_ACTIONS)) & pl.col("outcome").is_in(["allow", "defer"])
    )
    loans = inputs.with_columns(
        pl.col("delinquent").any().over("borrower_id").alias("_in_arrears"),
        pl.col("next_due_on").min().over("borrower_id").alias("_next_due"),
    ).filter(
        pl.when(pl.col("_in_arrears"))
        .then(pl.col("delinquent"))
        .otherwise(pl.col("next_due_on") == pl.col("_next_due"))
    )
    due_now = pl.col("total_overdue_fen") + pl.when(pl.col("delinquent")).then(0).otherwise(
        pl.col("installment_fen").fill_null(0)
    )
    return (
        notices.drop("loan_id")
        .join(loans, on="borrower_id", how="inner")
        .join(parties.select("borrower_id", "name"), on="borrower_id", how="left")
        .select(
            pl.col("as_of"),
            pl.concat_str("path", "step", "loan_id", separator="/").alias("action_key"),
            "borrower_id",
            "loan_id",
            pl.col("action").alias("channel"),
            pl.lit("debtor").alias("audience"),
            "recipient",
            pl.col("template").alias("template_code"),
            pl.lit(NOTICE_LANGUAGE).alias("language"),
            pl.col("name").fill_null("").alias("borrower_name"),
            "overdue_principal_fen",
            pl.col("overdue_interest_fen").alias("interest_fen"),
            pl.col("penalty_interest_fen").alias("penalty_fen"),
            "compound_interest_fen",
            due_now.alias("total_due_fen"),
            pl.col("dpd").cast(pl.Int64).alias("days_overdue"),
            pl.coalesce("not_before", "planned_at").alias("not_before"),
        )
        .sort("borrower_id", "action_key", "channel")
    )
