"""Integration fixtures (helpers in ``load_support``)."""

from __future__ import annotations

from load_support import extract_dir

__all__ = ["extract_dir"]
