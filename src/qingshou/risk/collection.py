"""The collection score's rows: one per borrower delinquent on a day, for training and for scoring.

**Population.** The borrowers of a day's snapshot whose ``borrower_worst_dpd`` is at least 1.

**Features** (``features_on``), from the day's snapshot and the store's history up to that day
(``qingshou.risk.features.StoreHistory``; nothing dated after the day is used):

=========================  ===================================================================================
feature                    definition
=========================  ===================================================================================
``dpd``                    the borrower's worst days past due (C3)
``bucket``                 the lead loan's bucket (the strategy's lead loan: highest dpd, then overdue, then id)
``product``                the lead loan's product id
``overdue_fen``            the borrower's total overdue over all loans (fen)
``outstanding_fen``        the borrower's outstanding principal over all loans (fen)
``overdue_ratio``          overdue ÷ outstanding principal (null when nothing is outstanding)
``delinquent_loans``       how many of the borrower's loans are delinquent
``months_on_book``         whole months from the lead loan's disbursement to the day
``credit_score``           the borrower's credit score (null: unknown)
``income_ratio``           monthly income ÷ the lead loan's next scheduled installment (null: either unknown / 0)
``payments_30d/_90d``      cash payments in the last 30 / 90 days (day − 29 … day), count
``paid_30d_ratio/_90d``    the amount of those payments ÷ today's overdue
``days_since_payment``     days from the last cash payment to the day (null: never paid)
``attempts_30d``           contact attempts allowed by the compliance check in the last 30 days
``connected_30d``          of those, conversations with the right party (result ``connected``)
``promises_90d``           promises to pay taken in the last 90 days
``kept_90d/broken_90d``    of those, evaluated kept / broken on or before the day
``contactable``            1 when the debtor has a phone on file, not invalid, not do-not-contact (else 0)
=========================  ===================================================================================

**Label** (``labels_on``): 1 when the borrower *pays or cures within 30 days*: on the snapshot of day + 30
the borrower owes nothing overdue (worst dpd 0, or no overdue amount), or the cash paid in (day, day + 30]
is at least the overdue amount of the day; else 0. Without a snapshot of day + 30 (a young or sparse lake)
only the payments decide. A borrower missing from the day + 30 snapshot (every loan gone) counts as cured
only through the payments.

**Training set** (``training_set``): observation days between ``as_of − days`` and ``as_of − 30`` that the
lake holds a snapshot for, at least ``every`` days apart (``observation_days``); the time split is on the
observation day.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Final

import polars as pl

from qingshou.engine.strategy import worst_loans_first
from qingshou.lake import SnapshotNotFound, read_snapshot, snapshot_dates
from qingshou.risk.dataset import OBSERVED_ON, ROW_ID, TARGET, TrainingSet
from qingshou.risk.features import StoreHistory, next_installment_fen, ratio, read_history
from qingshou.store import Store

KIND: Final = "collection"
#: How far ahead the label looks (days).
HORIZON: Final = 30
#: The window of the contact features (days); payments and promises look back 90 days.
CONTACT_DAYS: Final = 30
EVENT: Final = "pays or cures within 30 days"
EVENT_ZH: Final = "30天内还款或自愈"

NUMERIC: Final = (
    "dpd",
    "overdue_fen",
    "outstanding_fen",
    "overdue_ratio",
    "delinquent_loans",
    "months_on_book",
    "credit_score",
    "income_ratio",
    "payments_30d",
    "payments_90d",
    "paid_30d_ratio",
    "paid_90d_ratio",
    "days_since_payment",
    "attempts_30d",
    "connected_30d",
    "promises_90d",
    "kept_90d",
    "broken_90d",
    "contactable",
)
CATEGORICAL: Final = ("bucket", "product")

#: Each feature's display name (Chinese, English): reason codes and reports show them.
LABELS: Final[Mapping[str, tuple[str, str]]] = {
    "dpd": ("逾期天数", "days past due"),
    "overdue_fen": ("逾期金额", "overdue amount"),
    "outstanding_fen": ("剩余本金", "outstanding principal"),
    "overdue_ratio": ("逾期金额占剩余本金比", "overdue ÷ outstanding principal"),
    "delinquent_loans": ("逾期贷款笔数", "delinquent loans"),
    "months_on_book": ("账龄（月）", "months on book"),
    "credit_score": ("信用评分", "credit score"),
    "income_ratio": ("月收入与应还期供比", "income ÷ next installment"),
    "payments_30d": ("近30天还款次数", "payments in the last 30 days"),
    "payments_90d": ("近90天还款次数", "payments in the last 90 days"),
    "paid_30d_ratio": ("近30天还款额占逾期比", "paid in 30 days ÷ overdue"),
    "paid_90d_ratio": ("近90天还款额占逾期比", "paid in 90 days ÷ overdue"),
    "days_since_payment": ("距上次还款天数", "days since the last payment"),
    "attempts_30d": ("近30天联系次数", "contact attempts in 30 days"),
    "connected_30d": ("近30天接通次数", "connected contacts in 30 days"),
    "promises_90d": ("近90天承诺还款次数", "promises in 90 days"),
    "kept_90d": ("近90天履约承诺", "promises kept in 90 days"),
    "broken_90d": ("近90天违约承诺", "promises broken in 90 days"),
    "contactable": ("可联系", "contactable"),
    "bucket": ("逾期阶段", "bucket"),
    "product": ("产品", "product"),
}

#: The columns of ``features_on`` (``borrower_id``, ``lead_loan_id``, the features).
FEATURE_SCHEMA: Final = {
    "borrower_id": pl.String(),
    "lead_loan_id": pl.String(),
    "dpd": pl.Int32(),
    "overdue_fen": pl.Int64(),
    "outstanding_fen": pl.Int64(),
    "overdue_ratio": pl.Float64(),
    "delinquent_loans": pl.Int32(),
    "months_on_book": pl.Int32(),
    "credit_score": pl.Int32(),
    "income_ratio": pl.Float64(),
    "payments_30d": pl.Int32(),
    "payments_90d": pl.Int32(),
    "paid_30d_ratio": pl.Float64(),
    "paid_90d_ratio": pl.Float64(),
    "days_since_payment": pl.Int32(),
    "attempts_30d": pl.Int32(),
    "connected_30d": pl.Int32(),
    "promises_90d": pl.Int32(),
    "kept_90d": pl.Int32(),
    "broken_90d": pl.Int32(),
    "contactable": pl.Int32(),
    "bucket": pl.String(),
    "product": pl.String(),
}


def delinquent_borrowers(snapshot: pl.DataFrame) -> pl.DataFrame:
    """One row per borrower delinquent in ``snapshot``: the lead loan's row and the borrower's sums."""
    loans = snapshot.filter(pl.col("borrower_worst_dpd") >= 1)
    return (
        worst_loans_first(loans)
        .group_by("borrower_id", maintain_order=True)
        .agg(
            pl.col("loan_id").first().alias("lead_loan_id"),
            pl.col("bucket").first(),
            pl.col("product_id").first().alias("product"),
            pl.col("borrower_worst_dpd").first().alias("dpd"),
            pl.col("borrower_total_overdue_fen").first().alias("overdue_fen"),
            pl.col("outstanding_principal_fen").sum().alias("outstanding_fen"),
            pl.col("borrower_overdue_loans").first().alias("delinquent_loans"),
        )
    )


def _in_window(column: str, day: date, days: int) -> pl.Expr:
    """``column`` within the ``days`` days ending on ``day`` (day − days + 1 … day)."""
    return pl.col(column).is_between(day - timedelta(days=days - 1), day)


def _payment_features(history: StoreHistory, day: date) -> pl.DataFrame:
    paid = history.payments.filter(pl.col("paid_on") <= day)
    window = (
        paid.filter(_in_window("paid_on", day, 90))
        .group_by("borrower_id")
        .agg(
            pl.col("payments").filter(_in_window("paid_on", day, 30)).sum().alias("payments_30d"),
            pl.col("payments").sum().alias("payments_90d"),
            pl.col("amount_fen").filter(_in_window("paid_on", day, 30)).sum().alias("paid_30d_fen"),
            pl.col("amount_fen").sum().alias("paid_90d_fen"),
        )
    )
    last = (
        pl.concat(
            [
                paid.group_by("borrower_id").agg(pl.col("paid_on").max().alias("last_paid_on")),
                history.earlier_payments,
            ]
        )
        .group_by("borrower_id")
        .agg(pl.col("last_paid_on").max())
    )
    return window.join(last, on="borrower_id", how="full", coalesce=True)


def _contact_features(history: StoreHistory, day: date) -> pl.DataFrame:
    return (
        history.contacts.filter(_in_window("local_day", day, CONTACT_DAYS))
        .group_by("borrower_id")
        .agg(pl.col("attempts").sum().alias("attempts_30d"), pl.col("connected").sum().alias("connected_30d"))
    )


def _promise_features(history: StoreHistory, day: date) -> pl.DataFrame:
    known = pl.col("evaluated_on").is_not_null() & (pl.col("evaluated_on") <= day)
    return (
        history.promises.filter(_in_window("taken_on", day, 90))
        .group_by("borrower_id")
        .agg(
            pl.len().alias("promises_90d"),
            ((pl.col("status") == "kept") & known).sum().alias("kept_90d"),
            ((pl.col("status") == "broken") & known).sum().alias("broken_90d"),
        )
    )


def features_on(day: date, snapshot: pl.DataFrame, history: StoreHistory) -> pl.DataFrame:
    """The features (``FEATURE_SCHEMA``) of every borrower delinquent on ``day``, sorted by borrower id.
    ``snapshot`` is the day's snapshot (``engine.schema.SNAPSHOT`` columns); ``history`` must reach ``day``."""
    history.check_day(day)
    borrowers = delinquent_borrowers(snapshot)
    lead = borrowers.select(pl.col("lead_loan_id").alias("loan_id"))
    installment = next_installment_fen(history.installments, lead, day).rename({"loan_id": "lead_loan_id"})
    disbursed = history.loans.rename({"loan_id": "lead_loan_id"})
    joined = (
        borrowers.join(disbursed, on="lead_loan_id", how="left")
        .join(installment, on="lead_loan_id", how="left")
        .join(history.borrowers, on="borrower_id", how="left")
        .join(_payment_features(history, day), on="borrower_id", how="left")
        .join(_contact_features(history, day), on="borrower_id", how="left")
        .join(_promise_features(history, day), on="borrower_id", how="left")
    )
    counts = ("payments_30d", "payments_90d", "attempts_30d", "connected_30d", "promises_90d", "kept_90d")
    months = (
        (day.year - pl.col("disbursed_on").dt.year()) * 12
        + (day.month - pl.col("disbursed_on").dt.month())
        - pl.when(pl.col("disbursed_on").dt.day() > day.day).then(1).otherwise(0)
    )
    built = joined.with_columns(
        *[pl.col(name).fill_null(0) for name in (*counts, "broken_90d")],
        ratio(pl.col("overdue_fen"), pl.col("outstanding_fen")).alias("overdue_ratio"),
        months.clip(lower_bound=0).alias("months_on_book"),
        ratio(pl.col("monthly_income_fen"), pl.col("next_installment_fen")).alias("income_ratio"),
        ratio(pl.col("paid_30d_fen").fill_null(0), pl.col("overdue_fen")).alias("paid_30d_ratio"),
        ratio(pl.col("paid_90d_fen").fill_null(0), pl.col("overdue_fen")).alias("paid_90d_ratio"),
        (pl.lit(day) - pl.col("last_paid_on")).dt.total_days().alias("days_since_payment"),
        pl.col("contactable").fill_null(False).cast(pl.Int32),
    )
    return built.select([pl.col(name).cast(dtype) for name, dtype in FEATURE_SCHEMA.items()]).sort(
        "borrower_id"
    )


