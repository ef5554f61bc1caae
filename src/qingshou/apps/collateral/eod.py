"""The EOD step of the collateral app: loan-to-value and shortfall of every secured loan (issue 6).

``MonitorCollateral`` runs in the EOD store transaction after the day's cases are written (``STORE_STEPS``,
after "watch plans": "write cases" replaces the day's case events, so an event written before it would be
lost). It reads the collateral in force (status active or in disposal), the loans each secures (lien rank)
and each collateral's latest appraisal dated on or before the day; each secured loan's exposure is its
payoff in the day's snapshot (``payoff_amount_fen``; a loan with an error row today has no snapshot row and
is left out). ``domain.collateral.cover_loans`` gives the cover (haircuts ``QINGSHOU_COLLATERAL_HAIRCUTS``,
kind → decimal string, over ``DEFAULT_HAIRCUTS``), and the day's ``qs_collateral_ltv`` rows are replaced.

A loan whose LTV is above ``QINGSHOU_COLLATERAL_LTV_THRESHOLD`` (default ``0.80``) today and was not on its
previous row (or had none) *crossed* the threshold: the borrower's open case gets one ``ltv_exceeded`` event
for the day naming the loans. Events are left alone on a backfill older than the latest planned day (as the
cases are).

**Why the store, not the ORM.** The rows are written through the run's store connection so they commit or
roll back with the day's statuses; on SQLite the ORM's own connection could not even write while the run
holds the write lock. The volume is the secured loans (a small part of a book); the cover itself is the
domain's rule applied in Python — the one rule the pages and the tests use, so the two agree to the fen.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any, Final

import polars as pl
from django.conf import settings

from qingshou.domain import collateral as rules
from qingshou.domain.money import fen, from_fen

if TYPE_CHECKING:
    from qingshou.apps.eod.services.run import EodContext
    from qingshou.store import Store

#: ``context.extras`` key: what the step did.
MONITORED: Final = "collateral_monitored"
#: The case event kind of a loan crossing the LTV threshold.
LTV_EXCEEDED: Final = "ltv_exceeded"
DEFAULT_THRESHOLD: Final = Decimal("0.80")
IN_FORCE: Final = ("active", "disposing")

LTV_COLUMNS: Final = {
    "as_of": pl.Date(),
    "loan_id": pl.String(),
    "exposure_fen": pl.Int64(),
    "value_fen": pl.Int64(),
    "prior_fen": pl.Int64(),
    "covered_fen": pl.Int64(),
    "shortfall_fen": pl.Int64(),
    "ltv_bp": pl.Int64(),
    "over_threshold": pl.Boolean(),
}


def haircuts() -> dict[rules.CollateralKind, Decimal]:
    """The haircut of each kind (``QINGSHOU_COLLATERAL_HAIRCUTS`` over the defaults), validated."""
    return rules.parse_haircuts(getattr(settings, "QINGSHOU_COLLATERAL_HAIRCUTS", {}))


def threshold() -> Decimal:
    """The LTV above which a loan is flagged (``QINGSHOU_COLLATERAL_LTV_THRESHOLD``, a decimal string)."""
    value = Decimal(str(getattr(settings, "QINGSHOU_COLLATERAL_LTV_THRESHOLD", DEFAULT_THRESHOLD)))
    if not value.is_finite() or value <= 0:
        raise ValueError(f"QINGSHOU_COLLATERAL_LTV_THRESHOLD must be above 0, not {value}")
    return value


def basis_points(ltv: Decimal | None) -> int | None:
    """An LTV as whole basis points (half up); ``None`` stays ``None``."""
    return None if ltv is None else int((ltv * 10000).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _day(value: date) -> str:
    return f"'{value.isoformat()}'"


def read_collateral(store: Store, as_of: date) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(collateral in force with the latest appraisal value on or before ``as_of`` — 0 without one —, liens)."""
    day = _day(as_of)
    collateral = store.read(
        "SELECT c.id, c.kind, COALESCE((SELECT a.value_fen FROM qs_collateral_appraisal a"
        f" WHERE a.collateral_id = c.id AND a.appraised_on <= {day}"
        " ORDER BY a.appraised_on DESC, a.id DESC LIMIT 1), 0) AS value_fen"
        f" FROM qs_collateral c WHERE c.status IN ('{IN_FORCE[0]}', '{IN_FORCE[1]}')",
        {"id": pl.Int64(), "kind": pl.String(), "value_fen": pl.Int64()},
    )
    liens = store.read(
        'SELECT collateral_id, loan_id, "rank" FROM qs_collateral_loan',
        {"collateral_id": pl.Int64(), "loan_id": pl.String(), "rank": pl.Int64()},
    )
    return collateral, liens.join(collateral.select(pl.col("id").alias("collateral_id")), on="collateral_id")


def loan_to_value(
    collateral: pl.DataFrame,
    liens: pl.DataFrame,
    snapshot: pl.DataFrame,
    as_of: date,
    cuts: Mapping[rules.CollateralKind, Decimal],
    limit: Decimal,
) -> pl.DataFrame:
    """The day's ``LTV_COLUMNS`` rows of the secured loans present in ``snapshot`` (module docstring)."""
    exposures = (
        liens.select("loan_id")
        .unique()
        .join(snapshot.select("loan_id", "payoff_amount_fen"), on="loan_id", how="inner")
    )
    values = [
        rules.CollateralValue(str(row["id"]), kind, from_fen(row["value_fen"]), cuts[kind])
        for row in collateral.iter_rows(named=True)
        for kind in (rules.parse_kind(row["kind"]),)
    ]
    pledged = [
        rules.Lien(str(row["collateral_id"]), row["loan_id"], int(row["rank"]))
        for row in liens.iter_rows(named=True)
    ]
    covers = rules.cover_loans(values, pledged, {row[0]: from_fen(row[1]) for row in exposures.iter_rows()})
    rows: list[dict[str, Any]] = [
        {
            "as_of": as_of,
            "loan_id": cover.loan_id,
            "exposure_fen": fen(cover.exposure),
            "value_fen": fen(cover.value),
            "prior_fen": fen(cover.prior),
            "covered_fen": fen(cover.covered),
            "shortfall_fen": fen(cover.shortfall),
            "ltv_bp": basis_points(cover.ltv),
            "over_threshold": cover.over(limit),
        }
        for cover in covers
    ]
    return pl.DataFrame(rows, schema=LTV_COLUMNS)


