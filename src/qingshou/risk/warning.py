"""Early warning of current loans (issue 8): rule triggers, the model's training rows and the watch list rules.

Everything here is set-based over Polars frames and knows nothing of Django; ``qingshou.apps.warning`` reads
the store, calls these functions and writes the results.

* **Current borrower** on day D: a borrower with a loan still on the book (``payoff_amount_fen > 0``) and no
  delinquent loan (C2: an installment unpaid within grace is not delinquent; C3: a delinquent borrower is
  collection's, not early warning's).
* **Triggers** (``TRIGGERS``): each a code, a Chinese and English label and a weight (points, settings).
  ``missed_auto_debit`` — the last installment due in the last cycle was not covered by the payments made by
  the end of its due date (the auto-debit of the due date failed: C2 pays on the due date on time); it fires
  while the installment is still unpaid within grace and after a late payment that cured it.
  ``partial_payment`` — payments in the last cycle were above zero but below that installment.
  ``broken_promise`` — a promise to pay broken in the last 90 days. ``contact_changes`` — 2 or more contact
  parties added in the last 30 days besides the borrower's first (a changed phone in the extract adds a debtor
  party: the loader keeps every number). External events of the last N days: ``court_record``,
  ``enforcement_list``, ``other_bank_npl``, ``other_bank_overdue``, ``bureau_inquiries``.
* **Features** (``features``): the trigger flags and counts plus months on book, credit score, income ÷
  installment, utilisation (outstanding ÷ principal), product, days early/late of the last payments and
  external event counts — the same function serves training (``training_set``) and today's scoring.
* **Label**: the borrower is 30+ days past due (``borrower_worst_dpd ≥ 30``) on a lake snapshot within the
  next 90 days.
* **Watch list** (``watch_day``): a current borrower enters when a trigger fires or the model's probability
  reaches the threshold; an entry closes when the borrower goes delinquent (collection takes over), pays off,
  or no condition has held for ``exit_days``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Final

import polars as pl

from qingshou.lake.snapshots import SnapshotNotFound, partition_path, read_snapshot, snapshot_dates
from qingshou.risk.dataset import OBSERVED_ON, ROW_ID, TARGET, TrainingSet
from qingshou.store import Dialect, Store

KIND: Final = "early_warning"
EVENT: Final = "30+ days past due within 90 days"
EVENT_ZH: Final = "90 天内逾期 30 天以上"
#: Days ahead the label looks, and the dpd it counts as the bad outcome.
HORIZON_DAYS: Final = 90
BAD_DPD: Final = 30

# ------------------------------------------------------------------------------------------ triggers

MISSED_AUTO_DEBIT: Final = "missed_auto_debit"
PARTIAL_PAYMENT: Final = "partial_payment"
BROKEN_PROMISE: Final = "broken_promise"
CONTACT_CHANGES: Final = "contact_changes"
COURT_RECORD: Final = "court_record"
ENFORCEMENT_LIST: Final = "enforcement_list"
OTHER_BANK_NPL: Final = "other_bank_npl"
OTHER_BANK_OVERDUE: Final = "other_bank_overdue"
BUREAU_INQUIRIES: Final = "bureau_inquiries"
OTHER: Final = "other"

#: External event kinds (``qs_external_event.kind``): code → (Chinese, English). ``other`` never triggers.
EVENT_KINDS: Final[Mapping[str, tuple[str, str]]] = {
    COURT_RECORD: ("涉诉", "court record"),
    ENFORCEMENT_LIST: ("失信被执行人", "on the enforcement list"),
    OTHER_BANK_NPL: ("他行不良", "non-performing at another bank"),
    OTHER_BANK_OVERDUE: ("他行逾期", "overdue at another bank"),
    BUREAU_INQUIRIES: ("多头借贷", "many credit inquiries"),
    OTHER: ("其他", "other"),
}
#: Event kinds that are triggers (their code is the trigger's code).
TRIGGER_EVENT_KINDS: Final = (
    COURT_RECORD,
    ENFORCEMENT_LIST,
    OTHER_BANK_NPL,
    OTHER_BANK_OVERDUE,
    BUREAU_INQUIRIES,
)


@dataclass(frozen=True, slots=True)
class Trigger:
    """A rule trigger: its code, labels and default weight in points."""

    code: str
    zh: str
    en: str
    weight: int


#: Every trigger, in display order.
TRIGGERS: Final[tuple[Trigger, ...]] = (
    Trigger(MISSED_AUTO_DEBIT, "自动扣款失败", "missed auto-debit", 30),
    Trigger(PARTIAL_PAYMENT, "部分还款", "partial payment", 25),
    Trigger(BROKEN_PROMISE, "承诺还款未兑现", "broken promise", 30),
    Trigger(CONTACT_CHANGES, "频繁变更联系方式", "many contact changes", 15),
    Trigger(COURT_RECORD, "涉诉", "court record", 40),
    Trigger(ENFORCEMENT_LIST, "失信被执行人", "on the enforcement list", 60),
    Trigger(OTHER_BANK_NPL, "他行不良", "non-performing at another bank", 50),
    Trigger(OTHER_BANK_OVERDUE, "他行逾期", "overdue at another bank", 35),
    Trigger(BUREAU_INQUIRIES, "多头借贷", "many credit inquiries", 20),
)
TRIGGER_CODES: Final = tuple(trigger.code for trigger in TRIGGERS)
TRIGGER_LABELS: Final[Mapping[str, tuple[str, str]]] = {t.code: (t.zh, t.en) for t in TRIGGERS}

#: Why an entry closed.
CLOSED_CURED: Final = "cured"
CLOSED_DELINQUENT: Final = "delinquent"
CLOSED_PAID_OFF: Final = "paid_off"


class WarningSettingsError(ValueError):
    """A ``QINGSHOU_WARNING`` setting that cannot be used (the message names it)."""


@dataclass(frozen=True, slots=True)
class WarningSettings:
    """Thresholds of the rules (``QINGSHOU_WARNING``; defaults here, docs/scores.md "Early warning")."""

    #: The last cycle: installments due in (D − cycle_days, D] and payments made in it.
    cycle_days: int = 35
    #: Broken promises counted over (D − promise_days, D].
    promise_days: int = 90
    #: Contact parties added over (D − contact_days, D]; ``contact_changes`` or more fire the trigger.
    contact_days: int = 30
    contact_changes: int = 2
    #: External events that occurred over (D − event_days, D] fire their trigger.
    event_days: int = 90
    #: The model's P(30+ dpd within 90 days), in ppm, at or above which a borrower enters the list.
    entry_probability_ppm: int = 200_000
    #: An entry closes when none of its conditions has held for this many days.
    exit_days: int = 30
    #: Trigger code → points (defaults: ``TRIGGERS``).
    weights: Mapping[str, int] = field(default_factory=lambda: {t.code: t.weight for t in TRIGGERS})

    @classmethod
    def of(cls, values: Mapping[str, Any] | None) -> WarningSettings:
        """Settings from a mapping (unknown keys and bad values refused; missing keys take the defaults)."""
        base = cls()
        if not values:
            return base
        known = {name for name in cls.__dataclass_fields__ if name != "weights"}
        changes: dict[str, Any] = {}
        for name, value in values.items():
            if name == "weights":
                if not isinstance(value, Mapping):
                    raise WarningSettingsError("QINGSHOU_WARNING['weights'] must map trigger codes to points")
                unknown = sorted(set(value) - set(TRIGGER_CODES))
                if unknown:
                    raise WarningSettingsError(f"QINGSHOU_WARNING['weights']: unknown trigger(s) {unknown}")
                changes["weights"] = {
                    **base.weights,
                    **{k: _count(f"weights.{k}", v) for k, v in value.items()},
                }
            elif name in known:
                changes[name] = _count(name, value)
            else:
                raise WarningSettingsError(f"QINGSHOU_WARNING: unknown setting {name!r}")
        settings = replace(base, **changes)
        if settings.cycle_days < 1 or settings.exit_days < 1 or settings.contact_changes < 1:
            raise WarningSettingsError(
                "QINGSHOU_WARNING: cycle_days, exit_days and contact_changes must be ≥ 1"
            )
        if settings.entry_probability_ppm > 1_000_000:
            raise WarningSettingsError("QINGSHOU_WARNING['entry_probability_ppm'] must be ≤ 1000000")
        return settings


def _count(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise WarningSettingsError(f"QINGSHOU_WARNING[{name!r}] must be a whole number ≥ 0, got {value!r}")
    return value


# ------------------------------------------------------------------------------------------ facts

LOANS: Final = {
    "loan_id": pl.String(),
    "borrower_id": pl.String(),
    "product_id": pl.String(),
    "principal_fen": pl.Int64(),
    "disbursed_on": pl.Date(),
}
INSTALLMENTS: Final = {"loan_id": pl.String(), "due_date": pl.Date(), "amount_fen": pl.Int64()}
PAYMENTS: Final = {"loan_id": pl.String(), "paid_on": pl.Date(), "amount_fen": pl.Int64()}
BORROWERS: Final = {"borrower_id": pl.String(), "credit_score": pl.Int32(), "monthly_income_fen": pl.Int64()}
PROMISES: Final = {"borrower_id": pl.String(), "broken_on": pl.Date()}
PARTIES: Final = {"borrower_id": pl.String(), "party_id": pl.Int64(), "created_on": pl.Date()}
EVENTS: Final = {"borrower_id": pl.String(), "kind": pl.String(), "occurred_on": pl.Date()}


@dataclass(frozen=True, slots=True)
class Facts:
    """What the triggers and features read beside the snapshot (the whole history; each function keeps what
    happened on or before its day). ``installments``: scheduled total per installment; ``payments``: cash
    only; ``promises``: broken promises with the day they broke; ``parties``: contact parties with the day
    they were added; ``events``: external events."""

    loans: pl.DataFrame
    installments: pl.DataFrame
    payments: pl.DataFrame
    borrowers: pl.DataFrame
    promises: pl.DataFrame
    parties: pl.DataFrame
    events: pl.DataFrame

    @classmethod
    def of(cls, **frames: pl.DataFrame) -> Facts:
        """Facts with each frame cast to its schema (a frame not given: empty)."""
        schemas = {
            "loans": LOANS,
            "installments": INSTALLMENTS,
            "payments": PAYMENTS,
            "borrowers": BORROWERS,
            "promises": PROMISES,
            "parties": PARTIES,
            "events": EVENTS,
        }
        unknown = set(frames) - set(schemas)
        if unknown:
            raise TypeError(f"unknown fact frame(s): {sorted(unknown)}")
        return cls(
            **{
                name: (
                    frames[name].select([pl.col(c).cast(t) for c, t in schema.items()])
                    if name in frames
                    else pl.DataFrame(schema=schema)
                )
                for name, schema in schemas.items()
            }
        )


def _date_sql(column: str, dialect: Dialect) -> str:
    """The day of a timestamp column in SQL (SQLite keeps text; PostgreSQL casts)."""
    return f"DATE({column})" if dialect is Dialect.SQLITE else f"CAST({column} AS DATE)"


#: The day a broken promise broke: the day it was evaluated broken, else its due date.
_BROKEN_ON: Final = "COALESCE(p.evaluated_on, p.due_on)"
#: A promise with its stored status, as ``with_todays_promises`` reads it.
STORED_PROMISES: Final = {
    "promise_id": pl.Int64(),
    "borrower_id": pl.String(),
    "status": pl.String(),
    "broken_on": pl.Date(),
}


def read_side_facts(
    store: Store, *, promises_since: date | None = None, events_since: date | None = None
) -> dict[str, pl.DataFrame]:
    """Borrowers, broken promises, contact parties and external events from the store (set-based).
    ``promises_since`` / ``events_since`` narrow the broken promises (broken after that day) and the
    external events (occurred after it) to what a day's windows need (EOD); None reads every one (training)."""
    promise_window = f" AND {_BROKEN_ON} > '{promises_since.isoformat()}'" if promises_since else ""
    event_window = f" WHERE occurred_on > '{events_since.isoformat()}'" if events_since else ""
    return {
        "borrowers": store.read(
            "SELECT borrower_id, credit_score, monthly_income_fen FROM qs_borrower", BORROWERS
        ),
        "promises": store.read(
            f"SELECT c.borrower_id, {_BROKEN_ON} AS broken_on FROM qs_promise p JOIN qs_case c ON c.id = p.case_id"
            f" WHERE p.status = 'broken'{promise_window}",
            PROMISES,
        ),
        "parties": store.read(
            f"SELECT borrower_id, id AS party_id, {_date_sql('created_at', store.dialect)} AS created_on"
            " FROM qs_contact_party",
            PARTIES,
        ),
        "events": store.read(
            f"SELECT borrower_id, kind, occurred_on FROM qs_external_event{event_window}", EVENTS
        ),
    }