def labels_on(
    day: date, borrowers: pl.DataFrame, history: StoreHistory, later: pl.DataFrame | None
) -> pl.DataFrame:
    """``borrower_id`` and ``TARGET`` (module docstring) of ``borrowers`` (``borrower_id``, ``overdue_fen``
    of ``day``); ``later`` is the snapshot of day + 30 (None: the lake has none). ``history`` must reach
    day + 30."""
    end = day + timedelta(days=HORIZON)
    history.check_day(end)
    paid = (
        history.payments.filter((pl.col("paid_on") > day) & (pl.col("paid_on") <= end))
        .group_by("borrower_id")
        .agg(pl.col("amount_fen").sum().alias("paid_fen"))
    )
    rows = borrowers.select("borrower_id", "overdue_fen").join(paid, on="borrower_id", how="left")
    pays = pl.col("paid_fen").fill_null(0) >= pl.col("overdue_fen")
    if later is not None:
        cured = later.group_by("borrower_id").agg(
            (
                (pl.col("borrower_worst_dpd").max() == 0) | (pl.col("borrower_total_overdue_fen").max() == 0)
            ).alias("cured")
        )
        rows = rows.join(cured, on="borrower_id", how="left")
        pays = pays | pl.col("cured").fill_null(False)
    return rows.select("borrower_id", pays.cast(pl.Int8).alias(TARGET))


