"""Strategy assignment and the day's action plan, vectorised over the book (issue 4).

``assign(inputs, strategy, as_of)`` gives every **borrower** (a collection case is per borrower) one row of
ASSIGNMENTS: the lead loan, the first segment whose conditions hold, the path and arm by a stable hash of
the borrower id, and the borrower's state day. ``plan(assignments, strategy, as_of)`` gives the ACTIONS of
the day: every step of each borrower's path whose day (or repeat) is the state day. Both are pure functions
of frames; ``qingshou.domain.strategy`` is the reference they reproduce (the tests compare them borrower by
borrower).

* **Lead loan**: the borrower's worst loan — highest ``dpd``, then largest ``total_overdue_fen``, then the
  smallest ``loan_id``. Conditions read the lead loan's row (``bucket``, ``dpd``, amounts, product, credit
  score, income and installment, contactability, broken promises, region, classification) and the
  borrower aggregates of the snapshot (``borrower_*``).
* **State day**: the borrower's worst dpd when any of their loans is delinquent (1 = first day past due);
  otherwise minus the days from ``as_of`` to the earliest ``next_due_on`` on or after ``as_of`` (−3 = due in
  three days, 0 = due today). A borrower with neither gets no row (nothing can be planned).
* **Hash bucket**: FNV-1a 64 over the UTF-8 bytes of (salt prefix +) the borrower id, modulo 10 000,
  computed with numpy over the Arrow buffers — stable across days, processes and Polars versions (unlike
  ``pl.Expr.hash``). Path *i* of a segment takes the buckets [Σ shares before *i*, + share *i*).
* **Repayment ability** = ``monthly_income_fen / installment_fen`` compared exactly in Int128
  (``income × d ≥ n × installment`` for a threshold n/d); null when either is null or the installment is 0.
* A null fact satisfies only ``is_null: true`` (every other operator is false on a null, ``not_in`` too).
"""

from __future__ import annotations

from datetime import date
from typing import Final

import numpy as np
import polars as pl
import pyarrow as pa

from qingshou.domain.money import fen
from qingshou.domain.strategy import (
    FIELD_KINDS,
    FNV_OFFSET,
    FNV_PRIME,
    SHARE_TOTAL,
    Condition,
    Field,
    Kind,
    Operator,
    Strategy,
    arm_name,
    fnv1a_64,
    salt_prefix,
    step_id,
)
from qingshou.engine.schema import Schema, conform

#: One row per loan of the day's snapshot (the SNAPSHOT columns the strategy reads, plus the borrower and
#: next-installment facts EOD adds). Money in fen; ``next_due_on`` is the next installment due on or after
#: as_of (null: none); ``installment_fen`` its scheduled amount (null: none); ``credit_score`` and
#: ``monthly_income_fen`` null when unknown; ``broken_promises`` counts promises to pay not kept.
STRATEGY_INPUT: Final[Schema] = {
    "as_of": pl.Date(),
    "loan_id": pl.String(),
    "borrower_id": pl.String(),
    "product_id": pl.String(),
    "dpd": pl.Int32(),
    "delinquent": pl.Boolean(),
    "bucket": pl.String(),
    "classification": pl.String(),
    "total_overdue_fen": pl.Int64(),
    "outstanding_principal_fen": pl.Int64(),
    "limitation_expires_on": pl.Date(),
    "borrower_worst_dpd": pl.Int32(),
    "borrower_total_overdue_fen": pl.Int64(),
    "borrower_overdue_loans": pl.Int32(),
    "next_due_on": pl.Date(),
    "installment_fen": pl.Int64(),
    "credit_score": pl.Int32(),
    "monthly_income_fen": pl.Int64(),
    "region": pl.String(),
    "contactable": pl.Boolean(),
    "broken_promises": pl.Int32(),
    "collection_score": pl.Int32(),
    "warning_score": pl.Int32(),
    "watch_listed": pl.Boolean(),
}

#: One row per borrower with a state day, sorted by borrower_id. ``segment``/``path``/``arm`` are null when
#: no segment matches (only with ``unmatched: no_segment``); ``arm`` is ``champion`` or ``challenger-N``;
#: ``state_day`` in days (negative before the due date); ``hash_bucket`` 0..9999.
ASSIGNMENTS: Final[Schema] = {
    "borrower_id": pl.String(),
    "lead_loan_id": pl.String(),
    "segment": pl.String(),
    "path": pl.String(),
    "arm": pl.String(),
    "state_day": pl.Int32(),
    "hash_bucket": pl.Int32(),
}

