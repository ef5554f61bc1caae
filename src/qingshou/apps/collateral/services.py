"""Use cases of the collateral app (issue 6). One transaction each; every change is an audit event
(``collateral.<verb>``, target the collateral or the disposal).

Who: ``collateral.manage_collateral`` (legal officer, supervisor, admin) and a role that writes; the loans
involved must be the user's to see (``accounts.scoping.can_see_borrower``) — a collateral outside the scope
does not exist (``Http404`` in the views, ``CollateralRefused`` here).

* ``register`` a collateral with the loans it secures (lien rank), ``link_loan`` another loan, ``appraise``.
* ``start_disposal`` from an appraisal (the latest by default), ``record_round`` (the domain checks the price:
  ≥ 70 % of the appraisal, then ≤ 20 % cut), ``record_failed`` / ``record_withdrawn`` a round's result.
* ``record_sale`` (in a round, or 变卖 after the second round failed) and ``transfer_in_lieu`` (以物抵债 at the
  last failed round's reserve price) close the disposal and **post the proceeds**: the price less the costs
  goes to the secured loans by rank, each capped at its payoff on the day (the quote), through
  ``loans.services.payments.post_payment`` as a cash payment ``collateral:<disposal>:<loan>`` — the ledger
  applies it by the loan's own waterfall (C5) — and the surplus is kept on the disposal for the owner. A second
  call with the same terms changes nothing (and says so); other terms are refused.
* ``record_surplus_returned`` and ``release`` (the collateral returned to the owner, no sale).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Final

from django.db import transaction

from qingshou import clock
from qingshou.apps.accounts.roles import role_of
from qingshou.apps.accounts.scoping import SEE_ALL, can_see_borrower, can_write
from qingshou.apps.audit.services import REASON_LENGTH, record
from qingshou.apps.collateral.models import (
    Appraisal,
    AuctionRound,
    Collateral,
    CollateralLoan,
    Disposal,
    ProceedsAllocation,
)
from qingshou.apps.loans import selectors as loan_selectors
from qingshou.apps.loans.models import Loan
from qingshou.apps.loans.services.payments import post_payment
from qingshou.domain import collateral as rules
from qingshou.domain.errors import DomainError
from qingshou.domain.money import ZERO, fen, from_fen, money_str
from qingshou.domain.policy import Component
from qingshou.domain.quote import Quote

MANAGE_PERMISSION: Final = "collateral.manage_collateral"
VIEW_PERMISSION: Final = "collateral.view_collateral"
#: The payment channel of the proceeds (``qs_payment.channel``).
PAYMENT_CHANNEL: Final = "collateral"


class CollateralRefused(DomainError):
    """A collateral use case the user or the data does not allow; ``field`` names the input."""

    code = "collateral_refused"


# --- who may ----------------------------------------------------------------------------------------------


def may_manage(user: Any) -> bool:
    """Whether ``user`` registers, appraises and disposes of collateral."""
    return can_write(user) and bool(user.has_perm(MANAGE_PERMISSION))


def _require_manager(user: Any) -> None:
    if not may_manage(user):
        raise CollateralRefused("your role does not manage collateral", field="user")


def sees_collateral(user: Any, collateral: Collateral) -> bool:
    """Whether ``user`` sees the collateral: every one for the see-all roles, else one of its loans'
    borrowers must be in scope."""
    if role_of(user) in SEE_ALL:
        return True
    borrowers = set(collateral.links.values_list("loan__borrower_id", flat=True))
    return any(can_see_borrower(user, borrower_id) for borrower_id in borrowers)


def _collateral(user: Any, collateral_id: int, *, lock: bool = False) -> Collateral:
    query = Collateral.objects.select_for_update() if lock else Collateral.objects.all()
    found = query.filter(pk=collateral_id).first()
    if found is None or not sees_collateral(user, found):
        raise CollateralRefused(f"collateral {collateral_id} is not in your scope", field="collateral")
    return found


def _loan(user: Any, loan_id: str) -> Loan:
    loan = Loan.objects.filter(loan_id=loan_id.strip()).first()
    if loan is None or not can_see_borrower(user, loan.borrower_id):
        raise CollateralRefused(f"loan {loan_id!r} is not in your scope", field="loan_id")
    return loan


def _not_future(day: date, name: str) -> None:
    today = clock.today()
    if day > today:
        raise CollateralRefused(f"{name} {day} is after today ({today})", field=name)


def _text(value: str, name: str, *, required: bool = True) -> str:
    text = value.strip()
    if required and not text:
        raise CollateralRefused(f"{name} is required", field=name)
    return text


def _money(value: Decimal, name: str) -> Decimal:
    if not value.is_finite() or value < 0 or value != value.quantize(Decimal("0.01")):
        raise CollateralRefused(
            f"{name} must be an amount in yuan with at most 2 decimals, not {value}", field=name
        )
    return value


# --- the register -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Registration:
    """What ``register`` needs (``loans``: loan id and lien rank)."""

    kind: str
    description: str
    owner_name: str
    loans: Sequence[tuple[str, int]]
    owner_id_number: str = ""
    third_party: bool = False
    lien_number: str = ""
    lien_authority: str = ""
    lien_registered_on: date | None = None


def register(user: Any, data: Registration) -> Collateral:
    """Register a collateral securing ``data.loans`` (at least one, each in scope, rank ≥ 1)."""
    _require_manager(user)
    kind = rules.parse_kind(data.kind)
    if not data.loans:
        raise CollateralRefused("name at least one loan the collateral secures", field="loans")
    loans = [(_loan(user, loan_id), _rank(rank)) for loan_id, rank in data.loans]
    if len({loan.loan_id for loan, _rank_ in loans}) != len(loans):
        raise CollateralRefused("a loan is listed twice", field="loans")
    if data.lien_registered_on is not None:
        _not_future(data.lien_registered_on, "lien_registered_on")
    with transaction.atomic():
        collateral = Collateral.objects.create(
            kind=kind.value,
            description=_text(data.description, "description"),
            owner_name=_text(data.owner_name, "owner_name"),
            owner_id_number=data.owner_id_number.strip(),
            third_party=data.third_party,
            lien_number=data.lien_number.strip(),
            lien_authority=data.lien_authority.strip(),
            lien_registered_on=data.lien_registered_on,
            registered_by=user,
        )
        for loan, rank in loans:
            CollateralLoan.objects.create(collateral=collateral, loan=loan, rank=rank)
        record(
            user,
            "collateral.register",
            collateral,
            detail={"kind": kind.value, "loans": [[loan.loan_id, rank] for loan, rank in loans]},
        )
    return collateral


def _rank(rank: int) -> int:
    if rank < 1:
        raise CollateralRefused(f"the lien rank is 1 or more, not {rank}", field="rank")
    return rank


def link_loan(user: Any, collateral_id: int, loan_id: str, rank: int) -> CollateralLoan:
    """Add a loan the collateral secures (refused when already linked)."""
    _require_manager(user)
    with transaction.atomic():
        collateral = _collateral(user, collateral_id, lock=True)
        loan = _loan(user, loan_id)
        if CollateralLoan.objects.filter(collateral=collateral, loan=loan).exists():
            raise CollateralRefused(
                f"loan {loan.loan_id} is already secured by this collateral", field="loan_id"
            )
        link = CollateralLoan.objects.create(collateral=collateral, loan=loan, rank=_rank(rank))
        record(user, "collateral.link", collateral, detail={"loan_id": loan.loan_id, "rank": rank})
    return link


def appraise(
    user: Any, collateral_id: int, *, appraised_on: date, value: Decimal, appraiser: str, method: str = ""
) -> Appraisal:
    """Record an appraisal (or reference price) of the collateral."""
    _require_manager(user)
    _not_future(appraised_on, "appraised_on")
    amount = _money(value, "value")
    with transaction.atomic():
        collateral = _collateral(user, collateral_id, lock=True)
        appraisal = Appraisal.objects.create(
            collateral=collateral,
            appraised_on=appraised_on,
            value_fen=fen(amount),
            appraiser=_text(appraiser, "appraiser"),
            method=method.strip(),
            recorded_by=user,
        )
        record(
            user,
            "collateral.appraise",
            collateral,
            detail={
                "appraised_on": appraised_on.isoformat(),
                "value": money_str(amount),
                "appraiser": appraiser,
            },
        )
    return appraisal


def latest_appraisal(collateral: Collateral) -> Appraisal | None:
    """The appraisal with the latest date (then the latest recorded)."""
    return collateral.appraisals.order_by("-appraised_on", "-pk").first()


# --- disposal ---------------------------------------------------------------------------------------------


def start_disposal(
    user: Any, collateral_id: int, *, started_on: date, appraisal_id: int | None = None
) -> Disposal:
    """Open the disposal of a collateral from an appraisal (the latest by default)."""
    _require_manager(user)
    _not_future(started_on, "started_on")
    with transaction.atomic():
        collateral = _collateral(user, collateral_id, lock=True)
        if collateral.status != Collateral.Status.ACTIVE:
            raise CollateralRefused(f"collateral {collateral.pk} is {collateral.status}", field="collateral")
        if not collateral.links.exists():
            raise CollateralRefused("the collateral secures no loan", field="collateral")
        if appraisal_id is None:
            appraisal = latest_appraisal(collateral)
        else:
            appraisal = collateral.appraisals.filter(pk=appraisal_id).first()
        if appraisal is None:
            raise CollateralRefused("appraise the collateral before disposing of it", field="appraisal")
        disposal = Disposal.objects.create(
            collateral=collateral, started_on=started_on, appraisal=appraisal, started_by=user
        )
        collateral.status = Collateral.Status.DISPOSING
        collateral.save(update_fields=["status"])
        record(
            user,
            "collateral.dispose",
            disposal,
            detail={
                "collateral": collateral.pk,
                "appraisal": appraisal.pk,
                "started_on": started_on.isoformat(),
            },
        )
    return disposal


def _open_disposal(user: Any, disposal_id: int) -> Disposal:
    disposal = Disposal.objects.select_for_update().filter(pk=disposal_id).first()
    if disposal is None or not sees_collateral(user, disposal.collateral):
        raise CollateralRefused(f"disposal {disposal_id} is not in your scope", field="disposal")
    return disposal


def domain_rounds(disposal: Disposal) -> list[rules.AuctionRound]:
    """The disposal's rounds as the domain's values, in the order held."""
    return [
        rules.AuctionRound(
            starting_price=from_fen(item.starting_price_fen),
            held_on=item.held_on,
            result=rules.RoundResult(item.result),
            sale_price=from_fen(item.sale_price_fen) if item.sale_price_fen is not None else None,
        )
        for item in disposal.rounds.order_by("number")
    ]


def _require_open(disposal: Disposal) -> None:
    if disposal.status != Disposal.Status.OPEN:
        raise CollateralRefused(f"disposal {disposal.pk} is {disposal.status}", field="disposal")


def record_round(user: Any, disposal_id: int, *, starting_price: Decimal, held_on: date) -> AuctionRound:
    """Schedule (or record) the next auction round at ``starting_price``; the domain refuses an illegal price."""
    _require_manager(user)
    price = _money(starting_price, "starting_price")
    with transaction.atomic():
        disposal = _open_disposal(user, disposal_id)
        _require_open(disposal)
        if held_on < disposal.started_on:
            raise CollateralRefused(f"round on {held_on} is before the disposal started", field="held_on")
        rounds = domain_rounds(disposal)
        stage = rules.check_round(from_fen(disposal.appraisal.value_fen), rounds, price, held_on)
        item = AuctionRound.objects.create(
            disposal=disposal,
            number=len(rounds) + 1,
            stage=stage,
            starting_price_fen=fen(price),
            held_on=held_on,
        )
        record(
            user,
            "collateral.round",
            disposal,
            detail={
                "round": item.number,
                "stage": stage,
                "starting_price": money_str(price),
                "held_on": held_on.isoformat(),
            },
        )
    return item


def _pending_round(disposal: Disposal) -> AuctionRound:
    last = disposal.rounds.order_by("-number").first()
    if last is None or last.result != AuctionRound.Result.PENDING:
        raise CollateralRefused("the disposal has no pending round", field="round")
    return last


def _close_round(user: Any, disposal_id: int, result: str) -> AuctionRound:
    _require_manager(user)
    with transaction.atomic():
        disposal = _open_disposal(user, disposal_id)
        _require_open(disposal)
        item = _pending_round(disposal)
        _not_future(item.held_on, "held_on")
        item.result = result
        item.save(update_fields=["result"])
        record(user, f"collateral.round_{result}", disposal, detail={"round": item.number})
    return item


def record_failed(user: Any, disposal_id: int) -> AuctionRound:
    """The pending round failed (流拍): nobody bid."""
    return _close_round(user, disposal_id, AuctionRound.Result.FAILED)


def record_withdrawn(user: Any, disposal_id: int) -> AuctionRound:
    """The pending round was withdrawn (撤回); it does not count."""
    return _close_round(user, disposal_id, AuctionRound.Result.WITHDRAWN)


# --- proceeds ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Outcome:
    """What closing a disposal did: the domain's allocation, the payments posted and whether it was new."""

    disposal: Disposal
    proceeds: rules.Proceeds
    payment_ids: tuple[str, ...]
    created: bool

    def as_json(self) -> dict[str, Any]:
        """Plain JSON (decimal strings)."""
        return {
            "disposal": self.disposal.pk,
            "status": self.disposal.status,
            "created": self.created,
            "price": money_str(self.proceeds.gross),
            "costs": money_str(self.proceeds.costs),
            "net": money_str(self.proceeds.net),
            "surplus": money_str(self.proceeds.surplus),
            "loans": [
                {
                    "loan_id": part.loan_id,
                    "rank": part.rank,
                    "claim": money_str(part.claim),
                    "applied": money_str(part.applied),
                    "deficiency": money_str(part.deficiency),
                }
                for part in self.proceeds.loans
            ],
            "payment_ids": list(self.payment_ids),
        }


