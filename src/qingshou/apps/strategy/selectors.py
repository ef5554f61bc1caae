"""Reads of the strategy store: the strategy in force and the version history.

``active_strategy()`` is what EOD assigns with: the active ``StrategyVersion`` or, when none was ever
applied, the packaged ``qingshou/strategies/default.yaml`` — the result says which (``source``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from qingshou.apps.strategy.documents import default_text, parse_text
from qingshou.apps.strategy.errors import VersionNotFound
from qingshou.apps.strategy.models import StrategyVersion
from qingshou.domain.strategy import Strategy

SOURCE_STORE: Final = "store"
SOURCE_DEFAULT: Final = "packaged_default"


@dataclass(frozen=True, slots=True)
class StrategyInForce:
    """A strategy with where it came from: a stored ``version`` (source ``store``) or the packaged
    default (source ``packaged_default``, version None)."""

    strategy: Strategy
    text: str
    sha256: str
    source: str
    version: int | None = None
    applied_at: datetime | None = None
    applied_by: str | None = None
    active: bool = True


def sha256_of(text: str) -> str:
    """The hex SHA-256 of the UTF-8 text."""
    return hashlib.sha256(text.encode()).hexdigest()


def _of(row: StrategyVersion) -> StrategyInForce:
    return StrategyInForce(
        strategy=parse_text(row.text),
        text=row.text,
        sha256=row.sha256,
        source=SOURCE_STORE,
        version=row.version,
        applied_at=row.applied_at,
        applied_by=row.applied_by,
        active=row.active,
    )


def active_strategy() -> StrategyInForce:
    """The active stored version, or the packaged default when no strategy was ever applied."""
    row = StrategyVersion.objects.filter(active=True).first()
    if row is not None:
        return _of(row)
    text = default_text()
    return StrategyInForce(parse_text(text), text, sha256_of(text), SOURCE_DEFAULT)


def strategy_version(version: int) -> StrategyInForce:
    """A stored version by number; ``VersionNotFound`` when there is none."""
    row = StrategyVersion.objects.filter(version=version).first()
    if row is None:
        raise VersionNotFound(f"no strategy version {version}", field="version")
    return _of(row)


def history() -> list[StrategyVersion]:
    """Every applied version, newest first."""
    return list(StrategyVersion.objects.order_by("-version"))
