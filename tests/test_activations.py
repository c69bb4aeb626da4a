"""Activations: values, derivatives, stability, ranges, dtypes, parameter checks, registry.

Every test that takes the ``xp`` fixture runs on NumPy, array_api_strict and
(when a GPU is there) CuPy.  References are closed-form NumPy/SciPy formulas
written here, independently of the kernel.

Tolerances: values and derivatives against the references use rtol=1e-12,
atol=1e-15 (a few ulp of round-off; the kernel and the references evaluate
the same mathematics in different ways).  Finite-difference checks use
nnkernel.gradcheck's defaults (h=1e-6, rtol=1e-5, atol=1e-7).
"""
from __future__ import annotations

import inspect
import math
import re
import warnings

import numpy as np
import pytest
import scipy.special as sp
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import nnkernel as nk
from nnkernel import activations as A

REG = A.REGISTRY
NAMES = list(REG)
ELEMENTWISE = [n for n, info in REG.items() if info.elementwise]

# Klambauer et al. (2017), to the digits PyTorch uses.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_LAMBDA = 1.0507009873554804934193349852946
SQRT2PI = math.sqrt(2.0 * math.pi)

RTOL, ATOL = 1e-12, 1e-15


def npa(a):
    return np.asarray(nk.to_numpy(a), dtype=np.float64)


def close(got, want, rtol=RTOL, atol=ATOL):
    np.testing.assert_allclose(npa(got), np.asarray(want, dtype=np.float64), rtol=rtol, atol=atol)


# ----------------------------------------------------------------------------- references
def _neg(z):
    return np.minimum(z, 0.0)


def _ref_sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


REFERENCE = {
    "linear": (lambda z, m=1.0: m * z, lambda z, m=1.0: np.full_like(z, m)),
    "binary_step": (lambda z: np.heaviside(z, 1.0), lambda z: np.zeros_like(z)),
    "sigmoid": (_ref_sigmoid, lambda z: np.exp(-z) / (1.0 + np.exp(-z)) ** 2),
    "tanh": (lambda z: (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z)), lambda z: 1.0 / np.cosh(z) ** 2),
    "relu": (lambda z: np.where(z > 0, z, 0.0), lambda z: np.where(z > 0, 1.0, 0.0)),
    "leaky_relu": (lambda z, alpha=0.01: np.where(z > 0, z, alpha * z),
                   lambda z, alpha=0.01: np.where(z > 0, 1.0, alpha)),
    "prelu": (lambda z, alpha=0.25: np.where(z > 0, z, alpha * z),
              lambda z, alpha=0.25: np.where(z > 0, 1.0, alpha)),
    "elu": (lambda z, alpha=1.0: np.where(z > 0, z, alpha * (np.exp(_neg(z)) - 1.0)),
            lambda z, alpha=1.0: np.where(z > 0, 1.0, alpha * np.exp(_neg(z)))),
    "selu": (lambda z: SELU_LAMBDA * np.where(z > 0, z, SELU_ALPHA * (np.exp(_neg(z)) - 1.0)),
             lambda z: SELU_LAMBDA * np.where(z > 0, 1.0, SELU_ALPHA * np.exp(_neg(z)))),
    "softplus": (lambda z: np.log(1.0 + np.exp(z)), _ref_sigmoid),
    "swish": (lambda z, beta=1.0: z * _ref_sigmoid(beta * z),
              lambda z, beta=1.0: _ref_sigmoid(beta * z)
              + beta * z * _ref_sigmoid(beta * z) * (1.0 - _ref_sigmoid(beta * z))),
    "gelu": (lambda z: 0.5 * z * (1.0 + sp.erf(z / math.sqrt(2.0))),
             lambda z: 0.5 * (1.0 + sp.erf(z / math.sqrt(2.0))) + z * np.exp(-0.5 * z * z) / SQRT2PI),
    "gaussian": (lambda z: np.exp(-z * z), lambda z: -2.0 * z * np.exp(-z * z)),
}

# (name, params): defaults plus other values across the valid range
CASES = [(n, REG[n].defaults) for n in ELEMENTWISE] + [
    ("linear", {"m": -1.5}), ("linear", {"m": 0.3}), ("linear", {"m": 0.0}),
    ("leaky_relu", {"alpha": 0.0}), ("leaky_relu", {"alpha": 0.3}), ("leaky_relu", {"alpha": 0.999}),
    ("prelu", {"alpha": -0.5}), ("prelu", {"alpha": 1.0}), ("prelu", {"alpha": 3.0}),
    ("elu", {"alpha": 0.05}), ("elu", {"alpha": 2.5}),
    ("swish", {"beta": 0.0}), ("swish", {"beta": 0.5}), ("swish", {"beta": 4.0}),
]
CASE_IDS = [f"{n}-{p}" for n, p in CASES]

# moderate grid (the closed forms above are accurate here), with the kink and tiny values
GRID = np.unique(np.concatenate([np.linspace(-30.0, 30.0, 1201), [0.0, 1e-9, -1e-9, 1e-300, -1e-300, 0.37, -2.71]]))


