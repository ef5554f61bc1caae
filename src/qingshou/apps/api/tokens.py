"""API tokens: create (the token shown once), revoke, and find the user of a presented token.

A token is ``qs_`` + 40 random bytes (URL-safe base64); only its SHA-256 is stored. Creating and revoking
are audited (``api_token.create`` / ``api_token.revoke``). ``authenticate`` answers ``None`` for an
unknown, revoked or expired token and for an inactive user — the API turns that into 401.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from qingshou.apps.api.models import PREFIX_LENGTH, ApiToken
from qingshou.apps.audit.services import record
from qingshou.domain.errors import DomainError

TOKEN_BYTES: Final = 40
TOKEN_PREFIX: Final = "qs_"
#: ``last_used_at`` is written at most this often per token (not on every call).
TOUCH_EVERY: Final = timedelta(minutes=1)


class TokenError(DomainError):
    """A token request is invalid (unknown user, duplicate name, bad lifetime)."""

    code = "invalid_token_request"


@dataclass(frozen=True, slots=True)
class CreatedToken:
    """A new token: the row and the clear token (shown once, never stored)."""

    token: ApiToken
    key: str


def hash_key(key: str) -> str:
    """The stored form of a token: its SHA-256, hex."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_token(
    username: str, name: str, *, days: int | None = None, actor: Any = None, now: datetime | None = None
) -> CreatedToken:
    """A new token for ``username`` named ``name`` (unique among the user's active tokens), expiring after
    ``days`` days (never when ``None``). Audited."""
    now = now or timezone.now()
    name = name.strip()
    if not name:
        raise TokenError("a token needs a name", field="name")
    if days is not None and days < 1:
        raise TokenError(f"days must be at least 1, got {days}", field="days")
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise TokenError(f"no user {username!r}", field="user")
    if not user.is_active:
        raise TokenError(f"user {username!r} is not active", field="user")
    key = TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)
    with transaction.atomic():
        if ApiToken.objects.filter(user=user, name=name, revoked=False).exists():
            raise TokenError(f"{username} already has an active token named {name!r}", field="name")
        token = ApiToken.objects.create(
            user=user,
            name=name,
            key_hash=hash_key(key),
            prefix=key[:PREFIX_LENGTH],
            created_at=now,
            expires_at=now + timedelta(days=days) if days is not None else None,
        )
        record(
            actor,
            "api_token.create",
            token,
            detail={
                "user": username,
                "name": name,
                "expires_at": token.expires_at.isoformat() if token.expires_at else None,
            },
        )
    return CreatedToken(token, key)


def revoke_token(username: str, name: str, *, actor: Any = None) -> ApiToken:
    """Revoke the user's active token ``name`` (it answers 401 from now on). Audited."""
    with transaction.atomic():
        token = (
            ApiToken.objects.select_for_update()
            .filter(user__username=username, name=name.strip(), revoked=False)
            .first()
        )
        if token is None:
            raise TokenError(f"{username} has no active token named {name!r}", field="name")
        token.revoked = True
        token.save(update_fields=["revoked"])
        record(actor, "api_token.revoke", token, detail={"user": username, "name": token.name})
    return token


def authenticate(key: str, *, now: datetime | None = None) -> Any:
    """The active user of a valid token, else ``None`` (unknown, revoked, expired, inactive user)."""
    if not key:
        return None
    now = now or timezone.now()
    token = ApiToken.objects.filter(key_hash=hash_key(key.strip())).select_related("user").first()
    if token is None or token.revoked or not token.user.is_active:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    if token.last_used_at is None or token.last_used_at < now - TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
