"""Models of the warning app (issue 8)."""

from __future__ import annotations
