"""The harness's response model (``qingshou.risk.response``, docs/trial.md "Response model"): monotone as
documented — P(pay) rises with willingness and with a contact's lift, falls with dpd; the cure share rises
with willingness; bad parameters are refused with the field named. No database."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qingshou.domain.strategy import Action
from qingshou.risk.response import NEEDS_CONTACT, ChannelEffects, ResponseModel

MODEL = ResponseModel()
finite = st.floats(min_value=-4.0, max_value=4.0, allow_nan=False)
days = st.integers(min_value=0, max_value=400)
lifts = st.floats(min_value=0.0, max_value=3.0, allow_nan=False)


def _p(w: float, dpd: int, lift: float) -> float:
    return float(MODEL.pay_probability(np.array([w]), np.array([dpd]), np.array([lift]))[0])


@settings(max_examples=200, deadline=None)
@given(finite, finite, days, lifts)
def test_pay_probability_rises_with_willingness(w1: float, w2: float, dpd: int, lift: float) -> None:
    low, high = sorted((w1, w2))
    assert _p(low, dpd, lift) <= _p(high, dpd, lift)


@settings(max_examples=200, deadline=None)
@given(finite, days, days, lifts)
def test_pay_probability_falls_with_dpd(w: float, d1: int, d2: int, lift: float) -> None:
    early, late = sorted((d1, d2))
    assert _p(w, late, lift) <= _p(w, early, lift)


@settings(max_examples=200, deadline=None)
@given(finite, days, lifts, lifts)
def test_a_contact_never_lowers_the_pay_probability(w: float, dpd: int, l1: float, l2: float) -> None:
    small, large = sorted((l1, l2))
    assert _p(w, dpd, small) <= _p(w, dpd, large)


def test_the_default_calibration_as_documented() -> None:
    """docs/trial.md: about 3 % a day at w = 0 on the first day past due, under 0.5 % at dpd 60, and a
    call (lift 1.0) multiplies the odds by e."""
    assert _p(0.0, 1, 0.0) == pytest.approx(1 / (1 + np.exp(3.0 + 0.6 * np.log(2))))
    assert 0.025 < _p(0.0, 1, 0.0) < 0.035
    assert _p(0.0, 60, 0.0) < 0.005
    odds = [p / (1 - p) for p in (_p(0.0, 10, 0.0), _p(0.0, 10, MODEL.channels.call))]
    assert odds[1] / odds[0] == pytest.approx(np.e)


def test_a_stronger_channel_lifts_more() -> None:
    """Visit > call > letter > SMS > e-mail in the default effects."""
    effects = ChannelEffects()
    order = [Action.FIELD_VISIT, Action.CALL, Action.LETTER, Action.SMS, Action.EMAIL]
    values = [effects.lift(action) for action in order]
    assert values == sorted(values, reverse=True)
    assert {Action.SMS, Action.EMAIL, Action.CALL} == NEEDS_CONTACT


def test_full_payment_share_rises_with_willingness() -> None:
    w = np.linspace(-3, 3, 13)
    full = MODEL.full_probability(w)
    assert np.all(np.diff(full) > 0)
    assert full[6] == pytest.approx(0.5)
    expected = MODEL.expected_share(w)
    assert np.all((expected > MODEL.partial_low) & (expected < 1.0))


def test_partial_share_spans_the_documented_range() -> None:
    shares = MODEL.partial_share(np.array([0.0, 0.5, 0.999999]))
    assert shares[0] == pytest.approx(0.2)
    assert shares[1] == pytest.approx(0.5)
    assert shares[2] < 0.8


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: ChannelEffects(call=-0.1), "channel lift call"),
        (lambda: ChannelEffects(sms=float("nan")), "channel lift sms"),
        (lambda: ResponseModel(dpd_coef=-1.0), "monotone"),
        (lambda: ResponseModel(willingness_coef=-0.1), "monotone"),
        (lambda: ResponseModel(carry_over=1.0), "carry_over"),
        (lambda: ResponseModel(partial_low=0.9, partial_high=0.5), "partial shares"),
    ],
)
def test_bad_parameters_are_refused(build: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()  # type: ignore[operator]
