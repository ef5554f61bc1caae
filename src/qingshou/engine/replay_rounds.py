"""Replay rounds: the allocation events after each loan's opening day S, one round per event (C2, C4, C5).

An *allocation event* of a loan is a day ≤ as_of with payments, or a due date / charge posting day while
unapplied credit is held (``domain.ledger`` rule 6). Each round processes the next event of every loan that
has one, all loans at once (each on its own day); a loan without events after S costs nothing. In one event,
as ``domain.ledger.replay`` does on that day:

1. accrue (C4): each open installment due by the day adds unpaid principal × days (and, with
   ``compound``, unpaid interest × days) to its exact balance-days, for the days d with
   max(origin, accrued through) < d ≤ day — lazily: balances only change at allocation events;
2. crystallise: each installment not contingent (past its last on-time day, or settled) turns its
   balance-days into fen, round(S × rate_num / rate_den) half-up or down in exact Int128 arithmetic; under
   ``cap_charges_at_principal`` the loan's room (principal − scheduled interest and fees − fee charges
   posted − penalty and compound crystallised so far) is taken line by line in seq order, penalty first;
3. allocate the day's payments plus held credit down the waterfall (``engine.replay_waterfall``; greedy
   allocation is additive, so several payments on one day and the credit applied after them are one
   allocation);
4. with ``prepayment`` what is left pays the installments not yet due in order, fees → interest →
   principal (they fill in seq order, so only the first few are touched); the rest is credit;
5. close the day: an installment whose principal, interest and fee are paid is settled that day; settled by
   its last on-time day, its contingent accrual is discarded (C2).

Credit is held only when everything owed is paid, so a payment on a day that is not a credit day while
credit is held pays nothing either, and a crystallisation at a credit application finds nothing to round:
folding the credit into each event of the loan changes nothing. A loan clean again after an event (every
installment due closed, every charge posted paid) jumps in closed form (``engine.replay_closed``) to its
next S. At as_of every open installment accrues and crystallises once more for the report.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from qingshou.engine.replay_closed import Jump, first_per_ev, jump
from qingshou.engine.replay_facts import COSTS, FEES, NO_DAY, RANKS, Facts, at, day_key, gather
from qingshou.engine.replay_waterfall import OWED, PIECE, segment_before, with_pieces

_NEVER = 2**62
#: Penalty and compound interest crystallised and paid, per line.
_ACCRUALS = ("penalty_accrued", "penalty_paid", "compound_accrued", "compound_paid")
#: Exact balance-days not yet rounded, per line.
_PENDING = ("penalty_pending", "compound_pending")
#: The per-line state the replay hands back (``settled`` as a day number).
LEDGER_STATE = ("principal_paid", "interest_paid", "fee_paid", *_ACCRUALS, "settled")
#: Per-line state, updated in place by index.
_LINE_STATE = (*LEDGER_STATE[:-1], *_PENDING, "accrued_through", "settled", "closed")
#: The paid state column and what is owed of each installment component, by component code.
_LINE_OWED = {
    1: ("fee_paid", "fee"),
    2: ("penalty_paid", "penalty_accrued"),
    3: ("compound_paid", "compound_accrued"),
    4: ("interest_paid", "interest"),
    5: ("principal_paid", "principal"),
}
_EVENT_COLUMNS = ("day", "available", "compound", "rate_num", "rate_den", "down", "cap", "vertical", *RANKS)
_PAID = ("fee_paid", "interest_paid", "principal_paid")


def _fresh(values: pl.Series, name: str) -> pl.Series:
    """A copy of ``values`` owning its buffer (scattering into it never copies the column again)."""
    if values.dtype == pl.Boolean:
        return (~values).not_().rename(name)
    return (values + 0).rename(name)


def _starts(group: str) -> pl.Expr:
    return (pl.col(group) != pl.col(group).shift(1)).fill_null(True)


class Ledgers:
    """The replay state of every line, charge and loan of ``facts``, as Series updated in place by index.

    Line state: the paid components, penalty / compound accrued and paid, the exact balance-days not yet
    crystallised (``*_pending``), ``accrued_through``, ``settled`` (NO_DAY: not settled) and ``closed``
    (settled with nothing accrued left to pay or round). Loan state: ``credit`` (unapplied), ``accrued``
    (penalty + compound crystallised, for the cap), ``first_open`` (no line before it is open) and
    ``prefilled`` (no line before it owes anything as a prepayment). Charge state: ``paid``.
    ``reenter``: jump in closed form whenever a loan is clean again (off: every event goes through rounds),
    looking at ``window`` lines at first.
    """

    def __init__(self, facts: Facts, opening: Jump, reenter: bool = True, window: int = 4) -> None:
        self.facts = facts
        self.window = window
        self.as_of = facts.as_of
        self.reenter = reenter
        lines = facts.lines
        self.line_static = lines.select(
            "due", "origin", "last_on_time", "principal", "interest", "fee", "total", "item"
        )
        self.line_keys = lines.select(day_key(pl.col("loan"), pl.col("due"))).to_series()
        self.running_before = lines["total"].cum_sum() - lines["total"]
        self.running = lines["total"].cum_sum()
        self.line = _opening_line_state(facts, opening)
        self.loan = _opening_loan_state(facts, opening, self.line["closed"])
        self.charge_paid = pl.repeat(0, facts.charges.height, dtype=pl.Int64, eager=True).rename("paid")
        self.loan_static = facts.loans.select(
            "line_start", "line_end", "charge_start", "charge_end", "pay_start", "pay_end", "prepayment",
            "cap_base", *_EVENT_COLUMNS[2:],
        )  # fmt: skip
        self.credit_days = _credit_days(facts)

    def run(self, start: pl.Series) -> None:
        """Replay every allocation event after each loan's ``start`` (S), then report at as_of."""
        after = pl.DataFrame({"loan": pl.int_range(start.len(), dtype=pl.Int64, eager=True), "after": start})
        events = self._next_events(after.filter(pl.col("after") < self.as_of))
        going_on = _no_jumps()
        while events.height or going_on.height:
            done = self._event(events) if events.height else _no_events()
            after, going_on = self._reentered(done, going_on)
            events = self._next_events(after)
        if self.facts.loans.height:
            self._report()

    def result(self) -> tuple[Mapping[str, pl.Series], pl.Series, pl.Series]:
        """The line state, the charges' paid amounts and each loan's unapplied credit."""
        return self.line, self.charge_paid, self.loan["credit"]

    # --- scheduling -----------------------------------------------------------------------------------

    def _next_events(self, after: pl.DataFrame) -> pl.DataFrame:
        """Each loan's next allocation event after ``after``: its next payment day, or its next credit day
        (due date or charge posting) while it holds credit; loans without one by as_of are left out."""
        pays, credit_days = self.facts.pays, self.credit_days
        keys = after.select(day_key(pl.col("loan"), pl.col("after"))).to_series()
        next_pay = pl.lit(pays["key"].search_sorted(keys, side="right").cast(pl.Int64))
        next_credit = pl.lit(credit_days["key"].search_sorted(keys, side="right").cast(pl.Int64))
        pay_day = pl.when(next_pay < gather(self.loan_static["pay_end"], pl.col("loan"))).then(
            at(pays["day"], next_pay)
        )
        held = gather(self.loan["credit"], pl.col("loan")) > 0
        own_day = at(credit_days["loan"], next_credit) == pl.col("loan")
        credit_day = pl.when(held & own_day).then(at(credit_days["day"], next_credit))
        frame = after.with_columns(
            pay_day.fill_null(_NEVER).alias("pay_day"), credit_day.fill_null(_NEVER).alias("credit_day")
        ).with_columns(pl.min_horizontal("pay_day", "credit_day").alias("day"))
        paid = pl.when(pl.col("pay_day") == pl.col("day")).then(at(pays["amount"], next_pay)).fill_null(0)
        return (
            frame.with_columns(paid.alias("pay"))
            .filter(pl.col("day") <= self.as_of)
            .select("loan", "day", "pay")
        )

    def _reentered(self, done: pl.DataFrame, going_on: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
        """(loan, after) for the next events, and the jumps to go on with next round: a loan clean after its
        event jumps in closed form towards its next S, looking at a few lines first and twice as many each
        time it reaches the end of what it looked at."""
        if not self.reenter:
            return done.select("loan", pl.col("day").alias("after")), going_on
        waiting = done.filter(~pl.col("clean")).select("loan", pl.col("day").alias("after"))
        clean = done.filter(pl.col("clean")).with_columns(pl.lit(self.window, pl.Int64).alias("window"))
        starts = self._starts(
            pl.concat([clean, going_on.with_columns(self._pointers())], how="diagonal_relaxed")
        )
        if starts.height == 0:
            return waiting, going_on
        moved = jump(self.facts, starts)
        self._store_jump(starts, moved)
        ends = starts.select(
            "loan", "from_day", "window", moved.stop.alias("day"), pl.lit(moved.at_edge).alias("edge")
        )
        again = pl.col("edge") & (pl.col("day") > pl.col("from_day"))
        jumped = ends.filter(~again).select("loan", pl.col("day").alias("after"))
        return pl.concat([waiting, jumped]), ends.filter(again).select("loan", "day", pl.col("window") * 2)

    def _pointers(self) -> list[pl.Expr]:
        """A loan's ``due_end``, ``prefilled`` and ``credit`` from its state (columns ``loan``, ``day``)."""
        key = day_key(pl.col("loan"), pl.col("day"))
        due_end = pl.lit(self.line_keys).search_sorted(key, side="right").cast(pl.Int64)
        return [
            due_end.alias("due_end"),
            gather(self.loan["prefilled"], pl.col("loan")).alias("prefilled"),
            gather(self.loan["credit"], pl.col("loan")).alias("credit"),
        ]

    def _starts(self, clean: pl.DataFrame) -> pl.DataFrame:
        """Jump starts of clean loans (loan, day, due_end, prefilled, credit, window): from the day, at the
        first line not settled, with the credit and what that line already holds, and the payments so far."""
        first = clean.select(pl.max_horizontal("due_end", "prefilled")).to_series()
        inside = pl.lit(first) < gather(self.loan_static["line_end"], pl.col("loan"))
        held = [at(self.line[name], pl.lit(first)) for name in _PAID]
        return clean.select(
            "loan",
            pl.col("day").alias("from_day"),
            pl.lit(first).alias("first"),
            (pl.col("credit") + pl.when(inside).then(held[0] + held[1] + held[2]).otherwise(0)).alias(
                "money"
            ),
            self._paid_by().alias("paid"),
            "window",
        )

    def _paid_by(self) -> pl.Expr:
        """C(day) of each row's loan (columns ``loan``, ``day``): its payments valued on or before the day."""
        pays = self.facts.pays
        if pays.height == 0:
            return pl.lit(0, pl.Int64)
        key = day_key(pl.col("loan"), pl.col("day"))
        last = pl.lit(pays["key"]).search_sorted(key, side="right").cast(pl.Int64) - 1
        first = gather(self.facts.loans["pay_start"], pl.col("loan"))
        base = gather(self.facts.loans["pay_base"], pl.col("loan"))
        return pl.when(last >= first).then(at(pays["cum"], last) - base).otherwise(0)

    def _store_jump(self, starts: pl.DataFrame, moved: Jump) -> None:
        """The jumped lines' paid amounts and settlement, and each loan's credit and pointers at its S: the
        first line not settled (the window's end when all it looked at are)."""
        rows = moved.rows
        for name in (*_PAID, "settled"):
            self.line[name].scatter(rows["idx"], rows[name])
        self.line["closed"].scatter(rows["idx"], rows["settled"] != NO_DAY)
        window_end = pl.col("first") + pl.col("window")
        opened = starts.select(
            pl.min_horizontal(gather(self.loan_static["line_end"], pl.col("loan")), window_end)
        ).to_series()
        still_open = first_per_ev(rows.filter(pl.col("settled") == NO_DAY))
        opened.scatter(still_open["ev"], still_open["idx"])
        self.loan["credit"].scatter(starts["loan"], moved.credit)
        self.loan["first_open"].scatter(starts["loan"], opened)
        self.loan["prefilled"].scatter(starts["loan"], opened)

    # --- one event ------------------------------------------------------------------------------------

    def _event(self, events: pl.DataFrame) -> pl.DataFrame:
        """One allocation event per loan of ``events`` (loan, day, pay): module steps 1–5; returns per event
        (loan, day, due_end, prefilled, credit, clean)."""
        events = self._with_loan_columns(events).with_columns(
            (pl.col("pay") + pl.col("credit")).alias("available")
        )
        lines = self._crystallised(_accrued(self._open_lines(events)), events)
        rows = self._with_open_charges(lines, events)
        rows = with_pieces(rows.with_columns(_owed("paid" in rows.columns)))
        events = events.with_columns(_left(rows, events).alias("left"))
        lines = _closed_day(_paid(rows.filter(~pl.col("is_charge"))))
        charges = rows.filter(pl.col("is_charge"))
        prepaid = self._prepaid(events)
        self._store(lines)
        if charges.height:
            self.charge_paid.scatter(
                charges["idx"], charges["paid"] + charges[PIECE[COSTS]] + charges[PIECE[FEES]]
            )
        return self._advance(events, lines, charges, prepaid)

    def _with_loan_columns(self, events: pl.DataFrame) -> pl.DataFrame:
        """Events with ``ev`` (their row), their loan's policy, ranges and state, and ``due_end`` (the first
        line due after the day)."""
        loan = pl.col("loan")
        keys = events.select(day_key(loan, pl.col("day"))).to_series()
        return events.with_columns(
            pl.int_range(pl.len(), dtype=pl.Int64).alias("ev"),
            *(gather(self.loan_static[name], loan).alias(name) for name in self.loan_static.columns),
            *(gather(series, loan).alias(name) for name, series in self.loan.items()),
            pl.lit(self.line_keys.search_sorted(keys, side="right").cast(pl.Int64)).alias("due_end"),
        )

    def _open_lines(self, events: pl.DataFrame) -> pl.DataFrame:
        """The open lines due by each event's day (from ``first_open`` to ``due_end``, not closed), in seq
        order, with their static columns, state and the event's columns."""
        ranges = pl.int_ranges("first_open", pl.max_horizontal("first_open", "due_end")).alias("idx")
        idx = events.select("ev", ranges).explode("idx").drop_nulls("idx")
        idx = idx.filter(~gather(self.line["closed"], pl.col("idx")))
        state = pl.DataFrame({name: series.gather(idx["idx"]) for name, series in self.line.items()})
        per_event = events.select(_EVENT_COLUMNS).gather(idx["ev"])
        rows = pl.concat([idx, self.line_static.gather(idx["idx"]), state, per_event], how="horizontal")
        return rows.with_columns(
            pl.lit(False).alias("is_charge"), (pl.col("due") == pl.col("day")).cast(pl.Int64).alias("section")
        )

    def _crystallised(self, rows: pl.DataFrame, events: pl.DataFrame) -> pl.DataFrame:
        """Step 2: round the balance-days of the lines not contingent (C4), under the cap when the product
        has one; the loans' crystallised totals are updated."""
        payable = (pl.col("day") > pl.col("last_on_time")) | (pl.col("settled") != NO_DAY)
        rows = rows.with_columns(
            pl.when(payable).then(_rounded("penalty_pending")).otherwise(0).alias("add_penalty"),
            pl.when(payable).then(_rounded("compound_pending")).otherwise(0).alias("add_compound"),
            payable.alias("payable"),
        )
        if rows.height and rows["cap"].any():
            rows = self._capped(rows, events)
        added = pl.col("add_penalty") + pl.col("add_compound")
        last = (pl.col("ev") != pl.col("ev").shift(-1)).fill_null(True)
        totals = rows.select("ev", added.cum_sum().alias("run"), last.alias("last")).filter("last")
        totals = totals.with_columns((pl.col("run") - pl.col("run").shift(1).fill_null(0)).alias("sum"))
        accrued = events["accrued"].clone()
        accrued.scatter(totals["ev"], accrued.gather(totals["ev"]) + totals["sum"])
        self.loan["accrued"].scatter(events["loan"], accrued)
        return rows.with_columns(
            pl.col("penalty_accrued") + pl.col("add_penalty"),
            pl.col("compound_accrued") + pl.col("add_compound"),
            pl.when(pl.col("payable")).then(0).otherwise(pl.col("penalty_pending")).alias("penalty_pending"),
            pl.when(pl.col("payable"))
            .then(0)
            .otherwise(pl.col("compound_pending"))
            .alias("compound_pending"),
        ).drop("add_penalty", "add_compound", "payable")

    def _capped(self, rows: pl.DataFrame, events: pl.DataFrame) -> pl.DataFrame:
        """The cap (C4): the amounts take the room left line by line in seq order, penalty first. With
        H = max(limit, accrued before), the loan's total after each amount is min(before + amounts, H)."""
        limit = events.select(pl.col("cap_base") - self._fee_charges_posted(events), "accrued")
        rows = rows.with_columns(
            limit.to_series(0).gather(rows["ev"]).alias("limit"),
            limit.to_series(1).gather(rows["ev"]).alias("before_all"),
        )
        raw = pl.col("add_penalty") + pl.col("add_compound")
        start = pl.col("before_all") + segment_before(raw, _starts("ev"))
        ceiling = pl.max_horizontal("limit", "before_all")
        after_penalty = pl.min_horizontal(start + pl.col("add_penalty"), ceiling)
        after_both = pl.min_horizontal(start + raw, ceiling)
        return rows.with_columns(
            pl.when(pl.col("cap"))
            .then(after_penalty - pl.min_horizontal(start, ceiling))
            .otherwise(pl.col("add_penalty"))
            .alias("add_penalty"),
            pl.when(pl.col("cap"))
            .then(after_both - after_penalty)
            .otherwise(pl.col("add_compound"))
            .alias("add_compound"),
        ).drop("limit", "before_all")

    def _charge_rows(self, events: pl.DataFrame) -> pl.DataFrame:
        """The charges of each event's loan posted on or before its day (ev, idx, posted, amount,
        component, item, paid)."""
        with_charges = events.filter(pl.col("charge_end") > pl.col("charge_start"))
        if with_charges.height == 0:
            return pl.DataFrame(
                schema={
                    "ev": pl.Int64(),
                    "idx": pl.Int64(),
                    "posted": pl.Int64(),
                    "amount": pl.Int64(),
                    "component": pl.Int64(),
                    "item": pl.Int64(),
                    "paid": pl.Int64(),
                }
            )
        idx = with_charges.select("ev", pl.int_ranges("charge_start", "charge_end").alias("idx")).explode(
            "idx"
        )
        static = self.facts.charges.select("posted", "amount", "component", "item").gather(idx["idx"])
        rows = pl.concat(
            [idx, static, self.charge_paid.gather(idx["idx"]).to_frame("paid")], how="horizontal"
        )
        return rows.filter(pl.col("posted") <= gather(events["day"], pl.col("ev")))

    def _fee_charges_posted(self, events: pl.DataFrame) -> pl.Expr:
        """Per event: the fee charges of its loan posted on or before the day (for the cap)."""
        fees = self._charge_rows(events).filter(pl.col("component") == FEES)
        posted = pl.repeat(0, events.height, dtype=pl.Int64, eager=True)
        if fees.height:
            sums = fees.group_by("ev").agg(pl.col("amount").sum())
            posted.scatter(sums["ev"], sums["amount"])
        return pl.lit(posted)

    def _with_open_charges(self, lines: pl.DataFrame, events: pl.DataFrame) -> pl.DataFrame:
        """The lines, and the charges posted by the day and not paid as rows too (sorted by ev, section,
        item), when the round has any."""
        charges = self._charge_rows(events).filter(pl.col("paid") < pl.col("amount"))
        if charges.height == 0:
            return lines
        per_event = events.select(_EVENT_COLUMNS).gather(charges["ev"])
        charges = pl.concat([charges, per_event], how="horizontal").with_columns(
            pl.lit(True).alias("is_charge"),
            (pl.col("posted") == pl.col("day")).cast(pl.Int64).alias("section"),
        )
        return pl.concat([lines, charges], how="diagonal_relaxed").sort("ev", "section", "item")

    def _prepaid(self, events: pl.DataFrame) -> pl.DataFrame:
        """Step 4: what is left pays the lines not yet due in order (fees → interest → principal of each);
        the touched lines are stored and returned (ev, idx, owes, left_after)."""
        wanted = events.filter((pl.col("left") > 0) & pl.col("prepayment")).with_columns(
            pl.max_horizontal("due_end", "prefilled").alias("first")
        )
        wanted = wanted.filter(pl.col("first") < pl.col("line_end"))
        if wanted.height == 0:
            return pl.DataFrame(
                schema={"ev": pl.Int64(), "idx": pl.Int64(), "owes": pl.Boolean(), "left_after": pl.Int64()}
            )
        held = sum(
            (self.line[name].gather(wanted["first"]) for name in _PAID),
            pl.repeat(0, wanted.height, dtype=pl.Int64, eager=True),
        )
        target = self.running_before.gather(wanted["first"]) + held + wanted["left"]
        last = self.running.search_sorted(target, side="left").cast(pl.Int64)
        wanted = wanted.with_columns(pl.min_horizontal(pl.lit(last), pl.col("line_end") - 1).alias("last"))
        idx = wanted.select(
            "ev", "day", "left", pl.int_ranges("first", pl.col("last") + 1).alias("idx")
        ).explode("idx")
        static = self.line_static.select("principal", "interest", "fee").gather(idx["idx"])
        state = pl.DataFrame({name: self.line[name].gather(idx["idx"]) for name in _PAID})
        rows = _prepayment_pieces(pl.concat([idx, static, state], how="horizontal"))
        for name in _PAID:
            self.line[name].scatter(rows["idx"], rows[name])
        done = rows.filter(pl.col("settles"))
        self.line["settled"].scatter(done["idx"], done["day"])
        self.line["closed"].scatter(done["idx"], pl.repeat(True, done.height, dtype=pl.Boolean, eager=True))
        return rows.select("ev", "idx", "owes", "left_after")

    def _store(self, lines: pl.DataFrame) -> None:
        for name in _LINE_STATE:
            self.line[name].scatter(lines["idx"], lines[name])

    def _advance(
        self, events: pl.DataFrame, lines: pl.DataFrame, charges: pl.DataFrame, prepaid: pl.DataFrame
    ) -> pl.DataFrame:
        """Loan state after the event (credit, first_open, prefilled); per event (loan, day, due_end,
        prefilled, credit, clean)."""
        first_open = events["due_end"].clone()
        still_open = first_per_ev(lines.filter(~pl.col("closed")))
        first_open.scatter(still_open["ev"], still_open["idx"])
        clean = pl.repeat(True, events.height, dtype=pl.Boolean, eager=True)
        clean.scatter(still_open["ev"], False)
        if charges.height:
            owing = charges.filter(
                pl.col("paid") + pl.col(PIECE[COSTS]) + pl.col(PIECE[FEES]) < pl.col("amount")
            )
            clean.scatter(owing["ev"], False)
        credit, prefilled = events["left"].clone(), events["prefilled"].clone()
        # prepaid rows run by ev, then idx rising: an event's last row holds what is left of its money,
        # and it has filled up to its first line still owing (else to the line after its last one)
        if prepaid.height:
            spent = prepaid.filter((pl.col("ev") != pl.col("ev").shift(-1)).fill_null(True))
            credit.scatter(spent["ev"], spent["left_after"])
            prefilled.scatter(spent["ev"], spent["idx"] + 1)
            owing = first_per_ev(prepaid.filter(pl.col("owes")))
            prefilled.scatter(owing["ev"], owing["idx"])
        loans = events["loan"]
        self.loan["credit"].scatter(loans, credit)
        self.loan["first_open"].scatter(loans, first_open)
        self.loan["prefilled"].scatter(loans, prefilled)
        return events.select("loan", "day", "due_end").with_columns(
            prefilled.alias("prefilled"), credit.alias("credit"), clean.alias("clean")
        )

    def _report(self) -> None:
        """Accrue and crystallise every open line up to as_of (contingent lines are not rounded)."""
        count = self.facts.loans.height
        events = pl.DataFrame(
            {
                "loan": pl.int_range(count, dtype=pl.Int64, eager=True),
                "day": pl.repeat(self.as_of, count, dtype=pl.Int64, eager=True),
                "pay": pl.repeat(0, count, dtype=pl.Int64, eager=True),
            }
        )
        events = self._with_loan_columns(events).with_columns(pl.col("credit").alias("available"))
        lines = self._crystallised(_accrued(self._open_lines(events)), events)
        for name in (
            "penalty_accrued",
            "compound_accrued",
            "penalty_pending",
            "compound_pending",
            "accrued_through",
        ):
            self.line[name].scatter(lines["idx"], lines[name])


def _no_jumps() -> pl.DataFrame:
    return pl.DataFrame(schema={"loan": pl.Int64(), "day": pl.Int64(), "window": pl.Int64()})


def _no_events() -> pl.DataFrame:
    schema = {"loan": pl.Int64(), "day": pl.Int64(), "due_end": pl.Int64(), "prefilled": pl.Int64()}
    return pl.DataFrame(schema={**schema, "credit": pl.Int64(), "clean": pl.Boolean()})


def _accrued(rows: pl.DataFrame) -> pl.DataFrame:
    """Step 1: balance-days up to the day (C4: day d accrues on the balance at the end of d − 1)."""
    days = (pl.col("day") - pl.max_horizontal("origin", "accrued_through")).clip(0, None)
    return rows.with_columns(
        pl.col("penalty_pending") + (pl.col("principal") - pl.col("principal_paid")) * days,
        pl.when(pl.col("compound"))
        .then(pl.col("compound_pending") + (pl.col("interest") - pl.col("interest_paid")) * days)
        .otherwise(pl.col("compound_pending")),
        pl.max_horizontal("accrued_through", "day").alias("accrued_through"),
    )


def _rounded(pending: str) -> pl.Expr:
    """round(S × rate_num / rate_den) in exact Int128 arithmetic, half-up or down (C4)."""
    measure = pl.col(pending).cast(pl.Int128) * pl.col("rate_num").cast(pl.Int128)
    den = pl.col("rate_den").cast(pl.Int128)
    half_up = (2 * measure + den) // (2 * den)
    return pl.when(pl.col("down")).then(measure // den).otherwise(half_up).cast(pl.Int64)


def _owed(with_charges: bool) -> list[pl.Expr]:
    """What each row owes of each component: an installment its fee, penalty, compound, interest and
    principal unpaid; a charge its amount unpaid, as costs or fees."""
    if not with_charges:
        lines = [(pl.col(due) - pl.col(paid)).alias(OWED[code]) for code, (paid, due) in _LINE_OWED.items()]
        return [pl.lit(0, pl.Int64).alias(OWED[COSTS]), *lines]
    charge = pl.col("is_charge")
    unpaid_charge = pl.col("amount") - pl.col("paid")
    owed = [
        pl.when(charge & (pl.col("component") == COSTS)).then(unpaid_charge).otherwise(0).alias(OWED[COSTS])
    ]
    for code, (paid, due) in _LINE_OWED.items():
        line_owes = pl.col(due) - pl.col(paid)
        if code == FEES:
            value = pl.when(charge).then(
                pl.when(pl.col("component") == FEES).then(unpaid_charge).otherwise(0)
            )
            owed.append(value.otherwise(line_owes).alias(OWED[code]))
        else:
            owed.append(pl.when(charge).then(0).otherwise(line_owes).alias(OWED[code]))
    return owed


def _left(rows: pl.DataFrame, events: pl.DataFrame) -> pl.Series:
    """Per event: the money left after the waterfall, max(available − everything owed, 0)."""
    left = events["available"].clone()
    firsts = rows.filter(_starts("ev"))
    left.scatter(firsts["ev"], (firsts["available"] - firsts["event_owed"]).clip(0, None))
    return left


def _paid(lines: pl.DataFrame) -> pl.DataFrame:
    """The installments' paid components after the event's pieces."""
    return lines.with_columns(
        (pl.col(paid) + pl.col(PIECE[code])).alias(paid) for code, (paid, _) in _LINE_OWED.items()
    )


def _prepayment_pieces(rows: pl.DataFrame) -> pl.DataFrame:
    """Fill the rows (lines not yet due, per event in order) with what is left, vertically: each line's
    remaining total, split fees → interest → principal (C5 prepayment)."""
    remaining = pl.col("fee") + pl.col("interest") + pl.col("principal") - pl.sum_horizontal(*_PAID)
    rows = rows.with_columns(remaining.alias("remaining")).with_columns(
        segment_before(pl.col("remaining"), _starts("ev")).alias("before")
    )
    rows = rows.with_columns((pl.col("left") - pl.col("before")).clip(0, pl.col("remaining")).alias("amount"))
    fee = pl.min_horizontal(pl.col("amount"), pl.col("fee") - pl.col("fee_paid"))
    interest = pl.min_horizontal(pl.col("amount") - fee, pl.col("interest") - pl.col("interest_paid"))
    principal = pl.col("amount") - fee - interest
    return rows.with_columns(
        (pl.col("fee_paid") + fee).alias("fee_paid"),
        (pl.col("interest_paid") + interest).alias("interest_paid"),
        (pl.col("principal_paid") + principal).alias("principal_paid"),
        (pl.col("remaining") > pl.col("amount")).alias("owes"),
        (pl.col("left") - pl.col("before") - pl.col("amount")).clip(0, None).alias("left_after"),
        ((pl.col("remaining") == pl.col("amount")) & (pl.col("amount") > 0)).alias("settles"),
    )


def _closed_day(rows: pl.DataFrame) -> pl.DataFrame:
    """Step 5: settle the lines fully paid (principal, interest, fee) at the end of the day; settled by the
    last on-time day, the contingent accrual is dropped (C2); ``closed``: nothing left to pay or round."""
    paid_up = (
        (pl.col("principal_paid") == pl.col("principal"))
        & (pl.col("interest_paid") == pl.col("interest"))
        & (pl.col("fee_paid") == pl.col("fee"))
    )
    newly = (pl.col("settled") == NO_DAY) & paid_up
    in_grace = newly & (pl.col("day") <= pl.col("last_on_time"))
    rows = rows.with_columns(
        pl.when(newly).then(pl.col("day")).otherwise(pl.col("settled")).alias("settled"),
        pl.when(in_grace).then(0).otherwise(pl.col("penalty_pending")).alias("penalty_pending"),
        pl.when(in_grace).then(0).otherwise(pl.col("compound_pending")).alias("compound_pending"),
    )
    closed = (
        (pl.col("settled") != NO_DAY)
        & (pl.col("penalty_accrued") == pl.col("penalty_paid"))
        & (pl.col("compound_accrued") == pl.col("compound_paid"))
        & (pl.col("penalty_pending") == 0)
        & (pl.col("compound_pending") == 0)
    )
    return rows.with_columns(closed.alias("closed"))


def _credit_days(facts: Facts) -> pl.DataFrame:
    """(loan, day, key) of every due date and charge posting by as_of, unique and sorted: the days held
    credit is applied on (``domain.ledger`` rule 6)."""
    dues = facts.lines.filter(pl.col("due") <= facts.as_of).select("loan", pl.col("due").alias("day"))
    if facts.charges.height:
        posted = facts.charges.select("loan", pl.col("posted").alias("day"))
        dues = pl.concat([dues, posted]).sort("loan", "day")
    days = dues.filter(
        ((pl.col("loan") != pl.col("loan").shift(1)) | (pl.col("day") != pl.col("day").shift(1))).fill_null(
            True
        )
    )
    return days.with_columns(day_key(pl.col("loan"), pl.col("day")).alias("key"))


def _opening_line_state(facts: Facts, opening: Jump) -> dict[str, pl.Series]:
    """The line state at the end of S: paid and settled from the opening, nothing accrued."""
    count = facts.lines.height
    rows = opening.rows
    state = {name: _fresh(rows[name], name) for name in (*_PAID, "settled")}
    for name in (*_ACCRUALS, *_PENDING):
        state[name] = pl.repeat(0, count, dtype=pl.Int64, eager=True).rename(name)
    state["accrued_through"] = _fresh(facts.lines["origin"], "accrued_through")
    state["closed"] = (rows["settled"] != NO_DAY).rename("closed")
    return {name: state[name] for name in _LINE_STATE}


def _opening_loan_state(facts: Facts, opening: Jump, closed: pl.Series) -> dict[str, pl.Series]:
    """Loan state at the end of S: the opening's credit, nothing accrued, the first line still open."""
    loans = facts.loans
    open_rows = pl.int_range(closed.len(), dtype=pl.Int64, eager=True).filter(~closed)
    first = pl.lit(open_rows.search_sorted(loans["line_start"], side="left").cast(pl.Int64))
    first_open = loans.select(
        pl.min_horizontal(at(open_rows, first).fill_null(_NEVER), pl.col("line_end"))
    ).to_series()
    return {
        "credit": _fresh(opening.credit, "credit"),
        "accrued": pl.repeat(0, loans.height, dtype=pl.Int64, eager=True).rename("accrued"),
        "first_open": first_open.rename("first_open"),
        "prefilled": _fresh(first_open, "prefilled"),
    }
