"""Losses: values, reductions, gradients, stability at the edges, and readable errors.

Every test that takes the ``xp`` fixture runs on NumPy, array_api_strict and
(when a GPU is there) CuPy.  References are NumPy/SciPy formulas written here.

Tolerances: values against the references use rtol=1e-12, atol=1e-15 (round-off
only); gradients are checked against central finite differences with
nnkernel.gradcheck's defaults (h=1e-6, rtol=1e-5, atol=1e-7).
"""
from __future__ import annotations

import contextlib
import inspect
import math
import warnings

import numpy as np
import pytest
import scipy.special as sp
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import nnkernel as nk
from nnkernel import losses as L

NAMES = list(L.LOSSES)
CLASS_AXIS = {"categorical_cross_entropy", "sparse_categorical_cross_entropy", "kl_divergence"}
ELEMENTWISE = [n for n in NAMES if n not in CLASS_AXIS]
RTOL, ATOL = 1e-12, 1e-15


def npa(a):
    return np.asarray(nk.to_numpy(a), dtype=np.float64)


def close(got, want, rtol=RTOL, atol=ATOL):
    np.testing.assert_allclose(npa(got), np.asarray(want, dtype=np.float64), rtol=rtol, atol=atol)


def put(arr, name, t, p):
    """(y_true, y_pred) in the namespace under test; integer labels stay integers."""
    t_x = arr(t, "int64") if name == "sparse_categorical_cross_entropy" else arr(t)
    return t_x, arr(p)


# ----------------------------------------------------------------------------- references (reduction="none")
def _huber(t, p, delta=1.0):
    a = np.abs(p - t)
    return np.where(a <= delta, 0.5 * a**2, delta * (a - 0.5 * delta))


def _sparse(t, p):
    return -np.log(np.take_along_axis(p, t[..., None].astype(int), axis=-1)[..., 0])


REFERENCE = {
    "mean_error": lambda t, p: t - p,
    "mse": lambda t, p: (t - p) ** 2,
    "mae": lambda t, p: np.abs(t - p),
    "rmse": lambda t, p: np.abs(t - p),  # "none" is each example's own RMSE
    "msle": lambda t, p: (np.log(1 + p) - np.log(1 + t)) ** 2,
    "huber": _huber,
    "log_cosh": lambda t, p: np.log(np.cosh(p - t)),
    "binary_cross_entropy": lambda t, p: -(t * np.log(p) + (1 - t) * np.log(1 - p)),
    "binary_cross_entropy_with_logits": lambda t, z: t * np.logaddexp(0, -z) + (1 - t) * np.logaddexp(0, z),
    "hinge": lambda t, p: np.maximum(0.0, 1 - t * p),
    "squared_hinge": lambda t, p: np.maximum(0.0, 1 - t * p) ** 2,
    "categorical_cross_entropy": lambda t, p: -np.sum(t * np.log(p), axis=-1),
    "sparse_categorical_cross_entropy": _sparse,
    "kl_divergence": lambda t, p: np.sum(sp.rel_entr(t, p), axis=-1),
}


def _softmax_rows(rng, shape, scale=2.0):
    z = rng.normal(scale=scale, size=shape)
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def make_data(name, shape, seed=0):
    """Valid (y_true, y_pred) of the given y_pred shape, away from kinks."""
    rng = np.random.default_rng(seed)
    if name in ("mean_error", "mse", "log_cosh", "mae", "rmse"):
        t = rng.normal(size=shape)
        return t, t + rng.uniform(0.1, 3.0, size=shape) * rng.choice([-1, 1], size=shape)
    if name == "huber":
        t = rng.normal(size=shape)
        return t, t + rng.uniform(-4, 4, size=shape)
    if name == "msle":
        return rng.uniform(-0.9, 5, size=shape), rng.uniform(-0.9, 5, size=shape)
    if name == "binary_cross_entropy":
        t = np.where(rng.uniform(size=shape) < 0.3, rng.uniform(size=shape), rng.integers(0, 2, size=shape))
        return t, rng.uniform(0.01, 0.99, size=shape)
    if name == "binary_cross_entropy_with_logits":
        return rng.uniform(size=shape).round(1), rng.uniform(-30, 30, size=shape)
    if name in ("hinge", "squared_hinge"):
        return rng.choice([-1.0, 1.0], size=shape), rng.normal(scale=2, size=shape)
    labels = rng.integers(0, shape[-1], size=shape[:-1])
    if name == "sparse_categorical_cross_entropy":
        return labels, _softmax_rows(rng, shape)
    if name == "categorical_cross_entropy":
        return np.eye(shape[-1])[labels], _softmax_rows(rng, shape)
    if name == "kl_divergence":
        p = _softmax_rows(rng, shape)
        p[..., 0] = 0.0  # 0 log 0 = 0
        return p / p.sum(-1, keepdims=True), _softmax_rows(rng, shape)
    raise AssertionError(name)  # pragma: no cover


