"""nnkernel.roundoff: agreements reported as bounds that do not depend on the error's digits."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import nnkernel as nk


def test_unit_roundoff_is_half_the_machine_epsilon():
    assert nk.roundoff.unit_roundoff("float64") == 2.0**-53
    assert nk.roundoff.unit_roundoff(np.float32) == 2.0**-24
    with pytest.raises(TypeError, match="floating"):
        nk.roundoff.unit_roundoff("int64")


def test_bound_is_the_power_of_ten_at_or_above_c_n_u_scale():
    u = 2.0**-53
    assert nk.roundoff_bound("float64", 1, 1.0) == 1e-15  # 4 u = 4.4e-16
    assert nk.roundoff_bound("float64", 16, 1.0) == 1e-14  # 64 u = 7.1e-15
    assert nk.roundoff_bound("float64", 16, 100.0) == 1e-12
    assert nk.roundoff_bound("float32", 1, 1.0) == 1e-6  # 4 * 6e-8
    for n in (1, 3, 10, 1000):
        b = nk.roundoff_bound("float64", n, 2.5)
        assert b >= 4 * n * u * 2.5 > b / 10


@given(st.floats(1e-300, 1e300), st.integers(1, 10**6))
def test_bound_is_a_power_of_ten_above_the_raw_bound(scale, n):
    b = nk.roundoff_bound("float64", n, scale)
    raw = 4 * n * 2.0**-53 * scale
    assert b >= raw * (1 - 1e-12) and b < raw * 10 * (1 + 1e-12)
    assert f"{b:.0e}".startswith("1e")


def test_text_depends_on_the_bound_not_on_the_digits():
    x = np.linspace(-3, 3, 101)
    a, b = np.tanh(x), 2 / (1 + np.exp(-2 * x)) - 1
    texts = {str(nk.agree(a, b)), str(nk.agree(a, a)), str(nk.agree(a, b + 1e-16 * np.sign(b)))}
    assert texts == {"< 1e-14 (round-off)"}
    assert f"{nk.agree(a, b):>25}" == " " * 6 + "< 1e-14 (round-off)"


def test_a_real_difference_is_shown_with_two_digits():
    r = nk.agree([1.0, 2.0], [1.0, 2.003])
    assert not r.ok and not r
    assert str(r) == "0.003 (above round-off, which is < 1e-13)"


def test_scale_and_dtype_follow_the_inputs():
    big = nk.agree(np.array([1e6]), np.array([1e6]))
    assert big.bound == 1e-8
    f32 = nk.agree(np.float32(1) + np.float32(1e-7), 1.0)
    assert f32.ok and f32.bound == 1e-5
    assert nk.agree(1e-17, scale=1.0).ok  # a cancelled result: the scale is that of the cancelled terms


@pytest.mark.parametrize(
    "a, b, kw, err, match",
    [
        (np.array([np.nan]), 0.0, {}, ValueError, "finite"),
        (np.zeros(0), 0.0, {}, ValueError, "empty"),
        (np.zeros(2), np.zeros(3), {}, ValueError, "broadcast"),
        (np.array(["1"]), 0.0, {}, TypeError, "real numbers"),
        (np.zeros(2), 0.0, {"n": 0}, ValueError, "n "),
        (np.zeros(2), 0.0, {"n": True}, ValueError, "n "),
        (np.zeros(2), 0.0, {"scale": -1}, ValueError, "scale"),
        (np.zeros(2), 0.0, {"scale": "big"}, TypeError, "scale"),
    ],
)
def test_bad_input_is_refused_by_name(a, b, kw, err, match):
    with pytest.raises(err, match=match):
        nk.agree(a, b, **kw)


def test_gradcheck_result_prints_its_verdict_against_the_tolerance():
    x = np.linspace(-3, 3, 11)
    good = nk.gradcheck(nk.activations.gelu, nk.activations.gelu_grad, x, elementwise=True)
    assert str(good) == "passes (|analytic - numeric| <= 1e-07 + 1e-05 |numeric| everywhere)"
    bad = nk.gradcheck(nk.activations.gelu, nk.activations.sigmoid, x, elementwise=True)
    assert str(bad).startswith("FAILS (max error 0.") and not bad
