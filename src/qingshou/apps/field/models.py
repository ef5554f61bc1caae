"""Models of the field app."""

from __future__ import annotations
