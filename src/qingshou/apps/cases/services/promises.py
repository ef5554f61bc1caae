"""Promises to pay (issue 5): taking a promise on a case, and evaluating every pending one as of a day.

``take_promise`` validates the instalments through ``domain.promises``, stores the promise with its
instalments (``Promise.amount_fen`` = their sum, ``due_on`` = the last date, ``taken_on`` = the day) in one
audited transaction; the taker must hold the case's lock.

``evaluate_frame`` is the domain's rule (``domain.promises.evaluate``) over whole frames — every pending
instalment at once, payments as cumulative sums joined by date (``join_asof``), no loop per promise — so a
hundred thousand promises take a second, not minutes; tests hold it equal to the domain.
``evaluate_promises(as_of)`` reads the promises that still have a pending instalment and the payments of
their borrowers, evaluates them and writes the statuses that changed (set-based updates).

In EOD, :class:`EvaluatePromises` (a compute step, after "read collection" and before "plan collection")
evaluates with the book's payments and puts the new broken counts into the strategy's borrower features, so
a promise broken today feeds today's plan; :class:`WritePromises` (a store step, in the EOD transaction)
writes the statuses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

import polars as pl
from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Case as CaseWhen
from django.db.models import Count, F, Value, When
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from qingshou.apps.audit.services import record
from qingshou.apps.cases.assignment import require_lock
from qingshou.apps.cases.models import Case, Promise, PromiseInstalment
from qingshou.apps.loans.models import Loan, Payment
from qingshou.domain.money import fen
from qingshou.domain.promises import Instalment, PromiseError, PromiseStatus, Tolerance, validate
from qingshou.store import Dialect

if TYPE_CHECKING:
    from qingshou.apps.eod.services.run import EodContext
    from qingshou.store import Store

#: The key of the day's promise evaluation in ``EodContext.extras``.
PROMISES: Final = "promises"
_CHUNK: Final = 500
_SHARE_SCALE: Final = 1_000_000

#: One row per instalment to evaluate. ``scope_loan`` is the promise's loan ("" = all the borrower's loans).
INSTALMENTS: Final = {
    "instalment_id": pl.Int64(),
    "promise_id": pl.Int64(),
    "seq": pl.Int32(),
    "borrower_id": pl.String(),
    "scope_loan": pl.String(),
    "taken_on": pl.Date(),
    "due_on": pl.Date(),
    "amount_fen": pl.Int64(),
}
#: The payments that may count: ``borrower_id``, ``loan_id``, ``paid_on``, ``amount_fen``.
PAYMENTS: Final = {
    "borrower_id": pl.String(),
    "loan_id": pl.String(),
    "paid_on": pl.Date(),
    "amount_fen": pl.Int64(),
}


def tolerance() -> Tolerance:
    """``settings.QINGSHOU_PROMISES`` as the domain's tolerance (validated)."""
    raw = getattr(settings, "QINGSHOU_PROMISES", {})
    return Tolerance.build(
        amount=str(raw.get("tolerance_amount", "0")),
        share=str(raw.get("tolerance_share", "0")),
        grace_days=int(raw.get("grace_days", 0)),
    )


def _share_ppm(share: Decimal) -> int:
    scaled = share * _SHARE_SCALE
    if scaled != scaled.to_integral_value():
        raise PromiseError(f"tolerance share {share} has more than 6 decimals", field="tolerance_share")
    return int(scaled)


# --- taking a promise --------------------------------------------------------------------------------------


def take_promise(
    user: User,
    case_id: int,
    instalments: list[tuple[date, Decimal]],
    *,
    loan_id: str = "",
    today: date | None = None,
) -> Promise:
    """Store a promise of ``instalments`` (date, yuan) on an open case (module docstring)."""
    taken_on = today or timezone.localdate()
    items = validate(taken_on, [Instalment(due_on, amount) for due_on, amount in instalments])
    with transaction.atomic():
        case = Case.objects.filter(pk=case_id, status=Case.Status.OPEN).first()
        if case is None:
            raise PromiseError(f"case {case_id} is not open", field="case")
        if loan_id and not Loan.objects.filter(loan_id=loan_id, borrower_id=case.borrower_id).exists():
            raise PromiseError(f"loan {loan_id} is not the borrower's", field="loan_id")
        require_lock(user, case_id)
        promise = Promise.objects.create(
            case=case,
            loan_id=loan_id,
            amount_fen=sum(fen(item.amount) for item in items),
            due_on=items[-1].due_on,
            taken_on=taken_on,
            created_by=user.get_username(),
        )
        PromiseInstalment.objects.bulk_create(
            PromiseInstalment(promise=promise, seq=seq, due_on=item.due_on, amount_fen=fen(item.amount))
            for seq, item in enumerate(items, start=1)
        )
        record(
            user,
            "promise.create",
            promise,
            detail={
                "case": case_id,
                "loan_id": loan_id,
                "instalments": [[item.due_on.isoformat(), str(item.amount)] for item in items],
            },
        )
    return promise


