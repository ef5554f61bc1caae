"""Models of the assessment app (issue 8)."""

from __future__ import annotations
