"""Replay checks: which loans the domain refuses to replay, with the error it raises first.

``domain.ledger.replay`` (through ``reference.book_inputs``) meets the facts in this order, and the first
broken invariant decides the error row (loan id, the domain exception's ``code``, a message naming the loan
and the field):

1. the product policy (``invalid_policy``: unknown product, or ``ProductPolicy.build`` refuses it);
2. the loan terms, payments and charges as built (``invalid_ledger``: ``LoanTerms``, ``Payment``,
   ``Charge`` — principal not positive, negative rate, no term, first due date or acceleration not after
   disbursement, an amount not positive, an unknown charge kind, a missing value);
3. the schedule (``invalid_schedule``, ``schedule.validate_schedule``): none, seqs not 1…n, due dates not
   strictly increasing after disbursement, a negative amount, principal not summing to the loan's;
4. the facts (``invalid_ledger``): a payment or charge dated before disbursement, a repeated payment or
   charge id;
5. the calendar (``calendar_not_covered``): an installment due by as_of under ``next_business_day`` whose
   next business day the calendar cannot give.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import polars as pl

from qingshou.domain.errors import CalendarError, LedgerError, PolicyError, ScheduleError

_POLICY, _BUILT, _SCHEDULE, _FACTS, _CALENDAR = range(5)
_ORDER: Final = 2**40
_KINDS: Final = ("costs", "fees")


@dataclass(frozen=True, slots=True)
class _Check:
    """Rows where ``bad`` holds break an invariant: error ``code``, message ``loan <id>: <what>``."""

    bad: pl.Expr
    code: str
    what: pl.Expr


def holds(frame: pl.DataFrame, check: pl.Expr) -> bool:
    """The value of ``check`` (a boolean reduction such as ``any`` or ``all``) over ``frame``, computed by the
    streaming engine a slice at a time: no temporary column as long as the frame (tens of millions of rows)."""
    return bool(frame.lazy().select(check).collect(engine="streaming").item())


def _text(template: str, *columns: str) -> pl.Expr:
    return pl.format(template, *(pl.col(column) for column in columns))


def _missing_or_not_positive(column: str) -> pl.Expr:
    return pl.col(column).is_null() | (pl.col(column) <= 0)


def _errors(
    frame: pl.DataFrame,
    priority: int,
    checks: list[_Check],
    row_order: pl.Expr,
    loan_ids: pl.Series | None = None,
) -> pl.DataFrame:
    """The error rows of ``frame`` (pos, loan_id, rank, code, message); ``rank`` orders them as the domain
    meets them: by ``priority``, then ``row_order``, then the check's place in ``checks``. One pass finds
    whether any row is bad; the messages are only built for the bad rows (``loan_ids``: by position, for
    frames without a ``loan_id``)."""
    bad = pl.any_horizontal(c.bad.fill_null(False) for c in checks)
    if frame.height == 0 or not holds(frame, bad.any()):
        return _empty()
    frame = frame.with_columns(row_order.alias("_order")).filter(bad)
    if loan_ids is not None:
        frame = frame.with_columns(pl.lit(loan_ids).gather(pl.col("pos")).alias("loan_id"))
    row_order = pl.col("_order")
    parts = [
        frame.filter(check.bad.fill_null(False)).select(
            pl.col("pos").cast(pl.Int64),
            "loan_id",
            (priority * _ORDER + row_order * len(checks) + order).alias("rank"),
            pl.lit(check.code).alias("code"),
            pl.format("loan {}: {}", pl.col("loan_id"), check.what).alias("message"),
        )
        for order, check in enumerate(checks)
    ]
    return pl.concat(parts) if parts else _empty()


def _empty() -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            "pos": pl.Int64(),
            "loan_id": pl.String(),
            "rank": pl.Int64(),
            "code": pl.String(),
            "message": pl.String(),
        }
    )


def fact_errors(
    loans: pl.DataFrame, lines: pl.DataFrame, payments: pl.DataFrame, charges: pl.DataFrame
) -> pl.DataFrame:
    """Error rows of checks 1–4 (module docstring); several rows per loan, ``first_errors`` keeps one."""
    ids = loans["loan_id"]
    no_order = pl.lit(0, pl.Int64)
    row = pl.int_range(pl.len(), dtype=pl.Int64)
    return pl.concat(
        [
            _errors(loans, _POLICY, _policy_checks(), no_order),
            _errors(loans, _BUILT, _term_checks(), no_order),
            _errors(payments, _BUILT, _payment_checks(), _ORDER // 4 + row, ids),
            _errors(charges, _BUILT, _charge_checks(), _ORDER // 2 + row, ids),
            _errors(loans, _SCHEDULE, [_no_installments()], no_order),
            _schedule_row_errors(lines, loans),
            _errors(_principal_sums(loans, lines), _SCHEDULE, [_principal_sum()], pl.lit(_ORDER // 2)),
            _before_disbursement(payments, loans, "payment", "payment_id", "paid_on", "day", row),
            _before_disbursement(
                charges, loans, "charge", "charge_id", "posted_on", "posted", _ORDER // 4 + row
            ),
            _errors(
                _with_repeats(payments, "payment_id"),
                _FACTS,
                [_repeated("payment_id")],
                _ORDER // 2 + row,
                ids,
            ),
            _errors(
                _with_repeats(charges, "charge_id"),
                _FACTS,
                [_repeated("charge_id")],
                3 * (_ORDER // 4) + row,
                ids,
            ),
        ]
    )


def _first_of_loan() -> pl.Expr:
    return (pl.col("pos") != pl.col("pos").shift(1)).fill_null(True)


def _with_disbursed(frame: pl.DataFrame, loans: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(pl.lit(loans["disbursed"]).gather(pl.col("pos")).alias("disbursed"))


def _before_disbursement(
    frame: pl.DataFrame,
    loans: pl.DataFrame,
    what: str,
    id_column: str,
    date_column: str,
    day: str,
    order: pl.Expr,
) -> pl.DataFrame:
    """A payment (charge) dated before disbursement: the loan's earliest one (rows sorted by day) tells."""
    earliest = frame.filter(_first_of_loan())
    if (
        earliest.height == 0
        or not _with_disbursed(earliest, loans).select((pl.col(day) < pl.col("disbursed")).any()).item()
    ):
        return _empty()
    check = _before(what, id_column, date_column, day)
    return _errors(_with_disbursed(frame, loans), _FACTS, [check], order, loans["loan_id"])


