"""Models of the collateral app."""

from __future__ import annotations
