"""Activation functions and their derivatives.

Every activation is a function ``NAME(z, **params)`` and its elementwise
derivative ``NAME_grad(z, **params)`` (the derivative of the output with
respect to the input at the same position).  Both compute in the namespace of
``z`` (NumPy, CuPy or any array-API library) and are written so that inputs as
large as +-1e4 give finite results without overflow warnings.

Bad input gets a clear error, never a silent number: ``z`` must be a real
number or an array of real numbers (float, int or bool; TypeError otherwise),
NaN in gives NaN out at the same position in every activation and derivative
(as in PyTorch), +-inf gives the limit (swish(-inf) = 0, gelu'(+inf) = 1), and
an empty array gives an empty array.

At kinks the derivative takes PyTorch's convention (ReLU' (0) = 0,
LeakyReLU'(0) = alpha, ELU'(0) = alpha).  ``REGISTRY`` describes each activation
(parameters, range, properties) for tables and explorers.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np

from . import fused
from ._common import _NUMPY, check_int, check_param, erfc, prepare, size, where

__all__ = [
    "linear", "linear_grad", "binary_step", "binary_step_grad", "sigmoid", "sigmoid_grad",
    "tanh", "tanh_grad", "relu", "relu_grad", "leaky_relu", "leaky_relu_grad", "prelu",
    "prelu_grad", "elu", "elu_grad", "selu", "selu_grad", "softplus", "softplus_grad",
    "swish", "swish_grad", "gelu", "gelu_grad", "gaussian", "gaussian_grad", "softmax",
    "log_softmax", "softmax_jacobian", "maxout", "maxout_grad", "REGISTRY", "ActivationInfo",
    "ParamSpec", "SELU_ALPHA", "SELU_LAMBDA",
]

#: SELU's constants (Klambauer et al. 2017), as PyTorch uses them.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_LAMBDA = 1.0507009873554804934193349852946

_SQRT_2 = math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


# ----------------------------------------------------------------------------- argument checks
def _activation(nan_out=False):
    """Decorator: check ``z`` (a real number or array of real numbers, TypeError naming z otherwise) and
    pass it on as a floating array; with ``nan_out``, put NaN back wherever z is NaN, for formulas
    (comparisons, constants) that would otherwise turn a NaN into a number."""

    def deco(fn):
        where_ = f"{fn.__name__}: "

        @functools.wraps(fn)
        def wrapper(z, *args, **kwargs):
            if type(z) is np.ndarray and z.dtype.kind == "f":  # already a NumPy floating array: as it is
                xp = _NUMPY
            else:
                xp, (z,) = prepare(z, names=("z",), where=where_)
            out = fn(z, *args, **kwargs)
            if nan_out:
                if fused.check_applies(z) and not fused.has_nan(z):  # one parallel pass, no boolean array
                    return out
                nan = xp.isnan(z)
                if bool(nan.any() if type(nan) is np.ndarray else xp.any(nan)):  # the copy only if needed
                    out = xp.where(nan, z, out)
            return out

        return wrapper

    return deco


# ----------------------------------------------------------------------------- identity-like
@_activation(nan_out=True)
def linear(z, m=1.0):
    """Linear (identity when m = 1): g(z) = m z."""
    m = check_param("m", m, where="linear: ")
    xp, (z,) = prepare(z)
    return m * z if m else xp.zeros_like(z)  # 0 * inf is 0 here, the limit


@_activation(nan_out=True)
def linear_grad(z, m=1.0):
    """g'(z) = m, for every z."""
    m = check_param("m", m, where="linear: ")
    xp, (z,) = prepare(z)
    return xp.full_like(z, m)


@_activation(nan_out=True)
def binary_step(z):
    """Binary (Heaviside) step: g(z) = 1 if z >= 0 else 0."""
    xp, (z,) = prepare(z)
    return xp.astype(z >= 0, z.dtype)


@_activation(nan_out=True)
def binary_step_grad(z):
    """g'(z) = 0 for z != 0 (undefined at 0, taken as 0): no gradient signal at all."""
    xp, (z,) = prepare(z)
    return xp.zeros_like(z)


