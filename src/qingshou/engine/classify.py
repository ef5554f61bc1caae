"""Classification as columns (C6): the dpd floor, the NPL hold after a cure, the restructuring observation,
the class and the IFRS 9 stage.

Classes are ``LoanClass`` values as Int8 (1 正常 … 5 损失; 3 and above are NPL) until the snapshot turns
them into codes. The engine stores no manual downgrades, so the class at the end of as_of is the worst of
the dpd floor (the product's ``class_floors``; 正常 when not delinquent), the restructuring observation
floor (``observation_floor``, below) and the NPL hold of ``domain.classification._NplHold``: once the floor is NPL the worst floor reached is held until the
arrears are cleared and then either the 2 installments falling due after the cure are settled or 6 months
(``add_months``) pass, with nothing delinquent and no installment missed in between (a disturbance restarts
the wait from the next day the arrears are clear).

The hold's state at as_of — ``held`` (class or null) and ``cured`` (the day the wait started, or null) — is
obtained two ways, both equal to the domain's ``classify``:

* **carried** (``carry_hold``): the previous day's state plus one ``_NplHold.step`` for as_of;
* **derived** (``derive_hold``): from the loan's timeline alone. With ``P_i`` the day every installment
  before i is settled and ``S_i`` its settlement day, installment i is the oldest unpaid one on the days
  [max(P_i, due_i), S_i − 1] (its *arrears span*), delinquent from its last on-time day + 1, NPL from
  origin + the product's first NPL dpd. Days are *disturbed* when delinquent or the day after a missed
  last on-time day. After a disturbed day d the wait starts on the first cleared day ≥ d; a wait started
  on a cleared day c that no disturbance interrupts releases the hold on
  R(c) = max(c + 1, min(c + 6 months, the day the 2 installments due after c are both settled)),
  provided R(c) comes before the next disturbed day. Such "cure candidates" are independent of each other,
  so the state at as_of follows from set operations: the hold is released when a valid candidate comes
  after the last NPL day; otherwise it holds the worst floor of the NPL days after the last release before
  it, and the wait (if any) started on the first cleared day ≥ the last disturbed day.

The restructuring observation (``domain.classification._Observation``) is derived every day, for the
loans restructured by as_of (issue 5: a plan's successor loan, restructured on its disbursement day R,
so its own class on R is 正常 and the class it starts from is its predecessor's, ``class_at_restructuring``).
The floor is that class when NPL, else 关注. The observation begins at R and restarts on each miss day m
(the day after a past installment's last on-time day, when it was not settled by then) in (R, as_of]. A
*candidate* begun on day t (R or a miss day) starts at s = the first due date after t and would end on
E = max(s + 12 months (``add_months`` clamp), the day the installments due on s and the next are both
settled); it is *valid* when E ≤ as_of and no miss day lies in (t, E]. The candidates form a chain (each
invalid one is followed by the next miss, which restarts it), so the observation has ended at as_of
exactly when some candidate is valid; otherwise its floor applies.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

import polars as pl

from qingshou.domain.classification import HOLD_MONTHS, OBSERVATION_MONTHS
from qingshou.domain.policy import LoanClass, ProductPolicy
from qingshou.engine.derive_timeline import (
    KEY,
    after_in_loan,
    before_in_loan,
    first_of_loan,
    in_due_order,
    per_loan,
    running_max_in_loan,
    sorted_by_key,
    state_on,
)

_DAY = timedelta(days=1)
_EPOCH = date(1970, 1, 1)
_HOLD_OFFSET = f"{HOLD_MONTHS}mo"
_OBSERVATION_OFFSET = f"{OBSERVATION_MONTHS}mo"
NORMAL = int(LoanClass.NORMAL)
SPECIAL_MENTION = int(LoanClass.SPECIAL_MENTION)
SUBSTANDARD = int(LoanClass.SUBSTANDARD)

#: LoanClass value → code ("normal" … "loss").
CLASS_CODES: dict[int, str] = {int(value): value.code for value in LoanClass}
#: code → LoanClass value.
CLASS_VALUES: dict[str, int] = {code: value for value, code in CLASS_CODES.items()}

HOLD_STATE: dict[str, pl.DataType] = {KEY: pl.UInt32(), "held": pl.Int8(), "cured": pl.Date()}


def floors_frame(policies: Mapping[str, ProductPolicy]) -> pl.DataFrame:
    """(product_id, min_dpd, floor_class) for every product's class floors (C6)."""
    rows = [
        {"product_id": product_id, "min_dpd": floor.min_dpd, "floor_class": int(floor.loan_class)}
        for product_id, policy in policies.items()
        for floor in policy.class_floors
    ]
    return pl.DataFrame(
        rows, schema={"product_id": pl.String(), "min_dpd": pl.Int32(), "floor_class": pl.Int8()}
    ).sort("min_dpd")


