"""The error of an unusable extract: a missing file or required column, an unreadable file (exit code 2)."""

from __future__ import annotations

from qingshou.domain.errors import DomainError


class ExtractError(DomainError):
    """The extract cannot be loaded at all; ``field`` names the file or the ``file:column`` at fault."""

    code = "unusable_extract"
