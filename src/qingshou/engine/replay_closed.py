"""Replay in closed form: a loan's ledger from a *clean* day D0 up to the last day S before anything can
accrue (C2, C4, C5).

A loan is clean at the end of D0 when every installment due by then is closed (settled, nothing accrued
left to pay or to round) and every charge posted by then is paid: the lines from the first open one, u, are
not yet due, u may hold part of a prepayment, and held credit is the only other money. From there, while
every installment is paid in full by its last on-time day, nothing is ever crystallised (C2: paid within
grace, the contingent accrual is discarded), so the waterfall only meets scheduled amounts, and — no two
installments open at once, no charge posted — money fills the lines u, u+1, … in order (C5: overdue before
current before not yet due; held credit is applied on the next due date). With M(t) = money at D0 (credit +
what u holds) + payments valued in (D0, t] and T_j the scheduled totals of lines u…j, at the end of day t:

* allocated A(t) = min(M(t), T_n) with ``prepayment``, else min(M(t), T of the lines due by t); credit
  M(t) − A(t); line j has received clip(A(t) − T_{j−1}, 0, total_j);
* what line j received before its due date (prepayment: the lines not yet due, fees → interest →
  principal) is clip(min(M(due_j − 1), T_n) − T_{j−1}, 0, total_j); the rest went down the product's
  waterfall (fees, interest and principal in its order);
* line j is settled on the first payment day with M ≥ T_j (without prepayment: not before its due date,
  when held credit is applied); a line owing nothing is settled on disbursement.

S is the day before the first line that breaks this — not paid in full by its last on-time day while that
day is before as_of, or due while the one before it is still inside its grace —, before the first charge
posted after D0, and before the due date of a line still inside its grace and unpaid at S (its contingent
accrual would be unknown); S = as_of when nothing breaks. At the end of S nothing has accrued since D0 and
every line due by S is settled, so the event rounds (``engine.replay_rounds``) go on from there. The opening
of every loan is the case D0 = disbursement − 1, u = its first line, no money.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from qingshou.engine.replay_facts import FEES, INTEREST, NO_DAY, PRINCIPAL, RANKS, Facts, at, day_key, gather

_NEVER = 2**62
_PAID_DUE = (("principal_paid", "principal"), ("interest_paid", "interest"), ("fee_paid", "fee"))


@dataclass(frozen=True, slots=True)
class Jump:
    """The ledger at the end of each start's ``stop`` (S): per start ``stop`` and ``credit``; per line from
    its u (``rows``: ``ev`` the start, ``idx`` the line in ``facts.lines``) ``principal_paid``,
    ``interest_paid``, ``fee_paid``, ``settled`` (NO_DAY: not settled); ``at_edge``: the start stopped at
    the end of its window (a further jump can go on from its S)."""

    stop: pl.Series
    credit: pl.Series
    rows: pl.DataFrame
    at_edge: pl.Series | None = None


def opening_starts(facts: Facts) -> pl.DataFrame:
    """Every loan from disbursement: D0 = disbursed − 1, u = its first line, no money, nothing paid."""
    return facts.loans.select(
        "loan",
        (pl.col("disbursed") - 1).alias("from_day"),
        pl.col("line_start").alias("first"),
        pl.lit(0, pl.Int64).alias("money"),
        pl.lit(0, pl.Int64).alias("paid"),
    )


def jump(facts: Facts, starts: pl.DataFrame, *, whole: bool = False) -> Jump:
    """The ledgers of ``starts`` (loan, from_day D0, first line u, money at D0, paid = C(D0), and
    optionally ``window``) in closed form up to their S (module docstring). ``whole``: the starts are every
    loan of ``facts`` in order, each from its first line (the opening), so the lines need no gathering.
    ``window``: look at most at that many lines from u; S then also stays before the due date of the first
    line beyond them and, with prepayment, before the payment day money would reach it (``at_edge``: a
    further jump can go on from there)."""
    starts = _with_loan_columns(
        facts, starts.with_columns(pl.int_range(pl.len(), dtype=pl.Int64).alias("ev"))
    )
    window = "window" in starts.columns
    if window:
        starts = starts.with_columns(
            pl.min_horizontal("line_end", pl.col("first") + pl.col("window")).alias("window_end")
        )
    rows = _rows(facts, starts, whole)
    rows = rows.with_columns(_covered_on(facts, starts, rows))
    starts = starts.with_columns(_stop(facts, starts, rows).alias("stop"))
    if window:
        starts = starts.with_columns(pl.col("stop").alias("inner_stop")).with_columns(
            _window_stop(facts, starts, rows)
        )
        starts = starts.with_columns((pl.col("stop") < pl.col("inner_stop")).alias("at_edge"))
    starts = starts.with_columns(_stop_in_grace(facts, starts, rows).alias("stop"))
    starts = starts.with_columns(_money_by(facts, starts, pl.col("stop")).alias("reached"))
    starts = starts.with_columns(_owed(starts, rows))
    rows = rows.with_columns(
        (gather(starts["allocated"], pl.col("ev")) - pl.col("before"))
        .clip(0, pl.col("total"))
        .alias("received")
    )
    return Jump(
        at_edge=starts["at_edge"] if window else None,
        stop=starts["stop"],
        credit=starts.select(pl.col("reached") - pl.col("allocated")).to_series(),
        rows=_paid_rows(facts, starts, rows),
    )


def _paid_rows(facts: Facts, starts: pl.DataFrame, rows: pl.DataFrame) -> pl.DataFrame:
    """(ev, idx, principal_paid, interest_paid, fee_paid, settled): a line received in full or not at all
    needs no split; the few received in part are split (prepaid part, then the waterfall)."""
    full = pl.col("received") == pl.col("total")
    out = rows.select(
        "ev",
        "idx",
        *(pl.when(full).then(pl.col(due)).otherwise(0).alias(paid) for paid, due in _PAID_DUE),
        _settled(starts).alias("settled"),
    )
    partial = rows.with_columns(pl.int_range(pl.len(), dtype=pl.Int64).alias("row")).filter(
        (pl.col("received") > 0) & ~full
    )
    if partial.height == 0:
        return out
    partial = partial.with_columns(_prepaid(facts, starts, partial).alias("prepaid"))
    partial = partial.with_columns(_split_prepaid()).with_columns(_split_waterfall(starts))
    columns = {paid: out[paid].clone() for paid, _ in _PAID_DUE}
    for paid, due in _PAID_DUE:
        part = partial.select(pl.col(f"pre_{due}") + pl.col(f"wf_{due}")).to_series()
        columns[paid].scatter(partial["row"], part)
    return out.with_columns(*columns.values())


def _with_loan_columns(facts: Facts, starts: pl.DataFrame) -> pl.DataFrame:
    """Starts with their loan's policy, ranges and ``pay_base`` (the running payment total before the
    loan's first payment day)."""
    loans = facts.loans
    wanted = (
        "disbursed", "prepayment", "line_end", "pay_start", "pay_end", "pay_base", "charge_start", "charge_end",
        *RANKS,
    )  # fmt: skip
    return starts.with_columns(gather(loans[name], pl.col("loan")).alias(name) for name in wanted)