# ----------------------------------------------------------------------------- squashing
@_activation()
def sigmoid(z):
    """Logistic sigmoid: sigma(z) = 1 / (1 + e^{-z}), computed as e^{-|z|} ratios so it never overflows
    (small float32 NumPy arrays: SciPy's expit in float64, rounded once)."""
    if type(z) is np.ndarray and z.dtype.type is np.float32 and (z.size < fused.MIN_SIZE or not fused.applies(z)):
        # one C loop in float64, rounded once: a microsecond a call, and as accurate as the fused loop
        return _expit()(z.astype(np.float64)).astype(np.float32)
    xp, (z,) = prepare(z)
    if fused.applies(z):
        return fused.run("sigmoid", _sigmoid, xp, z)
    return _sigmoid(xp, z)


@functools.cache
def _expit():
    """SciPy's sigma(z) = 1 / (1 + e^{-z}) ufunc.  In float64 it is within about 2 ulp, except that below
    z = -709.78 e^{-z} overflows (without a warning) and it gives 0 where sigma is a float64 subnormal; in
    float32 every sigma below 1e-45 is 0 anyway, so it serves float32 input, evaluated in float64 and
    rounded once."""
    from scipy.special import expit

    return expit


def _sigmoid(xp, z):
    e = xp.exp(-xp.abs(z))
    return where(z >= 0, 1.0, e, like=z) / (1.0 + e)


@_activation()
def sigmoid_grad(z):
    """sigma'(z) = sigma(z) (1 - sigma(z)), computed as e^{-|z|} / (1 + e^{-|z|})^2 to keep full accuracy in the tails."""
    xp, (z,) = prepare(z)
    if fused.applies(z):
        return fused.run("sigmoid_grad", _sigmoid_grad, xp, z)
    return _sigmoid_grad(xp, z)


def _sigmoid_grad(xp, z):
    e = xp.exp(-xp.abs(z))
    d = 1.0 + e
    return e / (d * d)


@_activation()
def tanh(z):
    """Hyperbolic tangent: tanh(z) = (e^z - e^{-z}) / (e^z + e^{-z})."""
    xp, (z,) = prepare(z)
    if fused.applies(z):
        return fused.run("tanh", _tanh, xp, z)
    return _tanh(xp, z)


def _tanh(xp, z):
    return xp.tanh(z)


@_activation()
def tanh_grad(z):
    """tanh'(z) = 1 - tanh(z)^2, computed as 4 e^{-2|z|} / (1 + e^{-2|z|})^2 (accurate in the tails)."""
    xp, (z,) = prepare(z)
    if fused.applies(z):
        return fused.run("tanh_grad", _tanh_grad, xp, z)
    return _tanh_grad(xp, z)


def _tanh_grad(xp, z):
    e = xp.exp(-2.0 * xp.abs(z))
    d = 1.0 + e
    return 4.0 * e / (d * d)


# ----------------------------------------------------------------------------- rectifiers
def _read_only_zero(dtype):
    zero = np.zeros((), dtype)
    zero.setflags(write=False)
    return zero


#: 0-d zeros per NumPy float dtype: np.maximum with a 0-d array of the same dtype skips converting a Python 0
_ZERO = {np.dtype(t): _read_only_zero(t) for t in (np.float16, np.float32, np.float64)}


@_activation()
def relu(z):
    """Rectified linear unit: g(z) = max(0, z)."""
    if type(z) is np.ndarray:  # NumPy: a shared 0-d zero of z's dtype, not an array of zeros (0.3 us a call)
        zero = _ZERO.get(z.dtype)
        return np.maximum(z, 0 if zero is None else zero)
    xp, (z,) = prepare(z)
    return xp.maximum(z, xp.zeros_like(z))


@_activation(nan_out=True)
def relu_grad(z):
    """g'(z) = 1 if z > 0 else 0."""
    xp, (z,) = prepare(z)
    return xp.astype(z > 0, z.dtype)


def _check_leak(alpha):
    return check_param("alpha", alpha, 0.0, 1.0, high_open=True, where="leaky_relu: ")