def read_open_promises(store: Store) -> pl.DataFrame:
    """``STORED_PROMISES`` of the promises a day's evaluation may change: pending ones, or with a pending
    instalment (the population of ``apps.cases.services.promises.EvaluatePromises``)."""
    return store.read(
        f"SELECT p.id AS promise_id, c.borrower_id, p.status, {_BROKEN_ON} AS broken_on"
        " FROM qs_promise p JOIN qs_case c ON c.id = p.case_id WHERE p.status = 'pending'"
        " OR p.id IN (SELECT promise_id FROM qs_promise_instalment WHERE status = 'pending')",
        STORED_PROMISES,
    )


def with_todays_promises(
    broken: pl.DataFrame, open_promises: pl.DataFrame, evaluated: pl.DataFrame, as_of: date
) -> pl.DataFrame:
    """The broken promises (``PROMISES``) as of the end of ``as_of``: ``broken`` (stored broken) plus those
    of ``open_promises`` (``STORED_PROMISES``) that today's evaluation (``evaluated``: ``promise_id``,
    ``status``) finds broken — they broke on ``as_of``. EOD writes the day's statuses only at the end of the
    run, so without this the trigger would see a promise broken today one day late."""
    today = (
        open_promises.filter(pl.col("status") != "broken")
        .join(evaluated.select("promise_id", pl.col("status").alias("_now")), on="promise_id", how="inner")
        .filter(pl.col("_now") == "broken")
        .select("borrower_id", pl.lit(as_of, pl.Date).alias("broken_on"))
    )
    return pl.concat([broken.select(PROMISES.keys()), today.select(PROMISES.keys())]).select(
        [pl.col(c).cast(t) for c, t in PROMISES.items()]
    )


