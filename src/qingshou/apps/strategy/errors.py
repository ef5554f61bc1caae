"""Errors of the strategy services that are not strategy-file problems (those are ``StrategyFileError``)."""

from __future__ import annotations

from qingshou.domain.errors import DomainError


class VersionNotFound(DomainError):
    """No stored strategy version with that number."""

    code = "not_found"
