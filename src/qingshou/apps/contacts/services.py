"""Contact use cases (C8): check a contact and record the decision; record the result of an attempt.

``check_attempt`` is the one door every contact goes through — planned by the engine or started by a person
or an agency: it builds the facts from the store (the institution's and all agencies' attempts together),
runs ``domain.compliance.check`` and stores the attempt with its decision in one transaction. A refused
attempt is stored with its reason; nothing passes unchecked. ``record_result`` writes, once, what happened
on an allowed attempt.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from qingshou.apps.contacts.errors import NotFound
from qingshou.apps.contacts.models import ContactAttempt, ContactParty
from qingshou.apps.contacts.profiles import active_profile
from qingshou.apps.contacts.selectors import contact_facts, facts_frame, local_day
from qingshou.apps.loans.models import Borrower, Loan
from qingshou.domain import compliance
from qingshou.domain.compliance import Channel, ComplianceError, ComplianceProfile, Outcome

#: Results that make sense for each channel.
RESULTS = {
    Channel.CALL: {"connected", "wrong_party", "no_answer", "busy", "invalid_number"},
    Channel.SMS: {"delivered", "undelivered", "invalid_number"},
    Channel.EMAIL: {"delivered", "undelivered"},
    Channel.LETTER: {"delivered", "undelivered"},
    Channel.VISIT: {"connected", "wrong_party", "no_answer"},
}


def _address(party: ContactParty, channel: Channel, given: str | None) -> str:
    """The number or address used: ``given``, else the party's phone / e-mail / postal address."""
    if given:
        return given.strip()
    by_channel = {
        Channel.CALL: party.phone,
        Channel.SMS: party.phone,
        Channel.EMAIL: party.email,
        Channel.LETTER: party.address,
        Channel.VISIT: party.address,
    }
    address = by_channel[channel].strip()
    if not address:
        raise ComplianceError(f"party {party.pk} has no address for channel {channel.value}", field="address")
    return address


def _party_and_loan(party_id: int, loan_id: str) -> tuple[ContactParty, Loan]:
    """The party and the loan; the borrower's row is locked so that two checks for one debtor (on any of
    their numbers, by anyone) are decided one after the other on PostgreSQL."""
    party = ContactParty.objects.filter(pk=party_id).first()
    if party is None:
        raise NotFound(f"no contact party {party_id}", field="party")
    Borrower.objects.select_for_update().filter(pk=party.borrower_id).first()
    loan = Loan.objects.filter(loan_id=loan_id).first()
    if loan is None:
        raise NotFound(f"no loan {loan_id!r}", field="loan")
    if loan.borrower_id != party.borrower_id:
        raise ComplianceError(
            f"loan {loan_id} belongs to borrower {loan.borrower_id}, party {party_id} to {party.borrower_id}",
            field="loan",
        )
    return party, loan


def check_attempt(
    party_id: int,
    loan_id: str,
    channel: str,
    at: datetime,
    *,
    initiator: str,
    initiator_id: str = "",
    address: str | None = None,
    mentions_debt: bool = True,
    threatens_legal_action: bool = False,
    collectors: int = 0,
    time_barred: bool = False,
    profile: ComplianceProfile | None = None,
) -> ContactAttempt:
    """Check one contact planned for ``at`` (aware) and store it with the decision (C8).

    ``initiator`` is ``engine``, ``user`` or ``agency`` (``initiator_id`` names the user or agency);
    ``time_barred`` says the loan's limitation has expired (C7, from the EOD snapshot). Returns the stored
    attempt: ``outcome`` allow | defer | refuse, ``reason``, ``deferred_to`` for a deferral."""
    profile = profile or active_profile()
    if initiator not in ContactAttempt.Initiator.values:
        raise ComplianceError(
            f"initiator must be engine | user | agency, got {initiator!r}", field="initiator"
        )
    with transaction.atomic():
        party, loan = _party_and_loan(party_id, loan_id)
        attempt = compliance.ContactAttempt(
            borrower_id=party.borrower_id,
            loan_id=loan.loan_id,
            channel=channel,  # type: ignore[arg-type]
            party=party.kind,  # type: ignore[arg-type]
            address="",
            at=at,
            time_zone=party.time_zone,
            mentions_debt=mentions_debt,
            threatens_legal_action=threatens_legal_action,
            collectors=collectors,
        )
        used = _address(party, attempt.channel, address)
        day = local_day(at, party.time_zone, profile)
        frame = facts_frame([party.borrower_id], day, time_barred_loan_ids=[loan_id] if time_barred else ())
        [row] = frame.filter((frame["loan_id"] == loan_id) & (frame["party_id"] == party.pk)).iter_rows(
            named=True
        )
        decision = compliance.check(attempt, contact_facts(row), profile)
        return ContactAttempt.objects.create(
            initiator=initiator,
            initiator_id=initiator_id,
            borrower_id=party.borrower_id,
            loan=loan,
            party=party,
            party_kind=party.kind,
            channel=attempt.channel.value,
            address=used,
            time_zone=party.time_zone or profile.default_time_zone,
            planned_at=at,
            local_day=day,
            mentions_debt=mentions_debt,
            threatens_legal_action=threatens_legal_action,
            collectors=collectors,
            time_barred=time_barred,
            profile=profile.name,
            outcome=decision.outcome.value,
            reason=decision.reason,
            deferred_to=decision.deferred_to,
        )


def record_result(
    attempt_id: int, result: str, attempted_at: datetime, *, conversation_about_debt: bool = False
) -> ContactAttempt:
    """Record what happened on an allowed attempt, once. ``attempted_at`` (aware) must fall on the local day
    the attempt was checked for (another day needs a new check). ``invalid_number`` marks the party's number
    invalid; ``conversation_about_debt`` only goes with a connected call (it starts Reg F's 7 days)."""
    if attempted_at.tzinfo is None or attempted_at.utcoffset() is None:
        raise ComplianceError("attempted_at must be an aware moment", field="attempted_at")
    with transaction.atomic():
        row = ContactAttempt.objects.select_for_update().filter(pk=attempt_id).first()
        if row is None:
            raise NotFound(f"no contact attempt {attempt_id}", field="attempt")
        _check_result(row, result, attempted_at, conversation_about_debt)
        row.result = result
        row.attempted_at = attempted_at
        row.conversation_about_debt = conversation_about_debt if row.channel == Channel.CALL.value else None
        row.result_recorded_at = timezone.now()
        row.save(update_fields=["result", "attempted_at", "conversation_about_debt", "result_recorded_at"])
        if result == "invalid_number":
            ContactParty.objects.filter(pk=row.party_id).update(number_invalid=True)
        return row


def _check_result(row: ContactAttempt, result: str, attempted_at: datetime, conversation: bool) -> None:
    if row.outcome != Outcome.ALLOW.value:
        raise ComplianceError(
            f"attempt {row.pk} was not allowed ({row.outcome}: {row.reason}); it cannot have a result",
            field="attempt",
        )
    if row.result:
        raise ComplianceError(f"attempt {row.pk} already has its result ({row.result})", field="result")
    allowed = RESULTS[Channel(row.channel)]
    if result not in allowed:
        raise ComplianceError(
            f"result of a {row.channel} must be {' | '.join(sorted(allowed))}, got {result!r}", field="result"
        )
    if conversation and result != "connected":
        raise ComplianceError("a conversation about the debt needs a connected call", field="conversation")
    day = attempted_at.astimezone(compliance.zone(row.time_zone)).date()
    if day != row.local_day:
        raise ComplianceError(
            f"attempt {row.pk} was checked for {row.local_day}, made on {day}: check it again",
            field="attempted_at",
        )
