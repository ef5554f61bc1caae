"""Use cases of the agencies app (委外, issue 6): one transaction each, every change audited.

| service | what |
| --- | --- |
| ``create_contract`` / ``renew_contract`` | a contract (tiers validated by ``domain.agencies.parse_tiers``); a renewal needs a passed evaluation within the renewal window and none overdue (C8) |
| ``evaluate`` | an evaluation of a contract (score, passed) |
| ``place`` | a supervisor places one case with an agency (manual) |
| ``place_by_rules`` | the day's ``agency_placement`` proposals (or given cases) placed by rules, capacity and past performance, champion / challenger split (``domain.agencies.choose_placements``) |
| ``recall`` | a supervisor recalls a placement before its term ends |
| ``recall_due`` | the placements whose term ended (or whose case closed) by a day; the EOD step does the same in SQL |
| ``add_complaint`` | a complaint on a placement (ranking) |
| ``commission_statement`` | the commission of a month from the cash posted during each placement, stored as rows |
| ``ranking`` | recovery rate by agency and cohort, complaints (``domain.agencies.rank``) |

A placement sets ``Case.agency`` (which scoping reads: the agency's users see the case) and clears the case's
collector and lock; a recall clears ``Case.agency`` so every page, API call and document of the case answers
404 to the agency's users from then on. A placement covers the days ``placed_on`` … ``term_ends_on``
(``placed_on + term_days − 1``) or up to its recall day; cash payments on the borrower's loans posted on those
days are its recoveries. A case can be placed again only after its last placement ended, so recoveries are
never counted for two placements.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any, Final

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from qingshou.apps.accounts.models import Agency
from qingshou.apps.accounts.scoping import case_for, visible_cases
from qingshou.apps.agencies.models import AgencyContract, CommissionRow, Complaint, Evaluation, Placement
from qingshou.apps.audit.services import record
from qingshou.apps.cases.models import Action, Case
from qingshou.apps.eod.models import LoanStatus
from qingshou.apps.loans.models import Payment
from qingshou.domain import agencies as rules
from qingshou.domain.agencies import AgencyError
from qingshou.domain.money import fen, from_fen

PLACE: Final = "agencies.place_cases"
MANAGE: Final = "agencies.manage_agencies"
#: Champion / challenger share of placement by rules (basis points) when the caller gives none.
DEFAULT_CHALLENGER_SHARE: Final = 2_000


def _require(user: Any, permission: str) -> None:
    if user is not None and not user.has_perm(permission):
        raise PermissionDenied(f"missing permission {permission}")


# --- contracts and evaluations --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ContractInput:
    """What a new contract says (money and rates as decimal strings inside ``tiers``)."""

    agency_id: str
    number: str
    licence: str
    starts_on: date
    ends_on: date
    capacity: int
    tiers: dict[str, Any]
    qualifications: str = ""
    white_listed: bool = True
    buckets: tuple[str, ...] = ()
    term_days: int = 90


def _validate_contract(data: ContractInput) -> None:
    rules.parse_tiers(data.tiers)
    if not data.number.strip():
        raise AgencyError("contract number is required", field="number")
    if not data.licence.strip():
        raise AgencyError("business licence number is required", field="licence")
    if data.ends_on < data.starts_on:
        raise AgencyError("the contract ends before it starts", field="ends_on")
    if data.capacity < 0:
        raise AgencyError("capacity cannot be negative", field="capacity")
    if data.term_days <= 0:
        raise AgencyError("the placement term must be at least one day", field="term_days")
    unknown = [b for b in data.buckets if b not in rules.BUCKETS]
    if unknown:
        raise AgencyError(f"unknown buckets: {', '.join(unknown)}", field="buckets")
    if not Agency.objects.filter(pk=data.agency_id).exists():
        raise AgencyError(f"no agency {data.agency_id!r}", field="agency")
    if AgencyContract.objects.filter(number=data.number).exists():
        raise AgencyError(f"contract {data.number!r} exists already", field="number")


def _new_contract(data: ContractInput, renews: AgencyContract | None = None) -> AgencyContract:
    return AgencyContract.objects.create(
        agency_id=data.agency_id,
        number=data.number.strip(),
        licence=data.licence.strip(),
        qualifications=data.qualifications,
        white_listed=data.white_listed,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        capacity=data.capacity,
        buckets=",".join(data.buckets),
        term_days=data.term_days,
        tiers=rules.parse_tiers(data.tiers).as_data(),
        renews=renews,
    )


def create_contract(user: Any, data: ContractInput) -> AgencyContract:
    """Register a contract (validated; audited ``agency.contract``)."""
    _require(user, MANAGE)
    with transaction.atomic():
        _validate_contract(data)
        contract = _new_contract(data)
        record(user, "agency.contract", contract, detail={"agency": data.agency_id, "number": data.number})
    return contract


def _records(contract: AgencyContract) -> list[rules.EvaluationRecord]:
    return [rules.EvaluationRecord(e.evaluated_on, e.passed) for e in contract.evaluations.all()]


def evaluation_state(contract: AgencyContract, on: date) -> rules.EvaluationState:
    """The contract's evaluation state on ``on`` (the evaluations of the contract it renews count too)."""
    records = _records(contract)
    if contract.renews_id is not None:
        records += _records(AgencyContract.objects.get(pk=contract.renews_id))
    start = contract.renews.starts_on if contract.renews is not None else contract.starts_on
    return rules.evaluation_state(start, records, on)