def npl_thresholds(policies: Mapping[str, ProductPolicy]) -> pl.DataFrame:
    """(product_id, npl_dpd): the lowest dpd whose floor is NPL (null: no NPL floor, never NPL)."""
    rows = [
        {
            "product_id": product_id,
            "npl_dpd": min(
                (floor.min_dpd for floor in policy.class_floors if floor.loan_class.is_npl), default=None
            ),
        }
        for product_id, policy in policies.items()
    ]
    return pl.DataFrame(rows, schema={"product_id": pl.String(), "npl_dpd": pl.Int32()})


def with_floor_class(
    frame: pl.DataFrame, floors: pl.DataFrame, dpd: str, delinquent: str | None, alias: str
) -> pl.DataFrame:
    """``frame`` (with ``product_id``) plus ``alias`` = the dpd floor (C6 ``dpd_floor``): the class of the
    highest floor whose min_dpd ≤ dpd; 正常 when none, or when ``delinquent`` (a column) is false."""
    joined = (
        frame.with_columns(pl.col(dpd).cast(pl.Int32).alias("_floor_dpd"))
        .sort("_floor_dpd")
        .join_asof(
            floors.rename({"floor_class": "_floor_class"}),
            left_on="_floor_dpd",
            right_on="min_dpd",
            by="product_id",
            strategy="backward",
            check_sortedness=False,
        )
    )
    value = pl.col("_floor_class").fill_null(NORMAL)
    if delinquent is not None:
        value = pl.when(pl.col(delinquent)).then(value).otherwise(pl.lit(NORMAL))
    return joined.with_columns(value.cast(pl.Int8).alias(alias)).drop("_floor_dpd", "min_dpd", "_floor_class")


def stage(dpd: pl.Expr, loan_class: pl.Expr) -> pl.Expr:
    """C6 IFRS 9 stage: 3 when dpd > 90 or NPL; 2 when dpd > 30 or 关注; else 1 (Int8)."""
    return (
        pl.when((dpd > 90) | (loan_class >= SUBSTANDARD))
        .then(pl.lit(3, pl.Int8))
        .when((dpd > 30) | (loan_class == SPECIAL_MENTION))
        .then(pl.lit(2, pl.Int8))
        .otherwise(pl.lit(1, pl.Int8))
    )


def settled_pairs(lines: pl.DataFrame) -> pl.DataFrame:
    """(loan_key, due_date, pair_settled): for the first installment of each due date, the day it and the
    installment after it (in due order) were both settled; null when either is unsettled or there is no
    next one. ``pair_settled`` of the first installment due after c is when "the 2 installments falling due
    after c" are settled (``_Timeline.settled_run``). ``lines``: timeline rows in any order."""
    repeated_due = ~first_of_loan() & (pl.col("due_date") == pl.col("due_date").shift(1))
    return (
        in_due_order(lines)
        .with_columns(after_in_loan(pl.col("settled_on")).alias("_next_settled"))
        .with_columns(
            pl.when(pl.col("settled_on").is_not_null() & pl.col("_next_settled").is_not_null())
            .then(pl.max_horizontal("settled_on", "_next_settled"))
            .alias("pair_settled")
        )
        .filter(~repeated_due)
        .select(KEY, "due_date", "pair_settled")
        .sort("due_date")
    )


