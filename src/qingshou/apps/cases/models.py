"""Models of the cases app."""

from __future__ import annotations