def evaluate(user: Any, contract_id: int, on: date, score: int, passed: bool, notes: str = "") -> Evaluation:
    """Record an evaluation of a contract (audited ``agency.evaluate``)."""
    _require(user, MANAGE)
    if not 0 <= score <= 100:
        raise AgencyError(f"score must be 0..100, got {score}", field="score")
    with transaction.atomic():
        contract = AgencyContract.objects.filter(pk=contract_id).first()
        if contract is None:
            raise AgencyError(f"no contract {contract_id}", field="contract")
        if on < contract.starts_on:
            raise AgencyError("an evaluation cannot precede the contract", field="evaluated_on")
        evaluation = Evaluation.objects.create(
            contract=contract,
            evaluated_on=on,
            score=score,
            passed=passed,
            notes=notes,
            evaluated_by=user if getattr(user, "is_authenticated", False) else None,
        )
        record(user, "agency.evaluate", evaluation, detail={"score": score, "passed": passed})
    return evaluation


def renew_contract(user: Any, contract_id: int, on: date, number: str, ends_on: date) -> AgencyContract:
    """Renew a contract from ``on`` to ``ends_on`` under a new number (same terms). Refused while its
    evaluation is overdue or failed, or without a passed evaluation within the renewal window (C8)."""
    _require(user, MANAGE)
    with transaction.atomic():
        old = AgencyContract.objects.select_related("renews").filter(pk=contract_id).first()
        if old is None:
            raise AgencyError(f"no contract {contract_id}", field="contract")
        records = _records(old)
        if old.renews_id is not None:
            records += _records(AgencyContract.objects.get(pk=old.renews_id))
        blocker = rules.renewal_blocker(old.starts_on, records, on)
        if blocker is not None:
            raise AgencyError(f"contract {old.number} cannot be renewed: {blocker}", field="evaluation")
        data = ContractInput(
            agency_id=old.agency_id,
            number=number,
            licence=old.licence,
            starts_on=on,
            ends_on=ends_on,
            capacity=old.capacity,
            tiers=dict(old.tiers),
            qualifications=old.qualifications,
            white_listed=old.white_listed,
            buckets=tuple(sorted(old.bucket_set())),
            term_days=old.term_days,
        )
        _validate_contract(data)
        contract = _new_contract(data, renews=old)
        record(user, "agency.renew", contract, detail={"renews": old.number, "ends_on": ends_on.isoformat()})
    return contract


# --- recoveries ------------------------------------------------------------------------------------------


def with_recovery(
    placements: QuerySet[Placement], *, since: date | None = None, until: date | None = None
) -> QuerySet[Any]:
    """Annotate ``recovered_fen``: the cash posted on the borrower's loans during each placement (and from
    ``since`` / up to ``until`` when given)."""
    payments = Payment.objects.filter(
        loan__borrower_id=OuterRef("case__borrower_id"),
        kind="cash",
        paid_on__gte=OuterRef("placed_on"),
        paid_on__lte=Coalesce(OuterRef("recalled_on"), OuterRef("term_ends_on")),
    )
    if since is not None:
        payments = payments.filter(paid_on__gte=since)
    if until is not None:
        payments = payments.filter(paid_on__lte=until)
    total = payments.order_by().values("loan__borrower_id").annotate(total=Sum("amount_fen")).values("total")
    return placements.annotate(recovered_fen=Coalesce(Subquery(total), Value(0)))


