"""The maker-checker rules of plans, waivers and settlements (issue 5), as plain functions of plain values.

* **State machine.** ``proposed`` → ``approved`` → ``executed``; a proposal may instead be ``rejected`` (by a
  checker) or ``withdrawn`` (by its proposer or a checker); an approved settlement not paid by its pay-by day
  ``lapsed``; an executed plan ends ``breached`` (its successor loan fell behind) or ``completed`` (paid off).
  Plans and waivers whose effective day has come are executed with the approval; later ones by EOD; a
  settlement is executed by EOD on the day the cash since approval reaches its amount. Every other move is
  refused (``ArrangementRefused``).
* **Who approves.** A user with the permission ``accounts.approve`` who is not the proposer and whose role's
  limit (``QINGSHOU_APPROVAL_LIMITS``: yuan, ``None`` = no limit, a role not listed: 0) covers the
  concession — what the institution gives up: waived amounts or a settlement's discount. A plan longer than
  ``QINGSHOU_LONG_PLAN_MONTHS`` (36) months also needs ``arrangements.approve_long_plan``.

Nothing here touches the database: the services feed these functions and store what they allow.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Final

from qingshou.domain.errors import DomainError


class ArrangementRefused(DomainError):
    """A maker-checker rule or the state machine refused the request; ``message`` says why."""

    code = "arrangement_refused"


class Status(StrEnum):
    """Where an arrangement is in its life (module docstring)."""

    PROPOSED = "proposed"
    APPROVED = "approved"
    EXECUTED = "executed"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    LAPSED = "lapsed"
    BREACHED = "breached"
    COMPLETED = "completed"


class Kind(StrEnum):
    """What was agreed: a plan (a successor loan), a waiver (减免) or a discounted settlement (一次性结清)."""

    PLAN = "plan"
    WAIVER = "waiver"
    SETTLEMENT = "settlement"


#: The moves the state machine allows, by kind.
_COMMON: Final = {
    Status.PROPOSED: frozenset({Status.APPROVED, Status.REJECTED, Status.WITHDRAWN}),
    Status.APPROVED: frozenset({Status.EXECUTED}),
}
TRANSITIONS: Final[Mapping[Kind, Mapping[Status, frozenset[Status]]]] = {
    Kind.PLAN: {**_COMMON, Status.EXECUTED: frozenset({Status.BREACHED, Status.COMPLETED})},
    Kind.WAIVER: dict(_COMMON),
    Kind.SETTLEMENT: {**_COMMON, Status.APPROVED: frozenset({Status.EXECUTED, Status.LAPSED})},
}
#: Statuses nothing leaves.
FINAL: Final = frozenset(
    {Status.REJECTED, Status.WITHDRAWN, Status.LAPSED, Status.BREACHED, Status.COMPLETED}
)
#: The longest plan the domain builds (个性化分期: up to 5 years).
MAX_PLAN_MONTHS: Final = 60
#: Plans longer than this need the long-plan right (the default of ``QINGSHOU_LONG_PLAN_MONTHS``).
LONG_PLAN_MONTHS: Final = 36


def check_transition(kind: Kind | str, current: Status | str, target: Status | str) -> None:
    """Refuse a move the state machine does not allow for ``kind``."""
    allowed = TRANSITIONS[Kind(kind)].get(Status(current), frozenset())
    if Status(target) not in allowed:
        raise ArrangementRefused(
            f"a {Kind(kind).value} that is {Status(current).value} cannot become {Status(target).value}",
            field="status",
        )


Limits = Mapping[str, Decimal | None]


def parse_limits(raw: Mapping[str, str | int | None]) -> dict[str, Decimal | None]:
    """``QINGSHOU_APPROVAL_LIMITS`` validated: role → yuan (a non-negative amount with at most 2 decimals, given
    as a string or an integer, never a float) or ``None`` (no limit)."""
    limits: dict[str, Decimal | None] = {}
    for role, value in raw.items():
        if value is None:
            limits[role] = None
            continue
        if isinstance(value, float | bool):
            raise ArrangementRefused(
                f"approval limit of {role!r} must be a string or an integer, not {value!r}", field=role
            )
        try:
            amount = Decimal(str(value).replace(",", "").strip())
        except InvalidOperation:
            raise ArrangementRefused(
                f"approval limit of {role!r} is not an amount: {value!r}", field=role
            ) from None
        if not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01")):
            raise ArrangementRefused(
                f"approval limit of {role!r} must be a non-negative amount in yuan with at most 2 decimals,"
                f" not {value!r}",
                field=role,
            )
        limits[role] = amount
    return limits


def limit_of(role: str | None, limits: Limits) -> Decimal | None:
    """The role's limit: ``None`` = unlimited; a role not listed (or no role) approves only 0."""
    if role is None or role not in limits:
        return Decimal(0)
    return limits[role]


