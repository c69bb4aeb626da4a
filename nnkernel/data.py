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
           "temperature_series", "playground_circle", "playground_xor", "playground_gauss",
           "playground_spiral", "playground_plane", "playground_multi_gauss", "PLAYGROUND",
           "PLAYGROUND_PROBLEM", "PLAYGROUND_DOMAIN"]


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


# ---------------------------------------------------------------------------------------------------
# The six data sets of TensorFlow Playground (src/dataset.ts), redrawn with NumPy's generator.
# The distributions follow the original; its JavaScript random stream is not reproduced.
# ``noise`` is the playground's slider percentage / 100, a fraction in [0, 0.5].  Except for gauss and
# spiral, noise never moves a point: it shifts the place where the label is read, so points near a
# boundary get the other side's label.  Classes come in blocks (the playground shuffles before it
# splits into train and test).

#: the playground's input square, [-6, 6] on both axes (its heat map's xDomain)
PLAYGROUND_DOMAIN = (-6.0, 6.0)


def _playground_args(who, n, noise, seed, minimum=1):
    n = _check_n(n, minimum, who=who)
    noise = check_float("noise", noise, 0.0, 0.5, where=f"{who}: ")
    return n, noise, np.random.default_rng(check_seed(seed, where=f"{who}: "))


def _label_offsets(rng, n, half_width, noise):
    """Offsets of the point where a label is read: uniform on [-half_width, half_width] times noise."""
    return rng.uniform(-half_width, half_width, size=(n, 2)) * noise


def playground_circle(n=500, noise=0.0, seed=0):
    """Label +1 inside radius 2.5 of the origin, -1 outside: half the points at radius [0, 2.5), half at [3.5, 5)."""
    n, noise, rng = _playground_args("playground_circle", n, noise, seed, 2)
    n_in = n // 2
    r = np.r_[rng.uniform(0.0, 2.5, n_in), rng.uniform(3.5, 5.0, n - n_in)]
    angle = rng.uniform(0.0, 2 * np.pi, n)
    X = np.c_[r * np.sin(angle), r * np.cos(angle)]
    read_at = X + _label_offsets(rng, n, 5.0, noise)
    y = np.where(np.hypot(read_at[:, 0], read_at[:, 1]) < 2.5, 1.0, -1.0)
    return _out(X, y)


def playground_xor(n=500, noise=0.0, seed=0):
    """Label +1 where x1 * x2 >= 0, else -1; coordinates uniform on [-5, 5], pushed 0.3 away from the axes."""
    n, noise, rng = _playground_args("playground_xor", n, noise, seed)
    X = rng.uniform(-5.0, 5.0, size=(n, 2))
    X += np.where(X > 0, 0.3, -0.3)
    read_at = X + _label_offsets(rng, n, 5.0, noise)
    y = np.where(read_at[:, 0] * read_at[:, 1] >= 0, 1.0, -1.0)
    return _out(X, y)


def playground_gauss(n=500, noise=0.0, seed=0):
    """Label +1 for a Gaussian blob at (2, 2), -1 for one at (-2, -2); variance 0.5 + 7 noise per axis."""
    n, noise, rng = _playground_args("playground_gauss", n, noise, seed, 2)
    n_pos = n // 2
    std = np.sqrt(0.5 + 7.0 * noise)  # the variance runs linearly from 0.5 (noise 0) to 4 (noise 0.5)
    centre = np.r_[np.full(n_pos, 2.0), np.full(n - n_pos, -2.0)][:, None]
    X = centre + rng.normal(0.0, std, size=(n, 2))
    y = np.r_[np.ones(n_pos), -np.ones(n - n_pos)]
    return _out(X, y)


def playground_spiral(n=500, noise=0.0, seed=0):
    """Label +1 on the arm (r sin t, r cos t), t = 1.75 * 2 pi r / 5, r in [0, 5); -1 on the arm turned by pi."""
    n, noise, rng = _playground_args("playground_spiral", n, noise, seed, 2)
    Xs, ys = [], []
    for m, turn, label in ((n // 2, 0.0, 1.0), (n - n // 2, np.pi, -1.0)):
        frac = np.arange(m) / m
        r, t = 5.0 * frac, 1.75 * 2 * np.pi * frac + turn
        Xs.append(np.c_[r * np.sin(t), r * np.cos(t)] + rng.uniform(-1.0, 1.0, size=(m, 2)) * noise)
        ys.append(np.full(m, label))
    return _out(np.concatenate(Xs), np.concatenate(ys))


def playground_plane(n=1200, noise=0.0, seed=0):
    """Target (x1 + x2) / 10 on points uniform on [-6, 6]^2 (so within [-1.2, 1.2], as in the original)."""
    n, noise, rng = _playground_args("playground_plane", n, noise, seed)
    X = rng.uniform(-6.0, 6.0, size=(n, 2))
    read_at = X + _label_offsets(rng, n, 6.0, noise)
    y = read_at.sum(axis=1) / 10.0
    return _out(X, y)


_MULTI_GAUSS = np.array([[-4.0, 2.5, 1.0], [0.0, 2.5, -1.0], [4.0, 2.5, 1.0],
                         [-4.0, -2.5, -1.0], [0.0, -2.5, 1.0], [4.0, -2.5, -1.0]])


def _multi_gauss_target(P):
    """sign * max(0, 1 - d / 2) of the centre whose value is largest in size (the first on a tie)."""
    d = np.hypot(P[:, None, 0] - _MULTI_GAUSS[:, 0], P[:, None, 1] - _MULTI_GAUSS[:, 1])
    v = _MULTI_GAUSS[:, 2] * np.clip(1.0 - d / 2.0, 0.0, 1.0)
    return v[np.arange(len(P)), np.argmax(np.abs(v), axis=1)]


def playground_multi_gauss(n=1200, noise=0.0, seed=0):
    """Target sign * max(0, 1 - d/2) from the nearest of six +-1 bumps at (-4|0|4, +-2.5); x uniform on [-6, 6]^2."""
    n, noise, rng = _playground_args("playground_multi_gauss", n, noise, seed)
    X = rng.uniform(-6.0, 6.0, size=(n, 2))
    y = _multi_gauss_target(X + _label_offsets(rng, n, 6.0, noise))
    return _out(X, y)


#: the six generators by the playground's names ("plane" and "multi_gauss" are its reg-plane, reg-gauss)
PLAYGROUND = {"circle": playground_circle, "xor": playground_xor, "gauss": playground_gauss,
              "spiral": playground_spiral, "plane": playground_plane, "multi_gauss": playground_multi_gauss}

#: which problem each data set poses: labels -1/+1 (classification) or real targets (regression)
PLAYGROUND_PROBLEM = {"circle": "classification", "xor": "classification", "gauss": "classification",
                      "spiral": "classification", "plane": "regression", "multi_gauss": "regression"}
