"""Weight initializers: ``NAME(fan_in, fan_out, seed=None)`` -> a (fan_in, fan_out) array.

Weights are drawn on the host with ``numpy.random.default_rng(seed)`` and
moved to the active backend, so a seed gives the same weights on NumPy and on
a GPU.  The scales keep the variance of activations (Xavier/Glorot: both
directions; He: forward through ReLU; LeCun: forward, for SELU) constant from
layer to layer.  The formulas are PyTorch's (``torch.nn.init``), written for
weights used as ``x @ W`` (shape (fan_in, fan_out)).

``fan_in`` and ``fan_out`` must be positive integers and ``seed`` None, a
non-negative integer or a NumPy Generator; anything else is a TypeError or
ValueError naming the argument.

As in PyTorch, the Xavier initializers take a ``gain`` (see
:func:`calculate_gain`) and the He initializers a leaky-ReLU slope ``a`` and a
``mode`` ("fan_in" keeps the forward variance, "fan_out" the backward one);
``he_uniform(..., a=math.sqrt(5))`` is PyTorch's default for ``nn.Linear``
(also :func:`pytorch_linear_default`). :func:`orthogonal` draws a (scaled)
orthogonal matrix like ``torch.nn.init.orthogonal_``, and :func:`calculate_fans`
reads fan-in and fan-out from a PyTorch-layout weight shape, convolutions
included. The defaults give exactly the weights they gave before these
arguments existed.
"""
from __future__ import annotations

import functools
import inspect
import math

import numpy as np

from . import backend
from ._common import _describe, check_choice, check_int, check_param, check_seed

__all__ = ["zeros", "constant", "random_normal", "random_uniform", "xavier_uniform", "xavier_normal",
           "he_uniform", "he_normal", "lecun_normal", "INITIALIZERS", "get", "calculate_gain", "calculate_fans",
           "orthogonal", "pytorch_linear_default"]


def _shape(fan_in, fan_out, who):
    return (check_int("fan_in", fan_in, 1, where=f"{who}: "), check_int("fan_out", fan_out, 1, where=f"{who}: "))


def _initializer(fn):
    """Decorator: check ``seed`` (the shape is checked by ``_shape`` in each initializer)."""

    sig = inspect.signature(fn)

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        bound = sig.bind(*args, **kwargs)
        bound.arguments["seed"] = check_seed(bound.arguments.get("seed"), where=f"{fn.__name__}: ")
        return fn(*bound.args, **bound.kwargs)

    return wrapper


def _put(a):
    return backend.asarray(np.asarray(a, dtype=np.float64))


def _gain(gain, who):
    return check_param("gain", gain, 0.0, low_open=True, where=f"{who}: ")


def _fan(shape, mode, who):
    return shape[0] if check_choice("mode", mode, ("fan_in", "fan_out"), where=f"{who}: ") == "fan_in" else shape[1]


@_initializer
def zeros(fan_in, fan_out, seed=None):
    """W = 0: every unit computes the same thing and gets the same update (the symmetry problem)."""
    return _put(np.zeros(_shape(fan_in, fan_out, "zeros")))


@_initializer
def constant(fan_in, fan_out, value=0.1, seed=None):
    """W = value everywhere: as symmetric as zeros."""
    value = check_param("value", value, where="constant: ")
    return _put(np.full(_shape(fan_in, fan_out, "constant"), value))


@_initializer
def random_normal(fan_in, fan_out, std=0.01, seed=None):
    """W ~ N(0, std^2), a fixed scale whatever the layer's size."""
    std = check_param("std", std, 0.0, low_open=True, where="random_normal: ")
    return _put(np.random.default_rng(seed).normal(0.0, std, _shape(fan_in, fan_out, "random_normal")))


@_initializer
def random_uniform(fan_in, fan_out, limit=0.05, seed=None):
    """W ~ U(-limit, limit), a fixed scale whatever the layer's size."""
    limit = check_param("limit", limit, 0.0, low_open=True, where="random_uniform: ")
    return _put(np.random.default_rng(seed).uniform(-limit, limit, _shape(fan_in, fan_out, "random_uniform")))


