"""Errors of the accounts services (``DomainError`` subclasses, mapped to messages / statuses in one place)."""

from __future__ import annotations

from qingshou.domain.errors import DomainError


class RevealRefused(DomainError):
    """A reveal of personal data was refused: no reason given, a field that is not personal data, or no
    permission (``accounts.reveal_pii``)."""

    code = "reveal_refused"
