"""Models of this app (see apps.py)."""

from __future__ import annotations
