"""The six TensorFlow Playground data sets in nnkernel.data: shapes, labels, the rules, seeds, arguments."""
from __future__ import annotations

import inspect

import numpy as np
import pytest

import nnkernel as nk
from nnkernel.backend import to_numpy

D = nk.data
NAMES = ["circle", "xor", "gauss", "spiral", "plane", "multi_gauss"]
CLASSIFY = ["circle", "xor", "gauss", "spiral"]
REGRESS = ["plane", "multi_gauss"]
LO, HI = D.PLAYGROUND_DOMAIN


def make(name, **kw):
    X, y = D.PLAYGROUND[name](**kw)
    return to_numpy(X), to_numpy(y)


def test_tables_and_exports():
    assert list(D.PLAYGROUND) == NAMES
    assert D.PLAYGROUND_PROBLEM == {**{k: "classification" for k in CLASSIFY},
                                    **{k: "regression" for k in REGRESS}}
    assert D.PLAYGROUND_DOMAIN == (-6.0, 6.0)
    for name, fn in D.PLAYGROUND.items():
        assert fn is getattr(D, f"playground_{name}") and fn.__name__ in D.__all__
        assert fn.__doc__ and "\n" not in fn.__doc__.strip()
    for extra in ("PLAYGROUND", "PLAYGROUND_PROBLEM", "PLAYGROUND_DOMAIN"):
        assert extra in D.__all__


@pytest.mark.parametrize("name", NAMES)
def test_defaults_shapes_dtypes(name):
    params = inspect.signature(D.PLAYGROUND[name]).parameters
    n_default = 500 if name in CLASSIFY else 1200
    assert params["n"].default == n_default and params["noise"].default == 0.0 and params["seed"].default == 0
    X, y = make(name)
    assert X.shape == (n_default, 2) and y.shape == (n_default,)
    assert X.dtype == np.float64 and y.dtype == np.float64
    assert np.isfinite(X).all() and np.isfinite(y).all()
    X, y = make(name, n=7, noise=0.3, seed=1)
    assert X.shape == (7, 2) and y.shape == (7,)


@pytest.mark.parametrize("noise", [0.0, 0.25, 0.5])
@pytest.mark.parametrize("name", CLASSIFY)
def test_classification_labels(name, noise):
    _, y = make(name, noise=noise)
    assert set(np.unique(y)) == {-1.0, 1.0}


@pytest.mark.parametrize("noise", [0.0, 0.25, 0.5])
def test_regression_targets(noise):
    X, y = make("multi_gauss", noise=noise)
    assert y.min() >= -1.0 and y.max() <= 1.0 and y.min() < -0.9 and y.max() > 0.9
    assert np.mean(y == 0.0) > 0.1  # far from every bump the target is 0
    X, y = make("plane", noise=noise)
    # (x1 + x2) / 10 on [-6, 6]^2 reaches +-1.2, and the reading point moves up to 6 * noise per axis
    bound = 1.2 + 1.2 * noise
    assert y.min() >= -bound and y.max() <= bound


def test_circle_rule():
    X, y = make("circle")
    r = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_array_equal(y, np.where(r < 2.5, 1.0, -1.0))
    assert np.all(r[y < 0] >= 3.5) and np.all(r[y < 0] <= 5.0)
    assert np.sum(y > 0) == 250


def test_xor_rule():
    X, y = make("xor")
    np.testing.assert_array_equal(y, np.where(X[:, 0] * X[:, 1] >= 0, 1.0, -1.0))
    assert np.all(np.abs(X) >= 0.3) and np.all(np.abs(X) <= 5.3)


def test_gauss_rule():
    X, y = make("gauss")
    assert np.sum(y > 0) == 250
    np.testing.assert_allclose(X[y > 0].mean(axis=0), [2, 2], atol=0.15)
    np.testing.assert_allclose(X[y < 0].mean(axis=0), [-2, -2], atol=0.15)
    np.testing.assert_allclose(X[y > 0].std(axis=0), np.sqrt(0.5), rtol=0.15)
    assert np.mean(np.sign(X.sum(axis=1)) == y) > 0.99
    X, y = make("gauss", noise=0.5)  # variance 4
    np.testing.assert_allclose(X[y > 0].std(axis=0), 2.0, rtol=0.15)


