"""Loss functions and their gradients.

Every loss is ``NAME(y_true, y_pred, reduction="mean", **params)``:

* ``reduction="none"`` gives the per-example losses (per element for the
  regression and binary losses, per row for the class-axis losses, which sum
  over the last axis);
* ``"mean"`` averages them (the *cost* of a batch), ``"sum"`` adds them.

``NAME_grad(y_true, y_pred, **params)`` is the gradient of the mean-reduced
loss with respect to ``y_pred``, the same shape as ``y_pred``.

Conventions follow PyTorch where it has the loss: logarithms of probabilities
are clamped at -100 (so a probability of exactly 0 gives a large, finite loss)
and the binary cross-entropy gradient divides by max(p (1 - p), 1e-12).

Bad input gets a clear error, never a silent number: ``y_true`` and ``y_pred``
must be real numbers or arrays of real numbers (TypeError otherwise) and finite
(NaN or +-inf is a ValueError naming the argument).  Empty input gives an empty
array with ``reduction="none"`` and 0 with ``"sum"``; its mean, and every
gradient of the mean, is a ValueError saying the input is empty.
"""
from __future__ import annotations

import functools

import numpy as np

from . import fused
from ._common import _NUMPY, check_choice, check_finite, check_param, prepare, size, where

__all__ = [
    "mean_error", "mean_error_grad", "mse", "mse_grad", "mae", "mae_grad", "rmse", "rmse_grad",
    "msle", "msle_grad", "huber", "huber_grad", "log_cosh", "log_cosh_grad",
    "binary_cross_entropy", "binary_cross_entropy_grad", "binary_cross_entropy_with_logits",
    "binary_cross_entropy_with_logits_grad", "hinge", "hinge_grad", "squared_hinge",
    "squared_hinge_grad", "categorical_cross_entropy", "categorical_cross_entropy_grad",
    "sparse_categorical_cross_entropy", "sparse_categorical_cross_entropy_grad", "kl_divergence",
    "kl_divergence_grad", "gaussian_nll", "gaussian_nll_grad", "pinball", "pinball_grad",
    "focal_loss", "focal_loss_grad", "LOSSES",
]

LOG_CLAMP = -100.0  # PyTorch's floor for log(p) in binary_cross_entropy
GRAD_EPS = 1e-12  # floor for p (1 - p) in the BCE gradient (PyTorch's is this value rounded to float32)
REDUCTIONS = ("mean", "sum", "none")


# ----------------------------------------------------------------------------- checks
def _loss(fn):
    """Decorator for ``loss(y_true, y_pred, reduction="mean", **params)`` and ``loss_grad(y_true, y_pred, **params)``:
    checks the reduction, that both arrays hold finite real numbers (one reduction each), and that a mean
    (every gradient is of the mean) is not taken over no examples; passes the arrays on as floating arrays."""
    is_grad = fn.__name__.endswith("_grad")
    who = fn.__name__[:-5] if is_grad else fn.__name__
    where_ = f"{who}: "
    hint = "" if is_grad else "; reduction='sum' gives 0 and 'none' an empty array"

    @functools.wraps(fn)
    def wrapper(y_true, y_pred, *args, **kwargs):
        reduction = "mean"
        if not is_grad:
            reduction = args[0] if args else kwargs.get("reduction", "mean")
            check_choice("reduction", reduction, REDUCTIONS, where=where_)
        xp, (t, p) = prepare(y_true, y_pred, names=("y_true", "y_pred"), where=where_)
        check_finite(xp, t, "y_true", where=where_)
        check_finite(xp, p, "y_pred", where=where_)
        if reduction == "mean" and size(p) == 0:
            what = "the gradient of the mean" if is_grad else "the mean"
            raise ValueError(f"{where_}the input is empty (y_pred has shape {tuple(p.shape)}): "
                             f"{what} over no examples is undefined{hint}")
        return fn(t, p, *args, **kwargs)

    return wrapper


def _pair(name, y_true, y_pred):
    if type(y_true) is np.ndarray and type(y_pred) is np.ndarray and y_true.dtype.kind == y_pred.dtype.kind == "f":
        xp, t, p = _NUMPY, y_true, y_pred  # as the decorator passes NumPy input on: no second look
    else:
        xp, (t, p) = prepare(y_true, y_pred)
    if tuple(t.shape) != tuple(p.shape):
        raise ValueError(
            f"{name}: y_true has shape {tuple(t.shape)} but y_pred has shape {tuple(p.shape)}; "
            "they must match (one target per prediction)"
        )
    return xp, t, p