def owed_of(quote: Quote, order: Sequence[Component]) -> tuple[tuple[Component, Decimal], ...]:
    """What a loan owes on the quote's day by component, in its waterfall ``order`` (C5), summing to the
    payoff: interest is the overdue and accrued interest; an unapplied credit reduces the last components."""
    known = (
        quote.costs
        + quote.fees
        + quote.penalty_interest
        + quote.compound_interest
        + quote.outstanding_principal
    )
    amounts = {
        Component.COSTS: quote.costs,
        Component.FEES: quote.fees,
        Component.PENALTY: quote.penalty_interest,
        Component.COMPOUND: quote.compound_interest,
        Component.INTEREST: max(quote.payoff_amount + quote.unapplied_credit - known, ZERO),
        Component.PRINCIPAL: quote.outstanding_principal,
    }
    excess = sum(amounts.values(), ZERO) - quote.payoff_amount
    for component in reversed(order):
        if excess <= ZERO:
            break
        cut = min(excess, amounts[component])
        amounts[component] -= cut
        excess -= cut
    return rules.owed_in_order(order, amounts)


def claims_of(disposal: Disposal, day: date) -> list[rules.SecuredClaim]:
    """Each secured loan's claim on ``day`` (the quote's payoff, by component) with its lien rank."""
    calendar = loan_selectors.business_calendar()
    claims = []
    for link in disposal.collateral.links.order_by("rank", "loan_id"):
        facts = loan_selectors.loan_facts(link.loan_id)
        quote = loan_selectors.quote_facts(facts, day, calendar)
        claims.append(rules.SecuredClaim(link.loan_id, link.rank, owed_of(quote, facts.policy.waterfall)))
    return claims


