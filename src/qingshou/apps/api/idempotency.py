"""Posting a payment through the API exactly once per ``Idempotency-Key``.

One transaction: the key is claimed first (a row unique per user, endpoint and key — a concurrent request
with the same key waits for it, then finds it), the payment is posted through the loans service (whose
external payment id makes a second post of the same payment a no-op in any case, C5), the answer is stored
with the key, and the post is audited (``payment.post``). When the service refuses the payment, nothing
is kept — neither the key nor an audit row — so the client may correct and retry with the same key.

The same key again with the same body answers the stored status and body (``replayed``); with another body
it is refused (:class:`IdempotencyConflict`, 409). The body is compared in its normalised form (amount
to two places, date ISO), so ``"100"`` and ``"100.00"`` are the same request.

Keys expire after ``settings.QINGSHOU_API_IDEMPOTENCY_DAYS`` (default 30): each new key of a user first
deletes that user's expired keys (an indexed range, usually empty), and an expired key found on lookup is
treated as unused. Reusing a key after a month is then a new request — the payment's external id still
makes a repeated payment a no-op (C5), so expiry never posts money twice.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Final

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from qingshou.apps.api.models import IdempotencyKey
from qingshou.apps.audit.services import record
from qingshou.apps.loans.models import Payment
from qingshou.apps.loans.schemas import posted_payment_json
from qingshou.apps.loans.services.payments import post_payment
from qingshou.domain.errors import DomainError
from qingshou.domain.money import money_str

PAYMENTS: Final = "payments"
KEY_LENGTH: Final = 200


class IdempotencyConflict(DomainError):
    """The key was used before with a different request body."""

    code = "idempotency_conflict"


@dataclass(frozen=True, slots=True)
class PaymentRequest:
    """A payment as the API received it (already validated)."""

    loan_id: str
    payment_id: str
    amount: Decimal
    paid_on: date
    channel: str = ""

    def canonical(self) -> dict[str, str]:
        return {
            "loan_id": self.loan_id,
            "payment_id": self.payment_id.strip(),
            "amount": money_str(self.amount),
            "paid_on": self.paid_on.isoformat(),
            "channel": self.channel,
        }

    def digest(self) -> str:
        text = json.dumps(self.canonical(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Answer:
    """What the endpoint answers: status, body, and whether it is a stored answer sent again."""

    status: int
    body: dict[str, Any]
    replayed: bool


def _stored(stored: IdempotencyKey, digest: str) -> Answer:
    if stored.request_hash != digest:
        raise IdempotencyConflict(
            f"Idempotency-Key {stored.key!r} was already used with a different request",
            field="Idempotency-Key",
        )
    return Answer(stored.status_code, dict(stored.response), replayed=True)


def key_cutoff(now: datetime | None = None) -> datetime:
    """Keys created before this moment have expired (module docstring)."""
    days = int(getattr(settings, "QINGSHOU_API_IDEMPOTENCY_DAYS", 30))
    return (now or timezone.now()) - timedelta(days=days)


def forget_expired(user: Any, now: datetime | None = None) -> int:
    """Delete ``user``'s expired keys; return how many."""
    deleted, _ = IdempotencyKey.objects.filter(user=user, created_at__lt=key_cutoff(now)).delete()
    return int(deleted)


def post_payment_once(user: Any, key: str, request: PaymentRequest, *, ip: str | None = None) -> Answer:
    """Post ``request`` for ``user`` unless ``key`` was used already (module docstring)."""
    digest = request.digest()
    with transaction.atomic():
        stored = (
            IdempotencyKey.objects.select_for_update().filter(user=user, endpoint=PAYMENTS, key=key).first()
        )
        if stored is not None and stored.created_at >= key_cutoff():
            return _stored(stored, digest)
        forget_expired(user)
        try:
            with transaction.atomic():
                claim = IdempotencyKey.objects.create(
                    user=user, endpoint=PAYMENTS, key=key, request_hash=digest, status_code=0
                )
        except IntegrityError:
            # A concurrent request with the same key committed first.
            return _stored(IdempotencyKey.objects.get(user=user, endpoint=PAYMENTS, key=key), digest)
        posted = post_payment(
            request.loan_id,
            request.payment_id,
            request.amount,
            request.paid_on,
            channel=request.channel,
            source=Payment.Source.API,
        )
        body = posted_payment_json(posted)
        status = 201 if posted.created else 200
        IdempotencyKey.objects.filter(pk=claim.pk).update(status_code=status, response=body)
        record(
            user,
            "payment.post",
            ("loans.payment", posted.payment_id),
            detail={
                "loan": posted.loan_id,
                "amount": body["amount"],
                "paid_on": body["paid_on"],
                "status": body["status"],
                "idempotency_key": key,
            },
            ip=ip,
        )
    return Answer(status, body, replayed=False)