def read_facts(store: Store) -> Facts:
    """Every fact from the store (training reads the whole history once)."""
    return Facts.of(
        loans=store.read(
            "SELECT loan_id, borrower_id, product_id, principal_fen, disbursed_on FROM qs_loan", LOANS
        ),
        installments=store.read(
            "SELECT loan_id, due_date, principal_due_fen + interest_due_fen + fee_due_fen AS amount_fen"
            " FROM qs_installment",
            INSTALLMENTS,
        ),
        payments=store.read(
            "SELECT loan_id, paid_on, amount_fen FROM qs_payment WHERE kind = 'cash'", PAYMENTS
        ),
        **read_side_facts(store),
    )


def book_facts(
    loans: pl.DataFrame, installments: pl.DataFrame, payments: pl.DataFrame
) -> dict[str, pl.DataFrame]:
    """The loan, installment and cash payment frames of an EOD book (``engine.schema``) as facts."""
    return {
        "loans": loans.select(LOANS.keys()),
        "installments": installments.select(
            "loan_id",
            "due_date",
            (pl.col("principal_due_fen") + pl.col("interest_due_fen") + pl.col("fee_due_fen")).alias(
                "amount_fen"
            ),
        ),
        "payments": payments.filter(pl.col("kind") == "cash").select(PAYMENTS.keys()),
    }


# ------------------------------------------------------------------------------------------ the day