def test_every_elementwise_activation_has_a_reference():
    assert set(REFERENCE) == set(ELEMENTWISE)


def test_selu_constants():
    assert A.SELU_ALPHA == SELU_ALPHA
    assert A.SELU_LAMBDA == SELU_LAMBDA


# ----------------------------------------------------------------------------- (a) values
@pytest.mark.parametrize("name, params", CASES, ids=CASE_IDS)
def test_values_match_closed_form(xp, arr, name, params):
    info, (ref, ref_grad) = REG[name], REFERENCE[name]
    z = arr(GRID)
    close(info.fn(z, **params), ref(GRID, **params))
    close(info.grad(z, **params), ref_grad(GRID, **params))


@pytest.mark.parametrize("name, params", CASES, ids=CASE_IDS)
def test_values_on_2d_input_keep_shape(xp, arr, name, params):
    info, (ref, ref_grad) = REG[name], REFERENCE[name]
    host = np.linspace(-4, 4, 24).reshape(2, 3, 4)
    out = info.fn(arr(host), **params)
    assert tuple(out.shape) == host.shape
    close(out, ref(host, **params))
    close(info.grad(arr(host), **params), ref_grad(host, **params))


def test_kink_conventions(xp, arr):
    # PyTorch's conventions at z = 0, as the module docstring promises
    z = arr([0.0])
    assert npa(A.relu_grad(z)) == [0.0]
    assert npa(A.leaky_relu_grad(z, alpha=0.2)) == [0.2]
    assert npa(A.prelu_grad(z, alpha=-0.3)) == [-0.3]
    assert npa(A.elu_grad(z, alpha=0.7)) == [0.7]
    close(A.selu_grad(z), [SELU_LAMBDA * SELU_ALPHA])
    assert npa(A.binary_step(z)) == [1.0]
    assert npa(A.binary_step_grad(z)) == [0.0]


# tails, where the naive formulas above overflow or cancel: accurate references
def test_sigmoid_tails(xp, arr):
    z = np.linspace(-700, 700, 2801)
    close(A.sigmoid(arr(z)), sp.expit(z), atol=0)
    close(A.sigmoid_grad(arr(z)), sp.expit(z) * sp.expit(-z), atol=0)
    close(A.softplus_grad(arr(z)), sp.expit(z), atol=0)


def _f32_ulps(a, b):
    a, b = np.asarray(a, np.float32), np.asarray(b, np.float32)
    return np.abs(a.view(np.int32).astype(np.int64) - b.view(np.int32).astype(np.int64))


def test_small_float32_sigmoid_rounds_float64_once():
    """Below the fused kernels' size, float32 sigmoid is one C loop in float64 rounded once: it agrees with
    the float64 formula rounded to float32 to an ulp, down into the subnormals (z < -87.3), where a float32
    evaluation of 1 / (1 + e^{-z}) would overflow e^{-z} and give 0."""
    z = np.linspace(-104, 104, 20800).astype(np.float32)
    for chunk in np.split(z, 20):  # 1,040 elements each: the small-array path
        got = A.sigmoid(chunk)
        assert got.dtype == np.float32
        want = A.sigmoid(chunk.astype(np.float64)).astype(np.float32)
        assert _f32_ulps(got, want).max() <= 1
    tail = np.array([-100.0, -95.0, -90.0], np.float32)
    assert (A.sigmoid(tail) > 0).all()  # subnormal, not flushed to 0
    special = A.sigmoid(np.array([np.nan, np.inf, -np.inf, -0.0, 0.0], np.float32))
    np.testing.assert_array_equal(special, np.array([np.nan, 1.0, 0.0, 0.5, 0.5], np.float32))
    assert type(A.sigmoid(np.array(2.0, np.float32))) is np.float32  # 0-d in, a scalar of its dtype out


def test_relu_keeps_dtype_and_nan():
    for dtype in (np.float32, np.float64):
        z = np.array([-np.inf, -1.0, -0.0, 0.0, 2.5, np.inf, np.nan], dtype)
        got = A.relu(z)
        assert got.dtype == dtype
        np.testing.assert_array_equal(got, np.array([0.0, 0.0, 0.0, 0.0, 2.5, np.inf, np.nan], dtype))


def test_tanh_grad_tails(xp, arr):
    z = np.linspace(-300, 300, 1201)
    close(A.tanh_grad(arr(z)), 1.0 / np.cosh(z) ** 2, atol=0)


def test_softplus_tails(xp, arr):
    z = np.concatenate([np.linspace(-700, 1e4, 4001), [-1e-12, 1e-12]])
    close(A.softplus(arr(z)), np.logaddexp(0.0, z), atol=0)


def test_gelu_against_ndtr(xp, arr):
    z = np.linspace(-40, 40, 1601)
    close(A.gelu(arr(z)), z * sp.ndtr(z))
    close(A.gelu_grad(arr(z)), sp.ndtr(z) + z * np.exp(-0.5 * z * z) / SQRT2PI)