def _performance(on: date) -> dict[str, Fraction]:
    """Each agency's recovery rate over its placements made before ``on`` (recovered / balance)."""
    rows = with_recovery(Placement.objects.filter(placed_on__lt=on), until=on - timedelta(days=1)).values(
        "agency_id", "balance_fen", "recovered_fen"
    )
    balance: dict[str, int] = {}
    recovered: dict[str, int] = {}
    for row in rows:
        balance[row["agency_id"]] = balance.get(row["agency_id"], 0) + row["balance_fen"]
        recovered[row["agency_id"]] = recovered.get(row["agency_id"], 0) + row["recovered_fen"]
    return {a: Fraction(recovered[a], balance[a]) for a in balance if balance[a] > 0}


def candidates(on: date) -> list[rules.Candidate]:
    """The contracts in force on ``on`` of active agencies as placement sees them (one per agency: the
    latest started)."""
    contracts = (
        AgencyContract.objects.filter(agency__active=True, starts_on__lte=on, ends_on__gte=on)
        .select_related("renews")
        .prefetch_related("evaluations")
        .order_by("agency_id", "-starts_on", "-pk")
    )
    open_by_agency = open_placements_by_agency()
    performance = _performance(on)
    found: list[rules.Candidate] = []
    seen: set[str] = set()
    for contract in contracts:
        if contract.agency_id in seen:
            continue
        seen.add(contract.agency_id)
        found.append(
            rules.Candidate(
                agency_id=contract.agency_id,
                contract_id=contract.pk,
                white_listed=contract.white_listed,
                starts_on=contract.starts_on,
                ends_on=contract.ends_on,
                buckets=contract.bucket_set(),
                capacity=contract.capacity,
                open_placements=open_by_agency.get(contract.agency_id, 0),
                evaluation=evaluation_state(contract, on),
                recovery_rate=performance.get(contract.agency_id),
            )
        )
    return found


# --- placement and recall --------------------------------------------------------------------------------


def _case_facts(case: Case) -> tuple[str, int]:
    """The case's bucket and balance (the borrower's total overdue) from the lead loan's latest status."""
    row = (
        LoanStatus.objects.filter(loan_id=case.lead_loan_id)
        .values_list("bucket", "borrower_total_overdue_fen")
        .first()
    )
    if row is None:
        raise AgencyError(f"case {case.pk} has no EOD status yet", field="case")
    return str(row[0]), int(row[1])


def _check_placeable(case: Case, on: date) -> None:
    if case.status != Case.Status.OPEN:
        raise AgencyError(f"case {case.pk} is not open", field="case")
    if Placement.objects.filter(case=case, status=Placement.Status.ACTIVE).exists():
        raise AgencyError(f"case {case.pk} is placed already", field="case")
    last = Placement.objects.filter(case=case).order_by("-placed_on", "-pk").first()
    if last is not None and on <= last.ends_on:
        raise AgencyError(
            f"case {case.pk} can be placed again only after {last.ends_on.isoformat()}", field="placed_on"
        )


def _create_placement(
    user: Any, case: Case, contract: AgencyContract, on: date, bucket: str, balance_fen: int, **kw: Any
) -> Placement:
    placement = Placement.objects.create(
        case=case,
        agency_id=contract.agency_id,
        contract=contract,
        placed_on=on,
        term_ends_on=on + timedelta(days=contract.term_days - 1),
        cohort=rules.cohort_of(on),
        bucket=bucket,
        balance_fen=balance_fen,
        placed_by=user if getattr(user, "is_authenticated", False) else None,
        **kw,
    )
    Case.objects.filter(pk=case.pk).update(
        agency_id=contract.agency_id, collector=None, locked_by=None, locked_until=None
    )
    record(
        user,
        "agency.place",
        placement,
        detail={
            "case": case.pk,
            "agency": contract.agency_id,
            "contract": contract.number,
            "term_ends_on": placement.term_ends_on.isoformat(),
            "method": placement.method,
            "arm": placement.arm,
        },
    )
    return placement