@_activation(nan_out=True)
def leaky_relu(z, alpha=0.01):
    """Leaky ReLU: g(z) = z if z > 0 else alpha z, with 0 <= alpha < 1."""
    alpha = _check_leak(alpha)
    xp, (z,) = prepare(z)
    if fused.applies(z):
        return fused.run("leaky_relu", _leaky_relu, xp, z, alpha)
    return _leaky_relu(xp, z, alpha)


def _leaky_relu(xp, z, alpha):
    return where(z > 0, z, alpha * z if alpha else 0.0, like=z)


@_activation(nan_out=True)
def leaky_relu_grad(z, alpha=0.01):
    """g'(z) = 1 if z > 0 else alpha."""
    alpha = _check_leak(alpha)
    xp, (z,) = prepare(z)
    if fused.applies(z):
        return fused.run("leaky_relu_grad", _leaky_relu_grad, xp, z, alpha)
    return _leaky_relu_grad(xp, z, alpha)


def _leaky_relu_grad(xp, z, alpha):
    return where(z > 0, 1.0, alpha, like=z)


def _prelu_alpha(xp, alpha, z):
    if isinstance(alpha, (int, float)):
        return check_param("alpha", alpha, where="prelu: ")
    _, (a,) = prepare(alpha, names=("alpha",), where="prelu: ")
    if not bool(xp.all(xp.isfinite(a))):
        raise ValueError("prelu: alpha must be finite")
    try:
        xp.broadcast_arrays(a, z)
    except Exception:
        raise ValueError(f"prelu: alpha of shape {tuple(a.shape)} does not broadcast against z of shape {tuple(z.shape)}") from None
    return a


@_activation(nan_out=True)
def prelu(z, alpha=0.25):
    """Parametric ReLU: g(z) = z if z > 0 else alpha z, alpha learned (a number or an array broadcast over z)."""
    xp, (z,) = prepare(z)
    a = _prelu_alpha(xp, alpha, z)
    zn = (xp.where(a == 0, xp.zeros_like(z), z) if hasattr(a, "shape") else z if a else xp.zeros_like(z))
    return xp.where(z > 0, z, a * zn)  # alpha = 0 at z = -inf: 0, the limit


@_activation(nan_out=True)
def prelu_grad(z, alpha=0.25):
    """dg/dz = 1 if z > 0 else alpha."""
    xp, (z,) = prepare(z)
    a = _prelu_alpha(xp, alpha, z)
    return xp.where(z > 0, xp.ones_like(z), a * xp.ones_like(z))


def _check_elu(alpha):
    return check_param("alpha", alpha, 0.0, low_open=True, where="elu: ")


@_activation()
def elu(z, alpha=1.0):
    """Exponential linear unit: g(z) = z if z > 0 else alpha (e^z - 1), with alpha > 0."""
    alpha = _check_elu(alpha)
    xp, (z,) = prepare(z)
    if fused.applies(z):
        return fused.run("elu", _elu, xp, z, alpha, 1.0)
    return _elu(xp, z, alpha)


def _elu(xp, z, alpha, scale=1.0):
    """``scale`` times ELU (SELU's lambda), the product taken after the ELU as lambda * elu(z, alpha)."""
    neg = xp.minimum(z, xp.zeros_like(z))
    g = where(z > 0, z, alpha * xp.expm1(neg), like=z)
    return g if scale == 1.0 else scale * g


@_activation()
def elu_grad(z, alpha=1.0):
    """g'(z) = 1 if z > 0 else alpha e^z (= g(z) + alpha)."""
    alpha = _check_elu(alpha)
    xp, (z,) = prepare(z)
    if fused.applies(z):
        return fused.run("elu_grad", _elu_grad, xp, z, alpha, 1.0)
    return _elu_grad(xp, z, alpha)


def _elu_grad(xp, z, alpha, scale=1.0):
    neg = xp.minimum(z, xp.zeros_like(z))
    g = where(z > 0, 1.0, alpha * xp.exp(neg), like=z)
    return g if scale == 1.0 else scale * g


@_activation()
def selu(z):
    """Scaled ELU: g(z) = lambda z if z > 0 else lambda alpha (e^z - 1), alpha ~ 1.6733, lambda ~ 1.0507."""
    xp, (z,) = prepare(z)
    if fused.applies(z):
        return fused.run("elu", _elu, xp, z, SELU_ALPHA, SELU_LAMBDA)
    return _elu(xp, z, SELU_ALPHA, SELU_LAMBDA)


