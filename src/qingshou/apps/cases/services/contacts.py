"""Recording a contact from the case page (issue 5, C8).

``record_contact`` is one use case: the collector must hold the case's lock; the contact goes through
``apps.contacts.services.check_attempt`` FIRST (the one C8 check: a refusal or deferral is stored with its
reason by that check and returned — nothing is recorded as made); only an allowed attempt gets its result
(``record_result``), the collector's reason for delinquency and notes (``ContactNote``) and, when given, a
call-back (``CallBack``, first in the queue on its day). Audited; the lock is renewed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from qingshou.apps.audit.services import record
from qingshou.apps.cases.assignment import require_lock
from qingshou.apps.cases.models import CallBack, Case, ContactNote
from qingshou.apps.contacts.models import ContactAttempt, ContactParty
from qingshou.apps.contacts.services import RESULTS, check_attempt, record_result
from qingshou.apps.eod.models import LoanStatus
from qingshou.domain.compliance import Channel, ComplianceError

CHANNELS = frozenset(channel.value for channel in Channel)


@dataclass(frozen=True, slots=True)
class ContactForm:
    """What the collector entered."""

    party_id: int
    loan_id: str
    channel: str
    result: str
    reason: str = ""
    notes: str = ""
    callback_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Recorded:
    """The stored attempt; ``allowed`` False when the C8 check refused or deferred it (``attempt.reason``)."""

    attempt: ContactAttempt
    allowed: bool
    callback: CallBack | None = None


def _time_barred(loan_id: str, today: datetime) -> bool:
    expires = (
        LoanStatus.objects.filter(loan_id=loan_id).values_list("limitation_expires_on", flat=True).first()
    )
    return expires is not None and expires < timezone.localdate(today)


def record_contact(user: User, case_id: int, form: ContactForm, *, now: datetime | None = None) -> Recorded:
    """Check, then record, one contact a user made on a case (module docstring)."""
    now = now or timezone.now()
    with transaction.atomic():
        case = Case.objects.filter(pk=case_id, status=Case.Status.OPEN).first()
        if case is None:
            raise ComplianceError(f"case {case_id} is not open", field="case")
        if not ContactParty.objects.filter(pk=form.party_id, borrower_id=case.borrower_id).exists():
            raise ComplianceError(f"party {form.party_id} is not one of the borrower's", field="party")
        allowed_results = RESULTS.get(Channel(form.channel), set()) if form.channel in CHANNELS else set()
        if form.result not in allowed_results:
            raise ComplianceError(
                f"result of a {form.channel} must be {' | '.join(sorted(allowed_results))}", field="result"
            )
        if form.callback_at is not None and form.callback_at <= now:
            raise ComplianceError("a call-back must be in the future", field="callback_at")
        require_lock(user, case_id, now=now)
        attempt = check_attempt(
            form.party_id,
            form.loan_id,
            form.channel,
            now,
            initiator="user",
            initiator_id=user.get_username(),
            time_barred=_time_barred(form.loan_id, now),
        )
        allowed = attempt.outcome == "allow"
        callback = None
        if allowed:
            attempt = record_result(
                attempt.pk, form.result, now, conversation_about_debt=form.result == "connected"
            )
            if form.callback_at is not None:
                callback = CallBack.objects.create(case=case, at=form.callback_at, created_by=user)
        ContactNote.objects.create(
            case=case,
            attempt=attempt,
            reason=form.reason,
            notes=form.notes,
            recorded_by=user,
            recorded_at=now,
        )
        CallBack.objects.filter(case=case, done_at__isnull=True, at__lte=now).update(done_at=now)
        record(
            user,
            "contact.record",
            attempt,
            detail={
                "case": case_id,
                "channel": form.channel,
                "outcome": attempt.outcome,
                "reason": attempt.reason,
                "result": attempt.result,
                "delinquency_reason": form.reason,
                "callback_at": form.callback_at.isoformat() if form.callback_at else None,
            },
        )
    return Recorded(attempt, allowed, callback)
