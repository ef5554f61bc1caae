"""Validation of the extract tables: text in, typed good rows and reject rows out (a ``Checked`` per table).

Each ``check_…`` function takes a table read as text (``reading.read_file``) and what it must agree with
(known borrowers, products and loans; payments already stored) and returns a :class:`Checked`: the
working frame with raw values, parsed values under their database column names and the first problem of
each row. Tables are checked parents first, and a child whose parent was rejected is rejected as unknown.
A loan whose schedule is broken is rejected with it (``reject_keys``). Only products go row by row, through
``ProductPolicy.build``, which names the field that is wrong.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import polars as pl

from qingshou.domain.errors import DomainError
from qingshou.domain.policy import ProductPolicy
from qingshou.ingest.checks import (
    PROBLEM,
    RAW,
    TEXT,
    Check,
    Reason,
    check,
    column_checks,
    is_ok,
    number_halves,
    number_parts,
    problem_dtype,
    text,
    with_problems,
)
from qingshou.ingest.reading import ROW
from qingshou.ingest.tables import BORROWERS, DEFAULTS, INSTALLMENTS, LOANS, PAYMENTS, PRODUCTS, Kind, Table

REJECT_COLUMNS = ("row", "field", "reason", "detail")
_POLICY_FIELDS = {"direction": "allocation_direction"}
#: Rows parsed and checked per slice in ``_prepare`` (bounds the memory of the intermediate text columns).
PREPARE_BATCH_ROWS = 500_000


@dataclass(frozen=True, slots=True)
class Checked:
    """One table after validation: ``good()`` rows to store, ``rejects()`` rows with their first problem.

    ``frame`` holds ``__row``, the parsed values and ``__problem``; the values as read live apart in
    ``originals`` (``__row`` and ``raw.<column>``), which only the rejects need: :meth:`compact` keeps them
    for the rejected rows alone once no more rows can be rejected, so a big file's text is not held.
    """

    table: Table
    frame: pl.DataFrame
    columns: tuple[str, ...]
    file_columns: tuple[str, ...]
    originals: pl.DataFrame

    def good(self) -> pl.DataFrame:
        """The accepted rows: database columns plus ``__row``."""
        return self.frame.filter(is_ok()).select(ROW, *self.columns)

    def rejects(self) -> pl.DataFrame:
        """The rejected rows: row, field, reason, detail, then the file's columns as they were read."""
        taken = set(REJECT_COLUMNS)
        originals = [
            pl.col(RAW + name).alias(name if name not in taken else f"value.{name}")
            for name in self.file_columns
        ]
        return (
            self.frame.filter(~is_ok())
            .select(ROW, PROBLEM)
            .join(self.originals, on=ROW, how="left")
            .sort(ROW)
            .select(pl.col(ROW).alias("row"), pl.col(PROBLEM).struct.unnest(), *originals)
        )

    def compact(self) -> Checked:
        """The same table keeping the values as read for the rejected rows only (call it when final)."""
        bad = self.frame.filter(~is_ok()).select(ROW)
        return replace(self, originals=self.originals.join(bad, on=ROW, how="semi"))

    @property
    def rejected(self) -> int:
        """How many rows were rejected."""
        return self.frame.height - self.frame.filter(is_ok()).height

    def reject_keys(self, problems: pl.DataFrame, key: str) -> Checked:
        """Reject the rows whose ``key`` is in ``problems`` (columns key, field, reason, detail), unless already."""
        if problems.height == 0:
            return self
        joined = problems.select(
            pl.col(key).alias("__key"), pl.struct("field", "reason", "detail").alias("__new")
        ).unique("__key", keep="first")
        frame = (
            self.frame.join(joined, left_on=key, right_on="__key", how="left", coalesce=True)
            .with_columns(pl.coalesce(PROBLEM, "__new").alias(PROBLEM))
            .drop("__new")
        )
        return replace(self, frame=frame)


