"""Errors of the contact services that are not compliance rules (a missing party or attempt).

They subclass ``DomainError`` so every adapter maps them in one place (``not_found`` → exit code 4).
"""

from __future__ import annotations

from qingshou.domain.errors import DomainError


class NotFound(DomainError):
    """The named contact party, attempt or loan does not exist."""

    code = "not_found"
