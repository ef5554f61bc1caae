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
2. by default (``method="compiled"``), ``replay_compiled``: one compiled loop (numba) replays each loan's
   event days in the domain's own order — accrual, crystallisation with exact 128-bit rounding, cap,
   waterfall, prepayment, credit, settlement — and the report at as_of. A loan whose figures would not fit
   in 64 bits (far beyond any real book) is replayed through the domain's ledger instead;
3. or (``method="rounds"``, the alternative and the tests' second oracle) ``replay_closed``: each loan's
   ledger in closed form up to the last day S before anything can accrue (everything paid by its last
   on-time day, money filling the installments in order), then ``replay_rounds``: the allocation events
   after S, one vectorised round per event over all loans that have one, jumping again in closed form
   whenever a loan is clean, then the report at as_of.

Money is integer fen throughout; the penalty rounding is exact (128 bits). Memory is linear in the book's
rows, so a runner can call this per partition of loans. Row order: ``lines`` holds the head lines first,
then the untouched ones (each part by loan and seq) so that no column is copied twice — sort if an order
matters; ``loans`` and ``charges`` follow the book's loan order. A loan listed twice is refused (one error
row per listing).
"""

from __future__ import annotations

from datetime import date
from typing import Final, Literal

import polars as pl

from qingshou.domain.errors import DomainError
from qingshou.domain.ledger import Ledger
from qingshou.engine import reference, replay_compiled, schema
from qingshou.engine.book import Book
from qingshou.engine.calendar import CalendarFrame
from qingshou.engine.replay_closed import Jump, jump, opening_starts
from qingshou.engine.replay_facts import NO_DAY, Facts, Prepared, gather, prepare, restrict
from qingshou.engine.replay_rounds import LEDGER_STATE, Ledgers

#: How ``replay_book`` computes: one compiled loop over the loans, or closed form and vectorised rounds.
Method = Literal["compiled", "rounds"]
_WINDOW: Final = 4


def replay_book(
    book: Book,
    as_of: date,
    calendar: CalendarFrame,
    *,
    method: Method | None = None,
    closed_form: bool = True,
    window: int = _WINDOW,
) -> schema.LedgerFrames:
    """Every loan's ledger at the end of ``as_of`` (module docstring). ``method``: ``"compiled"`` (the
    default: ``engine.replay_compiled``) or ``"rounds"`` (closed form and event rounds). The keywords of the
    rounds change how, never what: ``closed_form=False`` sends every event through the rounds instead of
    jumping in closed form, and ``window`` is how many lines a jump back into closed form looks at first;
    either one away from its default selects the rounds when ``method`` is not given (the tests vary both)."""
    if method is None:
        method = "rounds" if not closed_form or window != _WINDOW else "compiled"
    prepared = prepare(book, as_of, calendar)
    if method == "rounds":
        return _by_rounds(prepared, closed_form, window)
    if method != "compiled":
        raise ValueError(f"unknown replay method {method!r}: 'compiled' or 'rounds'")
    compiled = replay_compiled.replay_facts(prepared.facts)
    if compiled.outside.any():
        return _with_domain(book, as_of, calendar, prepared.loan_ids.filter(compiled.outside))
    state = pl.DataFrame(compiled.state)
    return _frames(prepared, state, compiled.charge_paid, compiled.credit)


def _by_rounds(prepared: Prepared, closed_form: bool, window: int) -> schema.LedgerFrames:
    """The closed form, then the event rounds for the loans it leaves before as_of."""
    facts = prepared.facts
    opening = jump(facts, opening_starts(facts), whole=True) if closed_form else _nothing_paid(facts)
    pending = opening.stop < facts.as_of
    general, general_lines, general_charges = restrict(facts, pending)
    ledgers = Ledgers(general, _only(opening, pending, general_lines), reenter=closed_form, window=window)
    ledgers.run(opening.stop.filter(pending))
    head_state = _head_state(facts, opening, general_lines, ledgers)
    head_state = head_state.with_columns(_dates(head_state["settled"]).alias("settled_on")).drop("settled")
    _, charge_paid, general_credit = ledgers.result()
    paid = pl.repeat(0, facts.charges.height, dtype=pl.Int64, eager=True).rename("paid")
    paid.scatter(general_charges, charge_paid)
    credit = opening.credit.clone()
    credit.scatter(pending.arg_true(), general_credit)
    return _frames(prepared, head_state, paid, credit)


def _with_domain(book: Book, as_of: date, calendar: CalendarFrame, outside: pl.Series) -> schema.LedgerFrames:
    """The loans whose figures do not fit the compiled replay's 64 bits through the domain's ledger (exact,
    Decimal), the others compiled; merged as ``engine.adjusted`` merges its waived loans."""
    others = book.loans.filter(~pl.col("loan_id").is_in(outside.implode()))["loan_id"]
    compiled = replay_book(book.only(others), as_of, calendar, method="compiled")
    ledgers = reference.reference_ledgers(book.only(outside), as_of, calendar.calendar)
    done = [ledger for ledger in ledgers.values() if isinstance(ledger, Ledger)]
    refused = [
        {"loan_id": loan_id, "code": error.code, "message": error.message}
        for loan_id, error in ledgers.items()
        if isinstance(error, DomainError)
    ]
    lines, charges, loans = reference.ledger_frames(done)
    order = book.loans.select("loan_id").unique(maintain_order=True)
    return schema.LedgerFrames(
        pl.concat([compiled.lines, lines]),
        pl.concat([compiled.charges, charges]),
        order.join(pl.concat([compiled.loans, loans]), on="loan_id", how="inner", maintain_order="left"),
        pl.concat([compiled.errors, pl.DataFrame(refused, schema=schema.ERRORS)]),
    )


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
    prepared: Prepared, head_state: pl.DataFrame, charge_paid: pl.Series, credit: pl.Series
) -> schema.LedgerFrames:
    """The LEDGER_* frames from the head lines' state (LEDGER_STATE, ``settled_on`` as a Date), what was
    paid of each charge of the facts and each loan's unapplied credit."""
    facts = prepared.facts
    charges = facts.charges.with_columns(_as_date("posted").alias("posted_on"), charge_paid.rename("paid"))
    ids = (
        prepared.loan_ids.gather(charges["loan"])
        if charges.height
        else pl.Series("loan_id", [], dtype=pl.String)
    )
    loans = pl.DataFrame(
        {"loan_id": prepared.loan_ids, "unapplied_credit": credit.rename("unapplied_credit")}
    )
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
    nothing = pl.repeat(0, rest.height, dtype=pl.Int64, eager=True)  # one buffer shared by the 7 columns
    untouched = {name: nothing.alias(name) for name in LEDGER_STATE if name != "settled"}
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
        "settled_on": pl.concat([head_state["settled_on"], untouched_settled], rechunk=False),
        "accelerated": columns["accelerated"],
    }
    return pl.DataFrame({name: named[name].rename(name) for name in schema.LEDGER_LINES})


def _dates(days: pl.Series) -> pl.Series:
    """Integer day numbers as Dates (NO_DAY: null)."""
    return pl.select(
        pl.when(pl.lit(days) != NO_DAY).then(pl.lit(days)).cast(pl.Int32).cast(pl.Date)
    ).to_series()