#: One row per step due today, sorted by borrower_id then the step's place in the path. ``loan_id`` is the
#: lead loan; ``step`` is ``p<path>.s<step>`` (indexes in the segment); ``template`` set for notices,
#: ``queue`` for calls (optional for proposals); ``priority`` 0..100, higher = more urgent.
ACTIONS: Final[Schema] = {
    "as_of": pl.Date(),
    "borrower_id": pl.String(),
    "loan_id": pl.String(),
    "segment": pl.String(),
    "path": pl.String(),
    "arm": pl.String(),
    "step": pl.String(),
    "action": pl.String(),
    "template": pl.String(),
    "queue": pl.String(),
    "priority": pl.Int16(),
}

#: The input column each non-ratio field reads (repayment ability reads income and installment).
FIELD_COLUMNS: Final = {
    Field.BUCKET: "bucket",
    Field.DPD: "dpd",
    Field.BORROWER_WORST_DPD: "borrower_worst_dpd",
    Field.OVERDUE_AMOUNT: "total_overdue_fen",
    Field.BORROWER_OVERDUE_AMOUNT: "borrower_total_overdue_fen",
    Field.BORROWER_OVERDUE_LOANS: "borrower_overdue_loans",
    Field.OUTSTANDING_PRINCIPAL: "outstanding_principal_fen",
    Field.PRODUCT: "product_id",
    Field.CREDIT_SCORE: "credit_score",
    Field.CONTACTABLE: "contactable",
    Field.BROKEN_PROMISES: "broken_promises",
    Field.REGION: "region",
    Field.CLASSIFICATION: "classification",
    Field.COLLECTION_SCORE: "collection_score",
    Field.WARNING_SCORE: "warning_score",
    Field.WATCH_LISTED: "watch_listed",
}

_SEGMENT_INDEX: Final = "_segment_index"
_PATH_INDEX: Final = "_path_index"
_STEP_INDEX: Final = "_step_index"


# ------------------------------------------------------------------------------------------ the hash


def stable_hash_buckets(ids: pl.Series, salt: str = "") -> pl.Series:
    """``domain.strategy.hash_bucket`` of every id (no nulls), vectorised: FNV-1a 64 runs over byte
    position j for all ids at once (a loop over positions, never over rows), with numpy's wrapping uint64
    multiply, on the ids' UTF-8 bytes straight from the Arrow buffers."""
    if ids.null_count():
        raise ValueError("borrower_id must not be null")
    array = ids.rechunk().to_arrow().cast(pa.large_string())
    count = len(array)
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int64)[array.offset : array.offset + count + 1]
    data_buffer = array.buffers()[2]
    data = np.frombuffer(data_buffer, dtype=np.uint8) if data_buffer is not None else np.zeros(0, np.uint8)
    starts = offsets[:-1]
    lengths = np.diff(offsets)
    state = np.full(count, fnv1a_64(salt_prefix(salt), FNV_OFFSET), dtype=np.uint64)
    prime = np.uint64(FNV_PRIME)
    for position in range(int(lengths.max()) if count else 0):
        active = np.flatnonzero(lengths > position)
        state[active] = (state[active] ^ data[starts[active] + position]) * prime
    return pl.Series("hash_bucket", (state % np.uint64(SHARE_TOTAL)).astype(np.int32))


# -------------------------------------------------------------------------------------- conditions


def _operand_value(condition: Condition, value: object) -> object:
    """An operand in engine units: money → integer fen; others unchanged."""
    if FIELD_KINDS[condition.field] is Kind.MONEY:
        return fen(value)  # type: ignore[arg-type]
    return value


def _ratio_condition(condition: Condition) -> pl.Expr:
    """Repayment ability (income / installment) against a decimal threshold, exactly in Int128."""
    income = pl.col("monthly_income_fen").cast(pl.Int128)
    installment = pl.col("installment_fen").cast(pl.Int128)
    known = income.is_not_null() & installment.is_not_null() & (installment > 0)
    if condition.operator is Operator.IS_NULL:
        return known.not_() if condition.operand else known
    numerator, denominator = condition.operand.as_integer_ratio()  # type: ignore[union-attr]
    left, right = income * denominator, installment * numerator
    compared = {Operator.EQ: left == right, Operator.MIN: left >= right, Operator.MAX: left <= right}
    return pl.when(known).then(compared[condition.operator]).otherwise(False)