def _prepare(
    table: Table, raw: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame, tuple[str, ...], list[str]]:
    """Parsed columns with their first problem, the values as read (``raw.<name>``), file columns, columns.

    The working frame keeps no text as read: only ``__row``, the parsed values (and ``extra``) and
    ``__problem``; the originals (which share the read frame's memory) are for the rejects.
    """
    file_columns = tuple(name for name in raw.columns if name != ROW)
    known = {column.name for column in table.columns}
    originals = raw.select(ROW, *(pl.col(name).alias(RAW + name) for name in file_columns))
    lazy = originals.lazy()
    absent = [
        pl.lit(None, dtype=pl.String).alias(RAW + c.name) for c in table.columns if c.name not in file_columns
    ]
    lazy = lazy.with_columns(absent) if absent else lazy
    # Three stages so each text is cleaned, and each number split, once: clean text, split, parts.
    lazy = lazy.with_columns(text(c, DEFAULTS.get((table.name, c.name))) for c in table.columns)
    lazy = lazy.with_columns(expr for c in table.columns for expr in number_halves(c))
    lazy = lazy.with_columns(expr for c in table.columns for expr in number_parts(c))
    parsed, checks = [], []
    for column in table.columns:
        expr, column_checks_ = column_checks(column, pl.col(TEXT + column.name))
        if column.kind is Kind.TEXT and not column.required:
            expr = expr.fill_null("")
        parsed.append(expr)
        checks.extend(column_checks_)
    lazy = lazy.with_columns(parsed)
    if table.keeps_extra:
        extras = sorted(name for name in file_columns if name not in known)
        lazy = lazy.with_columns(_extra_json(extras))
    # These checks look at one row at a time, so they run a slice of rows at a time: the cleaned texts
    # and number parts in between (about 20 text columns) then never exist for a whole big file at once.
    parts = [
        with_problems(lazy.slice(start, PREPARE_BATCH_ROWS), checks).drop(
            pl.selectors.starts_with(TEXT, "n.", RAW)
        )
        for start in range(0, max(raw.height, 1), PREPARE_BATCH_ROWS)
    ]
    frame = pl.concat(parts) if len(parts) > 1 else parts[0]
    return (
        frame,
        originals,
        file_columns,
        [column.db_name for column in table.columns] + (["extra"] if table.keeps_extra else []),
    )


def _extra_json(names: Sequence[str]) -> pl.Expr:
    """The extra columns of a row as a JSON object (keys sorted), ``{}`` when there are none."""
    if not names:
        return pl.lit("{}").alias("extra")
    return pl.struct([pl.col(RAW + name).alias(name) for name in names]).struct.json_encode().alias("extra")


def _duplicates(key: Sequence[str], field: str, shown: Sequence[str] = ()) -> Check:
    """Every row of a key that appears more than once is rejected (the file is ambiguous).

    ``shown`` names the columns the detail shows (default: the key).
    """
    present = pl.all_horizontal([pl.col(k).is_not_null() for k in key])
    repeated = pl.len().over(list(key)) > 1
    detail = pl.format(
        "{} appears more than once in the file",
        pl.concat_str([pl.col(k).cast(pl.String) for k in (shown or key)], separator="#"),
    )
    return check(present & repeated, field, Reason.DUPLICATE_ID, detail)


def _checked(
    table: Table,
    frame: pl.DataFrame,
    originals: pl.DataFrame,
    file_columns: tuple[str, ...],
    columns: Sequence[str],
) -> Checked:
    return Checked(table, frame, tuple(columns), file_columns, originals)


def check_borrowers(raw: pl.DataFrame) -> Checked:
    """Borrowers: formats, lengths, duplicate ids; extra columns kept as JSON in ``extra``."""
    frame, originals, file_columns, columns = _prepare(BORROWERS, raw)
    frame = with_problems(frame, [_duplicates(["borrower_id"], "borrower_id")])
    return _checked(BORROWERS, frame, originals, file_columns, columns)