def _check_probs(xp, name, **arrays):
    for label, a in arrays.items():
        if type(a) is np.ndarray and a.size and 0 <= np.minimum.reduce(a, axis=None) and \
                np.maximum.reduce(a, axis=None) <= 1:  # NumPy: two reductions (NaN fails both comparisons)
            continue
        if not bool(xp.all((a >= 0) & (a <= 1))):
            lo, hi = float(xp.min(a)), float(xp.max(a))
            raise ValueError(
                f"{name}: {label} must be probabilities in [0, 1], got values from {lo:g} to {hi:g}"
                + ("; if these are logits, use binary_cross_entropy_with_logits"
                   if name == "binary_cross_entropy" and label == "y_pred" else
                   "; if these are -1/+1 labels, map them with y = (y + 1) / 2"
                   if label == "y_true" and "binary" in name and lo == -1 else
                   "; apply softmax to logits first" if label == "y_pred" else "")
            )


def _check_signs(xp, name, t):
    is_pm1 = (t == 1) | (t == -1)
    if bool(xp.all(is_pm1)):
        return
    if bool(xp.all((t == 0) | (t == 1))):
        raise ValueError(
            f"{name}: targets must be -1 or +1, but these are 0/1 labels; map them with y = 2 * y - 1"
        )
    raise ValueError(f"{name}: targets must be -1 or +1")


def _reduce(xp, name, losses, reduction):
    if reduction == "none":
        return losses
    if reduction == "mean":
        if type(losses) is np.ndarray and losses.size:  # np.mean's arithmetic (a sum in the dtype, divided
            # in float64, rounded back: the same number) without its Python-level cost, 4 us a call
            return losses.dtype.type(float(np.add.reduce(losses, axis=None)) / losses.size)
        return xp.mean(losses)
    if reduction == "sum":
        return xp.sum(losses)
    raise ValueError(f"{name}: reduction must be one of {', '.join(map(repr, REDUCTIONS))}, got {reduction!r}")


def _rows(a):
    """Number of examples for a class-axis loss: every axis but the last."""
    n = 1
    for s in a.shape[:-1]:
        n *= int(s)
    return n


def _log(xp, p):
    """log p clamped at -100 (finite at p = 0), as PyTorch's BCE does."""
    with_zero = xp.where(p > 0, p, xp.ones_like(p))
    return xp.where(p > 0, xp.maximum(xp.log(with_zero), xp.full_like(p, LOG_CLAMP)), xp.full_like(p, LOG_CLAMP))


def _log1m(xp, p):
    """log(1 - p) clamped at -100 (finite at p = 1), computed as log1p(-p): 1 - p is never rounded, so
    p = 1e-10 gives -1e-10 in float32 too (log(1 - p) would give log(1.0) = 0)."""
    with_one = xp.where(p < 1, p, xp.zeros_like(p))
    return xp.where(p < 1, xp.maximum(xp.log1p(-with_one), xp.full_like(p, LOG_CLAMP)), xp.full_like(p, LOG_CLAMP))


# ----------------------------------------------------------------------------- regression
@_loss
def mean_error(y_true, y_pred, reduction="mean"):
    """Mean error: mean of (y - y_hat).  Positive and negative errors cancel: a diagnostic of bias, not a loss."""
    xp, t, p = _pair("mean_error", y_true, y_pred)
    return _reduce(xp, "mean_error", t - p, reduction)


@_loss
def mean_error_grad(y_true, y_pred):
    """d/d y_hat of mean(y - y_hat) = -1/N everywhere: it never depends on how wrong the prediction is."""
    xp, t, p = _pair("mean_error", y_true, y_pred)
    return xp.full_like(p, -1.0 / size(p))


@_loss
def mse(y_true, y_pred, reduction="mean"):
    """Mean squared error: mean of (y - y_hat)^2."""
    xp, t, p = _pair("mse", y_true, y_pred)
    if fused.applies(t, p):
        return _reduce(xp, "mse", fused.run("sq_err", _sq_err, xp, t, p), reduction)
    return _reduce(xp, "mse", _sq_err(xp, t, p), reduction)


def _sq_err(xp, t, p):
    r = p - t
    return r * r


@_loss
def mse_grad(y_true, y_pred):
    """d MSE / d y_hat = 2 (y_hat - y) / N."""
    xp, t, p = _pair("mse", y_true, y_pred)
    if fused.applies(t, p):
        return fused.run("mse_grad", _mse_grad, xp, t, p, 2.0 / size(p))
    return _mse_grad(xp, t, p, 2.0 / size(p))


