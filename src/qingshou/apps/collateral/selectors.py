"""Read side of the collateral pages: what a user may see (the collateral of loans whose borrower has a case in
their scope; every collateral for the see-all roles), a collateral's page data, a case's collateral, the
latest loan-to-value rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, QuerySet

from qingshou.apps.accounts.roles import role_of
from qingshou.apps.accounts.scoping import SEE_ALL, visible_cases
from qingshou.apps.cases.models import Case
from qingshou.apps.collateral import services
from qingshou.apps.collateral.models import (
    Appraisal,
    AuctionRound,
    Collateral,
    CollateralLoan,
    Disposal,
    LoanToValue,
)
from qingshou.domain import collateral as rules
from qingshou.domain.money import from_fen


def visible_collateral(user: Any) -> QuerySet[Collateral]:
    """The collateral ``user`` sees (row-level scope through the borrowers' cases)."""
    if not user.has_perm(services.VIEW_PERMISSION):
        return Collateral.objects.none()
    if role_of(user) in SEE_ALL:
        return Collateral.objects.all()
    borrowers = visible_cases(user).values("borrower_id")
    ids = CollateralLoan.objects.filter(loan__borrower_id__in=borrowers).values("collateral_id")
    return Collateral.objects.filter(pk__in=ids)


def register_rows(user: Any, *, status: str | None = None, limit: int = 500) -> list[Collateral]:
    """The register as the user sees it, newest first, with loans and appraisals (3 queries)."""
    query = visible_collateral(user).order_by("-registered_at", "-pk")
    if status:
        query = query.filter(status=status)
    return list(
        query.prefetch_related(
            Prefetch("links", queryset=CollateralLoan.objects.order_by("rank", "loan_id")),
            Prefetch("appraisals", queryset=Appraisal.objects.order_by("-appraised_on", "-pk")),
        )[:limit]
    )


def latest_ltv(loan_ids: list[str]) -> dict[str, LoanToValue]:
    """Each loan's latest loan-to-value row (one query)."""
    rows = LoanToValue.objects.filter(loan_id__in=loan_ids).order_by("loan_id", "-as_of")
    latest: dict[str, LoanToValue] = {}
    for row in rows:
        latest.setdefault(row.loan_id, row)
    return latest


@dataclass(frozen=True, slots=True)
class DisposalView:
    """A disposal with its rounds, allocations, what may come next and the price floors."""

    disposal: Disposal
    rounds: list[AuctionRound]
    next_step: str
    next_floor: str | None
    transfer_price: str | None


def disposal_view(disposal: Disposal) -> DisposalView:
    """The disposal as the page shows it (floors from the domain, as yuan strings)."""
    rounds = list(disposal.rounds.order_by("number"))
    values = services.domain_rounds(disposal)
    step = rules.next_step(values)
    appraisal = from_fen(disposal.appraisal.value_fen)
    floor: str | None = None
    held = rules.counted(values)
    if step is rules.NextStep.FIRST_AUCTION:
        floor = str(rules.first_round_floor(appraisal))
    elif step is rules.NextStep.SECOND_AUCTION:
        floor = str(rules.next_round_floor(held[-1].starting_price))
    elif step is rules.NextStep.SALE:
        floor = str(rules.sale_floor(values))
    transfer = str(held[-1].starting_price) if held and held[-1].result is rules.RoundResult.FAILED else None
    open_ = disposal.status == Disposal.Status.OPEN
    return DisposalView(
        disposal,
        rounds,
        step.value if open_ else "closed",
        floor if open_ else None,
        transfer if open_ else None,
    )


def collateral_page(collateral: Collateral) -> dict[str, Any]:
    """What the collateral page shows."""
    links = list(collateral.links.select_related("loan").order_by("rank", "loan_id"))
    disposals = [
        disposal_view(item)
        for item in collateral.disposals.select_related("appraisal")
        .prefetch_related("allocations")
        .order_by("-pk")
    ]
    return {
        "collateral": collateral,
        "links": links,
        "appraisals": list(
            collateral.appraisals.select_related("recorded_by").order_by("-appraised_on", "-pk")
        ),
        "ltv": latest_ltv([link.loan_id for link in links]),
        "disposals": disposals,
        "open_disposal": next(
            (view for view in disposals if view.disposal.status == Disposal.Status.OPEN), None
        ),
        "haircut": services_haircut(collateral),
    }


def services_haircut(collateral: Collateral) -> str:
    """The haircut of the collateral's kind as a percentage string."""
    from qingshou.apps.collateral.eod import haircuts

    cut = haircuts()[rules.parse_kind(collateral.kind)]
    return f"{(cut * 100).normalize():f}%"


def case_collateral(case: Case) -> tuple[list[Collateral], dict[str, LoanToValue]]:
    """The collateral securing the loans of the case's borrower, with the loans' latest LTV rows."""
    ids = CollateralLoan.objects.filter(loan__borrower_id=case.borrower_id).values("collateral_id")
    items = list(
        Collateral.objects.filter(pk__in=ids)
        .prefetch_related(
            Prefetch("links", queryset=CollateralLoan.objects.order_by("rank", "loan_id")),
            Prefetch("appraisals", queryset=Appraisal.objects.order_by("-appraised_on", "-pk")),
        )
        .order_by("pk")
    )
    loan_ids = sorted({link.loan_id for item in items for link in item.links.all()})
    return items, latest_ltv(loan_ids)
