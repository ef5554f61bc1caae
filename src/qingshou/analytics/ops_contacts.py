"""What collection did in the month, and what it achieved: contacts, right-party contacts, promises, kept
promises and cash collected — by contact channel, treatment path and arm, team, collector and agency — and
champion vs challenger cure rates with a Wilson interval and each challenger's difference from the champion
with Newcombe's interval (issues 7 and 8, docs/metrics.md "Collection operations and impact").

Every fact of the month (a contact that happened, a promise taken, a promise falling due, a cash payment) is
attributed once (``facts``), then each table is one ``group_by`` of the facts by its label. Attribution:

- a **contact** to its own channel, to the person who recorded it (collector, their team, their agency) and
  to the case's treatment path and arm on its day; the engine's notices count to the channel and the path only;
- a **promise** to the person who took it, the case's path on the day taken and the channel of the last
  right-party contact (else the last contact) within ``attribution_days`` before it;
- a **cash payment** made while the borrower has a case open (the instalments of performing loans are not
  collection's doing and are left out) to the case open on the payment day (path and arm then), the agency the case was placed
  with on that day (the placement's window, as the commission statement counts it), and by last touch to the
  channel of the last contact and the collector (and team) of the last contact a person recorded within
  ``attribution_days`` before it (the case row keeps only today's collector, attempts keep who really worked it).
"""

from __future__ import annotations

import math
from typing import Final

import polars as pl

from qingshou.analytics.contract import DTYPES, TABLES, Table
from qingshou.analytics.ops_frames import OpsFrames, OpsSettings
from qingshou.risk.evaluation import arm_differences

#: Contact channels as the report shows them; ``NO_CONTACT`` is cash with no contact in the window.
CHANNEL_LABELS: Final = {
    "call": "电话",
    "sms": "短信",
    "email": "电子邮件",
    "letter": "信函",
    "visit": "外访",
}
NO_CONTACT: Final = "无接触"
UNASSIGNED: Final = "未分配"
NOT_PLACED: Final = "未委外"
#: The English of the labels this module writes (the renderer's ``--lang en`` may use it).
LABELS_EN: Final = {
    "电话": "call",
    "短信": "SMS",
    "电子邮件": "e-mail",
    "信函": "letter",
    "外访": "field visit",
    NO_CONTACT: "no contact",
    UNASSIGNED: "unassigned",
    NOT_PLACED: "not placed (in-house)",
}
Z95: Final = 1.959963984540054  # the 97.5 % quantile of the standard normal

_MEASURES: Final = ("contacts", "rpc", "promises", "due", "kept", "collected_fen")
_FACT_LABELS: Final = ("channel", "path", "team", "collector", "agency")
_FAR: Final = pl.date(9999, 12, 31)


def happened(frames: OpsFrames) -> pl.DataFrame:
    """The contact attempts that happened: a person's allowed attempt with its result recorded, and an engine
    notice that the outbox handed to the gateway or the post (the same EOD day, borrower and channel)."""
    attempts = frames.attempts
    people = attempts.filter((pl.col("initiator") != "engine") & (pl.col("result") != ""))
    sent = frames.sent.select(pl.col("as_of").alias("_eod"), "borrower_id", "channel").unique()
    engine = (
        attempts.filter(pl.col("initiator") == "engine")
        .with_columns(pl.col("initiator_id").str.strip_prefix("eod:").str.to_date(strict=False).alias("_eod"))
        .join(sent, on=["_eod", "borrower_id", "channel"], how="semi")
        .drop("_eod")
    )
    return pl.concat([people, engine])


