"""Collateral (抵押物 / 质押物): haircut values, loan-to-value and shortfall, the online judicial auction's price
sequence, and the allocation of disposal proceeds (issue 6; conventions C5, C9).

**Haircuts.** Each collateral kind has a haircut (the share of the appraisal a forced sale is expected to lose;
``DEFAULT_HAIRCUTS``, replaced per institution by ``parse_haircuts``). The *realisable value* is the appraisal
× (1 − haircut), rounded down to the fen.

**Cover of loans** (``cover_loans``). A collateral may secure several loans (each with a lien rank, 1 = first
lien) and a loan may be secured by several collaterals. Per collateral (by collateral id), the realisable value
goes to the loans by rank, each up to what is still uncovered of its exposure; loans of the same rank share pro
rata (Civil Code art. 414). ``covered`` is what a loan gets, ``shortfall = exposure − covered``. The LTV of a
loan is ``(exposure + the exposure of loans ranked before it on its collaterals) / Σ appraisal of its
collaterals`` — the cumulative LTV, conservative when a senior loan is secured twice; ``None`` when the
collaterals have no value.

**Auction price sequence** (legal-fees-periods.md §3, 网络司法拍卖规定 第十条, 第二十六条, 拍卖变卖规定
第十六条). Online there are two auction rounds: the first round's starting price (= reserve price) is at
least 70 % of the appraisal (or reference price); after a failed round (流拍) the next round's starting price
is at most 20 % below the previous round's, so at least 80 % of it. After a failed round the creditor may take
the asset in lieu (以物抵债) at that round's reserve price; after the second round fails the asset may be sold
(变卖) on the same platform at the second round's starting price ([V-sec]: the 变卖价 is the 二拍 price). A
withdrawn round (撤回) does not count: the next round is priced as if it had not been held. A sale in a round
is at or above its starting price. Prices are compared exactly (no rounding); ``auction_plan`` shows the floors
rounded *up* to the fen, so a floor is always a legal price.

**Proceeds** (``allocate_proceeds``). The sale price less the disposal costs is the net; it goes to the
secured loans by lien rank (same rank: pro rata), each up to its claim (the payoff on the day); each loan's
share is applied through its own waterfall (C5: costs → fees → penalty → compound → interest → principal, or
the product's order); what is left after every claim is the surplus returned to the owner; what a loan does
not get is its deficiency, which stays on the loan unsecured.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, ROUND_UP, Decimal
from enum import StrEnum
from typing import Final

from qingshou.domain.allocation import Owed, allocate
from qingshou.domain.errors import DomainError
from qingshou.domain.money import FEN, ZERO, Rounding, to_fen
from qingshou.domain.policy import Component


class CollateralError(DomainError):
    """Collateral data that breaks a rule (unknown kind, haircut out of range, negative value, bad rank)."""

    code = "invalid_collateral"


class AuctionError(DomainError):
    """An auction price, round or outcome the rules do not allow (网拍规定 第十条, 第二十六条)."""

    code = "illegal_auction"


class CollateralKind(StrEnum):
    """What secures a loan: mortgages (抵押) of real estate, vehicles, equipment and inventory; pledges (质押)
    of deposits / certificates, equity and receivables."""

    REAL_ESTATE = "real_estate"
    VEHICLE = "vehicle"
    EQUIPMENT = "equipment"
    INVENTORY = "inventory"
    DEPOSIT = "deposit"
    EQUITY = "equity"
    RECEIVABLES = "receivables"
    OTHER = "other"


#: The project's default haircuts (an institution's risk policy, not law: configurable, [UNVERIFIED]).
DEFAULT_HAIRCUTS: Final[Mapping[CollateralKind, Decimal]] = {
    CollateralKind.REAL_ESTATE: Decimal("0.30"),
    CollateralKind.VEHICLE: Decimal("0.50"),
    CollateralKind.EQUIPMENT: Decimal("0.50"),
    CollateralKind.INVENTORY: Decimal("0.60"),
    CollateralKind.DEPOSIT: Decimal("0.05"),
    CollateralKind.EQUITY: Decimal("0.50"),
    CollateralKind.RECEIVABLES: Decimal("0.40"),
    CollateralKind.OTHER: Decimal("0.50"),
}

#: 网拍规定 第十条: the first starting price is at least 70 % of the appraisal or market price.
FIRST_ROUND_MIN_RATIO: Final = Decimal("0.70")
#: 网拍规定 第二十六条: a re-auction's starting price is at most 20 % below the previous one.
MAX_CUT: Final = Decimal("0.20")
#: Online auction rounds before 变卖 (网拍规定 第二十六条).
ONLINE_ROUNDS: Final = 2
#: 网拍规定 第二十六条: the re-auction is held within 30 days of the failed one.
REAUCTION_DAYS: Final = 30


def _ratio(value: object, name: str) -> Decimal:
    if isinstance(value, float | bool):
        raise CollateralError(f"{name}: a haircut must be a decimal string, not {value!r}", field=name)
    try:
        result = Decimal(str(value).strip())
    except ArithmeticError:
        raise CollateralError(f"{name}: not a number: {value!r}", field=name) from None
    if not result.is_finite() or result < 0 or result >= 1:
        raise CollateralError(f"{name}: a haircut is at least 0 and below 1, not {value}", field=name)
    return result


def parse_kind(value: object) -> CollateralKind:
    """A collateral kind from its code; an unknown code is an error naming the allowed ones."""
    try:
        return CollateralKind(str(value))
    except ValueError:
        allowed = ", ".join(kind.value for kind in CollateralKind)
        raise CollateralError(f"unknown collateral kind {value!r} (one of {allowed})", field="kind") from None


def parse_haircuts(overrides: Mapping[str, object]) -> dict[CollateralKind, Decimal]:
    """The defaults with ``overrides`` (kind code → haircut as a decimal string) applied and validated."""
    result = dict(DEFAULT_HAIRCUTS)
    for key, value in overrides.items():
        kind = parse_kind(key)
        result[kind] = _ratio(value, f"haircut of {kind.value}")
    return result


def _amount(value: Decimal, name: str) -> Decimal:
    if not value.is_finite() or value < 0:
        raise CollateralError(f"{name} must be an amount of at least 0, not {value}", field=name)
    return value


def realisable(value: Decimal, haircut: Decimal) -> Decimal:
    """The appraisal less the haircut, rounded down to the fen."""
    return to_fen(_amount(value, "value") * (1 - haircut), Rounding.DOWN)


# --- sharing an amount among claims ---------------------------------------------------------------------


def share(amount: Decimal, claims: Sequence[tuple[str, Decimal]]) -> dict[str, Decimal]:
    """``amount`` shared among ``claims`` (key, claim): each in full when it suffices, else pro rata by claim,
    rounded down to the fen with the fen left over given one by one by largest remainder (then key). Never
    more than a claim; the pieces sum to ``min(amount, Σ claims)``."""
    total = sum((claim for _key, claim in claims), ZERO)
    if amount >= total:
        return {key: claim for key, claim in claims}
    if total <= ZERO:
        return {key: ZERO for key, _claim in claims}
    exact = {key: amount * claim / total for key, claim in claims}
    pieces = {key: value.quantize(FEN, rounding=ROUND_DOWN) for key, value in exact.items()}
    left = amount - sum(pieces.values(), ZERO)
    order = sorted(exact, key=lambda key: (-(exact[key] - pieces[key]), key))
    for key in order:
        if left < FEN:
            break
        pieces[key] += FEN
        left -= FEN
    return pieces


def _by_rank(items: Iterable[tuple[int, str, Decimal]]) -> list[list[tuple[str, Decimal]]]:
    """(rank, key, claim) grouped by rank, best rank first, keys sorted within a rank."""
    groups: dict[int, list[tuple[str, Decimal]]] = {}
    for rank, key, claim in sorted(items):
        groups.setdefault(rank, []).append((key, claim))
    return [groups[rank] for rank in sorted(groups)]


# --- loan-to-value and shortfall --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CollateralValue:
    """A collateral's latest appraisal and its kind's haircut."""

    collateral_id: str
    kind: CollateralKind
    value: Decimal
    haircut: Decimal

    @property
    def realisable(self) -> Decimal:
        """The appraisal less the haircut, to the fen (down)."""
        return realisable(self.value, self.haircut)


@dataclass(frozen=True, slots=True)
class Lien:
    """A collateral securing a loan with a lien rank (1 = first lien; equal ranks share pro rata)."""

    collateral_id: str
    loan_id: str
    rank: int


@dataclass(frozen=True, slots=True)
class LoanCover:
    """How a loan's exposure is covered (module docstring): ``value`` is the appraisal of its collaterals,
    ``prior`` the exposure ranked before it on them, ``covered`` the realisable value it gets, ``ltv`` the
    cumulative loan-to-value (``None`` without value)."""

    loan_id: str
    exposure: Decimal
    value: Decimal
    prior: Decimal
    covered: Decimal
    shortfall: Decimal
    ltv: Decimal | None
    collaterals: tuple[str, ...]

    def over(self, threshold: Decimal) -> bool:
        """Whether the LTV is above ``threshold`` (no value at all counts as above)."""
        return self.ltv is None or self.ltv > threshold


def _check_liens(values: Mapping[str, CollateralValue], liens: Sequence[Lien]) -> None:
    seen: set[tuple[str, str]] = set()
    for lien in liens:
        if lien.collateral_id not in values:
            raise CollateralError(
                f"lien of loan {lien.loan_id} on unknown collateral {lien.collateral_id}", field="collateral"
            )
        if lien.rank < 1:
            raise CollateralError(
                f"lien rank of loan {lien.loan_id} on {lien.collateral_id} must be 1 or more, not {lien.rank}",
                field="rank",
            )
        key = (lien.collateral_id, lien.loan_id)
        if key in seen:
            raise CollateralError(
                f"loan {lien.loan_id} is linked twice to collateral {lien.collateral_id}", field="loan"
            )
        seen.add(key)


def cover_loans(
    collaterals: Sequence[CollateralValue], liens: Sequence[Lien], exposures: Mapping[str, Decimal]
) -> tuple[LoanCover, ...]:
    """The cover of every loan in ``liens`` whose exposure is given (module docstring), by loan id."""
    values = {item.collateral_id: item for item in collaterals}
    _check_liens(values, liens)
    for loan_id, exposure in exposures.items():
        _amount(exposure, f"exposure of loan {loan_id}")
    active = [lien for lien in liens if lien.loan_id in exposures]
    uncovered = {lien.loan_id: exposures[lien.loan_id] for lien in active}
    covered = dict.fromkeys(uncovered, ZERO)
    gross = dict.fromkeys(uncovered, ZERO)
    prior = dict.fromkeys(uncovered, ZERO)
    linked: dict[str, list[str]] = {loan_id: [] for loan_id in uncovered}
    by_collateral: dict[str, list[Lien]] = {}
    for lien in active:
        by_collateral.setdefault(lien.collateral_id, []).append(lien)
    for collateral_id in sorted(by_collateral):
        on_it = by_collateral[collateral_id]
        remaining = values[collateral_id].realisable
        ranked_before = ZERO
        for group in _by_rank((lien.rank, lien.loan_id, ZERO) for lien in on_it):
            keys = [key for key, _zero in group]
            pieces = share(remaining, [(key, uncovered[key]) for key in keys])
            for key in keys:
                covered[key] += pieces[key]
                uncovered[key] -= pieces[key]
                gross[key] += values[collateral_id].value
                prior[key] += ranked_before
                linked[key].append(collateral_id)
            remaining -= sum(pieces.values(), ZERO)
            ranked_before += sum((exposures[key] for key in keys), ZERO)
    return tuple(
        LoanCover(
            loan_id=loan_id,
            exposure=exposures[loan_id],
            value=gross[loan_id],
            prior=prior[loan_id],
            covered=covered[loan_id],
            shortfall=exposures[loan_id] - covered[loan_id],
            ltv=(exposures[loan_id] + prior[loan_id]) / gross[loan_id] if gross[loan_id] > ZERO else None,
            collaterals=tuple(linked[loan_id]),
        )
        for loan_id in sorted(uncovered)
    )


# --- the auction price sequence ---------------------------------------------------------------------------


class RoundResult(StrEnum):
    """How an auction round ended (``pending`` until it has)."""

    PENDING = "pending"
    SOLD = "sold"
    FAILED = "failed"  # 流拍
    WITHDRAWN = "withdrawn"  # 撤回: does not count as a round


@dataclass(frozen=True, slots=True)
class AuctionRound:
    """One round as held: its starting price (= reserve price), day, result and — when sold — the price."""

    starting_price: Decimal
    held_on: date
    result: RoundResult = RoundResult.PENDING
    sale_price: Decimal | None = None


class NextStep(StrEnum):
    """What a disposal may do next (``next_step``)."""

    FIRST_AUCTION = "first_auction"
    SECOND_AUCTION = "second_auction"  # or take in lieu at the first round's reserve price
    SALE = "sale"  # 变卖 at the second round's price, or take in lieu at it
    AWAIT_RESULT = "await_result"  # a round is pending
    DONE = "done"  # sold


def _up(amount: Decimal) -> Decimal:
    return amount.quantize(FEN, rounding=ROUND_UP)


def first_round_floor(appraisal: Decimal) -> Decimal:
    """The lowest legal first starting price, rounded up to the fen (70 % of the appraisal)."""
    return _up(_amount(appraisal, "appraisal") * FIRST_ROUND_MIN_RATIO)


def next_round_floor(previous_start: Decimal) -> Decimal:
    """The lowest legal starting price after a failed round at ``previous_start``, rounded up to the fen."""
    return _up(previous_start * (1 - MAX_CUT))


def counted(rounds: Sequence[AuctionRound]) -> list[AuctionRound]:
    """The rounds that count (withdrawn ones do not)."""
    return [item for item in rounds if item.result is not RoundResult.WITHDRAWN]


def next_step(rounds: Sequence[AuctionRound]) -> NextStep:
    """Where a disposal stands after ``rounds`` (in the order held)."""
    held = counted(rounds)
    if not held:
        return NextStep.FIRST_AUCTION
    last = held[-1]
    if last.result is RoundResult.PENDING:
        return NextStep.AWAIT_RESULT
    if last.result is RoundResult.SOLD:
        return NextStep.DONE
    return NextStep.SECOND_AUCTION if len(held) < ONLINE_ROUNDS else NextStep.SALE


def check_round(
    appraisal: Decimal, rounds: Sequence[AuctionRound], starting_price: Decimal, held_on: date
) -> int:
    """Refuse a new round that the rules do not allow; return its stage (1 = 一拍, 2 = 二拍)."""
    _amount(starting_price, "starting_price")
    step = next_step(rounds)
    if step is NextStep.AWAIT_RESULT:
        raise AuctionError("the previous round has no result yet", field="round")
    if step is NextStep.DONE:
        raise AuctionError("the collateral is already sold", field="round")
    if step is NextStep.SALE:
        raise AuctionError(
            f"online judicial auctions have {ONLINE_ROUNDS} rounds; after the second fails the asset is sold"
            " (变卖) or taken in lieu (以物抵债)",
            field="round",
        )
    if rounds and held_on < rounds[-1].held_on:
        raise AuctionError(
            f"round on {held_on} is before the previous round ({rounds[-1].held_on})", field="held_on"
        )
    held = counted(rounds)
    if not held:
        if starting_price < _amount(appraisal, "appraisal") * FIRST_ROUND_MIN_RATIO:
            raise AuctionError(
                f"first starting price {starting_price} is below 70 % of the appraisal {appraisal}"
                f" (at least {first_round_floor(appraisal)}; 网拍规定 第十条)",
                field="starting_price",
            )
        return 1
    previous = held[-1].starting_price
    if starting_price < previous * (1 - MAX_CUT):
        raise AuctionError(
            f"second starting price {starting_price} is more than 20 % below the first ({previous};"
            f" at least {next_round_floor(previous)}; 网拍规定 第二十六条)",
            field="starting_price",
        )
    return 2


def check_sold(item: AuctionRound, sale_price: Decimal) -> None:
    """A round sells at or above its starting price."""
    if sale_price < item.starting_price:
        raise AuctionError(
            f"sale price {sale_price} is below the round's starting price {item.starting_price}",
            field="sale_price",
        )


def transfer_price(rounds: Sequence[AuctionRound]) -> Decimal:
    """The price of a transfer in lieu (以物抵债): the reserve (= starting) price of the last failed round
    (拍卖变卖规定 第十六条 via 网拍规定 第三十七条)."""
    held = counted(rounds)
    if not held or held[-1].result is not RoundResult.FAILED:
        raise AuctionError("a transfer in lieu follows a failed round (流拍)", field="outcome")
    return held[-1].starting_price


def sale_floor(rounds: Sequence[AuctionRound]) -> Decimal:
    """The 变卖 price: the second round's starting price, once it failed ([V-sec])."""
    if next_step(rounds) is not NextStep.SALE:
        raise AuctionError("变卖 follows a failed second round", field="outcome")
    return counted(rounds)[-1].starting_price


