"""Response: the simulation harness's model of whether a delinquent borrower pays today (docs/trial.md).

A simple, monotone, documented model — an assumption to compare strategies with, not an estimate:

    logit P(pay today) = base + willingness_coef · w − dpd_coef · ln(1 + dpd) + lift

* ``w`` is the borrower's latent willingness (the simulator's N(0, 1) score); P rises with it.
* ``dpd`` is the days past due today; P falls with it (``dpd_coef`` ≥ 0): old arrears are harder to collect.
* ``lift`` is the contact effect: the largest ``ChannelEffects`` lift of the actions carried out today, or
  the remembered lift of earlier contacts decaying by ``carry_over`` a day, whichever is larger
  (``lift_t = max(today, carry_over · lift_{t−1})``). Calls, SMS and e-mail reach only contactable
  borrowers; letters, visits, agency placement and legal review reach everyone. Every lift is ≥ 0, so a
  contact never lowers P.
* When the borrower pays, the payment clears the whole overdue amount (a cure) with probability
  ``logistic(full_base + full_willingness_coef · w)``, otherwise it is a partial payment of
  ``partial_low``–``partial_high`` of the overdue amount (uniform), rounded down to the fen.

The harness draws the outcomes with common random numbers: one uniform per borrower-day decides whether
they pay (``u < P``), a second whether it is a cure, a third the partial share — the same uniforms in both
arms, so two arms differ only where their actions differ.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields

import numpy as np

from qingshou.domain.strategy import Action


@dataclass(frozen=True, slots=True)
class ChannelEffects:
    """The logit lift of each action on the day it is carried out (≥ 0)."""

    sms: float = 0.3
    email: float = 0.1
    letter: float = 0.6
    call: float = 1.0
    field_visit: float = 1.6
    agency_placement: float = 0.8
    legal_review: float = 1.2

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"channel lift {item.name} must be a finite number ≥ 0, got {value}")

    def lift(self, action: Action | str) -> float:
        """The lift of ``action``."""
        return float(getattr(self, Action(action).value))


#: Actions that need a working phone number or address (they do nothing for unreachable borrowers).
NEEDS_CONTACT: frozenset[Action] = frozenset({Action.SMS, Action.EMAIL, Action.CALL})


@dataclass(frozen=True, slots=True)
class ResponseModel:
    """The parameters of the response model (module docstring); the defaults give a daily self-cure chance
    of about 0.5 % at w = 0, dpd 1 with no contact, and about 1.3 % on the day of a call."""

    base: float = -3.0
    willingness_coef: float = 0.8
    dpd_coef: float = 0.6
    carry_over: float = 0.6
    full_base: float = 0.0
    full_willingness_coef: float = 0.8
    partial_low: float = 0.2
    partial_high: float = 0.8
    channels: ChannelEffects = field(default_factory=ChannelEffects)

    def __post_init__(self) -> None:
        if self.willingness_coef < 0 or self.dpd_coef < 0:
            raise ValueError("willingness_coef and dpd_coef must be ≥ 0 (the model is monotone)")
        if not 0.0 <= self.carry_over < 1.0:
            raise ValueError(f"carry_over must be in [0, 1), got {self.carry_over}")
        if not 0.0 < self.partial_low <= self.partial_high < 1.0:
            raise ValueError("partial shares must satisfy 0 < partial_low ≤ partial_high < 1")

    def pay_probability(self, willingness: np.ndarray, dpd: np.ndarray, lift: np.ndarray) -> np.ndarray:
        """P(pay today) per borrower (float64 arrays of one shape; dpd ≥ 0)."""
        logit = (
            self.base
            + self.willingness_coef * willingness
            - self.dpd_coef * np.log1p(np.maximum(dpd, 0))
            + lift
        )
        return _logistic(logit)

    def full_probability(self, willingness: np.ndarray) -> np.ndarray:
        """P(the payment clears the whole overdue amount | the borrower pays)."""
        return _logistic(self.full_base + self.full_willingness_coef * willingness)

    def expected_share(self, willingness: np.ndarray) -> np.ndarray:
        """The expected share of the overdue amount a payment brings: cure or the mean partial share."""
        full = self.full_probability(willingness)
        return full + (1.0 - full) * (self.partial_low + self.partial_high) / 2

    def partial_share(self, uniform: np.ndarray) -> np.ndarray:
        """The partial share for uniforms in [0, 1)."""
        return self.partial_low + (self.partial_high - self.partial_low) * uniform


def _logistic(logit: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-logit)), dtype=np.float64)