def check_loans(raw: pl.DataFrame, borrower_ids: pl.Series, product_ids: pl.Series) -> Checked:
    """Loans: formats, date order, duplicate ids, borrower and product known (in this load or stored)."""
    frame, originals, file_columns, columns = _prepare(LOANS, raw)
    disbursed = pl.col("disbursed_on")
    checks = [
        check(
            pl.col("first_due_date") <= disbursed,
            "first_due_date",
            Reason.DATE_ORDER,
            pl.format("first_due_date {} is not after disbursed_on {}", pl.col("first_due_date"), disbursed),
        ),
        check(
            pl.col("accelerated_on") < disbursed,
            "accelerated_on",
            Reason.DATE_ORDER,
            pl.format("accelerated_on {} is before disbursed_on {}", pl.col("accelerated_on"), disbursed),
        ),
        _duplicates(["loan_id"], "loan_id"),
        check(
            ~pl.col("borrower_id").is_in(borrower_ids.implode()),
            "borrower_id",
            Reason.UNKNOWN_BORROWER,
            pl.format(
                "borrower {} is not in borrowers (or was rejected) and not stored", pl.col("borrower_id")
            ),
        ),
        check(
            ~pl.col("product_id").is_in(product_ids.implode()),
            "product_id",
            Reason.UNKNOWN_PRODUCT,
            pl.format("product {} is not in products (or was rejected) and not stored", pl.col("product_id")),
        ),
    ]
    return _checked(LOANS, with_problems(frame, checks), originals, file_columns, columns)


def check_products(raw: pl.DataFrame) -> Checked:
    """Products: id present and unique, then every policy parameter through ``ProductPolicy.build``."""
    frame, originals, file_columns, columns = _prepare(PRODUCTS, raw)
    checked = _checked(
        PRODUCTS,
        with_problems(frame, [_duplicates(["product_id"], "product_id")]),
        originals,
        file_columns,
        columns,
    )
    policies = []
    for row in checked.frame.filter(is_ok()).select(ROW, *columns).iter_rows(named=True):
        policies.append(_policy_row(row))
    policy_frame = pl.DataFrame(policies, schema=_policy_schema(), orient="row")
    merged = (
        checked.frame.drop([c for c in columns if c not in ("product_id", "name")])
        .join(policy_frame, on=ROW, how="left")
        .with_columns(pl.coalesce(PROBLEM, "__policy_problem").alias(PROBLEM))
        .drop("__policy_problem")
    )
    return replace(checked, frame=merged)


def _policy_schema() -> dict[str, pl.DataType | type[pl.DataType]]:
    return {
        ROW: pl.Int64,
        "kind": pl.String,
        "day_count": pl.Int64,
        "penalty_markup": pl.String,
        "compound": pl.Boolean,
        "grace_days": pl.Int64,
        "holiday_rule": pl.String,
        "dpd_origin": pl.String,
        "rounding": pl.String,
        "waterfall": pl.String,
        "allocation_direction": pl.String,
        "prepayment": pl.Boolean,
        "cap_charges_at_principal": pl.Boolean,
        "__policy_problem": problem_dtype(),
    }


def _policy_row(row: dict[str, object]) -> tuple[object, ...]:
    """One product row through ``ProductPolicy.build``: normalised values, or the problem it names."""
    params = {
        ("direction" if name == "allocation_direction" else name): value
        for name, value in row.items()
        if name not in (ROW, "product_id") and value is not None
    }
    try:
        policy = ProductPolicy.build(str(row["product_id"]), **params)
    except DomainError as error:
        field = _POLICY_FIELDS.get(error.field or "", error.field or "product")
        problem = {"field": field, "reason": Reason.INVALID_POLICY.value, "detail": error.message}
        return (row[ROW], *([None] * 12), problem)
    return (
        row[ROW],
        policy.kind.value,
        policy.day_count,
        f"{policy.penalty_markup:.8f}",
        policy.compound,
        policy.grace_days,
        policy.holiday_rule.value,
        policy.dpd_origin.value,
        policy.rounding.value,
        ",".join(component.value for component in policy.waterfall),
        policy.direction.value,
        policy.prepayment,
        policy.cap_charges_at_principal,
        None,
    )


