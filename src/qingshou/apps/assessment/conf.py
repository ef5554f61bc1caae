"""The assessment app's settings, read by one getter (``QINGSHOU_PRICING``, a dict in the Django settings; every
key optional, defaults in ``qingshou.domain.pricing.PricingPolicy``; docs/assessment.md).

| key | default | meaning |
| --- | --- | --- |
| ``grades`` | A 0.02, B 0.05, C 0.10, D 0.20, E 1 | ``[[label, max_pd], …]`` best first; PD bands (inclusive upper bounds) |
| ``lgd`` | ``"0.45"`` | loss given default (Basel foundation IRB, senior unsecured) |
| ``funding_rate`` | ``"0.03"`` | cost of funds, a year |
| ``operating_rate`` | ``"0.02"`` | operating cost, a year |
| ``margin_rate`` | ``"0.02"`` | target margin, a year |
| ``lender`` | ``licensed`` | ``licensed`` (cap ``licensed_cap``) or ``private`` (cap 4 × ``lpr``, C4) |
| ``licensed_cap`` | ``"0.24"`` | licensed institutions' total annual cost threshold (C4, [UNVERIFIED] in rules-cn) |
| ``lpr`` | ``None`` | the one-year LPR at the contract date (required for ``private``; operations keep it current) |
| ``pd_horizon_months`` | ``12`` | the horizon of the model's PD; ``None`` = the loan's term |

Rates are decimal strings (C9); a wrong value is an ``ImproperlyConfigured`` error naming the key.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from qingshou.domain.errors import DomainError
from qingshou.domain.money import rate
from qingshou.domain.pricing import Lender, PricingPolicy, grades_from

SETTING = "QINGSHOU_PRICING"
_RATES = ("lgd", "funding_rate", "operating_rate", "margin_rate", "licensed_cap")
_KNOWN = {*_RATES, "grades", "lender", "lpr", "pd_horizon_months"}


@dataclass(frozen=True, slots=True)
class PricingSettings:
    """The validated ``QINGSHOU_PRICING``: the domain policy and the LPR."""

    policy: PricingPolicy
    lpr: Decimal | None


def _rate(raw: dict[str, Any], name: str) -> Decimal | None:
    value = raw.get(name)
    if value is None:
        return None
    try:
        return rate(value)
    except DomainError as error:
        raise ImproperlyConfigured(f"{SETTING}[{name!r}]: {error.message}") from None


def _policy(raw: dict[str, Any]) -> PricingPolicy:
    options: dict[str, Any] = {}
    for name in _RATES:
        value = _rate(raw, name)
        if value is not None:
            options[name] = value
    if "grades" in raw:
        try:
            options["grades"] = grades_from([tuple(pair) for pair in raw["grades"]])
        except (DomainError, TypeError, ValueError) as error:
            raise ImproperlyConfigured(f"{SETTING}['grades']: {error}") from None
    if "lender" in raw:
        try:
            options["lender"] = Lender(raw["lender"])
        except ValueError:
            raise ImproperlyConfigured(f"{SETTING}['lender'] must be licensed or private") from None
    if "pd_horizon_months" in raw:
        horizon = raw["pd_horizon_months"]
        if horizon is not None and (isinstance(horizon, bool) or not isinstance(horizon, int)):
            raise ImproperlyConfigured(f"{SETTING}['pd_horizon_months'] must be a number of months or None")
        options["pd_horizon_months"] = horizon
    try:
        return PricingPolicy(**options)
    except DomainError as error:
        raise ImproperlyConfigured(f"{SETTING}[{error.field!r}]: {error.message}") from None


def pricing_settings(lpr: Decimal | None = None) -> PricingSettings:
    """``QINGSHOU_PRICING`` validated (module docstring); ``lpr`` overrides the setting's LPR."""
    raw = getattr(settings, SETTING, None) or {}
    if not isinstance(raw, dict):
        raise ImproperlyConfigured(f"{SETTING} must be a dict")
    unknown = sorted(set(raw) - _KNOWN)
    if unknown:
        raise ImproperlyConfigured(f"{SETTING}: unknown key {unknown[0]!r}")
    policy = _policy(raw)
    return PricingSettings(policy, lpr if lpr is not None else _rate(raw, "lpr"))
