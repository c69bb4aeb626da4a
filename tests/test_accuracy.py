"""Accuracy to the last bits on small grids, against mpmath at 50 digits (the fixes of the accuracy benchmark).

The goal, as in benchmarks/accuracy.py: at most 4 units in the last place wherever the condition number
kappa = |x f'(x) / f(x)| is at most 8.  Each test checks the array-API path (small arrays) and, where the
function has one and Numba is installed, the fused kernel (the same points padded to the kernels' size).
"""
import math

import mpmath
import numpy as np
import pytest

import nnkernel as nk
from nnkernel import fused

A, L = nk.activations, nk.losses
GOAL, KAPPA_MAX = 4.0, 8.0
DTYPES = [np.float64, np.float32]


def ulps(computed, exact, dtype):
    """|computed - exact| / ulp(exact), ulp the spacing of ``dtype`` in the binade of the exact value."""
    eps = float(np.finfo(dtype).eps)
    tiny = float(np.nextafter(np.zeros((), dtype), np.ones((), dtype)))
    out = []
    for c, r in zip(np.asarray(computed, dtype=np.float64).tolist(), exact):
        hi = float(r)
        lo = float(r - hi)
        ulp = max(math.ldexp(eps, math.frexp(abs(hi))[1] - 1), tiny) if hi else tiny
        out.append(abs((c - hi) - lo) / ulp if math.isfinite(c) else math.inf)
    return np.array(out)


def kappa(f, x):
    """|x f'(x) / f(x)| by a central difference at 50 digits."""
    if x == 0:
        return 0.0
    h = abs(x) * mpmath.mpf(10) ** -22
    fx = f(x)
    d = (f(x + h) - f(x - h)) / (2 * h)
    return math.inf if fx == 0 else float(abs(x * d / fx))


def exact(f, xs):
    with mpmath.workdps(50):
        return [f(mpmath.mpf(float(v))) for v in xs], np.array([kappa(f, mpmath.mpf(float(v))) for v in xs])


def paths(fn, *arrays, fused_path=True):
    """(label, result) for the array-API path and, where it applies, the fused kernel on the padded arrays."""
    n = arrays[0].size
    yield "array-API", np.asarray(fn(*arrays))
    if fused_path and fused.enabled():
        size = max(fused.MIN_SIZE, n)
        padded = [np.resize(a, size) for a in arrays]
        yield "fused", np.asarray(fn(*padded))[:n]


def assert_goal(fn, f, xs, dtype, fused_path=True, scale=None):
    """fn(x) within GOAL ulp of f at every x where kappa <= KAPPA_MAX.  ``scale(n)`` divides the reference
    (gradients of a mean over n elements)."""
    xs = np.asarray(xs, dtype=dtype)
    ref, kap = exact(f, xs)
    for label, out in paths(fn, xs, fused_path=fused_path):
        assert out.dtype == dtype
        n = max(fused.MIN_SIZE, xs.size) if label == "fused" else xs.size
        r = ref if scale is None else [v / scale(n) for v in ref]
        err = np.where(kap <= KAPPA_MAX, ulps(out, r, dtype), 0.0)
        i = int(np.argmax(err))
        assert err[i] <= GOAL, f"{label}, {np.dtype(dtype).name}: {err[i]:.1f} ulp at x = {xs[i]!r} (kappa {kap[i]:.2g})"


def sigma(x):
    return 1 / (1 + mpmath.exp(-x))


GRID = np.concatenate([-np.geomspace(1e-6, 40, 60), [0.0], np.geomspace(1e-6, 40, 60), np.linspace(-4, 4, 81)])


# ----------------------------------------------------------------------------- binary cross-entropy
@pytest.mark.parametrize("dtype", DTYPES)
def test_bce_of_a_small_probability_with_label_0(dtype):
    """-log(1 - p) ~ p: float32 p = 1e-10 gave log(1.0) = -0.0 when 1 - p was rounded first."""
    for p in (1e-10, 1e-20, 1e-30) + ((1e-300,) if dtype == np.float64 else ()):
        p = dtype(p)
        loss = L.binary_cross_entropy(np.zeros(1, dtype), np.array([p]), reduction="none")
        (ref,), _ = exact(lambda q: -mpmath.log1p(-q), [p])
        assert ulps(loss, [ref], dtype)[0] <= GOAL, (p, loss)


@pytest.mark.parametrize("dtype", DTYPES)
def test_bce_on_probabilities_toward_0_and_1(dtype):
    eps = float(np.finfo(dtype).eps)
    p = np.concatenate([np.geomspace(1e-30, 0.5, 40), 1 - np.geomspace(eps, 0.5, 40)]).astype(dtype)
    for y in (0.0, 1.0):
        out = L.binary_cross_entropy(np.full_like(p, y), p, reduction="none")
        with mpmath.workdps(50):
            ref = [-(y * mpmath.log(mpmath.mpf(float(v))) + (1 - y) * mpmath.log1p(-mpmath.mpf(float(v))))
                   for v in p]
        assert ulps(out, ref, dtype).max() <= GOAL


