"""Delivery status: the SMS gateway's signed callback, postal receipts, and the limitation interruption a
delivered demand proves (C7).

A row that was sent becomes *delivered* (with the moment and the evidence) or *undeliverable*. When a
delivered row is a **demand to the debtor** (its template version is marked ``demand``, its audience is the
debtor and it names a loan), a ``LimitationInterruption`` of kind ``demand_delivered`` is recorded on the
day of delivery (Beijing date) with the evidence — validated by ``qingshou.domain.limitation.Interruption``
— once per outbox row. Reporting the same delivery again changes nothing.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Final

from django.db import transaction
from django.utils import timezone

from qingshou import clock
from qingshou.apps.loans.errors import NotFound
from qingshou.apps.loans.models import LimitationInterruption
from qingshou.apps.notices.models import Audience, Outbox
from qingshou.apps.notices.services.config import notice_settings
from qingshou.domain.errors import DomainError
from qingshou.domain.limitation import Interruption

SIGNATURE_HEADER: Final = "X-Qingshou-Signature"
DEMAND_KIND: Final = "demand_delivered"
#: Gateway status words → outbox status.
GATEWAY_STATUSES: Final = {
    "delivered": Outbox.Status.DELIVERED,
    "undeliverable": Outbox.Status.UNDELIVERABLE,
    "failed": Outbox.Status.UNDELIVERABLE,
    "rejected": Outbox.Status.UNDELIVERABLE,
}
RECEIPT_COLUMNS: Final = ("outbox_key", "delivered_on", "signer", "evidence_ref")
_REPORTABLE: Final = (Outbox.Status.SENT, Outbox.Status.DELIVERED, Outbox.Status.UNDELIVERABLE)


class BadSignature(DomainError):
    """A callback whose signature is missing or does not match the shared secret."""

    code = "bad_signature"


class DeliveryReportError(DomainError):
    """A delivery report that cannot be applied (bad body, a row never sent, a date out of order)."""

    code = "invalid_delivery_report"


def sign(body: bytes, secret: str) -> str:
    """The signature header value of a callback body: ``sha256=<hex HMAC-SHA256>``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(body: bytes, header: str | None, secret: str) -> None:
    """Refuse a body whose signature header does not match (an unset secret refuses everything)."""
    if not secret:
        raise BadSignature("no callback secret is configured (QINGSHOU_SMS_CALLBACK_SECRET)")
    if not header or not hmac.compare_digest(header.strip(), sign(body, secret)):
        raise BadSignature("the callback signature does not match")


def _is_demand(row: Outbox) -> bool:
    template = row.template
    return bool(template and template.demand and row.audience == Audience.DEBTOR and row.loan_id)


def record_interruption(row: Outbox, on: date, evidence: str) -> LimitationInterruption | None:
    """The interruption a delivered demand proves (None for other notices); one per outbox row."""
    if not _is_demand(row):
        return None
    proof = Interruption(on=on, kind=DEMAND_KIND, evidence=evidence)
    interruption, _ = LimitationInterruption.objects.get_or_create(
        source=interruption_source(row),
        defaults={"loan_id": row.loan_id, "on": proof.on, "kind": proof.kind, "evidence": proof.evidence},
    )
    return interruption


def interruption_source(row: Outbox) -> str:
    """The ``LimitationInterruption.source`` of a delivered notice."""
    return f"outbox:{row.key}"


def record_delivery(row: Outbox, status: str, at: datetime, evidence: str) -> bool:
    """Apply one delivery report to a sent row; return False when it was already recorded as such."""
    if row.status not in _REPORTABLE:
        raise DeliveryReportError(f"notice {row.key} was not sent (status {row.status})", field="status")
    if row.status == status:
        return False
    if row.status != Outbox.Status.SENT:
        raise DeliveryReportError(f"notice {row.key} is already {row.status}, not {status}", field="status")
    day = timezone.localtime(at, clock.ZONE).date()
    if day < row.as_of:
        raise DeliveryReportError(
            f"notice {row.key} delivered on {day}, before its day {row.as_of}", field="delivered_on"
        )
    row.status = status
    row.evidence = "\n".join(part for part in (row.evidence, evidence) if part)
    update = ["status", "evidence"]
    if status == Outbox.Status.DELIVERED:
        row.delivered_at = at
        update.append("delivered_at")
    row.save(update_fields=update)
    if status == Outbox.Status.DELIVERED:
        record_interruption(row, day, row.evidence)
    return True


