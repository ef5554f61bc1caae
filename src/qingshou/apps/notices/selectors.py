"""Reads of the notices app: the outbox as plain rows for the command line (and later the workbench)."""

from __future__ import annotations

from typing import Any

from qingshou.apps.notices.models import Outbox

LIST_FIELDS = (
    "key",
    "channel",
    "audience",
    "recipient",
    "template_code",
    "status",
    "attempts",
    "next_attempt_at",
    "sent_at",
    "delivered_at",
    "provider_message_id",
    "last_error",
)


def outbox_rows(status: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """Outbox rows (newest day first), optionally of one status, as plain values (times in ISO text)."""
    rows = Outbox.objects.order_by("-as_of", "id")
    if status:
        rows = rows.filter(status=status)
    result = []
    for values in rows.values(*LIST_FIELDS)[:limit]:
        result.append(
            {
                name: (value.isoformat() if hasattr(value, "isoformat") else value)
                for name, value in values.items()
            }
        )
    return result