def _stored_outcome(disposal: Disposal) -> Outcome:
    rows = list(disposal.allocations.order_by("rank", "loan_id"))
    price = from_fen(disposal.price_fen or 0)
    costs = from_fen(disposal.costs_fen)
    parts = tuple(
        rules.LoanProceeds(row.loan_id, row.rank, from_fen(row.claim_fen), from_fen(row.applied_fen), ())
        for row in rows
    )
    proceeds = rules.Proceeds(price, costs, price - costs, parts, from_fen(disposal.surplus_fen))
    return Outcome(disposal, proceeds, tuple(row.payment_id for row in rows if row.payment_id), created=False)


def _same_close(disposal: Disposal, status: str, price: Decimal, costs: Decimal, day: date) -> Outcome:
    same = (
        disposal.status == status
        and disposal.price_fen == fen(price)
        and disposal.costs_fen == fen(costs)
        and disposal.closed_on == day
    )
    if not same:
        raise CollateralRefused(
            f"disposal {disposal.pk} is already {disposal.status} on {disposal.closed_on} with other terms",
            field="disposal",
        )
    return _stored_outcome(disposal)


def _post_proceeds(disposal: Disposal, price: Decimal, costs: Decimal, day: date) -> Outcome:
    proceeds = rules.allocate_proceeds(price, costs, claims_of(disposal, day))
    payment_ids = []
    for part in proceeds.loans:
        payment_id = disposal.payment_id(part.loan_id) if part.applied > ZERO else ""
        if payment_id:
            post_payment(part.loan_id, payment_id, part.applied, day, channel=PAYMENT_CHANNEL)
            payment_ids.append(payment_id)
        ProceedsAllocation.objects.create(
            disposal=disposal,
            loan_id=part.loan_id,
            rank=part.rank,
            claim_fen=fen(part.claim),
            applied_fen=fen(part.applied),
            deficiency_fen=fen(part.deficiency),
            payment_id=payment_id,
        )
    return Outcome(disposal, proceeds, tuple(payment_ids), created=True)