@dataclass(frozen=True, slots=True)
class AuctionPlan:
    """The price floors of a disposal from an appraisal: the first round's and, if the first round starts at
    ``first_start`` (default: its floor), the second round's — which is also the 变卖 price."""

    appraisal: Decimal
    first_floor: Decimal
    first_start: Decimal
    second_floor: Decimal
    sale_price: Decimal
    reauction_days: int = REAUCTION_DAYS


def auction_plan(appraisal: Decimal, first_start: Decimal | None = None) -> AuctionPlan:
    """The floors from ``appraisal`` (and a chosen first starting price, checked)."""
    floor = first_round_floor(appraisal)
    start = floor if first_start is None else first_start
    if first_start is not None:
        check_round(appraisal, (), start, date.min)
    second = next_round_floor(start)
    return AuctionPlan(appraisal, floor, start, second, second)


# --- proceeds ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SecuredClaim:
    """What a secured loan is owed on the day, by component in the order of its waterfall (C5)."""

    loan_id: str
    rank: int
    owed: tuple[tuple[Component, Decimal], ...]

    @property
    def claim(self) -> Decimal:
        """The whole claim."""
        return sum((amount for _component, amount in self.owed), ZERO)


@dataclass(frozen=True, slots=True)
class LoanProceeds:
    """A loan's part of the proceeds: applied by component, and the deficiency left on it."""

    loan_id: str
    rank: int
    claim: Decimal
    applied: Decimal
    components: tuple[tuple[Component, Decimal], ...]

    @property
    def deficiency(self) -> Decimal:
        """What the proceeds do not pay of the claim (stays on the loan, unsecured)."""
        return self.claim - self.applied


