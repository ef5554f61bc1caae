"""Promises to pay (issue 5, ``domain.promises``): instalments kept, partly kept, broken or pending from the
payments posted, with tolerance and grace; FIFO application of payments; properties with hypothesis.

Payments dated after ``as_of`` are never seen (C1); money is Decimal from str only (C9)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qingshou.domain.errors import DomainError
from qingshou.domain.promises import (
    Instalment,
    PaymentMade,
    PromiseError,
    PromiseStatus,
    Tolerance,
    evaluate,
    validate,
)

K, P, B, PK = PromiseStatus.KEPT, PromiseStatus.PENDING, PromiseStatus.BROKEN, PromiseStatus.PARTLY_KEPT
TAKEN = date(2026, 3, 1)
NONE = Tolerance()
YUAN_AND_GRACE = Tolerance.build(amount="1", share="0.01", grace_days=3)


def d(day: int, month: int = 3) -> date:
    return date(2026, month, day)


def plan(*items: tuple[int, str]) -> list[Instalment]:
    return [Instalment(d(day), Decimal(amount)) for day, amount in items]


def paid(*items: tuple[int, str]) -> list[PaymentMade]:
    return [PaymentMade(d(day), Decimal(amount)) for day, amount in items]


@pytest.mark.parametrize(
    ("payments", "as_of", "expected", "overall"),
    [
        # (paid on day: amount) | as_of | instalment statuses | overall
        ((), d(9), (P, P), P),  # nothing due yet
        (((5, "500.00"),), d(9), (K, P), P),  # first kept on time, second not yet due
        (((5, "500.00"), (20, "500.00")), d(20), (K, K), K),
        (((5, "500.00"),), d(20), (K, B), PK),  # second deadline passed unpaid → decided
        ((), d(10), (B, P), B),  # first deadline ended with nothing → broken at once
        (((10, "200.00"),), d(10), (PK, P), PK),
        (((2, "1000.00"),), d(2), (K, K), K),  # everything paid early: kept before the dates
        (((12, "500.00"),), d(20), (B, B), B),  # late for the first: FIFO makes it up, nothing for the second
        (((12, "1000.00"),), d(20), (B, K), PK),
        (((25, "1000.00"),), d(9), (P, P), P),  # a payment after as_of is unknown (C1)
    ],
)
def test_evaluate_two_instalments_without_tolerance(
    payments: tuple[tuple[int, str], ...],
    as_of: date,
    expected: tuple[PromiseStatus, ...],
    overall: PromiseStatus,
) -> None:
    result = evaluate(TAKEN, plan((10, "500.00"), (20, "500.00")), paid(*payments), as_of, NONE)
    assert tuple(r.status for r in result.instalments) == expected
    assert result.status is overall


def test_payments_before_the_promise_was_taken_do_not_count() -> None:
    result = evaluate(d(5), plan((10, "500.00")), paid((4, "500.00")), d(10), NONE)
    assert result.status is B
    assert result.paid == Decimal("0.00")


def test_tolerance_is_the_larger_of_the_amount_and_the_share() -> None:
    """¥1 or 1 %: 1 % of 500 = 5.00 tolerated; 1 % of 50 = 0.50 < ¥1, so ¥1."""
    assert YUAN_AND_GRACE.of(Decimal("500.00")) == Decimal("5.00")
    assert YUAN_AND_GRACE.of(Decimal("50.00")) == Decimal("1.00")
    assert YUAN_AND_GRACE.of(Decimal("333.33")) == Decimal("3.33")  # rounded down
    short = evaluate(TAKEN, plan((10, "500.00")), paid((10, "495.00")), d(13), YUAN_AND_GRACE)
    assert short.status is K
    shorter = evaluate(TAKEN, plan((10, "500.00")), paid((10, "494.99")), d(13), YUAN_AND_GRACE)
    assert shorter.status is PK


@pytest.mark.parametrize(
    ("paid_on", "as_of", "expected"),
    [(13, 13, K), (14, 14, B), (None, 12, P), (None, 13, B)],
)
def test_grace_days_extend_the_deadline_inclusive(
    paid_on: int | None, as_of: int, expected: PromiseStatus
) -> None:
    """Due on the 10th with 3 grace days: a payment on the 13th still counts; the instalment is decided at
    the end of the 13th."""
    payments = paid((paid_on, "500.00")) if paid_on else []
    result = evaluate(TAKEN, plan((10, "500.00")), payments, d(as_of), YUAN_AND_GRACE)
    assert result.status is expected
    assert result.instalments[0].deadline == d(13)


@pytest.mark.parametrize(
    ("items", "field"),
    [
        ((), "instalments"),
        (((10, "0.00"),), "amount"),
        (((10, "-5.00"),), "amount"),
        (((10, "1.001"),), None),
        (((10, "5.00"), (10, "5.00")), "due_on"),
        (((10, "5.00"), (9, "5.00")), "due_on"),
    ],
)
def test_invalid_promises_are_refused_naming_the_field(
    items: tuple[tuple[int, str], ...], field: str | None
) -> None:
    with pytest.raises(DomainError) as raised:
        validate(TAKEN, plan(*items))
    if field is not None:
        assert isinstance(raised.value, PromiseError)
        assert raised.value.field == field


def test_an_instalment_before_the_promise_is_refused() -> None:
    with pytest.raises(PromiseError, match="before the promise was taken"):
        validate(d(5), plan((4, "100.00")))


def test_tolerance_settings_are_validated() -> None:
    with pytest.raises(PromiseError):
        Tolerance.build(amount="-1")
    with pytest.raises(PromiseError):
        Tolerance.build(share="1")
    with pytest.raises(PromiseError):
        Tolerance.build(grace_days=-1)
    with pytest.raises(Exception, match="str or int"):
        Tolerance.build(amount=1.5)  # type: ignore[arg-type]


# --- properties ----------------------------------------------------------------------------------------

amounts = st.integers(min_value=1, max_value=100_000).map(lambda fen: Decimal(fen) / 100)


@st.composite
def promise_case(draw: st.DrawFn) -> tuple[list[Instalment], list[PaymentMade], date, Tolerance]:
    count = draw(st.integers(1, 4))
    offsets = sorted(draw(st.sets(st.integers(0, 60), min_size=count, max_size=count)))
    items = [Instalment(TAKEN + timedelta(days=o), draw(amounts)) for o in offsets]
    payments = draw(
        st.lists(
            st.builds(PaymentMade, st.integers(-5, 90).map(lambda o: TAKEN + timedelta(days=o)), amounts),
            max_size=6,
        )
    )
    tolerance = Tolerance.build(
        amount=str(draw(st.integers(0, 200))) if draw(st.booleans()) else "0",
        share=draw(st.sampled_from(["0", "0.01", "0.05"])),
        grace_days=draw(st.integers(0, 5)),
    )
    return items, payments, TAKEN + timedelta(days=draw(st.integers(0, 90))), tolerance


@settings(max_examples=300, deadline=None)
@given(promise_case())
def test_property_covered_never_exceeds_paid_nor_the_instalment(
    case: tuple[list[Instalment], list[PaymentMade], date, Tolerance],
) -> None:
    items, payments, as_of, tolerance = case
    result = evaluate(TAKEN, items, payments, as_of, tolerance)
    assert sum((r.covered for r in result.instalments), Decimal(0)) <= result.paid
    assert all(Decimal(0) <= r.covered <= r.amount for r in result.instalments)
    assert (result.status is K) == all(r.status is K for r in result.instalments)


@settings(max_examples=300, deadline=None)
@given(promise_case(), amounts, st.integers(0, 90))
def test_property_another_payment_never_makes_an_instalment_worse(
    case: tuple[list[Instalment], list[PaymentMade], date, Tolerance], extra: Decimal, offset: int
) -> None:
    items, payments, as_of, tolerance = case
    rank = {B: 0, PK: 1, P: 1, K: 2}
    before = evaluate(TAKEN, items, payments, as_of, tolerance)
    after = evaluate(
        TAKEN, items, [*payments, PaymentMade(TAKEN + timedelta(days=offset), extra)], as_of, tolerance
    )
    for old, new in zip(before.instalments, after.instalments, strict=True):
        assert new.covered >= old.covered
        assert rank[new.status] >= rank[old.status]


@settings(max_examples=300, deadline=None)
@given(promise_case(), st.integers(1, 30))
def test_property_a_decided_instalment_stays_decided_as_days_pass(
    case: tuple[list[Instalment], list[PaymentMade], date, Tolerance], later: int
) -> None:
    """Once an instalment's deadline has ended its status is final (payments known, none backdated)."""
    items, payments, as_of, tolerance = case
    now = evaluate(TAKEN, items, payments, as_of, tolerance)
    then = evaluate(TAKEN, items, payments, as_of + timedelta(days=later), tolerance)
    for old, new in zip(now.instalments, then.instalments, strict=True):
        if old.status is not P:
            assert new.status is old.status
    if now.status is not P and all(r.status is not P for r in now.instalments):
        assert then.status is now.status