def current_borrowers(snapshot: pl.DataFrame) -> pl.DataFrame:
    """One row per current borrower of the snapshot (module docstring): ``borrower_id``, the lead loan
    (largest outstanding principal, then smallest id) and its product, the borrower's outstanding
    principal, and the ``as_of`` of the snapshot."""
    per = snapshot.group_by("borrower_id").agg(
        (pl.col("payoff_amount_fen") > 0).any().alias("_on_book"),
        pl.col("delinquent").any().alias("_delinquent"),
        pl.col("outstanding_principal_fen").sum().alias("outstanding_principal_fen"),
    )
    lead = (
        snapshot.filter(pl.col("payoff_amount_fen") > 0)
        .sort(["borrower_id", "outstanding_principal_fen", "loan_id"], descending=[False, True, False])
        .group_by("borrower_id", maintain_order=True)
        .agg(
            pl.col("loan_id").first().alias("lead_loan_id"), pl.col("product_id").first().alias("product_id")
        )
    )
    return (
        per.filter(pl.col("_on_book") & ~pl.col("_delinquent"))
        .join(lead, on="borrower_id", how="inner")
        .select("borrower_id", "lead_loan_id", "product_id", "outstanding_principal_fen")
        .sort("borrower_id")
    )


def _has_negative(frame: pl.DataFrame) -> bool:
    return bool(frame.get_column("amount_fen").lt(0).any())


#: The scale of a loan's index in the as-of key of ``installment_timing``.
_KEY_SCALE: Final = 1 << 40


def installment_timing(
    facts: Facts, as_of: date, loan_ids: pl.Series, *, last: int | None = None
) -> pl.DataFrame:
    """Per installment due on or before ``as_of`` of ``loan_ids``: when the loan's cumulative cash payments
    (up to ``as_of``) first covered the cumulative schedule through it — ``covered_on`` (null: not yet) — and
    ``days_late`` (covered_on − due date; negative = early; not covered: as_of − due date). ``last``: only
    each loan's ``last`` installments due by ``as_of`` (their cumulative schedule still counts every one)."""
    # Set-based and without string sorts: each loan gets an integer index, and (index, cumulative amount)
    # one Int64 key (index · 2^40 + amount; 2^40 fen ≈ 11 billion yuan per loan), so one as-of join on a
    # single sorted key finds, for each installment, the first payment day whose cumulative cash covers the
    # cumulative schedule — a match in another loan means "not yet covered".
    wanted = pl.DataFrame({"loan_id": loan_ids}).unique().with_row_index("_loan")
    loan = pl.col("_loan").cast(pl.Int64)

    def key(amount: str) -> pl.Expr:
        return loan * _KEY_SCALE + pl.col(amount).clip(0, _KEY_SCALE - 1)

    def running(amount: str) -> pl.Expr:
        """The running sum of ``amount`` within each loan of a frame sorted by loan (no window groups)."""
        total = pl.col(amount).cum_sum()
        start = pl.col("_loan") != pl.col("_loan").shift(1).fill_null(-1)
        return total - pl.when(start).then(total - pl.col(amount)).forward_fill()

    due = (
        facts.installments.lazy()
        .join(wanted.lazy(), on="loan_id", how="inner")
        .filter(pl.col("due_date") <= as_of)
        .sort("_loan", "due_date")
        .with_columns(running("amount_fen").alias("cum_due"))
    )
    if last is not None:  # sorted by loan: a row is among its loan's last ones when the loan ends soon after
        due = due.filter(pl.col("_loan").shift(-last).fill_null(-1) != pl.col("_loan"))
    # with no negative amount the running sums never fall: the keys are sorted already
    due = due.with_columns(key("cum_due").alias("_key"))
    due = due.sort("_key") if _has_negative(facts.installments) else due.set_sorted("_key")
    paid = (
        facts.payments.lazy()
        .join(wanted.lazy(), on="loan_id", how="inner")
        .filter(pl.col("paid_on") <= as_of)
        .group_by("_loan", "paid_on")
        .agg(pl.col("amount_fen").sum())
        .sort("_loan", "paid_on")
        .with_columns(running("amount_fen").alias("cum_paid"))
        .select(key("cum_paid").alias("_key"), pl.col("_loan").alias("_paid_loan"), pl.col("paid_on"))
    )
    paid = paid.sort("_key", "paid_on") if _has_negative(facts.payments) else paid.set_sorted("_key")
    timed = (
        due.join_asof(paid, on="_key", strategy="forward")
        .with_columns(
            pl.when(pl.col("_paid_loan") == pl.col("_loan")).then(pl.col("paid_on")).alias("covered_on")
        )
        .collect()
    )
    late = pl.coalesce(pl.col("covered_on"), pl.lit(as_of)) - pl.col("due_date")
    return timed.with_columns(late.dt.total_days().cast(pl.Int32).alias("days_late")).select(
        "loan_id", "due_date", "amount_fen", "covered_on", "days_late"
    )


def _window(column: str, as_of: date, days: int) -> pl.Expr:
    """``column`` in (as_of − days, as_of]."""
    return (pl.col(column) > pl.lit(as_of - timedelta(days=days))) & (pl.col(column) <= pl.lit(as_of))


