"""The compiled replay (``engine.replay_compiled``, the default of ``engine.replay.replay_book``) against
the rounds path and ``domain.ledger.replay`` on random books (C1, C2, C4, C5), and its exact 128-bit
rounding at the edges: products of balance-days and rate far beyond 64 bits, half-up ties, ``down``, and
the loans whose figures do not fit 64 bits at all (replayed through the domain instead)."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ledger_support import payments, policy, schedule, terms_for
from replay_support import (
    CALENDAR_FRAME,
    START,
    _sorted,
    assert_same_ledgers,
    book_of,
    books,
    expected,
)

from qingshou.engine import replay_compiled, schema
from qingshou.engine.book import Book
from qingshou.engine.reference import LoanInputs
from qingshou.engine.replay import replay_book
from qingshou.engine.replay_facts import prepare

PARITY = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
as_of_days = st.integers(min_value=0, max_value=400).map(lambda offset: START + timedelta(days=offset))
DEN = 360 * 10**16  # rate_den of a 360-day product
LIMIT = 2**63


def _three_ways(book: Book, as_of: date) -> schema.LedgerFrames:
    """The compiled replay, asserted equal to the rounds' and to the domain's ledgers."""
    compiled = _sorted(replay_book(book, as_of, CALENDAR_FRAME, method="compiled"))
    rounds = _sorted(replay_book(book, as_of, CALENDAR_FRAME, method="rounds"))
    assert_same_ledgers(compiled, expected(book, as_of))
    assert_same_ledgers(compiled, rounds)
    return compiled


# --- parity on random books -------------------------------------------------------------------------------


@PARITY
@given(items=books(size=25), as_of=as_of_days)
def test_c4_c5_compiled_equals_the_rounds_and_the_domain(items: list[LoanInputs], as_of: date) -> None:
    _three_ways(book_of(items), as_of)


@PARITY
@given(
    items=books(size=10, longest=12),
    as_of=st.integers(min_value=20, max_value=500).map(lambda offset: START + timedelta(days=offset)),
)
def test_c4_c5_compiled_on_long_schedules(items: list[LoanInputs], as_of: date) -> None:
    _three_ways(book_of(items), as_of)


@PARITY
@given(items=books(size=20, broken=True), as_of=as_of_days)
def test_compiled_refuses_the_loans_the_domain_refuses(items: list[LoanInputs], as_of: date) -> None:
    _three_ways(book_of(items), as_of)


def test_the_default_is_compiled_and_the_rounds_keywords_select_the_rounds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    book = book_of([_loan("L1", "1 2024-02-01 1000.00 15.00", "p1 2024-02-20 500.00")])
    calls: list[int] = []
    real = replay_compiled.replay_facts

    def counted(facts: object) -> replay_compiled.Compiled:
        calls.append(1)
        return real(facts)  # type: ignore[arg-type]

    monkeypatch.setattr(replay_compiled, "replay_facts", counted)
    replay_book(book, date(2024, 3, 1), CALENDAR_FRAME)
    assert calls == [1]
    replay_book(book, date(2024, 3, 1), CALENDAR_FRAME, closed_form=False)
    replay_book(book, date(2024, 3, 1), CALENDAR_FRAME, window=2)
    replay_book(book, date(2024, 3, 1), CALENDAR_FRAME, method="rounds")
    assert calls == [1]
    with pytest.raises(ValueError, match="unknown replay method"):
        replay_book(book, date(2024, 3, 1), CALENDAR_FRAME, method="fast")  # type: ignore[arg-type]


# --- the exact rounding -----------------------------------------------------------------------------------


def _exact(measure: int, rate_num: int, rate_den: int, down: bool) -> int:
    if down:
        return measure * rate_num // rate_den
    return (2 * measure * rate_num + rate_den) // (2 * rate_den)


@settings(max_examples=400, deadline=None)
@given(
    measure=st.integers(min_value=0, max_value=LIMIT - 1),
    rate_num=st.integers(min_value=0, max_value=LIMIT - 1),
    rate_den=st.integers(min_value=1, max_value=2**62 - 1),
    down=st.booleans(),
)
def test_rounding_is_exact_across_the_64_bit_range(
    measure: int, rate_num: int, rate_den: int, down: bool
) -> None:
    want = _exact(measure, rate_num, rate_den, down)
    got = replay_compiled.rounded(measure, rate_num, rate_den, down)
    assert got == (want if want < LIMIT else -1)


@pytest.mark.parametrize(
    ("measure", "rate_num", "rate_den"),
    [
        (2000, 27 * 10**14, DEN),  # 2000 × 0.00075 = 1.5: a tie
        (10**13 * 400, 27 * 10**14, DEN),  # 10¹¹ yuan for 400 days: the product is 1.08 × 10³¹
        (LIMIT - 1, LIMIT - 1, 2**62 - 1),  # the largest inputs: the quotient does not fit (−1)
        (3 * 10**18, 36 * 10**15 + 1, DEN),  # just above a half after a 128-bit product
        (2**62, 2, 2**62 - 1),  # quotient 2 with the remainder 2: not a half
        ((2**62 - 1) * 2, 5, 2**62 - 1),  # an exact multiple after a 128-bit product
    ],
)
def test_rounding_edges_half_up_and_down(measure: int, rate_num: int, rate_den: int) -> None:
    for down in (False, True):
        want = _exact(measure, rate_num, rate_den, down)
        assert replay_compiled.rounded(measure, rate_num, rate_den, down) == (want if want < LIMIT else -1)
    assert replay_compiled.rounded(2000, 27 * 10**14, DEN, False) == 2
    assert replay_compiled.rounded(2000, 27 * 10**14, DEN, True) == 1
    assert replay_compiled.rounded(1999, 27 * 10**14, DEN, False) == 1
    assert replay_compiled.rounded(0, LIMIT - 1, DEN, False) == 0


def _loan(
    loan_id: str,
    table: str,
    pays: str = "",
    annual_rate: str = "0.18",
    **params: object,
) -> LoanInputs:
    rows = schedule(table)
    product = policy(**params)
    terms = replace(terms_for(rows, annual_rate), loan_id=loan_id, product_id=product.product_id)
    return LoanInputs(terms, tuple(rows), tuple(payments(pays)), (), product)


@pytest.mark.parametrize("rounding", ["half_up", "down"])
def test_c4_a_half_fen_tie_through_the_replay(rounding: str) -> None:
    """10.00 overdue 2 days at 18 % × 1.5 / 360: 1000 × 2 × 0.00075 = 1.5 fen → 2 half-up, 1 down."""
    item = _loan("TIE", "1 2024-02-01 10.00 0.00", rounding=rounding, compound=False)
    frames = _three_ways(book_of([item]), date(2024, 2, 3))
    assert frames.lines["penalty_accrued"].to_list() == [2 if rounding == "half_up" else 1]


@pytest.mark.parametrize("rounding", ["half_up", "down"])
def test_c4_balance_days_times_rate_beyond_64_bits(rounding: str) -> None:
    """10¹¹ yuan (10¹³ fen) unpaid for 300 days then partly paid, then reported: the products of
    balance-days and rate_num (≈ 10³¹) need the 128-bit path; both payments crystallise."""
    item = _loan(
        "BIG",
        "1 2024-02-01 100000000000.00 123456789.12\n2 2024-03-01 1.00 0.00",
        "p1 2024-11-27 12345678901.23\np2 2025-01-15 0.07",
        annual_rate="0.2412345",
        rounding=rounding,
    )
    frames = _three_ways(book_of([item]), date(2025, 6, 30))
    first = frames.lines.filter(pl.col("seq") == 1).row(0, named=True)
    assert first["penalty_accrued"] > 2**63 // 10**12  # far beyond what an Int64 product could hold


def test_a_loan_outside_64_bits_is_replayed_through_the_domain() -> None:
    """9 × 10¹² yuan unpaid for 40 years: its balance-days (≈ 1.3 × 10¹⁹ fen·days) do not fit in 64 bits —
    the compiled replay flags it and the domain replays it; the other loan stays compiled."""
    huge = _loan("HUGE", "1 2024-02-01 9000000000000.00 0.00", annual_rate="0.01", compound=False)
    small = _loan("SMALL", "1 2024-02-01 1000.00 15.00", "p1 2024-02-10 500.00")
    book = book_of([huge, small])
    as_of = date(2064, 2, 1)
    facts = prepare(book, as_of, CALENDAR_FRAME).facts
    assert replay_compiled.replay_facts(facts).outside.to_list() == [True, False]
    got = _sorted(replay_book(book, as_of, CALENDAR_FRAME))
    assert_same_ledgers(got, expected(book, as_of))
    assert got.loans["loan_id"].to_list() == ["HUGE", "SMALL"]


def test_an_empty_book_compiles_to_empty_frames() -> None:
    empty = book_of([])
    frames = replay_book(empty, date(2024, 3, 1), CALENDAR_FRAME, method="compiled")
    assert frames.lines.height == frames.charges.height == frames.loans.height == 0
    assert frames.lines.schema == pl.Schema(schema.LEDGER_LINES)


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(items=books(size=30), as_of=as_of_days)
def test_the_loop_split_across_threads_gives_the_same_ledgers(items: list[LoanInputs], as_of: date) -> None:
    """From THREADED_FROM loans the loop runs in as many threads as Polars' pool has, each on its own part
    of the loans (here from one loan, in three threads)."""
    parts: list[tuple[int, int]] = []
    real = replay_compiled._replay

    def recorded(begin: int, end: int, *args: object) -> None:
        parts.append((begin, end))
        real(begin, end, *args)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(replay_compiled, "THREADED_FROM", 1)
        patch.setattr(replay_compiled.pl, "thread_pool_size", lambda: 3)
        patch.setattr(replay_compiled, "_replay", recorded)
        _three_ways(book_of(items), as_of)
    compiled = [part for part in parts if part[1] > 0]
    assert len(compiled) == 3  # the compiled call, in three parts
    assert sorted(compiled)[0][0] == 0


_CACHE_CHILD = """
import sys
from datetime import date
from qingshou.engine import replay_compiled
from qingshou.engine.replay_facts import prepare
from replay_support import CALENDAR_FRAME, book_of, books
book = book_of(books(size=3).example())
replay_compiled.replay_facts(prepare(book, date(2024, 6, 1), CALENDAR_FRAME).facts)
stats = replay_compiled._replay.stats
print(len(replay_compiled._replay.signatures), sum(stats.cache_hits.values()), sum(stats.cache_misses.values()))
"""


def test_the_compiled_loop_is_cached_on_disk_for_the_next_process(tmp_path: Path) -> None:
    """The first process compiles and writes the cache (here under NUMBA_CACHE_DIR, as for a read-only
    install); a second process — a spawned EOD worker, a Spark worker — loads it instead of compiling, for any
    book (each child replays its own random book: the arguments' types never depend on the data)."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path), "PYTHONPATH": os.pathsep.join(sys.path)}
    runs = [
        subprocess.run(
            [sys.executable, "-c", _CACHE_CHILD],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=600,
        ).stdout.split()[-3:]
        for _ in range(2)
    ]
    assert runs[0] == ["1", "0", "1"]  # one version, compiled
    assert runs[1] == ["1", "1", "0"]  # the same, loaded from the cache (another random book: the same types)
    assert any(tmp_path.rglob("*.nbi"))


_NO_CACHE_CHILD = """
from datetime import date
import numba.core.caching
numba.core.caching.CacheImpl._locator_classes = []  # as if no folder numba tries were writable
from qingshou.engine import replay_compiled
from qingshou.engine.replay import replay_book
from replay_support import CALENDAR_FRAME, book_of, books, expected, assert_same_ledgers, _sorted
book = book_of(books(size=3).example())
assert_same_ledgers(_sorted(replay_book(book, date(2024, 6, 1), CALENDAR_FRAME)), expected(book, date(2024, 6, 1)))
print(type(replay_compiled._replay._cache).__name__)
"""


def test_without_a_writable_cache_location_the_loop_still_compiles_in_the_process() -> None:
    """A read-only install with no writable per-user folder: numba finds no place for its cache, and the
    engine compiles the loop in each process instead of failing at import."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    env.pop("NUMBA_CACHE_DIR", None)
    done = subprocess.run(
        [sys.executable, "-c", _NO_CACHE_CHILD],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    assert done.stdout.split()[-1] == "NullCache"