@_activation()
def selu_grad(z):
    """g'(z) = lambda if z > 0 else lambda alpha e^z."""
    xp, (z,) = prepare(z)
    if fused.applies(z):
        return fused.run("elu_grad", _elu_grad, xp, z, SELU_ALPHA, SELU_LAMBDA)
    return _elu_grad(xp, z, SELU_ALPHA, SELU_LAMBDA)


@_activation()
def softplus(z):
    """Softplus: g(z) = log(1 + e^z), computed as max(z, 0) + log1p(e^{-|z|})."""
    xp, (z,) = prepare(z)
    if fused.applies(z):
        return fused.run("softplus", _softplus, xp, z)
    return _softplus(xp, z)


def _softplus(xp, z):
    return xp.maximum(z, xp.zeros_like(z)) + xp.log1p(xp.exp(-xp.abs(z)))


@_activation()
def softplus_grad(z):
    """g'(z) = sigma(z), the logistic sigmoid."""
    return sigmoid(z)


# ----------------------------------------------------------------------------- smooth, non-monotonic
def _check_beta(beta):
    return check_param("beta", beta, 0.0, where="swish: ")


@_activation()
def swish(z, beta=1.0):
    """Swish: g(z) = z sigma(beta z), beta >= 0 (beta = 1 is SiLU)."""
    beta = _check_beta(beta)
    xp, (z,) = prepare(z)
    if fused.applies(z):
        return fused.run("swish", _swish, xp, z, beta)
    return _swish(xp, z, beta)


def _swish(xp, z, beta):
    s = _sigmoid(xp, beta * z if beta else xp.zeros_like(z))
    return where(s == 0, 0.0, z, like=z) * s  # 0 at z = -inf, the limit (not -inf * 0)


@_activation(nan_out=True)
def swish_grad(z, beta=1.0):
    """g'(z) = s + beta z s (1 - s), with s = sigma(beta z).

    With b = beta z and e = e^{-|b|} this is (1 + e + b e) / (1 + e)^2 for b >= 0 and
    e ((1 + b) + e) / (1 + e)^2 for b < 0: for -2 <= b <= -1/2, 1 + b is exact, so where the two terms of
    s + b s (1 - s) would cancel only the rounding of e is left.
    """
    beta = _check_beta(beta)
    xp, (z,) = prepare(z)
    if fused.applies(z):
        return fused.run("swish_grad", _swish_grad, xp, z, beta)
    return _swish_grad(xp, z, beta)


def _swish_grad(xp, z, beta):
    b = beta * z if beta else xp.zeros_like(z)  # beta = 0: 0, not 0 * inf
    e = xp.exp(-xp.abs(b))
    d = 1.0 + e
    negative = b < 0
    b = where(e == 0, 0.0, b, like=z)  # |b| = inf: b e -> 0, giving the limits 0 and 1 at -inf and +inf
    num = xp.where(negative, e * ((1.0 + b) + e), d + b * e)
    return num / d / d


def _wide(xp, z):
    """float32 in float64 (as the fused kernels compute it), other formats as they are."""
    return xp.astype(z, xp.float64) if z.dtype == xp.float32 else z


@_activation()
def gelu(z):
    """Gaussian error linear unit (exact form): g(z) = z Phi(z) = z (1 + erf(z / sqrt 2)) / 2.

    Phi is computed as erfc(-z / sqrt 2) / 2, which keeps full accuracy in the negative tail.  In the lower
    tail erfc magnifies the rounding of its argument about z^2 times, so float32 input is evaluated in
    float64 and rounded once at the end.
    """
    xp, (z,) = prepare(z)
    if fused.applies(z):
        return fused.run("gelu", _gelu, xp, z)
    return _gelu(xp, z)


def _gelu(xp, z):
    w = _wide(xp, z)
    c = erfc(-w / _SQRT_2)
    return xp.astype(0.5 * where(c == 0, 0.0, w, like=w) * c, z.dtype)  # 0 at z = -inf, the limit


