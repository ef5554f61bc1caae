"""Case assignment (分案) and the work lock (issue 5, docs/workbench.md).

**Rules.** ``settings.QINGSHOU_ASSIGNMENT["rules"]`` is a list tried in order; the first rule whose
conditions all hold places an unassigned open case with a ``team`` (by name) or an ``agency`` (by id).
Conditions: ``buckets`` (the lead loan's bucket), ``regions`` (the borrower's region), ``products`` (the lead
loan's product), ``min_amount`` / ``max_amount`` (the borrower's total overdue in yuan, inclusive); a
condition left out matches anything. A case no rule matches stays unassigned (and is reported).

**Balancing.** A case placed with a team goes to the team's collector with the fewest open cases, never
beyond the collector's ``Profile.max_open_cases``; ties go to the lowest user id, cases are taken in order
of total overdue (largest first), then case id — so the same book always gives the same assignment. When
every collector of the team is full the case keeps the team without a collector (the supervisor sees it).

**Reassignment.** A supervisor moves a case to another collector (of a team they supervise) or another
team or agency: one audited service call.

**The lock.** Opening a case to work takes a lock (``locked_by``, ``locked_until`` = now + 30 min), renewed
on every recorded activity. The lock is taken with one conditional UPDATE (free, expired, or already the
user's) so two requests can never both hold it; a second collector gets :class:`CaseLocked` naming the
holder. A supervisor (or admin) can break a lock — audited.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Final

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from qingshou.apps.accounts.models import Agency, Profile, Team
from qingshou.apps.accounts.roles import Role, has_role
from qingshou.apps.audit.services import record
from qingshou.apps.cases.models import Case
from qingshou.apps.eod.models import LoanStatus
from qingshou.domain.errors import DomainError
from qingshou.domain.money import fen, money

DEFAULT_LOCK_MINUTES: Final = 30
_CHUNK: Final = 500


class AssignmentError(DomainError):
    """An assignment rule or a reassignment request is invalid."""

    code = "invalid_assignment"


class CaseLocked(DomainError):
    """Someone else is working the case (``holder`` names them)."""

    code = "case_locked"

    def __init__(self, message: str, *, holder: str = "", until: datetime | None = None) -> None:
        super().__init__(message, field="case")
        self.holder = holder
        self.until = until


@dataclass(frozen=True, slots=True)
class Rule:
    """One assignment rule (module docstring); amounts in fen."""

    name: str
    team: str = ""
    agency: str = ""
    buckets: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()
    products: frozenset[str] = frozenset()
    min_fen: int | None = None
    max_fen: int | None = None

    def matches(self, bucket: str, region: str, product: str, overdue_fen: int) -> bool:
        """Whether a case with these features falls under the rule."""
        return (
            (not self.buckets or bucket in self.buckets)
            and (not self.regions or region in self.regions)
            and (not self.products or product in self.products)
            and (self.min_fen is None or overdue_fen >= self.min_fen)
            and (self.max_fen is None or overdue_fen <= self.max_fen)
        )


def _amount(raw: dict[str, Any], key: str, name: str) -> int | None:
    value = raw.get(key)
    if value is None or value == "":
        return None
    try:
        return fen(money(value))
    except DomainError as error:
        raise AssignmentError(f"assignment rule {name!r}: {key}: {error}", field=key) from error


def _names(raw: dict[str, Any], key: str, name: str) -> frozenset[str]:
    value = raw.get(key, [])
    if isinstance(value, str) or not all(isinstance(item, str) for item in value):
        raise AssignmentError(f"assignment rule {name!r}: {key} must be a list of names", field=key)
    return frozenset(value)


def parse_rules(raw_rules: list[dict[str, Any]]) -> list[Rule]:
    """The configured rules, validated (each error names the rule and the field)."""
    rules = []
    for index, raw in enumerate(raw_rules, start=1):
        name = str(raw.get("name") or f"rule {index}")
        team, agency = str(raw.get("team") or ""), str(raw.get("agency") or "")
        if bool(team) == bool(agency):
            raise AssignmentError(
                f"assignment rule {name!r}: give exactly one of team / agency", field="team"
            )
        unknown = set(raw) - {
            "name",
            "team",
            "agency",
            "buckets",
            "regions",
            "products",
            "min_amount",
            "max_amount",
        }
        if unknown:
            raise AssignmentError(f"assignment rule {name!r}: unknown keys {sorted(unknown)}", field="rules")
        rules.append(
            Rule(
                name,
                team,
                agency,
                _names(raw, "buckets", name),
                _names(raw, "regions", name),
                _names(raw, "products", name),
                _amount(raw, "min_amount", name),
                _amount(raw, "max_amount", name),
            )
        )
    return rules


def configured_rules() -> list[Rule]:
    """``settings.QINGSHOU_ASSIGNMENT["rules"]``, validated."""
    return parse_rules(list(getattr(settings, "QINGSHOU_ASSIGNMENT", {}).get("rules", [])))


def lock_minutes() -> int:
    """How long a lock lasts without activity (``QINGSHOU_ASSIGNMENT["lock_minutes"]``, default 30)."""
    return int(getattr(settings, "QINGSHOU_ASSIGNMENT", {}).get("lock_minutes", DEFAULT_LOCK_MINUTES))


@dataclass
class AssignResult:
    """What ``assign_cases`` did: cases per collector (username), per agency, left with a team only (all
    collectors full) and unmatched by any rule."""

    day: date
    to_collectors: dict[str, int] = field(default_factory=dict)
    to_agencies: dict[str, int] = field(default_factory=dict)
    team_only: dict[str, int] = field(default_factory=dict)
    unmatched: int = 0

    @property
    def assigned(self) -> int:
        """Cases placed (with a collector, an agency or a team)."""
        return (
            sum(self.to_collectors.values()) + sum(self.to_agencies.values()) + sum(self.team_only.values())
        )

    def as_json(self) -> dict[str, Any]:
        """Plain JSON values."""
        return {
            "day": self.day.isoformat(),
            "assigned": self.assigned,
            "to_collectors": self.to_collectors,
            "to_agencies": self.to_agencies,
            "team_only": self.team_only,
            "unmatched": self.unmatched,
        }


@dataclass(frozen=True, slots=True)
class _Features:
    case_id: int
    bucket: str
    region: str
    product: str
    overdue_fen: int


def _features(cases: list[dict[str, Any]]) -> list[_Features]:
    """Each case's bucket, product (its lead loan's status), region and borrower total overdue — three
    set-based queries per chunk of cases."""
    found: list[_Features] = []
    for start in range(0, len(cases), _CHUNK):
        chunk = cases[start : start + _CHUNK]
        leads = {
            row["loan_id"]: row
            for row in LoanStatus.objects.filter(loan_id__in=[c["lead_loan_id"] for c in chunk]).values(
                "loan_id", "bucket", "loan__product_id"
            )
        }
        totals = dict(
            LoanStatus.objects.filter(loan__borrower_id__in=[c["borrower_id"] for c in chunk])
            .values("loan__borrower_id")
            .annotate(total=Sum("total_overdue_fen"))
            .values_list("loan__borrower_id", "total")
        )
        for case in chunk:
            lead: dict[str, Any] = dict(leads.get(case["lead_loan_id"]) or {})
            found.append(
                _Features(
                    case["id"],
                    str(lead.get("bucket") or ""),
                    case["borrower__region"] or "",
                    str(lead.get("loan__product_id") or ""),
                    int(totals.get(case["borrower_id"]) or 0),
                )
            )
    return sorted(found, key=lambda f: (-f.overdue_fen, f.case_id))


def _collector_loads(team_ids: list[int]) -> dict[int, list[tuple[int, int, int, str]]]:
    """Per team, its active collectors as ``[open cases, user id, capacity, username]``."""
    profiles = (
        Profile.objects.filter(
            team_id__in=team_ids, user__is_active=True, user__groups__name=Role.COLLECTOR.value
        )
        .annotate(open_cases=Count("user__assigned_cases", filter=Q(user__assigned_cases__status="open")))
        .values("team_id", "user_id", "max_open_cases", "open_cases", "user__username")
    )
    loads: dict[int, list[tuple[int, int, int, str]]] = defaultdict(list)
    for row in profiles:
        loads[row["team_id"]].append(
            (row["open_cases"], row["user_id"], row["max_open_cases"], row["user__username"])
        )
    return loads


def _balance(case_ids: list[int], collectors: list[tuple[int, int, int, str]]) -> dict[int, list[int]]:
    """Cases → collector ids: each to the collector with the fewest open cases below capacity (ties: lowest
    id). Cases left over (everyone full) map to key 0."""
    loads = {user_id: [count, capacity] for count, user_id, capacity, _ in collectors}
    placed: dict[int, list[int]] = defaultdict(list)
    for case_id in case_ids:
        free = [(count, user_id) for user_id, (count, capacity) in loads.items() if count < capacity]
        if not free:
            placed[0].append(case_id)
            continue
        _, chosen = min(free)
        loads[chosen][0] += 1
        placed[chosen].append(case_id)
    return placed


def _update(ids: list[int], **values: Any) -> None:
    for start in range(0, len(ids), _CHUNK):
        Case.objects.filter(pk__in=ids[start : start + _CHUNK]).update(**values)


def assign_cases(day: date, *, actor: User | None = None, rules: list[Rule] | None = None) -> AssignResult:
    """Place every open case that has no collector, team or agency by the rules, balancing team cases across
    collectors (module docstring). One transaction, audited as one event with the counts."""
    rules = configured_rules() if rules is None else rules
    result = AssignResult(day)
    with transaction.atomic():
        cases = [
            dict(row)
            for row in Case.objects.select_for_update()
            .filter(status=Case.Status.OPEN, collector__isnull=True, team__isnull=True, agency__isnull=True)
            .values("id", "borrower_id", "lead_loan_id", "borrower__region")
        ]
        teams = {team.name: team for team in Team.objects.all()}
        agencies = {agency.agency_id: agency for agency in Agency.objects.filter(active=True)}
        by_team: dict[int, list[int]] = defaultdict(list)
        by_agency: dict[str, list[int]] = defaultdict(list)
        for case in _features(cases):
            rule = next(
                (r for r in rules if r.matches(case.bucket, case.region, case.product, case.overdue_fen)),
                None,
            )
            if (
                rule is None
                or (rule.team and rule.team not in teams)
                or (rule.agency and rule.agency not in agencies)
            ):
                result.unmatched += 1
            elif rule.team:
                by_team[teams[rule.team].pk].append(case.case_id)
            else:
                by_agency[rule.agency].append(case.case_id)
        loads = _collector_loads(list(by_team))
        names = {user_id: name for rows in loads.values() for _, user_id, _, name in rows}
        team_names = {team.pk: name for name, team in teams.items()}
        for team_id, ids in by_team.items():
            for user_id, placed in _balance(ids, loads.get(team_id, [])).items():
                if user_id:
                    _update(placed, team_id=team_id, collector_id=user_id)
                    result.to_collectors[names[user_id]] = result.to_collectors.get(names[user_id], 0) + len(
                        placed
                    )
                else:
                    _update(placed, team_id=team_id)
                    result.team_only[team_names[team_id]] = len(placed)
        for agency_id, ids in by_agency.items():
            _update(ids, agency_id=agency_id)
            result.to_agencies[agency_id] = len(ids)
        if result.assigned:
            record(actor, "cases.assign", None, detail=result.as_json())
    return result


def _can_manage(user: User, case: Case) -> bool:
    """Admins manage every case; a supervisor the cases of the teams they supervise."""
    if has_role(user, Role.ADMIN):
        return True
    if not has_role(user, Role.SUPERVISOR):
        return False
    supervised = Team.objects.filter(supervisor=user)
    in_team = case.team_id is not None and supervised.filter(pk=case.team_id).exists()
    collector_in_team = (
        case.collector_id is not None
        and Profile.objects.filter(user_id=case.collector_id, team__in=supervised).exists()
    )
    return in_team or collector_in_team


def reassign(
    actor: User,
    case_id: int,
    *,
    collector: User | None = None,
    team: Team | None = None,
    agency: Agency | None = None,
    reason: str,
) -> Case:
    """Move a case to a collector (and their team), a team (no collector yet) or an agency. Only an admin or
    the supervisor of the case's team (and, for a collector or team, of the target team); a reason is
    required; audited with before and after. Releases any lock."""
    if not reason.strip():
        raise AssignmentError("a reassignment needs a reason", field="reason")
    if sum(x is not None for x in (collector, team, agency)) != 1:
        raise AssignmentError("give exactly one of collector / team / agency", field="collector")
    with transaction.atomic():
        case = Case.objects.select_for_update().filter(pk=case_id).first()
        if case is None or not _can_manage(actor, case):
            raise AssignmentError(f"case {case_id} cannot be reassigned by {actor.username}", field="case")
        before = {"collector": case.collector_id, "team": case.team_id, "agency": case.agency_id}
        if collector is not None:
            profile = Profile.objects.filter(user=collector).select_related("team").first()
            if profile is None or profile.team is None or not has_role(collector, Role.COLLECTOR):
                raise AssignmentError(f"{collector.username} is not a collector in a team", field="collector")
            target_team: Team | None = profile.team
        else:
            target_team = team
        if target_team is not None and not (
            has_role(actor, Role.ADMIN) or target_team.supervisor_id == actor.pk
        ):
            raise AssignmentError(
                f"{actor.username} does not supervise team {target_team.name}", field="team"
            )
        case.collector = collector
        case.team = target_team
        case.agency = agency
        case.locked_by = None
        case.locked_until = None
        case.save(update_fields=["collector", "team", "agency", "locked_by", "locked_until"])
        after = {"collector": case.collector_id, "team": case.team_id, "agency": case.agency_id}
        record(actor, "case.reassign", case, detail={"before": before, "after": after}, reason=reason)
    return case


# --- the lock --------------------------------------------------------------------------------------------


def lock_holder(case_id: int) -> tuple[str, datetime | None]:
    """Who holds the case's lock (first name, else username; "" when nobody) and until when."""
    row = Case.objects.filter(pk=case_id).values(
        "locked_by__username", "locked_by__first_name", "locked_until"
    )
    first = row.first()
    found: dict[str, Any] = dict(first) if first else {}
    name = found.get("locked_by__first_name") or found.get("locked_by__username") or ""
    return str(name), found.get("locked_until")


