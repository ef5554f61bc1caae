"""The overdue book's metrics of a month (issue 7, ``analytics.book``): stock, flows, vintages, credit loss and
risk-based pricing, from the lake's month-end snapshots and a few store tables.

``read_frames`` is the only reading: the month-end snapshots (``Sources.history``; the columns each metric
needs, the full state only for this and the previous month-end), the loans with their borrower's credit score,
the executed write-offs, the loans with an installment due in the month, and the cash paid during the history
on the loans that defaulted in it.
``metrics_of`` is a pure function of those frames (the tests hand-build them); ``book_metrics`` is both.
Definitions and the choices made: docs/metrics.md, "The overdue book".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

import polars as pl

from qingshou.analytics import flows, stock
from qingshou.analytics.contract import Metrics, Note, Table, empty_table
from qingshou.analytics.pricing import PricingParameters, pricing
from qingshou.analytics.sources import Sources
from qingshou.analytics.vintage import vintage

#: Snapshot columns of this and the previous month-end.
STATE_COLUMNS = (
    "loan_id",
    "product_id",
    "dpd",
    "delinquent",
    "bucket",
    "classification",
    "stage",
    stock.BALANCE,
    stock.OVERDUE,
)
#: Snapshot columns of the older month-ends (vintage, PD).
HISTORY_COLUMNS = ("loan_id", "dpd", stock.BALANCE, stock.OVERDUE)

LOANS_SCHEMA: dict[str, pl.DataType] = {
    "loan_id": pl.String(),
    "product_id": pl.String(),
    "branch": pl.String(),
    "channel": pl.String(),
    "disbursed_on": pl.Date(),
    "principal_fen": pl.Int64(),
    "restructured_on": pl.Date(),
    "first_due_date": pl.Date(),
    "credit_score": pl.Int64(),
}
WRITEOFFS_SCHEMA: dict[str, pl.DataType] = {"loan_id": pl.String(), "written_off_on": pl.Date()}
DUE_SCHEMA: dict[str, pl.DataType] = {"loan_id": pl.String()}
CASH_SCHEMA: dict[str, pl.DataType] = {"loan_id": pl.String(), "paid_on": pl.Date(), "amount_fen": pl.Int64()}
#: Loan ids per query of the cash read.
CASH_CHUNK = 5_000


@dataclass(frozen=True, slots=True)
class BookFrames:
    """What the book's metrics read (module docstring). ``current`` / ``previous``: the snapshots of ``as_of``
    and ``previous_as_of`` (``STATE_COLUMNS``; ``previous`` None for the first month of the lake);
    ``history``: every month-end of the history stacked (``as_of`` + ``HISTORY_COLUMNS``); ``loans``:
    ``LOANS_SCHEMA``; ``writeoffs``: executed write-offs up to ``as_of``; ``due_loans``: loans with an
    installment due from the first of the month to ``as_of``; ``cash``: cash payments after the first
    month-end of the history up to ``as_of`` — of the loans past 90 days at a later month-end (``read_cash``:
    the only ones pricing needs; the function takes any superset)."""

    month: date
    as_of: date
    previous_as_of: date | None
    current: pl.DataFrame
    previous: pl.DataFrame | None
    history: pl.DataFrame
    loans: pl.DataFrame
    writeoffs: pl.DataFrame
    due_loans: pl.DataFrame
    cash: pl.DataFrame
    reserves_fen: int | None = None


def _literal(value: object) -> str:
    """A SQL string literal (dates as ISO text: portable to SQLite and PostgreSQL)."""
    return "'" + str(value).replace("'", "''") + "'"


def _loan_conditions(sources: Sources) -> str:
    conditions = []
    if "product" in sources.filters:
        conditions.append(f"l.product_id = {_literal(sources.filters['product'])}")
    if "branch" in sources.filters:
        conditions.append(f"l.branch = {_literal(sources.filters['branch'])}")
    if "team" in sources.filters:
        # a team's book: the loans of the borrowers whose case (open or closed) the team holds — a
        # supervisor's dashboards are scoped to it (docs/dashboards.md); a team's name or id, as operations
        team = _literal(sources.filters["team"])
        conditions.append(
            "EXISTS (SELECT 1 FROM qs_case c JOIN qs_team t ON t.id = c.team_id "
            f"WHERE c.borrower_id = l.borrower_id AND (t.name = {team} OR CAST(t.id AS TEXT) = {team}))"
        )
    return (" WHERE " + " AND ".join(conditions)) if conditions else ""


def read_loans(sources: Sources) -> pl.DataFrame:
    """The loans (``LOANS_SCHEMA``) under the product and branch filters; ``first_due_date`` from the loan, or
    its schedule's first due date when the loan does not give it."""
    query = (
        "SELECT l.loan_id, l.product_id, l.branch, l.channel, l.disbursed_on, l.principal_fen, l.restructured_on, "
        "COALESCE(l.first_due_date, (SELECT MIN(i.due_date) FROM qs_installment i WHERE i.loan_id = l.loan_id)) "
        "AS first_due_date, b.credit_score "
        "FROM qs_loan l JOIN qs_borrower b ON b.borrower_id = l.borrower_id" + _loan_conditions(sources)
    )
    return sources.store.read(query, LOANS_SCHEMA)