def test_bce_keeps_its_clamps():
    """log p and log(1 - p) are still clamped at -100: p = 0 and p = 1 give a loss of 100, not inf."""
    t = np.array([1.0, 0.0, 0.0, 1.0])
    p = np.array([0.0, 1.0, 0.0, 1.0])
    np.testing.assert_array_equal(L.binary_cross_entropy(t, p, reduction="none"), [100.0, 100.0, 0.0, 0.0])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("y", [0.0, 1.0])
def test_bce_with_logits_grad(y, dtype):
    """(sigma(z) - y) / N as ((1 - y) sigma(z) - y sigma(-z)) / N: no cancellation for y = 1, z large."""
    def fn(z):
        return L.binary_cross_entropy_with_logits_grad(np.full_like(z, y), z)

    assert_goal(fn, lambda z: (1 - y) * sigma(z) - y * sigma(-z), GRID, dtype, scale=lambda n: n)


# ----------------------------------------------------------------------------- log-cosh
@pytest.mark.parametrize("dtype", DTYPES)
def test_log_cosh_of_small_residuals(dtype):
    r = np.array([1e-3, 1e-5, -1e-3, -1e-5, 1e-8, 0.5, 1.0, 3.0], dtype=dtype)

    def fn(r):
        return L.log_cosh(np.zeros_like(r), r, reduction="none")

    assert_goal(fn, lambda x: mpmath.log1p(2 * mpmath.sinh(x / 2) ** 2), r, dtype)


# ----------------------------------------------------------------------------- activations
@pytest.mark.parametrize("dtype", DTYPES)
def test_log_softmax_when_the_maximum_dominates(dtype):
    def fn(z):
        return A.log_softmax(np.stack([z, np.zeros_like(z)], axis=-1))[..., 0]

    assert_goal(fn, lambda z: -mpmath.log1p(mpmath.exp(-z)), GRID, dtype, fused_path=False)


def test_log_softmax_with_ties_and_other_axes():
    z = np.array([3.0, 3.0, 1.0])
    with mpmath.workdps(50):
        s = mpmath.log(2 * mpmath.exp(3) + mpmath.exp(1))
        ref = [3 - s, 3 - s, 1 - s]
    assert ulps(A.log_softmax(z), ref, np.float64).max() <= GOAL
    rng = np.random.default_rng(0)
    z = rng.normal(size=(3, 4, 5))
    np.testing.assert_allclose(A.log_softmax(z, axis=1), np.log(A.softmax(z, axis=1)), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_jacobian_diagonal(dtype):
    def fn(z):
        return A.softmax_jacobian(np.stack([z, np.zeros_like(z)], axis=-1))[..., 0, 0]

    assert_goal(fn, lambda z: sigma(z) * sigma(-z), GRID, dtype, fused_path=False)
    z = np.array([0.3, -1.2, 2.0])
    s = A.softmax(z)
    np.testing.assert_allclose(A.softmax_jacobian(z), np.diag(s) - np.outer(s, s), rtol=1e-14, atol=1e-16)


@pytest.mark.parametrize("dtype", DTYPES)
def test_swish_grad(dtype):
    assert_goal(A.swish_grad, lambda z: sigma(z) + z * sigma(z) * sigma(-z), GRID, dtype)


def test_gelu_in_float32():
    """float32 GELU is evaluated in float64, so the rounded erfc argument no longer costs several ulp."""
    phi = lambda z: mpmath.exp(-z * z / 2) / mpmath.sqrt(2 * mpmath.pi)  # noqa: E731
    big_phi = lambda z: mpmath.erfc(-z / mpmath.sqrt(2)) / 2  # noqa: E731
    assert_goal(A.gelu, lambda z: z * big_phi(z), GRID, np.float32)
    assert_goal(A.gelu_grad, lambda z: big_phi(z) + z * phi(z), GRID, np.float32)


@pytest.mark.parametrize("dtype", DTYPES)
def test_gaussian_carries_the_square(dtype):
    """e^{-z^2} with z^2 as an exact sum of two numbers: within the goal even where kappa = 2 z^2 is large."""
    z = np.linspace(-8, 8, 161)
    for fn, f in ((A.gaussian, lambda z: mpmath.exp(-z * z)),
                  (A.gaussian_grad, lambda z: -2 * z * mpmath.exp(-z * z))):
        zz = z.astype(dtype)
        ref, _ = exact(f, zz)
        assert ulps(fn(zz), ref, dtype).max() <= GOAL
    np.testing.assert_array_equal(A.gaussian(np.array([np.inf, -np.inf, 1e4, 0.0], dtype)), [0, 0, 0, 1])


@pytest.mark.parametrize("dtype", DTYPES)
def test_functions_that_met_the_goal_already(dtype):
    """Guards against regressions elsewhere: sigmoid, its derivative, tanh's, softplus, ELU."""
    assert_goal(A.sigmoid, sigma, GRID, dtype)
    assert_goal(A.sigmoid_grad, lambda z: sigma(z) * sigma(-z), GRID, dtype)
    assert_goal(A.tanh_grad, lambda z: 1 / mpmath.cosh(z) ** 2, GRID, dtype)
    assert_goal(A.softplus, lambda z: mpmath.log1p(mpmath.exp(z)), GRID, dtype)
    assert_goal(A.elu, lambda z: z if z > 0 else mpmath.expm1(z), GRID, dtype)