def calendar_errors(lines: pl.DataFrame) -> pl.DataFrame:
    """Error rows of check 5: a line due by as_of whose effective due date the calendar cannot give."""
    missing = _Check(
        pl.lit(True),
        CalendarError.code,
        _text(
            "installments[{}].due_date: no holiday calendar for the next business day after {}: add the year's"
            " holidays and adjusted workdays to the calendar override table",
            "seq",
            "due_date",
        ),
    )
    dated = lines.filter(pl.col("calendar_missing")).with_columns(
        pl.col("due").cast(pl.Int32).cast(pl.Date).alias("due_date")
    )
    return _errors(dated, _CALENDAR, [missing], pl.int_range(pl.len(), dtype=pl.Int64))


def first_errors(errors: pl.DataFrame) -> pl.DataFrame:
    """One row per refused loan: the first error the domain would raise (pos, loan_id, code, message)."""
    return (
        errors.sort("pos", "rank")
        .unique(subset="pos", keep="first", maintain_order=True)
        .select("pos", "loan_id", "code", "message")
    )


def _policy_checks() -> list[_Check]:
    unknown = pl.col("vertical").is_null() & pl.col("policy_error").is_null()
    return [
        _Check(unknown, PolicyError.code, _text("product_id {}: no such product", "product_id")),
        _Check(
            pl.col("policy_error").is_not_null(),
            PolicyError.code,
            _text("product_id {}: {}", "product_id", "policy_error"),
        ),
    ]


def _term_checks() -> list[_Check]:
    """A loan id given once, then ``LoanTerms.__post_init__`` in its order (a missing value is refused the
    same way)."""
    disbursed = pl.col("disbursed")
    return [
        _Check(
            pl.col("loan_id").is_null() | pl.col("loan_id").is_duplicated(),
            LedgerError.code,
            pl.lit("loan_id: the loan is listed more than once (or without an id)"),
        ),
        _Check(disbursed.is_null(), LedgerError.code, pl.lit("disbursed_on is missing")),
        _Check(
            _missing_or_not_positive("principal_fen"), LedgerError.code, pl.lit("principal must be positive")
        ),
        _Check(
            pl.col("annual_rate_e8").is_null() | (pl.col("annual_rate_e8") < 0),
            LedgerError.code,
            pl.lit("annual_rate must not be negative"),
        ),
        _Check(
            pl.col("term_months").is_null() | (pl.col("term_months") < 1),
            LedgerError.code,
            pl.lit("term_months must be at least 1"),
        ),
        _Check(
            pl.col("first_due") <= disbursed,
            LedgerError.code,
            pl.lit("first_due_date must be after disbursed_on"),
        ),
        _Check(
            pl.col("accelerated_on_day") < disbursed,
            LedgerError.code,
            pl.lit("accelerated_on is before disbursed_on"),
        ),
    ]