def place(user: Any, case_id: int, agency_id: str, on: date, reason: str = "") -> Placement:
    """A supervisor places one case (in their scope) with an agency: the agency's contract in force must
    take it (white list, evaluation, bucket) and have free capacity."""
    _require(user, PLACE)
    with transaction.atomic():
        case = case_for(user, case_id)
        _check_placeable(case, on)
        bucket, balance = _case_facts(case)
        candidate = next((c for c in candidates(on) if c.agency_id == agency_id), None)
        if candidate is None:
            raise AgencyError(f"agency {agency_id!r} has no contract in force on {on}", field="agency")
        refusal = candidate.refusal(bucket, on)
        if refusal is not None:
            raise AgencyError(f"agency {agency_id} cannot take the case: {refusal}", field="agency")
        if candidate.open_placements >= candidate.capacity:
            raise AgencyError(f"agency {agency_id} is at capacity ({candidate.capacity})", field="agency")
        contract = AgencyContract.objects.get(pk=candidate.contract_id)
        return _create_placement(
            user, case, contract, on, bucket, balance, method=Placement.Method.MANUAL, arm="manual"
        )


@dataclass(frozen=True, slots=True)
class RulesRun:
    """What placement by rules did: the placements made and the cases left unplaced with the reason."""

    placed: list[Placement]
    unplaced: list[tuple[int, str]]

    def as_json(self) -> dict[str, Any]:
        return {
            "placed": [
                {
                    "case": p.case_id,
                    "agency": p.agency_id,
                    "arm": p.arm,
                    "term_ends_on": p.term_ends_on.isoformat(),
                }
                for p in self.placed
            ],
            "unplaced": [{"case": case, "reason": reason} for case, reason in self.unplaced],
        }


def place_by_rules(
    user: Any,
    on: date,
    *,
    case_ids: Sequence[int] | None = None,
    challenger_share: int = DEFAULT_CHALLENGER_SHARE,
) -> RulesRun:
    """Place the open, unplaced cases the strategy proposed for agency placement on ``on`` (or ``case_ids``),
    largest balance first, by ``domain.agencies.choose_placements``."""
    _require(user, PLACE)
    with transaction.atomic():
        cases = Case.objects.filter(status=Case.Status.OPEN, agency__isnull=True).exclude(
            placements__status=Placement.Status.ACTIVE
        )
        if user is not None:
            cases = cases.filter(pk__in=visible_cases(user).values("pk"))
        if case_ids is not None:
            cases = cases.filter(pk__in=list(case_ids))
        else:
            proposed = Action.objects.filter(as_of=on, action=Action.Kind.AGENCY_PLACEMENT).values("case_id")
            cases = cases.filter(pk__in=proposed)
        to_place: list[tuple[rules.CaseToPlace, Case, int]] = []
        unplaced: list[tuple[int, str]] = []
        for case in cases.order_by("pk"):
            try:
                _check_placeable(case, on)
                bucket, balance = _case_facts(case)
            except AgencyError as error:
                unplaced.append((case.pk, error.message))
                continue
            to_place.append((rules.CaseToPlace(case.pk, case.borrower_id, bucket), case, balance))
        to_place.sort(key=lambda item: (-item[2], item[1].pk))
        choices = rules.choose_placements(
            [item[0] for item in to_place], candidates(on), on, challenger_share=challenger_share
        )
        contracts = {c.pk: c for c in AgencyContract.objects.filter(pk__in={c.contract_id for c in choices})}
        placed: list[Placement] = []
        for (wanted, case, balance), choice in zip(to_place, choices, strict=True):
            if choice.contract_id is None or choice.arm is None:
                unplaced.append((case.pk, choice.reason))
                continue
            placed.append(
                _create_placement(
                    user,
                    case,
                    contracts[choice.contract_id],
                    on,
                    wanted.bucket,
                    balance,
                    method=Placement.Method.RULES,
                    arm=choice.arm.value,
                )
            )
    return RulesRun(placed, sorted(unplaced))


def _end(placement: Placement, on: date, reason: str, user: Any, note: str = "") -> None:
    placement.status = Placement.Status.RECALLED
    placement.recalled_on = on
    placement.recall_reason = reason
    placement.save(update_fields=["status", "recalled_on", "recall_reason"])
    Case.objects.filter(pk=placement.case_id, agency_id=placement.agency_id).update(
        agency=None, locked_by=None, locked_until=None
    )
    record(
        user,
        "agency.recall",
        placement,
        detail={"case": placement.case_id, "agency": placement.agency_id, "reason": reason},
        reason=note,
    )