def shapes_for(name):
    return [(5, 3), (2, 3, 4)] if name in CLASS_AXIS else [(6,), (2, 3)]


CASES = [(n, {}) for n in NAMES] + [("huber", {"delta": 0.5}), ("huber", {"delta": 2.5})]
CASE_IDS = [f"{n}-{p}" if p else n for n, p in CASES]


def test_every_loss_has_a_reference():
    assert set(REFERENCE) == set(NAMES)


# ----------------------------------------------------------------------------- values and reductions
@pytest.mark.parametrize("name, params", CASES, ids=CASE_IDS)
def test_values_and_reductions(xp, arr, name, params):
    fn = L.LOSSES[name][0]
    for shape in shapes_for(name):
        t, p = make_data(name, shape)
        want = REFERENCE[name](t, p, **params)
        n_examples = want.size  # per element, or per row for the class-axis losses
        assert want.shape == (shape[:-1] if name in CLASS_AXIS else shape)
        t_x, p_x = put(arr, name, t, p)
        none = fn(t_x, p_x, reduction="none", **params)
        assert tuple(none.shape) == want.shape
        close(none, want)
        mean = npa(fn(t_x, p_x, **params))  # "mean" is the default
        assert mean.shape == ()
        if name == "rmse":  # the root of a mean, not a mean of roots; "sum" is refused
            close(mean, np.sqrt(np.mean((p - t) ** 2)))
            close(fn(t_x, p_x, reduction="mean"), mean)
            continue
        total = npa(fn(t_x, p_x, reduction="sum", **params))
        close(total, want.sum())
        close(mean, want.sum() / n_examples)
        close(mean, total / n_examples)
        close(npa(none).sum(), total)


@pytest.mark.parametrize("name", sorted(CLASS_AXIS))
def test_class_axis_losses_sum_over_the_last_axis(xp, arr, name):
    # one row at a time gives the same per-example losses as the batch
    fn = L.LOSSES[name][0]
    t, p = make_data(name, (4, 3), seed=5)
    batch = npa(fn(*put(arr, name, t, p), reduction="none"))
    for i in range(4):
        close(fn(*put(arr, name, t[i], p[i]), reduction="none"), batch[i])
        close(fn(*put(arr, name, t[i], p[i])), batch[i])


def test_mean_error_is_signed(xp, arr):
    # mean(y - y_hat): errors of opposite sign cancel
    t, p = arr([1.0, -1.0]), arr([2.0, -2.0])
    close(L.mean_error(t, p), 0.0)
    close(L.mean_error(arr([3.0]), arr([1.0])), 2.0)
    close(L.mean_error_grad(t, p), [-0.5, -0.5])


def test_losses_are_zero_at_a_perfect_prediction(xp, arr):
    y = arr([0.5, -0.5, 2.0])
    for name in ("mse", "mae", "rmse", "msle", "huber", "log_cosh", "mean_error"):
        fn, grad = L.LOSSES[name]
        close(fn(y, y), 0.0)
        if name != "mean_error":  # whose gradient is -1/N everywhere
            close(grad(y, y), [0.0, 0.0, 0.0])  # rmse's gradient is 0 (not NaN) when every prediction is exact


@pytest.mark.parametrize("name", NAMES)
def test_gradient_has_the_shape_of_y_pred(xp, arr, name):
    grad = L.LOSSES[name][1]
    for shape in shapes_for(name):
        t, p = make_data(name, shape)
        g = grad(*put(arr, name, t, p))
        assert tuple(g.shape) == shape