def check_installments(raw: pl.DataFrame, loans: pl.DataFrame) -> tuple[Checked, pl.DataFrame]:
    """Installments against the known ``loans`` (loan_id, principal_fen, disbursed_on).

    Returns the checked rows and the loans whose schedule is broken (loan_id, field, reason, detail): a
    bad row rejects the loan's whole schedule and the loan itself; so do seq gaps and a principal that
    does not sum to the loan's.
    """
    frame, originals, file_columns, columns = _prepare(INSTALLMENTS, raw)
    known = loans.with_row_index("__loan").select(
        "loan_id",
        "__loan",
        pl.col("principal_fen").alias("__principal"),
        pl.col("disbursed_on").alias("__disbursed"),
    )
    # Group by an integer loan number (unknown loans: null), much cheaper than the text id on 12M rows.
    frame = frame.join(known, on="loan_id", how="left").sort("__loan", "seq", ROW, nulls_last=True)
    frame = with_problems(frame.with_columns(_previous_due()), _installment_row_checks())
    frame = with_problems(frame.with_columns(_schedule_totals()), _installment_schedule_checks())
    checked = _checked(INSTALLMENTS, frame, originals, file_columns, columns)
    broken = (
        checked.frame.filter(~is_ok() & pl.col("__principal").is_not_null())
        .sort(pl.col(PROBLEM).struct.field("reason") == Reason.SCHEDULE_REJECTED.value, ROW)
        .group_by("loan_id", maintain_order=True)
        .first()
        .select(
            "loan_id",
            pl.lit("installments").alias("field"),
            pl.when(
                pl.col(PROBLEM)
                .struct.field("reason")
                .is_in([Reason.SEQ_GAP.value, Reason.SCHEDULE_SUM.value])
            )
            .then(pl.col(PROBLEM).struct.field("reason"))
            .otherwise(pl.lit(Reason.SCHEDULE_REJECTED.value))
            .alias("reason"),
            pl.format(
                "installments row {}: {}: {}",
                pl.col(ROW),
                pl.col(PROBLEM).struct.field("reason"),
                pl.col(PROBLEM).struct.field("detail"),
            ).alias("detail"),
        )
    )
    helpers = [name for name in checked.frame.columns if name.startswith("__") and name not in (ROW, PROBLEM)]
    return replace(checked, frame=checked.frame.drop(helpers)), broken


def _previous_due() -> pl.Expr:
    """The due date of the loan's previous installment (rows sorted by loan and seq)."""
    return pl.col("due_date").shift(1).over("__loan").alias("__previous_due")


def _installment_row_checks() -> list[Check]:
    due = pl.col("due_date")
    return [
        check(
            pl.col("loan_id").is_not_null() & pl.col("__principal").is_null(),
            "loan_id",
            Reason.UNKNOWN_LOAN,
            pl.format("loan {} is not in loans (or was rejected) and not stored", pl.col("loan_id")),
        ),
        _duplicates(["__loan", "seq"], "seq", shown=["loan_id", "seq"]),
        check(
            due <= pl.col("__disbursed"),
            "due_date",
            Reason.DUE_BEFORE_DISBURSEMENT,
            pl.format("due_date {} is not after disbursed_on {}", due, pl.col("__disbursed")),
        ),
        check(
            due <= pl.col("__previous_due"),
            "due_date",
            Reason.DUE_DATES_NOT_INCREASING,
            pl.format(
                "due_date {} is not after the previous installment's {}", due, pl.col("__previous_due")
            ),
        ),
    ]


def _schedule_totals() -> list[pl.Expr]:
    """Per loan: the first rejected row, the row count, the seq range and the principal sum."""
    loan = "__loan"
    return [
        pl.col(ROW).filter(~is_ok()).min().over(loan).alias("__first_bad"),
        pl.len().over(loan).alias("__count"),
        pl.col("seq").min().over(loan).alias("__min_seq"),
        pl.col("seq").max().over(loan).alias("__max_seq"),
        pl.col("principal_due_fen").sum().over(loan).alias("__total"),
    ]