def recall(user: Any, placement_id: int, on: date, note: str) -> Placement:
    """A supervisor recalls an active placement of a case in their scope before its term ends (a reason is
    required); the agency's access ends at once."""
    _require(user, PLACE)
    if not note.strip():
        raise AgencyError("give a reason for the recall", field="reason")
    with transaction.atomic():
        placement = Placement.objects.select_for_update().filter(pk=placement_id).first()
        if placement is None:
            raise AgencyError(f"no placement {placement_id}", field="placement")
        case_for(user, placement.case_id)
        if placement.status != Placement.Status.ACTIVE:
            raise AgencyError(f"placement {placement_id} is not active", field="placement")
        if on < placement.placed_on:
            raise AgencyError("a recall cannot precede the placement", field="recalled_on")
        _end(placement, min(on, placement.term_ends_on), Placement.RecallReason.MANUAL, user, note.strip())
    return placement


def recall_due(as_of: date) -> list[int]:
    """Recall (actor ``system``) the active placements whose term ended by ``as_of`` (recalled on the term's
    last day) or whose case is closed (recalled on ``as_of``). The EOD step ``RecallPlacements`` does the same
    in SQL inside the run's transaction; this is its reference and the CLI's ``recall``."""
    done: list[int] = []
    with transaction.atomic():
        due = Placement.objects.select_for_update().filter(
            status=Placement.Status.ACTIVE, placed_on__lte=as_of
        )
        for placement in due.filter(Q(term_ends_on__lte=as_of) | Q(case__status=Case.Status.CLOSED)):
            if placement.term_ends_on <= as_of:
                _end(placement, placement.term_ends_on, Placement.RecallReason.TERM_END, None)
            else:
                _end(placement, as_of, Placement.RecallReason.CASE_CLOSED, None)
            done.append(placement.pk)
    return done


def add_complaint(user: Any, placement_id: int, on: date, summary: str) -> Complaint:
    """Record a complaint about an agency's conduct on a placement (audited ``agency.complaint``)."""
    _require(user, MANAGE)
    if not summary.strip():
        raise AgencyError("a complaint needs a summary", field="summary")
    with transaction.atomic():
        placement = Placement.objects.filter(pk=placement_id).first()
        if placement is None:
            raise AgencyError(f"no placement {placement_id}", field="placement")
        complaint = Complaint.objects.create(
            placement=placement,
            agency_id=placement.agency_id,
            received_on=on,
            summary=summary.strip(),
            recorded_by=user if getattr(user, "is_authenticated", False) else None,
        )
        record(user, "agency.complaint", complaint, detail={"placement": placement.pk})
    return complaint


# --- commission and ranking ------------------------------------------------------------------------------


def month_bounds(month: str) -> tuple[date, date]:
    """First and last day of ``YYYY-MM`` (a clear error otherwise)."""
    try:
        year, number = (int(part) for part in month.split("-"))
        first = date(year, number, 1)
    except ValueError:
        raise AgencyError(f"month must be YYYY-MM, got {month!r}", field="month") from None
    if len(month) != 7:
        raise AgencyError(f"month must be YYYY-MM, got {month!r}", field="month")
    return first, first.replace(day=calendar.monthrange(year, number)[1])


def commission_statement(user: Any, month: str) -> list[CommissionRow]:
    """Compute and store the commission of ``month``: for every placement active during the month, the cash
    recovered during the placement inside the month and before it, and the commission of the month
    (``domain.agencies.commission_for_period`` on the contract's tiers and the bucket at placement). The
    month's rows are replaced (a rerun after a late payment gives the corrected statement). Audited."""
    first, last = month_bounds(month)
    with transaction.atomic():
        placements = Placement.objects.filter(placed_on__lte=last).filter(
            Q(recalled_on__isnull=True, term_ends_on__gte=first) | Q(recalled_on__gte=first)
        )
        inside = {
            p.pk: p.recovered_fen
            for p in with_recovery(placements, since=first, until=last).select_related("contract")
        }
        before = {p.pk: p.recovered_fen for p in with_recovery(placements, until=first - timedelta(days=1))}
        CommissionRow.objects.filter(month=month).delete()
        rows: list[CommissionRow] = []
        for placement in placements.select_related("contract").order_by("agency_id", "pk"):
            tiers = rules.parse_tiers(placement.contract.tiers)
            amount = rules.commission_for_period(
                from_fen(before[placement.pk]), from_fen(inside[placement.pk]), tiers, placement.bucket
            )
            rows.append(
                CommissionRow(
                    placement=placement,
                    agency_id=placement.agency_id,
                    month=month,
                    recovered_fen=inside[placement.pk],
                    recovered_before_fen=before[placement.pk],
                    commission_fen=fen(amount),
                )
            )
        CommissionRow.objects.bulk_create(rows)
        total = sum(row.commission_fen for row in rows)
        record(
            user,
            "agency.commission",
            ("agencies.commission", month),
            detail={"rows": len(rows), "total_fen": total},
        )
    return rows