def take_lock(user: User, case_id: int, *, now: datetime | None = None) -> datetime:
    """Take (or renew) the work lock on a case for ``lock_minutes``: one conditional UPDATE that succeeds
    only when the lock is free, expired or already the user's. Raises :class:`CaseLocked` otherwise.
    Returns the new ``locked_until``. A fresh lock (not a renewal) is audited."""
    now = now or timezone.now()
    until = now + timedelta(minutes=lock_minutes())
    with transaction.atomic():
        renewed = Case.objects.filter(pk=case_id, locked_by=user, locked_until__gte=now).update(
            locked_until=until
        )
        if renewed:
            return until
        taken = (
            Case.objects.filter(pk=case_id, status=Case.Status.OPEN)
            .filter(Q(locked_by__isnull=True) | Q(locked_until__lt=now) | Q(locked_by=user))
            .update(locked_by=user, locked_until=until)
        )
        if not taken:
            holder, held_until = lock_holder(case_id)
            raise CaseLocked(f"case {case_id} is being worked by {holder}", holder=holder, until=held_until)
        record(user, "case.lock", Case(pk=case_id), detail={"until": until.isoformat()})
    return until


def require_lock(user: User, case_id: int, *, now: datetime | None = None) -> datetime:
    """Recording on a case needs its lock: renew it (or take it when free); :class:`CaseLocked` when
    another user holds it."""
    return take_lock(user, case_id, now=now)


def release_lock(user: User, case_id: int) -> bool:
    """Give the lock back (only the holder's own lock)."""
    return bool(Case.objects.filter(pk=case_id, locked_by=user).update(locked_by=None, locked_until=None))


def break_lock(actor: User, case_id: int, *, reason: str) -> None:
    """A supervisor (of the case's team) or an admin frees a case another user holds; audited with the
    holder and the reason."""
    if not reason.strip():
        raise AssignmentError("breaking a lock needs a reason", field="reason")
    with transaction.atomic():
        case = Case.objects.select_for_update().filter(pk=case_id).first()
        if case is None or not _can_manage(actor, case):
            raise AssignmentError(f"{actor.username} cannot break the lock of case {case_id}", field="case")
        holder = case.locked_by_id
        Case.objects.filter(pk=case_id).update(locked_by=None, locked_until=None)
        record(actor, "case.break_lock", case, detail={"holder": holder}, reason=reason)
