"""Sending the outbox: claim a due row atomically, hand it to its channel, record the outcome, retry.

A row is *due* when it is pending and ``next_attempt_at`` ≤ now. ``claim`` moves it pending → sending with
one conditional ``UPDATE`` (and counts the attempt), so of two workers only one ever sends it. Then:

* success → sent (``sent_at``, the provider's message id, the subject and text sent, the template version);
* a transient error (HTTP 5xx, timeout, connection refused, SMTP 4xx) → pending again, retried after
  ``RETRY_BASE_SECONDS · 2^(attempts − 1)`` (1st retry after the base, then 2×, 4× …); the attempt that
  reaches ``MAX_ATTEMPTS`` fails the row instead;
* a permanent error (HTTP 4xx, invalid address, SMTP 5xx, a notice that cannot be rendered) → failed.

Letters are printed in batches: the due letter rows are claimed together and rendered into one PDF file
(one letter per page) under ``LETTER_DIR/<as of>/``; each row is sent with ``<file>#p<page>`` as its
message id, delivered later by a postal receipt (``services.delivery``).

A worker that dies between the claim and the outcome (killed, machine lost) leaves its row in sending. The
next relay fails every row claimed longer ago than ``SENDING_LEASE_SECONDS`` with "outcome unknown"
(``fail_stalled``): the message may or may not have reached the gateway, the SMTP server or the printer, and
sending it again could contact the borrower twice (C8 counts every contact) — an operator checks the provider's
records by the row's key (the SMS reference) and stages it again if it never left.

The job queue is django-q2 (its ORM broker is this database): ``relay_due`` enqueues one task per due SMS or
e-mail row and one per letter batch; the cluster runs it on a schedule (``ensure_relay_schedule``).
``run_burst`` does the same synchronously until nothing is due and returns what happened.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Final

import polars as pl
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from qingshou.apps.contacts.models import ContactParty
from qingshou.apps.contacts.profiles import active_profile
from qingshou.apps.contacts.selectors import contact_facts, facts_frame
from qingshou.apps.notices.models import Channel, NoticeTemplate, Outbox
from qingshou.apps.notices.services.config import NoticeSettings, notice_settings
from qingshou.apps.notices.services.rendering import build_letter, render_text
from qingshou.channels.errors import DeliveryError, PermanentDeliveryError, TransientDeliveryError
from qingshou.channels.letters import Letter, write_letters
from qingshou.channels.mail import send_email
from qingshou.channels.sms import SmsGateway
from qingshou.domain.compliance import Channel as ComplianceChannel
from qingshou.domain.compliance import ContactAttempt, ContactFacts, Decision, Outcome, PartyKind, check
from qingshou.domain.errors import DomainError

logger = logging.getLogger(__name__)

SEND_TASK: Final = "qingshou.apps.notices.services.sending.send_notice"
LETTER_TASK: Final = "qingshou.apps.notices.services.sending.print_letters"
RELAY_TASK: Final = "qingshou.apps.notices.services.sending.relay_due"
RELAY_SCHEDULE: Final = "qingshou-notice-relay"
#: Rows one relay run looks at (the next run takes the rest).
RELAY_BATCH: Final = 1000
#: Burst rounds at most (each round sends every row due at its start).
BURST_ROUNDS: Final = 100


def retry_delay(attempts: int, base_seconds: int) -> timedelta:
    """The wait after the ``attempts``-th attempt failed transiently: base · 2^(attempts − 1)."""
    return timedelta(seconds=base_seconds * 2 ** max(attempts - 1, 0))


def due_rows(now: datetime | None = None, limit: int = RELAY_BATCH) -> list[tuple[int, str]]:
    """(id, channel) of the rows due at ``now``, oldest first."""
    moment = now or timezone.now()
    rows = Outbox.objects.filter(status=Outbox.Status.PENDING, next_attempt_at__lte=moment)
    return list(rows.order_by("next_attempt_at", "id").values_list("id", "channel")[:limit])


def claim(outbox_id: int, now: datetime | None = None) -> Outbox | None:
    """Move a due row pending → sending and count the attempt; None when another worker has it."""
    moment = now or timezone.now()
    claimed = Outbox.objects.filter(
        pk=outbox_id, status=Outbox.Status.PENDING, next_attempt_at__lte=moment
    ).update(status=Outbox.Status.SENDING, attempts=F("attempts") + 1, claimed_at=moment)
    return Outbox.objects.get(pk=outbox_id) if claimed else None


#: The message a stalled row is failed with (``fail_stalled``).
STALLED_MESSAGE: Final = (
    "outcome unknown: the worker stopped while sending (claimed at {claimed}); not sent again "
    "automatically — check the provider's records for reference {key} before staging it again"
)


def fail_stalled(now: datetime | None = None) -> int:
    """Fail every row left in sending longer than the lease (module docstring); return how many."""
    moment = now or timezone.now()
    cutoff = moment - timedelta(seconds=notice_settings().sending_lease_seconds)
    stalled = Outbox.objects.filter(status=Outbox.Status.SENDING).filter(
        Q(claimed_at__lt=cutoff) | Q(claimed_at__isnull=True)
    )
    failed = 0
    for row in stalled.order_by("id").iterator():
        claimed = row.claimed_at.isoformat() if row.claimed_at else "before claim times were kept"
        message = STALLED_MESSAGE.format(claimed=claimed, key=row.key)
        # conditional: a worker that finishes the row meanwhile wins, and the row is left as it recorded
        failed += Outbox.objects.filter(pk=row.pk, status=Outbox.Status.SENDING).update(
            status=Outbox.Status.FAILED, last_error=f"attempt {row.attempts}: {message}"
        )
        logger.warning("notice %s: %s", row.key, message)
    return failed


def _mark_sent(row: Outbox, template: NoticeTemplate, subject: str, content: str, message_id: str) -> None:
    row.status = Outbox.Status.SENT
    row.sent_at = timezone.now()
    row.provider_message_id = message_id
    row.template = template
    row.subject = subject
    row.content = content
    row.last_error = ""
    row.save(
        update_fields=[
            "status",
            "sent_at",
            "provider_message_id",
            "template",
            "subject",
            "content",
            "last_error",
        ]
    )


def _mark_failed(row: Outbox, error: Exception, config: NoticeSettings) -> None:
    """Record a failed attempt: retry later (transient, attempts left) or fail the row."""
    message = getattr(error, "message", None) or str(error)
    permanent = getattr(error, "permanent", True)
    row.last_error = f"attempt {row.attempts}: {message}"
    if permanent or row.attempts >= config.max_attempts:
        row.status = Outbox.Status.FAILED
    else:
        row.status = Outbox.Status.PENDING
        row.next_attempt_at = timezone.now() + retry_delay(row.attempts, config.retry_base_seconds)
    row.save(update_fields=["status", "next_attempt_at", "last_error"])
    logger.info("notice %s: %s (%s)", row.key, row.status, message)


def _deliver(row: Outbox, config: NoticeSettings) -> None:
    template, text = render_text(row)
    if row.channel == Channel.SMS:
        gateway = SmsGateway(config.sms_gateway_url, config.sms_api_key, config.sms_timeout)
        message_id = gateway.send(row.recipient, text.body, row.key)
    elif row.channel == Channel.EMAIL:
        message_id = send_email(
            row.recipient, text.subject, text.body, config.sender, timeout=config.smtp_timeout
        )
    else:
        raise PermanentDeliveryError(f"channel {row.channel} is not sent one by one")
    _mark_sent(row, template, text.subject, text.body, message_id)


def send_time_decision(row: Outbox, now: datetime) -> Decision:
    """The compliance check (C8) of sending ``row`` at ``now`` with the store's facts of the addressed party:
    the plan was checked for its planned moment, but the worker may run late (quiet hours) and the person
    may have asked to stop since, or the debtor become reachable again (third parties)."""
    profile = active_profile()
    parties = ContactParty.objects.filter(borrower_id=row.borrower_id, kind=row.audience)
    party = parties.filter(Q(phone=row.recipient) | Q(email=row.recipient) | Q(address=row.recipient)).first()
    zone_name = party.time_zone if party is not None else ""
    local_day = now.astimezone(profile.local_zone(zone_name)).date()
    facts = ContactFacts(day=local_day)
    if party is not None:
        found = facts_frame([row.borrower_id], local_day).filter(
            (pl.col("party_id") == party.pk) & (pl.col("loan_id") == row.loan_id)
        )
        if found.height:
            facts = contact_facts(found.row(0, named=True))
    attempt = ContactAttempt(
        borrower_id=row.borrower_id,
        loan_id=row.loan_id,
        channel=ComplianceChannel(row.channel),
        party=PartyKind(row.audience),
        address=row.recipient,
        at=now,
        time_zone=zone_name,
        mentions_debt=row.audience == PartyKind.DEBTOR.value,
    )
    return check(attempt, facts, profile)


def _hold(row: Outbox, decision: Decision) -> None:
    """A send the check did not allow: deferred → pending until the allowed moment (not an attempt);
    refused → failed with the reason."""
    if decision.outcome is Outcome.DEFER and decision.deferred_to is not None:
        row.status = Outbox.Status.PENDING
        row.attempts = max(row.attempts - 1, 0)
        row.next_attempt_at = decision.deferred_to
        row.last_error = f"deferred by the contact rules (C8): {decision.reason}"
    else:
        row.status = Outbox.Status.FAILED
        row.last_error = f"refused by the contact rules (C8): {decision.reason}"
    row.save(update_fields=["status", "attempts", "next_attempt_at", "last_error"])
    logger.info("notice %s: %s", row.key, row.last_error)


def send_notice(outbox_id: int) -> str:
    """Claim and send one SMS or e-mail row; return its status afterwards ('' when not claimed). The
    contact rules are checked again at the moment of sending (``send_time_decision``)."""
    row = claim(outbox_id)
    if row is None:
        return ""
    decision = send_time_decision(row, timezone.now())
    if decision.outcome is not Outcome.ALLOW:
        _hold(row, decision)
        return row.status
    config = notice_settings()
    try:
        _deliver(row, config)
    except (DeliveryError, DomainError) as error:
        _mark_failed(row, error, config)
    return row.status


def _letter_path(config: NoticeSettings, rows: Sequence[Outbox]) -> str:
    stamp = timezone.localtime().strftime("%Y%m%dT%H%M%S%f")
    return str(config.letter_dir / rows[0].as_of.isoformat() / f"letters-{stamp}-{rows[0].pk}.pdf")


def print_letters(outbox_ids: Sequence[int]) -> str:
    """Claim the letter rows, render them into one batch PDF; return its path ('' when none printed)."""
    config = notice_settings()
    printed: list[tuple[Outbox, NoticeTemplate, Letter]] = []
    for outbox_id in outbox_ids:
        row = claim(outbox_id)
        if row is None:
            continue
        try:
            template, letter = build_letter(row)
        except DomainError as error:
            _mark_failed(row, error, config)
            continue
        printed.append((row, template, letter))
    if not printed:
        return ""
    rows = [row for row, _, _ in printed]
    path = _letter_path(config, rows)
    try:
        write_letters([letter for _, _, letter in printed], Path(path))
    except OSError as error:
        for row in rows:
            _mark_failed(row, TransientDeliveryError(f"cannot write {path}: {error}"), config)
        return ""
    with transaction.atomic():
        for page, (row, template, letter) in enumerate(printed, start=1):
            _mark_sent(row, template, letter.title, letter.body, f"{path}#p{page}")
    return path


def relay_due(sync: bool = False, now: datetime | None = None) -> int:
    """Enqueue a task per due SMS / e-mail row and one per letter batch; return the rows relayed."""
    from django_q.tasks import async_task

    fail_stalled(now)
    due = due_rows(now)
    letters = [outbox_id for outbox_id, channel in due if channel == Channel.LETTER]
    for outbox_id, channel in due:
        if channel != Channel.LETTER:
            async_task(SEND_TASK, outbox_id, sync=sync, task_name=f"notice-{outbox_id}")
    if letters:
        async_task(LETTER_TASK, letters, sync=sync, task_name=f"letters-{letters[0]}-{len(letters)}")
    return len(due)


@dataclass
class BurstResult:
    """What a burst did: rows relayed, and the status of each of them afterwards."""

    relayed: int = 0
    statuses: Counter[str] = field(default_factory=Counter)


def run_burst() -> BurstResult:
    """Send everything due now, synchronously through the job queue, until nothing is due; then stop.

    A row retried later (transient failure) is not due again within the burst, so the burst ends."""
    result = BurstResult()
    touched: set[int] = set()
    for _ in range(BURST_ROUNDS):
        due = due_rows()
        if not due:
            break
        touched.update(outbox_id for outbox_id, _ in due)
        result.relayed += relay_due(sync=True)
    result.statuses.update(Outbox.objects.filter(pk__in=touched).values_list("status", flat=True))
    return result


def ensure_relay_schedule(minutes: int = 1) -> None:
    """Create (or keep) the django-q2 schedule that runs ``relay_due`` every ``minutes``."""
    from django_q.models import Schedule

    Schedule.objects.update_or_create(
        name=RELAY_SCHEDULE,
        defaults={"func": RELAY_TASK, "schedule_type": Schedule.MINUTES, "minutes": minutes, "repeats": -1},
    )