def observation_days(as_of: date, days: int, every: int, available: Iterable[date]) -> list[date]:
    """The observation days: among the ``available`` lake days from ``as_of − days`` to ``as_of − 30``, the
    first, then each next one at least ``every`` days after the one before (a daily lake gives exactly
    ``as_of − days``, every ``every`` days; a sparse one the days it has)."""
    if days < HORIZON or every < 1:
        raise ValueError(f"days must be at least {HORIZON} and every at least 1 (got {days}, {every})")
    first, last = as_of - timedelta(days=days), as_of - timedelta(days=HORIZON)
    chosen: list[date] = []
    for day in sorted(set(available)):
        if first <= day <= last and (not chosen or (day - chosen[-1]).days >= every):
            chosen.append(day)
    return chosen


def _later_snapshot(lake: Path, day: date) -> pl.DataFrame | None:
    try:
        return read_snapshot(lake, day + timedelta(days=HORIZON)).select(
            "borrower_id", "borrower_worst_dpd", "borrower_total_overdue_fen"
        )
    except SnapshotNotFound:
        return None


def rows_from(
    days: Iterable[date],
    snapshots: Mapping[date, pl.DataFrame],
    later: Mapping[date, pl.DataFrame | None],
    history: StoreHistory,
) -> pl.DataFrame:
    """The labelled rows of ``days``: ``ROW_ID`` (``borrower@day``), ``OBSERVED_ON``, features, ``TARGET``."""
    frames = []
    for day in days:
        features = features_on(day, snapshots[day], history)
        if features.height == 0:
            continue
        labelled = features.join(labels_on(day, features, history, later.get(day)), on="borrower_id")
        frames.append(
            labelled.with_columns(
                (pl.col("borrower_id") + pl.lit(f"@{day.isoformat()}")).alias(ROW_ID),
                pl.lit(day, pl.Date).alias(OBSERVED_ON),
            )
        )
    if not frames:
        return pl.DataFrame(
            schema={ROW_ID: pl.String(), OBSERVED_ON: pl.Date(), **FEATURE_SCHEMA, TARGET: pl.Int8()}
        )
    return pl.concat(frames).select(ROW_ID, OBSERVED_ON, *FEATURE_SCHEMA, TARGET).sort(OBSERVED_ON, ROW_ID)