def features(
    snapshot: pl.DataFrame, facts: Facts, as_of: date, settings: WarningSettings | None = None
) -> pl.DataFrame:
    """One row per current borrower of ``snapshot`` on ``as_of``: ``FEATURE_COLUMNS`` — the id columns, the
    trigger flags and counts, ``triggers`` (codes joined by ``;`` in ``TRIGGERS`` order), ``rule_points``
    (the weights of the triggers that fired) and the model's features (``NUMERIC`` / ``CATEGORICAL``)."""
    config = settings or WarningSettings()
    current = current_borrowers(snapshot)
    loans = facts.loans.join(current.select("borrower_id"), on="borrower_id", how="semi")
    on_book = snapshot.filter(pl.col("payoff_amount_fen") > 0).select("loan_id")
    loans = loans.join(on_book, on="loan_id", how="semi")
    timing = installment_timing(facts, as_of, loans.get_column("loan_id"), last=3).join(
        loans.select("loan_id", "borrower_id"), on="loan_id"
    )
    cycle = timing.filter(_window("due_date", as_of, config.cycle_days))
    last = (
        cycle.sort("due_date")
        .group_by("loan_id")
        .agg(pl.col("borrower_id").last(), pl.col("amount_fen").last(), pl.col("days_late").last())
    )
    paid_in_cycle = (
        facts.payments.join(loans.select("loan_id"), on="loan_id", how="semi")
        .filter(_window("paid_on", as_of, config.cycle_days))
        .group_by("loan_id")
        .agg(pl.col("amount_fen").sum().alias("paid_fen"))
    )
    per_loan = last.join(paid_in_cycle, on="loan_id", how="left").with_columns(
        (pl.col("days_late") > 0).alias("missed"),
        (
            (pl.col("paid_fen").fill_null(0) > 0) & (pl.col("paid_fen").fill_null(0) < pl.col("amount_fen"))
        ).alias("partial"),
    )
    payment_rules = per_loan.group_by("borrower_id").agg(
        pl.col("missed").any().alias(MISSED_AUTO_DEBIT), pl.col("partial").any().alias(PARTIAL_PAYMENT)
    )
    # ``timing`` holds each loan's last 3 installments due (``last=3``)
    recent = timing.group_by("borrower_id").agg(
        pl.col("days_late").mean().alias("days_late_mean"),
        pl.col("days_late").max().cast(pl.Int32).alias("days_late_max"),
        (pl.col("days_late") > 0).sum().cast(pl.Int32).alias("late_installments"),
    )
    broken = (
        facts.promises.filter(_window("broken_on", as_of, config.promise_days))
        .group_by("borrower_id")
        .agg(pl.len().cast(pl.Int32).alias("broken_promises_90d"))
    )
    parties = facts.parties.filter(pl.col("created_on") <= as_of).sort(
        "borrower_id", "created_on", "party_id"
    )
    added = (
        parties.with_columns(pl.int_range(pl.len()).over("borrower_id").alias("_rank"))
        .filter((pl.col("_rank") > 0) & _window("created_on", as_of, config.contact_days))
        .group_by("borrower_id")
        .agg(pl.len().cast(pl.Int32).alias("contact_changes_30d"))
    )
    events = (
        facts.events.filter(_window("occurred_on", as_of, config.event_days))
        .group_by("borrower_id")
        .agg(
            [
                (pl.col("kind") == kind).sum().cast(pl.Int32).alias(f"events_{kind}")
                for kind in TRIGGER_EVENT_KINDS
            ]
        )
    )
    months = (
        facts.loans.join(current.select("borrower_id"), on="borrower_id", how="semi")
        .group_by("borrower_id")
        .agg(pl.col("disbursed_on").min())
        .join(loans.group_by("borrower_id").agg(pl.col("principal_fen").sum()), on="borrower_id", how="left")
    )
    next_due = (
        facts.installments.lazy()
        .filter(pl.col("due_date") > as_of)
        .join(loans.lazy().select("loan_id"), on="loan_id", how="semi")
        .group_by("loan_id")
        .agg(pl.col("amount_fen").sort_by("due_date").first())
        .join(loans.lazy().select("loan_id", "borrower_id"), on="loan_id")
        .group_by("borrower_id")
        .agg(pl.col("amount_fen").sum().alias("next_installments_fen"))
        .collect()
    )
    frame = (
        current.join(payment_rules, on="borrower_id", how="left")
        .join(recent, on="borrower_id", how="left")
        .join(broken, on="borrower_id", how="left")
        .join(added, on="borrower_id", how="left")
        .join(events, on="borrower_id", how="left")
        .join(months, on="borrower_id", how="left")
        .join(next_due, on="borrower_id", how="left")
        .join(facts.borrowers, on="borrower_id", how="left")
    )
    counts = [
        "broken_promises_90d",
        "contact_changes_30d",
        *(f"events_{kind}" for kind in TRIGGER_EVENT_KINDS),
    ]
    frame = frame.with_columns(
        pl.col(MISSED_AUTO_DEBIT).fill_null(False),
        pl.col(PARTIAL_PAYMENT).fill_null(False),
        *[pl.col(name).fill_null(0) for name in counts],
    ).with_columns(
        (pl.col("broken_promises_90d") > 0).alias(BROKEN_PROMISE),
        (pl.col("contact_changes_30d") >= config.contact_changes).alias(CONTACT_CHANGES),
        *[(pl.col(f"events_{kind}") > 0).alias(kind) for kind in TRIGGER_EVENT_KINDS],
    )
    fired = [pl.when(pl.col(code)).then(pl.lit(code)) for code in TRIGGER_CODES]
    points = [pl.when(pl.col(code)).then(config.weights.get(code, 0)).otherwise(0) for code in TRIGGER_CODES]
    income = pl.col("monthly_income_fen").cast(pl.Float64)
    installment = pl.col("next_installments_fen").cast(pl.Float64)
    principal = pl.col("principal_fen").cast(pl.Float64)
    frame = frame.with_columns(
        pl.concat_str(fired, separator=";", ignore_nulls=True).alias("triggers"),
        pl.sum_horizontal(points).cast(pl.Int32).alias("rule_points"),
        pl.sum_horizontal([pl.col(code).cast(pl.Int32) for code in TRIGGER_CODES])
        .cast(pl.Int32)
        .alias("trigger_count"),
        _months_between(pl.col("disbursed_on"), as_of).alias("months_on_book"),
        pl.when(installment > 0).then(income / installment).alias("income_ratio"),
        pl.when(principal > 0)
        .then(pl.col("outstanding_principal_fen").cast(pl.Float64) / principal)
        .alias("utilisation"),
        *[pl.col(code).cast(pl.Int8).alias(f"flag_{code}") for code in (MISSED_AUTO_DEBIT, PARTIAL_PAYMENT)],
        pl.lit(as_of, pl.Date).alias("as_of"),
    )
    return frame.select(FEATURE_COLUMNS).sort("borrower_id")