@settings(max_examples=200, deadline=None)
@given(promise_case())
def test_property_paying_each_instalment_on_its_date_keeps_the_promise(
    case: tuple[list[Instalment], list[PaymentMade], date, Tolerance],
) -> None:
    items, _, _, tolerance = case
    exact = [PaymentMade(item.due_on, item.amount) for item in items]
    assert evaluate(TAKEN, items, exact, items[-1].due_on, tolerance).status is K


# --- the frame evaluation (apps.cases.services.promises) equals the domain ---------------------------------


@settings(max_examples=150, deadline=None)
@given(st.lists(promise_case(), min_size=1, max_size=4), st.integers(0, 90))
def test_property_the_frame_evaluation_equals_the_domain(
    cases: list[tuple[list[Instalment], list[PaymentMade], date, Tolerance]], as_of_offset: int
) -> None:
    """Several promises of several borrowers evaluated at once over frames give, instalment by instalment
    and overall, exactly what ``domain.promises.evaluate`` gives promise by promise (to the fen)."""
    import polars as pl

    from qingshou.apps.cases.services.promises import INSTALMENTS, PAYMENTS, evaluate_frame
    from qingshou.domain.money import fen

    tolerance = cases[0][3]
    as_of = TAKEN + timedelta(days=as_of_offset)
    instalment_rows, payment_rows, expected = [], [], {}
    next_id = 1
    for number, (items, payments, _, _) in enumerate(cases, start=1):
        borrower = f"B{number}"
        for seq, item in enumerate(items, start=1):
            instalment_rows.append((next_id, number, seq, borrower, "", TAKEN, item.due_on, fen(item.amount)))
            next_id += 1
        payment_rows += [(borrower, "L", p.paid_on, fen(p.amount)) for p in payments]
        expected[number] = evaluate(TAKEN, items, payments, as_of, tolerance)
    frame = pl.DataFrame(instalment_rows, schema=INSTALMENTS, orient="row")
    paid = pl.DataFrame(payment_rows, schema=PAYMENTS, orient="row")
    per_instalment, per_promise = evaluate_frame(frame, paid, as_of, tolerance)
    got = per_instalment.join(frame.select("instalment_id", "seq"), on="instalment_id").sort(
        "promise_id", "seq"
    )
    for number, result in expected.items():
        rows = got.filter(pl.col("promise_id") == number)
        assert rows.get_column("status").to_list() == [r.status.value for r in result.instalments]
        assert rows.get_column("covered_fen").to_list() == [fen(r.covered) for r in result.instalments]
        [overall] = per_promise.filter(pl.col("promise_id") == number).get_column("status").to_list()
        assert overall == result.status.value


def test_the_frame_evaluation_limits_a_promise_to_its_loan() -> None:
    """A promise that names a loan counts only that loan's payments; one that names none, all the
    borrower's."""
    import polars as pl

    from qingshou.apps.cases.services.promises import INSTALMENTS, PAYMENTS, evaluate_frame

    frame = pl.DataFrame(
        [(1, 1, 1, "B", "L1", TAKEN, d(10), 50_000), (2, 2, 1, "B", "", TAKEN, d(10), 50_000)],
        schema=INSTALMENTS,
        orient="row",
    )
    paid = pl.DataFrame([("B", "L2", d(5), 50_000)], schema=PAYMENTS, orient="row")
    _, promises = evaluate_frame(frame, paid, d(10), NONE)
    assert promises.sort("promise_id").get_column("status").to_list() == ["broken", "kept"]
