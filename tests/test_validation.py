"""Bad input gets a clear error, never a silent number.

Property-based tests (hypothesis, derandomized) for each class of bad input a fuzz of the public API
found, plus the named examples from the issue:

* NaN in an activation or derivative gives NaN out at the same place (PyTorch's behaviour); a loss given
  NaN or +-inf raises a ValueError naming the argument.
* Non-numeric input (None, strings, complex numbers, object arrays) is a TypeError naming the argument
  and saying what it accepts: real numbers or arrays of real numbers.  Bool arrays are accepted as 0/1,
  as NumPy and PyTorch promote them.
* Empty arrays: activations return empty arrays; losses give an empty array (reduction "none"), 0
  ("sum"), and a ValueError saying the input is empty for "mean" and for every gradient.
* Parameters of every public function are checked: a TypeError for the wrong kind, a ValueError for a
  bad value, naming the parameter.
* Optimizers take matched lists or dicts of arrays.
* fit never crashes mid-epoch on a last batch too small for BatchNorm; ``drop_last`` drops it instead.
* swish, GELU and friends give their limits at +-inf, on the array-API and on the fused path.
* NNKERNEL_BACKEND and NNKERNEL_FUSED errors name the variable.
"""
from __future__ import annotations

import math
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import nnkernel as nk
from nnkernel import fused
from nnkernel._common import env_flag
from nnkernel.models import _batches

A, L = nk.activations, nk.losses
REPO = Path(__file__).resolve().parents[1]
FAST = settings(derandomize=True, max_examples=40, deadline=None, database=None)

# ----------------------------------------------------------------------------- the functions under test
#: every elementwise activation and derivative, with parameter values that exercise their edge cases
ELEMENTWISE = []
for _info in A.REGISTRY.values():
    if not _info.elementwise:
        continue
    _variants = [{}]
    if _info.name in ("leaky_relu", "prelu"):
        _variants = [{}, {"alpha": 0.0}, {"alpha": 0.3}]
    elif _info.name == "elu":
        _variants = [{}, {"alpha": 2.0}]
    elif _info.name == "swish":
        _variants = [{}, {"beta": 0.0}, {"beta": 2.5}]
    elif _info.name == "linear":
        _variants = [{}, {"m": 0.0}, {"m": -2.0}]
    for _kw in _variants:
        ELEMENTWISE.append((_info.fn, _kw))
        ELEMENTWISE.append((_info.grad, _kw))
ELEMENTWISE_IDS = [f"{f.__name__}-{kw}" for f, kw in ELEMENTWISE]

VECTOR = [(A.softmax, {}), (A.log_softmax, {}), (A.softmax_jacobian, {}), (A.maxout, {"k": 1}),
          (A.maxout_grad, {"k": 1})]
ALL_ACTIVATIONS = ELEMENTWISE + VECTOR
ALL_IDS = ELEMENTWISE_IDS + [f.__name__ for f, _ in VECTOR]

#: every loss and gradient; class-axis losses take (rows, classes) arrays
CLASS_AXIS = {"categorical_cross_entropy", "sparse_categorical_cross_entropy", "kl_divergence"}
LOSS_NAMES = list(L.LOSSES)


def _valid_pair(name, rows=4, classes=3):
    """A valid (y_true, y_pred) for the loss ``name``."""
    rng = np.random.default_rng(0)
    if name == "sparse_categorical_cross_entropy":
        p = rng.dirichlet(np.ones(classes), rows)
        return np.arange(rows) % classes, p
    if name in CLASS_AXIS:
        return np.eye(classes)[np.arange(rows) % classes], rng.dirichlet(np.ones(classes), rows)
    if name in ("hinge", "squared_hinge"):
        return np.where(np.arange(rows) % 2, 1.0, -1.0), rng.normal(size=rows)
    if "binary" in name:
        return (np.arange(rows) % 2).astype(float), rng.uniform(0.1, 0.9, rows)
    return rng.uniform(0, 2, rows), rng.uniform(0, 2, rows)


def _empty_pair(name):
    if name == "sparse_categorical_cross_entropy":
        return np.zeros(0, dtype=np.int64), np.zeros((0, 3))
    if name in CLASS_AXIS:
        return np.zeros((0, 3)), np.zeros((0, 3))
    return np.zeros(0), np.zeros(0)


