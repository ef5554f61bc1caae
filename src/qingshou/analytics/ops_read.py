"""The store and lake reads of the collection-operations metrics: one set-based query per ``OpsFrames`` frame,
portable SQL (SQLite and PostgreSQL: date literals as ISO text, no date functions), the month-end snapshots
with only the columns needed (issue 7).

Filters (``Sources.filters``): ``product`` and ``branch`` restrict loans (payments, charges, installments,
write-offs, attempts by their loan, snapshots) and cases to borrowers with a loan in scope; ``team`` (a team's
name or id) restricts cases to the team's, collectors to its members, and contacts, promises and cash to those
cases (``OpsFrames.by_case_only``).
"""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

import polars as pl

from qingshou.analytics import ops_frames as f
from qingshou.analytics.ops_frames import OpsFrames, OpsSettings, Period
from qingshou.analytics.sources import Sources
from qingshou.calendars import CalendarOverride, build_calendar
from qingshou.domain.calendar import BusinessCalendar
from qingshou.domain.limitation import enforcement_deadline
from qingshou.domain.schedule import add_months

#: How far back cases and promises are read, so that a promise due in the month finds its case.
LOOKBACK_DAYS = 92


def text(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def day(value: date) -> str:
    """A SQL date literal (ISO text: compared as text by SQLite, coerced to ``date`` by PostgreSQL)."""
    return text(value.isoformat())


class Scope:
    """The filters as SQL conditions (``loan``: on ``qs_loan l``; ``case``: on ``qs_case c``)."""

    def __init__(self, sources: Sources) -> None:
        filters = sources.filters
        conditions = []
        if "product" in filters:
            conditions.append(f"l.product_id = {text(filters['product'])}")
        if "branch" in filters:
            conditions.append(f"l.branch = {text(filters['branch'])}")
        self.loans_filtered = bool(conditions)
        self.loan = "".join(f" AND {condition}" for condition in conditions)
        self.team: str | None = None
        case = ""
        if self.loans_filtered:
            case += f" AND EXISTS (SELECT 1 FROM qs_loan l WHERE l.borrower_id = c.borrower_id{self.loan})"
        if "team" in filters:
            wanted = text(filters["team"])
            found = sources.store.scalar(
                f"SELECT name FROM qs_team WHERE name = {wanted} OR CAST(id AS TEXT) = {wanted}"
            )
            self.team = str(found) if found is not None else filters["team"]
            case += f" AND c.team_id IN (SELECT id FROM qs_team WHERE name = {text(self.team)})"
        self.case = case

    def loan_join(self, column: str) -> str:
        """A join with ``qs_loan l`` on ``column`` when a loan filter applies (else nothing)."""
        return f" JOIN qs_loan l ON l.loan_id = {column}" if self.loans_filtered else ""


def read(sources: Sources, sql: str, schema: f.Schema) -> pl.DataFrame:
    """``sql``'s rows as ``schema`` (dates from SQLite's text, integers cast)."""
    frame = sources.store.read(sql, dict(schema))
    if frame.width == 0 or frame.height == 0:
        return f.empty(schema)
    return frame.select(pl.col(name).cast(dtype) for name, dtype in schema.items())


def _users(sources: Sources, scope: Scope) -> pl.DataFrame:
    frame = read(
        sources,
        "SELECT u.id AS user_id, u.username, t.name AS team, p.agency_id, p.max_open_cases,"
        " CASE WHEN EXISTS (SELECT 1 FROM auth_user_groups ug JOIN auth_group g ON g.id = ug.group_id"
        " WHERE ug.user_id = u.id AND g.name = 'collector') THEN 1 ELSE 0 END AS is_collector"
        " FROM auth_user u LEFT JOIN qs_profile p ON p.user_id = u.id LEFT JOIN qs_team t ON t.id = p.team_id"
        " WHERE u.is_active",
        f.USERS,
    )
    if scope.team is not None:
        frame = frame.with_columns(pl.col("is_collector") & (pl.col("team") == scope.team).fill_null(False))
    return frame


def _cases(sources: Sources, scope: Scope, period: Period) -> tuple[pl.DataFrame, pl.DataFrame]:
    since = day(period.start - timedelta(days=LOOKBACK_DAYS))
    where = (
        f"c.opened_on <= {day(period.end)} AND (c.closed_on IS NULL OR c.closed_on >= {since}){scope.case}"
    )
    cases = read(
        sources,
        "SELECT c.id AS case_id, c.borrower_id, c.opened_on, c.closed_on, c.close_reason, c.segment, c.path,"
        " c.arm, u.username AS collector, t.name AS team, c.agency_id FROM qs_case c"
        " LEFT JOIN auth_user u ON u.id = c.collector_id LEFT JOIN qs_team t ON t.id = c.team_id"
        f" WHERE {where}",
        f.CASES,
    )
    events = read(
        sources,
        "SELECT e.case_id, e.as_of, e.segment, e.path, e.arm FROM qs_case_event e JOIN qs_case c ON c.id = e.case_id"
        f" WHERE e.kind IN ('opened', 'assigned') AND e.path <> '' AND e.as_of <= {day(period.end)} AND {where}",
        f.EVENTS,
    )
    return cases, events


def _contacts(
    sources: Sources, scope: Scope, period: Period, settings: OpsSettings
) -> tuple[pl.DataFrame, ...]:
    since = period.start - timedelta(days=settings.attribution_days + 1)
    attempts = read(
        sources,
        "SELECT a.id AS attempt_id, a.initiator, a.initiator_id, a.borrower_id, a.loan_id, a.channel,"
        " a.party_kind, a.local_day, a.result FROM qs_contact_attempt a"
        f"{scope.loan_join('a.loan_id')}"
        f" WHERE a.outcome = 'allow' AND a.local_day BETWEEN {day(since)} AND {day(period.end)}"
        " AND ((a.initiator <> 'engine' AND a.result <> '')"
        f" OR (a.initiator = 'engine' AND a.channel IN ('sms', 'email', 'letter'))){scope.loan}",
        f.ATTEMPTS,
    )
    sent = read(
        sources,
        "SELECT o.as_of, o.borrower_id, o.channel, o.sent_at AS sent_on FROM qs_outbox o"
        f"{scope.loan_join('o.loan_id')}"
        " WHERE o.status IN ('sent', 'delivered', 'undeliverable') AND o.sent_at IS NOT NULL"
        f" AND o.as_of BETWEEN {day(since)} AND {day(period.end)}{scope.loan}",
        f.SENT,
    )
    start, end = day(period.start), day(period.end)
    promises = read(
        sources,
        "SELECT p.id AS promise_id, p.case_id, c.borrower_id, p.created_by, p.taken_on, p.created_at, p.due_on,"
        " p.status FROM qs_promise p JOIN qs_case c ON c.id = p.case_id"
        f" WHERE ((p.due_on BETWEEN {start} AND {end}) OR (p.taken_on BETWEEN {start} AND {end})"
        f" OR (p.taken_on IS NULL AND p.created_at >= {start})){scope.case}",
        {**f.PROMISES, "created_at": pl.Date()},
    )
    if promises.height:
        promises = promises.with_columns(pl.coalesce("taken_on", "created_at").alias("taken_on"))
    return attempts, sent, promises.select(list(f.PROMISES))


def _money(sources: Sources, scope: Scope, period: Period) -> dict[str, pl.DataFrame]:
    start, end = day(period.start), day(period.end)
    first = add_months(period.start, -11)
    after = add_months(period.start, 4) - timedelta(days=1)
    loans = "" if not scope.loans_filtered else " JOIN qs_loan l ON l.loan_id = x.loan_id"
    return {
        "payments": read(
            sources,
            "SELECT p.payment_id, p.loan_id, l.borrower_id, p.paid_on, p.amount_fen FROM qs_payment p"
            f" JOIN qs_loan l ON l.loan_id = p.loan_id WHERE p.kind = 'cash' AND p.paid_on BETWEEN {start}"
            f" AND {end}{scope.loan}",
            f.PAYMENTS,
        ),
        "costs": read(
            sources,
            f"SELECT x.loan_id, x.posted_on, x.amount_fen FROM qs_charge x{loans}"
            f" WHERE x.kind = 'costs' AND x.posted_on BETWEEN {start} AND {end}{scope.loan}",
            f.COSTS,
        ),
        "writeoffs": read(
            sources,
            f"SELECT x.loan_id, x.written_off_on, x.amount_fen FROM qs_writeoff x{loans}"
            f" WHERE x.status = 'executed' AND x.written_off_on <= {end}{scope.loan}",
            f.WRITEOFFS,
        ),
        "due_by_day": read(
            sources,
            "SELECT x.due_date AS day, CAST(SUM(x.principal_due_fen + x.interest_due_fen) AS BIGINT) AS amount_fen"
            f" FROM qs_installment x{loans} WHERE x.due_date BETWEEN {day(first)} AND {day(after)}{scope.loan}"
            " GROUP BY x.due_date",
            f.DUE_BY_DAY,
        ),
    }


def _agencies(sources: Sources, scope: Scope, period: Period) -> dict[str, pl.DataFrame]:
    end = day(period.end)
    since = day(period.start - timedelta(days=LOOKBACK_DAYS))
    return {
        "placements": read(
            sources,
            "SELECT x.case_id, x.agency_id, a.name AS agency, x.placed_on,"
            " COALESCE(x.recalled_on, x.term_ends_on) AS ends_on, x.status FROM qs_agency_placement x"
            " JOIN qs_agency a ON a.agency_id = x.agency_id JOIN qs_case c ON c.id = x.case_id"
            f" WHERE x.placed_on <= {end} AND COALESCE(x.recalled_on, x.term_ends_on) >= {since}{scope.case}",
            f.PLACEMENTS,
        ),
        "agencies": read(
            sources,
            "SELECT a.agency_id, a.name AS agency, CAST(COALESCE((SELECT SUM(k.capacity) FROM qs_agency_contract k"
            f" WHERE k.agency_id = a.agency_id AND k.starts_on <= {end} AND k.ends_on >= {end}), 0) AS BIGINT) AS capacity"
            " FROM qs_agency a",
            f.AGENCIES,
        ),
        "commission": read(
            sources,
            "SELECT k.agency_id, x.case_id, k.recovered_fen, k.commission_fen FROM qs_agency_commission k"
            " JOIN qs_agency_placement x ON x.id = k.placement_id JOIN qs_case c ON c.id = x.case_id"
            f" WHERE k.month = {text(period.start.strftime('%Y-%m'))}{scope.case}",
            f.COMMISSION,
        ),
    }


def business_calendar(sources: Sources) -> BusinessCalendar:
    """China's calendar with the operators' override years (``qs_calendar_year`` / ``qs_calendar_day``)."""
    years = sources.store.read("SELECT year FROM qs_calendar_year", {"year": pl.Int64()})
    days = sources.store.read(
        "SELECT day, is_workday, name FROM qs_calendar_day",
        {"day": pl.Date(), "is_workday": pl.Boolean(), "name": pl.String()},
    )
    overrides = (
        [CalendarOverride(row[0], bool(row[1]), row[2] or "") for row in days.iter_rows()]
        if days.height
        else []
    )
    covered = [int(year) for year in years.get_column("year")] if years.height else []
    return build_calendar(overrides, covered)


def _legal(sources: Sources, scope: Scope, period: Period) -> dict[str, pl.DataFrame]:
    start, end = day(period.start), day(period.end)
    where = f"g.opened_on <= {end} AND (g.closed_on IS NULL OR g.closed_on >= {start}){scope.case}"
    schema = {
        **{name: dtype for name, dtype in f.LEGAL_CASES.items() if name != "enforcement_due_on"},
        "effective_on": pl.Date(),
        "performance_due_on": pl.Date(),
    }
    cases = read(
        sources,
        "SELECT g.id AS legal_case_id, g.case_id, g.stage, g.outcome, g.claim_fen, g.opened_on, g.judgment_on,"
        " COALESCE(g.judgment_principal_fen, 0) + COALESCE(g.judgment_interest_fen, 0)"
        " + COALESCE(g.judgment_costs_fen, 0) AS judgment_fen, g.closed_on, g.hearing_on, g.effective_on,"
        f" g.performance_due_on FROM qs_legal_case g JOIN qs_case c ON c.id = g.case_id WHERE {where}",
        schema,
    )
    cases = with_enforcement_due(cases, business_calendar(sources) if cases.height else None)
    legal_loans = read(
        sources,
        "SELECT x.legalcase_id AS legal_case_id, x.loan_id FROM qs_legal_case_loan x"
        f" JOIN qs_legal_case g ON g.id = x.legalcase_id JOIN qs_case c ON c.id = g.case_id{scope.loan_join('x.loan_id')}"
        f" WHERE {where}{scope.loan}",
        f.LEGAL_LOANS,
    )
    preservations = read(
        sources,
        "SELECT r.legal_case_id, r.start_on, r.amount_fen, r.expires_on, r.renewal_due_on,"
        " CASE WHEN r.released_on IS NULL AND NOT EXISTS (SELECT 1 FROM qs_legal_preservation n"
        " WHERE n.renewed_from_id = r.id) THEN 1 ELSE 0 END AS in_force FROM qs_legal_preservation r"
        f" JOIN qs_legal_case g ON g.id = r.legal_case_id JOIN qs_case c ON c.id = g.case_id WHERE {where}",
        f.PRESERVATIONS,
    )
    loans = scope.loan_join("x.loan_id")
    disposals = read(
        sources,
        "SELECT d.id AS disposal_id, d.closed_on, CAST(COALESCE(SUM(x.applied_fen), 0) AS BIGINT) AS applied_fen"
        f" FROM qs_collateral_disposal d JOIN qs_collateral_allocation x ON x.disposal_id = d.id{loans}"
        f" WHERE d.status IN ('sold', 'transferred') AND d.closed_on BETWEEN {start} AND {end}{scope.loan}"
        " GROUP BY d.id, d.closed_on",
        f.DISPOSALS,
    )
    return {
        "legal_cases": cases,
        "legal_loans": legal_loans,
        "preservations": preservations,
        "disposals": disposals,
    }


def with_enforcement_due(cases: pl.DataFrame, calendar: BusinessCalendar | None) -> pl.DataFrame:
    """``cases`` plus ``enforcement_due_on`` (C7: performance date, else the effective day, + 2 years, moved
    to the next business day) for the cases at ``effective``; the few such cases are computed one by one."""
    due: list[date | None] = []
    for stage, performance, effective in cases.select(
        "stage", "performance_due_on", "effective_on"
    ).iter_rows():
        start = performance or effective
        if stage == "effective" and start is not None and calendar is not None:
            due.append(enforcement_deadline(start, calendar).expires_on)
        else:
            due.append(None)
    return cases.with_columns(pl.Series("enforcement_due_on", due, dtype=pl.Date)).select(list(f.LEGAL_CASES))


def _snapshots(sources: Sources, scope: Scope) -> tuple[tuple[date, pl.DataFrame], ...]:
    branch = None
    if "branch" in sources.filters:
        branch = read(
            sources,
            f"SELECT l.loan_id FROM qs_loan l WHERE l.branch = {text(sources.filters['branch'])}",
            {"loan_id": pl.String()},
        )
    out = []
    for snapshot_day in sources.history[-13:]:
        frame = sources.snapshot(snapshot_day, list(f.SNAPSHOT)).select(
            pl.col(name).cast(dtype) for name, dtype in f.SNAPSHOT.items()
        )
        if branch is not None:
            frame = frame.join(branch, on="loan_id", how="semi")
        out.append((snapshot_day, frame))
    return tuple(out)


def monthly_cash(
    sources: Sources, scope: Scope, period: Period, history: tuple[tuple[date, pl.DataFrame], ...]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """One grouped scan of the cash payments of the 12 calendar months up to the period (the last one up to
    ``as_of``), per loan and month: the cash-flow table's collected (``CASH_BY_DAY``, dated the month's
    first day) and the cash behind each pair of consecutive month-end snapshots (``HISTORY_CASH``: the cash
    of the later snapshot's calendar month, up to that snapshot)."""
    months = [add_months(period.start, -back) for back in range(11, -1, -1)]
    bounds = [(month, min(add_months(month, 1) - timedelta(days=1), period.end)) for month in months]
    columns = ", ".join(
        f"CAST(SUM(CASE WHEN x.paid_on BETWEEN {day(first)} AND {day(last)} THEN x.amount_fen ELSE 0 END)"
        f" AS BIGINT) AS m{index}"
        for index, (first, last) in enumerate(bounds)
    )
    loans = " JOIN qs_loan l ON l.loan_id = x.loan_id" if scope.loans_filtered else ""
    wide = sources.store.read(
        f"SELECT x.loan_id, {columns} FROM qs_payment x{loans} WHERE x.kind = 'cash'"
        f" AND x.paid_on BETWEEN {day(months[0])} AND {day(period.end)}{scope.loan} GROUP BY x.loan_id"
    )
    if wide.height == 0:
        return f.empty(f.CASH_BY_DAY), f.empty(f.HISTORY_CASH)
    names = {f"m{index}": month for index, month in enumerate(months)}
    long = (
        wide.unpivot(index="loan_id", on=list(names), variable_name="_column", value_name="amount_fen")
        .with_columns(
            pl.col("_column").replace_strict(names, return_dtype=pl.Date).alias("month"),
            pl.col("amount_fen").cast(pl.Int64),
        )
        .filter(pl.col("amount_fen") != 0)
    )
    by_month = long.group_by(pl.col("month").alias("day")).agg(pl.col("amount_fen").sum())
    pairs = {
        end.replace(day=1): end
        for (start, _a), (end, _b) in pairwise(history)
        if end.replace(day=1) == add_months(start.replace(day=1), 1) and start < end
    }
    cash = long.filter(pl.col("month").is_in(list(pairs))).with_columns(
        pl.col("month").replace_strict(pairs, return_dtype=pl.Date).alias("end")
    )
    return (
        by_month.select(pl.col(name).cast(dtype) for name, dtype in f.CASH_BY_DAY.items()),
        cash.select(pl.col(name).cast(dtype) for name, dtype in f.HISTORY_CASH.items()),
    )


def read_frames(sources: Sources, settings: OpsSettings) -> OpsFrames:
    """Every frame the operations metrics read for ``sources.month`` (module docstring)."""
    period = Period(sources.month, sources.as_of)
    scope = Scope(sources)
    cases, events = _cases(sources, scope, period)
    attempts, sent, promises = _contacts(sources, scope, period, settings)
    history = _snapshots(sources, scope)
    cash_by_day, history_cash = monthly_cash(sources, scope, period, history)
    return OpsFrames(
        period=period,
        users=_users(sources, scope),
        cases=cases,
        events=events,
        attempts=attempts,
        sent=sent,
        promises=promises,
        **_money(sources, scope, period),
        **_agencies(sources, scope, period),
        **_legal(sources, scope, period),
        history=history,
        cash_by_day=cash_by_day,
        history_cash=history_cash,
        by_case_only=scope.team is not None,
    )