def _close(
    user: Any,
    disposal: Disposal,
    *,
    status: str,
    price: Decimal,
    costs: Decimal,
    day: date,
    buyer: str,
    via: str,
) -> Outcome:
    outcome = _post_proceeds(disposal, price, costs, day)
    disposal.status = status
    disposal.closed_on = day
    disposal.price_fen = fen(price)
    disposal.costs_fen = fen(costs)
    disposal.buyer = buyer
    disposal.sold_via = via
    disposal.surplus_fen = fen(outcome.proceeds.surplus)
    disposal.save()
    collateral = disposal.collateral
    collateral.status = Collateral.Status.DISPOSED
    collateral.save(update_fields=["status"])
    record(user, f"collateral.{status}", disposal, detail=outcome.as_json())
    return outcome


def record_sale(
    user: Any,
    disposal_id: int,
    *,
    price: Decimal,
    sold_on: date,
    costs: Decimal = ZERO,
    buyer: str = "",
    via: str = "auction",
) -> Outcome:
    """The collateral sold — in the pending round (``via="auction"``, at or above its starting price) or by
    变卖 after the second round failed (``via="sale"``, at or above the second round's price): the proceeds
    are posted (module docstring). The same sale again changes nothing."""
    _require_manager(user)
    price, costs = _money(price, "price"), _money(costs, "costs")
    _not_future(sold_on, "sold_on")
    if via not in ("auction", "sale"):
        raise CollateralRefused(f"a sale is via auction or sale, not {via!r}", field="via")
    with transaction.atomic():
        disposal = _open_disposal(user, disposal_id)
        if disposal.status != Disposal.Status.OPEN:
            return _same_close(disposal, Disposal.Status.SOLD, price, costs, sold_on)
        if via == "auction":
            item = _pending_round(disposal)
            rules.check_sold(domain_rounds(disposal)[-1], price)
            if sold_on < item.held_on:
                raise CollateralRefused(
                    f"sold on {sold_on}, before the round ({item.held_on})", field="sold_on"
                )
            item.result, item.sale_price_fen = AuctionRound.Result.SOLD, fen(price)
            item.save(update_fields=["result", "sale_price_fen"])
        else:
            floor = rules.sale_floor(domain_rounds(disposal))
            if price < floor:
                raise rules.AuctionError(
                    f"变卖 price {price} is below the second round's price {floor}", field="price"
                )
        return _close(
            user,
            disposal,
            status=Disposal.Status.SOLD,
            price=price,
            costs=costs,
            day=sold_on,
            buyer=buyer,
            via=via,
        )


