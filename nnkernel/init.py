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
"""
from __future__ import annotations

import functools
import inspect
import math

import numpy as np

from . import backend
from ._common import _describe, check_int, check_param, check_seed

__all__ = ["zeros", "constant", "random_normal", "random_uniform", "xavier_uniform", "xavier_normal",
           "he_uniform", "he_normal", "lecun_normal", "INITIALIZERS", "get"]


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
def xavier_uniform(fan_in, fan_out, seed=None):
    """Glorot uniform: W ~ U(-a, a), a = sqrt(6 / (fan_in + fan_out)), so Var W = 2 / (fan_in + fan_out)."""
    shape = _shape(fan_in, fan_out, "xavier_uniform")
    a = math.sqrt(6.0 / (shape[0] + shape[1]))
    return _put(np.random.default_rng(seed).uniform(-a, a, shape))


@_initializer
def xavier_normal(fan_in, fan_out, seed=None):
    """Glorot normal: W ~ N(0, 2 / (fan_in + fan_out))."""
    shape = _shape(fan_in, fan_out, "xavier_normal")
    return _put(np.random.default_rng(seed).normal(0.0, math.sqrt(2.0 / (shape[0] + shape[1])), shape))


@_initializer
def he_uniform(fan_in, fan_out, seed=None):
    """He (Kaiming) uniform: W ~ U(-a, a), a = sqrt(6 / fan_in), so Var W = 2 / fan_in."""
    shape = _shape(fan_in, fan_out, "he_uniform")
    a = math.sqrt(6.0 / shape[0])
    return _put(np.random.default_rng(seed).uniform(-a, a, shape))


@_initializer
def he_normal(fan_in, fan_out, seed=None):
    """He (Kaiming) normal: W ~ N(0, 2 / fan_in), for ReLU layers."""
    shape = _shape(fan_in, fan_out, "he_normal")
    return _put(np.random.default_rng(seed).normal(0.0, math.sqrt(2.0 / shape[0]), shape))


@_initializer
def lecun_normal(fan_in, fan_out, seed=None):
    """LeCun normal: W ~ N(0, 1 / fan_in), for SELU's self-normalising networks."""
    shape = _shape(fan_in, fan_out, "lecun_normal")
    return _put(np.random.default_rng(seed).normal(0.0, math.sqrt(1.0 / shape[0]), shape))


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
