"""Small helpers shared by the kernel modules: namespaces, dtypes, checks."""
from __future__ import annotations

import math

import numpy as np
from array_api_compat import array_namespace, is_array_api_obj, is_cupy_namespace, is_numpy_namespace

from . import backend


def prepare(*arrays):
    """Return ``(xp, arrays)``: the arrays' namespace and the arrays as floating arrays.

    Non-array inputs (numbers, lists) are put on the active backend first;
    integer and boolean arrays become float64.
    """
    arrs = [a if is_array_api_obj(a) else backend.asarray(a) for a in arrays]
    xp = array_namespace(*arrs)
    out = []
    for a in arrs:
        if not xp.isdtype(a.dtype, "real floating"):
            a = xp.astype(a, xp.float64)
        out.append(a)
    return xp, out


def check_param(name, value, low=-math.inf, high=math.inf, *, low_open=False, high_open=False, where=""):
    """Raise ValueError unless ``value`` is a finite real in the stated range; return it as float."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{where}{name} must be a real number, got {value!r}") from None
    ok = math.isfinite(v)
    ok = ok and (v > low if low_open else v >= low) and (v < high if high_open else v <= high)
    if not ok:
        lo = "(" if low_open else "["
        hi = ")" if high_open else "]"
        lo_s = "-inf" if low == -math.inf else f"{low:g}"
        hi_s = "inf" if high == math.inf else f"{high:g}"
        if low == -math.inf:
            lo = "("
        if high == math.inf:
            hi = ")"
        raise ValueError(f"{where}{name} must be in {lo}{lo_s}, {hi_s}{hi}, got {value!r}")
    return v


def erfc(x):
    """The complementary error function 1 - erf(x), by the array library's own special-function module.

    erfc keeps full relative accuracy where 1 - erf(x) would cancel (large x),
    which is what the normal distribution Phi(z) = erfc(-z / sqrt 2) / 2 needs
    in its lower tail.
    """
    xp = array_namespace(x)
    if is_numpy_namespace(xp):
        from scipy.special import erfc as _erfc

        return _erfc(x)
    if is_cupy_namespace(xp):  # pragma: no cover - needs a GPU
        from cupyx.scipy.special import erfc as _erfc

        return _erfc(x)
    special = getattr(xp, "special", None)
    if special is not None and hasattr(special, "erfc"):  # e.g. torch
        return special.erfc(x)
    from scipy.special import erfc as _erfc

    host = backend.to_numpy(x)
    return xp.asarray(_erfc(host), dtype=x.dtype, device=getattr(x, "device", None))


def where(cond, a, b, like):
    """``xp.where`` that accepts Python numbers for ``a`` and ``b`` (cast to ``like``'s dtype)."""
    xp = array_namespace(like)
    if not is_array_api_obj(a):
        a = xp.asarray(a, dtype=like.dtype, device=getattr(like, "device", None))
    if not is_array_api_obj(b):
        b = xp.asarray(b, dtype=like.dtype, device=getattr(like, "device", None))
    return xp.where(cond, a, b)


def host_scalar(x) -> float:
    """A 0-d array (any backend) as a Python float."""
    return float(np.asarray(backend.to_numpy(x)))
