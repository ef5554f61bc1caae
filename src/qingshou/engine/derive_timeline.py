"""The delinquency timeline as columns (C2, C3): every installment of the replayed ledgers with its overdue
origin and last on-time day, and the state of every loan at the end of a day.

This mirrors ``domain.delinquency`` and the domain classification's ``_Timeline``. Installments are taken in
(due date, seq) order per loan. Origins and last on-time days are computed only for
installments due by ``as_of`` (``past``), so a calendar gap after ``as_of`` never matters:

* effective due date = the next business day of the due date under ``holiday_rule = next_business_day``,
  else the due date (C2);
* last on-time day (``on_time_until``) = effective due date + ``grace_days`` (inclusive, C2);
* ``origin`` = the effective due date under ``dpd_origin = effective``, else the due date (C2, C3).

Both are non-decreasing in due order, so the oldest unsettled installment decides dpd and delinquency. On a
day t (end of day, C1) the oldest unpaid installment is the first one due by t and not settled by t:
``dpd`` = max(0, t − its origin), ``delinquent`` = t > its last on-time day, ``cleared`` = there is none.

**Loan keys.** String keys cost: on a million loans a group-by or join on ``loan_id`` over the installment
rows is 5–40× slower than on an integer. So the loans get ``loan_key`` = 0 … n − 1 in ``loan_id`` order
(``keyed_loans``, flagged sorted) and the lines carry the same key instead of ``loan_id`` (``keyed_lines``);
per-loan values reach the lines by position (``per_loan``). **The lines are not sorted**: sorting 28 million
rows costs more than all the rest, and most of the work is order-free (sums, maxima, per-row rules). Only
the few rows whose order matters — the unsettled past lines, the loans that ever reached NPL — are put in
(loan_key, due date, seq) order (``in_due_order``), where neighbours within a loan are reached by shifting
the whole sorted column (``before_in_loan`` …) instead of ``over``.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from qingshou.engine.calendar import CalendarFrame

_DAY = timedelta(days=1)
_EPOCH = date(1970, 1, 1)
#: The integer key of a loan in a derivation (0 … n − 1 in loan_id order).
KEY = "loan_key"
#: One Int64 holds a loan key × 2³² + a day (dates are Int32 days since 1970, shifted to be ≥ 0).
_KEY_SPAN = 2**32
_DATE_SHIFT = 2**31


# --- keys and window helpers (frames sorted by KEY) --------------------------------------------------------


def keyed_loans(ledger_loans: pl.DataFrame, book_loans: pl.DataFrame) -> pl.DataFrame:
    """The loans of the ledger (LEDGER_LOANS) with their LOANS columns, sorted by loan_id, with
    ``loan_key`` = the row number (UInt32, flagged sorted). A loan the book lacks has null book columns."""
    return (
        ledger_loans.join(book_loans, on="loan_id", how="left")
        .sort("loan_id")
        .with_row_index(KEY)
        .with_columns(pl.col(KEY).set_sorted())
    )


def keyed_lines(lines: pl.DataFrame, loans: pl.DataFrame) -> pl.DataFrame:
    """``lines`` (LEDGER_LINES) with the ``loan_key`` of ``loans`` (``keyed_loans``) instead of ``loan_id``,
    in their own order (NOT sorted: see the module docstring). Every loan must have lines and every line a
    loan (the replay's contract): otherwise an error names the loan.

    Strings are touched once per run of equal ``loan_id`` (the replay writes each loan's lines together):
    the runs get their key by a join on the run heads, the rows by position."""
    runs = lines.select(pl.col("loan_id").rle_id().alias("_run"))["_run"]
    # the first row of each run, found on the run ids (rising by one): the strings are not shifted
    count = int(runs[-1]) + 1 if runs.len() else 0
    firsts = runs.search_sorted(pl.int_range(count, eager=True).cast(runs.dtype), side="left")
    heads = lines["loan_id"].gather(firsts).to_frame()
    head_keys = heads.join(loans.select("loan_id", KEY), on="loan_id", how="left", maintain_order="left")[KEY]
    if head_keys.null_count() or head_keys.n_unique() != loans.height:
        _refuse_mismatch(lines["loan_id"].unique().sort(), loans["loan_id"])
    columns = [lines[name] for name in lines.columns if name != "loan_id"]
    keys = head_keys.gather(runs).alias(KEY)
    return pl.DataFrame([*columns, chunked_like(keys, lines)])


def chunked_like(column: pl.Series, frame: pl.DataFrame) -> pl.Series:
    """``column`` cut into the chunks of ``frame``'s first column (slices, no copy). The replay hands its
    lines on in two chunks (the head lines, then the untouched ones); a column added in one chunk would make
    Polars copy the whole frame into one chunk to align them — gigabytes at a million loans."""
    lengths = frame.to_series(0).chunk_lengths() if frame.width else []
    if len(lengths) < 2 or sum(lengths) != column.len():
        return column
    parts, start = [], 0
    for length in lengths:
        parts.append(column.slice(start, length))
        start += length
    return pl.concat(parts, rechunk=False)


def in_due_order(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` (lines with loan_key, due_date, seq) in (loan_key, due date, seq) order, the key flagged
    sorted: the order every window helper below needs."""
    return frame.sort(KEY, "due_date", "seq").with_columns(pl.col(KEY).set_sorted())


def _refuse_mismatch(with_lines: pl.Series, loan_ids: pl.Series) -> None:
    stray = with_lines.filter(~with_lines.is_in(loan_ids.implode()))
    if stray.len():
        raise ValueError(f"loan {stray[0]}: ledger lines for a loan the ledger does not list (loan_id)")
    bare = loan_ids.filter(~loan_ids.is_in(with_lines.implode()))
    raise ValueError(f"loan {bare[0] if bare.len() else '?'}: no ledger lines (installments)")


def first_of_loan() -> pl.Expr:
    """True on the first row of each loan (frame sorted by loan_key)."""
    return (pl.col(KEY) != pl.col(KEY).shift(1)).fill_null(True)


def last_of_loan() -> pl.Expr:
    """True on the last row of each loan (frame sorted by loan_key)."""
    return (pl.col(KEY) != pl.col(KEY).shift(-1)).fill_null(True)


def before_in_loan(expr: pl.Expr) -> pl.Expr:
    """``expr`` on the previous row of the same loan; null on a loan's first row."""
    return pl.when(first_of_loan()).then(None).otherwise(expr.shift(1))


def after_in_loan(expr: pl.Expr) -> pl.Expr:
    """``expr`` on the next row of the same loan; null on a loan's last row."""
    return pl.when(last_of_loan()).then(None).otherwise(expr.shift(-1))


def running_max_in_loan(column: str) -> pl.Expr:
    """The running maximum of a non-null Date column within each loan, as one global ``cum_max`` over
    (loan_key × 2³² + day): a later loan's keys are all above an earlier one's."""
    loan = pl.col(KEY).cast(pl.Int64) * _KEY_SPAN
    day = pl.col(column).cast(pl.Int64) + _DATE_SHIFT
    return ((loan + day).cum_max() - loan - _DATE_SHIFT).cast(pl.Int32).cast(pl.Date)


def per_loan(loans: pl.DataFrame, column: str) -> pl.Expr:
    """The ``column`` of each row's loan (``loans``: keyed, one row per key in key order)."""
    return pl.lit(loans[column]).gather(pl.col(KEY))


def sorted_by_key(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with its loan_key column flagged sorted (it must be: a group-by then takes the fast path)."""
    return frame.with_columns(pl.col(KEY).set_sorted())


# --- the timeline ------------------------------------------------------------------------------------------


def product_rules(products: pl.DataFrame) -> pl.DataFrame:
    """(product_id, grace_days, shifted, effective_origin) of every product (C2)."""
    return products.select(
        "product_id",
        pl.col("grace_days").cast(pl.Int32),
        (pl.col("holiday_rule") == "next_business_day").alias("shifted"),
        (pl.col("dpd_origin") == "effective").alias("effective_origin"),
    )


def timeline(
    lines: pl.DataFrame,
    loans: pl.DataFrame,
    products: pl.DataFrame,
    as_of: date,
    calendar: CalendarFrame,
) -> pl.DataFrame:
    """``lines`` (``keyed_lines``) plus past, origin and on_time_until (the last two null when not past),
    in the same order. ``loans``: ``keyed_loans``.

    A past installment of a ``next_business_day`` product whose due date the calendar cannot shift is an
    error naming the loan (the replay would have refused it)."""
    rules = loans.select(KEY, "product_id").join(product_rules(products), on="product_id", how="left")
    rules = rules.sort(KEY)
    added = lines.select(
        per_loan(rules, "grace_days").alias("_grace_days"),
        per_loan(rules, "shifted").alias("_shifted"),
        per_loan(rules, "effective_origin").alias("_effective_origin"),
        (pl.col("due_date") <= as_of).alias("past"),
    )
    added = added.with_columns(_next_business_days(lines["due_date"], calendar))
    frame = pl.DataFrame([*lines.get_columns(), *(chunked_like(c, lines) for c in added.get_columns())])
    _refuse_unshiftable(frame, loans)
    effective = pl.when(pl.col("_shifted")).then(pl.col("_next_business_day")).otherwise(pl.col("due_date"))
    return frame.with_columns(
        pl.when(pl.col("past"))
        .then(pl.when(pl.col("_effective_origin")).then(effective).otherwise(pl.col("due_date")))
        .alias("origin"),
        pl.when(pl.col("past"))
        .then((effective.cast(pl.Int32) + pl.col("_grace_days")).cast(pl.Date))
        .alias("on_time_until"),
    ).drop("_grace_days", "_shifted", "_effective_origin", "_next_business_day")


def _next_business_days(due_dates: pl.Series, calendar: CalendarFrame) -> pl.Series:
    """The next business day of every date of ``due_dates`` (null where the calendar cannot say),
    gathered by position from a table of every day between the earliest and the latest of them: cheaper
    than a join or a hash lookup on millions of lines."""
    first, last = due_dates.min(), due_dates.max()
    if not isinstance(first, date) or not isinstance(last, date):
        return pl.Series("_next_business_day", [None] * due_dates.len(), dtype=pl.Date)
    table = (
        pl.date_range(first, last, eager=True)
        .alias("day")
        .to_frame()
        .join(calendar.days, on="day", how="left", maintain_order="left")["next_business_day"]
    )
    offsets = due_dates.cast(pl.Int32) - (first - _EPOCH).days
    return table.gather(offsets).alias("_next_business_day")


def _refuse_unshiftable(frame: pl.DataFrame, loans: pl.DataFrame) -> None:
    unshiftable = pl.col("past") & pl.col("_shifted") & pl.col("_next_business_day").is_null()
    if frame.select(unshiftable.any()).item():
        bad = in_due_order(frame.filter(unshiftable))
        row = bad.row(0, named=True)
        loan_id = loans["loan_id"][row[KEY]]
        raise ValueError(
            f"loan {loan_id}: installment {row['seq']} due_date {row['due_date']} cannot be moved to"
            " a business day: the calendar does not cover it (the replay should have made this an error row)"
        )


def unsettled_at(day: date) -> pl.Expr:
    """Whether the installment is not fully settled at the end of ``day``."""
    return pl.col("settled_on").is_null() | (pl.col("settled_on") > day)


def state_on(lines: pl.DataFrame, loans: pl.DataFrame, day: date) -> pl.DataFrame:
    """(loan_key, dpd, delinquent, cleared) of every loan of ``loans`` (keyed) at the end of ``day``
    (≤ as_of). ``lines``: a ``timeline`` frame. dpd is Int32, never negative; a loan with nothing due and
    unpaid has dpd 0, is not delinquent and is cleared (C3)."""
    oldest = (
        in_due_order(lines.filter((pl.col("due_date") <= day) & unsettled_at(day)))
        .filter(first_of_loan())
        .select(
            KEY,
            (pl.lit(day) - pl.col("origin")).dt.total_days().clip(lower_bound=0).cast(pl.Int32).alias("dpd"),
            # column first: polars 2.1 gives a length-1 result for ``lit > column`` when the column is a
            # constant one (every row alike), and the select then fails on the frame's height
            (pl.col("on_time_until") < pl.lit(day)).alias("delinquent"),
            pl.lit(False).alias("cleared"),
        )
    )
    return (
        loans.select(KEY)
        .join(oldest, on=KEY, how="left", maintain_order="left")
        .with_columns(
            pl.col("dpd").fill_null(0),
            pl.col("delinquent").fill_null(False),
            pl.col("cleared").fill_null(True),
        )
    )


def missed_on(lines: pl.DataFrame, loans: pl.DataFrame, day: date) -> pl.DataFrame:
    """(loan_key, missed): whether ``day`` is the day after some past installment's last on-time day that
    was not settled by then (a missed installment, C6)."""
    missed = (
        in_due_order(
            lines.filter(
                pl.col("past")
                & (pl.col("on_time_until") == day - _DAY)
                & (pl.col("settled_on").is_null() | (pl.col("settled_on") > pl.col("on_time_until")))
            )
        )
        .filter(first_of_loan())
        .select(KEY, pl.lit(True).alias("missed"))
    )
    return (
        loans.select(KEY)
        .join(missed, on=KEY, how="left", maintain_order="left")
        .with_columns(pl.col("missed").fill_null(False))
    )