def test_spiral_rule():
    X, y = make("spiral")
    assert np.sum(y > 0) == 250
    r = np.hypot(X[:, 0], X[:, 1])
    assert r.max() < 5.0
    angle = np.arctan2(X[:, 0], X[:, 1])  # the arms are (r sin t, r cos t)
    expected = 1.75 * 2 * np.pi * r / 5.0 + np.where(y > 0, 0.0, np.pi)
    gap = np.angle(np.exp(1j * (angle - expected)))
    assert np.all(np.abs(gap[r > 1e-9]) < 1e-9)


def _multi_gauss_rule(x1, x2):
    best = 0.0
    for cx, cy, sign in [(-4, 2.5, 1), (0, 2.5, -1), (4, 2.5, 1), (-4, -2.5, -1), (0, -2.5, 1), (4, -2.5, -1)]:
        v = sign * min(1.0, max(0.0, 1.0 - np.hypot(x1 - cx, x2 - cy) / 2.0))
        if abs(v) > abs(best):
            best = v
    return best


def test_regression_rules():
    X, y = make("plane")
    np.testing.assert_allclose(y, X.sum(axis=1) / 10.0)
    assert np.all((X >= LO) & (X <= HI))
    X, y = make("multi_gauss", n=300)
    np.testing.assert_allclose(y, [_multi_gauss_rule(a, b) for a, b in X])


@pytest.mark.parametrize("name", ["circle", "xor", "plane", "multi_gauss"])
def test_noise_moves_the_label_not_the_point(name):
    X0, y0 = make(name, seed=5)
    X1, y1 = make(name, noise=0.5, seed=5)
    np.testing.assert_array_equal(X0, X1)
    assert not np.array_equal(y0, y1)
    if name in CLASSIFY:
        assert 0.0 < np.mean(y0 != y1) < 0.5


@pytest.mark.parametrize("name", NAMES)
def test_seeds(name):
    X1, y1 = make(name, noise=0.2, seed=3)
    X2, y2 = make(name, noise=0.2, seed=3)
    X3, _ = make(name, noise=0.2, seed=4)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)
    X4, _ = make(name, noise=0.2, seed=np.random.default_rng(3))
    np.testing.assert_array_equal(X1, X4)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("kw, err, word", [
    ({"n": 0}, ValueError, "n"),
    ({"n": 2.5}, ValueError, "n"),
    ({"n": "5"}, TypeError, "n"),
    ({"noise": -0.1}, ValueError, "noise"),
    ({"noise": 0.6}, ValueError, "noise"),
    ({"noise": float("nan")}, ValueError, "noise"),
    ({"noise": None}, TypeError, "noise"),
    ({"seed": "a"}, TypeError, "seed"),
    ({"seed": -1}, ValueError, "seed"),
])
def test_bad_arguments(name, kw, err, word):
    with pytest.raises(err, match=rf"playground_{name}: {word}\b"):
        D.PLAYGROUND[name](**kw)


@pytest.mark.parametrize("name", ["circle", "gauss", "spiral"])
def test_two_classes_need_two_points(name):
    with pytest.raises(ValueError, match="n"):
        D.PLAYGROUND[name](n=1)
    _, y = make(name, n=2)
    assert sorted(y) == [-1.0, 1.0]


@pytest.mark.parametrize("noise", [0.0, 0.5])
@pytest.mark.parametrize("name", NAMES)
def test_points_in_domain(name, noise):
    X, _ = make(name, noise=noise)
    inside = np.all((X >= LO) & (X <= HI), axis=1)
    if name == "gauss" and noise > 0:
        assert inside.mean() > 0.9  # a Gaussian with variance 4 has tails past the square, as in the original
    else:
        assert inside.all()
