"""Exponentially weighted moving averages.

V_0 = 0, V_t = beta V_{t-1} + (1 - beta) x_t: unrolled, V_t is the weighted
sum of x_t, x_{t-1}, ... with weights (1 - beta) beta^k, which sum to
1 - beta^t.  Dividing by that sum (bias correction) turns V_t into a true
weighted average, and removes the pull towards the starting value 0.
"""
from __future__ import annotations

from array_api_compat import is_numpy_namespace

from . import backend
from ._common import check_bool, check_int, check_param, prepare

__all__ = ["ewma", "ewma_weights"]


def ewma(x, beta, bias_correction=False):
    """V_1..V_T for the series ``x`` (time on axis 0); with ``bias_correction``, V_t / (1 - beta^t).

    ``beta`` must be in [0, 1): beta = 0 returns x itself; beta -> 1 averages over ever longer windows.
    """
    beta = check_param("beta", beta, 0.0, 1.0, high_open=True, where="ewma: ")
    bias_correction = check_bool("bias_correction", bias_correction, where="ewma: ")
    xp, (x,) = prepare(x, names=("x",), where="ewma: ")
    if x.ndim == 0:
        raise ValueError("ewma: x must have a time axis (axis 0), got a scalar")
    T = x.shape[0]
    if is_numpy_namespace(xp):
        from scipy.signal import lfilter

        v = lfilter([1.0 - beta], [1.0, -beta], x, axis=0).astype(x.dtype, copy=False)
    else:
        rows, prev = [], xp.zeros_like(x[0, ...])
        for t in range(T):
            prev = beta * prev + (1.0 - beta) * x[t, ...]
            rows.append(prev)
        v = xp.stack(rows, axis=0)
    if bias_correction:
        t = xp.arange(1, T + 1, dtype=x.dtype, device=getattr(x, "device", None))
        corr = 1.0 - beta ** t
        v = v / xp.reshape(corr, (T,) + (1,) * (x.ndim - 1))
    return v


def ewma_weights(beta, t):
    """The weight (1 - beta) beta^k that V_t gives to x_{t-k}, for k = 0..t-1 (most recent first).

    Returns a float64 array of length ``t`` on the active backend (``nk.use``), like the
    data sets and initializers; the values are computed on the host, so they are the
    same on every backend.
    """
    import numpy as np

    beta = check_param("beta", beta, 0.0, 1.0, high_open=True, where="ewma_weights: ")
    k = np.arange(check_int("t", t, 0, where="ewma_weights: "))
    return backend.asarray(np.asarray((1.0 - beta) * beta ** k, dtype=np.float64))
