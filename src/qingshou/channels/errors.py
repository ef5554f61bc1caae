"""Delivery errors of the channel adapters: transient (retry later) or permanent (give up now).

Every adapter maps what its transport reports to one of the two, so the outbox worker decides retries in
one place: an HTTP 5xx, a timeout, a refused or dropped connection, an SMTP 4xx reply are *transient*; an
HTTP 4xx, an invalid address, an SMTP 5xx reply are *permanent*.
"""

from __future__ import annotations


class DeliveryError(Exception):
    """A notice could not be handed to its channel; ``permanent`` says whether a retry can help."""

    permanent = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TransientDeliveryError(DeliveryError):
    """The channel may accept the notice later (server error, timeout, connection refused)."""

    permanent = False


class PermanentDeliveryError(DeliveryError):
    """The channel refused the notice for good (bad request, invalid address, rejected recipient)."""

    permanent = True
