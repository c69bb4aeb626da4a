"""Round-off, shown as round-off: agreements reported as bounds that hold on every CPU.

Two floating-point computations of the same quantity agree only up to
round-off, and the last digits of their difference change from one computer to
the next (SIMD width, BLAS kernel, fused multiply-add).  A number such as
"2.7e-16" printed in a chapter is therefore a different number on every
machine.  This module reports such an agreement as a bound instead::

    u     = eps / 2                              the unit round-off (1.1e-16 in float64)
    bound = 10^ceil(log10(4 n u scale))          a power of ten above c n u scale

``n u scale`` is the classical first-order bound for a result reached through
``n`` roundings of values of size ``scale`` (Higham, *Accuracy and Stability
of Numerical Algorithms*, the gamma_n = n u / (1 - n u) of chapter 3), and the
factor 4 leaves room for constants in it.  The bound depends only on the dtype,
``n`` and ``scale``, never on the digits of the error, so the printed text is
the same wherever the computation is run::

    >>> import numpy as np, nnkernel as nk
    >>> x = np.linspace(-3, 3, 7)
    >>> str(nk.agree(np.tanh(x), 2 / (1 + np.exp(-2 * x)) - 1))
    '< 1e-14 (round-off)'

When the difference is larger than the bound it is shown with two significant
digits and the words "above round-off": a real discrepancy, which the reader
should see.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import backend

__all__ = ["Agreement", "agree", "roundoff_bound", "unit_roundoff"]

#: the constant c in the bound c n u scale
SAFETY = 4.0


def unit_roundoff(dtype="float64") -> float:
    """The unit round-off u = eps / 2 of a floating dtype (2^-53 in float64, 2^-24 in float32)."""
    dt = np.dtype(getattr(dtype, "name", dtype) if not isinstance(dtype, np.dtype) else dtype)
    if dt.kind != "f":
        raise TypeError(f"unit_roundoff: dtype must be a floating dtype, got {dt}")
    return float(np.finfo(dt).eps) / 2.0


def _check_n(n):
    if isinstance(n, bool) or not isinstance(n, (int, float, np.integer, np.floating)) or not (n >= 1) or not math.isfinite(n):
        raise ValueError(f"n (the number of rounding steps) must be a finite number >= 1, got {n!r}")
    return float(n)


def roundoff_bound(dtype="float64", n=1, scale=1.0) -> float:
    """The smallest power of ten at or above 4 n u scale: a round-off bound that prints the same everywhere."""
    n = _check_n(n)
    try:
        scale = float(scale)
    except (TypeError, ValueError):
        raise TypeError(f"scale must be a real number, got {scale!r}") from None
    if not (math.isfinite(scale) and scale >= 0):
        raise ValueError(f"scale must be a finite number >= 0, got {scale!r}")
    raw = SAFETY * n * unit_roundoff(dtype) * max(scale, np.finfo(np.float64).tiny)
    # the small nudge keeps an exact power of ten (1e-15 computed as 1.0000000000000002e-15) where it is
    return 10.0 ** math.ceil(math.log10(raw) - 1e-9)


@dataclass(frozen=True)
class Agreement:
    """How closely two computations agree: the error, the round-off bound, and whether it holds."""

    error: float
    bound: float

    @property
    def ok(self) -> bool:
        """True when the difference is within round-off."""
        return self.error <= self.bound

    def __bool__(self):
        return self.ok

    def __str__(self):
        if self.ok:
            return f"< {self.bound:.0e} (round-off)"
        return f"{self.error:.2g} (above round-off, which is < {self.bound:.0e})"

    def __format__(self, spec):
        return format(str(self), spec)


def _host(a):
    return np.asarray(backend.to_numpy(a))


def agree(a, b=0.0, *, n=16, scale=None, dtype=None) -> Agreement:
    """Compare ``a`` with ``b`` (default 0) and report max |a - b| against a round-off bound.

    ``n``: the number of rounding steps behind each value (default 16, a short formula; for a sum or
    a dot product of m terms pass about m).  ``scale``: the size of the values that were rounded
    (default the largest |a| or |b|; pass the size of the cancelled terms when the result should be
    0).  ``dtype``: the precision (default that of ``a`` and ``b``).
    """
    ha, hb = _host(a), _host(b)
    for label, h in (("a", ha), ("b", hb)):
        if h.dtype.kind not in "biuf":
            raise TypeError(f"agree: {label} must be real numbers, got dtype {h.dtype}")
    try:
        diff = np.abs(ha.astype(np.float64) - hb.astype(np.float64))
    except ValueError:
        raise ValueError(f"agree: a of shape {ha.shape} and b of shape {hb.shape} do not broadcast") from None
    if diff.size == 0:
        raise ValueError("agree: there is nothing to compare (empty arrays)")
    if not np.all(np.isfinite(ha)) or not np.all(np.isfinite(hb)):
        raise ValueError("agree: a and b must be finite (NaN or infinity cannot be compared to round-off)")
    if dtype is None:
        kinds = [h.dtype for h in (ha, hb) if h.dtype.kind == "f"] or [np.dtype(np.float64)]
        dtype = max(kinds, key=lambda d: np.finfo(d).eps)  # the coarser precision decides
    if scale is None:
        scale = max(float(np.max(np.abs(ha), initial=0.0)), float(np.max(np.abs(hb), initial=0.0)))
    return Agreement(float(diff.max()), roundoff_bound(dtype, n, scale))
