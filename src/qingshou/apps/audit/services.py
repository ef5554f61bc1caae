"""Writing the audit trail: ``record`` is called by every service that changes data, in its transaction."""

from __future__ import annotations

from typing import Any

from django.db import models

from qingshou.apps.audit.models import AuditEvent

#: The longest reason kept (the column's size); longer reasons are refused, never cut.
REASON_LENGTH = 500


def _target(target: Any) -> tuple[str, str]:
    """``(type, id)`` of what an event is about: a model instance → ``("app_label.model", pk)``; a pair
    ``(type, id)`` as given; a string → ``(string, "")``; ``None`` → ``("", "")``."""
    if target is None:
        return "", ""
    if isinstance(target, models.Model):
        return target._meta.label_lower, str(target.pk)
    if isinstance(target, tuple) and len(target) == 2:
        return str(target[0]), str(target[1])
    if isinstance(target, str):
        return target, ""
    raise TypeError(f"audit target must be a model instance, a (type, id) pair or a string, not {target!r}")


def record(
    actor: Any,
    action: str,
    target: Any,
    detail: dict[str, Any] | None = None,
    reason: str = "",
    *,
    ip: str | None = None,
) -> AuditEvent:
    """Append one event: ``actor`` (a user, or ``None`` for the system), ``action`` (a short code such as
    ``reveal`` or ``promise.create``), ``target`` (a model instance, a ``(type, id)`` pair or a string),
    ``detail`` (JSON-serialisable), ``reason`` (why, as the user gave it), ``ip`` (the client's address).

    Call it inside the service's transaction so the event commits with the change or not at all."""
    if not action:
        raise ValueError("audit action must not be empty")
    if len(reason) > REASON_LENGTH:
        raise ValueError(f"audit reason is longer than {REASON_LENGTH} characters")
    target_type, target_id = _target(target)
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditEvent.objects.create(
        actor=actor if authenticated else None,
        actor_name=actor.get_username() if authenticated else "system",
        action=action,
        target_type=target_type,
        target_id=target_id,
        detail=detail or {},
        reason=reason,
        ip=ip,
    )


def client_ip(request: Any) -> str | None:
    """The client's address as the web server saw it (``REMOTE_ADDR``); proxies set it right
    (docs/security.md), a forwarded-for header is not trusted."""
    value = request.META.get("REMOTE_ADDR") or None
    return str(value) if value else None