def _months_between(start: pl.Expr, as_of: date) -> pl.Expr:
    """Whole months from ``start`` to ``as_of``."""
    months = (as_of.year - start.dt.year().cast(pl.Int32)) * 12 + (
        as_of.month - start.dt.month().cast(pl.Int32)
    )
    return (months - (start.dt.day().cast(pl.Int32) > as_of.day).cast(pl.Int32)).cast(pl.Int32)


#: The model's numeric features (trigger flags as 0/1 and counts included).
NUMERIC: Final = (
    "flag_missed_auto_debit",
    "flag_partial_payment",
    "broken_promises_90d",
    "contact_changes_30d",
    *(f"events_{kind}" for kind in TRIGGER_EVENT_KINDS),
    "months_on_book",
    "credit_score",
    "income_ratio",
    "utilisation",
    "days_late_mean",
    "days_late_max",
    "late_installments",
)
CATEGORICAL: Final = ("product_id",)
FEATURE_COLUMNS: Final = (
    "as_of",
    "borrower_id",
    "lead_loan_id",
    *TRIGGER_CODES,
    "triggers",
    "trigger_count",
    "rule_points",
    *NUMERIC,
    *CATEGORICAL,
)
#: Feature code → (Chinese, English), for reason codes and reports.
FEATURE_LABELS: Final[Mapping[str, tuple[str, str]]] = {
    "flag_missed_auto_debit": ("本期自动扣款失败", "missed auto-debit this cycle"),
    "flag_partial_payment": ("本期部分还款", "partial payment this cycle"),
    "broken_promises_90d": ("近 90 天违约承诺数", "broken promises in 90 days"),
    "contact_changes_30d": ("近 30 天新增联系方式数", "contacts added in 30 days"),
    **{
        f"events_{kind}": (f"外部事件：{EVENT_KINDS[kind][0]}", f"external: {EVENT_KINDS[kind][1]}")
        for kind in TRIGGER_EVENT_KINDS
    },
    "months_on_book": ("账龄（月）", "months on book"),
    "credit_score": ("信用分", "credit score"),
    "income_ratio": ("月收入 / 月供", "income / installment"),
    "utilisation": ("未还本金 / 本金", "outstanding / principal"),
    "days_late_mean": ("近三期平均晚还天数", "mean days late, last 3 installments"),
    "days_late_max": ("近三期最大晚还天数", "max days late, last 3 installments"),
    "late_installments": ("近三期晚还期数", "late installments of the last 3"),
    "product_id": ("产品", "product"),
}


# ------------------------------------------------------------------------------------------ training


def labels(lake: Path | str, days: list[date], last: date) -> pl.DataFrame:
    """``borrower_id``, ``bad_on``: each day of ``days`` (ascending, lake snapshot days up to ``last``) on
    which a borrower was 30+ days past due."""
    found = []
    for day in days:
        if day > last:
            break
        parts = sorted(partition_path(lake, day).glob("part-*.parquet"))
        snapshot = (
            pl.scan_parquet(parts, hive_partitioning=False)
            .select("borrower_id", "borrower_worst_dpd")
            .collect()
        )
        found.append(
            snapshot.filter(pl.col("borrower_worst_dpd") >= BAD_DPD)
            .select("borrower_id")
            .unique()
            .with_columns(pl.lit(day, pl.Date).alias("bad_on"))
        )
    if not found:
        return pl.DataFrame(schema={"borrower_id": pl.String(), "bad_on": pl.Date()})
    return pl.concat(found)


def label_rows(rows: pl.DataFrame, bad: pl.DataFrame) -> pl.DataFrame:
    """``rows`` (``borrower_id``, ``as_of``) with ``TARGET``: 1 when the borrower is 30+ dpd on a snapshot
    day in (as_of, as_of + 90], else 0."""
    left = rows.with_columns((pl.col("as_of") + pl.duration(days=1)).alias("_from")).sort("_from")
    right = bad.sort("bad_on")
    joined = left.join_asof(
        right,
        left_on="_from",
        right_on="bad_on",
        by="borrower_id",
        strategy="forward",
        check_sortedness=False,
    )
    within = pl.col("bad_on").is_not_null() & (
        pl.col("bad_on") <= pl.col("as_of") + pl.duration(days=HORIZON_DAYS)
    )
    return joined.with_columns(within.cast(pl.Int8).alias(TARGET)).drop("_from", "bad_on")


def observation_days(available: list[date], as_of: date, days: int, every: int) -> list[date]:
    """The lake days from as_of − days to as_of − 90 (the latest a 90-day label allows), stepping back from
    the latest held one, each at least ``every`` days before the one chosen after it, ascending: a daily lake
    gives as_of − 90, as_of − 90 − every, …; a sparse one (month-ends) the days it has."""
    if every < 1:
        raise ValueError("every must be at least 1 day")
    first, latest = as_of - timedelta(days=days), as_of - timedelta(days=HORIZON_DAYS)
    wanted: list[date] = []
    for day in sorted(set(available), reverse=True):
        if first <= day <= latest and (not wanted or (wanted[-1] - day).days >= every):
            wanted.append(day)
    return sorted(wanted)


