"""The waterfall of one allocation event, as expressions over the event's open items (C5).

Rows are the items owed on the event day — installments due by then and not closed, charges posted by then
and not paid — sorted by (event ``ev``, ``section`` 0 overdue / 1 current, ``item``), with what each owes of
every component in ``owed_<component>`` and the event's ``available`` money and waterfall ranks
``rank_<component>``. Greedy allocation pays each step clip(available − owed before it, 0, owed); what is
owed before a step is, per ``domain.allocation.waterfall``:

* horizontal: the totals of the earlier sections, plus, within the section, the section's totals of the
  components ranked before it, plus this component owed by the earlier items of the section;
* vertical: everything the earlier items of the event owe (overdue before current), plus the components of
  this item ranked before it.

Segmented running sums (the rows are sorted) stand in for group-bys, so an event costs a few column
operations whatever the number of events in the round.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from qingshou.engine.replay_facts import COMPONENTS, RANKS

#: ``owed_<component>`` / ``piece_<component>`` column names, in component-code order.
OWED: Final = tuple(f"owed_{component.value}" for component in COMPONENTS)
PIECE: Final = tuple(f"piece_{component.value}" for component in COMPONENTS)


def _first(group: pl.Expr) -> pl.Expr:
    return (group != group.shift(1)).fill_null(True)


def _last(group: pl.Expr) -> pl.Expr:
    return (group != group.shift(-1)).fill_null(True)


def segment_before(value: pl.Expr, starts: pl.Expr) -> pl.Expr:
    """Σ ``value`` over the earlier rows of the segment (``starts`` marks each segment's first row)."""
    before = value.cum_sum() - value
    return before - pl.when(starts).then(before).forward_fill()


def segment_total(value: pl.Expr, starts: pl.Expr, ends: pl.Expr) -> pl.Expr:
    """Σ ``value`` over the row's whole segment."""
    running = value.cum_sum()
    return pl.when(ends).then(running).backward_fill() - pl.when(starts).then(running - value).forward_fill()


def with_pieces(rows: pl.DataFrame) -> pl.DataFrame:
    """``rows`` with ``piece_<component>`` (what the event's money pays of it) and ``event_owed`` (all the
    event owes, on every row of the event). Events with one item — most of them — need no running sums."""
    ev = pl.col("ev")
    shared = ((ev == ev.shift(1)) | (ev == ev.shift(-1))).fill_null(False)
    several = rows.select(shared).to_series()
    if not several.any():
        return _single_pieces(rows)
    return pl.concat([_single_pieces(rows.filter(~several)), _pieces(rows.filter(several))], how="vertical")


def _ranked_before(code: int, values: tuple[str, ...]) -> pl.Expr:
    """Σ of ``values`` (one per component) over the components ranked before ``code``."""
    rank = pl.col(RANKS[code])
    return pl.sum_horizontal(
        pl.when(pl.col(RANKS[other]) < rank).then(pl.col(values[other])).otherwise(0)
        for other in range(len(OWED))
        if other != code
    )


def _single_pieces(rows: pl.DataFrame) -> pl.DataFrame:
    """One item per event: each component comes after the components ranked before it."""
    return rows.with_columns(
        pl.sum_horizontal(*OWED).alias("event_owed"),
        *(
            (pl.col("available") - _ranked_before(code, OWED)).clip(0, pl.col(owed)).alias(PIECE[code])
            for code, owed in enumerate(OWED)
        ),
    )


def _pieces(rows: pl.DataFrame) -> pl.DataFrame:
    """Several items per event: running sums per event and per section (module docstring)."""
    ev = pl.col("ev")
    section_key = ev * 2 + pl.col("section")
    event_start, section_start, section_end = _first(ev), _first(section_key), _last(section_key)
    owed_all = pl.sum_horizontal(*OWED)
    rows = rows.with_columns(
        owed_all.alias("_row_owed"),
        segment_before(owed_all, event_start).alias("_event_before"),
        segment_total(owed_all, event_start, _last(ev)).alias("event_owed"),
        (segment_before(owed_all, event_start) - segment_before(owed_all, section_start)).alias(
            "_section_offset"
        ),
        *(segment_before(pl.col(name), section_start).alias(f"_before_{i}") for i, name in enumerate(OWED)),
        *(
            segment_total(pl.col(name), section_start, section_end).alias(f"_total_{i}")
            for i, name in enumerate(OWED)
        ),
    )
    totals = tuple(f"_total_{i}" for i in range(len(OWED)))
    pieces = []
    for code, owed in enumerate(OWED):
        horizontal = pl.col("_section_offset") + _ranked_before(code, totals) + pl.col(f"_before_{code}")
        vertical = pl.col("_event_before") + _ranked_before(code, OWED)
        before = pl.when(pl.col("vertical")).then(vertical).otherwise(horizontal)
        pieces.append((pl.col("available") - before).clip(0, pl.col(owed)).alias(PIECE[code]))
    scratch = ["_row_owed", "_event_before", "_section_offset"]
    scratch += [f"_before_{i}" for i in range(len(OWED))] + [f"_total_{i}" for i in range(len(OWED))]
    return rows.with_columns(pieces).drop(scratch)
