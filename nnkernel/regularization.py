"""L1 and L2 penalties on the parameters, their gradients, and the L1 proximal step.

A penalty is added to the loss, its gradient to each parameter's gradient:

* L1: rate * sum_i sum |p_i|, gradient rate * sign(p) (the subgradient 0 at 0);
* L2: (rate / 2) * sum_i ||p_i||^2, gradient rate * p -- exactly the term
  ``weight_decay`` adds in :mod:`nnkernel.optim` (and in torch.optim).

A gradient step on the L1 penalty makes weights oscillate around 0 and rarely
hit it; the proximal step :func:`soft_threshold` (ISTA) sets them exactly to 0::

    opt.step(params, grads)              # gradient step on the loss alone
    for W in params:
        soft_threshold(W, lr * rate)     # then the L1 penalty's proximal step

``params`` is a list (or tuple, or dict) of floating arrays; every function
computes in the namespace of its input arrays.  Penalties are Python floats.
"""
from __future__ import annotations

import numpy as np
from array_api_compat import array_namespace, is_array_api_obj

from ._common import _describe, check_float, host_scalar

__all__ = ["l1_penalty", "l1_grad", "l2_penalty", "l2_grad", "soft_threshold"]


def _float_array(name, p, where):
    """``(xp, p)`` if ``p`` is an array of floats, else a TypeError naming ``name``."""
    if is_array_api_obj(p):
        try:
            xp = array_namespace(p)
            if xp.isdtype(p.dtype, "real floating"):
                return xp, p
        except Exception:  # dtypes the namespace does not know (strings, objects)
            pass
    raise TypeError(f"{where}{name} must be an array of floats, got {_describe(p)}")


def _param_list(params, where):
    """The parameter arrays of a list, tuple or dict of float arrays, each checked."""
    if isinstance(params, dict):
        items = [(f"params[{k!r}]", p) for k, p in params.items()]
    elif isinstance(params, (list, tuple)):
        items = [(f"params[{i}]", p) for i, p in enumerate(params)]
    else:
        hint = " (wrap a single array in a list: [W])" if is_array_api_obj(params) else ""
        raise TypeError(f"{where}params must be a list (or dict) of arrays of floats, got "
                        f"{_describe(params)}{hint}")
    return [_float_array(name, p, where) for name, p in items]


def _rate(rate, where):
    return check_float("rate", rate, 0.0, where=where)


def l1_penalty(params, rate):
    """rate * sum_i sum |p_i|: the L1 penalty of all parameters, as a Python float."""
    where = "l1_penalty: "
    rate = _rate(rate, where)
    total = 0.0
    for xp, p in _param_list(params, where):
        total += host_scalar(xp.sum(xp.abs(p)))
    return rate * total


def l1_grad(p, rate):
    """rate * sign(p): the (sub)gradient of the L1 penalty for one parameter array, 0 where p = 0."""
    where = "l1_grad: "
    rate = _rate(rate, where)
    xp, p = _float_array("p", p, where)
    return rate * xp.sign(p)


def l2_penalty(params, rate):
    """(rate / 2) * sum_i ||p_i||^2: the L2 penalty of all parameters, as a Python float."""
    where = "l2_penalty: "
    rate = _rate(rate, where)
    total = 0.0
    for xp, p in _param_list(params, where):
        total += host_scalar(xp.sum(p * p))
    return 0.5 * rate * total


def l2_grad(p, rate):
    """rate * p: the gradient of the L2 penalty for one parameter array (PyTorch's weight_decay term)."""
    where = "l2_grad: "
    rate = _rate(rate, where)
    _, p = _float_array("p", p, where)
    return rate * p


def soft_threshold(p, threshold):
    """In place, p <- sign(p) * max(|p| - threshold, 0); returns ``p``.

    The proximal step of the L1 penalty: argmin_w 0.5 (w - p)^2 + threshold |w|,
    elementwise.  Entries with |p| <= threshold become exactly 0, the others move
    ``threshold`` towards 0.  After a gradient step with learning rate lr, call
    ``soft_threshold(W, lr * rate)`` for the penalty rate * sum |W| (ISTA).
    """
    where = "soft_threshold: "
    threshold = check_float("threshold", threshold, 0.0, where=where)
    xp, p = _float_array("p", p, where)
    if isinstance(p, np.generic):  # a NumPy scalar cannot change in place
        raise TypeError(f"{where}p must be an array of floats (it is updated in place), got {_describe(p)}")
    if threshold:
        # p - clip(p, -t, t) is the formula, rounded the same: |p| - t (one rounding) with p's sign, else 0
        p -= xp.clip(p, -threshold, threshold)
    return p