def transfer_in_lieu(
    user: Any, disposal_id: int, *, transferred_on: date, taker: str, costs: Decimal = ZERO
) -> Outcome:
    """以物抵债: the creditor takes the collateral at the last failed round's reserve price (the domain's
    ``transfer_price``); the value is posted like sale proceeds. The same transfer again changes nothing."""
    _require_manager(user)
    costs = _money(costs, "costs")
    _not_future(transferred_on, "transferred_on")
    with transaction.atomic():
        disposal = _open_disposal(user, disposal_id)
        price = rules.transfer_price(domain_rounds(disposal))
        if disposal.status != Disposal.Status.OPEN:
            return _same_close(disposal, Disposal.Status.TRANSFERRED, price, costs, transferred_on)
        return _close(
            user,
            disposal,
            status=Disposal.Status.TRANSFERRED,
            price=price,
            costs=costs,
            day=transferred_on,
            buyer=_text(taker, "taker"),
            via="",
        )


def record_surplus_returned(user: Any, disposal_id: int, *, returned_on: date, reference: str) -> Disposal:
    """The surplus of a closed disposal paid back to the owner (once)."""
    _require_manager(user)
    _not_future(returned_on, "returned_on")
    with transaction.atomic():
        disposal = _open_disposal(user, disposal_id)
        if (
            disposal.status not in (Disposal.Status.SOLD, Disposal.Status.TRANSFERRED)
            or disposal.surplus_fen <= 0
        ):
            raise CollateralRefused(f"disposal {disposal.pk} has no surplus to return", field="disposal")
        if disposal.surplus_returned_on is not None:
            raise CollateralRefused(
                f"the surplus was returned on {disposal.surplus_returned_on}", field="returned_on"
            )
        if returned_on < (disposal.closed_on or returned_on):
            raise CollateralRefused("the surplus is returned after the disposal closed", field="returned_on")
        disposal.surplus_returned_on = returned_on
        disposal.surplus_reference = _text(reference, "reference")
        disposal.save(update_fields=["surplus_returned_on", "surplus_reference"])
        record(
            user,
            "collateral.surplus_returned",
            disposal,
            detail={
                "surplus": money_str(from_fen(disposal.surplus_fen)),
                "returned_on": returned_on.isoformat(),
            },
        )
    return disposal