def _mse_grad(xp, t, p, c):
    return c * (p - t)


@_loss
def mae(y_true, y_pred, reduction="mean"):
    """Mean absolute error: mean of |y - y_hat|."""
    xp, t, p = _pair("mae", y_true, y_pred)
    return _reduce(xp, "mae", xp.abs(p - t), reduction)


@_loss
def mae_grad(y_true, y_pred):
    """d MAE / d y_hat = sign(y_hat - y) / N (0 where they are equal)."""
    xp, t, p = _pair("mae", y_true, y_pred)
    return xp.sign(p - t) / size(p)


@_loss
def rmse(y_true, y_pred, reduction="mean"):
    """Root mean squared error: sqrt(mean (y - y_hat)^2), in the units of y.

    It is the root of a mean, not a mean of per-example losses: ``"none"`` gives
    each example's own RMSE, |y - y_hat|, and ``"sum"`` is refused.
    """
    xp, t, p = _pair("rmse", y_true, y_pred)
    if reduction == "sum":
        raise ValueError("rmse: reduction='sum' has no meaning for a root of a mean; use 'mean' or 'none'")
    if reduction == "none":
        return xp.abs(p - t)
    return xp.sqrt(_reduce(xp, "rmse", (p - t) * (p - t), reduction))


@_loss
def rmse_grad(y_true, y_pred):
    """d RMSE / d y_hat = (y_hat - y) / (N RMSE); 0 when every prediction is exact."""
    xp, t, p = _pair("rmse", y_true, y_pred)
    r = p - t
    root = xp.sqrt(xp.mean(r * r))
    denom = size(p) * root
    return where(denom > 0, r / xp.where(denom > 0, denom, xp.ones_like(denom)), 0.0, like=r)


def _check_log_domain(xp, name, t, p):
    for label, a in (("y_true", t), ("y_pred", p)):
        if not bool(xp.all(a > -1)):
            raise ValueError(f"{name}: {label} must be greater than -1 (log(1 + y) is taken), got {float(xp.min(a)):g}")


@_loss
def msle(y_true, y_pred, reduction="mean"):
    """Mean squared logarithmic error: mean of (log(1 + y) - log(1 + y_hat))^2, for y, y_hat > -1."""
    xp, t, p = _pair("msle", y_true, y_pred)
    _check_log_domain(xp, "msle", t, p)
    d = xp.log1p(p) - xp.log1p(t)
    return _reduce(xp, "msle", d * d, reduction)


@_loss
def msle_grad(y_true, y_pred):
    """d MSLE / d y_hat = 2 (log(1 + y_hat) - log(1 + y)) / ((1 + y_hat) N)."""
    xp, t, p = _pair("msle", y_true, y_pred)
    _check_log_domain(xp, "msle", t, p)
    return (2.0 / size(p)) * (xp.log1p(p) - xp.log1p(t)) / (1.0 + p)


def _check_delta(delta):
    return check_param("delta", delta, 0.0, low_open=True, where="huber: ")


@_loss
def huber(y_true, y_pred, reduction="mean", delta=1.0):
    """Huber loss, r = y_hat - y: r^2 / 2 if |r| <= delta, else delta (|r| - delta / 2)."""
    delta = _check_delta(delta)
    xp, t, p = _pair("huber", y_true, y_pred)
    if fused.applies(t, p):
        return _reduce(xp, "huber", fused.run("huber", _huber, xp, t, p, delta), reduction)
    return _reduce(xp, "huber", _huber(xp, t, p, delta), reduction)


def _huber(xp, t, p, delta):
    a = xp.abs(p - t)
    return where(a <= delta, 0.5 * a * a, delta * (a - 0.5 * delta), like=a)


@_loss
def huber_grad(y_true, y_pred, delta=1.0):
    """d Huber / d y_hat = clip(y_hat - y, -delta, delta) / N."""
    delta = _check_delta(delta)
    xp, t, p = _pair("huber", y_true, y_pred)
    if fused.applies(t, p):
        return fused.run("huber_grad", _huber_grad, xp, t, p, delta, 1.0 / size(p))
    return _huber_grad(xp, t, p, delta)


def _huber_grad(xp, t, p, delta, inv_n=None):
    return xp.clip(p - t, -delta, delta) / size(p)


