"""Optimizers: ``step(params, grads)`` updates a list of arrays in place.

The update rules are PyTorch's (torch.optim's documented algorithms), so
trajectories match it to round-off.  Each optimizer takes ``weight_decay``
(default 0), applied as PyTorch does before anything else:
g <- g + weight_decay * p, the gradient of the L2 penalty (weight_decay / 2) ||p||^2
(see :mod:`nnkernel.regularization`); for Adam this is the L2 form, not AdamW's
decoupled decay.  With weight_decay = 0 the step does no extra array operation.

``params`` is a list (or tuple) of floating arrays, updated in place, or a dict
of them; ``grads`` matches it: a list of the same length, or a dict with the
same keys, of arrays (or nested lists of numbers) of the same shapes.  Anything
else is a TypeError or ValueError that says what is expected.  Gradients are not
checked for NaN (a cost on every step); :func:`nnkernel.models.fit` stops a run
whose output stops being finite.
"""
from __future__ import annotations

import numpy as np
from array_api_compat import array_namespace, is_array_api_obj

from ._common import _describe, check_bool, check_param, prepare

__all__ = ["Optimizer", "SGD", "Adagrad", "RMSProp", "Adam", "OPTIMIZERS"]


_NAMESPACES: dict = {}


def _namespace(a):
    """``array_namespace(a)``, remembered per array type: on a small model the lookup costs more than the update."""
    xp = _NAMESPACES.get(type(a))
    if xp is None:
        xp = _NAMESPACES[type(a)] = array_namespace(a)
    return xp


class Optimizer:
    """Base class: checks the lists, keeps per-parameter state keyed by position."""

    def __init__(self, lr, weight_decay=0.0):
        where = f"{type(self).__name__}: "
        self.lr = check_param("lr", lr, 0.0, low_open=True, where=where)
        self.weight_decay = check_param("weight_decay", weight_decay, 0.0, where=where)
        self.state: dict = {}
        self.t = 0

    def step(self, params, grads):
        """Update ``params`` in place with ``grads``: matched lists of arrays, or dicts with the same keys."""
        keys, params, grads = self._matched(params, grads)
        self.t += 1
        xp = _namespace(params[0]) if params else None  # one backend per model: look it up once
        wd = self.weight_decay
        if wd:  # PyTorch's weight decay, before anything else: g <- g + wd * p
            for i, p, g in zip(keys, params, grads):
                self._update(i, p, g + wd * p, xp)
        else:
            for i, p, g in zip(keys, params, grads):
                self._update(i, p, g, xp)

    def _matched(self, params, grads):
        """(state keys, parameter arrays, gradient arrays) from matched lists or dicts, checked."""
        who = f"{type(self).__name__}.step: "
        if isinstance(params, dict):
            if not isinstance(grads, dict):
                raise TypeError(f"{who}params is a dict, so grads must be a dict with the same keys, "
                                f"got {type(grads).__name__}")
            if set(params) != set(grads):
                raise ValueError(f"{who}params and grads must have the same keys; params has "
                                 f"{sorted(map(str, params))}, grads has {sorted(map(str, grads))}")
            keys = list(params)
            params, grads = [params[k] for k in keys], [grads[k] for k in keys]
            labels = [f"[{k!r}]" for k in keys]
        else:
            for name, v in (("params", params), ("grads", grads)):
                if not isinstance(v, (list, tuple)):
                    raise TypeError(f"{who}{name} must be a list (or dict) of arrays, got {_describe(v)}")
            if len(params) != len(grads):
                raise ValueError(f"{type(self).__name__}: {len(params)} parameters but {len(grads)} gradients")
            keys = range(len(params))
            labels = None
        params, grads = list(params), list(grads)
        for i, (p, g) in enumerate(zip(params, grads)):
            if not (type(p) is np.ndarray and p.dtype.kind == "f"):  # the common case, checked for free
                if not (is_array_api_obj(p) and _namespace(p).isdtype(p.dtype, "real floating")):
                    raise TypeError(f"{who}params{labels[i] if labels else f'[{i}]'} must be an array of floats "
                                    f"(it is updated in place), got {_describe(p)}")
            if not (type(g) is np.ndarray and g.dtype.kind == "f") and not (
                    is_array_api_obj(g) and _namespace(g).isdtype(g.dtype, "real floating")):
                g = grads[i] = prepare(g, names=(f"grads{labels[i] if labels else f'[{i}]'}",), where=who)[1][0]
            if tuple(p.shape) != tuple(g.shape):
                raise ValueError(f"{type(self).__name__}: parameter {labels[i] if labels else i} has shape "
                                 f"{tuple(p.shape)} but its gradient has shape {tuple(g.shape)}")
        return keys, params, grads

    def _update(self, i, p, g, xp):  # pragma: no cover - abstract
        raise NotImplementedError


