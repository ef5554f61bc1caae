"""``qingshou model``: (issue 8, being built)."""

from __future__ import annotations

from typing import Any

COMMANDS: list[Any] = []
