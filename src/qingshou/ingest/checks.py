"""Row checks as Polars expressions: parse a text column by its kind and name the first problem of each row.

A *check* is a boolean expression that is true on a bad row, with the field, a stable reason code and a
detail text. ``with_problems`` folds a list of checks into one struct column ``__problem`` holding the
first failing check of each row (earlier problems win, so checks run in the order given: required,
format, range, cross-column, duplicates, references). Everything is vectorised; nothing loops over rows.
Amounts are parsed from their digits (never through a float): ``"1033.3"`` → 103330 fen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import polars as pl

from qingshou.ingest.reading import ROW
from qingshou.ingest.tables import Column, Kind

PROBLEM = "__problem"
_FAILED = "__failed"
_NEW = "__new_problem"
RAW = "raw."
_MAX_YUAN_DIGITS = 13
_AMOUNT_PLACES = 2
_RATE_PLACES = 8
_COUNT_DIGITS = 9
_NUMBER = r"^[+-]?(\d+(\.\d*)?|\.\d+)$"


class Reason(StrEnum):
    """Why a row was rejected; the code written in the ``reason`` column of a rejects file."""

    MISSING_REQUIRED = "missing_required"
    UNPARSABLE_DATE = "unparsable_date"
    UNPARSABLE_NUMBER = "unparsable_number"
    NEGATIVE_AMOUNT = "negative_amount"
    ZERO_AMOUNT = "zero_amount"
    TOO_MANY_DECIMALS = "too_many_decimals"
    OUT_OF_RANGE = "out_of_range"
    TOO_LONG = "too_long"
    BAD_VALUE = "bad_value"
    DATE_ORDER = "date_order"
    DUPLICATE_ID = "duplicate_id"
    UNKNOWN_BORROWER = "unknown_borrower"
    UNKNOWN_PRODUCT = "unknown_product"
    UNKNOWN_LOAN = "unknown_loan"
    SCHEDULE_SUM = "schedule_sum"
    SEQ_GAP = "seq_gap"
    DUE_BEFORE_DISBURSEMENT = "due_before_disbursement"
    DUE_DATES_NOT_INCREASING = "due_dates_not_increasing"
    SCHEDULE_REJECTED = "schedule_rejected"
    SCHEDULE_NOT_BUILT = "schedule_not_built"
    PAID_BEFORE_DISBURSEMENT = "paid_before_disbursement"
    PAYMENT_CONFLICT = "payment_conflict"
    INVALID_POLICY = "invalid_policy"


@dataclass(frozen=True, slots=True)
class Check:
    """A row is bad when ``bad`` is true; ``detail`` explains it in words (may use the row's values)."""

    bad: pl.Expr
    field: str
    reason: Reason
    detail: pl.Expr


def check(bad: pl.Expr, field: str, reason: Reason, detail: str | pl.Expr) -> Check:
    """A check with a literal or computed detail."""
    return Check(bad, field, reason, pl.lit(detail) if isinstance(detail, str) else detail)


TEXT = "t."
_NEGATIVE = "n.negative."
_HALVES = "n.halves."
_DIGITS = "n.int."
_DECIMALS = "n.frac."
_NUMBER_KINDS = (Kind.AMOUNT, Kind.POSITIVE_AMOUNT, Kind.RATE)


def text(column: Column, default: str | None = None) -> pl.Expr:
    """``t.<name>``: the raw value trimmed, an empty cell as null (or ``default``)."""
    value = pl.col(RAW + column.name).str.strip_chars()
    cleaned = pl.when(value == "").then(None).otherwise(value)
    return (cleaned.fill_null(pl.lit(default)) if default is not None else cleaned).alias(TEXT + column.name)


def number_halves(column: Column) -> list[pl.Expr]:
    """Stage 1 of number parsing: whether a number is negative, and its text split at the decimal point."""
    if column.kind not in _NUMBER_KINDS:
        return []
    value = pl.col(TEXT + column.name)
    numeric = value.str.contains(_NUMBER)
    return [
        pl.when(numeric).then(value.str.starts_with("-")).alias(_NEGATIVE + column.name),
        pl.when(numeric)
        .then(value.str.strip_chars_start("+-").str.split_exact(".", 1))
        .alias(_HALVES + column.name),
    ]


def number_parts(column: Column) -> list[pl.Expr]:
    """Stage 2: integer digits and significant decimals (trailing zeros dropped); null when not a number."""
    if column.kind not in _NUMBER_KINDS:
        return []
    halves = pl.col(_HALVES + column.name)
    return [
        halves.struct.field("field_0").replace("", "0").alias(_DIGITS + column.name),
        pl.when(halves.is_not_null())
        .then(halves.struct.field("field_1").fill_null("").str.strip_chars_end("0"))
        .alias(_DECIMALS + column.name),
    ]


def _quoted(value: pl.Expr) -> pl.Expr:
    """A value between quotes, for details."""
    return pl.concat_str([pl.lit("'"), value.fill_null(""), pl.lit("'")])


def _number(column: Column) -> tuple[pl.Expr, pl.Expr, pl.Expr, pl.Expr]:
    """Negative flag, integer digits, significant decimals of a number column, and whether it is a number."""
    digits = pl.col(_DIGITS + column.name)
    return pl.col(_NEGATIVE + column.name), digits, pl.col(_DECIMALS + column.name), digits.is_not_null()


def _is_zero(digits: pl.Expr, decimals: pl.Expr) -> pl.Expr:
    return (digits.str.strip_chars("0") == "") & (decimals == "")


def amount_checks(column: Column, value: pl.Expr) -> tuple[pl.Expr, list[Check]]:
    """Integer fen of a yuan amount with at most 2 decimals, and the checks of the column."""
    negative, digits, decimals, numeric = _number(column)
    name = column.name
    checks = [
        check(
            value.is_not_null() & ~numeric,
            name,
            Reason.UNPARSABLE_NUMBER,
            pl.format("not an amount: {}", _quoted(value)),
        ),
        check(
            negative & ~_is_zero(digits, decimals),
            name,
            Reason.NEGATIVE_AMOUNT,
            pl.format("negative amount {}", value),
        ),
        check(
            decimals.str.len_chars() > _AMOUNT_PLACES,
            name,
            Reason.TOO_MANY_DECIMALS,
            pl.format("more than 2 decimals: {}", value),
        ),
        check(
            digits.str.strip_chars_start("0").str.len_chars() > _MAX_YUAN_DIGITS,
            name,
            Reason.OUT_OF_RANGE,
            pl.format("amount too large: {}", value),
        ),
    ]
    if column.kind is Kind.POSITIVE_AMOUNT:
        checks.append(
            check(
                numeric & _is_zero(digits, decimals), name, Reason.ZERO_AMOUNT, "amount must be more than 0"
            )
        )
    fen = digits.cast(pl.Int64, strict=False) * 100 + decimals.str.pad_end(_AMOUNT_PLACES, "0").str.slice(
        0, _AMOUNT_PLACES
    ).cast(pl.Int64, strict=False)
    return fen, checks


def rate_checks(column: Column, value: pl.Expr) -> tuple[pl.Expr, list[Check]]:
    """A rate as text with exactly 8 decimals ("0.04350000"), between 0 and 1, and the checks of the column."""
    negative, digits, decimals, numeric = _number(column)
    name = column.name
    whole = digits.cast(pl.Int64, strict=False)
    checks = [
        check(
            value.is_not_null() & ~numeric,
            name,
            Reason.UNPARSABLE_NUMBER,
            pl.format("not a number: {}", _quoted(value)),
        ),
        check(
            negative & ~_is_zero(digits, decimals),
            name,
            Reason.OUT_OF_RANGE,
            pl.format("negative rate {}", value),
        ),
        check(
            decimals.str.len_chars() > _RATE_PLACES,
            name,
            Reason.TOO_MANY_DECIMALS,
            pl.format("more than 8 decimals: {}", value),
        ),
        check(
            (whole > 1) | ((whole == 1) & (decimals != "")) | (whole.is_null() & numeric),
            name,
            Reason.OUT_OF_RANGE,
            pl.format("a rate is a fraction between 0 and 1 (0.0435 = 4.35 %), got {}", value),
        ),
    ]
    normalised = pl.concat_str([whole.cast(pl.String), pl.lit("."), decimals.str.pad_end(_RATE_PLACES, "0")])
    return normalised, checks


def date_checks(column: Column, value: pl.Expr) -> tuple[pl.Expr, list[Check]]:
    """An ISO date (``YYYY-MM-DD``), and the check that it is one."""
    parsed = pl.when(value.str.contains(r"^\d{4}-\d{2}-\d{2}$")).then(
        value.str.to_date("%Y-%m-%d", strict=False)
    )
    bad = value.is_not_null() & parsed.is_null()
    return parsed, [
        check(
            bad, column.name, Reason.UNPARSABLE_DATE, pl.format("not a date (YYYY-MM-DD): {}", _quoted(value))
        )
    ]


def count_checks(column: Column, value: pl.Expr) -> tuple[pl.Expr, list[Check]]:
    """A whole number ≥ the column's minimum, and its checks."""
    wellformed = value.str.contains(rf"^\+?\d{{1,{_COUNT_DIGITS}}}$")
    parsed = pl.when(wellformed).then(value.str.strip_chars_start("+").cast(pl.Int64, strict=False))
    checks = [
        check(
            value.is_not_null() & ~wellformed & ~value.str.contains(r"^-\d+$"),
            column.name,
            Reason.UNPARSABLE_NUMBER,
            pl.format("not a whole number: {}", _quoted(value)),
        ),
        check(
            value.str.contains(r"^-\d+$") | (parsed < column.minimum),
            column.name,
            Reason.OUT_OF_RANGE,
            pl.format("must be at least {}, got {}", pl.lit(column.minimum), value),
        ),
    ]
    return parsed, checks


def choice_checks(column: Column, value: pl.Expr) -> tuple[pl.Expr, list[Check]]:
    """One of the column's choices (compared in lower case), and its check."""
    lowered = value.str.to_lowercase()
    allowed = " | ".join(column.choices)
    bad = value.is_not_null() & ~lowered.is_in(list(column.choices))
    return lowered, [
        check(
            bad,
            column.name,
            Reason.BAD_VALUE,
            pl.format(f"must be one of {allowed}, got {{}}", _quoted(value)),
        )
    ]


def text_checks(column: Column, value: pl.Expr) -> tuple[pl.Expr, list[Check]]:
    """Text no longer than the column allows (PostgreSQL would refuse it)."""
    too_long = value.str.len_chars() > column.max_length
    return value, [
        check(too_long, column.name, Reason.TOO_LONG, f"longer than {column.max_length} characters")
    ]


def policy_checks(column: Column, value: pl.Expr) -> tuple[pl.Expr, list[Check]]:
    """A product-policy parameter passes as text: ``ProductPolicy.build`` checks it (and names the field)."""
    return value, []


_PARSERS = {
    Kind.ID: text_checks,
    Kind.TEXT: text_checks,
    Kind.AMOUNT: amount_checks,
    Kind.POSITIVE_AMOUNT: amount_checks,
    Kind.RATE: rate_checks,
    Kind.DATE: date_checks,
    Kind.COUNT: count_checks,
    Kind.CHOICE: choice_checks,
    Kind.POLICY: policy_checks,
}


def column_checks(column: Column, value: pl.Expr) -> tuple[pl.Expr, list[Check]]:
    """The parsed value of ``column`` (named by its database column) and its checks, required first."""
    parsed, checks = _PARSERS[column.kind](column, value)
    if column.required:
        checks.insert(
            0, check(value.is_null(), column.name, Reason.MISSING_REQUIRED, "missing required value")
        )
    return parsed.alias(column.db_name), checks


def _first_failed(checks: Sequence[Check]) -> pl.Expr:
    """The index of the first failing check (cheap: no text is built), null when the row passes them all."""
    return pl.coalesce(
        pl.when(item.bad.fill_null(False)).then(pl.lit(index, dtype=pl.UInt16))
        for index, item in enumerate(checks)
    )


def _describe(checks: Sequence[Check]) -> pl.Expr:
    """The (field, reason, detail) struct of the check numbered in ``__failed``; run on failing rows only."""

    def problem(item: Check) -> pl.Expr:
        return pl.struct(
            pl.lit(item.field).alias("field"),
            pl.lit(item.reason.value).alias("reason"),
            item.detail.cast(pl.String).fill_null("").alias("detail"),
        )

    failed = pl.col(_FAILED)
    return pl.coalesce(pl.when(failed == index).then(problem(item)) for index, item in enumerate(checks))


def problem_dtype() -> pl.Struct:
    """The type of the ``__problem`` column."""
    return pl.Struct({"field": pl.String, "reason": pl.String, "detail": pl.String})


def with_problems(frame: pl.DataFrame | pl.LazyFrame, checks: Sequence[Check]) -> pl.DataFrame:
    """``frame`` with ``__problem`` set to its first problem: the one it had already, else the first of ``checks``.

    The checks run on every row; the detail texts are built for the failing rows only (a 12M-row file
    has few). Details must therefore not use window expressions: materialise those as columns first.
    """
    lazy = frame.lazy()
    if PROBLEM not in lazy.collect_schema():
        lazy = lazy.with_columns(pl.lit(None, dtype=problem_dtype()).alias(PROBLEM))
    if not checks:
        return lazy.collect()
    flagged = lazy.with_columns(pl.when(is_ok()).then(_first_failed(checks)).alias(_FAILED)).collect()
    failing = flagged.filter(pl.col(_FAILED).is_not_null())
    if failing.height == 0:
        return flagged.drop(_FAILED)
    described = failing.select(ROW, _describe(checks).alias(_NEW))
    # Join the row numbers only (not the whole frame, which would copy every column) and lay the new
    # problems beside the frame: ``__row`` is unique and the left join keeps the frame's order.
    new = flagged.select(ROW).join(described, on=ROW, how="left", maintain_order="left")[_NEW]
    return flagged.with_columns(pl.coalesce(pl.col(PROBLEM), new).alias(PROBLEM)).drop(_FAILED)


def is_ok() -> pl.Expr:
    """True on a row without a problem so far."""
    return pl.col(PROBLEM).is_null()