@_loss
def log_cosh(y_true, y_pred, reduction="mean"):
    """Log-cosh loss: mean of log(cosh(r)), r = y_hat - y.

    For |r| <= 1, log1p((e^|r| - 1)(1 - e^-|r|) / 2), since cosh r - 1 = (e^r - 1)(1 - e^-r) / 2:
    no cancellation, so small residuals keep every digit (log cosh r ~ r^2 / 2).
    For |r| > 1, |r| + log1p(e^{-2|r|}) - log 2, which cannot overflow.
    """
    xp, t, p = _pair("log_cosh", y_true, y_pred)
    if fused.applies(t, p):
        return _reduce(xp, "log_cosh", fused.run("log_cosh", _log_cosh, xp, t, p), reduction)
    return _reduce(xp, "log_cosh", _log_cosh(xp, t, p), reduction)


def _log_cosh(xp, t, p):
    a = xp.abs(p - t)
    s = xp.minimum(a, xp.ones_like(a))
    small = xp.log1p(xp.expm1(s) * -xp.expm1(-s) / 2.0)
    large = a + xp.log1p(xp.exp(-2.0 * a)) - 0.6931471805599453
    return xp.where(a <= 1.0, small, large)


@_loss
def log_cosh_grad(y_true, y_pred):
    """d log-cosh / d y_hat = tanh(y_hat - y) / N."""
    xp, t, p = _pair("log_cosh", y_true, y_pred)
    if fused.applies(t, p):
        return fused.run("log_cosh_grad", _log_cosh_grad, xp, t, p, 1.0 / size(p))
    return _log_cosh_grad(xp, t, p)


def _log_cosh_grad(xp, t, p, inv_n=None):
    return xp.tanh(p - t) / size(p)


# ----------------------------------------------------------------------------- binary classification
@_loss
def binary_cross_entropy(y_true, y_pred, reduction="mean"):
    """Binary cross-entropy on probabilities: -(y log p + (1 - y) log(1 - p)), logs clamped at -100.

    log(1 - p) is computed as log1p(-p), so a p near 0 keeps its digits (-log(1 - p) ~ p).
    """
    xp, t, p = _pair("binary_cross_entropy", y_true, y_pred)
    _check_probs(xp, "binary_cross_entropy", y_true=t, y_pred=p)
    losses = -(t * _log(xp, p) + (1.0 - t) * _log1m(xp, p))
    return _reduce(xp, "binary_cross_entropy", losses, reduction)


@_loss
def binary_cross_entropy_grad(y_true, y_pred):
    """d BCE / d p = (p - y) / (p (1 - p) N), with p (1 - p) floored at 1e-12."""
    xp, t, p = _pair("binary_cross_entropy", y_true, y_pred)
    _check_probs(xp, "binary_cross_entropy", y_true=t, y_pred=p)
    denom = xp.maximum(p * (1.0 - p), xp.full_like(p, GRAD_EPS))
    return (p - t) / denom / size(p)


@_loss
def binary_cross_entropy_with_logits(y_true, y_pred, reduction="mean"):
    """Binary cross-entropy on a logit z: max(z, 0) - z y + log(1 + e^{-|z|}) (= BCE(y, sigma(z)))."""
    xp, t, z = _pair("binary_cross_entropy_with_logits", y_true, y_pred)
    _check_probs(xp, "binary_cross_entropy_with_logits", y_true=t)
    if fused.applies(t, z):
        return _reduce(xp, "binary_cross_entropy_with_logits", fused.run("bce_logits", _bce_logits, xp, t, z),
                       reduction)
    return _reduce(xp, "binary_cross_entropy_with_logits", _bce_logits(xp, t, z), reduction)


def _bce_logits(xp, t, z):
    zero = 0 if type(z) is np.ndarray else xp.zeros_like(z)  # NumPy: a scalar 0 keeps z's dtype
    return xp.maximum(z, zero) - z * t + xp.log1p(xp.exp(-xp.abs(z)))


@_loss
def binary_cross_entropy_with_logits_grad(y_true, y_pred):
    """d BCE / d z = (sigma(z) - y) / N: prediction minus target.

    Computed as ((1 - y) sigma(z) - y sigma(-z)) / N, the same number since 1 - sigma(z) = sigma(-z):
    for y = 1 and a large z the difference sigma(z) - 1 would cancel, while sigma(-z) keeps every digit.
    """
    xp, t, z = _pair("binary_cross_entropy_with_logits", y_true, y_pred)
    _check_probs(xp, "binary_cross_entropy_with_logits", y_true=t)
    if fused.applies(t, z):
        return fused.run("bce_logits_grad", _bce_logits_grad, xp, t, z, 1.0 / size(z))
    return _bce_logits_grad(xp, t, z)


