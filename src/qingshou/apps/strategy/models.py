"""Models of the strategy app."""

from __future__ import annotations
