"""Collateral rules (``qingshou.domain.collateral``): the online auction's price sequence at its boundaries
(网拍规定 第十条 70 %, 第二十六条 20 % cut, 以物抵债 at the reserve price, 变卖 after the second round),
proceeds by lien rank through each loan's waterfall (C5) with surplus and deficiency, and loan-to-value and
shortfall with haircuts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qingshou.domain.collateral import (
    AuctionError,
    AuctionRound,
    CollateralError,
    CollateralKind,
    CollateralValue,
    Lien,
    NextStep,
    RoundResult,
    SecuredClaim,
    allocate_proceeds,
    auction_plan,
    check_round,
    check_sold,
    cover_loans,
    first_round_floor,
    next_round_floor,
    next_step,
    owed_in_order,
    parse_haircuts,
    realisable,
    sale_floor,
    share,
    transfer_price,
)
from qingshou.domain.policy import DEFAULT_WATERFALL, Component

D = Decimal
DAY = date(2026, 3, 2)
LATER = date(2026, 3, 30)


def failed(price: str, held_on: date = DAY) -> AuctionRound:
    return AuctionRound(D(price), held_on, RoundResult.FAILED)


# --- the auction price sequence -------------------------------------------------------------------------


def test_first_round_at_exactly_70_percent_is_allowed() -> None:
    assert check_round(D("1000000.00"), (), D("700000.00"), DAY) == 1


def test_first_round_at_69_99_percent_is_refused() -> None:
    with pytest.raises(AuctionError, match="below 70 %") as error:
        check_round(D("1000000.00"), (), D("699900.00"), DAY)
    assert error.value.field == "starting_price"
    with pytest.raises(AuctionError):
        check_round(D("1000000.00"), (), D("699999.99"), DAY)


def test_first_floor_rounds_up_to_the_fen() -> None:
    # 70 % of 100.01 is 70.007: 70.00 would be illegal, 70.01 is the floor.
    assert first_round_floor(D("100.01")) == D("70.01")
    with pytest.raises(AuctionError):
        check_round(D("100.01"), (), D("70.00"), DAY)
    assert check_round(D("100.01"), (), D("70.01"), DAY) == 1


def test_second_round_exactly_20_percent_lower_is_allowed() -> None:
    assert check_round(D("1000000.00"), [failed("700000.00")], D("560000.00"), LATER) == 2


def test_second_round_more_than_20_percent_lower_is_refused() -> None:
    with pytest.raises(AuctionError, match="more than 20 %"):
        check_round(D("1000000.00"), [failed("700000.00")], D("559999.99"), LATER)


def test_second_round_floor_is_from_the_first_start_not_the_appraisal() -> None:
    # first round started high (900,000): the second may go down to 720,000 only, not to 560,000.
    with pytest.raises(AuctionError):
        check_round(D("1000000.00"), [failed("900000.00")], D("719999.99"), LATER)
    assert check_round(D("1000000.00"), [failed("900000.00")], D("720000.00"), LATER) == 2
    assert next_round_floor(D("900000.00")) == D("720000.00")


def test_a_withdrawn_round_does_not_count() -> None:
    withdrawn = AuctionRound(D("700000.00"), DAY, RoundResult.WITHDRAWN)
    # the next round is again a first round: 70 % of the appraisal
    with pytest.raises(AuctionError, match="70 %"):
        check_round(D("1000000.00"), [withdrawn], D("560000.00"), LATER)
    assert check_round(D("1000000.00"), [withdrawn], D("700000.00"), LATER) == 1


def test_no_third_online_round_and_no_round_while_one_is_pending() -> None:
    two = [failed("700000.00"), failed("560000.00", LATER)]
    assert next_step(two) is NextStep.SALE
    with pytest.raises(AuctionError, match="2 rounds"):
        check_round(D("1000000.00"), two, D("560000.00"), LATER)
    pending = [AuctionRound(D("700000.00"), DAY)]
    assert next_step(pending) is NextStep.AWAIT_RESULT
    with pytest.raises(AuctionError, match="no result"):
        check_round(D("1000000.00"), pending, D("700000.00"), LATER)
    sold = [AuctionRound(D("700000.00"), DAY, RoundResult.SOLD, D("710000.00"))]
    assert next_step(sold) is NextStep.DONE
    with pytest.raises(AuctionError, match="already sold"):
        check_round(D("1000000.00"), sold, D("700000.00"), LATER)


def test_a_round_before_the_previous_one_is_refused() -> None:
    with pytest.raises(AuctionError) as error:
        check_round(D("1000000.00"), [failed("700000.00", LATER)], D("600000.00"), DAY)
    assert error.value.field == "held_on"


def test_a_round_sells_at_or_above_its_starting_price() -> None:
    item = AuctionRound(D("700000.00"), DAY)
    check_sold(item, D("700000.00"))
    with pytest.raises(AuctionError, match="below the round's starting price"):
        check_sold(item, D("699999.99"))


def test_transfer_in_lieu_is_at_the_last_failed_reserve_price() -> None:
    assert transfer_price([failed("700000.00")]) == D("700000.00")
    assert transfer_price([failed("700000.00"), failed("560000.00", LATER)]) == D("560000.00")
    with pytest.raises(AuctionError, match="failed round"):
        transfer_price([])
    with pytest.raises(AuctionError):
        transfer_price([AuctionRound(D("700000.00"), DAY)])


def test_sale_after_the_second_round_at_its_price() -> None:
    assert sale_floor([failed("700000.00"), failed("560000.00", LATER)]) == D("560000.00")
    with pytest.raises(AuctionError, match="second round"):
        sale_floor([failed("700000.00")])


def test_auction_plan_floors() -> None:
    plan = auction_plan(D("1000000.00"))
    assert (plan.first_floor, plan.first_start, plan.second_floor, plan.sale_price) == (
        D("700000.00"),
        D("700000.00"),
        D("560000.00"),
        D("560000.00"),
    )
    assert auction_plan(D("1000000.00"), D("800000.00")).second_floor == D("640000.00")
    with pytest.raises(AuctionError):
        auction_plan(D("1000000.00"), D("600000.00"))


@given(st.integers(min_value=1, max_value=10**12))
def test_the_floors_are_always_legal_prices(appraisal_fen: int) -> None:
    appraisal = D(appraisal_fen) / 100
    floor = first_round_floor(appraisal)
    assert check_round(appraisal, (), floor, DAY) == 1
    second = next_round_floor(floor)
    assert check_round(appraisal, [failed(str(floor))], second, LATER) == 2
    if second > D("0.01"):
        with pytest.raises(AuctionError):
            check_round(appraisal, [failed(str(floor))], second - D("0.01"), LATER)


# --- proceeds (C5 waterfall per loan) ---------------------------------------------------------------------


def claim(loan_id: str, rank: int, **amounts: str) -> SecuredClaim:
    owed = {Component(name): D(value) for name, value in amounts.items()}
    return SecuredClaim(loan_id, rank, owed_in_order(DEFAULT_WATERFALL, owed))


def test_proceeds_with_surplus_returned_to_the_owner() -> None:
    # C5: costs → fees → penalty → compound → interest → principal; the rest goes back to the owner.
    result = allocate_proceeds(
        D("600000.00"),
        D("10000.00"),
        [claim("L1", 1, costs="5000", penalty="1000", interest="4000", principal="490000")],
    )
    (part,) = result.loans
    assert result.net == D("590000.00")
    assert part.applied == D("500000")
    assert part.deficiency == 0
    assert result.surplus == D("90000.00")
    assert part.components == (
        (Component.COSTS, D("5000")),
        (Component.PENALTY, D("1000")),
        (Component.INTEREST, D("4000")),
        (Component.PRINCIPAL, D("490000")),
    )


def test_proceeds_with_deficiency_left_on_the_loan() -> None:
    # C5: the short proceeds pay costs, penalty and interest first; principal takes what is left.
    result = allocate_proceeds(
        D("300000.00"),
        D("0"),
        [claim("L1", 1, costs="5000", penalty="1000", interest="4000", principal="490000")],
    )
    (part,) = result.loans
    assert part.applied == D("300000.00")
    assert part.deficiency == D("200000.00")
    assert result.surplus == 0
    assert dict(part.components)[Component.PRINCIPAL] == D("290000.00")
    assert dict(part.components)[Component.COSTS] == D("5000")


def test_two_loans_by_lien_rank() -> None:
    # the first lien is paid in full before the second gets anything (C5 within each loan).
    result = allocate_proceeds(
        D("500000.00"),
        D("20000.00"),
        [claim("L2", 2, principal="300000"), claim("L1", 1, fees="1000", principal="399000")],
    )
    first, second = result.loans
    assert (first.loan_id, first.applied, first.deficiency) == ("L1", D("400000"), 0)
    assert (second.loan_id, second.applied, second.deficiency) == ("L2", D("80000.00"), D("220000.00"))
    assert result.surplus == 0
    assert sum(p.applied for p in result.loans) + result.surplus == result.net


def test_equal_ranks_share_pro_rata_to_the_fen() -> None:
    result = allocate_proceeds(
        D("100.00"),
        D("0"),
        [claim("A", 1, principal="100"), claim("B", 1, principal="100"), claim("C", 1, principal="100")],
    )
    assert [p.applied for p in result.loans] == [D("33.34"), D("33.33"), D("33.33")]
    assert sum(p.applied for p in result.loans) == D("100.00")


def test_costs_above_the_price_are_refused() -> None:
    with pytest.raises(CollateralError) as error:
        allocate_proceeds(D("100.00"), D("100.01"), [claim("L1", 1, principal="1")])
    assert error.value.field == "costs"


@given(
    st.integers(min_value=0, max_value=10**9),
    st.lists(st.tuples(st.integers(1, 3), st.integers(0, 10**8)), min_size=1, max_size=5),
)
def test_proceeds_conserve_money(net_fen: int, loans: list[tuple[int, int]]) -> None:
    claims = [claim(f"L{i}", rank, principal=str(D(c) / 100)) for i, (rank, c) in enumerate(loans)]
    result = allocate_proceeds(D(net_fen) / 100, D("0"), claims)
    assert sum((p.applied for p in result.loans), D(0)) + result.surplus == result.net
    assert all(D(0) <= p.applied <= p.claim for p in result.loans)
    assert result.surplus == 0 or all(p.deficiency == 0 for p in result.loans)


def test_share_never_exceeds_a_claim() -> None:
    assert share(D("10.00"), [("a", D("3")), ("b", D("4"))]) == {"a": D("3"), "b": D("4")}
    assert share(D("0.01"), [("a", D("1")), ("b", D("1"))]) == {"a": D("0.01"), "b": D("0.00")}


# --- haircuts, LTV and shortfall --------------------------------------------------------------------------


def value(
    cid: str, amount: str, kind: CollateralKind = CollateralKind.REAL_ESTATE, cut: str = "0.30"
) -> CollateralValue:
    return CollateralValue(cid, kind, D(amount), D(cut))


def test_haircuts_are_configurable_and_validated() -> None:
    cuts = parse_haircuts({"vehicle": "0.35"})
    assert cuts[CollateralKind.VEHICLE] == D("0.35")
    assert cuts[CollateralKind.REAL_ESTATE] == D("0.30")
    with pytest.raises(CollateralError, match="below 1"):
        parse_haircuts({"vehicle": "1"})
    with pytest.raises(CollateralError, match="unknown collateral kind"):
        parse_haircuts({"boat": "0.1"})
    with pytest.raises(CollateralError):
        parse_haircuts({"vehicle": 0.3})
    assert realisable(D("100.01"), D("0.30")) == D("70.00")  # 70.007 rounded down


def test_one_loan_one_collateral_ltv_and_shortfall() -> None:
    (cover,) = cover_loans([value("C1", "1000000")], [Lien("C1", "L1", 1)], {"L1": D("800000")})
    assert cover.ltv == D("0.8")
    assert cover.covered == D("700000.00")  # 1,000,000 less 30 %
    assert cover.shortfall == D("100000.00")
    assert not cover.over(D("0.80"))
    assert cover.over(D("0.79"))


def test_two_loans_share_one_collateral_by_rank() -> None:
    covers = cover_loans(
        [value("C1", "1000000")],
        [Lien("C1", "L2", 2), Lien("C1", "L1", 1)],
        {"L1": D("500000"), "L2": D("300000")},
    )
    first, second = covers
    assert (first.covered, first.shortfall, first.ltv) == (D("500000"), D("0"), D("0.5"))
    # second lien: 700,000 realisable − 500,000 to the first = 200,000; cumulative LTV (500,000 + 300,000) / 1,000,000
    assert (second.covered, second.shortfall, second.prior, second.ltv) == (
        D("200000.00"),
        D("100000.00"),
        D("500000"),
        D("0.8"),
    )


def test_one_loan_secured_by_several_collaterals() -> None:
    (cover,) = cover_loans(
        [value("C1", "400000"), value("C2", "200000", CollateralKind.VEHICLE, "0.50")],
        [Lien("C1", "L1", 1), Lien("C2", "L1", 1)],
        {"L1": D("450000")},
    )
    assert cover.value == D("600000")
    assert cover.covered == D("380000.00")  # 280,000 + 100,000
    assert cover.shortfall == D("70000.00")
    assert cover.ltv == D("0.75")
    assert cover.collaterals == ("C1", "C2")


def test_no_value_means_no_ltv_and_over_any_threshold() -> None:
    (cover,) = cover_loans([value("C1", "0")], [Lien("C1", "L1", 1)], {"L1": D("1")})
    assert cover.ltv is None
    assert cover.over(D("100"))
    assert cover.shortfall == D("1")


def test_bad_liens_are_refused() -> None:
    with pytest.raises(CollateralError, match="unknown collateral"):
        cover_loans([], [Lien("C9", "L1", 1)], {"L1": D("1")})
    with pytest.raises(CollateralError, match="1 or more"):
        cover_loans([value("C1", "1")], [Lien("C1", "L1", 0)], {"L1": D("1")})
    with pytest.raises(CollateralError, match="twice"):
        cover_loans([value("C1", "1")], [Lien("C1", "L1", 1), Lien("C1", "L1", 2)], {"L1": D("1")})