def _bce_logits_grad(xp, t, z, inv_n=None):
    from .activations import _sigmoid

    return ((1.0 - t) * _sigmoid(xp, z) - t * _sigmoid(xp, -z)) / size(z)


@_loss
def hinge(y_true, y_pred, reduction="mean"):
    """Hinge loss with targets y in {-1, +1}: max(0, 1 - y y_hat); range [0, inf)."""
    xp, t, p = _pair("hinge", y_true, y_pred)
    _check_signs(xp, "hinge", t)
    m = 1.0 - t * p
    return _reduce(xp, "hinge", xp.maximum(m, xp.zeros_like(m)), reduction)


@_loss
def hinge_grad(y_true, y_pred):
    """d hinge / d y_hat = -y / N where the margin y y_hat < 1, else 0."""
    xp, t, p = _pair("hinge", y_true, y_pred)
    _check_signs(xp, "hinge", t)
    return where(t * p < 1.0, -t, 0.0, like=p) / size(p)


@_loss
def squared_hinge(y_true, y_pred, reduction="mean"):
    """Squared hinge loss with targets in {-1, +1}: max(0, 1 - y y_hat)^2."""
    xp, t, p = _pair("squared_hinge", y_true, y_pred)
    _check_signs(xp, "squared_hinge", t)
    m = xp.maximum(1.0 - t * p, xp.zeros_like(p))
    return _reduce(xp, "squared_hinge", m * m, reduction)


@_loss
def squared_hinge_grad(y_true, y_pred):
    """d / d y_hat = -2 y max(0, 1 - y y_hat) / N."""
    xp, t, p = _pair("squared_hinge", y_true, y_pred)
    _check_signs(xp, "squared_hinge", t)
    m = xp.maximum(1.0 - t * p, xp.zeros_like(p))
    return -2.0 * t * m / size(p)


# ----------------------------------------------------------------------------- multi-class
def _class_axis(name, xp, p):
    if p.ndim == 0:
        raise ValueError(f"{name}: y_pred needs a class axis (the last axis), got a scalar")


def _smooth(name, t, label_smoothing):
    """Label smoothing: (1 - eps) y + eps / K over the K classes of the last axis."""
    eps = check_param("label_smoothing", label_smoothing, 0.0, 1.0, where=f"{name}: ")
    return t if eps == 0.0 else (1.0 - eps) * t + eps / t.shape[-1]


@_loss
def categorical_cross_entropy(y_true, y_pred, reduction="mean", label_smoothing=0.0):
    """Categorical cross-entropy: -sum_c y_c log p_c over the last axis (one-hot y, probabilities p).

    ``label_smoothing`` = eps in [0, 1] replaces the targets by (1 - eps) y + eps / K (K classes), as
    ``torch.nn.functional.cross_entropy(logits, target, label_smoothing=eps)`` does with p = softmax(logits).
    """
    name = "categorical_cross_entropy"
    xp, t, p = _pair(name, y_true, y_pred)
    _class_axis(name, xp, p)
    _check_probs(xp, name, y_true=t, y_pred=p)
    t = _smooth(name, t, label_smoothing)
    losses = -xp.sum(t * _log(xp, p), axis=-1)
    return _reduce(xp, name, losses, reduction)


@_loss
def categorical_cross_entropy_grad(y_true, y_pred, label_smoothing=0.0):
    """d CCE / d p_c = -y_c / (p_c N), N the number of examples (p floored at 1e-12); y smoothed as in the loss."""
    name = "categorical_cross_entropy"
    xp, t, p = _pair(name, y_true, y_pred)
    _class_axis(name, xp, p)
    _check_probs(xp, name, y_true=t, y_pred=p)
    t = _smooth(name, t, label_smoothing)
    return -t / xp.maximum(p, xp.full_like(p, GRAD_EPS)) / _rows(p)


def _labels(name, y_true, y_pred):
    xp, (p,) = prepare(y_pred)
    _class_axis(name, xp, p)
    labels = y_true if hasattr(y_true, "shape") else xp.asarray(y_true)
    if tuple(labels.shape) != tuple(p.shape[:-1]):
        raise ValueError(
            f"{name}: y_true (integer labels) has shape {tuple(labels.shape)} but y_pred has shape "
            f"{tuple(p.shape)}; labels need the shape of y_pred without its last (class) axis"
        )
    k = p.shape[-1]
    if xp.isdtype(labels.dtype, "real floating"):
        if not bool(xp.all(xp.round(labels) == labels)):
            raise ValueError(f"{name}: y_true must hold integer class labels 0..{k - 1}")
        labels = xp.astype(labels, xp.int64)
    if not bool(xp.all((labels >= 0) & (labels < k))):
        raise ValueError(f"{name}: labels must be in 0..{k - 1} for {k} classes")
    onehot = xp.astype(labels[..., None] == xp.arange(k, device=getattr(p, "device", None)), p.dtype)
    return xp, onehot, p


