"""C6 carry: the classification state stepped one day at a time from the day before's snapshot equals the
domain and the state derived from the timeline alone, on books built to cure, relapse and be released."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import polars as pl
from derive_support import STATE_FIELDS, cure_books, derived, differences
from hypothesis import HealthCheck, given, settings

from qingshou.engine import schema
from qingshou.engine.book import Book

CARRY = settings(max_examples=2, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def walk(book: Book, first: date, days: int) -> Counter[str]:
    """Derive day by day from ``first`` with the day before's snapshot as ``previous``; every day must equal
    the domain (quote fields) and the snapshot derived with no previous one (quote fields and state).
    Returns how often the hold was entered, released, and a wait started or dropped (what was exercised)."""
    seen: Counter[str] = Counter()
    previous = None
    columns = [*schema.QUOTE_FIELDS, *STATE_FIELDS]
    for offset in range(days):
        as_of = first + timedelta(days=offset)
        carried = derived(book, as_of, previous)
        problems = differences(carried, book, as_of)
        assert not problems, "\n".join(problems[:20])
        fresh = derived(book, as_of)
        assert carried.select(columns).equals(fresh.select(columns)), as_of
        if previous is not None:
            seen.update(transitions(previous, carried))
        previous = carried
    return seen


def transitions(before: pl.DataFrame, after: pl.DataFrame) -> Counter[str]:
    """Counts of hold transitions between two consecutive snapshots."""
    joined = after.join(before, on="loan_id", suffix="_before")
    held, held_before = pl.col("npl_held_class"), pl.col("npl_held_class_before")
    wait, wait_before = pl.col("npl_cured_on"), pl.col("npl_cured_on_before")
    checks = {
        "entered": held.is_not_null() & held_before.is_null(),
        "released": held.is_null() & held_before.is_not_null(),
        "wait_started": wait.is_not_null() & wait_before.is_null(),
        "wait_dropped": wait.is_null() & wait_before.is_not_null() & held.is_not_null(),
    }
    return Counter({name: joined.filter(check).height for name, check in checks.items()})


@CARRY
@given(case=cure_books())
def test_c6_carried_state_equals_the_domain_through_cures_and_releases(case: tuple[Book, date]) -> None:
    """C6 carry over ~7 months from just before the first catch-up: holds entered, waits started and
    dropped by a miss, releases by 2 on-time installments and by 6 months — each day equal to the domain
    and to the derived state."""
    book, first_cure = case
    seen = walk(book, first_cure - timedelta(days=3), 215)
    assert seen["wait_started"] > 0
