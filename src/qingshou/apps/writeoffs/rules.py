"""The maker-checker rules of write-offs (issue 6), as plain functions of plain values — the same shape as
``apps.arrangements.rules``.

* **State machine.** ``proposed`` → ``approved`` → ``executed``; a proposal may instead be ``rejected`` (by a
  checker) or ``withdrawn`` (by its proposer or a checker). Every other move is refused.
* **Who approves.** A user with ``writeoffs.approve_writeoff`` (and a role that writes) who sees the case, is
  not the proposer, and whose role's limit (``QINGSHOU_WRITEOFF_APPROVAL_LIMITS``: yuan, ``None`` = no limit, a
  role not listed: 0) covers the amount written off (principal + interest receivable).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Final

from qingshou.apps.arrangements.rules import ArrangementRefused, covers, limit_of, parse_limits
from qingshou.domain.writeoff import WriteOffError

#: The default limits when the setting is absent (yuan; ``None``: no limit).
DEFAULT_LIMITS: Final[Mapping[str, str | None]] = {
    "supervisor": "50000",
    "legal_officer": "500000",
    "admin": None,
}


class Status(StrEnum):
    """Where a write-off is in its life."""

    PROPOSED = "proposed"
    APPROVED = "approved"
    EXECUTED = "executed"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


TRANSITIONS: Final[Mapping[Status, frozenset[Status]]] = {
    Status.PROPOSED: frozenset({Status.APPROVED, Status.REJECTED, Status.WITHDRAWN}),
    Status.APPROVED: frozenset({Status.EXECUTED}),
}
#: Statuses that hold the loan: one of them per loan at a time.
HOLDING: Final = (Status.PROPOSED.value, Status.APPROVED.value, Status.EXECUTED.value)


def check_transition(current: Status | str, target: Status | str) -> None:
    """Refuse a move the state machine does not allow."""
    if Status(target) not in TRANSITIONS.get(Status(current), frozenset()):
        raise WriteOffError(
            f"a write-off that is {Status(current).value} cannot become {Status(target).value}",
            field="status",
        )


Limits = Mapping[str, Decimal | None]


def parse_writeoff_limits(raw: Mapping[str, str | int | None]) -> dict[str, Decimal | None]:
    """``QINGSHOU_WRITEOFF_APPROVAL_LIMITS`` validated like ``QINGSHOU_APPROVAL_LIMITS`` (never a float)."""
    try:
        return parse_limits(raw)
    except ArrangementRefused as error:
        raise WriteOffError(
            error.message.replace("approval limit", "write-off approval limit"), field=error.field
        ) from None


@dataclass(frozen=True, slots=True)
class Checker:
    """What the rules need to know about the user who decides."""

    user_id: int
    role: str | None
    may_approve: bool
    sees_case: bool


@dataclass(frozen=True, slots=True)
class Proposal:
    """What the rules need to know about the write-off being decided (``amount``: yuan written off)."""

    status: Status
    proposer_id: int
    amount: Decimal


def approval_refusal(checker: Checker, proposal: Proposal, limits: Limits) -> str | None:
    """Why ``checker`` may not approve ``proposal`` (``None``: they may)."""
    if not checker.sees_case:
        return "the case is outside your scope"
    if not checker.may_approve:
        return "your role does not approve write-offs"
    if proposal.status is not Status.PROPOSED:
        return f"the write-off is already {proposal.status.value}"
    if checker.user_id == proposal.proposer_id:
        return "nobody approves their own write-off proposal (maker-checker)"
    limit = limit_of(checker.role, limits)
    if not covers(limit, proposal.amount):
        return f"the amount written off {proposal.amount:.2f} is above your write-off limit {limit:.2f}"
    return None


def check_approval(checker: Checker, proposal: Proposal, limits: Limits) -> None:
    """Refuse unless ``checker`` may approve ``proposal``."""
    reason = approval_refusal(checker, proposal, limits)
    if reason is not None:
        raise WriteOffError(reason, field="approver")
    check_transition(proposal.status, Status.APPROVED)


def check_rejection(checker: Checker, proposal: Proposal) -> None:
    """A checker (the right, the case in scope, not the proposer) rejects a pending proposal."""
    if not checker.sees_case:
        raise WriteOffError("the case is outside your scope", field="approver")
    if not checker.may_approve:
        raise WriteOffError("your role does not decide write-offs", field="approver")
    if checker.user_id == proposal.proposer_id:
        raise WriteOffError("withdraw your own proposal instead of rejecting it", field="approver")
    check_transition(proposal.status, Status.REJECTED)


def check_withdrawal(checker: Checker, proposal: Proposal) -> None:
    """The proposer (or a checker who sees the case) withdraws a pending proposal."""
    if not checker.sees_case:
        raise WriteOffError("the case is outside your scope", field="user")
    if checker.user_id != proposal.proposer_id and not checker.may_approve:
        raise WriteOffError("only the proposer or a checker withdraws a write-off proposal", field="user")
    check_transition(proposal.status, Status.WITHDRAWN)