@_activation()
def gelu_grad(z):
    """g'(z) = Phi(z) + z phi(z), phi the standard normal density (float32 evaluated in float64, as gelu)."""
    xp, (z,) = prepare(z)
    if fused.applies(z):
        return fused.run("gelu_grad", _gelu_grad, xp, z)
    return _gelu_grad(xp, z)


def _gelu_grad(xp, z):
    w = _wide(xp, z)
    c = xp.clip(w, -1e3, 1e3)  # e^{-c^2/2} is 0 beyond, and c^2 cannot overflow
    e = xp.exp(-0.5 * c * c)
    g = 0.5 * erfc(-w / _SQRT_2) + where(e == 0, 0.0, w, like=w) * _INV_SQRT_2PI * e  # limits 0, 1 at -+inf
    return xp.astype(g, z.dtype)


def _exp_minus_square(xp, z):
    """e^{-z^2} with z^2 = h + l carried exactly (Dekker's product): e^{-h} (1 - l).

    Rounding z^2 to h first would cost an error exp magnifies z^2 times; the low part l restores it.
    Where |z| is so large that e^{-z^2} is 0 anyway, l is taken as 0 (the split would overflow), and
    |z| > 1e3 is clipped to 1e3 (e^{-10^6} is 0 in every format) so that z^2 cannot overflow.
    """
    z = xp.clip(z, -1e3, 1e3)
    h = z * z
    info = xp.finfo(z.dtype)
    factor = float(2 ** ((1 - round(math.log2(float(info.eps))) + 1) // 2) + 1)  # splits the significand in two
    s = xp.where(xp.abs(z) < math.sqrt(float(info.max)) / (2 * factor), z, xp.zeros_like(z))
    c = factor * s
    hi = c - (c - s)
    lo = s - hi
    low = ((hi * hi - s * s) + 2.0 * hi * lo) + lo * lo
    e = xp.exp(-h)
    return e - e * low


@_activation()
def gaussian(z):
    """Gaussian (radial) activation: g(z) = e^{-z^2}, with z^2 carried to twice the working precision."""
    xp, (z,) = prepare(z)
    return _exp_minus_square(xp, z)


@_activation()
def gaussian_grad(z):
    """g'(z) = -2 z e^{-z^2}."""
    xp, (z,) = prepare(z)
    e = _exp_minus_square(xp, z)
    return -2.0 * where(e == 0, 0.0, z, like=z) * e  # 0 at +-inf, the limit


# ----------------------------------------------------------------------------- vector-valued
def _vector_input(xp, z, axis, who):
    """Check ``axis`` against z (an integer naming one of its axes); True when z is empty."""
    if z.ndim == 0:
        raise ValueError(f"{who}: z needs at least one axis (the vector to normalise), got a scalar")
    check_int("axis", axis, -z.ndim, z.ndim - 1, where=f"{who}: ")
    return size(z) == 0


@_activation()
def softmax(z, axis=-1):
    """Softmax: s_i = e^{z_i} / sum_j e^{z_j}, computed after subtracting max_j z_j."""
    xp, (z,) = prepare(z)
    if _vector_input(xp, z, axis, "softmax"):
        return xp.zeros_like(z)  # empty in, empty out
    e = xp.exp(z - xp.max(z, axis=axis, keepdims=True))
    return e / xp.sum(e, axis=axis, keepdims=True)


def _rest(xp, shifted, e, axis):
    """sum_j e^{z_j - m} - 1 without the cancellation: the sum over the entries below the maximum, plus one for
    each further entry that ties with it (the maximum's own term e^0 = 1 is the one left out)."""
    top = shifted == 0
    below = xp.sum(xp.where(top, xp.zeros_like(e), e), axis=axis, keepdims=True)
    ties = xp.sum(xp.astype(top, e.dtype), axis=axis, keepdims=True) - 1.0
    return below + ties


@_activation()
def log_softmax(z, axis=-1):
    """Log-softmax: log s_i = z_i - m - log sum_j e^{z_j - m}, m = max_j z_j.

    The log of the sum is taken as log1p(sum_j e^{z_j - m} - 1), the -1 being the maximum's own term left out
    of the sum, so log s_i keeps its digits when the maximum dominates (log s_max ~ -sum of the others).
    """
    xp, (z,) = prepare(z)
    if _vector_input(xp, z, axis, "log_softmax"):
        return xp.zeros_like(z)  # empty in, empty out
    shifted = z - xp.max(z, axis=axis, keepdims=True)
    return shifted - xp.log1p(_rest(xp, shifted, xp.exp(shifted), axis))


@_activation()
def softmax_jacobian(z):
    """Jacobian of softmax over the last axis: J_ij = s_i (delta_ij - s_j) = diag(s) - s s^T.

    The diagonal s_i (1 - s_i) takes 1 - s_i as (sum_{j != i} e^{z_j - m}) / sum_j e^{z_j - m}, which does
    not cancel when s_i is close to 1.  For ``z`` of shape (..., n) the result has shape (..., n, n).
    """
    xp, (z,) = prepare(z)
    if _vector_input(xp, z, -1, "softmax_jacobian"):  # empty in, empty out: shape (..., n, n)
        return xp.zeros((*z.shape, z.shape[-1]), dtype=z.dtype, device=getattr(z, "device", None))
    shifted = z - xp.max(z, axis=-1, keepdims=True)
    e = xp.exp(shifted)
    total = xp.sum(e, axis=-1, keepdims=True)
    s = e / total
    others = xp.where(shifted == 0, _rest(xp, shifted, e, -1), total - e)  # sum_{j != i} e_j
    n = z.shape[-1]
    diag = xp.eye(n, dtype=z.dtype, device=getattr(z, "device", None)) == 1
    return xp.where(diag, (s * (others / total))[..., :, None], -(s[..., :, None] * s[..., None, :]))


def _groups(xp, z, k, who):
    k = check_int("k", k, 1, where=f"{who}: ")
    if z.ndim == 0:
        raise ValueError(f"{who}: z needs at least one axis to group, got a scalar")
    n = z.shape[-1]
    if n % k != 0:
        raise ValueError(f"{who}: the last axis of z (size {n}) must be divisible by k={k}")
    return xp.reshape(z, (*z.shape[:-1], n // k, k)), k


@_activation()
def maxout(z, k):
    """Maxout: the maximum over consecutive groups of k units on the last axis, shape (..., n/k)."""
    xp, (z,) = prepare(z)
    g, _ = _groups(xp, z, k, "maxout")
    return xp.max(g, axis=-1)


@_activation(nan_out=True)
def maxout_grad(z, k):
    """d maxout / dz: 1 at each group's (first) maximum, 0 elsewhere; shape of z."""
    xp, (z,) = prepare(z)
    g, k = _groups(xp, z, k, "maxout")
    idx = xp.argmax(g, axis=-1, keepdims=True)
    mask = xp.astype(xp.arange(k, device=getattr(z, "device", None)) == idx, z.dtype)
    return xp.reshape(mask, z.shape)


# ----------------------------------------------------------------------------- registry
@dataclass(frozen=True)
class ParamSpec:
    """A parameter of an activation: its default, the values it may take, and a slider range."""

    name: str
    default: float
    valid: str
    slider: tuple  # (min, max, step)


@dataclass(frozen=True)
class ActivationInfo:
    """What the book and the explorers need to know about one activation."""

    name: str
    label: str
    fn: object
    grad: object
    formula: str
    derivative: str
    output_range: str
    monotonic: bool
    zero_centred: bool
    saturating: str
    use: str
    params: tuple = field(default_factory=tuple)
    elementwise: bool = True

    def __call__(self, z, **params):
        return self.fn(z, **params)

    @property
    def defaults(self):
        return {p.name: p.default for p in self.params}


def _info(name, label, formula, derivative, rng, mono, zc, sat, use, params=(), elementwise=True, grad=None):
    fn = globals()[name]
    g = grad if grad is not None else globals().get(f"{name}_grad")
    return ActivationInfo(name, label, fn, g, formula, derivative, rng, mono, zc, sat, use, tuple(params), elementwise)


_ALPHA_LEAK = ParamSpec("alpha", 0.01, "0 <= alpha < 1", (0.0, 0.5, 0.01))
_ALPHA_PRELU = ParamSpec("alpha", 0.25, "any real, learned", (-0.5, 1.0, 0.01))
_ALPHA_ELU = ParamSpec("alpha", 1.0, "alpha > 0", (0.05, 3.0, 0.05))
_BETA_SWISH = ParamSpec("beta", 1.0, "beta >= 0", (0.0, 5.0, 0.1))

#: name -> ActivationInfo, in the order the chapter teaches them.
REGISTRY = {
    info.name: info
    for info in [
        _info("linear", "Linear", r"m z", r"m", "(-inf, inf)", True, True, "no",
              "output layer of a regression model", [ParamSpec("m", 1.0, "any real", (-2.0, 2.0, 0.1))]),
        _info("binary_step", "Binary step", r"1 \text{ if } z \ge 0 \text{ else } 0", r"0", "{0, 1}", True, False,
              "both sides", "perceptrons; not trainable by gradient descent"),
        _info("sigmoid", "Sigmoid", r"\frac{1}{1+e^{-z}}", r"\sigma(z)(1-\sigma(z))", "(0, 1)", True, False,
              "both sides", "output of a binary classifier"),
        _info("tanh", "Tanh", r"\tanh z", r"1-\tanh^2 z", "(-1, 1)", True, True, "both sides",
              "hidden layers of small or recurrent networks"),
        _info("relu", "ReLU", r"\max(0, z)", r"1 \text{ if } z>0 \text{ else } 0", "[0, inf)", True, False,
              "negative side", "default for hidden layers"),
        _info("leaky_relu", "Leaky ReLU", r"z \text{ if } z>0 \text{ else } \alpha z",
              r"1 \text{ if } z>0 \text{ else } \alpha", "(-inf, inf)", True, False, "no",
              "hidden layers where ReLU units die", [_ALPHA_LEAK]),
        _info("prelu", "PReLU", r"z \text{ if } z>0 \text{ else } \alpha z",
              r"1 \text{ if } z>0 \text{ else } \alpha", "(-inf, inf)", True, False, "no",
              "deep convolutional networks (alpha learned)", [_ALPHA_PRELU]),
        _info("elu", "ELU", r"z \text{ if } z>0 \text{ else } \alpha(e^z-1)",
              r"1 \text{ if } z>0 \text{ else } \alpha e^z", "(-alpha, inf)", True, False, "negative side",
              "hidden layers; smoother than ReLU, mean nearer zero", [_ALPHA_ELU]),
        _info("selu", "SELU", r"\lambda z \text{ if } z>0 \text{ else } \lambda\alpha(e^z-1)",
              r"\lambda \text{ if } z>0 \text{ else } \lambda\alpha e^z", "(-lambda alpha, inf)", True, True,
              "negative side", "self-normalising dense networks with LeCun-normal weights"),
        _info("softplus", "Softplus", r"\log(1+e^z)", r"\sigma(z)", "(0, inf)", True, False, "negative side",
              "a smooth ReLU; positive outputs such as scales"),
        _info("swish", "Swish", r"z\,\sigma(\beta z)", r"s + \beta z s(1-s),\ s=\sigma(\beta z)",
              "[a negative minimum, inf)", False, False, "negative side",
              "deep networks (SiLU when beta = 1)", [_BETA_SWISH]),
        _info("gelu", "GELU", r"z\,\Phi(z)", r"\Phi(z) + z\,\varphi(z)", "[a negative minimum, inf)", False, False,
              "negative side", "transformers"),
        _info("gaussian", "Gaussian", r"e^{-z^2}", r"-2z\,e^{-z^2}", "(0, 1]", False, False, "both sides",
              "radial-basis-function networks"),
        _info("softmax", "Softmax", r"\frac{e^{z_i}}{\sum_j e^{z_j}}", r"s_i(\delta_{ij}-s_j)",
              "(0, 1), summing to 1", True, False, "both sides", "output of a multi-class classifier",
              elementwise=False, grad=softmax_jacobian),
        _info("maxout", "Maxout", r"\max_{j \in \text{group}} z_j", r"1 \text{ at the group's maximum, else } 0",
              "(-inf, inf)", True, False, "no", "networks with dropout (learns its own activation)",
              [ParamSpec("k", 2, "a positive integer dividing the last axis", (1, 8, 1))], elementwise=False),
    ]
}