def training_set(
    store: Store, lake: Path | str, *, as_of: date, days: int = 180, every: int = 7
) -> TrainingSet:
    """The collection score's training rows (module docstring): delinquent borrowers on the observation days,
    labelled by what they did in the next 30 days. ``ValueError`` when the lake holds none of those days."""
    root = Path(lake)
    chosen = observation_days(as_of, days, every, snapshot_dates(root))
    if not chosen:
        raise ValueError(
            f"the lake at {root} holds no snapshot between {as_of - timedelta(days=days)} and "
            f"{as_of - timedelta(days=HORIZON)} (every {every} days): run `qingshou scores history` first"
        )
    history = read_history(store, since=None, until=as_of)
    snapshots = {day: read_snapshot(root, day) for day in chosen}
    later = {day: _later_snapshot(root, day) for day in chosen}
    rows = rows_from(chosen, snapshots, later, history)
    with_later = sum(1 for frame in later.values() if frame is not None)
    return TrainingSet(
        kind=KIND,
        rows=rows,
        numeric=NUMERIC,
        categorical=CATEGORICAL,
        event=EVENT,
        event_zh=EVENT_ZH,
        event_is_good=True,
        dataset=(
            f"lake {chosen[0]}..{chosen[-1]}, {len(chosen)} day(s) every {every}; "
            f"{with_later} labelled with the day+30 snapshot, the rest by payments"
        ),
        window_from=chosen[0],
        window_to=chosen[-1],
        time_split=True,
        labels=dict(LABELS),
    )