# --- evaluation over frames -------------------------------------------------------------------------------


def _cumulative(payments: pl.DataFrame) -> pl.DataFrame:
    """Per scope (borrower and "" = every loan, and borrower and each loan) and day, the cumulative amount
    paid (fen) through that day — sorted for ``join_asof``."""
    daily = [
        payments.group_by("borrower_id", "paid_on")
        .agg(pl.col("amount_fen").sum())
        .with_columns(scope_loan=pl.lit("")),
        payments.group_by("borrower_id", "loan_id", "paid_on")
        .agg(pl.col("amount_fen").sum())
        .rename({"loan_id": "scope_loan"}),
    ]
    return (
        pl.concat([frame.select("borrower_id", "scope_loan", "paid_on", "amount_fen") for frame in daily])
        .sort("borrower_id", "scope_loan", "paid_on")
        .with_columns(
            pl.col("amount_fen").cum_sum().over("borrower_id", "scope_loan").alias("cumulative_fen")
        )
        .select("borrower_id", "scope_loan", "paid_on", "cumulative_fen")
        .sort("paid_on")
    )


def _paid_through(rows: pl.DataFrame, cumulative: pl.DataFrame, day: str, name: str) -> pl.DataFrame:
    """``rows`` with ``name``: the cumulative paid in the row's scope through its column ``day``."""
    return (
        rows.sort(day)
        .join_asof(
            cumulative.rename({"paid_on": f"_{name}_on"}),
            left_on=day,
            right_on=f"_{name}_on",
            by=["borrower_id", "scope_loan"],
            strategy="backward",
            check_sortedness=False,  # sorted by day above: sorted within every group too
        )
        .with_columns(pl.col("cumulative_fen").fill_null(0).alias(name))
        .drop("cumulative_fen", f"_{name}_on")
    )


