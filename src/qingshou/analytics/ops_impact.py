"""What collection cost and what the overdue book does to cash and to the people who work it (issue 7):
recovery by bucket cohort, legal action and disposal, the contractual cash-flow gap with expected recoveries,
cost to collect, and operating pressure (docs/metrics.md "Collection operations and impact").

Pure functions of ``OpsFrames`` and the attributed payments of ``ops_contacts``; money in integer fen, the
expected recoveries in exact integer arithmetic (a handful of buckets, no per-loan Python).
"""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction
from itertools import pairwise
from typing import Final

import polars as pl

from qingshou.analytics.contract import DTYPES, TABLES, Table, empty_table
from qingshou.analytics.ops_frames import OpsFrames, OpsSettings
from qingshou.domain.schedule import add_months

#: Items of ``legal_and_disposal`` (label, English) in the report's order.
LEGAL_ITEMS: Final = (
    ("新立法务案件", "new legal cases"),
    ("判决（裁决、裁定）", "judgments (awards, orders)"),
    ("终结本次执行（终本）", "enforcement terminated without assets (终本)"),
    ("保全措施（含续行）", "preservation measures (incl. renewals)"),
    ("诉讼及实现债权费用", "legal costs posted"),
    ("抵押物处置回收", "collateral disposal proceeds"),
    ("核销", "write-offs"),
    ("核销后回收", "recovery after write-off"),
)
COST_ITEMS: Final = (
    ("委外佣金", "agency commission"),
    ("法务费用", "legal costs"),
    ("短信", "SMS"),
    ("信函", "letters"),
    ("电子邮件", "e-mail"),
    ("人工（联系）", "staff time (contacts)"),
    ("合计", "total"),
)
PRESSURE_ITEMS: Final = (
    ("在案案件（已分配催收员）", "open cases with a collector"),
    ("人均在案案件", "open cases per collector"),
    ("超出容量的催收员", "collectors above their cap"),
    ("未分配的在案案件", "open cases with nobody"),
    ("委外在案案件", "cases placed with agencies"),
    ("积压案件", "backlog: open cases untouched"),
    ("未来30天法律期限", "legal deadlines in the next 30 days"),
    ("未来30天诉讼时效届满", "limitation expiries in the next 30 days"),
)
LABELS_EN: Final = dict(LEGAL_ITEMS + COST_ITEMS + PRESSURE_ITEMS)
_FAR: Final = pl.date(9999, 12, 31)


def _typed(key: str, frame: pl.DataFrame) -> Table:
    return Table(
        key, frame.select(pl.col(column.name).cast(DTYPES[column.kind]) for column in TABLES[key].columns)
    )


def _ratio(numerator: str, denominator: str) -> pl.Expr:
    return (
        pl.when(pl.col(denominator) > 0)
        .then(pl.col(numerator).cast(pl.Float64) / pl.col(denominator).cast(pl.Float64))
        .otherwise(None)
    )


