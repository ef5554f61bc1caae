"""Models of the agencies app."""

from __future__ import annotations