@pytest.mark.parametrize("name", NAMES)
def test_float32_in_float32_out(xp, arr, name):
    fn, grad = L.LOSSES[name]
    t, p = make_data(name, shapes_for(name)[0])
    t_x = arr(t, "int64") if name == "sparse_categorical_cross_entropy" else arr(t, "float32")
    p_x = arr(p, "float32")
    assert fn(t_x, p_x, reduction="none").dtype == xp.float32
    assert grad(t_x, p_x).dtype == xp.float32
    close(fn(t_x, p_x), npa(fn(*put(arr, name, t, p))), rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------------------------- gradients vs finite differences
def _floats(lo, hi):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


SHAPES = hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=4)


@st.composite
def loss_inputs(draw, name):
    """(y_true, y_pred, params) in the loss's valid domain, at least 1e-3 from its kinks."""
    params = {}
    if name in CLASS_AXIS:
        rows, k = draw(st.integers(1, 3), label="rows"), draw(st.integers(2, 4), label="classes")
        shape = (rows, k)
        p = draw(hnp.arrays(np.float64, shape, elements=_floats(0.01, 0.99)), label="y_pred")
        if name == "kl_divergence":
            w = draw(hnp.arrays(np.float64, shape, elements=_floats(0.0, 1.0)), label="weights")
            w[:, 0] += 0.1  # every row has some mass
            return w / w.sum(-1, keepdims=True), p, params
        labels = draw(hnp.arrays(np.int64, (rows,), elements=st.integers(0, k - 1)), label="labels")
        t = labels if name == "sparse_categorical_cross_entropy" else np.eye(k)[labels]
        return t, p, params
    shape = draw(SHAPES, label="shape")
    arrays = lambda lo, hi, label: draw(hnp.arrays(np.float64, shape, elements=_floats(lo, hi)), label=label)  # noqa: E731
    if name in ("mean_error", "mse", "log_cosh"):
        return arrays(-5, 5, "y_true"), arrays(-5, 5, "y_pred"), params
    if name in ("mae", "rmse"):
        t, p = arrays(-5, 5, "y_true"), arrays(-5, 5, "y_pred")
        assume(np.all(np.abs(p - t) > 1e-3))
        return t, p, params
    if name == "huber":
        params["delta"] = draw(_floats(0.1, 3.0), label="delta")
        t, p = arrays(-5, 5, "y_true"), arrays(-5, 5, "y_pred")
        assume(np.all(np.abs(np.abs(p - t) - params["delta"]) > 1e-3))
        return t, p, params
    if name == "msle":
        return arrays(-0.9, 10, "y_true"), arrays(-0.9, 10, "y_pred"), params
    if name == "binary_cross_entropy":
        return arrays(0, 1, "y_true"), arrays(0.01, 0.99, "y_pred"), params
    if name == "binary_cross_entropy_with_logits":
        return arrays(0, 1, "y_true"), arrays(-20, 20, "y_pred"), params
    if name in ("hinge", "squared_hinge"):
        t = draw(hnp.arrays(np.float64, shape, elements=st.sampled_from([-1.0, 1.0])), label="y_true")
        p = arrays(-3, 3, "y_pred")
        assume(np.all(np.abs(1 - t * p) > 1e-3))
        return t, p, params
    raise AssertionError(name)  # pragma: no cover


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_gradient_of_the_mean_matches_finite_differences(xp, arr, name, data):
    fn, grad = L.LOSSES[name]
    t, p, params = data.draw(loss_inputs(name))
    t_x, p_x = put(arr, name, t, p)

    def f(x):  # evaluated in the namespace under test
        return fn(t_x, xp.asarray(nk.to_numpy(x)), **params)

    result = nk.gradcheck(f, lambda x: grad(t_x, x, **params), p_x)
    assert result, (name, t, p, params, result)


# ----------------------------------------------------------------------------- stability at the edges
@contextlib.contextmanager
def strict_numerics():
    """Warnings become errors; overflow, division by zero and invalid operations raise (underflow may happen)."""
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise"):
        warnings.simplefilter("error")
        yield


def _finite(*arrays):
    for a in arrays:
        assert np.all(np.isfinite(npa(a))), npa(a)


