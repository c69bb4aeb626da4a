"""Fused kernels for large NumPy arrays: each formula in one multithreaded pass, compiled by Numba.

NumPy evaluates a formula such as e^{-|z|} / (1 + e^{-|z|})^2 one operation at
a time: every operation reads a whole array, allocates a new one and writes it,
on one core.  On a million elements that memory traffic, not the arithmetic,
is the cost.  Numba compiles the same formula into one loop that reads z once,
writes the result once and splits the array across the cores.

These kernels accelerate, they do not define: ``activations.py`` and
``losses.py`` state every formula in array-API code, which is what runs on
CuPy, on other array libraries and on small NumPy arrays, and the tests check
that the two agree to round-off.  A kernel here is used when Numba is
installed and every operand is a NumPy array of float32 or float64, with at
least ``MIN_SIZE`` elements in all; ``NNKERNEL_FUSED=0`` (or false/no/off) turns them off.  A process
forked after its parent ran a kernel (multiprocessing on Linux) uses the formulas, since the
parent's thread pool does not survive a fork; calls from several threads take turns.
Numba is imported, and each kernel compiled, on first use (about half a
second per kernel and dtype), so small-array work never pays for it.

A fused formula rounds fewer times than the same formula evaluated step by
step, so float32 results can differ from NumPy's in the last bit.
"""
from __future__ import annotations

import math
import os
import threading
from functools import lru_cache

import numpy as np

from ._common import env_flag

#: the smallest work (elements, all operands together) that the fused kernels take
MIN_SIZE = 1 << 16

_FLOATS = (np.float32, np.float64)
#: one kernel at a time: Numba's fallback thread pool (workqueue) aborts the process on concurrent use
_LOCK = threading.Lock()
#: set in a child process forked after the parent ran a kernel: the child's thread pool is not usable
_FORKED_AFTER_USE = False


def _after_fork_in_child():
    global _FORKED_AFTER_USE
    if kernel.cache_info().currsize:  # the parent started Numba's threads (GNU OpenMP cannot survive a fork)
        _FORKED_AFTER_USE = True


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


@lru_cache(maxsize=None)
def _numba_works() -> bool:
    """Whether Numba imports (it can be installed yet refuse a NumPy newer than it supports)."""
    try:
        import numba  # noqa: F401
    except Exception:  # any failure: the array-API formulas serve alone
        return False
    return True


def enabled() -> bool:
    """Whether the fused kernels are in use: Numba importable, ``NNKERNEL_FUSED`` not off, not a forked child.

    ``NNKERNEL_FUSED`` accepts 1/true/yes/on and 0/false/no/off (any case); anything else is a ValueError.
    """
    return env_flag("NNKERNEL_FUSED", True) and not _FORKED_AFTER_USE and _numba_works()


def applies(*arrays) -> bool:
    """True when the fused kernels should take these operands (see the module's docstring)."""
    size = 0
    for a in arrays:
        if type(a) is not np.ndarray or a.dtype.type not in _FLOATS:
            return False
        size += a.size
    return size >= MIN_SIZE and enabled()  # in this order: small work never imports Numba


# ----------------------------------------------------------------------------- the scalar formulas
# Plain Python on floats, the same formulas as the array-API code (see there for why each form is stable).
def _sigmoid(z):
    e = math.exp(-abs(z))
    return (1.0 if z >= 0 else e) / (1.0 + e)


def _sigmoid_grad(z):
    e = math.exp(-abs(z))
    d = 1.0 + e
    return e / (d * d)


def _tanh_grad(z):
    e = math.exp(-2.0 * abs(z))
    d = 1.0 + e
    return 4.0 * e / (d * d)


def _leaky_relu(z, alpha):
    return z if z > 0 else (alpha * z if alpha != 0.0 else 0.0)


def _leaky_relu_grad(z, alpha):
    return 1.0 if z > 0 else alpha


def _elu(z, alpha, scale):
    return scale * z if z > 0 else scale * (alpha * math.expm1(z))


def _elu_grad(z, alpha, scale):
    return scale if z > 0 else scale * (alpha * math.exp(z))


def _softplus(z):
    return max(z, 0.0) + math.log1p(math.exp(-abs(z)))


# At z = -inf (and +inf in the derivatives) a product z * 0 is taken as its limit 0, not NaN; beta = 0 is z / 2.
def _swish(z, beta):
    bz = beta * z if beta != 0.0 else 0.0
    e = math.exp(-abs(bz))
    s = (1.0 if bz >= 0 else e) / (1.0 + e)
    return z * s if s != 0.0 else 0.0