def _statuses(tol: Tolerance) -> pl.Expr:
    """Per instalment: kept / pending / partly kept / broken (``domain.promises``)."""
    amount = pl.col("amount_fen")
    tolerated = pl.max_horizontal(pl.lit(fen(tol.amount)), (amount * _share_ppm(tol.share)) // _SHARE_SCALE)
    covered = pl.col("covered_fen")
    return (
        pl.when(covered >= amount - tolerated)
        .then(pl.lit(PromiseStatus.KEPT.value))
        .when(pl.col("as_of") < pl.col("deadline"))
        .then(pl.lit(PromiseStatus.PENDING.value))
        .when(covered > 0)
        .then(pl.lit(PromiseStatus.PARTLY_KEPT.value))
        .otherwise(pl.lit(PromiseStatus.BROKEN.value))
        .alias("status")
    )


def evaluate_frame(
    instalments: pl.DataFrame, payments: pl.DataFrame, as_of: date, tol: Tolerance
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Evaluate every instalment of ``instalments`` (``INSTALMENTS``: all instalments of each promise) on
    ``as_of`` against ``payments`` (``PAYMENTS``; those after ``as_of`` are ignored). Returns
    (instalments: ``instalment_id``, ``promise_id``, ``covered_fen``, ``status``;
    promises: ``promise_id``, ``status``)."""
    known = payments.filter(pl.col("paid_on") <= as_of)
    cumulative = _cumulative(known)
    rows = (
        instalments.filter(pl.col("taken_on") <= as_of)
        .sort("promise_id", "seq")
        .with_columns(
            (pl.col("due_on") + pl.duration(days=tol.grace_days)).alias("deadline"),
            (pl.col("amount_fen").cum_sum().over("promise_id") - pl.col("amount_fen")).alias(
                "promised_before"
            ),
            (pl.col("taken_on") - pl.duration(days=1)).alias("before_taken"),
            pl.lit(as_of, pl.Date).alias("as_of"),
        )
        .with_columns(pl.min_horizontal("deadline", "as_of").alias("cutoff"))
    )
    rows = _paid_through(rows, cumulative, "cutoff", "paid_by_cutoff")
    rows = _paid_through(rows, cumulative, "before_taken", "paid_before")
    rows = rows.with_columns(
        (pl.col("paid_by_cutoff") - pl.col("paid_before") - pl.col("promised_before"))
        .clip(0, None)
        .pipe(lambda received: pl.min_horizontal(received, pl.col("amount_fen")))
        .alias("covered_fen")
    ).with_columns(_statuses(tol))
    per_instalment = rows.select("instalment_id", "promise_id", "seq", "covered_fen", "status").sort(
        "promise_id", "seq"
    )
    return per_instalment.drop("seq"), _overall(per_instalment)


def _overall(rows: pl.DataFrame) -> pl.DataFrame:
    """A promise's status from its instalments' (``domain.promises.overall``)."""
    status = pl.col("status")
    failed = status.is_in([PromiseStatus.BROKEN.value, PromiseStatus.PARTLY_KEPT.value])
    received = (status != PromiseStatus.PENDING.value) & (pl.col("covered_fen") > 0)
    return (
        rows.group_by("promise_id")
        .agg(
            (status == PromiseStatus.KEPT.value).all().alias("all_kept"),
            failed.any().alias("any_failed"),
            received.any().alias("any_received"),
        )
        .select(
            "promise_id",
            pl.when(pl.col("all_kept"))
            .then(pl.lit(PromiseStatus.KEPT.value))
            .when(~pl.col("any_failed"))
            .then(pl.lit(PromiseStatus.PENDING.value))
            .when(pl.col("any_received"))
            .then(pl.lit(PromiseStatus.PARTLY_KEPT.value))
            .otherwise(pl.lit(PromiseStatus.BROKEN.value))
            .alias("status"),
        )
        .sort("promise_id")
    )


# --- evaluation in the store ------------------------------------------------------------------------------


def _frame(rows: list[dict[str, Any]], schema: dict[str, pl.DataType]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)


def open_instalments(as_of: date) -> pl.DataFrame:
    """Every instalment (``INSTALMENTS``) of the promises taken by ``as_of`` that still have a pending one.
    A pending promise stored without instalment rows (one amount and date, e.g. from a field visit report)
    counts as one instalment with the id ``-promise_id`` (never written back as an instalment)."""
    taken_on = Coalesce("promise__taken_on", TruncDate("promise__created_at"))
    pending = PromiseInstalment.objects.filter(status=Promise.Status.PENDING).values("promise_id")
    rows = list(
        PromiseInstalment.objects.annotate(taken=taken_on)
        .filter(promise_id__in=pending, taken__lte=as_of)
        .values_list(
            "pk",
            "promise_id",
            "seq",
            "promise__case__borrower_id",
            "promise__loan_id",
            "taken",
            "due_on",
            "amount_fen",
        )
    )
    single = (
        Promise.objects.annotate(taken=Coalesce("taken_on", TruncDate("created_at")))
        .filter(status=Promise.Status.PENDING, instalments__isnull=True, taken__lte=as_of)
        .annotate(minus_id=-F("pk"), one=Value(1))
        .values_list("minus_id", "pk", "one", "case__borrower_id", "loan_id", "taken", "due_on", "amount_fen")
    )
    rows.extend(single)
    return _frame([dict(zip(INSTALMENTS, row, strict=True)) for row in rows], INSTALMENTS)


def borrower_payments(borrower_ids: list[str], since: date, as_of: date) -> pl.DataFrame:
    """Cash payments (``PAYMENTS``) of the borrowers' loans dated ``since`` … ``as_of`` (an arrangement's
    non-cash payments keep no promise, issue 5)."""
    found: list[dict[str, Any]] = []
    for start in range(0, len(borrower_ids), _CHUNK):
        rows = Payment.objects.filter(
            loan__borrower_id__in=borrower_ids[start : start + _CHUNK],
            paid_on__gte=since,
            paid_on__lte=as_of,
            kind="cash",
        ).values_list("loan__borrower_id", "loan_id", "paid_on", "amount_fen")
        found.extend(dict(zip(PAYMENTS, row, strict=True)) for row in rows)
    return _frame(found, PAYMENTS)


@dataclass(frozen=True, slots=True)
class PromiseRun:
    """What an evaluation changed: promises evaluated and how many now have each status."""

    as_of: date
    evaluated: int
    changed: int
    statuses: dict[str, int]

    def as_json(self) -> dict[str, Any]:
        """Plain JSON values."""
        return {
            "as_of": self.as_of.isoformat(),
            "evaluated": self.evaluated,
            "changed": self.changed,
            "statuses": self.statuses,
        }


def _write_changes(instalments: pl.DataFrame, promises: pl.DataFrame, as_of: date) -> int:
    """Update the instalments and promises whose status (or amount received) changed; grouped updates by
    status so the statements stay few."""
    stored = dict(
        Promise.objects.filter(pk__in=promises.get_column("promise_id").to_list()).values_list("pk", "status")
    )
    changed = promises.filter(
        pl.col("status") != pl.col("promise_id").replace_strict(stored, default="", return_dtype=pl.String)
    )
    for (status,), group in changed.group_by("status"):
        ids = group.get_column("promise_id").to_list()
        for start in range(0, len(ids), _CHUNK):
            Promise.objects.filter(pk__in=ids[start : start + _CHUNK]).update(
                status=status, evaluated_on=as_of
            )
    stored_rows = instalments.filter(pl.col("instalment_id") > 0)
    for start in range(0, stored_rows.height, _CHUNK):
        chunk = stored_rows.slice(start, _CHUNK)
        status = CaseWhen(
            *[When(pk=i, then=Value(s)) for i, s in chunk.select("instalment_id", "status").iter_rows()]
        )
        covered = CaseWhen(
            *[When(pk=i, then=Value(c)) for i, c in chunk.select("instalment_id", "covered_fen").iter_rows()]
        )
        PromiseInstalment.objects.filter(pk__in=chunk.get_column("instalment_id").to_list()).update(
            status=status, covered_fen=covered
        )
    return changed.height


def evaluate_promises(as_of: date) -> PromiseRun:
    """Evaluate every promise with a pending instalment as of ``as_of`` and store what changed (one
    transaction; audited as one event with the counts)."""
    tol = tolerance()
    with transaction.atomic():
        instalments = open_instalments(as_of)
        if instalments.is_empty():
            return PromiseRun(as_of, 0, 0, {})
        since = instalments.get_column("taken_on").min()
        payments = borrower_payments(
            instalments.get_column("borrower_id").unique().sort().to_list(),
            since if isinstance(since, date) else as_of,
            as_of,
        )
        per_instalment, per_promise = evaluate_frame(instalments, payments, as_of, tol)
        changed = _write_changes(per_instalment, per_promise, as_of)
        counts = dict(per_promise.group_by("status").len().iter_rows())
        run = PromiseRun(as_of, per_promise.height, changed, {str(k): int(v) for k, v in counts.items()})
        record(None, "promises.evaluate", "cases.promise", detail=run.as_json())
    return run


def broken_counts() -> dict[str, int]:
    """Broken promises per borrower on their open case (what ``services.inputs`` feeds the strategy)."""
    rows = (
        Promise.objects.filter(case__status=Case.Status.OPEN, status=Promise.Status.BROKEN)
        .values("case__borrower_id")
        .annotate(count=Count("id"))
        .values_list("case__borrower_id", "count")
    )
    return dict(rows)


# --- EOD steps -----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DayPromises:
    """The day's evaluation (``EodContext.extras["promises"]``)."""

    instalments: pl.DataFrame
    promises: pl.DataFrame


def _eod_instalments(store: Store, as_of: date) -> pl.DataFrame:
    """``open_instalments`` through the store (one query; the same promise-without-instalments rule)."""
    created = "DATE(p.created_at)" if store.dialect is Dialect.SQLITE else "CAST(p.created_at AS DATE)"
    taken = f"COALESCE(p.taken_on, {created})"
    frame = store.read(
        f"SELECT i.id AS instalment_id, i.promise_id, i.seq, c.borrower_id, p.loan_id AS scope_loan,"
        f" {taken} AS taken_on, i.due_on, i.amount_fen FROM qs_promise_instalment i"
        " JOIN qs_promise p ON p.id = i.promise_id JOIN qs_case c ON c.id = p.case_id"
        " WHERE i.promise_id IN (SELECT promise_id FROM qs_promise_instalment WHERE status = 'pending')"
        " UNION ALL"
        f" SELECT -p.id AS instalment_id, p.id AS promise_id, 1 AS seq, c.borrower_id, p.loan_id AS scope_loan,"
        f" {taken} AS taken_on, p.due_on, p.amount_fen FROM qs_promise p JOIN qs_case c ON c.id = p.case_id"
        " WHERE p.status = 'pending'"
        " AND NOT EXISTS (SELECT 1 FROM qs_promise_instalment i WHERE i.promise_id = p.id)",
        INSTALMENTS,
    )
    return frame.filter(pl.col("taken_on") <= as_of)


def _book_payments(context: EodContext, borrowers: pl.DataFrame) -> pl.DataFrame:
    loans = context.book.loans.select("loan_id", "borrower_id").join(borrowers, on="borrower_id", how="semi")
    cash = context.book.payments.filter(pl.col("kind") == "cash")  # non-cash keeps no promise (issue 5)
    return cash.join(loans, on="loan_id", how="inner").select(list(PAYMENTS))


class EvaluatePromises:
    """EOD compute step: evaluate the pending promises with the book's payments and refresh the strategy's
    ``broken_promises`` feature, so a promise broken today changes today's plan. Insert after
    "read collection", before "plan collection"."""

    name, kind = "evaluate promises", "compute"

    def __call__(self, context: EodContext) -> None:
        from qingshou.apps.cases.services.daily import collection_of

        instalments = _eod_instalments(context.store, context.as_of)
        borrowers = instalments.select("borrower_id").unique()
        per_instalment, per_promise = evaluate_frame(
            instalments, _book_payments(context, borrowers), context.as_of, tolerance()
        )
        context.extras[PROMISES] = DayPromises(per_instalment, per_promise)
        state = collection_of(context)
        if state is None or per_promise.is_empty():
            return
        state.features = _refresh_broken(context.store, state.features, per_promise)


def _refresh_broken(store: Store, features: pl.DataFrame, promises: pl.DataFrame) -> pl.DataFrame:
    """``features`` with ``broken_promises`` counted from the stored statuses overlaid with today's."""
    stored = store.read(
        "SELECT p.id AS promise_id, c.borrower_id, p.status FROM qs_promise p JOIN qs_case c ON c.id = p.case_id"
        " WHERE c.status = 'open'",
        {"promise_id": pl.Int64(), "borrower_id": pl.String(), "status": pl.String()},
    )
    current = (
        stored.join(promises.rename({"status": "new_status"}), on="promise_id", how="left")
        .with_columns(pl.coalesce("new_status", "status").alias("status"))
        .filter(pl.col("status") == PromiseStatus.BROKEN.value)
        .group_by("borrower_id")
        .agg(pl.len().cast(pl.Int32).alias("broken_now"))
    )
    return (
        features.join(current, on="borrower_id", how="left")
        .with_columns(pl.col("broken_now").fill_null(0).alias("broken_promises"))
        .drop("broken_now")
    )


class WritePromises:
    """EOD store step: the day's evaluated statuses into ``qs_promise`` / ``qs_promise_instalment`` (inside
    the EOD transaction)."""

    name, kind = "write promises", "write_store"

    def __call__(self, context: EodContext) -> None:
        found = context.extras.get(PROMISES)
        if not isinstance(found, DayPromises) or found.promises.is_empty():
            return
        store = context.store
        store.upsert(
            "qs_promise",
            found.promises.rename({"promise_id": "id"}).with_columns(
                pl.lit(context.as_of, pl.Date).alias("evaluated_on")
            ),
            ["id"],
            compare=["status"],
        )
        store.upsert(
            "qs_promise_instalment",
            found.instalments.filter(pl.col("instalment_id") > 0)
            .drop("promise_id")
            .rename({"instalment_id": "id"}),
            ["id"],
        )
