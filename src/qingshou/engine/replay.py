"""Replay: the ledger of every loan of a book at the end of as_of, as columns (C1, C2, C4, C5).

``replay_book`` gives, for every loan, exactly what ``domain.ledger.replay`` gives (converted by
``reference.ledger_frames``): each installment after acceleration with what was paid of each component,
the penalty and compound interest crystallised as reported at as_of and what was paid of them, the day it
was settled; each charge posted by as_of with what was paid of it; the loan's unapplied credit. Loans the
domain refuses become error rows with the domain's code and appear in no other frame. The work is split:

1. ``replay_facts``: check the book (``replay_checks``) and lay the valid loans' facts out as integer
   columns — accelerated installments, overdue origin and last on-time day (C2), payments by value day,
   charges posted by as_of. Only the *head* of each schedule takes part below: the lines due by as_of,
   every line of a loan accelerated by then, and the lines the loan's payments can reach as prepayment;
   the others are untouched (nothing paid, settled on disbursement when they owe nothing);
2. ``replay_closed``: each loan's ledger in closed form up to the last day S before anything can accrue
   (everything paid by its last on-time day, money filling the installments in order) — for most loans
   S = as_of and nothing more is needed;
3. ``replay_rounds``: the allocation events after S, one vectorised round per event over all loans that
   have one (accrual, crystallisation, cap, waterfall, prepayment, credit, settlement), jumping again in
   closed form whenever a loan is clean, then the report at as_of.

Money is integer fen throughout; the penalty rounding is exact (Int128). Memory is linear in the book's
rows, so a runner can call this per partition of loans. Row order: ``lines`` holds the head lines first,
then the untouched ones (each part by loan and seq) so that no column is copied twice — sort if an order
matters; ``loans`` and ``charges`` follow the book's loan order. A loan listed twice is refused (one error
row per listing).
"""

from __future__ import annotations

from datetime import date

import polars as pl

from qingshou.engine import schema
from qingshou.engine.book import Book
from qingshou.engine.calendar import CalendarFrame
from qingshou.engine.replay_closed import Jump, jump, opening_starts
from qingshou.engine.replay_facts import NO_DAY, Facts, Prepared, gather, prepare, restrict
from qingshou.engine.replay_rounds import LEDGER_STATE, Ledgers


def replay_book(
    book: Book, as_of: date, calendar: CalendarFrame, *, closed_form: bool = True, window: int = 4
) -> schema.LedgerFrames:
    """Every loan's ledger at the end of ``as_of`` (module docstring). The keywords change how, never what:
    ``closed_form=False`` sends every event through the rounds instead of jumping in closed form, and
    ``window`` is how many lines a jump back into closed form looks at first (the tests vary both)."""
    prepared = prepare(book, as_of, calendar)
    facts = prepared.facts
    opening = jump(facts, opening_starts(facts), whole=True) if closed_form else _nothing_paid(facts)
    pending = opening.stop < facts.as_of
    general, general_lines, general_charges = restrict(facts, pending)
    ledgers = Ledgers(general, _only(opening, pending, general_lines), reenter=closed_form, window=window)
    ledgers.run(opening.stop.filter(pending))
    head_state = _head_state(facts, opening, general_lines, ledgers)
    return _frames(prepared, head_state, opening, pending, ledgers, general_charges)


def _nothing_paid(facts: Facts) -> Jump:
    """The empty ledger before disbursement: S = disbursed − 1; a line owing nothing is settled."""
    settled = (
        pl.when(pl.col("total") == 0).then(gather(facts.loans["disbursed"], pl.col("loan"))).otherwise(NO_DAY)
    )
    rows = facts.lines.select(
        pl.col("loan").alias("ev"),
        pl.int_range(pl.len(), dtype=pl.Int64).alias("idx"),
        *(pl.lit(0, pl.Int64).alias(name) for name in ("principal_paid", "interest_paid", "fee_paid")),
        settled.alias("settled"),
    )
    stop = facts.loans.select(pl.col("disbursed") - 1).to_series()
    return Jump(stop, pl.repeat(0, facts.loans.height, dtype=pl.Int64, eager=True).rename("credit"), rows)


def _only(opening: Jump, loans: pl.Series, lines: pl.Series) -> Jump:
    """The opening of the loans where ``loans`` holds (``lines``: their lines' rows)."""
    return Jump(opening.stop.filter(loans), opening.credit.filter(loans), opening.rows[lines])


def _head_state(facts: Facts, opening: Jump, general: pl.Series, ledgers: Ledgers) -> pl.DataFrame:
    """The state of every head line: from the opening, and from the rounds for the loans that needed them."""
    replayed, _, _ = ledgers.result()
    state: dict[str, pl.Series] = {}
    for name in LEDGER_STATE:
        if name in opening.rows.columns:
            # taken out of the opening (not needed after this): the only owner, so scattered in place
            column = opening.rows.drop_in_place(name)
        else:
            column = pl.repeat(0, facts.lines.height, dtype=pl.Int64, eager=True).rename(name)
        column.scatter(general, replayed[name])
        state[name] = column
    return pl.DataFrame(state)