@_initializer
def xavier_uniform(fan_in, fan_out, seed=None, gain=1.0):
    """Glorot uniform: W ~ U(-a, a), a = sqrt(6 / (fan_in + fan_out)), so Var W = 2 / (fan_in + fan_out).

    With ``gain`` (> 0) a = gain * sqrt(6 / (fan_in + fan_out)), as ``torch.nn.init.xavier_uniform_``.
    """
    shape = _shape(fan_in, fan_out, "xavier_uniform")
    gain = _gain(gain, "xavier_uniform")
    a = math.sqrt(6.0 / (shape[0] + shape[1]))
    if gain != 1.0:
        a = gain * a
    return _put(np.random.default_rng(seed).uniform(-a, a, shape))


@_initializer
def xavier_normal(fan_in, fan_out, seed=None, gain=1.0):
    """Glorot normal: W ~ N(0, 2 / (fan_in + fan_out)).

    With ``gain`` (> 0) the std is gain * sqrt(2 / (fan_in + fan_out)), as ``torch.nn.init.xavier_normal_``.
    """
    shape = _shape(fan_in, fan_out, "xavier_normal")
    gain = _gain(gain, "xavier_normal")
    std = math.sqrt(2.0 / (shape[0] + shape[1]))
    if gain != 1.0:
        std = gain * std
    return _put(np.random.default_rng(seed).normal(0.0, std, shape))


@_initializer
def he_uniform(fan_in, fan_out, seed=None, a=0.0, mode="fan_in"):
    """He (Kaiming) uniform: W ~ U(-b, b), b = sqrt(6 / fan_in), so Var W = 2 / fan_in.

    As ``torch.nn.init.kaiming_uniform_(a=a, mode=mode, nonlinearity="leaky_relu")``: ``a`` is the negative
    slope of a leaky ReLU, b = sqrt(6 / ((1 + a^2) fan)) with fan = fan_in (``mode="fan_in"``, keeps the forward
    variance) or fan_out (``mode="fan_out"``, keeps the backward one). ``a = sqrt(5)`` gives b = 1/sqrt(fan_in),
    Var W = 1 / (3 fan_in): PyTorch's default for ``nn.Linear``.
    """
    shape = _shape(fan_in, fan_out, "he_uniform")
    fan = _fan(shape, mode, "he_uniform")
    slope = check_param("a", a, where="he_uniform: ")
    a = math.sqrt(6.0 / ((1 + slope * slope) * fan))
    return _put(np.random.default_rng(seed).uniform(-a, a, shape))


@_initializer
def he_normal(fan_in, fan_out, seed=None, a=0.0, mode="fan_in"):
    """He (Kaiming) normal: W ~ N(0, 2 / fan_in), for ReLU layers.

    As ``torch.nn.init.kaiming_normal_(a=a, mode=mode, nonlinearity="leaky_relu")``: Var W = 2 / ((1 + a^2) fan)
    with ``a`` a leaky ReLU's negative slope and fan = fan_in (``mode="fan_in"``) or fan_out (``"fan_out"``).
    """
    shape = _shape(fan_in, fan_out, "he_normal")
    fan = _fan(shape, mode, "he_normal")
    slope = check_param("a", a, where="he_normal: ")
    return _put(np.random.default_rng(seed).normal(0.0, math.sqrt(2.0 / ((1 + slope * slope) * fan)), shape))


@_initializer
def lecun_normal(fan_in, fan_out, seed=None):
    """LeCun normal: W ~ N(0, 1 / fan_in), for SELU's self-normalising networks."""
    shape = _shape(fan_in, fan_out, "lecun_normal")
    return _put(np.random.default_rng(seed).normal(0.0, math.sqrt(1.0 / shape[0]), shape))


@_initializer
def pytorch_linear_default(fan_in, fan_out, seed=None):
    """PyTorch's ``nn.Linear`` weights: ``kaiming_uniform_(a=sqrt(5))``, W ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
    so Var W = 1 / (3 fan_in): a third of LeCun's variance, neither He nor Xavier."""
    return he_uniform(fan_in, fan_out, seed=seed, a=math.sqrt(5.0))


