"""The watch list for people: who may see which entries, the rows a page or the CLI shows, and marking an
entry reviewed (with an audit event).

| role | sees |
| --- | --- |
| admin, risk manager | every entry |
| supervisor | entries of borrowers who have a case in the supervisor's scope (their teams' cases) |
| everyone else (collectors, agency users, field agents, auditors, strategy owners …) | nothing: 404 |

The list is borrower-level; a current borrower usually has no open case, so a supervisor sees the borrowers
their teams have worked (any case, open or closed) — the scope of ``accounts.scoping.visible_cases``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import get_language

from qingshou.apps.accounts.roles import Role, role_of
from qingshou.apps.accounts.scoping import visible_cases
from qingshou.apps.audit.services import record
from qingshou.apps.warning.models import WatchEntry
from qingshou.domain.errors import DomainError
from qingshou.risk.warning import FEATURE_LABELS, TRIGGER_LABELS

VIEW_PERMISSION: Final = "warning.view_watchentry"
REVIEW_PERMISSION: Final = "warning.review_watchentry"
#: Roles that see every entry; a supervisor sees their teams' borrowers.
SEE_ALL: Final = frozenset({Role.ADMIN, Role.RISK_MANAGER})
NOTE_LENGTH: Final = 500


class ReviewError(DomainError):
    """A review that cannot be recorded (the message says why)."""

    code = "invalid_review"


def may_view(user: Any) -> bool:
    """Whether the user may open the watch list at all."""
    role = role_of(user)
    return (role in SEE_ALL or role is Role.SUPERVISOR) and bool(user.has_perm(VIEW_PERMISSION))


def may_review(user: Any) -> bool:
    """Whether the user may mark entries reviewed."""
    return may_view(user) and bool(user.has_perm(REVIEW_PERMISSION))


def visible_entries(user: Any) -> QuerySet[WatchEntry]:
    """The entries ``user`` may see (none for roles outside the table in the module docstring)."""
    entries = WatchEntry.objects.all()
    if not may_view(user):
        return entries.none()
    if role_of(user) in SEE_ALL:
        return entries
    return entries.filter(borrower_id__in=visible_cases(user).values("borrower_id"))


def entry_for(user: Any, entry_id: int | str) -> WatchEntry:
    """The entry if the user may see it; ``Http404`` otherwise (unknown and out of scope alike)."""
    try:
        key = int(entry_id)
    except (TypeError, ValueError):
        raise Http404("no such entry") from None
    found = visible_entries(user).filter(pk=key).first()
    if found is None:
        raise Http404("no such entry")
    return found


def _label(pair: tuple[str, str] | None, code: str) -> str:
    if pair is None:
        return code
    language = get_language() or "zh-hans"
    return pair[0] if language.lower().startswith("zh") else pair[1]


def trigger_labels(codes: list[str]) -> list[str]:
    """Trigger codes as labels in the active language."""
    return [_label(TRIGGER_LABELS.get(code), code) for code in codes]


def reason_labels(codes: list[str]) -> list[str]:
    """The model's reason codes (feature codes) as labels in the active language."""
    return [_label(FEATURE_LABELS.get(code), code) for code in codes]


@dataclass(frozen=True, slots=True)
class EntryRow:
    """One entry as the page and the CLI show it."""

    entry: WatchEntry
    triggers: list[str]
    reasons: list[str]
    days_on_list: int

    def as_json(self) -> dict[str, Any]:
        entry = self.entry
        return {
            "id": entry.pk,
            "borrower_id": entry.borrower_id,
            "lead_loan_id": entry.lead_loan_id,
            "status": entry.status,
            "opened_on": entry.opened_on.isoformat(),
            "last_seen_on": entry.last_seen_on.isoformat(),
            "closed_on": entry.closed_on.isoformat() if entry.closed_on else None,
            "close_reason": entry.close_reason,
            "days_on_list": self.days_on_list,
            "triggers": entry.trigger_list,
            "trigger_labels": self.triggers,
            "rule_points": entry.rule_points,
            "warning_score": entry.points,
            "probability_ppm": entry.probability_ppm,
            "model_version": entry.model_version,
            "reasons": entry.reason_list,
            "reviewed": entry.reviewed_at is not None,
        }


def entry_rows(entries: QuerySet[WatchEntry], today: date) -> list[EntryRow]:
    """Display rows: labels and days on the list (to the close day, or to ``today`` while open)."""
    return [
        EntryRow(
            entry=entry,
            triggers=trigger_labels(entry.trigger_list),
            reasons=reason_labels(entry.reason_list),
            days_on_list=((entry.closed_on or today) - entry.opened_on).days,
        )
        for entry in entries
    ]


def filtered(entries: QuerySet[WatchEntry], status: str) -> QuerySet[WatchEntry]:
    """``open`` / ``closed`` / anything else: all."""
    if status in WatchEntry.Status.values:
        entries = entries.filter(status=status)
    return entries.order_by("-opened_on", "borrower_id", "pk")


def review(user: Any, entry: WatchEntry, note: str, *, ip: str | None = None) -> WatchEntry:
    """Mark the entry reviewed with a note (audit event ``warning.review``); a second review replaces the first
    (both stay in the audit trail)."""
    if not may_review(user):
        raise Http404("no such entry")
    text = note.strip()
    if not text:
        raise ReviewError("a review needs a note", field="note")
    if len(text) > NOTE_LENGTH:
        raise ReviewError(f"the note is longer than {NOTE_LENGTH} characters", field="note")
    with transaction.atomic():
        locked = WatchEntry.objects.select_for_update().get(pk=entry.pk)
        locked.reviewed_by = user
        locked.reviewed_at = timezone.now()
        locked.review_note = text
        locked.save(update_fields=["reviewed_by", "reviewed_at", "review_note"])
        record(
            user,
            "warning.review",
            locked,
            {"borrower_id": locked.borrower_id, "status": locked.status, "triggers": locked.trigger_list},
            reason=text,
            ip=ip,
        )
    return locked
