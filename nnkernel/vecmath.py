"""exp, expm1, log1p, tanh and erfc as plain float64 arithmetic, so that compiled loops run them in SIMD.

Numba compiles ``math.exp`` (and log1p, erfc, ...) to a call into the C
library, one element at a time: a loop that calls it cannot be vectorized.
Here each function is written as range reduction, a polynomial, and
selects instead of branches, which LLVM turns into SIMD code (8 float64 lanes
with AVX-512, 4 with AVX2), with fused multiply-adds where the CPU has them
(``fastmath={"contract"}``, nothing else of fast-math).  The fused loops use
these for float32 arrays: they compute in float64 and round once to float32,
so the relative errors here (below 1e-11) vanish in that rounding.  They are
sized for float32 results, not for float64 ones.

* ``exp(x) = 2^k e^r`` with ``k = round(x / ln 2)``, ``r = x - k ln 2`` (ln 2 in
  two parts, Cody and Waite) and ``e^r`` by its Taylor polynomial of degree 11
  on ``|r| <= ln(2)/2`` (truncation < 1e-14); ``2^k`` is built from its bits,
  so results below 1e-307 (x < -707) are flushed to 0.
* ``expm1(x) = 2^k (e^r - 1) + (2^k - 1)``, the reduction of exp, with ``e^r - 1`` by the same polynomial.
* ``log1p(u) = 2 atanh(s) = 2 (s + s^3/3 + s^5/5 + ...)`` with ``s = u / (2 + u)``;
  for ``0 <= u <= 1`` (``s <= 1/3``) 17 terms leave a truncation below 1e-17.
  This domain is all the fused formulas use (``u = e^{-|z|}`` and the like).
* ``tanh(x) = sign(x) t / (2 - t)`` with ``t = -expm1(-2|x|)``.
* ``erfc(x) = t e^{-x^2} P(t)`` with ``t = 1 / (1 + x/2)`` (the variable of Numerical
  Recipes' ``erfcc``) and ``P`` a polynomial of degree 15 fitted (Chebyshev, against
  mpmath) to ``erfc(x) e^{x^2} / t`` on ``0 <= x <= 11``; ``2 - erfc(-x)`` for ``x < 0``.
  Its relative error is below 1e-11.

``tests/test_vecmath.py`` measures each against mpmath at 100 bits and checks
the special values (NaN, +-inf, +-0, underflow, overflow); the fused loops'
tests check the float32 results against the formulas.
"""
from __future__ import annotations

import math

import numba
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

__all__ = ["exp", "expm1", "log1p", "tanh", "erfc"]


@intrinsic
def _from_bits(typingctx, bits):
    """The float64 whose IEEE-754 bit pattern is the int64 ``bits`` (a bitcast: vectorizes)."""

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


@intrinsic
def _to_bits(typingctx, x):
    """The IEEE-754 bit pattern of the float64 ``x``, as an int64 (a bitcast: vectorizes)."""

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(types.float64), codegen


#: fused multiply-add allowed (one rounding instead of two), nothing else of fast-math
FMA = {"contract"}
_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01  # ln 2 rounded to 32 bits: k * _LN2_HI is exact for |k| < 2^21
_LN2_LO = 1.90821492927058770002e-10  # ln 2 - _LN2_HI
_SHIFT = 6755399441055744.0  # 1.5 * 2^52: y + _SHIFT rounds y to an integer, kept in the low bits
_EXP_MAX = 709.782712893384  # ln(largest float64): above, e^x overflows
_EXP_MIN = -707.0  # below, 0: 2^(k-1) must be a normal number (results under 1e-307 are flushed)
_HALF_LN2 = 0.34657359027997264


@numba.njit(inline="always", fastmath=FMA)
def _reduce(x, low):
    """(r, 2^(k-1)) with x = k ln 2 + r, |r| <= ln(2)/2, for x clamped to [low, _EXP_MAX]."""
    c = x if x > low else low  # NaN takes the bound here (the callers put it back)
    c = c if c < _EXP_MAX else _EXP_MAX
    t = c * _LOG2E + _SHIFT
    kf = t - _SHIFT
    r = (c - kf * _LN2_HI) - kf * _LN2_LO
    return r, _from_bits((_to_bits(t) << 52) + (1022 << 52))  # k sits in t's low bits; 2^(k-1) is normal


@numba.njit(inline="always", fastmath=FMA)
def _exp_taylor(r):
    """q(r) with e^r = 1 + r + r^2 q(r), to degree 11 (truncation below 2e-14 for |r| <= ln(2)/2)."""
    q = 2.505210838544172e-08
    q = q * r + 2.755731922398589e-07
    q = q * r + 2.7557319223985893e-06
    q = q * r + 2.48015873015873e-05
    q = q * r + 0.0001984126984126984
    q = q * r + 0.001388888888888889
    q = q * r + 0.008333333333333333
    q = q * r + 0.041666666666666664
    q = q * r + 0.16666666666666666
    q = q * r + 0.5
    return q


