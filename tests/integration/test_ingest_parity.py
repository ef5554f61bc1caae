"""Parity: the vectorised schedule checks of the load accept exactly what the domain's ``validate_schedule`` accepts.

The load checks 12M installments with Polars expressions; the domain checks one schedule in Python.
They must agree on every schedule (C5: the schedule is an input of the ledger replay). No database.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from qingshou.domain.errors import DomainError
from qingshou.domain.loan import LoanTerms, RepaymentMethod, ScheduledInstallment
from qingshou.domain.money import fen, from_fen, money
from qingshou.domain.schedule import validate_schedule
from qingshou.ingest.reading import ROW
from qingshou.ingest.validation import check_borrowers, check_installments

DISBURSED = dt.date(2024, 1, 31)
Row = tuple[int, int, int, int]  # seq, days after disbursement, principal fen, interest fen

rows_strategy = st.lists(
    st.tuples(
        st.integers(min_value=1, max_value=6),
        st.integers(min_value=-3, max_value=120),
        st.integers(min_value=-5, max_value=5000),
        st.integers(min_value=-5, max_value=500),
    ),
    min_size=1,
    max_size=5,
)


@st.composite
def near_valid_rows(draw: st.DrawFn) -> list[Row]:
    """A valid schedule (seq 1..n, increasing dates, amounts ≥ 0), sometimes with one thing broken."""
    count = draw(st.integers(min_value=1, max_value=5))
    gaps = draw(st.lists(st.integers(min_value=1, max_value=40), min_size=count, max_size=count))
    amounts = draw(st.lists(st.integers(min_value=0, max_value=5000), min_size=count, max_size=count))
    days = [sum(gaps[: k + 1]) for k in range(count)]
    rows = [(k + 1, days[k], amounts[k], amounts[k] // 10) for k in range(count)]
    index = draw(st.integers(min_value=0, max_value=count - 1))
    seq, day, principal, interest = rows[index]
    breakage = draw(st.sampled_from(["none", "none", "seq", "day", "negative", "early"]))
    broken = {
        "none": rows[index],
        "seq": (seq + draw(st.sampled_from([-1, 1, 2])), day, principal, interest),
        "day": (seq, day - draw(st.integers(min_value=0, max_value=45)), principal, interest),
        "negative": (seq, day, principal, -1),
        "early": (seq, -draw(st.integers(min_value=0, max_value=3)), principal, interest),
    }[breakage]
    return [*rows[:index], broken, *rows[index + 1 :]]


def _vectorised_accepts(principal_fen: int, rows: list[Row]) -> bool:
    raw = pl.DataFrame(
        {
            ROW: list(range(1, len(rows) + 1)),
            "loan_id": ["L1"] * len(rows),
            "seq": [str(seq) for seq, *_ in rows],
            "due_date": [(DISBURSED + dt.timedelta(days=days)).isoformat() for _, days, *_ in rows],
            "principal_due": [str(from_fen(p)) for *_, p, _ in rows],
            "interest_due": [str(from_fen(i)) for *_, i in rows],
        },
        schema_overrides={ROW: pl.Int64},
    )
    loans = pl.DataFrame({"loan_id": ["L1"], "principal_fen": [principal_fen], "disbursed_on": [DISBURSED]})
    checked, broken = check_installments(raw, loans)
    return checked.rejected == 0 and broken.height == 0


def _domain_accepts(principal_fen: int, rows: list[Row]) -> bool:
    terms = LoanTerms(
        loan_id="L1",
        product_id="P1",
        principal=from_fen(principal_fen),
        annual_rate=Decimal("0.1"),
        disbursed_on=DISBURSED,
        term_months=len(rows),
        method=RepaymentMethod.EQUAL_PRINCIPAL,
    )
    schedule = [
        ScheduledInstallment(seq, DISBURSED + dt.timedelta(days=days), from_fen(p), from_fen(i))
        for seq, days, p, i in sorted(rows)
    ]
    try:
        validate_schedule(terms, schedule)
    except DomainError:
        return False
    return True


@settings(max_examples=200, deadline=None)
@given(rows=st.one_of(rows_strategy, near_valid_rows()), offset=st.sampled_from([0, 0, 0, 1, -1]))
def test_c5_vectorised_schedule_checks_agree_with_validate_schedule(rows: list[Row], offset: int) -> None:
    """C5: for any schedule, the load rejects the loan exactly when ``validate_schedule`` refuses it."""
    principal_fen = max(1, sum(p for *_, p, _ in rows) + offset)
    assert _vectorised_accepts(principal_fen, rows) == _domain_accepts(principal_fen, rows)


@settings(max_examples=300, deadline=None)
@given(texts=st.lists(st.text(alphabet="0123456789.+-", min_size=1, max_size=10), min_size=1, max_size=20))
def test_c9_vectorised_amounts_agree_with_domain_money(texts: list[str]) -> None:
    """C9: an amount the load accepts is exactly ``fen(money(text))``; it refuses what ``money`` refuses."""
    raw = pl.DataFrame(
        {
            ROW: list(range(1, len(texts) + 1)),
            "borrower_id": [f"B{k}" for k in range(len(texts))],
            "name": ["张三"] * len(texts),
            "monthly_income": texts,
        },
        schema_overrides={ROW: pl.Int64},
    )
    checked = check_borrowers(raw)
    accepted = dict(checked.good().select(ROW, "monthly_income_fen").iter_rows())
    for row, text in enumerate(texts, start=1):
        try:
            amount = money(text)
        except DomainError:
            expected = None
        else:
            expected = fen(amount) if amount >= 0 else None
        assert accepted.get(row) == expected, text