def _bucket_order(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sort(pl.col("bucket").str.extract(r"(\d+)").cast(pl.Int64, strict=False), "bucket")


# --- recovery by bucket cohort ------------------------------------------------------------------------------


def cohort_flows(start: pl.DataFrame, cash: pl.DataFrame) -> pl.DataFrame:
    """Loans delinquent in the ``start`` snapshot by bucket: ``loans``, ``overdue_fen`` and ``collected_fen``
    (``cash``: ``loan_id``, ``amount_fen`` paid after the snapshot)."""
    paid = cash.group_by("loan_id").agg(pl.col("amount_fen").sum())
    return (
        start.filter(pl.col("delinquent"))
        .join(paid, on="loan_id", how="left")
        .group_by("bucket")
        .agg(
            pl.len().alias("loans"),
            pl.col("total_overdue_fen").sum().alias("overdue_fen"),
            pl.col("amount_fen").fill_null(0).sum().alias("collected_fen"),
        )
    )


def recovery_by_cohort(frames: OpsFrames) -> Table:
    """Loans delinquent at the previous month-end by their bucket then: cash collected on them in the month up
    to ``as_of`` (recovery rate = collected / overdue then) and cures (not delinquent at ``as_of``)."""
    previous, current = frames.previous(), frames.current()
    if previous is None or current is None:
        return empty_table("recovery_by_cohort")
    as_of = frames.history[-1][0]
    start = previous[1]
    cash = frames.history_cash.filter(pl.col("end") == as_of)
    flows = cohort_flows(start, cash)
    cured = (
        start.filter(pl.col("delinquent"))
        .join(current.select("loan_id", pl.col("delinquent").alias("_now")), on="loan_id", how="inner")
        .filter(~pl.col("_now"))
        .group_by("bucket")
        .agg(pl.len().alias("cured"))
    )
    frame = _bucket_order(
        flows.join(cured, on="bucket", how="left").with_columns(pl.col("cured").fill_null(0))
    ).select(
        "bucket",
        "loans",
        "overdue_fen",
        "collected_fen",
        _ratio("collected_fen", "overdue_fen").alias("recovery_rate"),
        "cured",
        _ratio("cured", "loans").alias("cure_rate"),
    )
    return _typed("recovery_by_cohort", frame)


# --- cash flow -------------------------------------------------------------------------------------------


def historical_rates(frames: OpsFrames) -> dict[str, Fraction]:
    """Each bucket's monthly recovery rate over the history: Σ cash collected in month t on the loans delinquent
    in the bucket at the end of month t−1 / Σ their overdue then (at most 1); consecutive months only."""
    pairs = []
    for (start_day, start), (end, _frame) in pairwise(frames.history):
        if end.replace(day=1) != add_months(start_day.replace(day=1), 1):
            continue  # a month missing in the lake: no month's flow to measure
        cash = frames.history_cash.filter(pl.col("end") == end)
        pairs.append(cohort_flows(start, cash))
    if not pairs:
        return {}
    summed = (
        pl.concat(pairs).group_by("bucket").agg(pl.col("overdue_fen").sum(), pl.col("collected_fen").sum())
    )
    rates = {}
    for bucket, overdue, collected in summed.select("bucket", "overdue_fen", "collected_fen").iter_rows():
        if overdue and overdue > 0:
            rates[bucket] = Fraction(min(int(collected), int(overdue)), int(overdue))
    return rates


def _half_up(value: Fraction) -> int:
    whole, part = divmod(value.numerator, value.denominator)
    return whole + (1 if 2 * part >= value.denominator else 0)


def expected_recoveries(frames: OpsFrames, months: int = 3) -> list[int]:
    """Expected cash of each of the next ``months`` months: Σ over buckets of overdue_b(as_of) × r_b ×
    (1 − r_b)^(k−1) for month k (the bucket's overdue shrinks by what it recovered), rounded half-up per
    month. Empty when there is no current snapshot."""
    current = frames.current()
    if current is None:
        return []
    rates = historical_rates(frames)
    overdue = dict(
        current.filter(pl.col("delinquent"))
        .group_by("bucket")
        .agg(pl.col("total_overdue_fen").sum())
        .iter_rows()
    )
    out = []
    for k in range(1, months + 1):
        total = sum(
            (
                Fraction(int(amount)) * rate * (1 - rate) ** (k - 1)
                for bucket, amount in overdue.items()
                if (rate := rates.get(bucket)) is not None
            ),
            Fraction(0),
        )
        out.append(_half_up(total))
    return out


def _by_month(frame: pl.DataFrame) -> dict[date, int]:
    return {
        month: int(amount)
        for month, amount in frame.group_by(pl.col("day").dt.truncate("1mo").alias("month"))
        .agg(pl.col("amount_fen").sum())
        .iter_rows()
    }


def cash_flow(frames: OpsFrames) -> Table:
    """The last 12 months (principal + interest contractually due in the month vs cash collected, and the
    gap) and the next 3 (contractually due and the expected recoveries)."""
    first = frames.period.start
    due = _by_month(frames.due_by_day)
    cash = _by_month(frames.cash_by_day)
    rows: list[tuple[date, int, int | None, int | None, int | None]] = []
    for back in range(11, -1, -1):
        month = add_months(first, -back)
        contractual, collected = due.get(month, 0), cash.get(month, 0)
        rows.append((month, contractual, collected, contractual - collected, None))
    for ahead, expected in enumerate(expected_recoveries(frames), start=1):
        month = add_months(first, ahead)
        rows.append((month, due.get(month, 0), None, None, expected))
    frame = pl.DataFrame(
        rows,
        schema={
            "month": pl.Date,
            "contractual_fen": pl.Int64,
            "collected_fen": pl.Int64,
            "gap_fen": pl.Int64,
            "expected_fen": pl.Int64,
        },
        orient="row",
    )
    return _typed("cash_flow", frame)


# --- legal and disposal ------------------------------------------------------------------------------------


def _in(column: str, frames: OpsFrames) -> pl.Expr:
    return pl.col(column).is_between(frames.period.start, frames.period.end)


def _count_sum(frame: pl.DataFrame, amount: str) -> tuple[int, int]:
    return frame.height, int(frame.get_column(amount).fill_null(0).sum()) if frame.height else 0


def after_writeoff(frames: OpsFrames) -> pl.DataFrame:
    """The period's cash payments on loans written off before the payment day (账销案存)."""
    return frames.payments.join(frames.writeoffs.select("loan_id", "written_off_on"), on="loan_id").filter(
        pl.col("paid_on") > pl.col("written_off_on")
    )


def legal_and_disposal(frames: OpsFrames) -> Table:
    """The month's legal and disposal activity (items in ``LEGAL_ITEMS``)."""
    legal = frames.legal_cases
    values = (
        _count_sum(legal.filter(_in("opened_on", frames)), "claim_fen"),
        _count_sum(legal.filter(_in("judgment_on", frames)), "judgment_fen"),
        _count_sum(legal.filter(_in("closed_on", frames) & (pl.col("outcome") == "terminated")), "claim_fen"),
        _count_sum(frames.preservations.filter(_in("start_on", frames)), "amount_fen"),
        _count_sum(frames.costs.filter(_in("posted_on", frames)), "amount_fen"),
        _count_sum(frames.disposals.filter(_in("closed_on", frames)), "applied_fen"),
        _count_sum(frames.writeoffs.filter(_in("written_off_on", frames)), "amount_fen"),
        _count_sum(after_writeoff(frames), "amount_fen"),
    )
    frame = pl.DataFrame(
        [(label, count, amount) for (label, _en), (count, amount) in zip(LEGAL_ITEMS, values, strict=True)],
        schema={"item": pl.String, "count": pl.Int64, "amount_fen": pl.Int64},
        orient="row",
    )
    return _typed("legal_and_disposal", frame)


# --- cost to collect -----------------------------------------------------------------------------------------


def _sum(frame: pl.DataFrame, column: str) -> int:
    return int(frame.get_column(column).fill_null(0).sum()) if frame.height else 0


def legal_recovered(frames: OpsFrames, payments: pl.DataFrame) -> int:
    """Cash in the period on loans covered by a legal case opened on or before the payment day."""
    covered = frames.legal_loans.join(
        frames.legal_cases.select("legal_case_id", "opened_on"), on="legal_case_id"
    )
    hits = (
        payments.join(covered, on="loan_id")
        .filter(pl.col("opened_on") <= pl.col("paid_on"))
        .unique("payment_id")
    )
    return _sum(hits, "amount_fen")


def cost_to_collect(
    frames: OpsFrames, contacts: pl.DataFrame, payments: pl.DataFrame, settings: OpsSettings
) -> Table:
    """Each lever's cost in the period against the cash it touched (docs/metrics.md): agency commission vs
    what the agencies recovered (the statement), legal costs vs cash on loans under legal action, notices sent
    × unit price vs cash whose last touch was that channel, in-house staff time (contacts × unit cost) vs cash
    whose last person touch was an in-house collector; the total against all cash collected on cases."""
    sent = frames.sent.filter(_in("sent_on", frames))
    sent_count = dict(sent.group_by("channel").agg(pl.len()).iter_rows())
    by_channel = dict(payments.group_by("channel").agg(pl.col("amount_fen").sum()).iter_rows())
    in_house = frames.users.filter(pl.col("agency_id").is_null()).get_column("username")
    staff = contacts.filter(
        _in("local_day", frames) & (pl.col("initiator") == "user") & pl.col("agency_id").is_null()
    )
    visits = staff.filter(pl.col("channel") == "visit").height
    staff_cost = visits * settings.visit_fen + (staff.height - visits) * settings.contact_fen
    staff_recovered = _sum(payments.filter(pl.col("collector").is_in(in_house.implode())), "amount_fen")
    rows = [
        (_sum(frames.commission, "commission_fen"), _sum(frames.commission, "recovered_fen")),
        (
            _sum(frames.costs.filter(_in("posted_on", frames)), "amount_fen"),
            legal_recovered(frames, payments),
        ),
        (sent_count.get("sms", 0) * settings.sms_fen, int(by_channel.get("sms", 0) or 0)),
        (sent_count.get("letter", 0) * settings.letter_fen, int(by_channel.get("letter", 0) or 0)),
        (sent_count.get("email", 0) * settings.email_fen, int(by_channel.get("email", 0) or 0)),
        (staff_cost, staff_recovered),
    ]
    rows.append((sum(cost for cost, _ in rows), _sum(payments, "amount_fen")))
    frame = pl.DataFrame(
        [(label, cost, recovered) for (label, _en), (cost, recovered) in zip(COST_ITEMS, rows, strict=True)],
        schema={"category": pl.String, "cost_fen": pl.Int64, "recovered_fen": pl.Int64},
        orient="row",
    ).with_columns(_ratio("cost_fen", "recovered_fen").alias("cost_ratio"))
    return _typed("cost_to_collect", frame)


# --- operating pressure ----------------------------------------------------------------------------------------


def open_cases(frames: OpsFrames) -> pl.DataFrame:
    """Cases open at the end of ``as_of`` (closed on a later day or not at all)."""
    end = frames.period.end
    return frames.cases.filter((pl.col("opened_on") <= end) & (pl.col("closed_on").fill_null(_FAR) > end))


def legal_deadlines(frames: OpsFrames, horizon: int) -> int:
    """Deadlines of open legal cases (the legal app's kinds: hearing, preservation expiry, enforcement
    application, limitation of the loans under the case) still ahead on ``as_of`` (due on or after it) whose
    day to act by is within ``horizon`` days."""
    end = frames.period.end
    last = end + timedelta(days=horizon)
    legal = frames.legal_cases.filter(pl.col("stage") != "closed")
    ahead = (pl.col("due") >= end) & (pl.col("act_by") <= last)
    hearings = legal.filter(pl.col("stage").is_in(["accepted", "hearing"])).select(
        pl.col("hearing_on").alias("due"), pl.col("hearing_on").alias("act_by")
    )
    enforcement = legal.filter(pl.col("stage") == "effective").select(
        pl.col("enforcement_due_on").alias("due"), pl.col("enforcement_due_on").alias("act_by")
    )
    measures = frames.preservations.filter(pl.col("in_force")).join(
        legal.select("legal_case_id"), on="legal_case_id", how="semi"
    )
    preservation = measures.select(
        pl.col("expires_on").alias("due"), pl.col("renewal_due_on").alias("act_by")
    )
    current = frames.current()
    limitation = pl.DataFrame(schema={"due": pl.Date, "act_by": pl.Date})
    if current is not None:
        limitation = (
            frames.legal_loans.join(legal.select("legal_case_id"), on="legal_case_id", how="semi")
            .join(current.select("loan_id", "limitation_expires_on"), on="loan_id")
            .select(
                pl.col("limitation_expires_on").alias("due"), pl.col("limitation_expires_on").alias("act_by")
            )
        )
    every = pl.concat([hearings, enforcement, preservation, limitation])
    return every.filter(ahead).height


def limitation_expiries(frames: OpsFrames, horizon: int) -> int:
    """Loans with an amount overdue at ``as_of`` whose limitation expires within ``horizon`` days (on or after
    ``as_of``)."""
    current = frames.current()
    if current is None:
        return 0
    end = frames.period.end
    return current.filter(
        (pl.col("total_overdue_fen") > 0)
        & pl.col("limitation_expires_on").is_between(end, end + timedelta(days=horizon))
    ).height


def _half_up_div(numerator: int, denominator: int) -> int | None:
    return _half_up(Fraction(numerator, denominator)) if denominator else None


def operating_pressure(frames: OpsFrames, contacts: pl.DataFrame, settings: OpsSettings) -> Table:
    """Workload against capacity, backlog, and the legal clocks ahead (items in ``PRESSURE_ITEMS``)."""
    end = frames.period.end
    cases = open_cases(frames)
    collectors = frames.users.filter(pl.col("is_collector") & pl.col("agency_id").is_null())
    load = collectors.join(
        cases.group_by("collector").agg(pl.len().alias("open")),
        left_on="username",
        right_on="collector",
        how="left",
    ).with_columns(pl.col("open").fill_null(0))
    people = collectors.height
    assigned = _sum(load, "open")
    capacity = _sum(load, "max_open_cases")
    over = load.filter(pl.col("open") > pl.col("max_open_cases")).height
    nobody = cases.filter(pl.col("collector").is_null() & pl.col("agency_id").is_null()).height
    placed = frames.placements.filter((pl.col("placed_on") <= end) & (pl.col("ends_on") >= end)).height
    recent = contacts.filter(
        pl.col("local_day").is_between(end - timedelta(days=settings.backlog_days - 1), end)
    )
    old_enough = cases.filter(pl.col("opened_on") <= end - timedelta(days=settings.backlog_days))
    backlog = old_enough.join(recent.select("borrower_id").unique(), on="borrower_id", how="anti").height
    rows = [
        (assigned, capacity),
        (_half_up_div(assigned, people), _half_up_div(capacity, people)),
        (over, people),
        (nobody, cases.height),
        (placed, _sum(frames.agencies, "capacity")),
        (backlog, cases.height),
        (legal_deadlines(frames, settings.horizon_days), None),
        (limitation_expiries(frames, settings.horizon_days), None),
    ]
    utilisation = [value / cap if value is not None and cap else None for value, cap in rows]
    utilisation[1] = assigned / capacity if people and capacity else None
    frame = pl.DataFrame(
        [
            (label, value, cap, ratio)
            for (label, _en), (value, cap), ratio in zip(PRESSURE_ITEMS, rows, utilisation, strict=True)
        ],
        schema={"item": pl.String, "value": pl.Int64, "capacity": pl.Int64, "utilisation": pl.Float64},
        orient="row",
    )
    return _typed("operating_pressure", frame)