@_loss
def sparse_categorical_cross_entropy(y_true, y_pred, reduction="mean"):
    """Sparse categorical cross-entropy: -log p_{y} for an integer label y (probabilities p)."""
    name = "sparse_categorical_cross_entropy"
    xp, onehot, p = _labels(name, y_true, y_pred)
    _check_probs(xp, name, y_pred=p)
    return _reduce(xp, name, -xp.sum(onehot * _log(xp, p), axis=-1), reduction)


@_loss
def sparse_categorical_cross_entropy_grad(y_true, y_pred):
    """d / d p_c = -1 / (p_y N) for c = y, 0 for the other classes."""
    name = "sparse_categorical_cross_entropy"
    xp, onehot, p = _labels(name, y_true, y_pred)
    _check_probs(xp, name, y_pred=p)
    return -onehot / xp.maximum(p, xp.full_like(p, GRAD_EPS)) / _rows(p)


@_loss
def kl_divergence(y_true, y_pred, reduction="mean"):
    """Kullback-Leibler divergence KL(p || q) = sum_c p_c log(p_c / q_c), p = y_true, q = y_pred (0 log 0 = 0)."""
    name = "kl_divergence"
    xp, p, q = _pair(name, y_true, y_pred)
    _class_axis(name, xp, q)
    _check_probs(xp, name, y_true=p, y_pred=q)
    terms = xp.where(p > 0, p * (_log(xp, p) - _log(xp, q)), xp.zeros_like(p))
    return _reduce(xp, name, xp.sum(terms, axis=-1), reduction)


@_loss
def kl_divergence_grad(y_true, y_pred):
    """d KL(p || q) / d q_c = -p_c / (q_c N) (q floored at 1e-12)."""
    name = "kl_divergence"
    xp, p, q = _pair(name, y_true, y_pred)
    _class_axis(name, xp, q)
    _check_probs(xp, name, y_true=p, y_pred=q)
    return -p / xp.maximum(q, xp.full_like(q, GRAD_EPS)) / _rows(q)


# ----------------------------------------------------------------------------- Gaussian likelihood
HALF_LOG_2PI = 0.9189385332046727  # 0.5 log(2 pi), the constant that full=True adds


def _gaussian_args(name, y_true, mean, var, eps, full):
    """Checks for gaussian_nll(_grad); returns xp, t, mu, the clamped variance broadcast to mean's
    axes, the variance as given (for the shape of its gradient) and whether it was a plain number."""
    where_ = f"{name}: "
    eps = check_param("eps", eps, 0.0, low_open=True, where=where_)
    from ._common import check_bool

    check_bool("full", full, where=where_)
    scalar_var = not hasattr(var, "shape") or getattr(var, "ndim", 1) == 0
    xp, (t, mu, v) = prepare(y_true, mean, var, names=("y_true", "mean", "var"), where=where_)
    for label, a in (("y_true", t), ("mean", mu), ("var", v)):
        check_finite(xp, a, label, where=where_)
    if tuple(t.shape) != tuple(mu.shape):
        raise ValueError(f"{where_}y_true has shape {tuple(t.shape)} but mean has shape "
                         f"{tuple(mu.shape)}; they must match (one mean per target)")
    if not bool(xp.all(v >= 0)):
        raise ValueError(f"{where_}var must be >= 0 (a variance), got a smallest value of "
                         f"{float(xp.min(v)):g}; to predict it from a network output s, use var = exp(s)")
    vb = v
    if scalar_var:
        vb = xp.reshape(v, (1,) * mu.ndim)
    elif tuple(v.shape) != tuple(mu.shape):
        if mu.ndim >= 1 and tuple(v.shape) == tuple(mu.shape[:-1]):
            vb = xp.expand_dims(v, axis=-1)
        elif not (v.ndim == mu.ndim and sum(int(b) for a, b in zip(mu.shape, v.shape) if a != b) == 1):
            raise ValueError(
                f"{where_}var has shape {tuple(v.shape)} but mean has shape {tuple(mu.shape)}; var needs "
                "mean's shape (one variance per mean), mean's shape without its last axis, or mean's shape "
                "with one axis of size 1 (one variance shared along that axis), as in torch.nn.GaussianNLLLoss")
    vc = xp.maximum(vb, xp.full_like(vb, eps))
    return xp, t, mu, vc, v, scalar_var


