"""API tokens and idempotency keys.

An **ApiToken** lets an integration call the API as one user (``Authorization: Bearer <token>``): the user's
role and row-level scope apply exactly as on the pages. Only the SHA-256 of the token is stored; the token
itself is shown once, when it is created. A token can expire (``expires_at``) and be revoked.

An **IdempotencyKey** remembers the answer to a ``POST /api/payments`` sent with an ``Idempotency-Key``
header: the same key with the same body answers the stored response again, the same key with another body
is refused (409).

The permission ``api.post_payments`` (declared here, granted to the admin role in
``accounts.roles.ROLE_PERMISSIONS``) lets a user post payments through the API.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

#: Characters of the token kept in clear to tell tokens apart in lists (not enough to use it).
PREFIX_LENGTH = 10


class ApiToken(models.Model):
    """A bearer token of one user (stored hashed)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("user"),
    )
    name = models.CharField(_("name"), max_length=100)
    key_hash = models.CharField(_("key (SHA-256)"), max_length=64, unique=True)
    prefix = models.CharField(_("key prefix"), max_length=PREFIX_LENGTH)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked = models.BooleanField(_("revoked"), default=False)

    class Meta:
        db_table = "qs_api_token"
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ("user_id", "name")
        constraints = (
            models.UniqueConstraint(
                fields=["user", "name"], condition=Q(revoked=False), name="qs_api_token_active_name"
            ),
        )
        permissions = (("post_payments", _("Can post payments through the API")),)

    def __str__(self) -> str:
        return f"{self.user} {self.name} {self.prefix}…"


class IdempotencyKey(models.Model):
    """The stored answer to one idempotent API request of a user."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    key = models.CharField(_("key"), max_length=200)
    endpoint = models.CharField(_("endpoint"), max_length=100)
    request_hash = models.CharField(_("request (SHA-256)"), max_length=64)
    status_code = models.PositiveSmallIntegerField(_("status code"))
    response = models.JSONField(_("response"), default=dict)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        db_table = "qs_api_idempotency_key"
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = (
            models.UniqueConstraint(fields=["user", "endpoint", "key"], name="qs_api_idempotency_once"),
        )
        # the expiry sweep of one user's keys (``idempotency.forget_expired``)
        indexes = (models.Index(fields=["user", "created_at"], name="qs_api_idempotency_age_idx"),)