def training_set(
    store: Store,
    lake: Path | str,
    *,
    as_of: date,
    days: int = 180,
    every: int = 7,
    settings: WarningSettings | None = None,
) -> TrainingSet:
    """The early-warning model's rows: current borrowers on observation days (``observation_days``) with the
    features of ``features`` and the label of ``label_rows`` from the lake's snapshots up to ``as_of``; the
    facts are the store's whole history (``read_facts``), each day using only what happened by then."""
    return build_training_set(read_facts(store), lake, as_of=as_of, days=days, every=every, settings=settings)


def build_training_set(
    facts: Facts,
    lake: Path | str,
    *,
    as_of: date,
    days: int = 180,
    every: int = 7,
    settings: WarningSettings | None = None,
) -> TrainingSet:
    """``training_set`` from given facts. ``SnapshotNotFound`` when the lake's latest snapshot up to ``as_of``
    is older than ``as_of − 90`` (no day could be labelled)."""
    available = [day for day in snapshot_dates(lake) if day <= as_of]
    if not available or available[-1] < as_of - timedelta(days=HORIZON_DAYS):
        raise SnapshotNotFound(Path(lake), as_of)
    observed = observation_days(available, as_of, days, every)
    frames = [features(read_snapshot(lake, day), facts, day, settings) for day in observed]
    rows = pl.concat(frames) if frames else _empty_features()
    bad = labels(lake, [day for day in available if observed and day > observed[0]], as_of)
    rows = label_rows(rows, bad).with_columns(
        pl.concat_str([pl.col("borrower_id"), pl.col("as_of").dt.strftime("%Y-%m-%d")], separator="@").alias(
            ROW_ID
        ),
        pl.col("as_of").alias(OBSERVED_ON),
    )
    rows = rows.select(ROW_ID, OBSERVED_ON, *NUMERIC, *CATEGORICAL, TARGET).sort(OBSERVED_ON, ROW_ID)
    first, last = (observed[0], observed[-1]) if observed else (None, None)
    return TrainingSet(
        kind=KIND,
        rows=rows,
        numeric=NUMERIC,
        categorical=CATEGORICAL,
        event=EVENT,
        event_zh=EVENT_ZH,
        event_is_good=False,
        dataset=f"lake {first}..{last}, every {every} days, current borrowers, label {HORIZON_DAYS} days ahead",
        window_from=first,
        window_to=last,
        time_split=True,
        labels=dict(FEATURE_LABELS),
    )


def _empty_features() -> pl.DataFrame:
    empty = features(
        pl.DataFrame(
            schema={
                "loan_id": pl.String(),
                "borrower_id": pl.String(),
                "product_id": pl.String(),
                "payoff_amount_fen": pl.Int64(),
                "delinquent": pl.Boolean(),
                "outstanding_principal_fen": pl.Int64(),
            }
        ),
        Facts.of(),
        date(2000, 1, 1),
    )
    return empty.clear()


# ------------------------------------------------------------------------------------------ the watch list

#: A watch entry as the day's rules read and write it.
ENTRIES: Final = {
    "id": pl.Int64(),
    "borrower_id": pl.String(),
    "lead_loan_id": pl.String(),
    "status": pl.String(),
    "opened_on": pl.Date(),
    "last_seen_on": pl.Date(),
    "prior_seen_on": pl.Date(),
    "closed_on": pl.Date(),
    "close_reason": pl.String(),
    "triggers": pl.String(),
    "rule_points": pl.Int32(),
    "points": pl.Int32(),
    "probability_ppm": pl.Int32(),
    "model_version": pl.Int32(),
    "reasons": pl.String(),
    "updated_on": pl.Date(),
}
#: The model's scores of the day: one row per scored borrower (empty without a model).
SCORES: Final = {
    "borrower_id": pl.String(),
    "points": pl.Int32(),
    "probability_ppm": pl.Int32(),
    "reasons": pl.String(),
    "model_version": pl.Int32(),
}


@dataclass(frozen=True, slots=True)
class WatchDay:
    """What ``watch_day`` decides: ``upsert`` — entries to write (``ENTRIES``; ``id`` null for new ones),
    ``delete`` — ids of entries an earlier run of the same day opened that no longer hold, and ``listed`` —
    ``borrower_id``, ``warning_score`` (model points, null without a model), ``watch_listed`` for the strategy."""

    upsert: pl.DataFrame
    delete: list[int]
    listed: pl.DataFrame