def _inplace_sub(p, delta):
    p -= delta


class SGD(Optimizer):
    """Stochastic gradient descent, with optional (Nesterov) momentum, as in torch.optim.SGD.

    b_t = momentum b_{t-1} + g_t (b_1 = g_1); the step is g_t + momentum b_t with
    Nesterov, else b_t (plain g_t without momentum); p <- p - lr * step.
    Weight decay first: g_t <- g_t + weight_decay * p.
    """

    def __init__(self, lr=0.01, momentum=0.0, nesterov=False, weight_decay=0.0):
        super().__init__(lr, weight_decay)
        self.momentum = check_param("momentum", momentum, 0.0, 1.0, high_open=True, where="SGD: ")
        self.nesterov = check_bool("nesterov", nesterov, where="SGD: ")
        if self.nesterov and self.momentum == 0:
            raise ValueError("SGD: nesterov=True needs a momentum in (0, 1)")

    def _update(self, i, p, g, xp):
        if self.momentum:
            buf = self.state.get(i)
            buf = g * 1.0 if buf is None else self.momentum * buf + g
            self.state[i] = buf
            g = g + self.momentum * buf if self.nesterov else buf
        _inplace_sub(p, self.lr * g)


class Adagrad(Optimizer):
    """Adagrad, as in torch.optim.Adagrad: s_t = s_{t-1} + g_t^2; p <- p - lr g_t / (sqrt(s_t) + eps).

    Each parameter's step shrinks with the sum of its past squared gradients,
    so rarely updated (sparse) parameters keep larger steps.
    Weight decay first: g_t <- g_t + weight_decay * p.
    """

    def __init__(self, lr=0.01, eps=1e-10, weight_decay=0.0):
        super().__init__(lr, weight_decay)
        self.eps = check_param("eps", eps, 0.0, low_open=True, where="Adagrad: ")

    def _update(self, i, p, g, xp):
        s = self.state.get(i)
        s = g * g if s is None else s + g * g
        self.state[i] = s
        _inplace_sub(p, self.lr * g / (xp.sqrt(s) + self.eps))


class RMSProp(Optimizer):
    """RMSProp, as in torch.optim.RMSprop (its ``alpha`` is our ``beta``).

    v_t = beta v_{t-1} + (1 - beta) g_t^2 (v_0 = 0); p <- p - lr g_t / (sqrt(v_t) + eps).
    Weight decay first: g_t <- g_t + weight_decay * p.
    """

    def __init__(self, lr=0.01, beta=0.99, eps=1e-8, weight_decay=0.0):
        super().__init__(lr, weight_decay)
        self.beta = check_param("beta", beta, 0.0, 1.0, high_open=True, where="RMSProp: ")
        self.eps = check_param("eps", eps, 0.0, low_open=True, where="RMSProp: ")

    def _update(self, i, p, g, xp):
        v = self.state.get(i)
        v = (1 - self.beta) * g * g if v is None else self.beta * v + (1 - self.beta) * g * g
        self.state[i] = v
        _inplace_sub(p, self.lr * g / (xp.sqrt(v) + self.eps))


class Adam(Optimizer):
    """Adam, as in torch.optim.Adam: two bias-corrected EWMAs of the gradient and its square.

    m_t = beta1 m_{t-1} + (1 - beta1) g_t,  v_t = beta2 v_{t-1} + (1 - beta2) g_t^2;
    p <- p - (lr / (1 - beta1^t)) m_t / (sqrt(v_t) / sqrt(1 - beta2^t) + eps).
    Weight decay first (L2, not AdamW): g_t <- g_t + weight_decay * p.
    """

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
        super().__init__(lr, weight_decay)
        self.beta1 = check_param("beta1", beta1, 0.0, 1.0, high_open=True, where="Adam: ")
        self.beta2 = check_param("beta2", beta2, 0.0, 1.0, high_open=True, where="Adam: ")
        self.eps = check_param("eps", eps, 0.0, low_open=True, where="Adam: ")

    def _update(self, i, p, g, xp):
        m, v = self.state.get(i, (None, None))
        m = (1 - self.beta1) * g if m is None else self.beta1 * m + (1 - self.beta1) * g
        v = (1 - self.beta2) * g * g if v is None else self.beta2 * v + (1 - self.beta2) * g * g
        self.state[i] = (m, v)
        bc1 = 1 - self.beta1 ** self.t
        bc2 = 1 - self.beta2 ** self.t
        _inplace_sub(p, (self.lr / bc1) * m / (xp.sqrt(v) / bc2 ** 0.5 + self.eps))


OPTIMIZERS = {"sgd": SGD, "adagrad": Adagrad, "rmsprop": RMSProp, "adam": Adam}