def _rows(facts: Facts, starts: pl.DataFrame, whole: bool) -> pl.DataFrame:
    """Per start, its lines from u on (``ev``, ``idx`` and the static columns), with ``before`` /
    ``through``: T_{j−1} and T_j counted from u."""
    static = facts.lines.select("due", "last_on_time", "principal", "interest", "fee", "total")
    if whole:
        rows = static.with_columns(
            facts.lines["loan"].alias("ev"), pl.int_range(pl.len(), dtype=pl.Int64).alias("idx")
        )
    else:
        end = "window_end" if "window_end" in starts.columns else "line_end"
        idx = (
            starts.select("ev", pl.int_ranges("first", pl.max_horizontal("first", end)).alias("idx"))
            .explode("idx")
            .drop_nulls("idx")
        )
        rows = pl.concat([idx, static.gather(idx["idx"])], how="horizontal")
    running = pl.col("total").cum_sum()
    group_start = (pl.col("ev") != pl.col("ev").shift(1)).fill_null(True)
    base = pl.when(group_start).then(running - pl.col("total")).forward_fill()
    return rows.with_columns((running - base).alias("through")).with_columns(
        (pl.col("through") - pl.col("total")).alias("before")
    )


def _per_start(starts: pl.DataFrame, *names: str) -> list[pl.Expr]:
    return [gather(starts[name], pl.col("ev")) for name in names]


def _covered_on(facts: Facts, starts: pl.DataFrame, rows: pl.DataFrame) -> pl.Expr:
    """``covered_on``: the first day M reaches T_j — D0 when the money at D0 already does, else the first
    payment day after D0 (NO_DAY: never by as_of)."""
    money, paid, base, first, end, from_day = _per_start(
        starts, "money", "paid", "pay_base", "pay_start", "pay_end", "from_day"
    )
    need = pl.col("through") - money
    if facts.pays.height == 0:
        return pl.when(need <= 0).then(from_day).otherwise(NO_DAY).alias("covered_on")
    wanted = rows.select(base + paid + need).to_series()
    found = pl.lit(facts.pays["cum"].search_sorted(wanted, side="left").cast(pl.Int64))
    paid_on = pl.when((found >= first) & (found < end)).then(at(facts.pays["day"], found))
    return pl.when(need <= 0).then(from_day).otherwise(paid_on.fill_null(NO_DAY)).alias("covered_on")