def gaussian_nll(y_true, mean, var, reduction="mean", full=False, eps=1e-6):
    """Gaussian negative log-likelihood of targets y under N(mean, var), as torch.nn.GaussianNLLLoss:

        loss_i = 0.5 (log v_i + (y_i - mean_i)^2 / v_i)  [+ 0.5 log(2 pi) if full],  v_i = max(var_i, eps).

    ``var`` (the variance, not the standard deviation) has the shape of ``mean``, or ``mean``'s shape
    without its last axis, or ``mean``'s shape with one axis of size 1 (one variance shared along it),
    or is a single number.  Negative variances are a ValueError; variances below ``eps`` (zero
    included) are raised to ``eps``, so the loss stays finite.  The reductions average or add the
    per-element losses (``"none"`` returns them, with ``mean``'s shape).
    """
    name = "gaussian_nll"
    check_choice("reduction", reduction, REDUCTIONS, where=f"{name}: ")
    xp, t, mu, vc, _, _ = _gaussian_args(name, y_true, mean, var, eps, full)
    if reduction == "mean" and size(mu) == 0:
        raise ValueError(f"{name}: the input is empty (mean has shape {tuple(mu.shape)}): the mean over no "
                         "examples is undefined; reduction='sum' gives 0 and 'none' an empty array")
    d = mu - t
    losses = 0.5 * (xp.log(vc) + d * d / vc)
    if full:
        losses = losses + HALF_LOG_2PI
    return _reduce(xp, name, losses, reduction)


def gaussian_nll_grad(y_true, mean, var, full=False, eps=1e-6):
    """Gradients of the mean-reduced :func:`gaussian_nll` with respect to ``mean`` and ``var``.

    With v = max(var, eps), d = mean - y and N elements (``full`` adds a constant, so it changes nothing):

        d loss / d mean = d / (v N),      d loss / d var = (1 / v - d^2 / v^2) / (2 N).

    Returns ``(grad_mean, grad_var)``, each with the shape of its argument: where ``var`` is shared along
    an axis (or is one number) its gradient adds the contributions of the elements that share it.

    The clamp: PyTorch raises var to eps under ``torch.no_grad()``, so autograd passes the gradient
    through the clamp as if it were not there.  Where var < eps this returns the same value, the
    formula above at v = eps, although the loss itself does not change with var there (its true
    derivative is 0).  The non-zero gradient keeps pushing a too-small variance up, which is what
    training needs.  Finite differences agree wherever var > eps.
    """
    name = "gaussian_nll"
    xp, t, mu, vc, v, scalar_var = _gaussian_args(name, y_true, mean, var, eps, full)
    n = size(mu)
    if n == 0:
        raise ValueError(f"{name}: the input is empty (mean has shape {tuple(mu.shape)}): "
                         "the gradient of the mean over no examples is undefined")
    d = mu - t
    g_mean = d / vc / n
    g_var = (1.0 / vc - d * d / (vc * vc)) / (2.0 * n)
    g_var = g_var + xp.zeros_like(d)  # to mean's shape where var is shared
    if scalar_var:
        g_var = xp.reshape(xp.sum(g_var), tuple(v.shape))
    elif tuple(v.shape) != tuple(mu.shape):
        if tuple(v.shape) == tuple(mu.shape[:-1]) and not (v.ndim == mu.ndim):
            g_var = xp.sum(g_var, axis=-1)
        else:
            axes = tuple(i for i, (a, b) in enumerate(zip(mu.shape, v.shape)) if a != b)
            g_var = xp.sum(g_var, axis=axes, keepdims=True)
    return g_mean, g_var


# ----------------------------------------------------------------------------- quantiles and focal loss
def _check_q(q, name):
    return check_param("q", q, 0.0, 1.0, low_open=True, high_open=True, where=f"{name}: ")


@_loss
def pinball(y_true, y_pred, reduction="mean", q=0.5):
    """Pinball (quantile) loss at level q in (0, 1), r = y - y_hat: max(q r, (q - 1) r).

    Under-predictions (r > 0) cost q per unit, over-predictions (1 - q); the minimiser of its mean
    over a sample is a q-quantile of the sample.  q = 0.5 gives half the absolute error.
    """
    q = _check_q(q, "pinball")
    xp, t, p = _pair("pinball", y_true, y_pred)
    r = t - p
    return _reduce(xp, "pinball", xp.maximum(q * r, (q - 1.0) * r), reduction)