#: The owner's personal data a permitted user may reveal (masked everywhere else, ``domain.privacy``).
OWNER_FIELDS: Final = ("owner_name", "owner_id_number")
REVEAL_PERMISSION: Final = "accounts.reveal_pii"


def reveal_owner(user: Any, collateral_id: int, field: str, reason: str, *, ip: str | None = None) -> str:
    """The owner's name or ID number in clear, audited (action ``reveal``, as for a borrower): the collateral in
    scope, ``accounts.reveal_pii`` and a reason."""
    if field not in OWNER_FIELDS:
        raise CollateralRefused(f"{field} is not personal data of the owner", field="field")
    collateral = _collateral(user, collateral_id)
    if not user.has_perm(REVEAL_PERMISSION):
        raise CollateralRefused("you are not allowed to reveal personal data", field="user")
    note = reason.strip()
    if not note or len(note) > REASON_LENGTH:
        raise CollateralRefused(f"give the reason (at most {REASON_LENGTH} characters)", field="reason")
    with transaction.atomic():
        record(user, "reveal", collateral, detail={"field": field}, reason=note, ip=ip)
    return str(getattr(collateral, field))


def release(user: Any, collateral_id: int, *, released_on: date, reason: str) -> Collateral:
    """Release the collateral to its owner (loans repaid, or the disposal ended without sale or transfer):
    an open disposal is closed as released."""
    _require_manager(user)
    _not_future(released_on, "released_on")
    note = _text(reason, "reason")
    with transaction.atomic():
        collateral = _collateral(user, collateral_id, lock=True)
        if collateral.status in (Collateral.Status.DISPOSED, Collateral.Status.RELEASED):
            raise CollateralRefused(f"collateral {collateral.pk} is {collateral.status}", field="collateral")
        Disposal.objects.filter(collateral=collateral, status=Disposal.Status.OPEN).update(
            status=Disposal.Status.RELEASED, closed_on=released_on
        )
        collateral.status = Collateral.Status.RELEASED
        collateral.save(update_fields=["status"])
        record(
            user,
            "collateral.release",
            collateral,
            detail={"released_on": released_on.isoformat()},
            reason=note[:REASON_LENGTH],
        )
    return collateral
