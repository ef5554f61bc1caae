"""Replay facts: a book's loans checked against the invariants the domain refuses, laid out as integer
columns for the vectorised ledger replay (``engine.replay``; conventions C1, C2, C4, C5).

Dates become integer day numbers (days since 1970-01-01), amounts integer fen, rates integers (``*_e8``).
A loan whose facts the domain would refuse gets one error row carrying the code of the exception the domain
raises first (``engine.replay_checks``). The valid loans get a compact index ``loan`` (0…n−1, book order);
their installments (after acceleration, ``domain.ledger.accelerate``, with the overdue origin and last
on-time day of ``domain.duedates``), their payments summed by value day (≤ as_of) and their charges posted
by as_of are sorted by it. Rows that come grouped by loan in book order (as the store and the extracts
give them) are not sorted again, and strings are only touched to find each row's loan.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final

import polars as pl

from qingshou.domain.errors import DomainError
from qingshou.domain.money import Rounding
from qingshou.domain.policy import Component, Direction, DpdOrigin, HolidayRule
from qingshou.engine import replay_checks
from qingshou.engine.book import Book, product_policy
from qingshou.engine.calendar import CalendarFrame

_EPOCH: Final = date(1970, 1, 1)
#: "No date" in an integer day column (an installment not settled).
NO_DAY: Final = -(2**40)
#: Day numbers of every Python date fit in [DAY0, DAY0 + SPAN): ``loan × SPAN + day − DAY0`` orders rows by
#: loan, then day.
DAY0: Final = (date(1, 1, 1) - _EPOCH).days
SPAN: Final = 2**22
#: Component codes of the replay (the waterfall components of ``domain.policy.Component``).
COSTS, FEES, PENALTY, COMPOUND, INTEREST, PRINCIPAL = range(6)
COMPONENTS: Final = (
    Component.COSTS,
    Component.FEES,
    Component.PENALTY,
    Component.COMPOUND,
    Component.INTEREST,
    Component.PRINCIPAL,
)
RANKS: Final = tuple(f"rank_{component.value}" for component in COMPONENTS)
_RATE_DEN: Final = 10**16  # rate_e8 × (10⁸ + markup_e8) / 10¹⁶ is the penalty rate factor
_LOAN_COLUMNS: Final = (
    "loan", "disbursed", "principal", "rate_num", "rate_den", "down", "compound", "prepayment", "vertical",
    "cap", *RANKS, "cap_base",
)  # fmt: skip


def day_number(value: date) -> int:
    """The integer day number of ``value`` (days since 1970-01-01)."""
    return (value - _EPOCH).days


def days_of(column: str) -> pl.Expr:
    """A Date column as integer day numbers (Int64)."""
    return pl.col(column).cast(pl.Int32).cast(pl.Int64)


def day_key(loan: pl.Expr, day: pl.Expr) -> pl.Expr:
    """An Int64 key ordering rows by loan, then day."""
    return loan * SPAN + (day - DAY0)


def at(values: pl.Series, index: pl.Expr) -> pl.Expr:
    """``values[index]`` as an expression, null where ``index`` falls outside ``values``."""
    if values.len() == 0:
        return pl.lit(None, values.dtype)
    inside = (index >= 0) & (index < values.len())
    return pl.when(inside).then(pl.lit(values).gather(index.clip(0, values.len() - 1)))


def gather(values: pl.Series, index: pl.Expr) -> pl.Expr:
    """``values[index]`` as an expression (every index inside ``values``)."""
    return pl.lit(values).gather(index)


@dataclass(frozen=True, slots=True)
class Facts:
    """Integer facts of a set of loans, ready for the replay.

    ``loans`` (one row per loan, ``loan`` = 0…n−1): ``disbursed``, ``principal``, ``rate_num`` / ``rate_den``
    (penalty per fen·day = rate_num / rate_den), ``down``, ``compound``, ``prepayment``, ``vertical``,
    ``cap``, the waterfall ranks ``rank_<component>``, ``cap_base`` (principal − the accelerated schedule's
    interest and fees) and the row ranges ``line_start``/``line_end``, ``pay_start``/``pay_end``,
    ``charge_start``/``charge_end``.
    ``lines`` by (loan, seq): ``seq``, ``due``, ``principal``, ``interest``, ``fee``, ``total`` (accelerated),
    ``accelerated``, ``origin``, ``last_on_time`` and ``item`` (its place among the loan's items, C5 order).
    ``pays``: payments summed by (loan, value day ≤ as_of): ``day``, ``amount``, ``cum`` (running total over
    the frame) and ``key`` (``day_key``).
    ``charges`` posted by as_of, by (loan, posted, charge_id): ``charge_id``, ``kind``, ``posted``,
    ``amount``, ``component`` (COSTS or FEES) and ``item``.
    """

    as_of: int
    loans: pl.DataFrame
    lines: pl.DataFrame
    pays: pl.DataFrame
    charges: pl.DataFrame


@dataclass(frozen=True, slots=True)
class Prepared:
    """What the replay starts from: ``facts`` of the valid loans, restricted to the *head* of each
    schedule (the lines due by as_of, the lines of a loan accelerated by then, and the lines its payments
    can reach as prepayment — the others can change nothing by as_of); ``schedule``: every line of the
    valid loans (``loan``, ``seq``, ``due``, ``principal``, ``interest``, ``fee``, as scheduled, by loan and
    seq), ``line_ids`` their loan ids (kept apart: the book's string column is not copied) and ``head``:
    whether each is in ``facts.lines`` (in the same order); ``loan_ids``: one per loan; ``errors``: ERRORS
    rows of the loans the domain refuses."""

    facts: Facts
    loan_ids: pl.Series
    schedule: pl.DataFrame
    line_ids: pl.Series
    head: pl.Series
    errors: pl.DataFrame


def prepare(book: Book, as_of: date, calendar: CalendarFrame) -> Prepared:
    """Check the book and lay out the facts of its valid loans (module docstring)."""
    loans = _loans_with_policies(book)
    index = loans.select("loan_id", "pos").unique(subset="loan_id", keep="first", maintain_order=True)
    lines, in_order = _by_loan(_line_columns(book.installments), index, ["seq"])
    payments, _ = _by_loan(_payment_columns(book.payments), index, ["day", "payment_id"])
    charges, _ = _by_loan(_charge_columns(book.charges), index, ["posted", "charge_id"])
    loans = loans.with_columns(_ranges(lines["pos"], loans.height, "line"))
    line_ids = book.installments["loan_id"] if in_order else None
    checked = _Checked(day_number(as_of), loans, lines, payments, charges, line_ids)
    errors = replay_checks.fact_errors(loans, lines, payments, charges)
    laid = _laid_out(checked, replay_checks.first_errors(errors), calendar)
    while isinstance(laid, pl.DataFrame):  # loans whose calendar is missing: again without them
        errors = pl.concat([errors, laid])
        laid = _laid_out(checked, replay_checks.first_errors(errors), calendar)
    return laid


@dataclass(frozen=True, slots=True)
class _Checked:
    """The book's frames keyed by loan position (``pos``)."""

    today: int
    loans: pl.DataFrame
    lines: pl.DataFrame
    payments: pl.DataFrame
    charges: pl.DataFrame
    line_ids: pl.Series | None  # the installments' loan ids when the lines are the book's rows in its order


def _laid_out(checked: _Checked, errors: pl.DataFrame, calendar: CalendarFrame) -> Prepared | pl.DataFrame:
    """The facts of the loans without errors (head lines only), or the calendar errors (raw error rows)
    of loans whose effective due dates the calendar cannot give."""
    today = checked.today
    loans, lines, payments, charges = _without(errors, checked)
    pays = _pay_days(payments.filter(pl.col("day") <= today).select("loan", "day", "amount"))
    posted = charges.filter(pl.col("posted") <= today)
    count = loans.height
    loans = loans.with_columns(
        *_ranges(lines["loan"], count, "line"),
        *_ranges(pays["loan"], count, "pay"),
        *_ranges(posted["loan"], count, "charge"),
    )
    head = lines.select(_head(lines, loans, pays, today)).to_series()
    head_lines = lines.select("loan", "seq", "due", "principal", "interest", "fee").filter(head)
    head_lines = _with_due_dates(_accelerated(head_lines, loans, today), loans, calendar, today)
    gaps = head_lines.filter(pl.col("calendar_missing"))
    if gaps.height:
        keyed = gaps.with_columns(
            gather(loans["loan_id"], pl.col("loan")).alias("loan_id"),
            gather(loans["pos"], pl.col("loan")).alias("pos"),
        )
        return replay_checks.calendar_errors(keyed)
    loans = _loan_table(loans, lines, head_lines, pays)
    facts_lines, posted = _with_items(_line_table(head_lines), posted, loans)
    facts = Facts(
        as_of=today,
        loans=loans.select(*_LOAN_COLUMNS, "pay_base", *(c for c in loans.columns if c.endswith(("_start", "_end")))),
        lines=facts_lines,
        pays=pays,
        charges=posted.select(
            "loan", "charge_id", "kind", "posted", "amount",
            pl.when(pl.col("kind") == Component.FEES.value).then(FEES).otherwise(COSTS).cast(pl.Int64).alias("component"),
            "item",
        ),
    )  # fmt: skip
    if checked.line_ids is not None and errors.height == 0:
        line_ids = checked.line_ids
    else:
        line_ids = loans["loan_id"].gather(lines["loan"])
    schedule = lines.select("loan", "seq", "due", "principal", "interest", "fee")
    errors = errors.select("loan_id", "code", "message")
    return Prepared(
        facts, loans["loan_id"], schedule, line_ids.rename("loan_id"), head.rename("head"), errors
    )


def _without(errors: pl.DataFrame, checked: _Checked) -> tuple[pl.DataFrame, ...]:
    """The loans (re-indexed 0…n−1 as ``loan``), lines, payments and charges of the loans without errors."""
    loans = checked.loans
    frames = (checked.lines, checked.payments, checked.charges)
    if errors.height == 0:
        return (
            loans.with_columns(pl.col("pos").alias("loan")),
            *(f.with_columns(pl.col("pos").alias("loan")) for f in frames),
        )
    failed = loans.select(pl.col("pos").is_in(errors["pos"].implode())).to_series()
    loan_of_pos = loans.select(
        pl.when(failed).then(None).otherwise((~failed).cast(pl.Int64).cum_sum() - 1)
    ).to_series()
    kept = loans.filter(~failed).with_columns(pl.int_range(pl.len(), dtype=pl.Int64).alias("loan"))
    keyed = [
        f.with_columns(gather(loan_of_pos, pl.col("pos")).alias("loan")).filter(pl.col("loan").is_not_null())
        for f in frames
    ]
    return (kept, *keyed)


def _head(lines: pl.DataFrame, loans: pl.DataFrame, pays: pl.DataFrame, today: int) -> pl.Expr:
    """The lines that can take part by as_of: due by then, of a loan accelerated by then, or reachable by
    the loan's payments as prepayment (the scheduled totals before them are less than it has paid) — a
    prefix of each schedule."""
    running = pl.concat([pl.Series([0], dtype=pl.Int64), pays["amount"].cum_sum()])
    paid = loans.select(gather(running, pl.col("pay_end")) - gather(running, pl.col("pay_start"))).to_series()
    totals = lines.select((pl.col("principal") + pl.col("interest") + pl.col("fee")).cum_sum()).to_series()
    padded = pl.concat([pl.Series([0], dtype=pl.Int64), totals])
    loan_base = gather(padded, gather(loans["line_start"], pl.col("loan")))
    before = pl.lit(padded.head(lines.height)) - loan_base
    called = loans.select((pl.col("accelerated_on_day") <= today).fill_null(False)).to_series()
    return (pl.col("due") <= today) | gather(called, pl.col("loan")) | (before < gather(paid, pl.col("loan")))


def _loans_with_policies(book: Book) -> pl.DataFrame:
    """The book's loans (``pos`` = row number) with their product's policy columns (null: no policy)."""
    loans = book.loans.with_row_index("pos").with_columns(
        pl.col("pos").cast(pl.Int64),
        days_of("disbursed_on").alias("disbursed"),
        days_of("first_due_date").alias("first_due"),
        days_of("accelerated_on").alias("accelerated_on_day"),
    )
    return loans.join(_policy_table(book.products), on="product_id", how="left", maintain_order="left")


def _policy_table(products: pl.DataFrame) -> pl.DataFrame:
    """One row per product id: the policy columns the replay reads, or ``policy_error`` when the domain
    refuses the product (``ProductPolicy.build``). A handful of rows: a plain loop is right."""
    distinct = products.unique(subset="product_id", keep="last", maintain_order=True)  # as Book.policies()
    rows = [
        {"product_id": row["product_id"], **_policy_columns(row)} for row in distinct.iter_rows(named=True)
    ]
    schema: dict[str, pl.DataType] = {
        "product_id": pl.String(),
        "policy_error": pl.String(),
        "vertical": pl.Boolean(),
        "prepayment": pl.Boolean(),
        "compound": pl.Boolean(),
        "cap": pl.Boolean(),
        "down": pl.Boolean(),
        "day_count": pl.Int64(),
        "markup_e8": pl.Int64(),
        "holiday_next": pl.Boolean(),
        "origin_effective": pl.Boolean(),
        "grace_days": pl.Int64(),
        **{rank: pl.Int64() for rank in RANKS},
    }
    return pl.DataFrame(rows, schema=schema)


def _policy_columns(row: dict[str, object]) -> dict[str, object]:
    try:
        policy = product_policy(row)
    except (DomainError, AssertionError, TypeError, ValueError) as exc:
        return {"policy_error": str(exc) or "the product policy is invalid"}
    return {
        "policy_error": None,
        "vertical": policy.direction is Direction.VERTICAL,
        "prepayment": policy.prepayment,
        "compound": policy.compound,
        "cap": policy.cap_charges_at_principal,
        "down": policy.rounding is Rounding.DOWN,
        "day_count": policy.day_count,
        "markup_e8": row["penalty_markup_e8"],
        "holiday_next": policy.holiday_rule is HolidayRule.NEXT_BUSINESS_DAY,
        "origin_effective": policy.dpd_origin is DpdOrigin.EFFECTIVE,
        "grace_days": policy.grace_days,
        **{
            rank: policy.waterfall.index(component) for rank, component in zip(RANKS, COMPONENTS, strict=True)
        },
    }


def _line_columns(installments: pl.DataFrame) -> pl.DataFrame:
    return installments.select(
        "loan_id",
        pl.col("seq").cast(pl.Int64),
        days_of("due_date").alias("due"),
        pl.col("principal_due_fen").alias("principal"),
        pl.col("interest_due_fen").alias("interest"),
        pl.col("fee_due_fen").alias("fee"),
    )


def _payment_columns(payments: pl.DataFrame) -> pl.DataFrame:
    return payments.select(
        "loan_id",
        "payment_id",
        "paid_on",
        days_of("paid_on").alias("day"),
        pl.col("amount_fen").alias("amount"),
    )


def _charge_columns(charges: pl.DataFrame) -> pl.DataFrame:
    return charges.select(
        "loan_id",
        "charge_id",
        "kind",
        "posted_on",
        days_of("posted_on").alias("posted"),
        pl.col("amount_fen").alias("amount"),
    )


def _by_loan(frame: pl.DataFrame, index: pl.DataFrame, order: Sequence[str]) -> tuple[pl.DataFrame, bool]:
    """``frame`` without its ``loan_id``, with the book position ``pos`` of its loan (rows of unknown loans
    dropped), sorted by (pos, *order); and whether its rows are still the given ones in the given order
    (rows already grouped by loan in book order and sorted are not sorted again)."""
    ids = frame["loan_id"]
    frame = frame.drop("loan_id").rechunk()
    if frame.height == 0:
        return frame.with_columns(pl.lit(0, pl.Int64).alias("pos")), True
    # each row's run of equal loan ids (one pass over the strings); a run's id is its first row's
    run_of_row = ids.rle_id()
    count = int(run_of_row[-1]) + 1
    firsts = run_of_row.search_sorted(pl.int_range(count, eager=True).cast(run_of_row.dtype), side="left")
    runs = ids.gather(firsts).rename("value").to_frame()
    runs = runs.join(index, left_on="value", right_on="loan_id", how="left", maintain_order="left")
    keyed = frame.with_columns(runs["pos"].fill_null(-1).gather(run_of_row).alias("pos"))
    unknown = runs["pos"].null_count() > 0
    if unknown:
        keyed = keyed.filter(pl.col("pos") >= 0)
    keys = ["pos", *order]
    if replay_checks.holds(keyed, _sorted_by(keys)):
        return keyed, not unknown
    return keyed.sort(keys, nulls_last=True), False


def _sorted_by(keys: Sequence[str]) -> pl.Expr:
    """Whether the rows are in non-decreasing lexicographic order of ``keys`` (a null is out of order)."""
    order: pl.Expr = pl.col(keys[-1]) >= pl.col(keys[-1]).shift(1)
    for key in reversed(keys[:-1]):
        before = pl.col(key).shift(1)
        order = (pl.col(key) > before) | ((pl.col(key) == before) & order)
    return order.fill_null(pl.int_range(pl.len()) == 0).all()


def _ranges(owner: pl.Series, count: int, name: str) -> list[pl.Series]:
    """``<name>_start`` / ``<name>_end``: the rows of each owner 0…count−1 in a frame sorted by owner."""
    bounds = owner.search_sorted(pl.Series(range(count + 1), dtype=pl.Int64), side="left").cast(pl.Int64)
    return [bounds.head(count).alias(f"{name}_start"), bounds.tail(count).alias(f"{name}_end")]


def _accelerated(lines: pl.DataFrame, loans: pl.DataFrame, today: int) -> pl.DataFrame:
    """The (head) lines after acceleration (``domain.ledger.accelerate``): with A = accelerated_on ≤ as_of,
    each line due after A falls due on A; the one whose period (previous due date, or disbursement, to its
    due date) contains A keeps its fee and interest × (A − start) / (due − start) half-up; later ones owe no
    interest or fee. ``interest_before`` / ``fee_before``: as scheduled."""
    called = loans.select((pl.col("accelerated_on_day") <= today).fill_null(False)).to_series()
    lines = lines.with_columns(pl.col("interest").alias("interest_before"), pl.col("fee").alias("fee_before"))
    if not called.any():
        return lines.with_columns(pl.lit(False).alias("accelerated"))
    at_day = gather(loans["accelerated_on_day"], pl.col("loan"))
    start = (
        pl.when(pl.col("loan") == pl.col("loan").shift(1))
        .then(pl.col("due").shift(1))
        .otherwise(gather(loans["disbursed"], pl.col("loan")))
    )
    rows = lines.with_columns(pl.int_range(pl.len(), dtype=pl.Int64).alias("at"), start.alias("start"))
    rows = rows.filter(gather(called, pl.col("loan")) & (pl.col("due") > at_day)).with_columns(
        at_day.alias("called")
    )
    contains = pl.col("start") <= pl.col("called")
    length = pl.max_horizontal(pl.col("due") - pl.col("start"), pl.lit(1))
    prorated = (2 * pl.col("interest") * (pl.col("called") - pl.col("start")) + length) // (2 * length)
    rows = rows.with_columns(
        pl.when(contains).then(prorated).otherwise(0).alias("interest"),
        pl.when(contains).then(pl.col("fee")).otherwise(0).alias("fee"),
    )
    columns = {name: lines[name].clone() for name in ("due", "interest", "fee")}
    for name, values in (("due", rows["called"]), ("interest", rows["interest"]), ("fee", rows["fee"])):
        columns[name].scatter(rows["at"], values)
    flags = pl.repeat(False, lines.height, dtype=pl.Boolean, eager=True).rename("accelerated")
    flags.scatter(rows["at"], True)
    return lines.with_columns(*columns.values(), flags)


def _with_due_dates(
    lines: pl.DataFrame, loans: pl.DataFrame, calendar: CalendarFrame, today: int
) -> pl.DataFrame:
    """``origin`` and ``last_on_time`` of each line due by as_of (C2, ``domain.duedates``), and
    ``calendar_missing`` where the next business day is needed but the calendar cannot give it; a line due
    later cannot accrue by as_of, so both are its due date (as ``domain.ledger`` does)."""
    policy = loans.select(
        pl.col("holiday_next").fill_null(False),
        pl.col("origin_effective").fill_null(False),
        pl.col("grace_days").fill_null(0),
    )
    table = calendar.days.select(days_of("day"), days_of("next_business_day").alias("next"))
    first = table["day"].min() if table.height else 0
    shifted = (gather(policy["holiday_next"], pl.col("loan")) & (pl.col("due") <= today)).fill_null(False)
    effective = pl.when(shifted).then(at(table["next"], pl.col("due") - first)).otherwise(pl.col("due"))
    lines = lines.with_columns(effective.alias("effective"), shifted.alias("shifted"))
    due_by_today = pl.col("due") <= today
    by_effective = gather(policy["origin_effective"], pl.col("loan"))
    origin = pl.when(by_effective).then(pl.col("effective")).otherwise(pl.col("due"))
    grace = gather(policy["grace_days"], pl.col("loan"))
    return lines.with_columns(
        (pl.col("shifted") & pl.col("effective").is_null()).alias("calendar_missing"),
        pl.when(due_by_today).then(origin).otherwise(pl.col("due")).alias("origin"),
        pl.when(due_by_today)
        .then(pl.col("effective") + grace)
        .otherwise(pl.col("due"))
        .alias("last_on_time"),
    ).drop("effective", "shifted")


def _line_table(lines: pl.DataFrame) -> pl.DataFrame:
    return lines.select(
        "loan", "seq", "due", "principal", "interest", "fee",
        (pl.col("principal") + pl.col("interest") + pl.col("fee")).alias("total"),
        "accelerated", "origin", "last_on_time",
    )  # fmt: skip


def _loan_table(
    loans: pl.DataFrame, lines: pl.DataFrame, head: pl.DataFrame, pays: pl.DataFrame
) -> pl.DataFrame:
    """Per loan: rate, ``cap_base`` (principal − the interest and fees of the accelerated schedule: every
    line as scheduled, with the head lines as accelerated) and the row ranges of its head lines."""
    running = pl.concat([pl.Series([0], dtype=pl.Int64), (lines["interest"] + lines["fee"]).cum_sum()])
    scheduled = loans.select(
        gather(running, pl.col("line_end")) - gather(running, pl.col("line_start"))
    ).to_series()
    change = (
        head.filter(pl.col("accelerated"))
        .group_by("loan")
        .agg(
            (pl.col("interest") + pl.col("fee") - pl.col("interest_before") - pl.col("fee_before"))
            .sum()
            .alias("change")
        )
    )
    contractual = scheduled.clone()
    contractual.scatter(change["loan"], scheduled.gather(change["loan"]) + change["change"])
    return _with_pay_base(
        loans.with_columns(*_ranges(head["loan"], loans.height, "line")), pays
    ).with_columns(
        pl.col("principal_fen").alias("principal"),
        (pl.col("annual_rate_e8") * (10**8 + pl.col("markup_e8"))).alias("rate_num"),
        (pl.col("day_count") * _RATE_DEN).alias("rate_den"),
        (pl.col("principal_fen") - pl.lit(contractual)).alias("cap_base"),
    )


def _with_pay_base(loans: pl.DataFrame, pays: pl.DataFrame) -> pl.DataFrame:
    """``pay_base``: the running payment total (``pays.cum``) before the loan's first payment day."""
    before = pays.select(pl.col("cum") - pl.col("amount")).to_series()
    base = pl.when(pl.col("pay_start") < pl.col("pay_end")).then(at(before, pl.col("pay_start"))).otherwise(0)
    return loans.with_columns(base.cast(pl.Int64).alias("pay_base"))


def _pay_days(payments: pl.DataFrame) -> pl.DataFrame:
    """Payments summed by (loan, value day), rows sorted by them: several payments on one day allocate as
    one (greedy allocation down one waterfall is additive; the replay's result carries no payment ids)."""
    last_of_day = (
        (pl.col("loan") != pl.col("loan").shift(-1)) | (pl.col("day") != pl.col("day").shift(-1))
    ).fill_null(True)
    days = payments.select("loan", "day", pl.col("amount").cum_sum().alias("cum"), last_of_day.alias("last"))
    days = days.filter(pl.col("last")).drop("last")
    return days.with_columns(
        (pl.col("cum") - pl.col("cum").shift(1).fill_null(0)).alias("amount"),
        day_key(pl.col("loan"), pl.col("day")).alias("key"),
    ).select("loan", "day", "amount", "cum", "key")


def _with_items(
    lines: pl.DataFrame, charges: pl.DataFrame, loans: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``item``: each line's and charge's place among its loan's items in the waterfall's order (C5):
    by date, the installment before a charge on the same date, installments by seq, charges by id."""
    line_rank = pl.int_range(pl.len(), dtype=pl.Int64) - gather(loans["line_start"], pl.col("loan"))
    if charges.height == 0:
        return lines.with_columns(line_rank.alias("item")), charges.with_columns(
            pl.lit(0, pl.Int64).alias("item")
        )
    charge_keys = charges.select(day_key(pl.col("loan"), pl.col("posted")).alias("key"))["key"]
    line_keys = lines.select(day_key(pl.col("loan"), pl.col("due")).alias("key"))["key"]
    loan_charge_start = charges["loan"].search_sorted(lines["loan"], side="left").cast(pl.Int64)
    earlier_charges = charge_keys.search_sorted(line_keys, side="left").cast(pl.Int64) - loan_charge_start
    lines = lines.with_columns((line_rank + pl.lit(earlier_charges)).alias("item"))
    loan_line_start = lines["loan"].search_sorted(charges["loan"], side="left").cast(pl.Int64)
    lines_by_then = line_keys.search_sorted(charge_keys, side="right").cast(pl.Int64) - loan_line_start
    charge_start = charges["loan"].search_sorted(charges["loan"], side="left").cast(pl.Int64)
    charge_rank = pl.int_range(pl.len(), dtype=pl.Int64) - pl.lit(charge_start)
    return lines, charges.with_columns((charge_rank + pl.lit(lines_by_then)).alias("item"))


def restrict(
    facts: Facts, loans: pl.Series, lines: pl.Series | None = None
) -> tuple[Facts, pl.Series, pl.Series]:
    """The facts of the loans where ``loans`` holds (re-indexed 0…m−1), keeping only the lines where
    ``lines`` holds (a prefix of each loan's lines); returns them with the kept lines' and charges' row
    numbers in ``facts``."""
    loan_of = (loans.cast(pl.Int64).cum_sum() - 1).alias("new")
    line_rows = pl.int_range(facts.lines.height, dtype=pl.Int64, eager=True)
    keep_line = (
        gather(loans, pl.col("loan")) if lines is None else gather(loans, pl.col("loan")) & pl.lit(lines)
    )
    kept_lines = facts.lines.with_columns(line_rows.alias("row")).filter(keep_line)
    charge_rows = pl.int_range(facts.charges.height, dtype=pl.Int64, eager=True)
    kept_charges = facts.charges.with_columns(charge_rows.alias("row")).filter(gather(loans, pl.col("loan")))
    kept_pays = facts.pays.filter(gather(loans, pl.col("loan")))
    renumber = gather(loan_of, pl.col("loan")).alias("loan")
    new_lines = kept_lines.with_columns(renumber)
    new_pays = kept_pays.with_columns(renumber).with_columns(
        pl.col("amount").cum_sum().alias("cum"), day_key(pl.col("loan"), pl.col("day")).alias("key")
    )
    new_charges = kept_charges.with_columns(renumber)
    new_loans = facts.loans.filter(loans).with_columns(pl.int_range(pl.len(), dtype=pl.Int64).alias("loan"))
    count = new_loans.height
    new_loans = _with_pay_base(
        new_loans.with_columns(
            *_ranges(new_lines["loan"], count, "line"),
            *_ranges(new_pays["loan"], count, "pay"),
            *_ranges(new_charges["loan"], count, "charge"),
        ),
        new_pays,
    )
    restricted = Facts(facts.as_of, new_loans, new_lines.drop("row"), new_pays, new_charges.drop("row"))
    return restricted, kept_lines["row"], kept_charges["row"]