def _payment_checks() -> list[_Check]:
    """``Payment.__post_init__``: an id, a value date and a positive amount."""
    return [
        _Check(pl.col("payment_id").is_null(), LedgerError.code, pl.lit("payment_id: a payment has no id")),
        _Check(
            pl.col("day").is_null(), LedgerError.code, _text("payment {}: paid_on is missing", "payment_id")
        ),
        _Check(
            _missing_or_not_positive("amount"),
            LedgerError.code,
            _text("payment {}: amount must be positive", "payment_id"),
        ),
    ]


def _charge_checks() -> list[_Check]:
    """``Charge.__post_init__`` and ``ChargeKind``: an id, a kind (costs or fees), a date, a positive amount."""
    return [
        _Check(pl.col("charge_id").is_null(), LedgerError.code, pl.lit("charge_id: a charge has no id")),
        _Check(
            ~pl.col("kind").is_in(_KINDS).fill_null(False),
            LedgerError.code,
            _text("charge {}: kind must be costs or fees, got {}", "charge_id", "kind"),
        ),
        _Check(
            pl.col("posted").is_null(),
            LedgerError.code,
            _text("charge {}: posted_on is missing", "charge_id"),
        ),
        _Check(
            _missing_or_not_positive("amount"),
            LedgerError.code,
            _text("charge {}: amount must be positive", "charge_id"),
        ),
    ]


def _no_installments() -> _Check:
    return _Check(
        pl.col("line_start") == pl.col("line_end"),
        ScheduleError.code,
        pl.lit("installments: the schedule has no installments"),
    )


def _schedule_row_errors(lines: pl.DataFrame, loans: pl.DataFrame) -> pl.DataFrame:
    """Error rows of ``schedule._check_row``. One pass sees whether any row breaks it — seqs 1, 2, … and due
    dates rising within each loan, amounts not negative, the first due date after disbursement — and only
    then are the rows compared one by one."""
    first = _first_of_loan()
    seq_ok = pl.when(first).then(pl.col("seq") == 1).otherwise(pl.col("seq") == pl.col("seq").shift(1) + 1)
    due_ok = first | (pl.col("due") > pl.col("due").shift(1))
    amounts_ok = pl.all_horizontal(pl.col(c) >= 0 for c in ("principal", "interest", "fee"))
    broken = ~(seq_ok & due_ok & amounts_ok).fill_null(False)
    firsts = _with_disbursed(lines.filter(first), loans)
    if lines.height == 0 or not (
        holds(lines, broken.any()) or firsts.select((pl.col("due") <= pl.col("disbursed")).any()).item()
    ):
        return _empty()
    row = pl.int_range(pl.len(), dtype=pl.Int64)
    return _errors(
        _with_previous_due(_with_disbursed(lines, loans), loans),
        _SCHEDULE,
        _row_checks(),
        row,
        loans["loan_id"],
    )


def _with_previous_due(lines: pl.DataFrame, loans: pl.DataFrame) -> pl.DataFrame:
    """Lines with ``expected_seq`` (1…n in seq order) and ``previous`` (the previous due date, or
    disbursement for the first)."""
    start = pl.lit(loans["line_start"]).gather(pl.col("pos"))
    first = pl.int_range(pl.len(), dtype=pl.Int64) == start
    return lines.with_columns(
        (pl.int_range(pl.len(), dtype=pl.Int64) - start + 1).alias("expected_seq"),
        pl.when(first).then(pl.col("disbursed")).otherwise(pl.col("due").shift(1)).alias("previous"),
    )


