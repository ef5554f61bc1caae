"""Use cases of the accounts app: revealing one field of personal data (audited); the demo users.

Personal data is masked on every page (``qingshou.domain.privacy``). ``reveal`` returns one field in clear
for a user who has ``accounts.reveal_pii`` **and** sees one of the borrower's cases (row-level scope), after
they gave a reason; the reveal is recorded in the audit trail (action ``reveal``: who, when, which field of
which record, why) in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import models, transaction
from django.http import Http404
from django.utils.translation import gettext as _

from qingshou.apps.accounts.errors import RevealRefused
from qingshou.apps.accounts.models import Agency, Profile, Team
from qingshou.apps.accounts.roles import Role, forget_role, sync_role_groups
from qingshou.apps.accounts.scoping import can_see_borrower
from qingshou.apps.audit.services import REASON_LENGTH, record
from qingshou.domain import privacy

REVEAL_PERMISSION: Final = "accounts.reveal_pii"

#: The personal-data fields of each model (``app_label.model``) and the masker shown until a reveal.
PERSONAL_FIELDS: Final[dict[str, dict[str, Callable[[str], str]]]] = {
    "loans.borrower": {
        "name": privacy.mask_name,
        "id_number": privacy.mask_id_number,
        "phone": privacy.mask_phone,
        "address": privacy.mask_address,
    },
    "contacts.contactparty": {
        "name": privacy.mask_name,
        "phone": privacy.mask_phone,
        "email": privacy.mask_email,
        "address": privacy.mask_address,
    },
}


def masker(obj: models.Model, field: str) -> Callable[[str], str]:
    """The masker of ``obj.field``; ``RevealRefused`` when that field is not registered personal data."""
    fields = PERSONAL_FIELDS.get(obj._meta.label_lower, {})
    if field not in fields:
        raise RevealRefused(
            _("%(field)s of %(model)s is not personal data that can be revealed")
            % {"field": field, "model": obj._meta.label_lower},
            field="field",
        )
    return fields[field]


def masked(obj: models.Model, field: str) -> str:
    """The masked display value of a personal-data field."""
    return masker(obj, field)(str(getattr(obj, field) or ""))


def _borrower_id(obj: models.Model) -> str:
    if obj._meta.label_lower == "loans.borrower":
        return str(obj.pk)
    return str(obj.borrower_id)  # type: ignore[attr-defined]


def reveal(user: Any, obj: models.Model, field: str, reason: str, *, ip: str | None = None) -> str:
    """``obj.field`` in clear, audited. Refused (``RevealRefused``) without a reason, for a field that is not
    personal data, or without ``accounts.reveal_pii``; ``Http404`` when none of the borrower's cases is
    visible to ``user`` (as if it did not exist)."""
    masker(obj, field)
    if not can_see_borrower(user, _borrower_id(obj)):
        raise Http404("no such record")
    if not user.has_perm(REVEAL_PERMISSION):
        raise RevealRefused(_("You are not allowed to reveal personal data."))
    reason = reason.strip()
    if not reason:
        raise RevealRefused(_("Give the reason for revealing this field."), field="reason")
    if len(reason) > REASON_LENGTH:
        raise RevealRefused(
            _("The reason is longer than %(limit)d characters.") % {"limit": REASON_LENGTH}, field="reason"
        )
    with transaction.atomic():
        record(
            user,
            "reveal",
            obj,
            detail={"field": field, "borrower_id": _borrower_id(obj)},
            reason=reason,
            ip=ip,
        )
    return str(getattr(obj, field) or "")


# --- demo users -------------------------------------------------------------------------------------------

DEMO_TEAM: Final = "示范一组"
DEMO_AGENCY: Final = ("AG-DEMO", "示范催收公司")
#: (username, role, team member?, agency user?) of the demo users.
DEMO_USERS: Final[tuple[tuple[str, Role, bool, bool], ...]] = (
    ("admin", Role.ADMIN, False, False),
    ("strategy", Role.STRATEGY_OWNER, False, False),
    ("supervisor", Role.SUPERVISOR, False, False),
    ("collector1", Role.COLLECTOR, True, False),
    ("collector2", Role.COLLECTOR, True, False),
    ("field1", Role.FIELD_AGENT, False, False),
    ("field2", Role.FIELD_AGENT, False, False),
    ("legal", Role.LEGAL_OFFICER, False, False),
    ("agency", Role.AGENCY_USER, False, True),
    ("risk", Role.RISK_MANAGER, False, False),
    ("auditor", Role.AUDITOR, False, False),
)


@dataclass(frozen=True)
class DemoUser:
    """One demo user as printed by ``qingshou users demo``."""

    username: str
    role: Role
    team: str
    agency: str
    created: bool


def create_demo_users(password: str, *, region: str = "北京") -> list[DemoUser]:
    """One user per role (two collectors in the demo team under the demo supervisor, two field agents, an
    agency user of the demo agency), all with ``password``. Idempotent: existing demo users get their role,
    team, agency and the password again. Audited (``user.demo``) in the same transaction."""
    if not password:
        raise ValueError("the demo password must not be empty")
    user_model = get_user_model()
    answer = []
    with transaction.atomic():
        sync_role_groups()
        groups = {group.name: group for group in Group.objects.filter(name__in=[role.value for role in Role])}
        agency, _agency_created = Agency.objects.update_or_create(
            agency_id=DEMO_AGENCY[0], defaults={"name": DEMO_AGENCY[1], "active": True}
        )
        team, _team_created = Team.objects.get_or_create(name=DEMO_TEAM)
        for username, role, member, agency_user in DEMO_USERS:
            user, created = user_model.objects.get_or_create(username=username)
            user.is_active = True
            user.is_staff = role == Role.ADMIN
            user.set_password(password)
            user.save()
            user.groups.set([groups[role.value]])
            forget_role(user)
            Profile.objects.update_or_create(
                user=user,
                defaults={
                    "team": team if member else None,
                    "agency": agency if agency_user else None,
                    "region": region if role in (Role.FIELD_AGENT, Role.COLLECTOR) else "",
                },
            )
            if role == Role.SUPERVISOR and team.supervisor_id != user.pk:
                team.supervisor = user
                team.save(update_fields=["supervisor"])
            answer.append(
                DemoUser(
                    username=username,
                    role=role,
                    team=team.name if member or role == Role.SUPERVISOR else "",
                    agency=agency.agency_id if agency_user else "",
                    created=created,
                )
            )
        record(None, "user.demo", "auth.user", {"usernames": [row.username for row in answer]})
    return answer