def read_cash(sources: Sources, history: pl.DataFrame) -> pl.DataFrame:
    """Cash paid after the first month-end of the history up to ``as_of`` on the loans that pricing follows
    after default (past 90 days at a later month-end), read by chunks of loan ids through the (loan, paid_on)
    index — a few percent of the book's payments instead of a scan of them all."""
    if history.is_empty():
        return pl.DataFrame(schema=CASH_SCHEMA)
    start = history["as_of"].min()
    defaulted = (
        history.filter((pl.col("as_of") > start) & (pl.col("dpd") > 90))["loan_id"].unique().sort().to_list()
    )
    window = f"kind = 'cash' AND paid_on > {_literal(start)} AND paid_on <= {_literal(sources.as_of)}"
    parts = [pl.DataFrame(schema=CASH_SCHEMA)]
    for first in range(0, len(defaulted), CASH_CHUNK):
        chunk = ", ".join(_literal(loan_id) for loan_id in defaulted[first : first + CASH_CHUNK])
        query = f"SELECT loan_id, paid_on, amount_fen FROM qs_payment WHERE {window} AND loan_id IN ({chunk})"
        parts.append(sources.store.read(query, CASH_SCHEMA))
    return pl.concat(parts)


def read_frames(sources: Sources) -> BookFrames:
    """Everything ``metrics_of`` needs for ``sources.month`` (module docstring)."""
    loans = read_loans(sources)
    keep = loans.select("loan_id")
    narrow = "branch" in sources.filters or "team" in sources.filters

    def snapshot(day: date, columns: tuple[str, ...]) -> pl.DataFrame:
        frame = sources.snapshot(day, columns)
        return frame.join(keep, on="loan_id", how="semi") if narrow else frame

    current = snapshot(sources.as_of, STATE_COLUMNS)
    previous_day = sources.previous_as_of
    previous = snapshot(previous_day, STATE_COLUMNS) if previous_day is not None else None
    parts = []
    for day in sources.history:
        if day == sources.as_of:
            part = current.select(HISTORY_COLUMNS)
        elif day == previous_day and previous is not None:
            part = previous.select(HISTORY_COLUMNS)
        else:
            part = snapshot(day, HISTORY_COLUMNS)
        parts.append(part.with_columns(pl.lit(day, pl.Date).alias("as_of")))
    history = pl.concat(parts) if parts else pl.DataFrame(schema={"as_of": pl.Date, "loan_id": pl.String})
    as_of = _literal(sources.as_of)
    writeoffs = sources.store.read(
        "SELECT loan_id, written_off_on FROM qs_writeoff WHERE status = 'executed' "
        f"AND written_off_on IS NOT NULL AND written_off_on <= {as_of}",
        WRITEOFFS_SCHEMA,
    ).join(keep, on="loan_id", how="semi")
    due_loans = sources.store.read(
        f"SELECT DISTINCT loan_id FROM qs_installment WHERE due_date >= {_literal(sources.month)} "
        f"AND due_date <= {as_of}",
        DUE_SCHEMA,
    )
    cash = read_cash(sources, history)
    return BookFrames(
        month=sources.month,
        as_of=sources.as_of,
        previous_as_of=previous_day,
        current=current,
        previous=previous,
        history=history,
        loans=loans,
        writeoffs=writeoffs,
        due_loans=due_loans,
        cash=cash,
        reserves_fen=sources.reserves_fen,
    )


def open_history(history: pl.DataFrame, writeoffs: pl.DataFrame) -> pl.DataFrame:
    """The month-end rows of loans on the book that day (something owed, not yet written off)."""
    owed = (pl.col(stock.BALANCE) > 0) | (pl.col(stock.OVERDUE) > 0)
    written = writeoffs.group_by("loan_id").agg(pl.col("written_off_on").min())
    return (
        history.filter(owed)
        .join(written, on="loan_id", how="left")
        .filter(pl.col("written_off_on").is_null() | (pl.col("written_off_on") > pl.col("as_of")))
        .drop("written_off_on")
    )


#: Without a previous month-end snapshot.
NO_PREVIOUS_NOTE: Final = Note(
    "无上月末快照：迁移率、迁徙率、入催/首逾/治愈率与信用损失未计算",
    "no previous month-end snapshot: roll rates, migration rates, flow rates and credit loss not computed",
)


def pd_history_note(months: int) -> Note:
    """The note of a PD observed over fewer than 12 months of history."""
    return Note(
        f"违约概率（PD）仅基于 {months} 个月的历史观察（应为12个月）",
        f"PD observed over {months} month(s) of history (12 wanted)",
    )