def with_pair_settled(frame: pl.DataFrame, day: str, pairs: pl.DataFrame) -> pl.DataFrame:
    """``frame`` plus ``pair_settled`` of the first due date strictly after the ``day`` column."""
    return (
        frame.sort(day)
        .join_asof(
            pairs.rename({"due_date": "_pair_due"}),
            left_on=day,
            right_on="_pair_due",
            by=KEY,
            strategy="forward",
            allow_exact_matches=False,
            check_sortedness=False,
        )
        .drop("_pair_due")
    )


def release_day(cured: pl.Expr, pair_settled: pl.Expr) -> pl.Expr:
    """The first day after ``cured`` on which an undisturbed wait releases the hold: 6 months from the cure
    (``add_months`` clamp) or the settlement of the 2 installments due after it, whichever comes first."""
    return pl.max_horizontal(cured + _DAY, pl.min_horizontal(cured.dt.offset_by(_HOLD_OFFSET), pair_settled))


# --- carried: one day step of the domain's _NplHold -------------------------------------------------------


def carry_hold(today: pl.DataFrame, pairs: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """HOLD_STATE at the end of ``as_of`` from the state at the end of the day before.

    ``today``: loan_key, held / cured (the previous state), floor (today's dpd floor), delinquent, missed,
    cleared. The step (``_NplHold.step``): an NPL floor raises the held class and clears the wait; with
    nothing held nothing happens; otherwise a disturbance (delinquent or missed) drops the wait, a loan
    without a wait starts one today when cleared, and a wait in force releases the hold when today is 6
    months after its start or the 2 installments due after its start are both settled.
    """
    npl_today = pl.col("floor") >= SUBSTANDARD
    waiting = pl.when(pl.col("delinquent") | pl.col("missed")).then(None).otherwise(pl.col("cured"))
    stepped = with_pair_settled(today.with_columns(waiting.alias("_waiting")), "_waiting", pairs)
    released = pl.col("_waiting").is_not_null() & (
        release_day(pl.col("_waiting"), pl.col("pair_settled")) <= as_of
    )
    started = pl.when(pl.col("cleared")).then(pl.lit(as_of))
    return stepped.select(
        KEY,
        pl.when(npl_today)
        .then(pl.max_horizontal("held", "floor"))
        .when(pl.col("held").is_null() | released)
        .then(None)
        .otherwise(pl.col("held"))
        .cast(pl.Int8)
        .alias("held"),
        pl.when(npl_today | pl.col("held").is_null() | released)
        .then(None)
        .when(pl.col("_waiting").is_null())
        .then(started)
        .otherwise(pl.col("_waiting"))
        .cast(pl.Date)
        .alias("cured"),
    )


# --- derived: the state at as_of from the timeline alone -------------------------------------------------


def lines_of(lines: pl.DataFrame, keys: pl.Series, count: int, *, inside: bool = True) -> pl.DataFrame:
    """The rows of ``lines`` whose loan_key is one of ``keys`` (``inside``) or is not (``count`` loans in
    all): a flag per loan gathered by position, instead of a semi- or anti-join over every line. No keys:
    no line, or all of them (the frame itself, not a copy)."""
    if keys.len() == 0:
        return lines if not inside else lines.clear()
    flags = pl.repeat(not inside, count, dtype=pl.Boolean, eager=True).scatter(keys, inside)
    return lines.filter(pl.lit(flags).gather(pl.col(KEY)))


def derive_hold(lines: pl.DataFrame, loans: pl.DataFrame, floors: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """HOLD_STATE at the end of ``as_of`` for every loan of ``lines`` (a timeline frame, any order) that
    ever had an NPL day; loans without one hold nothing and are left out (see the module docstring).
    ``loans``: every loan in key order with product_id and ``npl_dpd`` (``npl_thresholds``).

    Only loans with a past installment unpaid npl_dpd days after its origin can have an NPL day (its span
    starts no earlier than that): the ordered work runs on those loans alone."""
    npl_dpd = per_loan(loans, "npl_dpd").alias("npl_dpd")
    # origin + npl_dpd ≤ the day before it settled (at most as_of), in integer days
    end = pl.min_horizontal(pl.col("settled_on").cast(pl.Int32), pl.lit((as_of - _EPOCH).days + 1))
    reached = pl.col("past") & (pl.col("origin").cast(pl.Int32) + pl.col("npl_dpd") < end)
    suspects = lines.select(KEY, "past", "origin", "settled_on", npl_dpd).filter(reached)[KEY].unique()
    if suspects.len() == 0:
        return pl.DataFrame(schema=HOLD_STATE)
    past = lines_of(lines, suspects, loans.height).filter(pl.col("past")).with_columns(npl_dpd)
    spans = _spans(in_due_order(past), as_of)
    npl = spans.filter(pl.col("npl_from") <= pl.col("last_day"))
    if npl.height == 0:
        return pl.DataFrame(schema=HOLD_STATE)
    bounds = (
        sorted_by_key(npl)
        .group_by(KEY)
        .agg(pl.col("npl_from").min().alias("first_npl"), pl.col("last_day").max().alias("last_npl"))
    )
    spans = lines_of(spans, bounds[KEY], loans.height)
    runs = _arrears_runs(spans)
    events = _disturbed_days(spans, as_of)
    pairs = settled_pairs(lines_of(lines, bounds[KEY], loans.height))
    candidates = _candidates(events, runs, bounds, pairs, as_of)
    return _hold_at(npl, bounds, candidates, events, runs, loans, floors, as_of)


def _spans(past: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """Per past installment (``past``: timeline rows in ``in_due_order``): ``last_day`` (the day before
    it settled, at most as_of), the first day of its arrears / delinquent / NPL span (empty when after
    ``last_day``) and its miss day (the day after its last on-time day, when it was not settled by then)."""
    horizon = as_of + _DAY
    settled_end = pl.min_horizontal(pl.col("settled_on"), pl.lit(horizon))
    late_from = pl.max_horizontal("_prior", pl.col("on_time_until") + _DAY)
    missed = pl.col("settled_on").is_null() | (pl.col("settled_on") > pl.col("on_time_until"))
    return (
        past.with_columns(settled_end.alias("_end"))
        .with_columns(before_in_loan(running_max_in_loan("_end")).alias("_prior"))
        .select(
            KEY,
            "origin",
            (pl.col("_end") - _DAY).alias("last_day"),
            pl.max_horizontal("_prior", "due_date").alias("arrears_from"),
            late_from.alias("late_from"),
            pl.when(pl.col("npl_dpd").is_not_null())
            .then(pl.max_horizontal(late_from, pl.col("origin") + pl.duration(days=pl.col("npl_dpd"))))
            .alias("npl_from"),
            pl.when(missed).then(pl.col("on_time_until") + _DAY).alias("miss_day"),
        )
    )


def _arrears_runs(spans: pl.DataFrame) -> pl.DataFrame:
    """(loan_key, run_start, run_end): maximal runs of consecutive days with arrears (not cleared)."""
    arrears = spans.filter(pl.col("arrears_from") <= pl.col("last_day")).sort(KEY, "arrears_from")
    previous_end = before_in_loan(pl.col("last_day"))
    new_run = (previous_end.is_null() | (pl.col("arrears_from") > previous_end + _DAY)).cast(pl.Int32)
    return (
        arrears.with_columns(new_run.cum_sum().alias("_run"))
        .group_by("_run")
        .agg(
            pl.col(KEY).first(),
            pl.col("arrears_from").min().alias("run_start"),
            pl.col("last_day").max().alias("run_end"),
        )
        .drop("_run")
        .sort("run_start")
    )


def _disturbed_days(spans: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """(loan_key, day, until): the starts of the delinquent spans (until = their last day) and the miss days
    up to as_of (until = the day itself). Every disturbed day lies in one of these [day, until]."""
    late = spans.filter(pl.col("late_from") <= pl.col("last_day")).select(
        KEY, pl.col("late_from").alias("day"), pl.col("last_day").alias("until")
    )
    miss = spans.filter(pl.col("miss_day").is_not_null()).select(
        KEY, pl.col("miss_day").alias("day"), pl.col("miss_day").alias("until")
    )
    return pl.concat([late, miss]).filter(pl.col("day") <= as_of).unique().sort("day")


def _first_cleared(frame: pl.DataFrame, day: str, runs: pl.DataFrame, alias: str) -> pl.DataFrame:
    """``frame`` plus ``alias`` = the first day ≥ the ``day`` column with no arrears."""
    joined = frame.sort(day).join_asof(
        runs, left_on=day, right_on="run_start", by=KEY, strategy="backward", check_sortedness=False
    )
    inside = pl.col("run_end").is_not_null() & (pl.col(day) <= pl.col("run_end"))
    return joined.with_columns(
        pl.when(inside).then(pl.col("run_end") + _DAY).otherwise(pl.col(day)).alias(alias)
    ).drop("run_start", "run_end")


def _candidates(
    events: pl.DataFrame, runs: pl.DataFrame, bounds: pl.DataFrame, pairs: pl.DataFrame, as_of: date
) -> pl.DataFrame:
    """(loan_key, cure, release, valid): every day a wait starts after the first NPL day, the day it would
    release the hold, and whether it does (before the next disturbed day and by as_of)."""
    cures = (
        _first_cleared(events.select(KEY, "day"), "day", runs, "cure")
        .select(KEY, "cure")
        .unique()
        .join(bounds, on=KEY, how="inner")
        .filter((pl.col("cure") > pl.col("first_npl")) & (pl.col("cure") <= as_of))
    )
    following = events.select(KEY, pl.col("day").alias("next_disturbed"))
    joined = with_pair_settled(cures, "cure", pairs).join_asof(
        following,
        left_on="cure",
        right_on="next_disturbed",
        by=KEY,
        strategy="forward",
        allow_exact_matches=False,
        check_sortedness=False,
    )
    release = release_day(pl.col("cure"), pl.col("pair_settled"))
    return joined.select(
        KEY,
        "cure",
        release.alias("release"),
        (
            (release <= as_of) & (pl.col("next_disturbed").is_null() | (release < pl.col("next_disturbed")))
        ).alias("valid"),
        "last_npl",
    )


def _hold_at(
    npl: pl.DataFrame,
    bounds: pl.DataFrame,
    candidates: pl.DataFrame,
    events: pl.DataFrame,
    runs: pl.DataFrame,
    loans: pl.DataFrame,
    floors: pl.DataFrame,
    as_of: date,
) -> pl.DataFrame:
    """The hold at as_of from the NPL spans and the cure candidates (module docstring)."""
    valid = candidates.filter("valid")
    releases = valid.group_by(KEY).agg(
        (pl.col("cure") > pl.col("last_npl")).any().alias("released"),
        pl.col("release").filter(pl.col("cure") < pl.col("last_npl")).max().alias("last_release"),
    )
    worst = (
        npl.join(releases, on=KEY, how="left")
        .filter(pl.col("last_release").is_null() | (pl.col("npl_from") > pl.col("last_release")))
        .group_by(KEY)
        .agg(
            (pl.col("last_day") - pl.col("origin")).dt.total_days().max().alias("worst_dpd"),
            pl.col("released").first().fill_null(False),
        )
    )
    worst = worst.with_columns(per_loan(loans, "product_id").alias("product_id"))
    held = with_floor_class(worst, floors, "worst_dpd", None, "held")
    last_disturbed = events.group_by(KEY).agg(pl.col("until").max().alias("last_disturbed"))
    waits = _first_cleared(last_disturbed, "last_disturbed", runs, "cured")
    return (
        bounds.select(KEY)
        .join(held, on=KEY, how="left")
        .join(waits, on=KEY, how="left")
        .select(
            KEY,
            pl.when(pl.col("released")).then(None).otherwise(pl.col("held")).cast(pl.Int8).alias("held"),
            pl.when(pl.col("released") | (pl.col("cured") > as_of))
            .then(None)
            .otherwise(pl.col("cured"))
            .cast(pl.Date)
            .alias("cured"),
        )
    )


# --- the restructuring observation (C6) ---------------------------------------------------------------------

OBSERVATION: dict[str, pl.DataType] = {KEY: pl.UInt32(), "observation": pl.Int8()}


def observation_floor(lines: pl.DataFrame, loans: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """OBSERVATION: the restructuring floor at the end of as_of of every loan restructured by then whose
    observation has not ended (module docstring); other loans are left out. ``lines``: the timeline frame;
    ``loans``: every loan in key order with ``restructured_on`` and ``class_at_restructuring``."""
    restructured = loans.filter(pl.col("restructured_on") <= as_of).select(
        KEY,
        "restructured_on",
        pl.when(pl.col("class_at_restructuring") >= SUBSTANDARD)
        .then(pl.col("class_at_restructuring"))
        .otherwise(pl.lit(SPECIAL_MENTION))
        .cast(pl.Int8)
        .alias("observation"),
    )
    if restructured.height == 0:
        return pl.DataFrame(schema=OBSERVATION)
    own = lines_of(lines, restructured[KEY], loans.height)
    missed = pl.col("settled_on").is_null() | (pl.col("settled_on") > pl.col("on_time_until"))
    misses = (
        own.filter(pl.col("past") & missed)
        .select(KEY, (pl.col("on_time_until") + _DAY).alias("day"))
        .join(restructured.select(KEY, "restructured_on"), on=KEY, how="inner")
        .filter((pl.col("day") > pl.col("restructured_on")) & (pl.col("day") <= as_of))
        .select(KEY, "day")
        .unique()
        .sort("day")
    )
    begun = pl.concat([restructured.select(KEY, pl.col("restructured_on").alias("day")), misses]).unique()
    ended = _observation_ended(begun, misses, settled_pairs(own), as_of)
    return restructured.join(ended, on=KEY, how="anti").select(list(OBSERVATION))


def _observation_ended(
    begun: pl.DataFrame, misses: pl.DataFrame, pairs: pl.DataFrame, as_of: date
) -> pl.DataFrame:
    """(loan_key) of the loans with a valid observation candidate (module docstring)."""
    candidates = (
        begun.sort("day")
        .join_asof(
            pairs.rename({"due_date": "start"}),
            left_on="day",
            right_on="start",
            by=KEY,
            strategy="forward",
            allow_exact_matches=False,
            check_sortedness=False,
        )
        .join_asof(
            misses.rename({"day": "next_miss"}),
            left_on="day",
            right_on="next_miss",
            by=KEY,
            strategy="forward",
            allow_exact_matches=False,
            check_sortedness=False,
        )
    )
    end = pl.max_horizontal(pl.col("start").dt.offset_by(_OBSERVATION_OFFSET), pl.col("pair_settled"))
    valid = (
        pl.col("start").is_not_null()
        & pl.col("pair_settled").is_not_null()
        & (end <= as_of)
        & (pl.col("next_miss").is_null() | (pl.col("next_miss") > end))
    )
    return candidates.filter(valid).select(KEY).unique()


# --- the class of every loan at as_of --------------------------------------------------------------------


def previous_state(previous: pl.DataFrame | None, loans: pl.DataFrame) -> pl.DataFrame:
    """(loan_key, held, cured, state_on, previous_dpd, previous_delinquent) of a SNAPSHOT frame, for the
    loans of ``loans`` (keyed) it holds."""
    if previous is None:
        return pl.DataFrame(
            schema={
                KEY: pl.UInt32(),
                "held": pl.Int8(),
                "cured": pl.Date(),
                "state_on": pl.Date(),
                "previous_dpd": pl.Int32(),
                "previous_delinquent": pl.Boolean(),
            }
        )
    return previous.join(loans.select("loan_id", KEY), on="loan_id", how="inner").select(
        KEY,
        pl.col("npl_held_class")
        .replace_strict(CLASS_VALUES, default=None, return_dtype=pl.Int8)
        .alias("held"),
        pl.col("npl_cured_on").alias("cured"),
        pl.col("npl_state_on").alias("state_on"),
        pl.col("dpd").cast(pl.Int32).alias("previous_dpd"),
        pl.col("delinquent").alias("previous_delinquent"),
    )


def carriable(
    before: pl.DataFrame, yesterday: pl.DataFrame, loans: pl.DataFrame, as_of: date
) -> pl.DataFrame:
    """(loan_key, held, cured) of the loans whose previous state can be carried one day: it is the state of
    as_of − 1, the loan was not called on as_of (acceleration rewrites its due dates from the start), and
    the previous day's dpd and delinquent flag equal what today's timeline says for that day (a backdated
    fact changed its history otherwise). The other loans are derived from their timeline."""
    day_before = as_of - _DAY
    consistent = (
        (pl.col("state_on") == day_before)
        & (pl.col("previous_dpd") == pl.col("dpd"))
        & (pl.col("previous_delinquent") == pl.col("delinquent"))
        & (pl.col("accelerated_on").is_null() | (pl.col("accelerated_on") != as_of))
    )
    return (
        before.join(yesterday, on=KEY, how="inner")
        .join(loans.select(KEY, "accelerated_on"), on=KEY, how="inner")
        .filter(consistent)
        .select(KEY, "held", "cured")
    )


def hold_state(
    lines: pl.DataFrame,
    today: pl.DataFrame,
    carried: pl.DataFrame,
    loans: pl.DataFrame,
    floors: pl.DataFrame,
    as_of: date,
) -> pl.DataFrame:
    """HOLD_STATE at as_of for every loan of ``today`` (loan_key, floor, delinquent, missed, cleared):
    ``carry_hold`` for the loans of ``carried`` (their state at as_of − 1), ``derive_hold`` for the rest.
    ``loans``: every loan in key order with product_id and npl_dpd."""
    stepping = today.join(carried, on=KEY, how="inner")
    waiting = stepping.filter(pl.col("cured").is_not_null())[KEY]
    stepped = carry_hold(stepping, settled_pairs(lines_of(lines, waiting, loans.height)), as_of)
    fresh = lines_of(lines, carried[KEY], loans.height, inside=False)
    derived = derive_hold(fresh, loans, floors, as_of)
    return (
        today.select(KEY)
        .join(pl.concat([stepped, derived]), on=KEY, how="left")
        .select([pl.col(name).cast(dtype) for name, dtype in HOLD_STATE.items()])
    )


def classify_loans(
    lines: pl.DataFrame,
    today: pl.DataFrame,
    loans: pl.DataFrame,
    previous: pl.DataFrame | None,
    policies: Mapping[str, ProductPolicy],
    as_of: date,
) -> pl.DataFrame:
    """(loan_key, classification, stage, npl_held_class, npl_cured_on, npl_state_on) for every loan of
    ``today`` (loan_key, product_id, dpd, delinquent, cleared, missed): the worst of the dpd floor, the
    restructuring observation floor and the NPL hold (C6), its IFRS 9 stage, and the hold state the next
    day carries.

    ``lines``: the timeline frame; ``loans``: keyed loans (loan_key order) with loan_id, product_id,
    accelerated_on, restructured_on and class_at_restructuring; ``previous``: the previous snapshot (None on
    a first run)."""
    floors = floors_frame(policies)
    keyed = (
        loans.select(KEY, "loan_id", "product_id", "accelerated_on")
        .join(npl_thresholds(policies), on="product_id", how="left", maintain_order="left")
        .sort(KEY)
    )
    today = with_floor_class(today, floors, "dpd", "delinquent", "floor")
    before = previous_state(previous, keyed)
    if before.height:
        carried = carriable(before, state_on(lines, keyed, as_of - _DAY), keyed, as_of)
    else:  # nothing to carry (a first run): yesterday's state is not needed
        carried = before.select(KEY, "held", "cured")
    hold = hold_state(lines, today, carried, keyed, floors, as_of)
    observed = observation_floor(lines, loans, as_of)
    loan_class = pl.max_horizontal("floor", "held", "observation")
    return (
        today.join(hold, on=KEY, how="left")
        .join(observed, on=KEY, how="left")
        .with_columns(loan_class.alias("_class"))
        .select(
            KEY,
            pl.col("_class").replace_strict(CLASS_CODES, return_dtype=pl.String).alias("classification"),
            stage(pl.col("dpd"), pl.col("_class")).alias("stage"),
            pl.col("held")
            .replace_strict(CLASS_CODES, default=None, return_dtype=pl.String)
            .alias("npl_held_class"),
            pl.col("cured").alias("npl_cured_on"),
            pl.lit(as_of, pl.Date).alias("npl_state_on"),
        )
    )
