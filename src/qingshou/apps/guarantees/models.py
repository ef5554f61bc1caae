"""Models of the guarantees app."""

from __future__ import annotations