def first_per_ev(rows: pl.DataFrame) -> pl.DataFrame:
    """The first row of each ``ev`` in ``rows`` whose rows of one ``ev`` are contiguous (as after a sort or
    an explode by ``ev``): a comparison with the row before, no hashing."""
    return rows.filter((pl.col("ev") != pl.col("ev").shift(1)).fill_null(True))


def _first_per_start(starts: pl.DataFrame, rows: pl.DataFrame, where: pl.Expr) -> pl.Series:
    """Per start: the due date − 1 of its first row where ``where`` holds (never: none)."""
    first = first_per_ev(rows.filter(where))
    days = pl.repeat(_NEVER, starts.height, dtype=pl.Int64, eager=True).rename("day")
    days.scatter(first["ev"], first["due"] - 1)
    return days


def _stop(facts: Facts, starts: pl.DataFrame, rows: pl.DataFrame) -> pl.Expr:
    """S before the grace move: as_of, the day before the first breaking line, the day before the first
    charge posted after D0."""
    today = facts.as_of
    paid_in_time = (pl.col("covered_on") != NO_DAY) & (pl.col("covered_on") <= pl.col("last_on_time"))
    late = (pl.col("total") > 0) & (pl.col("last_on_time") < today) & ~paid_in_time
    next_due = pl.col("due").shift(-1)
    same_start = pl.col("ev") == pl.col("ev").shift(-1)
    overlap = (same_start & (next_due <= today) & (pl.col("last_on_time") >= next_due)).fill_null(False)
    line_stop = _first_per_start(starts, rows, late | overlap)
    return pl.min_horizontal(pl.lit(today), pl.lit(line_stop), _charge_stop(facts, starts))


def _window_stop(facts: Facts, starts: pl.DataFrame, rows: pl.DataFrame) -> pl.Expr:
    """S of a start whose window ends before its last line: before the due date of the first line beyond
    the window and, with prepayment, before the day money covers the window's last line (it could spill
    over); never before D0."""
    beyond = pl.col("window_end") < pl.col("line_end")
    next_due = at(facts.lines["due"], pl.col("window_end")) - 1
    last = rows.filter((pl.col("ev") != pl.col("ev").shift(-1)).fill_null(True))
    covered = pl.repeat(NO_DAY, starts.height, dtype=pl.Int64, eager=True)
    covered.scatter(last["ev"], last["covered_on"])
    spill = (
        pl.when(pl.col("prepayment") & (pl.lit(covered) != NO_DAY))
        .then(pl.lit(covered) - 1)
        .otherwise(_NEVER)
    )
    limited = pl.min_horizontal(
        "stop", pl.when(beyond).then(pl.min_horizontal(next_due, spill)).otherwise(_NEVER)
    )
    return pl.max_horizontal(limited, "from_day").alias("stop")


def _charge_stop(facts: Facts, starts: pl.DataFrame) -> pl.Expr:
    """The day before the loan's first charge posted after D0 (never: none)."""
    charges = facts.charges
    if charges.height == 0:
        return pl.lit(_NEVER, pl.Int64)
    keys = charges.select(day_key(pl.col("loan"), pl.col("posted")).alias("key"))["key"]
    after = starts.select(day_key(pl.col("loan"), pl.col("from_day")).alias("key"))["key"]
    first = pl.lit(keys.search_sorted(after, side="right").cast(pl.Int64))
    return pl.when(first < pl.col("charge_end")).then(at(charges["posted"], first) - 1).fill_null(_NEVER)


def _stop_in_grace(facts: Facts, starts: pl.DataFrame, rows: pl.DataFrame) -> pl.Expr:
    """S < as_of moved before the due date of a line inside its grace and unpaid at S (S = as_of stays:
    a contingent accrual is reported as 0)."""
    (stop,) = _per_start(starts, "stop")
    open_in_grace = (
        (stop < facts.as_of)
        & (pl.col("total") > 0)
        & (pl.col("due") <= stop)
        & (stop < pl.col("last_on_time"))
        & ~((pl.col("covered_on") != NO_DAY) & (pl.col("covered_on") <= stop))
    )
    return pl.min_horizontal("stop", pl.lit(_first_per_start(starts, rows, open_in_grace)))


def _payments_by(
    facts: Facts, frame: pl.DataFrame, loan: pl.Expr, day: pl.Expr, first: pl.Expr, base: pl.Expr
) -> pl.Expr:
    """C(day) for each row of ``frame``: the loan's payments valued on or before ``day`` (``first``: the
    loan's first payment row, ``base``: the running total before it)."""
    pays = facts.pays
    if pays.height == 0:
        return pl.lit(0, pl.Int64)
    keys = frame.select(day_key(loan, day)).to_series()
    last = pl.lit(pays["key"].search_sorted(keys, side="right").cast(pl.Int64) - 1)
    return pl.when(last >= first).then(at(pays["cum"], last) - base).otherwise(0)


