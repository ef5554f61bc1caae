"""Maker-checker rules of plans, waivers and settlements (issue 5 "Plans, waivers and settlements"): the state
machine, who may approve (never the proposer; the role's limit covers the concession; long plans need the
long-plan right), rejection and withdrawal, and the limits setting parsed strictly (C9: never a float)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from qingshou.apps.arrangements.rules import (
    FINAL,
    TRANSITIONS,
    ArrangementRefused,
    Checker,
    Kind,
    Proposal,
    Status,
    approval_refusal,
    check_approval,
    check_rejection,
    check_transition,
    check_withdrawal,
    covers,
    limit_of,
    parse_limits,
)

LIMITS = parse_limits({"supervisor": "5000", "legal_officer": "50,000", "admin": None})


def checker(user_id: int = 2, role: str | None = "supervisor", **fields: bool) -> Checker:
    values = {"may_approve": True, "may_approve_long_plan": False, "sees_case": True}
    values.update(fields)
    return Checker(user_id=user_id, role=role, **values)


def proposal(
    kind: Kind = Kind.WAIVER,
    concession: str = "100.00",
    *,
    status: Status = Status.PROPOSED,
    proposer: int = 1,
    months: int | None = None,
) -> Proposal:
    return Proposal(kind, status, proposer, Decimal(concession), months)


# --- the state machine -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "current", "target"),
    [
        (Kind.PLAN, Status.PROPOSED, Status.APPROVED),
        (Kind.PLAN, Status.APPROVED, Status.EXECUTED),
        (Kind.PLAN, Status.EXECUTED, Status.BREACHED),
        (Kind.PLAN, Status.EXECUTED, Status.COMPLETED),
        (Kind.WAIVER, Status.PROPOSED, Status.REJECTED),
        (Kind.WAIVER, Status.PROPOSED, Status.WITHDRAWN),
        (Kind.SETTLEMENT, Status.APPROVED, Status.EXECUTED),
        (Kind.SETTLEMENT, Status.APPROVED, Status.LAPSED),
    ],
)
def test_allowed_moves(kind: Kind, current: Status, target: Status) -> None:
    check_transition(kind, current, target)


@pytest.mark.parametrize(
    ("kind", "current", "target"),
    [
        (Kind.PLAN, Status.PROPOSED, Status.EXECUTED),  # never executed unapproved
        (Kind.WAIVER, Status.APPROVED, Status.LAPSED),  # only settlements lapse
        (Kind.SETTLEMENT, Status.EXECUTED, Status.BREACHED),  # only plans are watched
        (Kind.WAIVER, Status.EXECUTED, Status.COMPLETED),
        (Kind.PLAN, Status.APPROVED, Status.REJECTED),  # decided once
        (Kind.PLAN, Status.REJECTED, Status.APPROVED),
        (Kind.SETTLEMENT, Status.LAPSED, Status.EXECUTED),
    ],
)
def test_refused_moves(kind: Kind, current: Status, target: Status) -> None:
    with pytest.raises(ArrangementRefused, match="cannot become"):
        check_transition(kind, current, target)


def test_nothing_leaves_a_final_status() -> None:
    for moves in TRANSITIONS.values():
        assert not set(moves) & FINAL


# --- approval ---------------------------------------------------------------------------------------------


def test_a_checker_within_the_limit_approves() -> None:
    check_approval(checker(), proposal(concession="5000.00"), LIMITS)


def test_nobody_approves_their_own_proposal_whatever_their_limit() -> None:
    with pytest.raises(ArrangementRefused, match="own proposal"):
        check_approval(checker(user_id=1, role="admin"), proposal(proposer=1, concession="0"), LIMITS)


@pytest.mark.parametrize(
    ("role", "concession", "allowed"),
    [
        ("supervisor", "5000.00", True),
        ("supervisor", "5000.01", False),
        ("legal_officer", "50000.00", True),
        ("legal_officer", "50000.01", False),
        ("admin", "99999999.99", True),  # None: unlimited
        ("collector", "0.00", True),  # not listed: only a proposal that concedes nothing
        ("collector", "0.01", False),
    ],
)
def test_the_roles_limit_must_cover_the_concession(role: str, concession: str, allowed: bool) -> None:
    reason = approval_refusal(checker(role=role), proposal(concession=concession), LIMITS)
    assert (reason is None) is allowed
    if not allowed:
        assert reason is not None
        assert "limit" in reason


def test_a_role_without_the_approve_permission_never_approves() -> None:
    reason = approval_refusal(checker(may_approve=False, role="admin"), proposal(concession="0"), LIMITS)
    assert reason == "your role does not approve proposals"


def test_outside_the_scope_nothing_is_approved() -> None:
    assert approval_refusal(checker(sees_case=False), proposal(), LIMITS) == "the case is outside your scope"


def test_a_decided_proposal_is_not_approved_again() -> None:
    with pytest.raises(ArrangementRefused, match="already approved"):
        check_approval(checker(), proposal(status=Status.APPROVED), LIMITS)


@pytest.mark.parametrize(
    ("months", "long_right", "allowed"),
    [(36, False, True), (37, False, False), (60, True, True), (None, False, True)],
)
def test_plans_longer_than_36_months_need_the_long_plan_right(
    months: int | None, long_right: bool, allowed: bool
) -> None:
    reason = approval_refusal(
        checker(may_approve_long_plan=long_right), proposal(Kind.PLAN, "0", months=months), LIMITS
    )
    assert (reason is None) is allowed


def test_the_long_plan_threshold_is_a_parameter() -> None:
    assert approval_refusal(checker(), proposal(Kind.PLAN, "0", months=13), LIMITS, long_plan_months=12)
    assert (
        approval_refusal(checker(), proposal(Kind.WAIVER, "0", months=13), LIMITS, long_plan_months=12)
        is None
    )


# --- rejection and withdrawal ---------------------------------------------------------------------------------


def test_rejection_needs_a_checker_other_than_the_proposer() -> None:
    check_rejection(checker(), proposal())
    with pytest.raises(ArrangementRefused, match="withdraw your own"):
        check_rejection(checker(user_id=1), proposal(proposer=1))
    with pytest.raises(ArrangementRefused, match="does not decide"):
        check_rejection(checker(may_approve=False), proposal())
    with pytest.raises(ArrangementRefused, match="cannot become rejected"):
        check_rejection(checker(), proposal(status=Status.EXECUTED))


def test_withdrawal_by_the_proposer_or_a_checker_only_while_proposed() -> None:
    check_withdrawal(checker(user_id=1, may_approve=False), proposal(proposer=1))
    check_withdrawal(checker(user_id=2), proposal(proposer=1))
    with pytest.raises(ArrangementRefused, match="only the proposer"):
        check_withdrawal(checker(user_id=3, may_approve=False), proposal(proposer=1))
    with pytest.raises(ArrangementRefused, match="cannot become withdrawn"):
        check_withdrawal(checker(user_id=1), proposal(proposer=1, status=Status.APPROVED))


# --- the limits setting ---------------------------------------------------------------------------------------


def test_limits_parse_strings_integers_and_none() -> None:
    assert parse_limits({"a": "1,234.50", "b": 10, "c": None}) == {
        "a": Decimal("1234.50"),
        "b": Decimal(10),
        "c": None,
    }
    assert limit_of(None, LIMITS) == Decimal(0)
    assert limit_of("admin", LIMITS) is None
    assert covers(None, Decimal("1e9"))


@pytest.mark.parametrize("value", [5000.0, True, "-1", "abc", "1.234", "NaN"])
def test_limits_refuse_floats_and_bad_amounts(value: object) -> None:
    """C9: money never as a float; an amount in yuan with at most 2 decimals, not negative."""
    with pytest.raises(ArrangementRefused, match="supervisor"):
        parse_limits({"supervisor": value})  # type: ignore[dict-item]


def test_the_settings_defaults_are_valid() -> None:
    from django.conf import settings

    limits = parse_limits(settings.QINGSHOU_APPROVAL_LIMITS)
    assert limits["supervisor"] == Decimal(5000)
    assert limits["legal_officer"] == Decimal(50000)
    assert limits["admin"] is None
    assert settings.QINGSHOU_PLAN_BREACH_DPD == 3