# ----------------------------------------------------------------------------- 1. NaN never becomes a number
SPECIAL = st.sampled_from([math.nan, math.inf, -math.inf, 0.0, -0.0, 1e-300, -1e4, 1e4, 1.0, -1.0])
REALS = st.one_of(SPECIAL, st.floats(allow_nan=True, allow_infinity=True, width=64))


@pytest.mark.parametrize("fn, kwargs", ELEMENTWISE, ids=ELEMENTWISE_IDS)
@FAST
@given(z=hnp.arrays(np.float64, st.integers(1, 12), elements=REALS))
def test_nan_in_nan_out_and_no_nan_from_numbers(fn, kwargs, z):
    """NaN exactly where z is NaN: NaN is never turned into a number, and +-inf gives a limit, not NaN."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="overflow")  # a huge finite z may overflow to +-inf,
        warnings.filterwarnings("error", message="invalid value")  # but no inf * 0 on the way
        out = nk.to_numpy(fn(z, **kwargs))
    np.testing.assert_array_equal(np.isnan(out), np.isnan(z))


@pytest.mark.parametrize("fn, kwargs", VECTOR, ids=[f.__name__ for f, _ in VECTOR])
def test_vector_activations_propagate_nan(fn, kwargs):
    z = np.array([[0.5, np.nan, -1.0], [0.1, 0.2, 0.3]])
    out = nk.to_numpy(fn(z, **kwargs))
    assert np.isnan(out[0]).any()
    assert not np.isnan(out[1]).any()


def test_named_nan_examples():
    assert np.isnan(A.binary_step(math.nan))
    assert np.isnan(A.binary_step_grad(math.nan)) and np.isnan(A.relu_grad(math.nan))
    with pytest.raises(ValueError, match=r"^rmse: y_pred contains NaN"):
        L.rmse_grad(np.zeros(3), np.array([0.0, math.nan, 1.0]))


@pytest.mark.parametrize("name", LOSS_NAMES)
@FAST
@given(which=st.sampled_from(["y_true", "y_pred"]), bad=st.sampled_from([math.nan, math.inf, -math.inf]),
       position=st.integers(0, 3), grad=st.booleans())
def test_losses_refuse_nan_and_inf_naming_the_argument(name, which, bad, position, grad):
    t, p = _valid_pair(name)
    t, p = t.astype(float), p.copy()
    target = t if which == "y_true" else p
    target.reshape(-1)[position] = bad
    fn = L.LOSSES[name][1 if grad else 0]
    with pytest.raises(ValueError, match=rf"^{name}: {which} contains NaN or infinite values"):
        fn(t, p)


@pytest.mark.parametrize("n", [1, 10, 8191, 8192, 100_000])
@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_the_finiteness_check_on_each_side_of_its_size_switches(n, bad):
    """check_finite counts isfinite's mask below 8192 elements and takes .all() from there (the parallel pass
    from 2^20 is tested in test_fused.py): every path refuses a non-finite value wherever it is, on contiguous
    arrays and strided views, and passes finite ones."""
    from nnkernel._common import check_finite

    z = np.linspace(-3.0, 3.0, 2 * n).astype(np.float32)
    for a in (z[:n], z[::2]):
        check_finite(np, a, "y_pred")
        for i in {0, n // 2, n - 1}:
            w = a.copy() if a.flags.c_contiguous else a
            saved = w[i]
            w[i] = bad
            with pytest.raises(ValueError, match="y_pred contains NaN or infinite values"):
                check_finite(np, w, "y_pred")
            w[i] = saved


# ----------------------------------------------------------------------------- 2. non-numeric input
NON_NUMERIC = [None, "1", b"1", np.array(["1", "2"]), 1 + 2j, np.array([1 + 1j, 2.0]),
               np.array([1.0, None], dtype=object), {"a": 1.0}, ["1", "2"]]
NON_NUMERIC_IDS = ["None", "str", "bytes", "str-array", "complex", "complex-array", "object-array", "dict",
                   "str-list"]


@pytest.mark.parametrize("fn, kwargs", ALL_ACTIVATIONS, ids=ALL_IDS)
@FAST
@given(bad=st.sampled_from(NON_NUMERIC))
def test_activations_refuse_non_numeric_input(fn, kwargs, bad):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ComplexWarning: refused, not cast
        with pytest.raises(TypeError, match=rf"^{fn.__name__}: z must be a real number or an array of real"):
            fn(bad, **kwargs)


@pytest.mark.parametrize("name", LOSS_NAMES)
@FAST
@given(bad=st.sampled_from(NON_NUMERIC), which=st.sampled_from(["y_true", "y_pred"]), grad=st.booleans())
def test_losses_refuse_non_numeric_input(name, bad, which, grad):
    t, p = _valid_pair(name)
    args = (bad, p) if which == "y_true" else (t, bad)
    with pytest.raises(TypeError, match=rf"^{name}: {which} must be a real number or an array of real"):
        L.LOSSES[name][1 if grad else 0](*args)


def test_named_non_numeric_examples():
    with pytest.raises(TypeError, match=r"sigmoid: z .*got None"):
        A.sigmoid(None)
    with pytest.raises(TypeError, match=r"sigmoid: z .*dtype <U1"):
        A.sigmoid(np.array(["1", "2"]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(TypeError, match=r"sigmoid: z .*complex"):
            A.sigmoid(np.array([1 + 2j]))


def test_bool_arrays_count_as_zero_and_one():
    b = np.array([True, False, True])
    np.testing.assert_array_equal(A.sigmoid(b), A.sigmoid(b.astype(float)))
    assert float(L.mse(b, b.astype(float))) == 0.0


# ----------------------------------------------------------------------------- 3. empty arrays
@pytest.mark.parametrize("fn, kwargs", ALL_ACTIVATIONS, ids=ALL_IDS)
@pytest.mark.parametrize("shape", [(0,), (0, 3), (3, 0)], ids=str)
def test_activations_of_empty_arrays_are_empty(fn, kwargs, shape):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = fn(np.zeros(shape), **kwargs)
    assert out.size == 0


EMPTY_SHAPES = hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=3).filter(lambda s: 0 in s)
ELEMENT_LOSSES = [n for n in LOSS_NAMES if n not in CLASS_AXIS]


@FAST
@given(case=st.sampled_from(ELEMENTWISE), shape=EMPTY_SHAPES)
def test_elementwise_activations_keep_empty_shapes(case, shape):
    fn, kwargs = case
    assert nk.to_numpy(fn(np.zeros(shape), **kwargs)).shape == shape


@FAST
@given(name=st.sampled_from(ELEMENT_LOSSES), shape=EMPTY_SHAPES)
def test_element_losses_of_any_empty_shape(name, shape):
    loss, grad = L.LOSSES[name]
    t = np.ones(shape) if name in ("hinge", "squared_hinge") else np.zeros(shape)
    assert nk.to_numpy(loss(t, np.zeros(shape), reduction="none")).shape == shape
    with pytest.raises(ValueError, match="the input is empty"):
        grad(t, np.zeros(shape))


@pytest.mark.parametrize("name", LOSS_NAMES)
def test_losses_of_empty_input(name):
    t, p = _empty_pair(name)
    loss, grad = L.LOSSES[name]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "Mean of empty slice"
        assert nk.to_numpy(loss(t, p, reduction="none")).size == 0
        if name != "rmse":  # rmse refuses "sum" for any input
            assert float(loss(t, p, reduction="sum")) == 0.0
        with pytest.raises(ValueError, match=rf"^{name}: the input is empty"):
            loss(t, p)
        with pytest.raises(ValueError, match=rf"^{name}: the input is empty"):
            grad(t, p)  # (was a ZeroDivisionError for some)


# ----------------------------------------------------------------------------- 4. parameters
BAD_WORDS = ["a", None, [1], 1 + 1j]
NONFINITE = [math.nan, math.inf, -math.inf]
X2, Y2 = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]), np.array([[1.0], [1.0], [0.0], [0.0]])


def _model():
    return nk.models.Sequential([nk.layers.Dense(2, 3, seed=0), nk.layers.Activation("tanh"),
                                 nk.layers.Dense(3, 1, seed=1)])


def _fit(**kw):
    return nk.models.fit(_model(), "mse", nk.optim.SGD(0.1), X2, Y2, **{"epochs": 1, "batch_size": 2, **kw})


def _grad_check(**kw):
    return nk.gradcheck(A.sigmoid, A.sigmoid_grad, np.array([0.5, 1.0]), **{"elementwise": True, **kw})


def _i(n):  # integer parameter: bad kinds, non-integers, non-finite, and values below the minimum
    return BAD_WORDS + [True, 2.5] + NONFINITE + [n - 1, -7]


def _f(*bad):  # real parameter: bad kinds, non-finite, and the given out-of-range values
    return BAD_WORDS + [True] + NONFINITE + list(bad)


#: (label, call taking the parameter as keyword, parameter name, bad values)
PARAMS = [
    ("Dense.in_features", lambda v: nk.layers.Dense(v, 2), "in_features", _i(1)),
    ("Dense.out_features", lambda v: nk.layers.Dense(2, v), "out_features", _i(1)),
    ("Dense.seed", lambda v: nk.layers.Dense(2, 2, seed=v), "seed", ["a", 2.5, -1, True]),
    ("Dense.init", lambda v: nk.layers.Dense(2, 2, init=v), "init", [None, 3, "nope"]),
    ("BatchNorm.num_features", lambda v: nk.layers.BatchNorm(v), "num_features", _i(1)),
    ("BatchNorm.momentum", lambda v: nk.layers.BatchNorm(2, momentum=v), "momentum",
     [v for v in _f(-0.1, 1.5) if v is not None]),  # None: the cumulative average
    ("BatchNorm.eps", lambda v: nk.layers.BatchNorm(2, eps=v), "eps", _f(0.0, -1.0)),
    ("Activation.name", lambda v: nk.layers.Activation(v), "name|activation", [None, 3, "nope"]),
    ("Activation.alpha", lambda v: nk.layers.Activation("elu", alpha=v), "alpha", _f(0.0, -1.0)),
    ("Activation.k", lambda v: nk.layers.Activation("maxout", k=v), "k", _i(1)),
    ("forward.training", lambda v: nk.layers.Dense(2, 2).forward(X2, training=v), "training", [None, 1, "yes"]),
    ("he_normal.fan_in", lambda v: nk.init.he_normal(v, 2), "fan_in", _i(1)),
    ("xavier_uniform.fan_out", lambda v: nk.init.xavier_uniform(2, v), "fan_out", _i(1)),
    ("random_normal.std", lambda v: nk.init.random_normal(2, 2, std=v), "std", _f(0.0, -1.0)),
    ("constant.value", lambda v: nk.init.constant(2, 2, value=v), "value", _f()),
    ("he_uniform.seed", lambda v: nk.init.he_uniform(2, 2, seed=v), "seed", ["a", 2.5, -1, True]),
    ("xor.n", lambda v: nk.data.xor(n=v), "n", _i(1)),
    ("xor.noise", lambda v: nk.data.xor(noise=v), "noise", _f(-0.1)),
    ("xor.seed", lambda v: nk.data.xor(seed=v), "seed", ["a", 2.5, -1]),
    ("two_moons.n", lambda v: nk.data.two_moons(n=v), "n", _i(2)),
    ("circles.factor", lambda v: nk.data.circles(factor=v), "factor", _f(0.0, 1.0, 2.0)),
    ("circles.noise", lambda v: nk.data.circles(noise=v), "noise", _f(-1.0)),
    ("spirals.classes", lambda v: nk.data.spirals(classes=v), "classes", _i(1)),
    ("spirals.noise", lambda v: nk.data.spirals(noise=v), "noise", _f(-1.0)),
    ("function_1d.fn", lambda v: nk.data.function_1d(fn=v), "fn", ["a", 3]),
    ("function_1d.fn output", lambda v: nk.data.function_1d(n=5, fn=v), "fn",
     [lambda x: x * np.nan, lambda x: x[:2], lambda x: np.array(["a"] * len(x))]),
    ("asarray.a", lambda v: nk.asarray(v), "asarray", [None, "a", [1.0, None]]),
    ("function_1d.noise", lambda v: nk.data.function_1d(noise=v), "noise", _f(-1.0)),
    ("linear_with_outliers.n_outliers", lambda v: nk.data.linear_with_outliers(n=10, n_outliers=v),
     "n_outliers", BAD_WORDS + [2.5, -1, 11, math.nan]),
    ("linear_with_outliers.slope", lambda v: nk.data.linear_with_outliers(slope=v), "slope", _f()),
    ("temperature_series.days", lambda v: nk.data.temperature_series(days=v), "days", _i(1)),
    ("temperature_series.amplitude", lambda v: nk.data.temperature_series(amplitude=v), "amplitude", _f()),
    ("gradcheck.h", lambda v: _grad_check(h=v), "h", _f(0.0, -1e-6)),
    ("gradcheck.rtol", lambda v: _grad_check(rtol=v), "rtol", _f(-1.0)),
    ("gradcheck.atol", lambda v: _grad_check(atol=v), "atol", _f(-1.0)),
    ("gradcheck.elementwise", lambda v: _grad_check(elementwise=v), "elementwise", [None, 1, "yes"]),
    ("gradcheck.f", lambda v: nk.gradcheck(v, A.sigmoid_grad, np.ones(2)), "f", [None, 3, "sigmoid"]),
    ("gradcheck.x", lambda v: nk.gradcheck(A.sigmoid, A.sigmoid_grad, v, elementwise=True),
     "x", [None, "a", np.array([1.0, np.nan]), np.zeros(0)]),
    ("numerical_derivative.h", lambda v: nk.numerical_derivative(A.sigmoid, np.ones(2), h=v), "h", _f(0.0)),
    ("ewma.beta", lambda v: nk.ewma(np.ones(5), v), "beta", _f(-0.1, 1.0)),
    ("ewma.bias_correction", lambda v: nk.ewma(np.ones(5), 0.9, bias_correction=v), "bias_correction",
     [None, 1, "yes"]),
    ("ewma_weights.t", lambda v: nk.ewma_weights(0.9, v), "t", BAD_WORDS + [2.5, -1, math.nan]),
    ("SGD.lr", lambda v: nk.optim.SGD(lr=v), "lr", _f(0.0, -1.0)),
    ("SGD.momentum", lambda v: nk.optim.SGD(momentum=v), "momentum", _f(-0.1, 1.0)),
    ("SGD.nesterov", lambda v: nk.optim.SGD(momentum=0.9, nesterov=v), "nesterov", [None, 1, "yes"]),
    ("Adam.beta1", lambda v: nk.optim.Adam(beta1=v), "beta1", _f(-0.1, 1.0)),
    ("Adam.eps", lambda v: nk.optim.Adam(eps=v), "eps", _f(0.0)),
    ("RMSProp.beta", lambda v: nk.optim.RMSProp(beta=v), "beta", _f(1.0)),
    ("Adagrad.lr", lambda v: nk.optim.Adagrad(lr=v), "lr", _f(0.0)),
    ("fit.epochs", lambda v: _fit(epochs=v), "epochs", _i(1)),
    ("fit.batch_size", lambda v: _fit(batch_size=v), "batch_size", _i(1)),
    ("fit.seed", lambda v: _fit(seed=v), "seed", ["a", 2.5, -1]),
    ("fit.drop_last", lambda v: _fit(drop_last=v), "drop_last", [None, 1, "yes"]),
    ("fit.metrics", lambda v: _fit(metrics=v), "metrics", ["accuracy", ["precision"], 3]),
    ("fit.loss", lambda v: nk.models.fit(_model(), v, nk.optim.SGD(0.1), X2, Y2), "loss", [None, "nope", (1, 2)]),
    ("fit.X", lambda v: nk.models.fit(_model(), "mse", nk.optim.SGD(0.1), v, Y2), "X",
     [None, np.array([["a", "b"]] * 4), np.full((4, 2), np.nan), np.zeros((0, 2))]),
    ("fit.validation", lambda v: _fit(validation=v), "validation", [3, (X2,), (X2, np.full((4, 1), np.nan))]),
    ("accuracy.threshold", lambda v: nk.models.accuracy(Y2, Y2, threshold=v), "threshold", _f()),
    ("leaky_relu.alpha", lambda v: A.leaky_relu(np.ones(2), alpha=v), "alpha", _f(-0.1, 1.0)),
    ("swish.beta", lambda v: A.swish(np.ones(2), beta=v), "beta", _f(-1.0)),
    ("prelu.alpha", lambda v: A.prelu(np.ones(2), alpha=v), "alpha", [None, "a", math.nan]),
    ("softmax.axis", lambda v: A.softmax(np.ones((2, 3)), axis=v), "axis", ["a", None, 2.5, 2, -3]),
    ("maxout.k", lambda v: A.maxout(np.ones(4), v), "k", _i(1)),
    ("huber.delta", lambda v: L.huber(np.ones(2), np.zeros(2), delta=v), "delta", _f(0.0, -1.0)),
    ("loss.reduction", lambda v: L.mse(np.ones(2), np.zeros(2), reduction=v), "reduction", [None, "avg", 1]),
    ("use.name", lambda v: nk.use(v), "backend", [None, 3, "bogus"]),
]
CASES = [(label, call, name, bad) for label, call, name, bads in PARAMS for bad in bads]


@FAST
@given(case=st.sampled_from(CASES))
def test_bad_parameters_raise_errors_naming_them(case):
    label, call, name, bad = case
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises((TypeError, ValueError), match=name) as info:
            call(bad)
    if isinstance(bad, float) and not label.endswith(".seed"):  # a number with a bad value: ValueError
        assert info.type is ValueError, (label, bad, info.value)
    if bad is None or isinstance(bad, (bool, complex)):  # the wrong kind of thing: TypeError
        assert info.type is TypeError, (label, bad, info.value)


@pytest.mark.parametrize("label, call, name, bads", PARAMS, ids=[p[0] for p in PARAMS])
def test_every_bad_parameter_value(label, call, name, bads):
    """The same table, every value (not sampled), so no row goes untested."""
    for bad in bads:
        with pytest.raises((TypeError, ValueError), match=name):
            call(bad)


def test_named_parameter_examples():
    with pytest.raises(ValueError, match=r"Dense: in_features must be a positive integer, got 2\.5"):
        nk.layers.Dense(2.5, 2)
    with pytest.raises(ValueError, match=r"BatchNorm: num_features must be a positive integer, got 0"):
        nk.layers.BatchNorm(0)
    with pytest.raises(ValueError, match=r"fit: epochs must be a positive integer, got -1"):
        _fit(epochs=-1)
    with pytest.raises(TypeError, match=r"he_normal: fan_in must be a positive integer, got 'a'"):
        nk.init.he_normal("a", 2)
    with pytest.raises(ValueError, match=r"he_normal: fan_out must be a positive integer, got nan"):
        nk.init.he_normal(2, math.nan)
    with pytest.raises(ValueError, match=r"xor: noise must be in \[0, inf\), got nan"):
        nk.data.xor(noise=math.nan)
    with pytest.raises(ValueError, match=r"gradcheck: h must be in \(0, inf\), got 0"):
        _grad_check(h=0)


def test_good_parameters_still_accepted():
    assert nk.layers.Dense(2.0, np.int64(3)).params["W"].shape == (2, 3)  # integral floats and NumPy ints
    assert nk.init.he_normal(2, 2, seed=np.random.default_rng(0)).shape == (2, 2)
    assert nk.data.xor(n=10, noise=0.0)[0].shape == (10, 2)
    assert len(nk.ewma_weights(0.5, 0)) == 0


# ----------------------------------------------------------------------------- 5. optimizers
@pytest.mark.parametrize("cls", list(nk.optim.OPTIMIZERS.values()), ids=list(nk.optim.OPTIMIZERS))
def test_optimizers_take_dicts_and_lists_alike(cls):
    a, b = {"w": np.array([1.0, -2.0]), "b": np.array([0.5])}, [np.array([1.0, -2.0]), np.array([0.5])]
    oa, ob = cls(lr=0.1), cls(lr=0.1)
    for _ in range(3):
        oa.step(a, {"b": [0.25], "w": np.array([0.1, -0.3])})  # keys in another order; a plain list as a gradient
        ob.step(b, [np.array([0.1, -0.3]), np.array([0.25])])
    np.testing.assert_array_equal(a["w"], b[0])
    np.testing.assert_array_equal(a["b"], b[1])


@pytest.mark.parametrize("params, grads, error, message", [
    ({"w": [1.0, 2.0]}, {"w": [1.0, 2.0]}, TypeError, r"params\['w'\] must be an array of floats"),
    ({"w": np.zeros(2)}, {"v": np.zeros(2)}, ValueError, r"same keys"),
    ({"w": np.zeros(2)}, [np.zeros(2)], TypeError, r"grads must be a dict"),
    ([np.zeros(2)], [np.zeros(2), np.zeros(2)], ValueError, r"1 parameters but 2 gradients"),
    ([np.zeros(2)], [np.zeros(3)], ValueError, r"parameter 0 has shape \(2,\)"),
    ([np.zeros(2)], ["ab"], TypeError, r"grads\[0\] must be a real number or an array"),
    (np.zeros(2), np.zeros(2), TypeError, r"params must be a list \(or dict\) of arrays"),
    ([np.zeros(2, dtype=np.int64)], [np.zeros(2)], TypeError, r"params\[0\] must be an array of floats"),
], ids=["dict-of-lists", "keys", "dict-vs-list", "lengths", "shapes", "string-grad", "bare-array", "int-param"])
def test_optimizers_say_what_is_wrong(params, grads, error, message):
    for cls in nk.optim.OPTIMIZERS.values():
        with pytest.raises(error, match=message):
            cls(lr=0.1).step(params, grads)


# ----------------------------------------------------------------------------- 6. fit and small last batches
def _bn_model():
    return nk.models.Sequential([nk.layers.Dense(2, 3, seed=0), nk.layers.BatchNorm(3),
                                 nk.layers.Activation("relu"), nk.layers.Dense(3, 1, seed=1)])


def test_fit_with_batchnorm_and_a_last_batch_of_one():
    X, y = nk.data.xor(n=33, seed=0)
    h = nk.models.fit(_bn_model(), "binary_cross_entropy_with_logits", nk.optim.Adam(0.01), X, y[:, None],
                      epochs=2, batch_size=16)
    assert len(h["loss"]) == 2 and all(np.isfinite(h["loss"])) and h.diverged_at is None
    h = nk.models.fit(_bn_model(), "binary_cross_entropy_with_logits", nk.optim.Adam(0.01), X, y[:, None],
                      epochs=2, batch_size=16, drop_last=True)
    assert len(h["loss"]) == 2 and all(np.isfinite(h["loss"]))


def test_min_batch_size():
    assert nk.layers.BatchNorm(2).min_batch_size == 2
    assert nk.layers.Dense(2, 2).min_batch_size == nk.layers.Activation("relu").min_batch_size == 1
    # per-channel statistics over (N, H, W): one feature map of several pixels is a batch
    bn2d = nk.layers.BatchNorm(3, axes=(0, 2, 3))
    assert bn2d.min_batch_size == 1
    x = np.random.default_rng(0).normal(size=(1, 3, 4, 4))
    assert np.all(np.isfinite(bn2d.forward(x, training=True)))
    with pytest.raises(ValueError, match="at least 2 values per feature"):
        bn2d.forward(x[:, :, :1, :1], training=True)


@FAST
@given(n=st.integers(1, 60), batch_size=st.integers(1, 70), drop_last=st.booleans(), min_batch=st.integers(1, 3))
def test_batches_cover_the_data_and_respect_the_minimum(n, batch_size, drop_last, min_batch):
    try:
        bounds = _batches(n, batch_size, drop_last, min_batch)
    except ValueError as exc:  # only when no valid split exists, and it says why
        assert "batch_size" in str(exc)
        assert (drop_last and n < batch_size) or min(n, batch_size) < min_batch
        return
    sizes = [b - a for a, b in bounds]
    assert bounds[0][0] == 0 and all(bounds[i][1] == bounds[i + 1][0] for i in range(len(bounds) - 1))
    assert min(sizes) >= min_batch and max(sizes) < batch_size + min_batch
    if drop_last:
        assert all(s == batch_size for s in sizes) and n - bounds[-1][1] < batch_size
    else:
        assert bounds[-1][1] == n


@settings(derandomize=True, max_examples=12, deadline=None, database=None)
@given(n=st.integers(2, 40), batch_size=st.integers(2, 20), drop_last=st.booleans())
def test_fit_with_batchnorm_never_crashes_mid_epoch(n, batch_size, drop_last):
    X, y = nk.data.xor(n=max(n, 2), seed=1)
    if drop_last and n < batch_size:
        with pytest.raises(ValueError, match="drop_last"):
            nk.models.fit(_bn_model(), "mse", nk.optim.SGD(0.01), X, y[:, None], epochs=1, batch_size=batch_size,
                          drop_last=True)
        return
    h = nk.models.fit(_bn_model(), "mse", nk.optim.SGD(0.01), X, y[:, None], epochs=1, batch_size=batch_size,
                      drop_last=drop_last)
    assert np.isfinite(h["loss"][0])


# ----------------------------------------------------------------------------- 7. limits at +-inf, both paths
LIMITS = [  # (function, kwargs, value at -inf, value at +inf)
    (A.swish, {}, 0.0, math.inf), (A.swish_grad, {}, 0.0, 1.0), (A.swish, {"beta": 0.0}, -math.inf, math.inf),
    (A.swish_grad, {"beta": 0.0}, 0.5, 0.5), (A.gelu, {}, 0.0, math.inf), (A.gelu_grad, {}, 0.0, 1.0),
    (A.gaussian_grad, {}, 0.0, 0.0), (A.leaky_relu, {"alpha": 0.0}, 0.0, math.inf),
    (A.prelu, {"alpha": 0.0}, 0.0, math.inf), (A.linear, {"m": 0.0}, 0.0, 0.0), (A.elu, {}, -1.0, math.inf),
    (A.softplus, {}, 0.0, math.inf), (A.sigmoid, {}, 0.0, 1.0), (A.tanh_grad, {}, 0.0, 0.0),
]


@pytest.mark.parametrize("fn, kwargs, lo, hi", LIMITS, ids=[f"{f.__name__}-{kw}" for f, kw, _, _ in LIMITS])
def test_limits_at_infinity(fn, kwargs, lo, hi):
    out = nk.to_numpy(fn(np.array([-math.inf, math.inf]), **kwargs))
    np.testing.assert_array_equal(out, [lo, hi])


FUSED = [(A.swish, {"beta": 1.3}), (A.swish_grad, {"beta": 1.3}), (A.swish, {"beta": 0.0}),
         (A.swish_grad, {"beta": 0.0}), (A.gelu, {}), (A.gelu_grad, {}), (A.leaky_relu, {"alpha": 0.0}),
         (A.leaky_relu_grad, {"alpha": 0.1}), (A.elu, {}), (A.softplus, {}), (A.sigmoid_grad, {})]


@pytest.mark.skipif(not fused.enabled(), reason="Numba is not installed (or NNKERNEL_FUSED=0)")
@pytest.mark.parametrize("fn, kwargs", FUSED, ids=[f"{f.__name__}-{kw}" for f, kw in FUSED])
def test_fused_path_agrees_at_nan_and_infinity(fn, kwargs, monkeypatch):
    z = np.linspace(-40.0, 40.0, fused.MIN_SIZE)
    z[:5] = [math.nan, math.inf, -math.inf, -1e4, 1e4]
    assert fused.applies(z)
    ours = fn(z, **kwargs)
    monkeypatch.setenv("NNKERNEL_FUSED", "off")
    assert not fused.applies(z)
    ref = fn(z, **kwargs)
    np.testing.assert_allclose(ours, ref, rtol=1e-13, atol=4e-16, equal_nan=True)
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(z))


# ----------------------------------------------------------------------------- 8. environment variables
@pytest.mark.parametrize("value, expected", [("1", True), ("true", True), ("YES", True), (" On ", True),
                                             ("0", False), ("False", False), ("no", False), ("OFF", False),
                                             ("", True)])
def test_env_flag_values(value, expected, monkeypatch):
    monkeypatch.setenv("NNKERNEL_TEST_FLAG", value)
    assert env_flag("NNKERNEL_TEST_FLAG", True) is expected


@pytest.mark.parametrize("value", ["maybe", "2", "t", "enable"])
def test_nnkernel_fused_refuses_other_values(value, monkeypatch):
    monkeypatch.setenv("NNKERNEL_FUSED", value)
    with pytest.raises(ValueError, match=r"NNKERNEL_FUSED=.*1/true/yes/on.*0/false/no/off"):
        fused.enabled()


def test_nnkernel_fused_false_turns_the_kernels_off(monkeypatch):
    monkeypatch.setenv("NNKERNEL_FUSED", "false")
    assert not fused.enabled()


def test_nnkernel_backend_bogus_names_the_variable():
    env = {**os.environ, "NNKERNEL_BACKEND": "bogus", "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-c", "import nnkernel"], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode != 0
    assert "ValueError" in proc.stderr and "NNKERNEL_BACKEND='bogus'" in proc.stderr


def test_fit_that_diverges_with_metrics_and_validation_stops_without_an_error():
    """The loss and accuracy refuse NaN predictions, so fit checks them first and records the divergence."""
    X, y = nk.data.two_moons(64, seed=0)
    h = nk.models.fit(_model(), "mse", nk.optim.SGD(1e10), X, y[:, None], epochs=30, batch_size=64,
                      metrics=["accuracy"], validation=(X, y[:, None]))
    assert h.diverged_at is not None and not np.isnan(h["loss"]).any()


def test_accuracy_refuses_nan_and_empty_predictions():
    with pytest.raises(ValueError, match=r"accuracy: y_pred contains NaN"):
        nk.models.accuracy(np.ones(2), np.array([np.nan, 1.0]))
    with pytest.raises(ValueError, match=r"accuracy: y_true is empty"):
        nk.models.accuracy(np.zeros(0), np.zeros(0))