def test_bce_at_probabilities_exactly_0_and_1(xp, arr):
    t, p = arr([0.0, 1.0, 0.0, 1.0, 0.5, 0.5]), arr([0.0, 1.0, 1.0, 0.0, 0.0, 1.0])
    with strict_numerics():
        none = L.binary_cross_entropy(t, p, reduction="none")
        g = L.binary_cross_entropy_grad(t, p)
        _finite(none, g, L.binary_cross_entropy(t, p))
    # log clamped at -100, as in PyTorch: a confident wrong answer costs 100
    close(none, [0.0, 0.0, 100.0, 100.0, 50.0, 50.0])
    # gradient (p - y) / max(p (1 - p), 1e-12) / N
    close(g, np.array([0.0, 0.0, 1e12, -1e12, -0.5e12, 0.5e12]) / 6, rtol=1e-12)


def test_bce_with_logits_at_large_logits(xp, arr):
    t, z = arr([0.0, 1.0, 0.0, 1.0, 0.5]), arr([-1e3, 1e3, 1e3, -1e3, 1e3])
    with strict_numerics():
        none = L.binary_cross_entropy_with_logits(t, z, reduction="none")
        g = L.binary_cross_entropy_with_logits_grad(t, z)
        _finite(none, g)
    close(none, [0.0, 0.0, 1e3, 1e3, 500.0])
    close(g, np.array([0.0, 0.0, 1.0, -1.0, 0.5]) / 5)
    with strict_numerics():
        _finite(L.binary_cross_entropy_with_logits(arr([0.0, 1.0]), arr([-1e300, 1e300])))


