"""Seeded synthetic data sets, generated locally (nothing is downloaded).

Every generator takes ``n`` and ``seed`` and returns arrays on the active
backend: ``X`` of shape (n, features) and ``y`` (labels or targets).
Every argument is checked: sizes are integers, noise levels finite and >= 0,
seeds None, a non-negative integer or a NumPy Generator; anything else is a
TypeError or ValueError naming the argument (never all-NaN data).
"""
from __future__ import annotations

import numpy as np

from . import backend
from ._common import check_callable, check_float, check_int, check_seed

__all__ = ["xor", "two_moons", "circles", "spirals", "function_1d", "linear_with_outliers",
           "temperature_series"]


def _out(*arrays):
    return tuple(backend.asarray(np.asarray(a, dtype=np.float64)) for a in arrays)


def _check_n(n, minimum=1, name="n", who=""):
    return check_int(name, n, minimum, where=f"{who}: " if who else "")


def _check_noise(noise, who, name="noise"):
    return check_float(name, noise, 0.0, where=f"{who}: ")


def xor(n=200, noise=0.1, seed=0):
    """Points around the four corners of the unit square; label 1 where exactly one coordinate is 1."""
    n = _check_n(n, who="xor")
    noise, seed = _check_noise(noise, "xor"), check_seed(seed, where="xor: ")
    rng = np.random.default_rng(seed)
    corners = rng.integers(0, 2, size=(n, 2))
    X = corners + rng.normal(0, noise, size=(n, 2))
    y = (corners[:, 0] ^ corners[:, 1]).astype(float)
    return _out(X, y)


def two_moons(n=200, noise=0.1, seed=0):
    """Two interleaving half circles (labels 0 and 1)."""
    n = _check_n(n, 2, who="two_moons")
    noise, seed = _check_noise(noise, "two_moons"), check_seed(seed, where="two_moons: ")
    rng = np.random.default_rng(seed)
    n0 = n // 2
    t0 = rng.uniform(0, np.pi, n0)
    t1 = rng.uniform(0, np.pi, n - n0)
    X = np.concatenate([np.c_[np.cos(t0), np.sin(t0)], np.c_[1 - np.cos(t1), 0.5 - np.sin(t1)]])
    X += rng.normal(0, noise, X.shape)
    y = np.r_[np.zeros(n0), np.ones(n - n0)]
    return _out(X, y)


def circles(n=200, noise=0.05, factor=0.5, seed=0):
    """A small circle (label 1) inside a large one (label 0)."""
    n = _check_n(n, 2, who="circles")
    noise, seed = _check_noise(noise, "circles"), check_seed(seed, where="circles: ")
    factor = check_float("factor", factor, 0.0, 1.0, low_open=True, high_open=True, where="circles: ")
    rng = np.random.default_rng(seed)
    n0 = n // 2
    t = rng.uniform(0, 2 * np.pi, n)
    r = np.r_[np.ones(n0), np.full(n - n0, factor)]
    X = np.c_[r * np.cos(t), r * np.sin(t)] + rng.normal(0, noise, (n, 2))
    y = np.r_[np.zeros(n0), np.ones(n - n0)]
    return _out(X, y)


def spirals(n=300, classes=3, noise=0.2, seed=0):
    """``classes`` interleaved spiral arms; y holds integer labels 0..classes-1."""
    classes = check_int("classes", classes, 1, where="spirals: ")
    n = _check_n(n, classes, who="spirals")
    noise, seed = _check_noise(noise, "spirals"), check_seed(seed, where="spirals: ")
    rng = np.random.default_rng(seed)
    per = n // classes
    Xs, ys = [], []
    for c in range(classes):
        m = per if c < classes - 1 else n - per * (classes - 1)
        r = np.linspace(0.0, 1.0, m)
        t = np.linspace(c * 4.0, (c + 1) * 4.0, m) + rng.normal(0, noise, m)
        Xs.append(np.c_[r * np.sin(t), r * np.cos(t)])
        ys.append(np.full(m, c))
    return _out(np.concatenate(Xs), np.concatenate(ys))


def function_1d(n=200, noise=0.05, seed=0, fn=None):
    """x uniform on [-3, 3], y = fn(x) + noise; by default fn(x) = sin(2x) + 0.3 x."""
    n = _check_n(n, who="function_1d")
    noise, seed = _check_noise(noise, "function_1d"), check_seed(seed, where="function_1d: ")
    fn = check_callable("fn", fn, where="function_1d: ", allow_none=True)
    rng = np.random.default_rng(seed)
    fn = fn or (lambda x: np.sin(2 * x) + 0.3 * x)
    x = np.sort(rng.uniform(-3, 3, n))
    y = np.asarray(fn(x))
    if y.dtype.kind not in "biuf" or y.shape != x.shape or not np.isfinite(y).all():
        raise ValueError(f"function_1d: fn must map the x values (shape {x.shape}) to as many finite real "
                         f"numbers, got {y.dtype} values of shape {y.shape}")
    y = y.astype(np.float64) + rng.normal(0, noise, n)
    return _out(x[:, None], y[:, None])


def linear_with_outliers(n=60, slope=2.0, intercept=1.0, noise=0.5, n_outliers=6, outlier_scale=8.0, seed=0):
    """y = slope x + intercept + noise on x in [0, 5], with ``n_outliers`` points pushed far off the line."""
    who = "linear_with_outliers: "
    n = _check_n(n, who="linear_with_outliers")
    n_outliers = check_int("n_outliers", n_outliers, 0, n, where=who)
    slope, intercept = check_float("slope", slope, where=who), check_float("intercept", intercept, where=who)
    noise = _check_noise(noise, "linear_with_outliers")
    outlier_scale = check_float("outlier_scale", outlier_scale, 0.0, where=who)
    seed = check_seed(seed, where=who)
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(0, 5, n))
    y = slope * x + intercept + rng.normal(0, noise, n)
    idx = rng.choice(n, size=n_outliers, replace=False)
    y[idx] += outlier_scale * rng.choice([-1.0, 1.0], size=n_outliers) * rng.uniform(0.6, 1.0, n_outliers)
    return _out(x[:, None], y)


def temperature_series(days=365, seed=0, mean=12.0, amplitude=9.0, noise=3.0):
    """A noisy daily temperature-like series: a yearly cycle plus autocorrelated weather noise.

    Returns (day numbers, temperatures), both of shape (days,).
    """
    who = "temperature_series: "
    days = _check_n(days, name="days", who="temperature_series")
    seed, noise = check_seed(seed, where=who), _check_noise(noise, "temperature_series")
    mean, amplitude = check_float("mean", mean, where=who), check_float("amplitude", amplitude, where=who)
    rng = np.random.default_rng(seed)
    t = np.arange(days, dtype=float)
    weather = np.zeros(days)
    for i in range(1, days):
        weather[i] = 0.6 * weather[i - 1] + rng.normal(0, noise)
    temp = mean - amplitude * np.cos(2 * np.pi * (t - 15) / 365.0) + weather
    return _out(t, temp)
