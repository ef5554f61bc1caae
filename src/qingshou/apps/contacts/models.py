"""Models of the contacts app."""

from __future__ import annotations
