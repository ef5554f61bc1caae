"""The legal app's settings, read by one getter (``QINGSHOU_LEGAL``, a dict in the Django settings).

| key | default | meaning |
| --- | --- | --- |
| ``hearing_lead_days`` | 7 | remind of a hearing this many days before |
| ``preservation_lead_days`` | 30 | remind of a preservation measure this many days before its renewal is due |
| ``renewal_lead_days`` | 7 | the renewal is due this many days before expiry (保全规定 第十八条) |
| ``enforcement_lead_days`` | 60 | remind of the enforcement application deadline (C7) this many days before |
| ``limitation_lead_days`` | 90 | remind of a loan's limitation expiry (C7) this many days before |
| ``calendar_days`` | 90 | how far ahead the legal calendar looks by default |
| ``fee_rounding`` | ``fen`` | ``fen`` (2 decimals) or ``yuan``: how computed court fees are rounded |
| ``delay_start`` | ``expiry_day`` | first day of delay interest: ``expiry_day`` (法释〔2014〕8号 第二条) or ``next_day`` |
| ``delay_base_includes_costs`` | ``False`` | whether the judgment's costs count in the delay-interest base |

A wrong value is an ``ImproperlyConfigured`` error naming the key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from qingshou.domain.legal import RENEWAL_LEAD_DAYS, DelayStart, FeeRounding

SETTING = "QINGSHOU_LEGAL"


@dataclass(frozen=True, slots=True)
class LegalSettings:
    """The validated ``QINGSHOU_LEGAL`` (module docstring)."""

    hearing_lead_days: int = 7
    preservation_lead_days: int = 30
    renewal_lead_days: int = RENEWAL_LEAD_DAYS
    enforcement_lead_days: int = 60
    limitation_lead_days: int = 90
    calendar_days: int = 90
    fee_rounding: FeeRounding = FeeRounding.FEN
    delay_start: DelayStart = DelayStart.EXPIRY_DAY
    delay_base_includes_costs: bool = False


_DAYS = (
    "hearing_lead_days",
    "preservation_lead_days",
    "renewal_lead_days",
    "enforcement_lead_days",
    "limitation_lead_days",
    "calendar_days",
)


def _days(raw: dict[str, Any], name: str, default: int) -> int:
    value = raw.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ImproperlyConfigured(f"{SETTING}[{name!r}] must be a number of days, got {value!r}")
    try:
        days = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{SETTING}[{name!r}] must be a number of days, got {value!r}") from None
    if not 0 <= days <= 3660:
        raise ImproperlyConfigured(f"{SETTING}[{name!r}] must be between 0 and 3660 days, got {days}")
    return days


def legal_settings() -> LegalSettings:
    """``settings.QINGSHOU_LEGAL`` validated, with the defaults for missing keys."""
    raw = dict(getattr(settings, SETTING, None) or {})
    unknown = sorted(set(raw) - set(LegalSettings.__slots__))
    if unknown:
        raise ImproperlyConfigured(f"{SETTING} has unknown keys: {', '.join(unknown)}")
    defaults = LegalSettings()
    days = {name: _days(raw, name, getattr(defaults, name)) for name in _DAYS}
    try:
        rounding = FeeRounding(raw.get("fee_rounding", defaults.fee_rounding))
        start = DelayStart(raw.get("delay_start", defaults.delay_start))
    except ValueError as error:
        raise ImproperlyConfigured(f"{SETTING}: {error}") from None
    costs = raw.get("delay_base_includes_costs", defaults.delay_base_includes_costs)
    if not isinstance(costs, bool):
        raise ImproperlyConfigured(f"{SETTING}['delay_base_includes_costs'] must be true or false")
    return LegalSettings(**days, fee_rounding=rounding, delay_start=start, delay_base_includes_costs=costs)