def condition_expr(condition: Condition) -> pl.Expr:
    """A Boolean expression over STRATEGY_INPUT (lead rows) that is true where ``condition`` holds; a null
    fact is false for every operator but ``is_null``."""
    if condition.field is Field.REPAYMENT_ABILITY:
        return _ratio_condition(condition)
    column = pl.col(FIELD_COLUMNS[condition.field])
    operator, operand = condition.operator, condition.operand
    if operator is Operator.IS_NULL:
        return column.is_null() if operand else column.is_not_null()
    if operator in (Operator.IN, Operator.NOT_IN):
        values = pl.Series([_operand_value(condition, item) for item in operand])  # type: ignore[union-attr]
        found = column.is_in(values.cast(STRATEGY_INPUT[FIELD_COLUMNS[condition.field]]).implode())
        result = found if operator is Operator.IN else found.not_()
    else:
        value = pl.lit(_operand_value(condition, operand))
        result = {Operator.EQ: column == value, Operator.MIN: column >= value, Operator.MAX: column <= value}[
            operator
        ]
    return result.fill_null(False)


def segment_index_expr(strategy: Strategy) -> pl.Expr:
    """The index of the first segment whose conditions all hold (null: none), as Int32."""
    chain: pl.Expr = pl.lit(None, dtype=pl.Int32)
    for index in reversed(range(len(strategy.segments))):
        conditions = [condition_expr(c) for c in strategy.segments[index].conditions]
        matched = pl.all_horizontal(conditions) if conditions else pl.lit(True)
        chain = pl.when(matched).then(pl.lit(index, dtype=pl.Int32)).otherwise(chain)
    return chain


def path_index_expr(strategy: Strategy) -> pl.Expr:
    """The path of the borrower's segment whose share range holds ``hash_bucket`` (Int32, null: no segment)."""
    chain: pl.Expr = pl.lit(None, dtype=pl.Int32)
    branches: list[tuple[pl.Expr, int]] = []
    for segment_index, segment in enumerate(strategy.segments):
        upper = 0
        for path_index, path in enumerate(segment.paths):
            upper += path.share
            in_range = (pl.col(_SEGMENT_INDEX) == segment_index) & (pl.col("hash_bucket") < upper)
            branches.append((in_range, path_index))
    for in_range, path_index in reversed(branches):
        chain = pl.when(in_range).then(pl.lit(path_index, dtype=pl.Int32)).otherwise(chain)
    return chain


def arms_frame(strategy: Strategy) -> pl.DataFrame:
    """(segment index, path index) → segment name, path name, arm."""
    rows = [
        (s_index, p_index, segment.name, path.name, arm_name(p_index))
        for s_index, segment in enumerate(strategy.segments)
        for p_index, path in enumerate(segment.paths)
    ]
    return pl.DataFrame(
        rows,
        schema={
            _SEGMENT_INDEX: pl.Int32(),
            _PATH_INDEX: pl.Int32(),
            "segment": pl.String(),
            "path": pl.String(),
            "arm": pl.String(),
        },
        orient="row",
    )


# ------------------------------------------------------------------------------------------- assign


def worst_loans_first(loans: pl.DataFrame) -> pl.DataFrame:
    """``loans`` by borrower, each borrower's lead loan first: highest ``dpd``, then largest
    ``total_overdue_fen``, then the smallest ``loan_id`` (the lead loan of strategies and cases)."""
    return loans.sort(
        ["borrower_id", "dpd", "total_overdue_fen", "loan_id"],
        descending=[False, True, True, False],
        nulls_last=True,
    )


