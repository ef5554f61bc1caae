"""Models of the planning app (issue 8)."""

from __future__ import annotations