@numba.njit(inline="always", fastmath=FMA)
def exp(x):
    """e^x for a float64 x: 2^k e^r; inf above 709.78, 0 below -707 (no subnormals), NaN kept."""
    r, half_scale = _reduce(x, _EXP_MIN)
    y = (1.0 + (r + r * r * _exp_taylor(r))) * half_scale * 2.0
    y = y if x <= _EXP_MAX else math.inf
    y = y if x >= _EXP_MIN else 0.0
    return y if x == x else x


@numba.njit(inline="always", fastmath=FMA)
def expm1(x):
    """e^x - 1 for a float64 x, without cancellation near 0: ``2^k (r + r^2 q(r)) + (2^k - 1)`` with the
    reduction of :func:`exp` (k = 0 for |x| < ln(2)/2, where this is r + r^2 q(r) itself); -1 below -40."""
    r, half_scale = _reduce(x, -40.0)
    s = half_scale * 2.0
    y = s * (r + r * r * _exp_taylor(r)) + (s - 1.0)
    y = y if x <= _EXP_MAX else math.inf
    y = y if x > -40.0 else -1.0
    y = y if x != 0.0 else x  # keeps the sign of zero
    return y if x == x else x


@numba.njit(inline="always", fastmath=FMA)
def log1p(u):
    """log(1 + u) for a float64 0 <= u <= 1 (NaN kept): 2 atanh(s), s = u / (2 + u), by its series."""
    s = u / (2.0 + u)
    s2 = s * s
    q = 1.0 / 33.0
    q = q * s2 + 1.0 / 31.0
    q = q * s2 + 1.0 / 29.0
    q = q * s2 + 1.0 / 27.0
    q = q * s2 + 1.0 / 25.0
    q = q * s2 + 1.0 / 23.0
    q = q * s2 + 1.0 / 21.0
    q = q * s2 + 1.0 / 19.0
    q = q * s2 + 1.0 / 17.0
    q = q * s2 + 1.0 / 15.0
    q = q * s2 + 1.0 / 13.0
    q = q * s2 + 1.0 / 11.0
    q = q * s2 + 1.0 / 9.0
    q = q * s2 + 1.0 / 7.0
    q = q * s2 + 1.0 / 5.0
    q = q * s2 + 1.0 / 3.0
    return 2.0 * s + 2.0 * s * (s2 * q)


@numba.njit(inline="always", fastmath=FMA)
def tanh(x):
    """tanh x for a float64 x: sign(x) t / (2 - t) with t = -expm1(-2|x|) (tanh(+-inf) = +-1, NaN kept)."""
    t = -expm1(-2.0 * abs(x))
    y = math.copysign(t / (2.0 - t), x)
    return y if x == x else x


_ERFC_MAX = 11.0  # beyond, erfc(x) < 1.5e-54: 0 (or 2) to any float32 result
_ERFC_MID = 0.5769230769230769  # t runs over [1/6.5, 1]: u = (t - mid) / half runs over [-1, 1]
_ERFC_INV_HALF = 2.3636363636363638


@numba.njit(inline="always", fastmath=FMA)
def erfc(x):
    """The complementary error function 1 - erf(x) for a float64 x: ``t e^{-a^2} P(t)``, a = |x|,
    t = 1 / (1 + a/2), with P of degree 15 fitted to erfc(a) e^{a^2} / t on 0 <= a <= 11 (relative error
    below 1e-11: sized for float32 results); ``2 - erfc(-x)`` for x < 0; 0 and 2 beyond |x| = 11; NaN kept."""
    a = abs(x)
    a = a if a < _ERFC_MAX else _ERFC_MAX  # NaN takes the bound here, and is put back at the end
    t = 1.0 / (1.0 + 0.5 * a)
    u = (t - _ERFC_MID) * _ERFC_INV_HALF
    p = -3.304473045450371e-08
    p = p * u + -9.402393998941647e-08
    p = p * u + 5.391073615691722e-07
    p = p * u + 7.477492863277842e-08
    p = p * u + -3.8696749112852906e-06
    p = p * u + 6.578409365358756e-06
    p = p * u + 1.4713009236901303e-05
    p = p * u + -7.649423460922692e-05
    p = p * u + 7.385338590215569e-06
    p = p * u + 0.0006529189698774541
    p = p * u + -0.000725431400991282
    p = p * u + -0.006488947244751062
    p = p * u + 0.006636721174829417
    p = p * u + 0.1049006015359392
    p = p * u + 0.3280580425268963
    p = p * u + 0.5670172947761631
    y = t * exp(-a * a) * p
    y = y if x >= 0 else 2.0 - y
    y = y if x < _ERFC_MAX else 0.0
    y = y if x > -_ERFC_MAX else 2.0
    return y if x == x else x