def _row_checks() -> list[_Check]:
    """``schedule._check_row``: the seq, the due date after the previous one, amounts not negative."""
    checks = [
        _Check(
            pl.col("seq").is_null() | (pl.col("seq") != pl.col("expected_seq")),
            ScheduleError.code,
            _text(
                "installments[{}].seq: seqs must run 1..n without gaps, expected {}", "seq", "expected_seq"
            ),
        ),
        _Check(
            pl.col("due").is_null() | (pl.col("due") <= pl.col("previous")),
            ScheduleError.code,
            _text("installments[{}].due_date: must be after the previous due date (or disbursed_on)", "seq"),
        ),
    ]
    for column, name in (("principal", "principal_due"), ("interest", "interest_due"), ("fee", "fee_due")):
        checks.append(
            _Check(
                pl.col(column).is_null() | (pl.col(column) < 0),
                ScheduleError.code,
                _text(f"installments[{{}}].{name}: must be a non-negative amount", "seq"),
            )
        )
    return checks


def _principal_sums(loans: pl.DataFrame, lines: pl.DataFrame) -> pl.DataFrame:
    """Loans with installments, with ``scheduled`` (their principal summed) and the last ``seq``."""
    running = pl.concat([pl.Series([0], dtype=pl.Int64), lines["principal"].fill_null(0).cum_sum()])
    seqs = lines["seq"]
    with_lines = loans.filter(pl.col("line_end") > pl.col("line_start"))
    return with_lines.with_columns(
        (pl.lit(running).gather(pl.col("line_end")) - pl.lit(running).gather(pl.col("line_start"))).alias(
            "scheduled"
        ),
        pl.lit(seqs).gather(pl.col("line_end") - 1).alias("seq"),
    )


def _principal_sum() -> _Check:
    return _Check(
        pl.col("scheduled") != pl.col("principal_fen"),
        ScheduleError.code,
        _text(
            "installments[{}].principal_due: scheduled principal sums to {} fen, the loan's principal is {} fen",
            "seq",
            "scheduled",
            "principal_fen",
        ),
    )


def _before(what: str, id_column: str, date_column: str, day: str) -> _Check:
    return _Check(
        pl.col(day) < pl.col("disbursed"),
        LedgerError.code,
        _text(f"{what} {{}}: {date_column} {{}} is before disbursement", id_column, date_column),
    )


def _with_repeats(frame: pl.DataFrame, id_column: str) -> pl.DataFrame:
    """``repeated``: the row's id occurs more than once in its loan. Rows sorted by (pos, id) are compared
    with their neighbours; otherwise only rows whose (pos, hash of id) repeats are compared exactly."""
    same_before = (pl.col("pos") == pl.col("pos").shift(1)) & (
        pl.col(id_column) == pl.col(id_column).shift(1)
    )
    same_after = (pl.col("pos") == pl.col("pos").shift(-1)) & (
        pl.col(id_column) == pl.col(id_column).shift(-1)
    )
    if frame.height == 0 or holds(frame, _in_order("pos", id_column)):
        return frame.with_columns((same_before | same_after).fill_null(False).alias("repeated"))
    hashed = frame.select(
        pl.int_range(pl.len(), dtype=pl.Int64).alias("row"), "pos", pl.col(id_column).hash().alias("hash")
    ).sort("pos", "hash")
    twin = ((pl.col("pos") == pl.col("pos").shift(1)) & (pl.col("hash") == pl.col("hash").shift(1))) | (
        (pl.col("pos") == pl.col("pos").shift(-1)) & (pl.col("hash") == pl.col("hash").shift(-1))
    )
    suspects = hashed.filter(twin.fill_null(False))["row"]
    exact = frame[suspects].select(pl.struct("pos", id_column).is_duplicated().alias("flag"))["flag"]
    repeated = pl.repeat(False, frame.height, dtype=pl.Boolean, eager=True).rename("repeated")
    repeated.scatter(suspects.filter(exact), True)
    return frame.with_columns(repeated)


def _in_order(*keys: str) -> pl.Expr:
    first, second = (pl.col(key) for key in keys)
    ordered = (first > first.shift(1)) | ((first == first.shift(1)) & (second >= second.shift(1)))
    return ordered.fill_null(pl.int_range(pl.len()) == 0).all()


def _repeated(id_column: str) -> _Check:
    return _Check(
        pl.col("repeated"), LedgerError.code, _text(f"{id_column} {{}} is given more than once", id_column)
    )