def with_people(contacts: pl.DataFrame, frames: OpsFrames) -> pl.DataFrame:
    """``contacts`` plus who recorded them: ``collector`` (username), ``team`` and ``agency_id``. A user is
    named by username (the case page) or by id (field visits); an ``agency`` initiator names the agency."""
    users = frames.users
    by_name = users.select(
        pl.col("username").alias("_key"), pl.col("username").alias("_n"), "team", "agency_id"
    )
    by_id = users.select(
        pl.col("user_id").cast(pl.String).alias("_key"),
        pl.col("username").alias("_n2"),
        pl.col("team").alias("_t2"),
        pl.col("agency_id").alias("_a2"),
    )
    joined = contacts.join(by_name, left_on="initiator_id", right_on="_key", how="left").join(
        by_id, left_on="initiator_id", right_on="_key", how="left"
    )
    user = pl.col("initiator") == "user"
    agency = pl.col("initiator") == "agency"
    return joined.with_columns(
        pl.when(user).then(pl.coalesce("_n", "_n2", "initiator_id")).alias("collector"),
        pl.when(user).then(pl.coalesce("team", "_t2")).alias("team"),
        pl.when(user)
        .then(pl.coalesce("agency_id", "_a2"))
        .when(agency)
        .then(pl.col("initiator_id"))
        .alias("agency_id"),
    ).drop("_n", "_n2", "_t2", "_a2")


def case_on_day(frame: pl.DataFrame, day: str, frames: OpsFrames) -> pl.DataFrame:
    """``frame`` plus ``case_id``: the borrower's case open on ``day`` (null when none)."""
    indexed = frame.with_row_index("_r")
    cases = frames.cases.select("case_id", "borrower_id", "opened_on", "closed_on")
    matched = (
        indexed.select("_r", "borrower_id", day)
        .join(cases, on="borrower_id", how="inner")
        .filter((pl.col("opened_on") <= pl.col(day)) & (pl.col(day) <= pl.col("closed_on").fill_null(_FAR)))
        .sort("opened_on")
        .unique("_r", keep="last")
        .select("_r", "case_id")
    )
    return indexed.join(matched, on="_r", how="left").sort("_r").drop("_r")


def assignment_on_day(frame: pl.DataFrame, day: str, frames: OpsFrames) -> pl.DataFrame:
    """``frame`` (with ``case_id``) plus the case's ``segment``, ``path`` and ``arm`` on ``day``: the last
    opened / assigned event on or before it, else the case's current assignment."""
    indexed = frame.with_row_index("_r")
    events = frames.events.sort("as_of").rename({"segment": "_s", "path": "_p", "arm": "_a"})
    keyed = indexed.filter(pl.col("case_id").is_not_null()).select("_r", "case_id", day).sort(day)
    found = keyed.join_asof(
        events, left_on=day, right_on="as_of", by="case_id", strategy="backward", check_sortedness=False
    ).select("_r", "_s", "_p", "_a")
    current = frames.cases.select("case_id", "segment", "path", "arm")
    return (
        indexed.join(found, on="_r", how="left")
        .join(current, on="case_id", how="left")
        .with_columns(
            pl.coalesce("_s", "segment").alias("segment"),
            pl.coalesce("_p", "path").alias("path"),
            pl.coalesce("_a", "arm").alias("arm"),
        )
        .sort("_r")
        .drop("_r", "_s", "_p", "_a")
    )


def last_touch(
    frame: pl.DataFrame, day: str, touches: pl.DataFrame, columns: list[str], days: int, prefix: str
) -> pl.DataFrame:
    """``frame`` plus ``columns`` of the borrower's last touch (``touches``: ``borrower_id``, ``local_day``,
    ``attempt_id`` and ``columns``) on or at most ``days`` days before ``day``, named ``prefix + column``."""
    indexed = frame.with_row_index("_r")
    last = (
        touches.sort("borrower_id", "local_day", "attempt_id")
        .unique(["borrower_id", "local_day"], keep="last", maintain_order=True)
        .select("borrower_id", "local_day", *[pl.col(name).alias(prefix + name) for name in columns])
        .sort("local_day")
    )
    keyed = indexed.select("_r", "borrower_id", day).sort(day)
    found = keyed.join_asof(
        last,
        left_on=day,
        right_on="local_day",
        by="borrower_id",
        strategy="backward",
        tolerance=f"{days}d",
        check_sortedness=False,
    ).select("_r", *[prefix + name for name in columns])
    return indexed.join(found, on="_r", how="left").sort("_r").drop("_r")


def _channel_label(column: str) -> pl.Expr:
    return (
        pl.col(column)
        .replace_strict(CHANNEL_LABELS, default=pl.col(column), return_dtype=pl.String)
        .fill_null(NO_CONTACT)
    )