def _flow_tables(frames: BookFrames, book: pl.DataFrame) -> tuple[dict[str, Table], tuple[Note, ...]]:
    """roll_rates, migration_rates, flow_rates and credit_loss (empty without a previous month-end)."""
    keys = ("roll_rates", "migration_rates", "flow_rates", "credit_loss")
    if frames.previous is None or frames.previous_as_of is None:
        return {key: empty_table(key) for key in keys}, (NO_PREVIOUS_NOTE,)
    before = stock.open_book(frames.previous, frames.writeoffs, frames.previous_as_of)
    moves = flows.transitions(before, book, frames.writeoffs, since=frames.previous_as_of)
    rolls = flows.roll_rates(moves)
    month_end = frames.as_of
    first_dues = frames.loans.filter(
        (pl.col("first_due_date") >= frames.month) & (pl.col("first_due_date") <= month_end)
    ).select("loan_id", "principal_fen")
    rows = [
        flows.entry_rate(moves, frames.due_loans),
        flows.c_m1(moves),
        flows.fpd(book, first_dues),
        flows.cure_rates(moves),
    ]
    tables = {
        "roll_rates": rolls,
        "migration_rates": flows.migration_rates(moves),
        "flow_rates": flows.flow_rates(rows, flows.flow_to_loss(rolls.frame)),
        "credit_loss": flows.credit_loss(moves, book),
    }
    return tables, ()


def metrics_of(frames: BookFrames, parameters: PricingParameters | None = None) -> Metrics:
    """The book's tables and figures from ``frames`` (a pure function: no reading)."""
    book = stock.open_book(frames.current, frames.writeoffs, frames.as_of)
    dimensions = book.join(frames.loans.select("loan_id", "branch", "channel"), on="loan_id", how="left")
    tables: dict[str, Table] = {
        "stock_by_bucket": stock.stock_by_bucket(book),
        "stock_by_class": stock.stock_by_class(book),
        "stock_by_stage": stock.stock_by_stage(book),
        "stock_by_product": stock.stock_by_dimension(dimensions, "stock_by_product", "product_id"),
        "stock_by_branch": stock.stock_by_dimension(dimensions, "stock_by_branch", "branch"),
        "stock_by_channel": stock.stock_by_dimension(dimensions, "stock_by_channel", "channel"),
    }
    flow_tables, flow_notes = _flow_tables(frames, book)
    tables.update(flow_tables)
    history = open_history(frames.history, frames.writeoffs)
    originated = frames.loans.filter(pl.col("restructured_on").is_null())
    tables["vintage"] = vintage(history, originated)
    tables["pricing"] = pricing(
        history,
        frames.loans.select("loan_id", "credit_score"),
        frames.cash,
        parameters or PricingParameters(),
    )
    figures, notes = stock.summary_figures(book, frames.reserves_fen)
    months = len(frames.history["as_of"].unique()) if frames.history.height else 0
    if months < 13:
        notes += (pd_history_note(max(months - 1, 0)),)
    return Metrics(tables=tables, figures=figures, notes=notes + flow_notes)


def book_metrics(sources: Sources, parameters: PricingParameters | None = None) -> Metrics:
    """The overdue book's ``Metrics`` of ``sources.month`` (reads, then ``metrics_of``)."""
    return metrics_of(read_frames(sources), parameters)


#: Chinese names of the labels the book's tables write as codes (classes, stages, pseudo buckets, indicators,
#: credit-loss drivers, pricing flags); English readers get the codes. ``label_zh`` also names ``cure_<bucket>``.
LABELS_ZH: dict[str, str] = {
    "normal": "正常",
    "special_mention": "关注",
    "substandard": "次级",
    "doubtful": "可疑",
    "loss": "损失",
    "normal_loans": "正常贷款",
    "1": "阶段一",
    "2": "阶段二",
    "3": "阶段三",
    stock.SETTLED: "结清",
    stock.WRITTEN_OFF: "核销",
    "entry_rate": "入催率",
    "c_m1": "C-M1",
    "fpd": "首期逾期率（FPD）",
    "flow_to_loss": "滚动至损失",
    "opening": "期初参考拨备",
    "new_loans": "新增贷款",
    "new_delinquencies": "新增逾期",
    "downgrades": "阶段恶化",
    "cures_and_recoveries": "治愈与回收",
    "settlements": "结清",
    "write_offs": "核销",
    "closing": "期末参考拨备",
    "charge": "当月拨备变动",
    "yes": "是",
    "no": "否",
    "unscored": "无评分",
    "approve": "准入",
    "decline": "拒绝（超出法定上限）",
}


def label_zh(value: str) -> str:
    """The Chinese name of a label of the book's tables (``value`` itself when it has none, e.g. M1, BJ)."""
    if value.startswith("cure_"):
        return f"{value.removeprefix('cure_')}治愈率"
    return LABELS_ZH.get(value, value)