def crossed(store: Store, as_of: date, today: pl.DataFrame) -> pl.DataFrame:
    """The loans over the threshold today that were not on their previous row (or had none)."""
    previous = store.read(
        "SELECT l.loan_id, l.over_threshold FROM qs_collateral_ltv l WHERE l.as_of = (SELECT MAX(m.as_of)"
        f" FROM qs_collateral_ltv m WHERE m.loan_id = l.loan_id AND m.as_of < {_day(as_of)})",
        {"loan_id": pl.String(), "over_threshold": pl.Boolean()},
    ).rename({"over_threshold": "was_over"})
    return (
        today.filter(pl.col("over_threshold"))
        .join(previous, on="loan_id", how="left")
        .filter(pl.col("was_over").is_null() | ~pl.col("was_over"))
        .select("loan_id", "ltv_bp", "shortfall_fen")
    )


def _percent(bp: int | None) -> str:
    return "—" if bp is None else f"{Decimal(bp) / 100:.2f}%"


def _detail(frame: pl.DataFrame) -> str:
    parts = [
        f"{loan_id} LTV {_percent(bp)}"
        for loan_id, bp in frame.sort("loan_id").select("loan_id", "ltv_bp").iter_rows()
    ]
    return ("LTV over threshold: " + ", ".join(parts))[:200]


def write_events(store: Store, as_of: date, loans: pl.DataFrame, snapshot: pl.DataFrame) -> int:
    """One ``ltv_exceeded`` event per borrower with an open case among ``loans`` (replacing the day's)."""
    store.execute(f"DELETE FROM qs_case_event WHERE as_of = {_day(as_of)} AND kind = '{LTV_EXCEEDED}'")
    if loans.height == 0:
        return 0
    owned = loans.join(
        snapshot.select("loan_id", "borrower_id", "borrower_worst_dpd", "borrower_total_overdue_fen"),
        on="loan_id",
    )
    cases = store.read(
        "SELECT id AS case_id, borrower_id, segment, path, arm, strategy_version FROM qs_case WHERE status = 'open'",
        {
            "case_id": pl.Int64(),
            "borrower_id": pl.String(),
            "segment": pl.String(),
            "path": pl.String(),
            "arm": pl.String(),
            "strategy_version": pl.Int32(),
        },
    ).join(owned.select("borrower_id").unique(), on="borrower_id")
    events = []
    for case in cases.iter_rows(named=True):
        mine = owned.filter(pl.col("borrower_id") == case["borrower_id"])
        events.append(
            {
                "case_id": case["case_id"],
                "as_of": as_of,
                "kind": LTV_EXCEEDED,
                "segment": case["segment"] or "",
                "path": case["path"] or "",
                "arm": case["arm"] or "",
                "strategy_version": case["strategy_version"],
                "worst_dpd": int(mine.get_column("borrower_worst_dpd").max() or 0),  # type: ignore[arg-type]
                "total_overdue_fen": int(mine.get_column("borrower_total_overdue_fen").max() or 0),  # type: ignore[arg-type]
                "detail": _detail(mine),
            }
        )
    frame = pl.DataFrame(
        events,
        schema={
            "case_id": pl.Int64(),
            "as_of": pl.Date(),
            "kind": pl.String(),
            "segment": pl.String(),
            "path": pl.String(),
            "arm": pl.String(),
            "strategy_version": pl.Int32(),
            "worst_dpd": pl.Int32(),
            "total_overdue_fen": pl.Int64(),
            "detail": pl.String(),
        },
    )
    return store.append("qs_case_event", frame)


def monitor(store: Store, as_of: date, snapshot: pl.DataFrame, *, events: bool = True) -> dict[str, int]:
    """Replace the day's LTV rows and (``events``) write the crossing events; returns counts."""
    collateral, liens = read_collateral(store, as_of)
    rows = loan_to_value(collateral, liens, snapshot, as_of, haircuts(), threshold())
    store.execute(f"DELETE FROM qs_collateral_ltv WHERE as_of = {_day(as_of)}")
    store.append("qs_collateral_ltv", rows)
    written = write_events(store, as_of, crossed(store, as_of, rows), snapshot) if events else 0
    return {
        "secured_loans": rows.height,
        "over_threshold": int(rows.get_column("over_threshold").sum()),
        "shortfall_fen": int(rows.get_column("shortfall_fen").sum()),
        "events": written,
    }


class MonitorCollateral:
    """EOD store step after "watch plans": loan-to-value and shortfall of the secured loans (module docstring)."""

    name, kind = "monitor collateral", "write_store"

    def __call__(self, context: EodContext) -> None:
        from qingshou.apps.cases.services.daily import COLLECTION, Skipped

        skipped = isinstance(context.extras.get(COLLECTION), Skipped)
        context.extras[MONITORED] = monitor(
            context.store, context.as_of, context.require_snapshot(), events=not skipped
        )


__all__ = ["MonitorCollateral"]