def covers(limit: Decimal | None, concession: Decimal) -> bool:
    """Whether a limit covers a concession (``None`` covers everything)."""
    return limit is None or concession <= limit


@dataclass(frozen=True, slots=True)
class Checker:
    """What the rules need to know about the user who decides."""

    user_id: int
    role: str | None
    may_approve: bool
    may_approve_long_plan: bool
    sees_case: bool


@dataclass(frozen=True, slots=True)
class Proposal:
    """What the rules need to know about the proposal being decided."""

    kind: Kind
    status: Status
    proposer_id: int
    concession: Decimal
    months: int | None = None


def approval_refusal(
    checker: Checker, proposal: Proposal, limits: Limits, long_plan_months: int = LONG_PLAN_MONTHS
) -> str | None:
    """Why ``checker`` may not approve ``proposal`` (``None``: they may)."""
    if not checker.sees_case:
        return "the case is outside your scope"
    if not checker.may_approve:
        return "your role does not approve proposals"
    if proposal.status is not Status.PROPOSED:
        return f"the proposal is already {proposal.status.value}"
    if checker.user_id == proposal.proposer_id:
        return "nobody approves their own proposal (maker-checker)"
    limit = limit_of(checker.role, limits)
    if not covers(limit, proposal.concession):
        return f"the concession {proposal.concession:.2f} is above your approval limit {limit:.2f}"
    if (
        proposal.kind is Kind.PLAN
        and proposal.months is not None
        and proposal.months > long_plan_months
        and not checker.may_approve_long_plan
    ):
        return f"a plan longer than {long_plan_months} months needs the long-plan approval right"
    return None


def check_approval(
    checker: Checker, proposal: Proposal, limits: Limits, long_plan_months: int = LONG_PLAN_MONTHS
) -> None:
    """Refuse (``ArrangementRefused``) unless ``checker`` may approve ``proposal``; then the move is allowed."""
    reason = approval_refusal(checker, proposal, limits, long_plan_months)
    if reason is not None:
        raise ArrangementRefused(reason, field="approver")
    check_transition(proposal.kind, proposal.status, Status.APPROVED)


def check_rejection(checker: Checker, proposal: Proposal) -> None:
    """A checker (``accounts.approve``, the case in scope, not the proposer) rejects a pending proposal."""
    if not checker.sees_case:
        raise ArrangementRefused("the case is outside your scope", field="approver")
    if not checker.may_approve:
        raise ArrangementRefused("your role does not decide proposals", field="approver")
    if checker.user_id == proposal.proposer_id:
        raise ArrangementRefused("withdraw your own proposal instead of rejecting it", field="approver")
    check_transition(proposal.kind, proposal.status, Status.REJECTED)


def check_withdrawal(checker: Checker, proposal: Proposal) -> None:
    """The proposer (or a checker who sees the case) withdraws a pending proposal."""
    if not checker.sees_case:
        raise ArrangementRefused("the case is outside your scope", field="user")
    if checker.user_id != proposal.proposer_id and not checker.may_approve:
        raise ArrangementRefused("only the proposer or a checker withdraws a proposal", field="user")
    check_transition(proposal.kind, proposal.status, Status.WITHDRAWN)