def test_prelu_with_per_channel_alpha(xp, arr):
    host = np.array([[-2.0, -1.0, 3.0], [4.0, -5.0, -6.0]])
    alpha = np.array([0.1, -0.2, 0.5])
    close(A.prelu(arr(host), arr(alpha)), np.where(host > 0, host, alpha * host))
    close(A.prelu_grad(arr(host), arr(alpha)), np.where(host > 0, 1.0, alpha * np.ones_like(host)))


def test_softmax_values(xp, arr):
    rng = np.random.default_rng(0)
    host = rng.uniform(-30, 30, size=(7, 5))
    e = np.exp(host)
    close(A.softmax(arr(host)), e / e.sum(axis=-1, keepdims=True))
    close(A.softmax(arr(host), axis=0), e / e.sum(axis=0, keepdims=True))
    # z - logsumexp(z) cancels for the largest entries (|z| up to 30): ~ulp(30) absolute error in the reference
    close(A.log_softmax(arr(host)), host - sp.logsumexp(host, axis=-1, keepdims=True), atol=1e-13)
    close(A.log_softmax(arr(host), axis=0), host - sp.logsumexp(host, axis=0, keepdims=True), atol=1e-13)


def test_softmax_jacobian_values(xp, arr):
    rng = np.random.default_rng(1)
    host = rng.uniform(-5, 5, size=(2, 3, 4))
    J = npa(A.softmax_jacobian(arr(host)))
    assert J.shape == (2, 3, 4, 4)
    for idx in np.ndindex(2, 3):
        s = np.exp(host[idx]) / np.exp(host[idx]).sum()
        np.testing.assert_allclose(J[idx], np.diag(s) - np.outer(s, s), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("k", [1, 2, 3, 6])
def test_maxout_values(xp, arr, k):
    rng = np.random.default_rng(k)
    host = rng.normal(size=(4, 6))
    out = npa(A.maxout(arr(host), k))
    np.testing.assert_array_equal(out, host.reshape(4, 6 // k, k).max(axis=-1))
    g = npa(A.maxout_grad(arr(host), k))
    assert g.shape == host.shape
    want = (host.reshape(4, 6 // k, k) == host.reshape(4, 6 // k, k).max(-1, keepdims=True)).astype(float)
    np.testing.assert_array_equal(g, want.reshape(4, 6))


def test_maxout_grad_ties_go_to_the_first_maximum(xp, arr):
    g = npa(A.maxout_grad(arr([1.0, 1.0, 0.0, 2.0, 5.0, 5.0, 5.0, -1.0]), 4))
    np.testing.assert_array_equal(g, [0, 0, 0, 1, 1, 0, 0, 0])


def test_maxout_k1_is_identity(xp, arr):
    host = np.array([[3.0, -1.0, 2.0]])
    close(A.maxout(arr(host), 1), host)
    close(A.maxout_grad(arr(host), 1), np.ones_like(host))


# ----------------------------------------------------------------------------- (b) derivatives vs finite differences
AWAY_FROM_KINK = st.floats(-20.0, 20.0, allow_nan=False).filter(lambda v: abs(v) > 1e-3)
VECTORS = hnp.arrays(np.float64, st.integers(1, 8), elements=AWAY_FROM_KINK)


def params_strategy(info):
    """Parameters drawn from each slider's range (all valid)."""
    return st.fixed_dictionaries({p.name: st.floats(float(p.slider[0]), float(p.slider[1])) for p in info.params})


def in_ns(xp, fn, **params):
    """``fn`` evaluated in namespace ``xp`` whatever array gradcheck hands it."""
    return lambda x: fn(xp.asarray(nk.to_numpy(x)), **params)


@pytest.mark.parametrize("name", ELEMENTWISE)
@given(data=st.data())
def test_derivative_matches_finite_differences(xp, arr, name, data):
    info = REG[name]
    z_host = data.draw(VECTORS, label="z")
    params = data.draw(params_strategy(info), label="params")
    z = arr(z_host)
    result = nk.gradcheck(in_ns(xp, info.fn, **params), lambda x: info.grad(x, **params), z, elementwise=True)
    assert result, (name, params, z_host, result)


@given(data=st.data())
def test_softmax_jacobian_matches_finite_differences(xp, arr, data):
    rows = data.draw(st.integers(1, 3), label="rows")
    n = data.draw(st.integers(1, 5), label="n")
    z_host = data.draw(hnp.arrays(np.float64, (rows, n), elements=st.floats(-10, 10)), label="z")
    w = data.draw(hnp.arrays(np.float64, (rows, n), elements=st.floats(-2, 2)), label="w")
    w_x = arr(w)

    def f(x):  # a scalar that depends on every output: sum_ij w_ij softmax(z)_ij
        return xp.sum(w_x * A.softmax(xp.asarray(nk.to_numpy(x))))

    def grad(x):  # d f / d z_j = sum_i w_i J_ij, row by row
        return np.einsum("ri,rij->rj", w, npa(A.softmax_jacobian(x)))

    result = nk.gradcheck(f, grad, arr(z_host))
    assert result, (z_host, w, result)


def test_softmax_jacobian_columns_by_central_differences(xp, arr):
    z = np.array([0.3, -1.2, 2.0, 0.0, 0.7])
    h = 1e-6
    J = npa(A.softmax_jacobian(arr(z)))
    for j in range(z.size):
        e = np.zeros_like(z)
        e[j] = h
        col = (npa(A.softmax(arr(z + e))) - npa(A.softmax(arr(z - e)))) / (2 * h)
        np.testing.assert_allclose(J[:, j], col, rtol=1e-6, atol=1e-9)


def test_log_softmax_derivative_is_identity_minus_softmax(xp, arr):
    z = np.array([[0.5, -3.0, 2.0], [10.0, 10.0, -10.0]])
    h = 1e-6
    s = npa(A.softmax(arr(z)))
    for j in range(3):
        e = np.zeros_like(z)
        e[:, j] = h
        col = (npa(A.log_softmax(arr(z + e))) - npa(A.log_softmax(arr(z - e)))) / (2 * h)
        want = (np.arange(3) == j).astype(float)[None, :] - s[:, [j]]
        np.testing.assert_allclose(col, want, rtol=1e-6, atol=1e-8)


@st.composite
def maxout_inputs(draw):
    """Inputs without ties: distinct multiples of 0.01 (ties are kinks of maxout)."""
    k = draw(st.integers(1, 4))
    groups = draw(st.integers(1, 3))
    rows = draw(st.integers(1, 2))
    size = rows * groups * k
    ints = draw(st.lists(st.integers(-2000, 2000), min_size=size, max_size=size, unique=True))
    return np.array(ints, dtype=np.float64).reshape(rows, groups * k) * 0.01, k


@given(data=maxout_inputs())
def test_maxout_grad_matches_numerical_gradient(xp, arr, data):
    z_host, k = data
    f = lambda x: xp.sum(A.maxout(xp.asarray(nk.to_numpy(x)), k))  # noqa: E731
    result = nk.gradcheck(f, lambda x: A.maxout_grad(x, k), arr(z_host))
    assert result, (z_host, k, result)
    np.testing.assert_allclose(nk.numerical_gradient(f, arr(z_host)), npa(A.maxout_grad(arr(z_host), k)),
                               atol=1e-8)


# ----------------------------------------------------------------------------- (c) stability
EXTREME = [-1e4, -1e3, -50.0, 0.0, 50.0, 1e3, 1e4]


def _stability_cases():
    cases = []
    for name, info in REG.items():
        if name == "maxout":
            continue
        cases.append((f"{name}", info.fn, info.defaults))
        cases.append((f"{name}_grad", info.grad, info.defaults))
    extra = [
        ("linear(m=-2)", A.linear, {"m": -2.0}), ("linear_grad(m=-2)", A.linear_grad, {"m": -2.0}),
        ("leaky_relu(0.5)", A.leaky_relu, {"alpha": 0.5}), ("prelu(-0.5)", A.prelu, {"alpha": -0.5}),
        ("elu(3)", A.elu, {"alpha": 3.0}), ("elu_grad(3)", A.elu_grad, {"alpha": 3.0}),
        ("swish(0)", A.swish, {"beta": 0.0}), ("swish(5)", A.swish, {"beta": 5.0}),
        ("swish_grad(5)", A.swish_grad, {"beta": 5.0}), ("swish_grad(0)", A.swish_grad, {"beta": 0.0}),
        ("log_softmax", A.log_softmax, {}), ("softmax_axis0", A.softmax, {"axis": 0}),
        ("maxout(k=1)", A.maxout, {"k": 1}), ("maxout(k=7)", A.maxout, {"k": 7}),
        ("maxout_grad(k=1)", A.maxout_grad, {"k": 1}), ("maxout_grad(k=7)", A.maxout_grad, {"k": 7}),
    ]
    return cases + extra


STABILITY = _stability_cases()


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("label, fn, params", STABILITY, ids=[c[0] for c in STABILITY])
def test_extreme_inputs_give_finite_results_without_warnings(xp, arr, label, fn, params, dtype):
    inputs = [arr(EXTREME, dtype), arr([EXTREME, EXTREME[::-1]], dtype)]
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise"):
        warnings.simplefilter("error")
        for z in inputs:
            out = npa(fn(z, **params))
            assert np.all(np.isfinite(out)), (label, out)


def test_extreme_values_are_the_limits(xp, arr):
    z = arr(EXTREME)
    np.testing.assert_array_equal(npa(A.sigmoid(z))[[0, 1, -1]], [0.0, 0.0, 1.0])
    np.testing.assert_array_equal(npa(A.tanh(z))[[0, -1]], [-1.0, 1.0])
    np.testing.assert_array_equal(npa(A.softplus(z))[[-2, -1]], [1e3, 1e4])
    np.testing.assert_array_equal(npa(A.softplus(z))[0], 0.0)
    np.testing.assert_array_equal(npa(A.softmax(z)), [0, 0, 0, 0, 0, 0, 1])
    np.testing.assert_array_equal(npa(A.log_softmax(z))[-1], 0.0)
    np.testing.assert_array_equal(npa(A.log_softmax(z))[0], -2e4)
    np.testing.assert_array_equal(npa(A.gelu(z))[-1], 1e4)
    np.testing.assert_array_equal(npa(A.swish(z))[-1], 1e4)
    close(npa(A.elu(z, alpha=2.0))[0], -2.0)
    close(npa(A.selu(z))[0], -SELU_LAMBDA * SELU_ALPHA)


# ----------------------------------------------------------------------------- (d) ranges
WIDE = np.linspace(-1e4, 1e4, 2001)


def test_sigmoid_and_tanh_ranges(xp, arr):
    z = arr(np.concatenate([WIDE, np.linspace(-40, 40, 801)]))
    s, t = npa(A.sigmoid(z)), npa(A.tanh(z))
    assert np.all((0 <= s) & (s <= 1))
    assert np.all((-1 <= t) & (t <= 1))
    m = arr(np.linspace(-15, 15, 301))
    s, t = npa(A.sigmoid(m)), npa(A.tanh(m))
    assert np.all((0 < s) & (s < 1)) and np.all((-1 < t) & (t < 1))
    assert np.all(np.diff(s) > 0) and np.all(np.diff(t) > 0)


MATRICES = hnp.arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 6)),
                      elements=st.floats(-1e3, 1e3, allow_nan=False))


@given(z_host=MATRICES)
def test_softmax_rows_sum_to_one(xp, arr, z_host):
    s = npa(A.softmax(arr(z_host)))
    assert np.all((s >= 0) & (s <= 1))
    np.testing.assert_allclose(s.sum(axis=-1), 1.0, rtol=0, atol=1e-13)
    s0 = npa(A.softmax(arr(z_host), axis=0))
    np.testing.assert_allclose(s0.sum(axis=0), 1.0, rtol=0, atol=1e-13)


@given(z_host=hnp.arrays(np.float64, st.tuples(st.integers(1, 3), st.integers(1, 6)), elements=st.floats(-30, 30)),
       c=st.floats(-1e3, 1e3))
def test_softmax_shift_invariance(xp, arr, z_host, c):
    # shifting every logit by c leaves softmax unchanged (up to the rounding of z + c: |c| ulp)
    np.testing.assert_allclose(npa(A.softmax(arr(z_host + c))), npa(A.softmax(arr(z_host))), rtol=1e-10, atol=0)
    np.testing.assert_allclose(npa(A.log_softmax(arr(z_host + c))), npa(A.log_softmax(arr(z_host))),
                               rtol=0, atol=1e-11)


@given(z_host=MATRICES)
def test_log_softmax_is_log_of_softmax(xp, arr, z_host):
    s = npa(A.softmax(arr(z_host)))
    ls = npa(A.log_softmax(arr(z_host)))
    assert np.all(ls <= 0) and np.all(np.isfinite(ls))
    ok = s > 1e-300
    np.testing.assert_allclose(ls[ok], np.log(s[ok]), rtol=1e-12, atol=1e-13)


def _parse_bound(token, info):
    token = token.strip()
    if token in ("inf", "+inf"):
        return math.inf
    if token == "-inf":
        return -math.inf
    if token == "a negative minimum":
        return "negmin"
    if token == "-alpha":
        return -info.defaults["alpha"]
    if token == "-lambda alpha":
        return -SELU_LAMBDA * SELU_ALPHA
    try:
        return float(token)
    except ValueError:
        pytest.fail(f"cannot interpret bound {token!r} in output_range {info.output_range!r} of {info.name}")


def parse_range(info):
    """output_range -> ("set", values) or ("interval", lo, hi, lo_closed, hi_closed)."""
    text = info.output_range.strip()
    if text.startswith("{"):
        return ("set", [float(v) for v in text.strip("{}").split(",")])
    m = re.match(r"^([\[(])\s*([^,]+?)\s*,\s*([^\])]+?)\s*([\])])", text)
    assert m, f"cannot parse output_range {text!r} of {info.name}"
    lo, hi = _parse_bound(m.group(2), info), _parse_bound(m.group(3), info)
    return ("interval", lo, hi, m.group(1) == "[", m.group(4) == "]")


def _range_inputs(name, span):
    """Inputs spanning [-span, span]: a grid for elementwise activations, shuffled rows of 4 otherwise."""
    grid = np.linspace(-span, span, 2000)  # even count: excludes 0
    grid = np.concatenate([grid, np.linspace(-3, 3, 599), [0.0]])  # fine near 0, with 0; 2600 = 4 * 650
    if REG[name].elementwise:
        return grid
    return np.random.default_rng(0).permutation(grid).reshape(-1, 4)


@pytest.mark.parametrize("name", NAMES)
def test_outputs_lie_in_the_registered_range(name):
    info = REG[name]
    spec = parse_range(info)
    wide = np.concatenate([npa(info.fn(_range_inputs(name, 1e4), **info.defaults)).ravel(),
                           npa(info.fn(_range_inputs(name, 40), **info.defaults)).ravel()])
    moderate = npa(info.fn(_range_inputs(name, 8), **info.defaults)).ravel()
    wide = np.concatenate([wide, moderate])
    if spec[0] == "set":
        assert set(np.unique(wide)) == set(spec[1])
        return
    _, lo, hi, lo_closed, hi_closed = spec
    if lo == "negmin":
        # a finite negative minimum, reached at moderate inputs (grids differ: compare loosely)
        assert wide.min() < 0
        assert np.isclose(moderate.min(), wide.min(), rtol=1e-12)
        lo = wide.min()
    # closed bounds hold everywhere (also where float64 rounds to the limit)
    assert np.all(wide >= lo) and np.all(wide <= hi)
    # open bounds are not attained at moderate inputs
    if not lo_closed and math.isfinite(lo):
        assert np.all(moderate > lo), (name, moderate.min())
    if not hi_closed and math.isfinite(hi):
        assert np.all(moderate < hi), (name, moderate.max())
    # the range is tight: finite bounds are approached, infinite ones are left behind
    if math.isfinite(lo):
        assert wide.min() - lo < 1e-6
    else:
        assert wide.min() < -50
    if math.isfinite(hi):
        assert hi - wide.max() < 1e-6
    else:
        assert wide.max() > 50
    if lo_closed and math.isfinite(lo):
        assert wide.min() == lo
    if hi_closed and math.isfinite(hi):
        assert wide.max() == hi


# ----------------------------------------------------------------------------- (e) dtypes
def _dtype_call(name, fn, z):
    info = REG[name]
    return fn(z, **info.defaults)


@pytest.mark.parametrize("name", NAMES)
def test_float32_in_float32_out(xp, arr, name):
    info = REG[name]
    host = np.array([-3.0, -0.5, 0.25, 2.0])
    z32 = arr(host, "float32")
    for fn in (info.fn, info.grad):
        out = _dtype_call(name, fn, z32)
        assert out.dtype == xp.float32, (name, fn.__name__, out.dtype)
        # and float32 results agree with the float64 ones to float32 accuracy
        np.testing.assert_allclose(npa(out), npa(_dtype_call(name, fn, arr(host))), rtol=1e-5, atol=1e-6)
    if name == "softmax":
        assert A.log_softmax(z32).dtype == xp.float32


@pytest.mark.parametrize("name", NAMES)
def test_integer_input_gives_float64(xp, arr, name):
    info = REG[name]
    zi = arr([-3, -1, 0, 2], "int64")
    for fn in (info.fn, info.grad):
        out = _dtype_call(name, fn, zi)
        assert out.dtype == xp.float64, (name, fn.__name__, out.dtype)
        np.testing.assert_allclose(npa(out), npa(_dtype_call(name, fn, arr([-3.0, -1.0, 0.0, 2.0]))), rtol=0, atol=0)


@pytest.mark.parametrize("name", NAMES)
def test_python_lists_are_accepted(name):
    info = REG[name]
    out = info.fn([-1, 0, 1, 2], **info.defaults)
    assert isinstance(out, np.ndarray) and out.dtype == np.float64


# ----------------------------------------------------------------------------- (f) bad parameters
BAD_PARAMS = [
    (A.elu, {"alpha": -1.0}, r"elu: alpha must be in \(0, inf\), got -1"),
    (A.elu, {"alpha": 0.0}, r"elu: alpha must be in \(0, inf\)"),
    (A.elu_grad, {"alpha": -1.0}, r"elu: alpha must be in \(0, inf\)"),
    (A.leaky_relu, {"alpha": -0.1}, r"leaky_relu: alpha must be in \[0, 1\), got -0\.1"),
    (A.leaky_relu, {"alpha": 1.5}, r"leaky_relu: alpha must be in \[0, 1\), got 1\.5"),
    (A.leaky_relu, {"alpha": 1.0}, r"leaky_relu: alpha must be in \[0, 1\)"),
    (A.leaky_relu_grad, {"alpha": 1.5}, r"leaky_relu: alpha must be in \[0, 1\)"),
    (A.leaky_relu, {"alpha": float("nan")}, r"leaky_relu: alpha must be in \[0, 1\)"),
    (A.swish, {"beta": -1.0}, r"swish: beta must be in \[0, inf\), got -1"),
    (A.swish_grad, {"beta": -1.0}, r"swish: beta must be in \[0, inf\)"),
    (A.swish, {"beta": float("inf")}, r"swish: beta must be in \[0, inf\)"),
    (A.linear, {"m": float("nan")}, r"linear: m must be in \(-inf, inf\), got nan"),
    (A.linear_grad, {"m": float("inf")}, r"linear: m must be in \(-inf, inf\)"),
    (A.prelu, {"alpha": float("nan")}, r"prelu: alpha must be in \(-inf, inf\)"),
    (A.prelu_grad, {"alpha": float("inf")}, r"prelu: alpha must be in \(-inf, inf\)"),
    (A.prelu, {"alpha": np.array([0.1, np.nan, 0.2, 0.3])}, r"prelu: alpha must be finite"),
    (A.prelu, {"alpha": np.array([0.1, 0.2, 0.3])}, r"prelu: alpha of shape \(3,\) does not broadcast .* \(4,\)"),
    (A.maxout, {"k": 3}, r"maxout: the last axis of z \(size 4\) must be divisible by k=3"),
    (A.maxout_grad, {"k": 3}, r"maxout: the last axis of z \(size 4\) must be divisible by k=3"),
    (A.maxout, {"k": 8}, r"must be divisible by k=8"),
    (A.maxout, {"k": 0}, r"maxout: k must be a positive integer, got 0"),
    (A.maxout, {"k": -2}, r"maxout: k must be a positive integer"),
    (A.maxout, {"k": 2.5}, r"maxout: k must be a positive integer, got 2\.5"),
]

#: parameters of the wrong kind are TypeErrors (these were ValueErrors before the argument checks were shared)
BAD_PARAM_TYPES = [
    (A.linear, {"m": "steep"}, r"linear: m must be a real number"),
    (A.maxout, {"k": True}, r"maxout: k must be a positive integer"),
    (A.maxout, {"k": None}, r"maxout: k must be a positive integer"),
    (A.maxout, {"k": "two"}, r"maxout: k must be a positive integer"),
]


@pytest.mark.parametrize("fn, params, message", BAD_PARAM_TYPES,
                         ids=[f"{f.__name__}-{p}" for f, p, _ in BAD_PARAM_TYPES])
def test_parameters_of_the_wrong_kind_raise_type_errors(fn, params, message):
    with pytest.raises(TypeError, match=message):
        fn(np.array([-1.0, 0.5, 2.0, 3.0]), **params)


@pytest.mark.parametrize("fn, params, message", BAD_PARAMS,
                         ids=[f"{f.__name__}-{p}" for f, p, _ in BAD_PARAMS])
def test_bad_parameters_raise_readable_value_errors(fn, params, message):
    with pytest.raises(ValueError, match=message):
        fn(np.array([-1.0, 0.5, 2.0, 3.0]), **params)


@pytest.mark.parametrize("fn", [A.maxout, A.maxout_grad])
def test_maxout_of_a_scalar_raises_value_error(fn):
    # (was an IndexError from z.shape[-1] on a 0-d array)
    with pytest.raises(ValueError, match=r"^maxout: .*\bz\b"):
        fn(3.0, 1)


@pytest.mark.parametrize("k", [float("nan"), float("inf")])
def test_maxout_k_not_a_number_raises_readable_value_error(k):
    # (k=None was a TypeError and k=nan "cannot convert float NaN to integer")
    with pytest.raises(ValueError, match=r"^maxout: k must be a positive integer"):
        A.maxout(np.arange(4.0), k)


# ----------------------------------------------------------------------------- (g) registry
SATURATING = {"no", "negative side", "positive side", "both sides"}


def test_registry_names_are_exported():
    assert {"linear", "sigmoid", "relu", "softmax", "maxout"} <= set(NAMES)
    assert set(A.__all__) >= set(NAMES) | {f"{n}_grad" for n in NAMES if n != "softmax"}


@pytest.mark.parametrize("name", NAMES)
def test_registry_entry_is_complete(name):
    info = REG[name]
    assert isinstance(info, A.ActivationInfo)
    assert info.name == name
    assert info.fn is getattr(A, name)
    assert callable(info.fn) and callable(info.grad)
    assert info.grad is (A.softmax_jacobian if name == "softmax" else getattr(A, f"{name}_grad"))
    for text in (info.label, info.formula, info.derivative, info.output_range, info.use):
        assert isinstance(text, str) and text.strip()
    assert info.saturating in SATURATING
    assert isinstance(info.monotonic, bool) and isinstance(info.zero_centred, bool)
    assert info.defaults == {p.name: p.default for p in info.params}


@pytest.mark.parametrize("name", [n for n in NAMES if REG[n].params])
def test_registry_params_and_sliders(name):
    info = REG[name]
    sig = inspect.signature(info.fn).parameters
    gsig = inspect.signature(info.grad).parameters
    for p in info.params:
        assert isinstance(p, A.ParamSpec)
        assert p.name in sig and p.name in gsig, (name, p.name)
        lo, hi, step = p.slider
        assert lo < hi and step > 0
        assert lo <= p.default <= hi
        steps = (hi - lo) / step
        assert abs(steps - round(steps)) < 1e-9, "slider step should divide its range"
        if sig[p.name].default is not inspect.Parameter.empty:
            assert sig[p.name].default == p.default, "registry default differs from the function's default"
        z = np.linspace(-2.0, 2.0, 840)  # 840 = lcm(1..8): every maxout k on the slider divides it
        for value in (lo, p.default, hi):  # every slider position is a valid parameter
            info.fn(z, **{p.name: value})
            info.grad(z, **{p.name: value})


@pytest.mark.parametrize("name", NAMES)
def test_registry_call_and_elementwise_flag(name):
    info = REG[name]
    z = np.array([-2.0, 0.5, 1.5, -0.25])
    out = info(z, **info.defaults)
    np.testing.assert_array_equal(out, info.fn(z, **info.defaults))
    if info.elementwise:
        assert out.shape == z.shape
        assert info.grad(z, **info.defaults).shape == z.shape
        for i in range(z.size):
            np.testing.assert_array_equal(out[i:i + 1], info.fn(z[i:i + 1], **info.defaults))
    else:
        # a vector-valued activation: outputs depend on the other entries (softmax) or shapes change (maxout)
        first = info.fn(z[:2], **info.defaults)
        assert out.shape != z.shape or not np.array_equal(first, out[:2])


GRID_PROPS = np.linspace(-30.0, 30.0, 6001)


def _mean_under_normal(name):
    """E[g(Z)], Z ~ N(0, 1), with default parameters."""
    info = REG[name]
    if info.elementwise:
        x = np.linspace(-12.0, 12.0, 240001)
        w = np.exp(-0.5 * x * x) / SQRT2PI
        return float(np.trapezoid(npa(info.fn(x, **info.defaults)) * w, x))
    samples = np.random.default_rng(2024).standard_normal((50000, 4))
    return float(npa(info.fn(samples, **info.defaults)).mean())


@pytest.mark.parametrize("name", NAMES)
def test_registry_zero_centred_matches_mean_output(name):
    # zero-centred <=> the mean output for standard-normal inputs is (about) zero
    mean = _mean_under_normal(name)
    assert (abs(mean) < 0.05) == REG[name].zero_centred, (name, mean)


@pytest.mark.parametrize("name", NAMES)
def test_registry_monotonic_matches_derivative(name):
    info = REG[name]
    if info.elementwise:
        g = npa(info.grad(GRID_PROPS, **info.defaults))
        v = npa(info.fn(GRID_PROPS, **info.defaults))
        if info.monotonic:
            assert np.all(g >= 0) or np.all(g <= 0), name
            assert np.all(np.diff(v) >= 0) or np.all(np.diff(v) <= 0), name
        else:
            assert g.min() < -1e-3 and g.max() > 1e-3, name
            assert np.any(np.diff(v) < 0) and np.any(np.diff(v) > 0), name
    elif name == "softmax":
        z = np.random.default_rng(3).normal(scale=5, size=(50, 4))
        J = npa(info.grad(z))
        diag = np.diagonal(J, axis1=-2, axis2=-1)
        assert info.monotonic == bool(np.all(diag >= 0))
    elif name == "maxout":
        z = np.random.default_rng(4).normal(size=(50, 6))
        assert info.monotonic == bool(np.all(npa(info.grad(z, **info.defaults)) >= 0))
    else:  # pragma: no cover - a new vector-valued activation needs its own check here
        pytest.fail(f"no monotonicity check for {name}")


def _saturates(name):
    """(negative side saturates, positive side saturates), from the derivative far out."""
    info = REG[name]
    if info.elementwise:
        g = np.abs(npa(info.grad(np.array([-30.0, 30.0]), **info.defaults)))
        return bool(g[0] < 1e-6), bool(g[1] < 1e-6)
    if name == "softmax":  # d s_0 / d z_0 when z_0 is far below or far above the rest
        lo = npa(info.grad(np.array([-30.0, 0.0, 0.0])))[0, 0]
        hi = npa(info.grad(np.array([30.0, 0.0, 0.0])))[0, 0]
        return bool(abs(lo) < 1e-6), bool(abs(hi) < 1e-6)
    if name == "maxout":  # every group always passes a unit gradient to its maximum
        g = npa(info.grad(np.array([-30.0, -31.0, 30.0, 29.0]), **info.defaults))
        sums = g.reshape(-1, info.defaults["k"]).sum(-1)
        return bool(sums[0] < 1e-6), bool(sums[1] < 1e-6)
    pytest.fail(f"no saturation check for {name}")  # pragma: no cover


@pytest.mark.parametrize("name", NAMES)
def test_registry_saturating_matches_derivative(name):
    neg, pos = _saturates(name)
    expected = {(False, False): "no", (True, False): "negative side", (False, True): "positive side",
                (True, True): "both sides"}[(neg, pos)]
    assert REG[name].saturating == expected
