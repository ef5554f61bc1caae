"""Use cases of write-offs (issue 6). One transaction each, every change an audit event (``writeoff.<verb>``,
target the write-off).

* ``propose``: a user who may work the case (in scope, a role that writes, ``writeoffs.add_writeoff``) proposes
  one of the borrower's loans with a reason. The loan is quoted at the end of the day; its eligibility is the
  domain's (``domain.writeoff.eligibility`` under ``QINGSHOU_WRITEOFF_RULES``); the grounds that are not in the
  quote (debtor deceased or bankrupt, enforcement terminated 终本) are asserted by the proposer and need
  evidence. Refused with every reason when no ground is met. One write-off holds a loan at a time.
* ``approve`` / ``reject`` / ``withdraw``: maker-checker (``rules``), the row locked and moved by a conditional
  update, so two approvals at once approve once.
* ``execute``: an approved write-off is executed on a day (not before the approval, not in the future): the
  amounts are those of the quote of that day (never above what was approved: a higher amount needs a new
  proposal). Nothing is posted to the ledger (账销案存: the loan stays in the book, collection goes on).
* ``recovery_report(month)`` / ``eligible_loans(as_of)``: the read side for the report and the CLI.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import polars as pl
from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from qingshou import clock, config
from qingshou.apps.accounts.roles import role_of
from qingshou.apps.accounts.scoping import can_write, visible_cases
from qingshou.apps.audit.services import record
from qingshou.apps.cases.models import Case
from qingshou.apps.eod.models import LoanStatus
from qingshou.apps.loans import selectors as loan_selectors
from qingshou.apps.loans.models import Loan, Payment
from qingshou.apps.writeoffs.models import WriteOff
from qingshou.apps.writeoffs.rules import (
    DEFAULT_LIMITS,
    HOLDING,
    Checker,
    Proposal,
    Status,
    check_approval,
    check_rejection,
    check_transition,
    check_withdrawal,
    parse_writeoff_limits,
)
from qingshou.domain.money import fen, from_fen, money_str
from qingshou.domain.policy import LoanClass
from qingshou.domain.quote import Quote
from qingshou.domain.writeoff import (
    ZERO,
    Eligibility,
    Ground,
    WriteOffError,
    WriteOffFacts,
    WriteOffRules,
    eligibility,
    parse_month,
    parse_rules,
    writeoff_amounts,
)

PROPOSE_PERMISSION: Final = "writeoffs.add_writeoff"
APPROVE_PERMISSION: Final = "writeoffs.approve_writeoff"
VIEW_PERMISSION: Final = "writeoffs.view_writeoff"
REPORT_PERMISSION: Final = "writeoffs.view_recovery_report"
#: Grounds a proposer asserts (not in the quote): each needs evidence.
ASSERTED: Final = frozenset({Ground.DEBTOR_DECEASED, Ground.DEBTOR_BANKRUPT, Ground.ENFORCEMENT_TERMINATED})


def approval_limits() -> dict[str, Decimal | None]:
    """``settings.QINGSHOU_WRITEOFF_APPROVAL_LIMITS`` validated (role → yuan, ``None``: no limit)."""
    return parse_writeoff_limits(getattr(settings, "QINGSHOU_WRITEOFF_APPROVAL_LIMITS", DEFAULT_LIMITS))


def writeoff_rules() -> WriteOffRules:
    """``settings.QINGSHOU_WRITEOFF_RULES`` validated (``domain.writeoff.parse_rules``; default: every ground
    but the small-balance one, 180 days with 终本)."""
    return parse_rules(getattr(settings, "QINGSHOU_WRITEOFF_RULES", {}))


def visible_writeoffs(user: Any) -> QuerySet[WriteOff]:
    """The write-offs of the cases ``user`` sees (row-level scope)."""
    return WriteOff.objects.filter(case__in=visible_cases(user).values("pk"))


def facts_of(quote: Quote, asserted: Iterable[Ground] = ()) -> WriteOffFacts:
    """What eligibility reads from a quote, with the grounds the proposer asserts."""
    chosen = frozenset(asserted)
    return WriteOffFacts(
        loan_id=quote.loan_id,
        loan_class=quote.classification,
        dpd=quote.dpd,
        outstanding_principal=quote.outstanding_principal,
        overdue_interest=quote.overdue_interest,
        limitation_expires_on=quote.limitation.expires_on,
        debtor_deceased=Ground.DEBTOR_DECEASED in chosen,
        debtor_bankrupt=Ground.DEBTOR_BANKRUPT in chosen,
        enforcement_terminated=Ground.ENFORCEMENT_TERMINATED in chosen,
    )


def _amount_fields(quote: Quote) -> dict[str, int]:
    amounts = writeoff_amounts(
        quote.outstanding_principal,
        quote.overdue_interest,
        quote.penalty_interest,
        quote.compound_interest,
        quote.fees,
        quote.costs,
    )
    return {
        "principal_fen": fen(amounts.principal),
        "interest_fen": fen(amounts.interest),
        "amount_fen": fen(amounts.written_off),
        "penalty_fen": fen(amounts.penalty),
        "compound_fen": fen(amounts.compound),
        "fees_fen": fen(amounts.fees),
        "costs_fen": fen(amounts.costs),
    }


def assess(loan_id: str, on: date, asserted: Iterable[Ground] = ()) -> tuple[Eligibility, Quote]:
    """The eligibility of ``loan_id`` at the end of ``on`` and the quote it read."""
    quote = loan_selectors.quote(loan_id, on)
    return eligibility(facts_of(quote, asserted), on, writeoff_rules()), quote


def propose(
    user: Any,
    case_id: int,
    loan_id: str,
    *,
    reason: str,
    asserted: Iterable[Ground | str] = (),
    evidence: str = "",
    today: date | None = None,
) -> WriteOff:
    """Store a proposed write-off (module docstring); refused with the reasons when no ground is met."""
    text = reason.strip()
    if not text:
        raise WriteOffError("give the reason for the write-off", field="reason")
    try:
        chosen = frozenset(Ground(item) for item in asserted)
    except ValueError as error:
        raise WriteOffError(f"unknown ground: {error}", field="grounds") from None
    if not chosen <= ASSERTED:
        extra = ", ".join(sorted(ground.value for ground in chosen - ASSERTED))
        raise WriteOffError(f"{extra} is read from the loan, not asserted", field="grounds")
    if chosen and not evidence.strip():
        raise WriteOffError(
            "asserted grounds need their evidence (ruling, death or bankruptcy record)", field="evidence"
        )
    day = today or clock.today()
    with transaction.atomic():
        case = visible_cases(user).filter(pk=case_id).first()
        if case is None:
            raise WriteOffError(f"case {case_id} is not in your scope", field="case")
        if not can_write(user) or not user.has_perm(PROPOSE_PERMISSION):
            raise WriteOffError("your role does not propose write-offs", field="user")
        loan = Loan.objects.select_for_update().filter(loan_id=loan_id, borrower_id=case.borrower_id).first()
        if loan is None:
            raise WriteOffError(f"loan {loan_id} is not the borrower's", field="loan_id")
        held = WriteOff.objects.filter(loan=loan, status__in=HOLDING).values_list("pk", "status").first()
        if held is not None:
            raise WriteOffError(
                f"loan {loan_id} already has a write-off that is {held[1]} (#{held[0]})", field="loan_id"
            )
        result, quote = assess(loan.loan_id, day, chosen)
        if not result.eligible:
            raise WriteOffError(
                f"loan {loan_id} is not eligible for write-off on {day.isoformat()}: "
                + "; ".join(result.refusals),
                field="grounds",
            )
        writeoff = WriteOff.objects.create(
            case=case,
            loan=loan,
            grounds=",".join(ground.value for ground in result.grounds),
            evidence=evidence.strip(),
            reason=text,
            assessed_on=day,
            proposed_by=user,
            **_amount_fields(quote),
        )
        _audit(user, "propose", writeoff, text)
    return writeoff


def checker_for(user: Any, writeoff: WriteOff) -> Checker:
    """What the rules know about ``user`` deciding ``writeoff``."""
    role = role_of(user)
    return Checker(
        user_id=int(user.pk),
        role=role.value if role is not None else None,
        may_approve=can_write(user) and user.has_perm(APPROVE_PERMISSION),
        sees_case=visible_cases(user).filter(pk=writeoff.case_id).exists(),
    )


def proposal_of(writeoff: WriteOff) -> Proposal:
    """What the rules know about ``writeoff``."""
    return Proposal(Status(writeoff.status), int(writeoff.proposed_by_id), from_fen(writeoff.amount_fen))


def _locked(writeoff_id: int) -> WriteOff:
    found = WriteOff.objects.select_for_update().filter(pk=writeoff_id).first()
    if found is None:
        raise WriteOffError(f"write-off {writeoff_id} does not exist", field="writeoff")
    return found


def _move(writeoff: WriteOff, current: Status, target: Status, **fields: Any) -> None:
    check_transition(current, target)
    moved = WriteOff.objects.filter(pk=writeoff.pk, status=current.value).update(
        status=target.value, **fields
    )
    if moved != 1:
        raise WriteOffError(f"write-off {writeoff.pk} is no longer {current.value}", field="status")
    writeoff.status = target.value
    for name, value in fields.items():
        setattr(writeoff, name, value)


def approve(user: Any, writeoff_id: int, *, note: str = "", today: date | None = None) -> WriteOff:
    """A checker approves (``rules.check_approval``: never the proposer, within the role's limit)."""
    day = today or clock.today()
    with transaction.atomic():
        writeoff = _locked(writeoff_id)
        check_approval(checker_for(user, writeoff), proposal_of(writeoff), approval_limits())
        _move(
            writeoff,
            Status.PROPOSED,
            Status.APPROVED,
            decided_by=user,
            decided_at=timezone.now(),
            decided_on=day,
            decision_note=note.strip(),
        )
        _audit(user, "approve", writeoff, note)
    return writeoff


def reject(user: Any, writeoff_id: int, *, note: str) -> WriteOff:
    """A checker rejects a proposal; the note (why) is required."""
    text = note.strip()
    if not text:
        raise WriteOffError("say why the write-off is rejected", field="note")
    with transaction.atomic():
        writeoff = _locked(writeoff_id)
        check_rejection(checker_for(user, writeoff), proposal_of(writeoff))
        _move(
            writeoff,
            Status.PROPOSED,
            Status.REJECTED,
            decided_by=user,
            decided_at=timezone.now(),
            decided_on=clock.today(),
            decision_note=text,
        )
        _audit(user, "reject", writeoff, text)
    return writeoff


def withdraw(user: Any, writeoff_id: int, *, note: str = "") -> WriteOff:
    """The proposer (or a checker) withdraws a pending proposal."""
    with transaction.atomic():
        writeoff = _locked(writeoff_id)
        check_withdrawal(checker_for(user, writeoff), proposal_of(writeoff))
        _move(writeoff, Status.PROPOSED, Status.WITHDRAWN, decision_note=note.strip())
        _audit(user, "withdraw", writeoff, note)
    return writeoff


def execute(user: Any, writeoff_id: int, *, on: date | None = None, today: date | None = None) -> WriteOff:
    """Write the loan off on ``on`` (default today): the proposer or a checker who sees the case; the amounts
    of the quote of ``on``, never above the approved amount."""
    day = today or clock.today()
    when = on or day
    with transaction.atomic():
        writeoff = _locked(writeoff_id)
        checker = checker_for(user, writeoff)
        if not checker.sees_case:
            raise WriteOffError("the case is outside your scope", field="user")
        if not can_write(user) or not (
            checker.may_approve
            or (user.has_perm(PROPOSE_PERMISSION) and checker.user_id == writeoff.proposed_by_id)
        ):
            raise WriteOffError("only the proposer or a checker executes a write-off", field="user")
        check_transition(writeoff.status, Status.EXECUTED)
        if when > day:
            raise WriteOffError(f"the write-off day {when.isoformat()} is in the future", field="on")
        if writeoff.decided_on is not None and when < writeoff.decided_on:
            raise WriteOffError(
                f"the write-off day {when.isoformat()} is before the approval ({writeoff.decided_on.isoformat()})",
                field="on",
            )
        fields = _amount_fields(loan_selectors.quote(writeoff.loan_id, when))
        if fields["amount_fen"] > writeoff.amount_fen:
            raise WriteOffError(
                f"the amount to write off on {when.isoformat()} ({money_str(from_fen(fields['amount_fen']))}) is above"
                f" the approved {money_str(from_fen(writeoff.amount_fen))}: propose again",
                field="on",
            )
        _move(writeoff, Status.APPROVED, Status.EXECUTED, executed_by=user, written_off_on=when, **fields)
        _audit(user, "execute", writeoff, "", written_off_on=when.isoformat())
    return writeoff


def _audit(actor: Any, verb: str, writeoff: WriteOff, reason: str, **detail: Any) -> None:
    record(
        actor,
        f"writeoff.{verb}",
        writeoff,
        {
            "status": writeoff.status,
            "case_id": writeoff.case_id,
            "loan_id": writeoff.loan_id,
            "grounds": writeoff.ground_list,
            "amount": money_str(from_fen(writeoff.amount_fen)),
            "off_balance": money_str(from_fen(writeoff.off_balance_fen)),
            **detail,
        },
        reason=reason.strip()[:500],
    )


# --- recovery after write-off -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecoveryRow:
    """One executed write-off in a month's report: what was written off and the cash recovered after it."""

    writeoff_id: int
    case_id: int
    loan_id: str
    written_off_on: date
    written_off: Decimal
    off_balance: Decimal
    recovered_in_month: Decimal
    recovered_to_date: Decimal

    def as_json(self) -> dict[str, Any]:
        """Plain JSON values (decimal strings, ISO dates)."""
        return {
            "writeoff_id": self.writeoff_id,
            "case_id": self.case_id,
            "loan_id": self.loan_id,
            "written_off_on": self.written_off_on.isoformat(),
            "written_off": money_str(self.written_off),
            "off_balance": money_str(self.off_balance),
            "recovered_in_month": money_str(self.recovered_in_month),
            "recovered_to_date": money_str(self.recovered_to_date),
        }


@dataclass
class RecoveryReport:
    """Recovery after write-off in a month: rows of the write-offs with cash in the month, and totals."""

    month: str
    first: date
    last: date
    rows: list[RecoveryRow] = field(default_factory=list)
    written_off_in_month: Decimal = ZERO
    count_written_off_in_month: int = 0

    @property
    def recovered(self) -> Decimal:
        """Cash recovered in the month on loans written off before it was paid."""
        return sum((row.recovered_in_month for row in self.rows), ZERO)

    def as_json(self) -> dict[str, Any]:
        """Plain JSON values."""
        return {
            "month": self.month,
            "recovered": money_str(self.recovered),
            "loans_with_recovery": len(self.rows),
            "written_off_in_month": money_str(self.written_off_in_month),
            "count_written_off_in_month": self.count_written_off_in_month,
            "rows": [row.as_json() for row in self.rows],
        }


def recovery_report(month: str, writeoffs: QuerySet[WriteOff] | None = None) -> RecoveryReport:
    """Cash paid in ``month`` (``YYYY-MM``) after each executed write-off's day, by write-off (the scope of
    ``writeoffs``: default every write-off); plus what was written off in the month."""
    first, last = parse_month(month)
    report = RecoveryReport(month, first, last)
    executed = (writeoffs if writeoffs is not None else WriteOff.objects.all()).filter(
        status=Status.EXECUTED.value, written_off_on__lte=last
    )
    by_loan = {item.loan_id: item for item in executed.order_by("written_off_on", "pk")}
    in_month = [
        item for item in by_loan.values() if item.written_off_on is not None and item.written_off_on >= first
    ]
    report.count_written_off_in_month = len(in_month)
    report.written_off_in_month = sum((from_fen(item.amount_fen) for item in in_month), ZERO)
    if not by_loan:
        return report
    sums: dict[str, list[Decimal]] = {}
    payments = Payment.objects.filter(loan_id__in=list(by_loan), kind="cash", paid_on__lte=last).values_list(
        "loan_id", "paid_on", "amount_fen"
    )
    for loan_id, paid_on, amount_fen in payments:
        writeoff = by_loan[loan_id]
        if writeoff.written_off_on is None or paid_on <= writeoff.written_off_on:
            continue
        month_sum, total = sums.setdefault(loan_id, [ZERO, ZERO])
        amount = from_fen(amount_fen)
        sums[loan_id] = [month_sum + (amount if paid_on >= first else ZERO), total + amount]
    for loan_id, (month_sum, total) in sorted(sums.items()):
        if month_sum <= 0:
            continue
        item = by_loan[loan_id]
        assert item.written_off_on is not None
        report.rows.append(
            RecoveryRow(
                writeoff_id=item.pk,
                case_id=item.case_id,
                loan_id=loan_id,
                written_off_on=item.written_off_on,
                written_off=from_fen(item.amount_fen),
                off_balance=from_fen(item.off_balance_fen),
                recovered_in_month=month_sum,
                recovered_to_date=total,
            )
        )
    return report


def recovered_since(writeoff: WriteOff, until: date | None = None) -> Decimal:
    """Cash paid on the loan after its write-off day (up to ``until``)."""
    if writeoff.written_off_on is None:
        return ZERO
    payments = Payment.objects.filter(
        loan_id=writeoff.loan_id, kind="cash", paid_on__gt=writeoff.written_off_on
    )
    if until is not None:
        payments = payments.filter(paid_on__lte=until)
    return sum((from_fen(value) for value in payments.values_list("amount_fen", flat=True)), ZERO)


# --- eligibility over the book -----------------------------------------------------------------------------


class SnapshotMissing(WriteOffError):
    """No EOD snapshot of the day (neither in the lake nor in the store)."""

    code = "not_found"


_COLUMNS: Final = (
    "loan_id",
    "classification",
    "dpd",
    "outstanding_principal_fen",
    "overdue_interest_fen",
    "penalty_interest_fen",
    "compound_interest_fen",
    "fees_fen",
    "costs_fen",
    "limitation_expires_on",
)


def _snapshot(as_of: date, lake: Path | None) -> pl.DataFrame:
    from qingshou.lake import read_snapshot
    from qingshou.lake.snapshots import SnapshotNotFound

    try:
        return read_snapshot(lake if lake is not None else config.lake_path(), as_of).select(_COLUMNS)
    except SnapshotNotFound:
        rows = list(LoanStatus.objects.filter(as_of=as_of).values_list(*_COLUMNS))
        if not rows:
            raise SnapshotMissing(
                f"no EOD snapshot of {as_of.isoformat()} in the lake or the store: run qingshou eod --as-of"
                f" {as_of.isoformat()}",
                field="as_of",
            ) from None
        return pl.DataFrame(rows, schema=list(_COLUMNS), orient="row")


@dataclass(frozen=True, slots=True)
class EligibleLoan:
    """A loan that qualifies on ``as_of``, its grounds and the amounts a write-off would take."""

    loan_id: str
    grounds: tuple[Ground, ...]
    dpd: int
    classification: str
    written_off: Decimal
    off_balance: Decimal

    def as_json(self) -> dict[str, Any]:
        """Plain JSON values."""
        return {
            "loan_id": self.loan_id,
            "grounds": [ground.value for ground in self.grounds],
            "dpd": self.dpd,
            "classification": self.classification,
            "written_off": money_str(self.written_off),
            "off_balance": money_str(self.off_balance),
        }


def eligible_loans(as_of: date, *, lake: Path | None = None) -> list[EligibleLoan]:
    """The loans that qualify on ``as_of`` from the day's EOD snapshot (the grounds in the snapshot: loss class,
    limitation expired, small balance; the asserted grounds need a proposal with evidence), except loans a
    write-off already holds."""
    frame = _snapshot(as_of, lake)
    held = set(WriteOff.objects.filter(status__in=HOLDING).values_list("loan_id", flat=True))
    rules = writeoff_rules()
    found: list[EligibleLoan] = []
    for row in frame.sort("loan_id").iter_rows(named=True):
        if row["loan_id"] in held:
            continue
        facts = WriteOffFacts(
            loan_id=row["loan_id"],
            loan_class=LoanClass[str(row["classification"]).upper()],
            dpd=int(row["dpd"]),
            outstanding_principal=from_fen(int(row["outstanding_principal_fen"])),
            overdue_interest=from_fen(int(row["overdue_interest_fen"])),
            limitation_expires_on=row["limitation_expires_on"],
        )
        result = eligibility(facts, as_of, rules)
        if not result.eligible:
            continue
        off = sum(
            int(row[name])
            for name in ("penalty_interest_fen", "compound_interest_fen", "fees_fen", "costs_fen")
        )
        found.append(
            EligibleLoan(
                loan_id=facts.loan_id,
                grounds=result.grounds,
                dpd=facts.dpd,
                classification=facts.loan_class.code,
                written_off=facts.outstanding_principal + facts.overdue_interest,
                off_balance=from_fen(off),
            )
        )
    return found


def case_writeoffs(case: Case) -> list[WriteOff]:
    """The write-offs of the case's borrower's loans, newest first."""
    return list(
        WriteOff.objects.filter(loan__borrower_id=case.borrower_id)
        .select_related("proposed_by", "decided_by")
        .order_by("-proposed_at", "-pk")
    )