def _money_by(facts: Facts, starts: pl.DataFrame, day: pl.Expr) -> pl.Expr:
    """M(day) per start: the money at D0 + the payments valued in (D0, day]."""
    paid = _payments_by(facts, starts, pl.col("loan"), day, pl.col("pay_start"), pl.col("pay_base"))
    return pl.col("money") + paid - pl.col("paid")


def _owed(starts: pl.DataFrame, rows: pl.DataFrame) -> list[pl.Expr]:
    """Per start: ``owed_all`` = T_n, ``owed_due`` = T of the lines due by S, ``allocated`` = A(S)."""
    bounds = rows["ev"].search_sorted(pl.Series(range(starts.height + 1), dtype=pl.Int64), side="left")
    first, end = bounds.head(starts.height).cast(pl.Int64), bounds.tail(starts.height).cast(pl.Int64)
    keys = rows.select(day_key(pl.col("ev"), pl.col("due"))).to_series()
    wanted = starts.select(day_key(pl.col("ev"), pl.col("stop"))).to_series()
    last_due = pl.lit(keys.search_sorted(wanted, side="right").cast(pl.Int64) - 1)
    owed_all = pl.when(pl.lit(end) > pl.lit(first)).then(at(rows["through"], pl.lit(end) - 1)).otherwise(0)
    owed_due = pl.when(last_due >= pl.lit(first)).then(at(rows["through"], last_due)).otherwise(0)
    owed = pl.when(pl.col("prepayment")).then(owed_all).otherwise(owed_due)
    return [owed_all.alias("owed_all"), pl.min_horizontal(pl.col("reached"), owed).alias("allocated")]


def _prepaid(facts: Facts, starts: pl.DataFrame, rows: pl.DataFrame) -> pl.Expr:
    """What line j received while not yet due, with prepayment: clip(min(M(min(due_j − 1, S)), T_n) −
    T_{j−1}, 0, received); 0 without."""
    if not starts["prepayment"].any():
        return pl.lit(0, pl.Int64)
    loan, stop, first, base, money, paid, owed_all, prepayment = _per_start(
        starts, "loan", "stop", "pay_start", "pay_base", "money", "paid", "owed_all", "prepayment"
    )
    day = pl.min_horizontal(pl.col("due") - 1, stop)
    reached = money + _payments_by(facts, rows, loan, day, first, base) - paid
    share = (pl.min_horizontal(reached, owed_all) - pl.col("before")).clip(0, pl.col("received"))
    return pl.when(prepayment).then(share).otherwise(0)


def _split_prepaid() -> list[pl.Expr]:
    """The prepaid part pays fees → interest → principal (C5 prepayment order)."""
    fee = pl.min_horizontal("prepaid", "fee")
    interest = pl.min_horizontal(pl.col("prepaid") - fee, pl.col("interest"))
    return [
        fee.alias("pre_fee"),
        interest.alias("pre_interest"),
        (pl.col("prepaid") - fee - interest).alias("pre_principal"),
    ]


def _split_waterfall(starts: pl.DataFrame) -> list[pl.Expr]:
    """The rest pays fees, interest and principal in the product's waterfall order (C5)."""
    rest = pl.col("received") - pl.col("prepaid")
    left = {
        FEES: pl.col("fee") - pl.col("pre_fee"),
        INTEREST: pl.col("interest") - pl.col("pre_interest"),
        PRINCIPAL: pl.col("principal") - pl.col("pre_principal"),
    }
    names = {FEES: "wf_fee", INTEREST: "wf_interest", PRINCIPAL: "wf_principal"}
    rank = {component: gather(starts[RANKS[component]], pl.col("ev")) for component in left}
    out = []
    for component, owed in left.items():
        ahead = pl.sum_horizontal(
            pl.when(rank[other] < rank[component]).then(left[other]).otherwise(0)
            for other in left
            if other != component
        )
        out.append((rest - ahead).clip(0, owed).alias(names[component]))
    return out


def _settled(starts: pl.DataFrame) -> pl.Expr:
    """A line owing nothing: settled on disbursement; paid in full: on the day M reached T_j (without
    prepayment not before its due date); otherwise NO_DAY."""
    disbursed, prepayment = _per_start(starts, "disbursed", "prepayment")
    paid_up = pl.when(prepayment).then(pl.col("covered_on")).otherwise(pl.max_horizontal("due", "covered_on"))
    return (
        pl.when(pl.col("total") == 0)
        .then(disbursed)
        .when(pl.col("received") == pl.col("total"))
        .then(paid_up)
        .otherwise(NO_DAY)
    )
