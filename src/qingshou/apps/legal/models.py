"""Models of the legal app."""

from __future__ import annotations
