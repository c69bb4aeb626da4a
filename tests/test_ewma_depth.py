"""EWMA chapter, depth: ewma_weights on the active backend; the EWMA as a filter.

``ewma_weights`` creates a new array, so it lands on the active backend (like
the data sets and initializers) with the same values on every backend.  The
array_api_strict backend is activated by pointing the backend switch at that
module (``nk.use`` knows only numpy and cupy); CuPy runs through the ``xp``
fixture, which switches with ``nk.use("cupy")``.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from array_api_compat import array_namespace

import nnkernel as nk
from nnkernel import backend


@pytest.fixture
def active(xp, monkeypatch):
    """Make the namespace under test the active backend; yields its name."""
    name = xp.__name__.split(".")[-1]
    if name == "array_api_strict":
        monkeypatch.setitem(backend._active, "name", "array_api_strict")
        monkeypatch.setitem(backend._active, "module", xp)
    return name


def _reference(beta, t):
    return (1.0 - beta) * beta ** np.arange(t)


@pytest.mark.parametrize("beta,t", [(0.9, 37), (0.0, 5), (0.5, 1), (0.999, 2000), (0.3, 0)])
def test_ewma_weights_on_the_active_backend(active, xp, beta, t):
    w = nk.ewma_weights(beta, t)
    assert array_namespace(w).__name__ == array_namespace(backend.xp().asarray([0.0])).__name__
    if active == "array_api_strict":
        assert type(w).__module__.startswith("array_api_strict")
    assert w.dtype == backend.xp().float64
    assert tuple(w.shape) == (t,)
    host = nk.to_numpy(w)
    # identical values on every backend: computed on the host, then moved
    np.testing.assert_array_equal(host, _reference(beta, t))


def test_ewma_weights_numpy_default_is_unchanged():
    w = nk.ewma_weights(0.9, 50)
    assert type(w) is np.ndarray and w.dtype == np.float64
    np.testing.assert_array_equal(w, (1.0 - 0.9) * 0.9 ** np.arange(50))


def test_ewma_weights_combine_with_ewma_on_the_backend(active, xp):
    x_host = np.random.default_rng(5).normal(size=40)
    x = xp.asarray(x_host)
    v = nk.ewma(x, 0.8)
    w = nk.ewma_weights(0.8, 40)
    # V_T as the weighted sum of the readings, most recent first, all on the backend
    unrolled = xp.sum(w * xp.flip(x))
    assert abs(float(nk.to_numpy(unrolled)) - float(nk.to_numpy(v)[-1])) < 1e-14


def test_frequency_response_of_ewma_matches_transfer_function():
    # |H(e^{iw})| = (1 - b) / |1 - b e^{-iw}|, measured on sinusoids in steady state
    t = np.arange(4000)
    for b in (0.5, 0.9, 0.98):
        for w in (0.01, 0.1, 1.0, 3.0):
            v = nk.ewma(np.cos(w * t), b)[2000:]
            H = (1 - b) / (1 - b * np.exp(-1j * w))
            ref = abs(H) * np.cos(w * t[2000:] + np.angle(H))
            np.testing.assert_allclose(v, ref, atol=1e-11)


def test_group_delay_at_zero_is_mean_age():
    for b in (0.5, 0.9, 0.98):
        h = 1e-6
        phase = lambda w: np.angle((1 - b) / (1 - b * np.exp(-1j * w)))  # noqa: E731
        delay = -(phase(h) - phase(-h)) / (2 * h)
        assert math.isclose(delay, b / (1 - b), rel_tol=1e-8)


def _riccati_gain(q, r, steps=10_000):
    P = 1.0  # prior variance; any start converges
    for _ in range(steps):
        K = P / (P + r)
        P = (1 - K) * P + q
    return P / (P + r)


@pytest.mark.parametrize("q,r", [(1.0, 1.0), (0.01, 1.0), (1e-4, 2.0), (3.0, 0.5)])
def test_steady_state_kalman_gain_closed_form(q, r):
    K = (-q + math.sqrt(q * q + 4 * q * r)) / (2 * r)
    assert math.isclose(_riccati_gain(q, r), K, rel_tol=1e-12)
    # the Kalman filter with constant gain K is nk.ewma with beta = 1 - K
    y = np.random.default_rng(1).normal(size=200)
    m, out = 0.0, []
    for yt in y:
        m = m + K * (yt - m)
        out.append(m)
    np.testing.assert_allclose(nk.ewma(y, 1 - K), out, rtol=1e-12, atol=1e-14)