def watch_day(
    today: pl.DataFrame,
    scores: pl.DataFrame,
    snapshot: pl.DataFrame,
    entries: pl.DataFrame,
    as_of: date,
    settings: WarningSettings | None = None,
    held: pl.Series | None = None,
) -> WatchDay:
    """Apply the entry and exit rules of ``as_of``.

    ``today``: ``features`` of the day; ``scores``: ``SCORES``; ``snapshot``: the day's snapshot (who is
    delinquent, who has paid off); ``entries``: ``ENTRIES`` open on the day (status open, or closed on the day
    by an earlier run of it); ``held``: borrowers with a loan the run could not compute (left alone)."""
    config = settings or WarningSettings()
    held_ids = held if held is not None else pl.Series("borrower_id", [], pl.String())
    day = pl.lit(as_of, pl.Date)
    scored = today.select("borrower_id", "lead_loan_id", "triggers", "rule_points").join(
        scores.select(SCORES.keys()), on="borrower_id", how="left"
    )
    holds = (pl.col("triggers") != "") | (
        pl.col("probability_ppm").is_not_null() & (pl.col("probability_ppm") >= config.entry_probability_ppm)
    )
    scored = scored.with_columns(holds.alias("_holds"))
    states = snapshot.group_by("borrower_id").agg(
        pl.col("delinquent").any().alias("_delinquent"),
        (pl.col("payoff_amount_fen") > 0).any().alias("_on_book"),
    )
    stored = (
        entries.select([pl.col(c).cast(t) for c, t in ENTRIES.items()])
        .filter(~pl.col("borrower_id").is_in(held_ids.implode()))
        .join(states, on="borrower_id", how="left")
        .join(scored, on="borrower_id", how="left", suffix="_new")
    )
    base_seen = (
        pl.when(pl.col("last_seen_on") < day).then(pl.col("last_seen_on")).otherwise(pl.col("prior_seen_on"))
    )
    stored = stored.with_columns(
        base_seen.alias("_base_seen"),
        pl.col("_holds").fill_null(False),
    )
    close_reason = (
        pl.when(pl.col("_delinquent").fill_null(False))
        .then(pl.lit(CLOSED_DELINQUENT))
        .when(pl.col("_on_book").is_not_null() & ~pl.col("_on_book").fill_null(True))
        .then(pl.lit(CLOSED_PAID_OFF))
        .when(
            ~pl.col("_holds")
            & pl.col("_on_book").is_not_null()
            & (
                (day - pl.coalesce(pl.col("_base_seen"), pl.col("opened_on"))).dt.total_days()
                >= config.exit_days
            )
        )
        .then(pl.lit(CLOSED_CURED))
    )
    stored = stored.with_columns(close_reason.alias("_close"))
    # An entry an earlier run of the day opened whose conditions no longer hold goes away.
    dropped = stored.filter((pl.col("opened_on") == day) & ~pl.col("_holds"))
    kept = stored.join(dropped.select("id"), on="id", how="anti")
    new_values = pl.col("_holds")
    updated = kept.select(
        "id",
        "borrower_id",
        pl.when(new_values)
        .then(pl.col("lead_loan_id_new"))
        .otherwise(pl.col("lead_loan_id"))
        .alias("lead_loan_id"),
        pl.when(pl.col("_close").is_null()).then(pl.lit("open")).otherwise(pl.lit("closed")).alias("status"),
        "opened_on",
        pl.when(new_values).then(day).otherwise(pl.col("_base_seen")).alias("last_seen_on"),
        pl.when(new_values)
        .then(pl.col("_base_seen"))
        .otherwise(
            pl.when(pl.col("last_seen_on") < day)
            .then(pl.col("prior_seen_on"))
            .otherwise(pl.lit(None, pl.Date))
        )
        .alias("prior_seen_on"),
        pl.when(pl.col("_close").is_null()).then(pl.lit(None, pl.Date)).otherwise(day).alias("closed_on"),
        pl.col("_close").fill_null("").alias("close_reason"),
        pl.when(new_values).then(pl.col("triggers_new")).otherwise(pl.col("triggers")).alias("triggers"),
        pl.when(new_values)
        .then(pl.col("rule_points_new"))
        .otherwise(pl.col("rule_points"))
        .alias("rule_points"),
        pl.coalesce(pl.col("points_new"), pl.col("points")).alias("points"),
        pl.coalesce(pl.col("probability_ppm_new"), pl.col("probability_ppm")).alias("probability_ppm"),
        pl.coalesce(pl.col("model_version_new"), pl.col("model_version")).alias("model_version"),
        pl.coalesce(pl.col("reasons_new"), pl.col("reasons")).alias("reasons"),
        day.alias("updated_on"),
    )
    already = stored.select("borrower_id")
    opened = (
        scored.filter(pl.col("_holds"))
        .join(already, on="borrower_id", how="anti")
        .filter(~pl.col("borrower_id").is_in(held_ids.implode()))
        .select(
            pl.lit(None, pl.Int64).alias("id"),
            "borrower_id",
            "lead_loan_id",
            pl.lit("open").alias("status"),
            day.alias("opened_on"),
            day.alias("last_seen_on"),
            pl.lit(None, pl.Date).alias("prior_seen_on"),
            pl.lit(None, pl.Date).alias("closed_on"),
            pl.lit("").alias("close_reason"),
            "triggers",
            "rule_points",
            "points",
            "probability_ppm",
            "model_version",
            pl.col("reasons").fill_null(""),
            day.alias("updated_on"),
        )
    )
    upsert = pl.concat(
        [frame.select([pl.col(c).cast(t) for c, t in ENTRIES.items()]) for frame in (updated, opened)]
    ).with_columns(pl.col("reasons").fill_null(""))
    open_now = (
        upsert.filter(pl.col("status") == "open")
        .select("borrower_id")
        .with_columns(pl.lit(True).alias("watch_listed"))
    )
    listed = (
        today.select("borrower_id")
        .join(
            scores.select("borrower_id", pl.col("points").alias("warning_score")),
            on="borrower_id",
            how="full",
            coalesce=True,
        )
        .join(open_now, on="borrower_id", how="full", coalesce=True)
        .with_columns(pl.col("watch_listed").fill_null(False), pl.col("warning_score").cast(pl.Int32))
        .sort("borrower_id")
    )
    return WatchDay(
        upsert=upsert.sort("borrower_id"), delete=sorted(dropped.get_column("id").to_list()), listed=listed
    )
