"""Reads of the audit trail."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from qingshou.apps.audit.models import AuditEvent


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time()), timezone.get_current_timezone())


def events(
    *, actor: str = "", action: str = "", date_from: date | None = None, date_to: date | None = None
) -> QuerySet[AuditEvent]:
    """Events newest first, filtered by actor name, action and local days ``date_from``…``date_to``."""
    rows = AuditEvent.objects.all()
    if actor:
        rows = rows.filter(actor_name=actor)
    if action:
        rows = rows.filter(action=action)
    if date_from:
        rows = rows.filter(at__gte=_start_of(date_from))
    if date_to:
        rows = rows.filter(at__lt=_start_of(date_to + timedelta(days=1)))
    return rows.order_by("-at", "-id")


def actions() -> list[str]:
    """The distinct actions recorded (for the filter's suggestions)."""
    return list(AuditEvent.objects.order_by("action").values_list("action", flat=True).distinct())