def _swish_grad(z, beta):  # e ((1 + b) + e) / (1 + e)^2 for b < 0: 1 + b exact where the terms would cancel
    b = beta * z if beta != 0.0 else 0.0
    e = math.exp(-abs(b))
    if e == 0.0:  # |b| = inf (or so large that b e underflows): the limits 0 and 1
        return 0.0 if b < 0 else 1.0
    d = 1.0 + e
    num = e * ((1.0 + b) + e) if b < 0 else d + b * e
    return num / d / d


def _gelu(z):
    c = math.erfc(-z / 1.4142135623730951)
    return 0.5 * z * c if c != 0.0 else 0.0


def _gelu_grad(z):
    e = math.exp(-0.5 * z * z)
    return 0.5 * math.erfc(-z / 1.4142135623730951) + (z * 0.3989422804014327 * e if e != 0.0 else 0.0)


def _huber(t, p, delta):
    a = abs(p - t)
    return 0.5 * a * a if a <= delta else delta * (a - 0.5 * delta)


def _huber_grad(t, p, delta, inv_n):
    return min(max(p - t, -delta), delta) * inv_n


def _log_cosh(t, p):
    a = abs(p - t)
    if a <= 1.0:  # cosh a - 1 = (e^a - 1)(1 - e^-a) / 2, free of cancellation
        return math.log1p(math.expm1(a) * -math.expm1(-a) / 2.0)
    return a + math.log1p(math.exp(-2.0 * a)) - 0.6931471805599453


def _log_cosh_grad(t, p, inv_n):
    return math.tanh(p - t) * inv_n


def _bce_logits(t, z):
    return max(z, 0.0) - z * t + math.log1p(math.exp(-abs(z)))


def _bce_logits_grad(t, z, inv_n):  # (1 - y) sigma(z) - y sigma(-z): no cancellation for y = 1, z large
    e = math.exp(-abs(z))
    d = 1.0 + e
    s_pos = (1.0 if z >= 0 else e) / d
    s_neg = (e if z >= 0 else 1.0) / d
    return ((1.0 - t) * s_pos - t * s_neg) * inv_n


#: name -> (scalar formula, number of array operands, number of scalar parameters)
FORMULAS = {
    "sigmoid": (_sigmoid, 1, 0), "sigmoid_grad": (_sigmoid_grad, 1, 0), "tanh_grad": (_tanh_grad, 1, 0),
    "leaky_relu": (_leaky_relu, 1, 1), "leaky_relu_grad": (_leaky_relu_grad, 1, 1),
    "elu": (_elu, 1, 2), "elu_grad": (_elu_grad, 1, 2), "softplus": (_softplus, 1, 0),
    "swish": (_swish, 1, 1), "swish_grad": (_swish_grad, 1, 1), "gelu": (_gelu, 1, 0),
    "gelu_grad": (_gelu_grad, 1, 0),
    "huber": (_huber, 2, 1), "huber_grad": (_huber_grad, 2, 2), "log_cosh": (_log_cosh, 2, 0),
    "log_cosh_grad": (_log_cosh_grad, 2, 1), "bce_logits": (_bce_logits, 2, 0),
    "bce_logits_grad": (_bce_logits_grad, 2, 1),
}

# from the loop's uniform call (x, y, a, b) to each formula's own arguments, by (arrays, parameters)
_ADAPTERS = {
    (1, 0): lambda f: lambda x, y, a, b: f(x),
    (1, 1): lambda f: lambda x, y, a, b: f(x, a),
    (1, 2): lambda f: lambda x, y, a, b: f(x, a, b),
    (2, 0): lambda f: lambda x, y, a, b: f(x, y),
    (2, 1): lambda f: lambda x, y, a, b: f(x, y, a),
    (2, 2): lambda f: lambda x, y, a, b: f(x, y, a, b),
}


@lru_cache(maxsize=None)
def kernel(name: str):
    """The loop for ``FORMULAS[name]``: ``loop(x, y, a, b, out)`` over flat arrays, split across the cores."""
    import numba

    fn, arrays, params = FORMULAS[name]
    f = numba.njit(inline="always")(fn)
    g = numba.njit(inline="always")(_ADAPTERS[arrays, params](f))

    @numba.njit(parallel=True)
    def loop(x, y, a, b, out):
        for i in numba.prange(out.size):
            out[i] = g(x[i], y[i], a, b)

    return loop


def call(name: str, *args):
    """``FORMULAS[name]`` elementwise: the array operands first (one shape), then the scalar parameters."""
    _, arrays, params = FORMULAS[name]
    operands = args[:arrays]
    dtype = np.result_type(*operands)
    flat = [np.ascontiguousarray(a, dtype=dtype).reshape(-1) for a in operands]
    values = [float(v) for v in args[arrays:]] + [0.0] * (2 - params)
    out = np.empty(operands[0].shape, dtype=dtype)
    loop = kernel(name)
    with _LOCK:
        loop(flat[0], flat[-1], values[0], values[1], out.reshape(-1))
    return out