@_loss
def pinball_grad(y_true, y_pred, q=0.5):
    """d pinball / d y_hat = -q / N where y > y_hat, (1 - q) / N where y < y_hat.

    At y = y_hat the loss has a kink and every number in [-q, 1 - q] / N is a subgradient; this
    returns 0, the subgradient mae_grad also uses there (sign(0) = 0).
    """
    q = _check_q(q, "pinball")
    xp, t, p = _pair("pinball", y_true, y_pred)
    g = where(t > p, -q, 0.0, like=p) + where(t < p, 1.0 - q, 0.0, like=p)
    return g / size(p)


def _focal_parts(name, t, z, alpha, gamma):
    """(alpha_t, m = 1 - p_t, cross-entropy) for focal_loss, all without cancellation."""
    from .activations import sigmoid, softplus

    gamma = check_param("gamma", gamma, 0.0, where=f"{name}: ")
    if alpha is not None:
        alpha = check_param("alpha", alpha, 0.0, 1.0, where=f"{name}: ")
    xp, t, z = _pair(name, t, z)
    _check_probs(xp, name, y_true=t)
    s_pos, s_neg = sigmoid(z), sigmoid(-z)
    m = t * s_neg + (1.0 - t) * s_pos  # 1 - p_t: sigma(-z) for y = 1, never 1 - sigma(z)
    ce = t * softplus(-z) + (1.0 - t) * softplus(z)
    a_t = 1.0 if alpha is None else alpha * t + (1.0 - alpha) * (1.0 - t)
    return xp, t, z, gamma, a_t, m, ce, s_pos, s_neg


@_loss
def focal_loss(y_true, y_pred, reduction="mean", alpha=0.25, gamma=2.0):
    """Binary focal loss on logits z (Lin et al. 2017), targets y in [0, 1]:

        FL = -alpha_t (1 - p_t)^gamma log p_t,   p = sigma(z),  p_t = p y + (1 - p)(1 - y),
        alpha_t = alpha y + (1 - alpha)(1 - y)   (no weighting when alpha is None).

    For soft targets -log p_t is replaced by the cross-entropy -(y log p + (1 - y) log(1 - p)) (the same
    for y in {0, 1}), as in torchvision.ops.sigmoid_focal_loss, which this matches (its alpha=-1 is
    alpha=None here).  Computed as
    alpha_t m^gamma ce with m = y sigma(-z) + (1 - y) sigma(z) and ce = y softplus(-z) + (1 - y) softplus(z),
    so nothing cancels or overflows for large |z|.  gamma = 0 and alpha = None give binary cross-entropy.
    """
    xp, t, z, gamma, a_t, m, ce, _, _ = _focal_parts("focal_loss", y_true, y_pred, alpha, gamma)
    return _reduce(xp, "focal_loss", a_t * m**gamma * ce, reduction)


@_loss
def focal_loss_grad(y_true, y_pred, alpha=0.25, gamma=2.0):
    """d FL / d z = alpha_t m^gamma (gamma (1 - 2y) (s / m) ce + sigma(z) - y) / N,

    m = 1 - p_t, s = sigma(z) sigma(-z) (so dm/dz = (1 - 2y) s) and ce the cross-entropy.  s / m is
    sigma(z) for y = 1 and sigma(-z) for y = 0 (taken so, without dividing); sigma(z) - y is
    (1 - y) sigma(z) - y sigma(-z), as in binary_cross_entropy_with_logits_grad.
    """
    xp, t, z, gamma, a_t, m, ce, s_pos, s_neg = _focal_parts("focal_loss", y_true, y_pred, alpha, gamma)
    m_safe = xp.where(m > 0, m, xp.ones_like(m))
    ratio = xp.where(t == 1, s_pos, xp.where(t == 0, s_neg, s_pos * s_neg / m_safe))
    dce = (1.0 - t) * s_pos - t * s_neg
    return a_t * m**gamma * (gamma * (1.0 - 2.0 * t) * ratio * ce + dce) / size(z)


#: name -> (loss, gradient), for tables and tests.
LOSSES = {
    name: (globals()[name], globals()[f"{name}_grad"])
    for name in [
        "mean_error", "mse", "mae", "rmse", "msle", "huber", "log_cosh", "binary_cross_entropy",
        "binary_cross_entropy_with_logits", "hinge", "squared_hinge", "categorical_cross_entropy",
        "sparse_categorical_cross_entropy", "kl_divergence",
    ]
}