def test_categorical_cross_entropies_at_0_and_1(xp, arr):
    onehot = arr([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    labels = arr([0, 1, 2], "int64")
    p = arr([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.5, 0.5, 0.0]])
    with strict_numerics():
        cce = L.categorical_cross_entropy(onehot, p, reduction="none")
        scce = L.sparse_categorical_cross_entropy(labels, p, reduction="none")
        gc = L.categorical_cross_entropy_grad(onehot, p)
        gs = L.sparse_categorical_cross_entropy_grad(labels, p)
        _finite(cce, scce, gc, gs)
    close(cce, [0.0, 100.0, 100.0])
    close(scce, [0.0, 100.0, 100.0])
    close(gc, gs)
    close(gc, np.array([[-1.0, 0, 0], [0, -1e12, 0], [0, 0, -1e12]]) / 3)


def test_kl_divergence_with_zeros(xp, arr):
    p = arr([[0.0, 1.0], [0.5, 0.5], [1.0, 0.0]])
    q = arr([[0.0, 1.0], [1.0, 0.0], [1.0, 0.0]])
    with strict_numerics():
        kl = L.kl_divergence(p, q, reduction="none")
        g = L.kl_divergence_grad(p, q)
        _finite(kl, g)
    # 0 log 0 = 0; log q clamped at -100 where q = 0 but p > 0
    close(kl, [0.0, 0.5 * (math.log(0.5) - 0.0) + 0.5 * (math.log(0.5) + 100.0), 0.0])


@pytest.mark.parametrize("name", NAMES)
def test_large_inputs_are_finite(xp, arr, name):
    fn, grad = L.LOSSES[name]
    if name in CLASS_AXIS or name.startswith("binary") or name.endswith("hinge"):
        t, p = make_data(name, (3, 4) if name in CLASS_AXIS else (6,))
        if name in ("hinge", "squared_hinge", "binary_cross_entropy_with_logits"):
            p = p * 1e3
    else:
        t, p = make_data(name, (6,))
        p = p * 1e3 if name != "msle" else p * 1e3 + 1e3
    with strict_numerics():
        _finite(fn(*put(arr, name, t, p)), grad(*put(arr, name, t, p)), fn(*put(arr, name, t, p), reduction="none"))


def test_log_cosh_large_residuals(xp, arr):
    r = np.array([-1e4, -800.0, 800.0, 1e4])
    with strict_numerics():
        close(L.log_cosh(arr(np.zeros(4)), arr(r), reduction="none"), np.abs(r) - math.log(2.0))
        close(L.log_cosh_grad(arr(np.zeros(4)), arr(r)), np.sign(r) / 4)


# ----------------------------------------------------------------------------- readable errors
def _mismatched(name):
    if name == "sparse_categorical_cross_entropy":
        return np.array([0, 1, 0]), np.full((2, 4), 0.25), ("(3,)", "(2, 4)")
    if name in CLASS_AXIS:
        return np.full((2, 3), 1 / 3), np.full((2, 4), 0.25), ("(2, 3)", "(2, 4)")
    good = {"hinge": 1.0, "squared_hinge": 1.0}.get(name, 0.5)
    return np.full(3, good), np.full(2, 0.5), ("(3,)", "(2,)")


@pytest.mark.parametrize("which", ["loss", "grad"])
@pytest.mark.parametrize("name", NAMES)
def test_shape_mismatch_names_both_shapes(name, which):
    fn = L.LOSSES[name][0 if which == "loss" else 1]
    t, p, (st_, sp_) = _mismatched(name)
    with pytest.raises(ValueError) as info:
        fn(t, p)
    msg = str(info.value)
    assert msg.startswith(name + ":"), msg
    assert "y_true" in msg and "y_pred" in msg and st_ in msg and sp_ in msg, msg


@pytest.mark.parametrize("name", [n for n in NAMES if n != "rmse"])
def test_bad_reduction_name(name):
    fn = L.LOSSES[name][0]
    t, p = make_data(name, shapes_for(name)[0])
    with pytest.raises(ValueError, match=r"reduction must be one of 'mean', 'sum', 'none', got 'avg'"):
        fn(t, p, reduction="avg")


def test_rmse_reductions():
    t, p = make_data("rmse", (4,))
    with pytest.raises(ValueError, match=r"rmse: reduction='sum' has no meaning"):
        L.rmse(t, p, reduction="sum")
    with pytest.raises(ValueError, match=r"reduction must be one of"):
        L.rmse(t, p, reduction="avg")


@pytest.mark.parametrize("fn", [L.huber, L.huber_grad])
@pytest.mark.parametrize("delta", [0.0, -1.0, float("nan"), float("inf")])
def test_huber_delta_must_be_positive(fn, delta):
    with pytest.raises(ValueError, match=r"huber: delta must be in \(0, inf\)"):
        fn([0.0, 1.0], [0.5, 0.5], delta=delta)


@pytest.mark.parametrize("fn", [L.hinge, L.hinge_grad, L.squared_hinge, L.squared_hinge_grad])
def test_hinge_with_01_targets_says_how_to_map(fn):
    with pytest.raises(ValueError) as info:
        fn([0.0, 1.0, 1.0], [0.3, -0.2, 2.0])
    msg = str(info.value)
    assert "-1 or +1" in msg and "0/1" in msg and "2 * y - 1" in msg, msg
    with pytest.raises(ValueError, match=r"targets must be -1 or \+1$"):
        fn([0.5, 1.0, -1.0], [0.3, -0.2, 2.0])


@pytest.mark.parametrize(
    "fn, t, p, pattern",
    [
        (L.binary_cross_entropy, [0.0, 1.0], [0.5, 1.2],
         r"binary_cross_entropy: y_pred must be probabilities in \[0, 1\], got values from 0\.5 to 1\.2; "
         r"if these are logits, use binary_cross_entropy_with_logits"),
        (L.binary_cross_entropy_grad, [0.0, 1.0], [-0.1, 0.5], r"y_pred must be probabilities in \[0, 1\]"),
        (L.binary_cross_entropy, [0.0, 2.0], [0.5, 0.5], r"y_true must be probabilities in \[0, 1\]"),
        (L.binary_cross_entropy_with_logits, [-1.0, 1.0], [3.0, -3.0], r"y_true must be probabilities in \[0, 1\]"),
        (L.categorical_cross_entropy, [[1.0, 0.0]], [[1.5, -0.5]],
         r"categorical_cross_entropy: y_pred must be probabilities in \[0, 1\].*apply softmax to logits first"),
        (L.categorical_cross_entropy_grad, [[1.0, 0.0]], [[1.5, -0.5]], r"y_pred must be probabilities"),
        (L.sparse_categorical_cross_entropy, np.array([0]), [[2.0, -1.0]], r"y_pred must be probabilities.*softmax"),
        (L.kl_divergence, [[0.5, 0.5]], [[1.2, -0.2]], r"kl_divergence: y_pred must be probabilities"),
        (L.kl_divergence, [[1.5, -0.5]], [[0.5, 0.5]], r"kl_divergence: y_true must be probabilities"),
        (L.kl_divergence_grad, [[0.5, 0.5]], [[1.2, -0.2]], r"y_pred must be probabilities"),
        (L.binary_cross_entropy, [0.0, 1.0], [0.5, float("nan")], r"y_pred contains NaN or infinite values"),
        (L.binary_cross_entropy_with_logits, [0.0, 1.0], [0.5, float("inf")], r"y_pred contains NaN or infinite"),
        (L.msle, [0.0, 1.0], [-1.0, 0.5], r"msle: y_pred must be greater than -1 .*got -1"),
        (L.msle_grad, [-2.0, 1.0], [0.0, 0.5], r"msle: y_true must be greater than -1"),
        (L.sparse_categorical_cross_entropy, np.array([0, 3]), np.full((2, 3), 1 / 3),
         r"labels must be in 0\.\.2 for 3 classes"),
        (L.sparse_categorical_cross_entropy_grad, np.array([0, -1]), np.full((2, 3), 1 / 3),
         r"labels must be in 0\.\.2"),
        (L.sparse_categorical_cross_entropy, np.array([0.0, 1.5]), np.full((2, 3), 1 / 3),
         r"y_true must hold integer class labels 0\.\.2"),
        (L.categorical_cross_entropy, 1.0, 0.5, r"y_pred needs a class axis"),
        (L.kl_divergence, 1.0, 0.5, r"y_pred needs a class axis"),
    ],
)
def test_readable_domain_errors(fn, t, p, pattern):
    with pytest.raises(ValueError, match=pattern):
        fn(t, p)


NAN, INF = float("nan"), float("inf")
INVALID = [
    ("binary_cross_entropy", [2.0, 0.0], [0.5, 0.5]),
    ("binary_cross_entropy", [1.0, 0.0], [NAN, 0.5]),
    ("binary_cross_entropy", [1.0, 0.0], [INF, 0.5]),
    ("binary_cross_entropy_with_logits", [2.0, 0.0], [0.5, 0.5]),
    ("binary_cross_entropy_with_logits", [-1.0, 1.0], [0.5, 0.5]),
    ("binary_cross_entropy_with_logits", [1.0, 0.0], [NAN, 0.5]),
    ("binary_cross_entropy_with_logits", [NAN, 0.0], [0.5, 0.5]),
    ("categorical_cross_entropy", [[2.0, 0.0]], [[0.5, 0.5]]),
    ("categorical_cross_entropy", [[1.0, 0.0]], [[NAN, 0.5]]),
    ("kl_divergence", [[2.0, -1.0]], [[0.5, 0.5]]),
    ("kl_divergence", [[1.0, 0.0]], [[NAN, 0.5]]),
    ("sparse_categorical_cross_entropy", np.array([0]), [[NAN, 0.5]]),
    ("sparse_categorical_cross_entropy", np.array([2]), [[0.5, 0.5]]),
    ("msle", [-1.0], [0.5]),
    ("hinge", [0.0, 1.0], [1.0, 1.0]),
    ("squared_hinge", [0.0, 1.0], [1.0, 1.0]),
]


@pytest.mark.parametrize("name, t, p", INVALID)
def test_gradient_rejects_what_its_loss_rejects(name, t, p):
    fn, grad = L.LOSSES[name]
    with pytest.raises(ValueError, match=f"^{name}: "):
        fn(t, p)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = grad(t, p)
    except ValueError as exc:
        assert str(exc).startswith(f"{name}: ")
    else:
        raise AssertionError(f"{name}_grad accepted what {name} rejects and returned {out!r}")


def test_sparse_labels_as_whole_floats_are_accepted(xp, arr):
    p = np.full((2, 3), 1 / 3)
    close(L.sparse_categorical_cross_entropy(arr([0.0, 2.0]), arr(p)), math.log(3.0))


# ----------------------------------------------------------------------------- registry
@pytest.mark.parametrize("name", NAMES)
def test_registry_entry(name):
    fn, grad = L.LOSSES[name]
    assert fn is getattr(L, name) and grad is getattr(L, f"{name}_grad")
    assert name in L.__all__ and f"{name}_grad" in L.__all__
    sig = inspect.signature(fn).parameters
    assert list(sig)[:3] == ["y_true", "y_pred", "reduction"] and sig["reduction"].default == "mean"
    gsig = inspect.signature(grad).parameters
    assert list(gsig)[:2] == ["y_true", "y_pred"] and "reduction" not in gsig
    assert fn.__doc__ and grad.__doc__