def _path_label() -> pl.Expr:
    path = pl.col("path").fill_null("")
    arm = pl.col("arm").fill_null("")
    return (
        pl.when(path == "")
        .then(pl.lit(UNASSIGNED))
        .when(arm == "")
        .then(path)
        .otherwise(pl.concat_str(path, pl.lit(" / "), arm))
    )


def _agency_names(frames: OpsFrames) -> dict[str, str]:
    names = dict(frames.agencies.select("agency_id", "agency").iter_rows())
    names.update(dict(frames.placements.select("agency_id", "agency").unique("agency_id").iter_rows()))
    return {key: value or key for key, value in names.items()}


def _measures(**values: pl.Expr | int) -> list[pl.Expr]:
    out = []
    for name in _MEASURES:
        value = values.get(name, 0)
        expr = value if isinstance(value, pl.Expr) else pl.lit(value)
        out.append(expr.cast(pl.Int64).alias(name))
    return out


def contact_facts(frames: OpsFrames, contacts: pl.DataFrame) -> pl.DataFrame:
    """One fact per contact that happened in the period."""
    period = frames.period
    rows = contacts.filter(pl.col("local_day").is_between(period.start, period.end))
    rows = assignment_on_day(case_on_day(rows, "local_day", frames), "local_day", frames)
    rpc = (pl.col("result") == "connected") & (pl.col("party_kind") == "debtor")
    return rows.select(
        "case_id",
        (pl.col("initiator") == "engine").alias("engine"),
        _channel_label("channel").alias("channel"),
        _path_label().alias("path"),
        "team",
        "collector",
        "agency_id",
        *_measures(contacts=1, rpc=rpc),
    )


def _people(frame: pl.DataFrame, who: str, frames: OpsFrames) -> pl.DataFrame:
    users = frames.users.select(pl.col("username").alias(who), "team", "agency_id")
    return frame.join(users, on=who, how="left")


def promise_facts(frames: OpsFrames, contacts: pl.DataFrame, settings: OpsSettings) -> pl.DataFrame:
    """One fact per promise taken in the period and one per promise falling due in it (evaluated)."""
    period = frames.period
    promises = frames.promises
    if frames.by_case_only:
        promises = promises.join(frames.cases.select("case_id"), on="case_id", how="semi")
    rpc = contacts.filter((pl.col("result") == "connected") & (pl.col("party_kind") == "debtor"))
    base = _people(promises.rename({"created_by": "collector"}), "collector", frames)
    base = last_touch(base, "taken_on", rpc, ["channel"], settings.attribution_days, "rpc_")
    base = last_touch(base, "taken_on", contacts, ["channel"], settings.attribution_days, "any_")
    base = assignment_on_day(base, "taken_on", frames).with_columns(
        pl.coalesce("rpc_channel", "any_channel").alias("channel")
    )
    labels: list[str | pl.Expr] = [
        "case_id",
        pl.lit(False).alias("engine"),
        _channel_label("channel").alias("channel"),
        _path_label().alias("path"),
        "team",
        "collector",
        "agency_id",
    ]
    taken = base.filter(pl.col("taken_on").is_between(period.start, period.end)).select(
        *labels, *_measures(promises=1)
    )
    falling_due = base.filter(
        pl.col("due_on").is_between(period.start, period.end) & (pl.col("status") != "pending")
    ).select(*labels, *_measures(due=1, kept=pl.col("status") == "kept"))
    return pl.concat([taken, falling_due])


def attributed_payments(frames: OpsFrames, contacts: pl.DataFrame, settings: OpsSettings) -> pl.DataFrame:
    """The period's cash collected in collection — payments on a borrower's loans while the borrower's case is
    open (the payment that cures it included) — with their attribution (module docstring): ``case_id``, ``segment``,
    ``path``, ``arm``, ``agency_id`` (placement), ``channel`` and ``collector`` / ``team`` (last touch)."""
    rows = case_on_day(frames.payments, "paid_on", frames).filter(pl.col("case_id").is_not_null())
    rows = assignment_on_day(rows, "paid_on", frames)
    placed = (
        rows.with_row_index("_r")
        .select("_r", "case_id", "paid_on")
        .join(frames.placements.select("case_id", "agency_id", "placed_on", "ends_on"), on="case_id")
        .filter(pl.col("paid_on").is_between(pl.col("placed_on"), pl.col("ends_on")))
        .unique("_r", keep="first")
        .select("_r", "agency_id")
    )
    rows = rows.with_row_index("_r").join(placed, on="_r", how="left").sort("_r").drop("_r")
    people = contacts.filter(pl.col("collector").is_not_null())
    rows = last_touch(rows, "paid_on", contacts, ["channel"], settings.attribution_days, "touch_")
    rows = last_touch(rows, "paid_on", people, ["collector", "team"], settings.attribution_days, "")
    return rows.rename({"touch_channel": "channel"})


