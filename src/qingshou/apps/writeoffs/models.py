"""Models of the writeoffs app."""

from __future__ import annotations