def _as_date(column: str) -> pl.Expr:
    """An integer day column as a Date (NO_DAY: null)."""
    return pl.when(pl.col(column) != NO_DAY).then(pl.col(column)).cast(pl.Int32).cast(pl.Date)


def _frames(
    prepared: Prepared,
    head_state: pl.DataFrame,
    opening: Jump,
    pending: pl.Series,
    ledgers: Ledgers,
    general_charges: pl.Series,
) -> schema.LedgerFrames:
    facts = prepared.facts
    _, charge_paid, general_credit = ledgers.result()
    paid = pl.repeat(0, facts.charges.height, dtype=pl.Int64, eager=True).rename("paid")
    paid.scatter(general_charges, charge_paid)
    charges = facts.charges.with_columns(_as_date("posted").alias("posted_on"), paid)
    ids = (
        prepared.loan_ids.gather(charges["loan"])
        if charges.height
        else pl.Series("loan_id", [], dtype=pl.String)
    )
    credit = opening.credit.clone().rename("unapplied_credit")
    credit.scatter(pending.arg_true(), general_credit)
    loans = pl.DataFrame({"loan_id": prepared.loan_ids, "unapplied_credit": credit})
    return schema.LedgerFrames(
        lines=_lines(prepared, head_state),
        charges=schema.conform(charges.with_columns(ids.alias("loan_id")), schema.LEDGER_CHARGES),
        loans=schema.conform(loans, schema.LEDGER_LOANS),
        errors=schema.conform(prepared.errors, schema.ERRORS),
    )


def _lines(prepared: Prepared, head_state: pl.DataFrame) -> pl.DataFrame:
    """Every line of the schedule (LEDGER_LINES): first the head lines (accelerated amounts, replayed state),
    then the others, as scheduled and untouched (nothing paid; settled on disbursement when owing nothing).
    Each part is in (loan, seq) order; built column by column so that no column is copied twice."""
    schedule, facts = prepared.schedule, prepared.facts
    head = prepared.head
    rest = schedule.filter(~head)
    nothing_owed = rest.select(pl.col("principal") + pl.col("interest") + pl.col("fee") == 0).to_series()
    untouched = {
        name: pl.repeat(0, rest.height, dtype=pl.Int64, eager=True)
        for name in LEDGER_STATE
        if name != "settled"
    }
    if nothing_owed.any():
        disbursed = facts.loans["disbursed"].gather(rest["loan"])
        untouched_settled = _dates(
            pl.select(pl.when(pl.lit(nothing_owed)).then(pl.lit(disbursed)).otherwise(NO_DAY)).to_series()
        )
    else:  # the usual case: no untouched line is settled (no column of days to build and convert)
        untouched_settled = pl.repeat(None, rest.height, dtype=pl.Date, eager=True)
    scheduled = {"due": "due", "principal": "principal", "interest": "interest", "fee": "fee"}
    columns: dict[str, pl.Series] = {
        # one chunk per part, as every other column: a frame chunked alike is never copied to align it
        "loan_id": pl.concat(
            [prepared.line_ids.filter(head).rechunk(), prepared.line_ids.filter(~head).rechunk()],
            rechunk=False,
        ),
        "seq": pl.concat([facts.lines["seq"], rest["seq"]]).cast(pl.Int32),
    }
    for name, source in scheduled.items():
        columns[name] = pl.concat([facts.lines[source], rest[source]], rechunk=False)
    columns["accelerated"] = pl.concat(
        [facts.lines["accelerated"], pl.repeat(False, rest.height, dtype=pl.Boolean, eager=True)],
        rechunk=False,
    )
    for name in LEDGER_STATE:
        if name != "settled":
            columns[name] = pl.concat([head_state[name], untouched[name]], rechunk=False)
    named = {
        "loan_id": columns["loan_id"],
        "seq": columns["seq"],
        "due_date": _dates(columns["due"]),
        "principal_due": columns["principal"],
        "interest_due": columns["interest"],
        "fee_due": columns["fee"],
        **{name: columns[name] for name in LEDGER_STATE if name != "settled"},
        "settled_on": pl.concat([_dates(head_state["settled"]), untouched_settled], rechunk=False),
        "accelerated": columns["accelerated"],
    }
    return pl.DataFrame({name: named[name].rename(name) for name in schema.LEDGER_LINES})


def _dates(days: pl.Series) -> pl.Series:
    """Integer day numbers as Dates (NO_DAY: null)."""
    return pl.select(
        pl.when(pl.lit(days) != NO_DAY).then(pl.lit(days)).cast(pl.Int32).cast(pl.Date)
    ).to_series()