@dataclass(frozen=True, slots=True)
class Proceeds:
    """The allocation of a disposal's proceeds (module docstring)."""

    gross: Decimal
    costs: Decimal
    net: Decimal
    loans: tuple[LoanProceeds, ...]
    surplus: Decimal


def owed_in_order(
    order: Sequence[Component], amounts: Mapping[Component, Decimal]
) -> tuple[tuple[Component, Decimal], ...]:
    """A loan's owed amounts as a waterfall: the components in ``order`` (C5), zero ones left out."""
    return tuple(
        (component, amounts[component]) for component in order if amounts.get(component, ZERO) > ZERO
    )


def allocate_proceeds(gross: Decimal, costs: Decimal, claims: Sequence[SecuredClaim]) -> Proceeds:
    """The net proceeds (``gross − costs``) to ``claims`` by rank, each through its waterfall (C5)."""
    _amount(gross, "sale_price")
    _amount(costs, "costs")
    if costs > gross:
        raise CollateralError(f"disposal costs {costs} exceed the price {gross}", field="costs")
    ids = [claim.loan_id for claim in claims]
    if len(set(ids)) != len(ids):
        raise CollateralError("a loan is listed twice among the secured claims", field="loan")
    for claim in claims:
        if claim.rank < 1:
            raise CollateralError(f"lien rank of loan {claim.loan_id} must be 1 or more", field="rank")
        for component, amount in claim.owed:
            _amount(amount, f"{component.value} owed on loan {claim.loan_id}")
    by_id = {claim.loan_id: claim for claim in claims}
    net = gross - costs
    remaining = net
    parts: list[LoanProceeds] = []
    for group in _by_rank((claim.rank, claim.loan_id, claim.claim) for claim in claims):
        pieces = share(remaining, group)
        remaining -= sum(pieces.values(), ZERO)
        for loan_id, _claim in group:
            claim = by_id[loan_id]
            steps = [Owed(None, None, component, amount) for component, amount in claim.owed]
            applied, _left = allocate(pieces[loan_id], steps)
            components = tuple((item.component, item.amount) for item in applied)
            parts.append(LoanProceeds(loan_id, claim.rank, claim.claim, pieces[loan_id], components))
    return Proceeds(gross=gross, costs=costs, net=net, loans=tuple(parts), surplus=remaining)
