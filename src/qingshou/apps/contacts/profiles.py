"""The active compliance profile (C8) from ``settings.QINGSHOU_COMPLIANCE``, validated by the domain.

``QINGSHOU_COMPLIANCE = {"profile": name, "profiles": {name: {parameter: value}}}``; the environment variable
``QINGSHOU_COMPLIANCE_PROFILE`` picks the profile (read by settings). Without the setting the domain's
built-in defaults are used.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings

from qingshou.domain.compliance import (
    DEFAULT_PROFILE,
    DEFAULT_PROFILES,
    ComplianceError,
    ComplianceProfile,
)


def _configured() -> tuple[str, Mapping[str, Mapping[str, object]]]:
    config = getattr(settings, "QINGSHOU_COMPLIANCE", None) or {}
    name = str(config.get("profile") or DEFAULT_PROFILE)
    return name, config.get("profiles") or DEFAULT_PROFILES


def profile_named(name: str | None = None) -> ComplianceProfile:
    """The profile ``name`` (default: the active one) with its configured parameters; an unknown name or a
    bad parameter is a ``ComplianceError`` naming it."""
    active, profiles = _configured()
    chosen = name or active
    if chosen not in profiles:
        known = ", ".join(sorted(profiles))
        raise ComplianceError(f"unknown compliance profile {chosen!r} (configured: {known})", field="profile")
    return ComplianceProfile.build(chosen, profiles[chosen])


def active_profile() -> ComplianceProfile:
    """The profile in force (``QINGSHOU_COMPLIANCE["profile"]``, ``cn`` by default)."""
    return profile_named(None)