@_initializer
def orthogonal(fan_in, fan_out, seed=None, gain=1.0):
    """A (semi-)orthogonal matrix times ``gain``, as ``torch.nn.init.orthogonal_``.

    Draw A with N(0, 1) entries, shape (fan_in, fan_out) (transposed first when fan_in < fan_out), take its QR
    decomposition A = QR and fix the signs, Q <- Q diag(sign(diag R)), so that Q is uniformly (Haar) distributed;
    W = gain * Q (transposed back). Then W^T W = gain^2 I when fan_in >= fan_out and W W^T = gain^2 I when
    fan_in <= fan_out: every singular value of W equals ``gain``.
    """
    shape = _shape(fan_in, fan_out, "orthogonal")
    gain = _gain(gain, "orthogonal")
    flat = np.random.default_rng(seed).normal(0.0, 1.0, shape)
    wide = shape[0] < shape[1]
    if wide:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))
    if wide:
        q = q.T
    return _put(gain * q)


_GAINS = {"linear": 1.0, "conv1d": 1.0, "conv2d": 1.0, "conv3d": 1.0, "conv_transpose1d": 1.0,
          "conv_transpose2d": 1.0, "conv_transpose3d": 1.0, "sigmoid": 1.0, "tanh": 5.0 / 3, "relu": math.sqrt(2.0),
          "selu": 3.0 / 4}


def calculate_gain(nonlinearity, param=None):
    """The gain PyTorch recommends for an activation (``torch.nn.init.calculate_gain``).

    linear, conv*, sigmoid: 1; tanh: 5/3; relu: sqrt(2); leaky_relu: sqrt(2 / (1 + slope^2)) with ``param`` the
    negative slope (default 0.01); selu: 3/4. Multiply a fan-scaled std (Xavier, LeCun) by it.
    """
    names = tuple(_GAINS) + ("leaky_relu",)
    check_choice("nonlinearity", nonlinearity, names, where="calculate_gain: ")
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else check_param("param", param, where="calculate_gain: ")
        return math.sqrt(2.0 / (1 + slope**2))
    return _GAINS[nonlinearity]


def calculate_fans(shape):
    """(fan_in, fan_out) of a weight of PyTorch layout: shape (out, in) for a linear layer, (C_out, C_in, k1, ...)
    for a convolution, as ``torch.nn.init._calculate_fan_in_and_fan_out``: fan_in = C_in * k1 * ...,
    fan_out = C_out * k1 * ....

    nnkernel's dense weights are stored the other way round, (fan_in, fan_out), and its initializers take the two
    fans directly; a convolution's weights are ``he_normal(*calculate_fans(shape))`` reshaped.
    """
    if isinstance(shape, (str, bytes)) or not hasattr(shape, "__len__"):
        raise TypeError(f"calculate_fans: shape must be a tuple of positive integers, got {_describe(shape)}")
    dims = [check_int("shape entry", d, 1, where="calculate_fans: ") for d in shape]
    if len(dims) < 2:
        raise ValueError(f"calculate_fans: shape needs at least 2 dimensions, got {tuple(shape)!r}")
    receptive = math.prod(dims[2:])
    return dims[1] * receptive, dims[0] * receptive


INITIALIZERS = {f.__name__: f for f in (zeros, constant, random_normal, random_uniform, xavier_uniform,
                                        xavier_normal, he_uniform, he_normal, lecun_normal)}


def get(init):
    """An initializer from its name, or the callable itself."""
    if callable(init):
        return init
    if not isinstance(init, str):
        raise TypeError(f"init must be the name of an initializer ({', '.join(INITIALIZERS)}) or a function, "
                        f"got {_describe(init)}")
    if init not in INITIALIZERS:
        raise ValueError(f"unknown initializer {init!r}; choose one of {', '.join(INITIALIZERS)}")
    return INITIALIZERS[init]