def _callback_fields(body: bytes) -> tuple[str, str, datetime]:
    try:
        data: Any = json.loads(body)
        message_id, word = str(data["message_id"]), str(data["status"])
        at = datetime.fromisoformat(str(data["at"])) if data.get("at") else timezone.now()
    except (ValueError, KeyError, TypeError) as error:
        raise DeliveryReportError(f"callback body is not a delivery report: {error}") from error
    if word not in GATEWAY_STATUSES:
        raise DeliveryReportError(f"unknown delivery status {word!r}", field="status")
    if timezone.is_naive(at):
        at = timezone.make_aware(at, clock.ZONE)
    return message_id, GATEWAY_STATUSES[word], at


def apply_sms_callback(body: bytes, signature: str | None) -> Outbox:
    """Verify and apply the gateway's delivery callback; return the updated row."""
    verify_signature(body, signature, notice_settings().sms_callback_secret)
    message_id, status, at = _callback_fields(body)
    with transaction.atomic():
        row = (
            Outbox.objects.select_for_update(of=("self",))
            .filter(channel="sms", provider_message_id=message_id)
            .select_related("template")
            .first()
        )
        if row is None:
            raise NotFound(f"no SMS with the gateway message id {message_id!r}")
        evidence = f"SMS gateway receipt {message_id}: {body.decode('utf-8', 'replace')}"
        record_delivery(row, status, at, evidence)
    return row


@dataclass
class ReceiptResult:
    """An import of postal receipts: rows read, applied, already recorded, and the rows refused."""

    rows: int = 0
    applied: int = 0
    unchanged: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "applied": self.applied,
            "unchanged": self.unchanged,
            "rejected": len(self.errors),
            "errors": self.errors,
        }


def _receipt(record: dict[str, str], today: date) -> tuple[Outbox, str, date, str]:
    """The row, status, delivery day and evidence of one receipt line (DomainError naming the field)."""
    for name in ("outbox_key", "delivered_on"):
        if not (record.get(name) or "").strip():
            raise DeliveryReportError(f"{name} is empty", field=name)
    key = record["outbox_key"].strip()
    row = Outbox.objects.select_related("template").filter(key=key, channel="letter").first()
    if row is None:
        raise DeliveryReportError(f"no letter with the outbox key {key!r}", field="outbox_key")
    try:
        day = date.fromisoformat(record["delivered_on"].strip())
    except ValueError as error:
        raise DeliveryReportError(
            f"not an ISO date: {record['delivered_on']!r}", field="delivered_on"
        ) from error
    if day > today:
        raise DeliveryReportError(f"{day} is in the future", field="delivered_on")
    word = (record.get("status") or "delivered").strip() or "delivered"
    if word not in GATEWAY_STATUSES:
        raise DeliveryReportError(f"unknown status {word!r}", field="status")
    signer, ref = (record.get("signer") or "").strip(), (record.get("evidence_ref") or "").strip()
    if GATEWAY_STATUSES[word] == Outbox.Status.DELIVERED and not (signer and ref):
        raise DeliveryReportError(
            "a delivered letter needs its signer and evidence_ref (C7)",
            field="signer" if not signer else "evidence_ref",
        )
    tracking = (record.get("tracking_no") or "").strip()
    evidence = (
        f"postal receipt {ref or '-'} tracking {tracking or '-'}: {word} {day}, signed by {signer or '-'}"
    )
    return row, GATEWAY_STATUSES[word], day, evidence


def import_receipts(path: Path) -> ReceiptResult:
    """Apply a CSV of postal receipts (UTF-8, header ``outbox_key,delivered_on,signer,evidence_ref`` and
    optional ``status``, ``tracking_no``); each line is applied or refused on its own."""
    result = ReceiptResult()
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [name for name in RECEIPT_COLUMNS if name not in (reader.fieldnames or [])]
        if missing:
            raise DeliveryReportError(f"{path}: missing columns {', '.join(missing)}", field=missing[0])
        for line, record in enumerate(reader, start=2):
            result.rows += 1
            try:
                with transaction.atomic():
                    row, status, day, evidence = _receipt(record, clock.today())
                    at = timezone.make_aware(datetime.combine(day, time(12)), clock.ZONE)
                    changed = record_delivery(row, status, at, evidence)
            except DomainError as error:
                result.errors.append({"row": line, "field": error.field or "", "reason": error.message})
                continue
            if changed:
                result.applied += 1
            else:
                result.unchanged += 1
    return result