def payment_facts(payments: pl.DataFrame) -> pl.DataFrame:
    return payments.select(
        "case_id",
        pl.lit(False).alias("engine"),
        _channel_label("channel").alias("channel"),
        _path_label().alias("path"),
        "team",
        "collector",
        "agency_id",
        *_measures(collected_fen=pl.col("amount_fen")),
    )


def facts(frames: OpsFrames, settings: OpsSettings) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Every attributed fact of the period (contacts, promises, cash), the attributed payments and the
    contacts that happened (with who recorded them; only the filtered cases' borrowers under a team filter)."""
    contacts = with_people(happened(frames), frames)
    if frames.by_case_only:
        contacts = contacts.join(frames.cases.select("borrower_id").unique(), on="borrower_id", how="semi")
    contact_rows = contact_facts(frames, contacts)
    if frames.by_case_only:
        contact_rows = contact_rows.filter(pl.col("case_id").is_not_null())
    payments = attributed_payments(frames, contacts, settings)
    names = _agency_names(frames)
    all_facts = pl.concat(
        [contact_rows, promise_facts(frames, contacts, settings), payment_facts(payments)], how="vertical"
    ).with_columns(pl.col("agency_id").replace_strict(names, default=pl.col("agency_id")).alias("agency"))
    return all_facts, payments, contacts


def _ratio(numerator: str, denominator: str) -> pl.Expr:
    return (
        pl.when(pl.col(denominator) > 0)
        .then(pl.col(numerator).cast(pl.Float64) / pl.col(denominator).cast(pl.Float64))
        .otherwise(None)
    )


def ops_table(key: str, all_facts: pl.DataFrame, label: str, *, people_only: bool, missing: str) -> Table:
    """One ``ops_by_*`` table: the facts grouped by ``label`` (null → ``missing``); ``people_only`` leaves the
    engine's notices out (they belong to no collector, team or agency)."""
    spec = TABLES[key]
    rows = all_facts.filter(~pl.col("engine")) if people_only else all_facts
    grouped = (
        rows.with_columns(pl.col(label).fill_null(missing).alias("_label"))
        .group_by("_label")
        .agg(pl.col(name).sum() for name in _MEASURES)
        .with_columns((pl.col("_label") == missing).alias("_last"))
        .sort("_last", "_label")
    )
    name = spec.columns[0].name
    frame = grouped.select(
        pl.col("_label").alias(name),
        "contacts",
        pl.col("rpc").alias("right_party_contacts"),
        _ratio("rpc", "contacts").alias("rpc_rate"),
        "promises",
        _ratio("promises", "rpc").alias("promise_rate"),
        pl.col("kept").alias("promises_kept"),
        _ratio("kept", "due").alias("kept_rate"),
        "collected_fen",
    )
    return Table(key, _typed(key, frame))


def _typed(key: str, frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(pl.col(column.name).cast(DTYPES[column.kind]) for column in TABLES[key].columns)


def ops_tables(all_facts: pl.DataFrame) -> dict[str, Table]:
    """The five ``ops_by_*`` tables."""
    tables = (
        ops_table("ops_by_channel", all_facts, "channel", people_only=False, missing=NO_CONTACT),
        ops_table("ops_by_path", all_facts, "path", people_only=False, missing=UNASSIGNED),
        ops_table("ops_by_team", all_facts, "team", people_only=True, missing=UNASSIGNED),
        ops_table("ops_by_collector", all_facts, "collector", people_only=True, missing=UNASSIGNED),
        ops_table("ops_by_agency", all_facts, "agency", people_only=True, missing=NOT_PLACED),
    )
    return {table.key: table for table in tables}


def totals(all_facts: pl.DataFrame) -> dict[str, int]:
    """The period's totals over every fact (contacts of people and the engine alike)."""
    row = all_facts.select(pl.col(name).sum() for name in _MEASURES).row(0, named=True)
    return {name: int(row[name] or 0) for name in _MEASURES}


def wilson(successes: int, trials: int, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval of ``successes`` / ``trials`` (None when there are no trials)."""
    if trials <= 0:
        return None
    p = successes / trials
    z2 = z * z
    centre = p + z2 / (2 * trials)
    spread = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials))
    scale = 1 + z2 / trials
    return max(0.0, (centre - spread) / scale), min(1.0, (centre + spread) / scale)


def wilson_exprs(successes: str, trials: str, z: float = Z95) -> tuple[pl.Expr, pl.Expr]:
    """``wilson`` as Polars expressions (null when ``trials`` is 0)."""
    n = pl.col(trials).cast(pl.Float64)
    p = pl.col(successes).cast(pl.Float64) / n
    z2 = z * z
    centre = p + z2 / (2 * n)
    spread = z * (p * (1 - p) / n + z2 / (4 * n * n)).sqrt()
    scale = 1 + z2 / n
    ok = pl.col(trials) > 0
    low = pl.when(ok).then(((centre - spread) / scale).clip(0.0, 1.0)).otherwise(None)
    high = pl.when(ok).then(((centre + spread) / scale).clip(0.0, 1.0)).otherwise(None)
    return low, high


def champion_challenger(frames: OpsFrames, payments: pl.DataFrame) -> Table:
    """Cases open at some time in the period by segment and arm (their assignment at the end of the period,
    or on the day they closed): cured = closed in the period (cured or settled), with a Wilson 95 % interval;
    collected = the period's cash attributed to those cases."""
    period = frames.period
    cases = frames.cases.filter(
        (pl.col("opened_on") <= period.end) & (pl.col("closed_on").fill_null(_FAR) >= period.start)
    ).with_columns(
        pl.min_horizontal(pl.col("closed_on").fill_null(period.end), pl.lit(period.end)).alias("_day"),
        (
            pl.col("closed_on").is_between(period.start, period.end)
            & pl.col("close_reason").is_in(["cured", "settled"])
        ).alias("_cured"),
    )
    cases = assignment_on_day(cases.drop("segment", "path", "arm"), "_day", frames)
    cash = (
        payments.filter(pl.col("case_id").is_not_null()).group_by("case_id").agg(pl.col("amount_fen").sum())
    )
    low, high = wilson_exprs("cured", "cases")
    arms = (
        cases.join(cash, on="case_id", how="left")
        .with_columns(
            pl.col("segment").fill_null("").replace("", UNASSIGNED).alias("segment"),
            pl.col("arm").fill_null(""),
        )
        .group_by("segment", "arm")
        .agg(
            pl.len().alias("cases"),
            pl.col("_cured").sum().alias("cured"),
            pl.col("amount_fen").fill_null(0).sum().alias("collected_fen"),
        )
        .sort("segment", "arm")
        .select(
            "segment",
            "arm",
            "cases",
            "cured",
            _ratio("cured", "cases").alias("cure_rate"),
            low.alias("ci_low"),
            high.alias("ci_high"),
            "collected_fen",
        )
    )
    return Table("champion_challenger", _typed("champion_challenger", with_differences(arms)))


def with_differences(arms: pl.DataFrame) -> pl.DataFrame:
    """``arms`` (segment, arm, cases, cured, …) plus each challenger's ``difference`` in cure rate against its
    segment's champion and Newcombe's 95 % interval ``diff_low`` – ``diff_high`` (``risk.evaluation
    .arm_differences``); null on champion rows, on rows without an arm and in segments without a champion."""
    named = arms.filter(pl.col("arm") != "").select("segment", "arm", "cases", "cured")
    differences = arm_differences(named).select("segment", "arm", "difference", "diff_low", "diff_high")
    return arms.join(differences, on=["segment", "arm"], how="left", maintain_order="left")
