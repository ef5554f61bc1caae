"""The audit trail: one append-only row per change made through the workbench and per reveal of personal data.

Rows are only ever inserted (``qingshou.apps.audit.services.record``). The model refuses to save an existing
row or delete one, and database triggers (migration ``0002_append_only``, SQLite and PostgreSQL) refuse
``UPDATE`` and ``DELETE`` on the table whatever the client, so not even the admin or a raw SQL session
through the application's account can rewrite history.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(Exception):
    """An attempt to change or delete an audit event."""


class AuditEvent(models.Model):
    """Who did what to which object, when, from where, and why."""

    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    # No database constraint and nothing done on delete: removing a user never touches the trail
    # (actor_name keeps who it was).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        db_constraint=False,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_name = models.CharField(_("actor name"), max_length=150, blank=True, default="")
    action = models.CharField(_("action"), max_length=64)
    target_type = models.CharField(_("target type"), max_length=100, blank=True, default="")
    target_id = models.CharField(_("target id"), max_length=100, blank=True, default="")
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True, default="")
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        db_table = "qs_audit_event"
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ("-at", "-id")
        indexes = (
            models.Index(fields=["actor_name", "at"], name="qs_audit_actor_at"),
            models.Index(fields=["action", "at"], name="qs_audit_action_at"),
            models.Index(fields=["target_type", "target_id"], name="qs_audit_target"),
        )

    def __str__(self) -> str:
        return (
            f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_name} {self.action} {self.target_type} {self.target_id}"
        )

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Insert only: saving a row that exists already raises ``AppendOnlyError``."""
        if not self._state.adding:
            raise AppendOnlyError("audit events are append-only: an existing event cannot be changed")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        """Always refused."""
        raise AppendOnlyError("audit events are append-only: an event cannot be deleted")