def _installment_schedule_checks() -> list[Check]:
    """Checks of a loan's schedule as a whole: one bad row rejects all, then seq 1..n and the principal sum."""
    loan = pl.col("loan_id")
    return [
        check(
            pl.col("__first_bad").is_not_null(),
            "loan_id",
            Reason.SCHEDULE_REJECTED,
            pl.format(
                "row {} of loan {}'s schedule was rejected, so the whole schedule is",
                pl.col("__first_bad"),
                loan,
            ),
        ),
        check(
            (pl.col("__min_seq") != 1) | (pl.col("__max_seq") != pl.col("__count")),
            "seq",
            Reason.SEQ_GAP,
            pl.format("loan {}: seqs must run 1..{} without gaps", loan, pl.col("__count")),
        ),
        check(
            pl.col("__total") != pl.col("__principal"),
            "principal_due",
            Reason.SCHEDULE_SUM,
            pl.format(
                "loan {}: principal_due sums to {} fen, the loan's principal is {} fen",
                loan,
                pl.col("__total"),
                pl.col("__principal"),
            ),
        ),
    ]


#: The stored values a payment posted again must repeat (payments are immutable, C5).
_STORED_PAYMENT = ("loan_id", "paid_on", "amount_fen", "channel", "kind")


def check_payments(raw: pl.DataFrame, loans: pl.DataFrame, stored: pl.DataFrame) -> Checked:
    """Payments against the known ``loans`` (loan_id, disbursed_on) and the ``stored`` payments.

    ``stored`` has payment_id, loan_id, paid_on, amount_fen, channel, kind: a payment id already stored with
    other values is rejected (payments are immutable); with the same values it is accepted and unchanged.
    """
    frame, originals, file_columns, columns = _prepare(PAYMENTS, raw)
    known = loans.select(
        "loan_id", pl.col("disbursed_on").alias("__disbursed"), pl.lit(True).alias("__known")
    )
    before = stored.select(
        "payment_id",
        *(pl.col(name).alias(f"__stored_{name}") for name in _STORED_PAYMENT),
    )
    frame = frame.join(known, on="loan_id", how="left").join(before, on="payment_id", how="left")
    differs = pl.any_horizontal(
        pl.col(f"__stored_{name}").is_not_null()
        & (pl.col(f"__stored_{name}") != pl.col(name)).fill_null(True)
        for name in _STORED_PAYMENT
    )
    checks = [
        _duplicates(["payment_id"], "payment_id"),
        check(
            pl.col("loan_id").is_not_null() & pl.col("__known").is_null(),
            "loan_id",
            Reason.UNKNOWN_LOAN,
            pl.format("loan {} is not in loans (or was rejected) and not stored", pl.col("loan_id")),
        ),
        check(
            pl.col("paid_on") < pl.col("__disbursed"),
            "paid_on",
            Reason.PAID_BEFORE_DISBURSEMENT,
            pl.format(
                "paid_on {} is before the loan's disbursement on {}", pl.col("paid_on"), pl.col("__disbursed")
            ),
        ),
        check(
            differs,
            "payment_id",
            Reason.PAYMENT_CONFLICT,
            pl.format(
                "payment {} is already stored with other data (loan {}, paid on {}, {} fen); payments are immutable",
                pl.col("payment_id"),
                pl.col("__stored_loan_id"),
                pl.col("__stored_paid_on"),
                pl.col("__stored_amount_fen"),
            ),
        ),
    ]
    return _checked(PAYMENTS, with_problems(frame, checks), originals, file_columns, columns)


def empty_reject_frame() -> pl.DataFrame:
    """A rejects frame with no rows (for a table that was not in the extract)."""
    return pl.DataFrame(schema=dict.fromkeys(REJECT_COLUMNS, pl.String) | {"row": pl.Int64})