def lead_rows(inputs: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """One row per borrower: the lead loan's STRATEGY_INPUT row with ``state_day`` (Int32, null: no state),
    sorted by borrower_id."""
    ordered = worst_loans_first(inputs)
    upcoming = pl.col("next_due_on").filter(pl.col("next_due_on") >= pl.lit(as_of))
    per_borrower = ordered.group_by("borrower_id", maintain_order=True).agg(
        pl.all().exclude("borrower_id").first(),
        pl.col("delinquent").any().alias("_any_delinquent"),
        upcoming.min().alias("_next_due"),
    )
    pre_due = (pl.lit(as_of) - pl.col("_next_due")).dt.total_days()
    state_day = pl.when(pl.col("_any_delinquent")).then(pl.col("borrower_worst_dpd")).otherwise(pre_due)
    return per_borrower.with_columns(state_day.cast(pl.Int32).alias("state_day")).drop(
        "_any_delinquent", "_next_due"
    )


def assign(inputs: pl.DataFrame, strategy: Strategy, as_of: date) -> pl.DataFrame:
    """ASSIGNMENTS of every borrower in ``inputs`` (STRATEGY_INPUT) with a state day on ``as_of``."""
    leads = lead_rows(conform(inputs, STRATEGY_INPUT), as_of).filter(pl.col("state_day").is_not_null())
    leads = leads.with_columns(stable_hash_buckets(leads["borrower_id"], strategy.salt))
    keyed = leads.with_columns(segment_index_expr(strategy).alias(_SEGMENT_INDEX)).with_columns(
        path_index_expr(strategy).alias(_PATH_INDEX)
    )
    named = keyed.join(
        arms_frame(strategy), on=[_SEGMENT_INDEX, _PATH_INDEX], how="left", maintain_order="left"
    )
    return conform(named.rename({"loan_id": "lead_loan_id"}), ASSIGNMENTS)


# --------------------------------------------------------------------------------------------- plan


def steps_frame(strategy: Strategy) -> pl.DataFrame:
    """Every step of the strategy: segment and path names, indexes, the step id and its fields."""
    rows = [
        {
            "segment": segment.name,
            "path": path.name,
            _PATH_INDEX: p_index,
            _STEP_INDEX: s_index,
            "step": step_id(p_index, s_index),
            "day": step.day,
            "every": step.every,
            "until": step.until,
            "action": step.action.value,
            "template": step.template,
            "queue": step.queue,
            "priority": step.priority,
        }
        for segment in strategy.segments
        for p_index, path in enumerate(segment.paths)
        for s_index, step in enumerate(path.steps)
    ]
    schema = {
        "segment": pl.String(),
        "path": pl.String(),
        _PATH_INDEX: pl.Int32(),
        _STEP_INDEX: pl.Int32(),
        "step": pl.String(),
        "day": pl.Int32(),
        "every": pl.Int32(),
        "until": pl.Int32(),
        "action": pl.String(),
        "template": pl.String(),
        "queue": pl.String(),
        "priority": pl.Int16(),
    }
    return pl.DataFrame(rows, schema=schema)


def repeat_due_expr() -> pl.Expr:
    """A repeating step fires on ``day`` and every ``every`` days after it, up to ``until`` inclusive."""
    since = pl.col("state_day") - pl.col("day")
    within = pl.col("until").is_null() | (pl.col("state_day") <= pl.col("until"))
    return (since == 0) | ((since > 0) & within & (since % pl.col("every") == 0))


def plan(assignments: pl.DataFrame, strategy: Strategy, as_of: date) -> pl.DataFrame:
    """ACTIONS due on ``as_of``: one-off steps joined on (segment, path, state day = day), repeating steps
    joined on (segment, path) and filtered by ``repeat_due_expr``; borrowers without a segment get none."""
    steps = steps_frame(strategy)
    cases = conform(assignments, ASSIGNMENTS).filter(pl.col("segment").is_not_null())
    once = cases.join(
        steps.filter(pl.col("every").is_null()),
        left_on=["segment", "path", "state_day"],
        right_on=["segment", "path", "day"],
        how="inner",
    )
    repeating = cases.join(
        steps.filter(pl.col("every").is_not_null()), on=["segment", "path"], how="inner"
    ).filter(repeat_due_expr())
    columns = [*ASSIGNMENTS, *(name for name in steps.columns if name not in ("segment", "path", "day"))]
    due = pl.concat([once.select(columns), repeating.select(columns)])
    ordered = due.sort(["borrower_id", _PATH_INDEX, _STEP_INDEX])
    return conform(
        ordered.with_columns(pl.lit(as_of).alias("as_of")).rename({"lead_loan_id": "loan_id"}),
        ACTIONS,
    )