def statement_totals(month: str) -> list[dict[str, Any]]:
    """The stored statement of ``month`` summed per agency."""
    return [
        dict(row)
        for row in CommissionRow.objects.filter(month=month)
        .values("agency_id", "agency__name")
        .annotate(
            placements=Count("pk"),
            recovered_fen=Sum("recovered_fen"),
            commission_fen=Sum("commission_fen"),
        )
        .order_by("agency_id")
    ]


def cohort_results(on: date) -> list[rules.CohortResult]:
    """Each agency's placements by cohort with the cash recovered up to ``on`` and the complaints."""
    rows = (
        with_recovery(Placement.objects.filter(placed_on__lte=on), until=on)
        .annotate(complaint_count=Count("complaints", filter=Q(complaints__received_on__lte=on)))
        .values("agency_id", "cohort", "balance_fen", "recovered_fen", "complaint_count")
    )
    grouped: dict[tuple[str, str], list[int]] = {}
    for row in rows:
        key = (row["agency_id"], row["cohort"])
        acc = grouped.setdefault(key, [0, 0, 0, 0])
        acc[0] += 1
        acc[1] += row["balance_fen"]
        acc[2] += row["recovered_fen"]
        acc[3] += row["complaint_count"]
    return [
        rules.CohortResult(agency, cohort, n, from_fen(balance), from_fen(recovered), complaints)
        for (agency, cohort), (n, balance, recovered, complaints) in sorted(grouped.items())
    ]


@dataclass(frozen=True, slots=True)
class Ranking:
    """The overall ranking and the ranking within each cohort."""

    overall: list[rules.Ranked]
    by_cohort: dict[str, list[rules.Ranked]]

    def as_json(self) -> dict[str, Any]:
        def row(ranked: rules.Ranked) -> dict[str, Any]:
            r = ranked.result
            return {
                "rank": ranked.rank,
                "agency": r.agency_id,
                "cohort": r.cohort,
                "placements": r.placements,
                "balance": str(r.balance),
                "recovered": str(r.recovered),
                "recovery_rate": str(r.recovery_rate),
                "complaints": r.complaints,
            }

        return {
            "overall": [row(r) for r in self.overall],
            "cohorts": {cohort: [row(r) for r in rows] for cohort, rows in self.by_cohort.items()},
        }


def ranking(on: date) -> Ranking:
    """Agency ranking on ``on``: overall and per cohort (``domain.agencies.rank``)."""
    results = cohort_results(on)
    cohorts: dict[str, list[rules.CohortResult]] = {}
    for result in results:
        cohorts.setdefault(result.cohort, []).append(result)
    return Ranking(
        rules.rank(rules.totals(results)),
        {cohort: rules.rank(rows) for cohort, rows in sorted(cohorts.items(), reverse=True)},
    )


def published_contracts(on: date) -> list[AgencyContract]:
    """The published agency list: white-listed contracts in force on ``on`` of active agencies."""
    return list(
        AgencyContract.objects.filter(
            white_listed=True, agency__active=True, starts_on__lte=on, ends_on__gte=on
        ).select_related("agency")
    )


def recovered_total(placements: Iterable[Placement]) -> Decimal:
    """Sum of ``recovered_fen`` annotations as yuan."""
    return from_fen(sum(getattr(p, "recovered_fen", 0) for p in placements))


__all__ = ["AgencyError"]


def open_placements_by_agency() -> dict[str, int]:
    """How many active placements each agency holds."""
    return dict(
        Placement.objects.filter(status=Placement.Status.ACTIVE)
        .values("agency_id")
        .annotate(n=Count("pk"))
        .values_list("agency_id", "n")
    )
