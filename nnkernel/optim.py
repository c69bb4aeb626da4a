"""Optimizers: ``step(params, grads)`` updates a list of arrays in place.

The update rules are PyTorch's (torch.optim's documented algorithms), so
trajectories match it to round-off.  Each optimizer takes ``weight_decay``
(default 0), applied as PyTorch does before anything else:
g <- g + weight_decay * p, the gradient of the L2 penalty (weight_decay / 2) ||p||^2
(see :mod:`nnkernel.regularization`); for Adam this is the L2 form, not AdamW's
decoupled decay (:class:`AdamW` has that: p <- p (1 - lr weight_decay) before the Adam
step).  With weight_decay = 0 the step does no extra array operation.

Learning-rate schedules (:class:`StepLR`, :class:`ExponentialLR`,
:class:`CosineAnnealingLR`, :class:`LinearLR`, :class:`OneCycleLR`) follow
torch.optim.lr_scheduler: made from an optimizer, they set its ``lr`` for step 0
at once and for the next step at each ``schedule.step()``; ``lr_at(t)`` is the
same rate as a pure function of the step count t, in closed form (PyTorch
updates most of them recursively, so the two agree to round-off, not bit for bit).

``params`` is a list (or tuple) of floating arrays, updated in place, or a dict
of them; ``grads`` matches it: a list of the same length, or a dict with the
same keys, of arrays (or nested lists of numbers) of the same shapes.  Anything
else is a TypeError or ValueError that says what is expected.  Gradients are not
checked for NaN (a cost on every step); :func:`nnkernel.models.fit` stops a run
whose output stops being finite.
"""
from __future__ import annotations

import math

import numpy as np
from array_api_compat import array_namespace, is_array_api_obj

from . import fused
from ._common import _describe, check_bool, check_param, prepare

__all__ = ["Optimizer", "SGD", "Adagrad", "RMSProp", "Adam", "AdamW", "OPTIMIZERS",
           "Schedule", "StepLR", "ExponentialLR", "CosineAnnealingLR", "LinearLR", "OneCycleLR",
           "SCHEDULES"]


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
    With ``amsgrad=True`` (Reddi et al. 2018, PyTorch's form) the denominator uses
    vmax_t = max(vmax_{t-1}, v_t) (vmax_0 = 0) in place of v_t, still divided by
    sqrt(1 - beta2^t): p <- p - (lr / (1 - beta1^t)) m_t / (sqrt(vmax_t) / sqrt(1 - beta2^t) + eps).
    """

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, amsgrad=False):
        super().__init__(lr, weight_decay)
        who = f"{type(self).__name__}: "
        self.beta1 = check_param("beta1", beta1, 0.0, 1.0, high_open=True, where=who)
        self.beta2 = check_param("beta2", beta2, 0.0, 1.0, high_open=True, where=who)
        self.eps = check_param("eps", eps, 0.0, low_open=True, where=who)
        self.amsgrad = check_bool("amsgrad", amsgrad, where=who)

    def _update(self, i, p, g, xp):
        if self.amsgrad:
            return self._update_amsgrad(i, p, g, xp)
        m, v = self.state.get(i, (None, None))
        if fused.adam_applies(p, g) and (m is None or fused.adam_applies(m, p) and fused.adam_applies(v, p)):
            # one pass in place, the same numbers bit for bit (see fused.adam); state of another shape or
            # dtype (a parameter replaced) goes the array way below, which says what is wrong
            if m is None:  # beta1 * 0 + (1 - beta1) g is (1 - beta1) g exactly: the first step as below
                m, v = np.zeros_like(p), np.zeros_like(p)
                self.state[i] = (m, v)
            fused.adam(p, g, m, v, self.beta1, self.beta2, self.lr / (1 - self.beta1 ** self.t),
                       (1 - self.beta2 ** self.t) ** 0.5, self.eps)
            return None
        m = (1 - self.beta1) * g if m is None else self.beta1 * m + (1 - self.beta1) * g
        v = (1 - self.beta2) * g * g if v is None else self.beta2 * v + (1 - self.beta2) * g * g
        self.state[i] = (m, v)
        bc1 = 1 - self.beta1 ** self.t
        bc2 = 1 - self.beta2 ** self.t
        _inplace_sub(p, (self.lr / bc1) * m / (xp.sqrt(v) / bc2 ** 0.5 + self.eps))

    def _update_amsgrad(self, i, p, g, xp):
        m, v, vmax = self.state.get(i, (None, None, None))
        m = (1 - self.beta1) * g if m is None else self.beta1 * m + (1 - self.beta1) * g
        v = (1 - self.beta2) * g * g if v is None else self.beta2 * v + (1 - self.beta2) * g * g
        vmax = v * 1.0 if vmax is None else xp.maximum(vmax, v)  # vmax_0 = 0 and v >= 0
        self.state[i] = (m, v, vmax)
        bc1 = 1 - self.beta1 ** self.t
        bc2 = 1 - self.beta2 ** self.t
        _inplace_sub(p, (self.lr / bc1) * m / (xp.sqrt(vmax) / bc2 ** 0.5 + self.eps))


class AdamW(Adam):
    """AdamW (Loshchilov and Hutter 2019), as in torch.optim.AdamW: Adam with decoupled weight decay.

    Before the Adam step, p <- p (1 - lr * weight_decay); the gradient is left alone,
    so the decay is not divided by Adam's sqrt(v_hat) (Adam's ``weight_decay`` adds
    weight_decay * p to the gradient instead, the L2 form). PyTorch's default
    weight_decay = 0.01.  ``amsgrad`` as in :class:`Adam`.
    """

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01, amsgrad=False):
        super().__init__(lr, beta1, beta2, eps, weight_decay, amsgrad)

    def step(self, params, grads):
        """Update ``params`` in place: decay each by the factor 1 - lr * weight_decay, then Adam's step."""
        keys, params, grads = self._matched(params, grads)
        self.t += 1
        xp = _namespace(params[0]) if params else None
        shrink = 1 - self.lr * self.weight_decay
        for i, p, g in zip(keys, params, grads):
            if self.weight_decay:
                p *= shrink
            self._update(i, p, g, xp)


OPTIMIZERS = {"sgd": SGD, "adagrad": Adagrad, "rmsprop": RMSProp, "adam": Adam, "adamw": AdamW}


# ----------------------------------------------------------------------------- learning-rate schedules
def _check_count(name, value, where, low=1):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{where}{name} must be an integer >= {low}, got {_describe(value)}")
    return int(value)


class Schedule:
    """Base class of the learning-rate schedules, as torch.optim.lr_scheduler's.

    ``Schedule(optimizer)`` remembers ``base_lr = optimizer.lr`` and sets
    ``optimizer.lr = lr_at(0)``; each ``step()`` (call it after ``optimizer.step``)
    advances the count t by one and sets ``optimizer.lr = lr_at(t)``.
    ``lr_at(t)`` is the closed form; ``last_lr`` the rate set last.
    """

    def __init__(self, optimizer):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: optimizer must be an nnkernel optimizer, "
                            f"got {_describe(optimizer)}")
        self.optimizer = optimizer
        self.base_lr = optimizer.lr
        self.last_step = 0
        self._apply()

    def lr_at(self, t):  # pragma: no cover - abstract
        raise NotImplementedError

    def _apply(self):
        self.last_lr = self.optimizer.lr = self.lr_at(self.last_step)

    def step(self):
        """Advance one step and set the optimizer's ``lr`` for it; return that rate."""
        self.last_step += 1
        self._apply()
        return self.last_lr

    def rates(self, n):
        """``[lr_at(0), ..., lr_at(n - 1)]`` as a NumPy array (does not touch the optimizer)."""
        return np.array([self.lr_at(t) for t in range(n)])

    def _t(self, t):
        return _check_count("t", t, f"{type(self).__name__}.lr_at: ", low=0)


class StepLR(Schedule):
    """lr_t = base_lr * gamma^floor(t / step_size), as torch.optim.lr_scheduler.StepLR."""

    def __init__(self, optimizer, step_size, gamma=0.1):
        self.step_size = _check_count("step_size", step_size, "StepLR: ")
        self.gamma = check_param("gamma", gamma, 0.0, low_open=True, where="StepLR: ")
        super().__init__(optimizer)

    def lr_at(self, t):
        return self.base_lr * self.gamma ** (self._t(t) // self.step_size)


class ExponentialLR(Schedule):
    """lr_t = base_lr * gamma^t, as torch.optim.lr_scheduler.ExponentialLR."""

    def __init__(self, optimizer, gamma):
        self.gamma = check_param("gamma", gamma, 0.0, low_open=True, where="ExponentialLR: ")
        super().__init__(optimizer)

    def lr_at(self, t):
        return self.base_lr * self.gamma ** self._t(t)


class CosineAnnealingLR(Schedule):
    """lr_t = eta_min + (base_lr - eta_min) (1 + cos(pi t / T_max)) / 2, as torch's CosineAnnealingLR.

    From base_lr at t = 0 down to eta_min at t = T_max; beyond T_max the cosine
    continues (back up to base_lr at 2 T_max), as PyTorch's does.
    """

    def __init__(self, optimizer, T_max, eta_min=0.0):
        self.T_max = _check_count("T_max", T_max, "CosineAnnealingLR: ")
        self.eta_min = check_param("eta_min", eta_min, 0.0, where="CosineAnnealingLR: ")
        super().__init__(optimizer)

    def lr_at(self, t):
        return self.eta_min + (self.base_lr - self.eta_min) * (1 + math.cos(math.pi * self._t(t) / self.T_max)) / 2


class LinearLR(Schedule):
    """A linear warm-up (or decay), as torch.optim.lr_scheduler.LinearLR.

    lr_t = base_lr * (start_factor + (end_factor - start_factor) min(t, total_iters) / total_iters):
    from start_factor * base_lr at t = 0 to end_factor * base_lr from t = total_iters on.
    """

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5):
        who = "LinearLR: "
        self.start_factor = check_param("start_factor", start_factor, 0.0, 1.0, low_open=True, where=who)
        self.end_factor = check_param("end_factor", end_factor, 0.0, 1.0, where=who)
        self.total_iters = _check_count("total_iters", total_iters, who)
        super().__init__(optimizer)

    def lr_at(self, t):
        frac = min(self._t(t), self.total_iters) / self.total_iters
        return self.base_lr * (self.start_factor + (self.end_factor - self.start_factor) * frac)


class OneCycleLR(Schedule):
    """The one-cycle policy (Smith and Topin 2019), as torch.optim.lr_scheduler.OneCycleLR (cosine, two phases).

    Warm-up from max_lr / div_factor to max_lr over the first pct_start * total_steps - 1
    steps, then down to max_lr / (div_factor * final_div_factor) at step total_steps - 1,
    each by the cosine anneal a(start, end, x) = end + (start - end) (1 + cos(pi x)) / 2,
    x the fraction of the phase done.  With ``cycle_momentum`` (PyTorch's default) the
    momentum runs the other way, from max_momentum down to base_momentum and back, by the
    same anneal; it sets SGD's ``momentum`` or Adam's ``beta1``.  The optimizer's own lr
    is not used.  Stepping past total_steps is a ValueError, as in PyTorch.
    """

    def __init__(self, optimizer, max_lr, total_steps, pct_start=0.3, cycle_momentum=True,
                 base_momentum=0.85, max_momentum=0.95, div_factor=25.0, final_div_factor=1e4):
        who = "OneCycleLR: "
        self.max_lr = check_param("max_lr", max_lr, 0.0, low_open=True, where=who)
        self.total_steps = _check_count("total_steps", total_steps, who)
        self.pct_start = check_param("pct_start", pct_start, 0.0, 1.0, where=who)
        self.cycle_momentum = check_bool("cycle_momentum", cycle_momentum, where=who)
        self.base_momentum = check_param("base_momentum", base_momentum, 0.0, 1.0, high_open=True, where=who)
        self.max_momentum = check_param("max_momentum", max_momentum, 0.0, 1.0, high_open=True, where=who)
        self.div_factor = check_param("div_factor", div_factor, 0.0, low_open=True, where=who)
        self.final_div_factor = check_param("final_div_factor", final_div_factor, 0.0, low_open=True, where=who)
        self.initial_lr = self.max_lr / self.div_factor
        self.min_lr = self.initial_lr / self.final_div_factor
        self.end_warmup = float(self.pct_start * self.total_steps) - 1
        if not 0 < self.end_warmup < self.total_steps - 1:
            raise ValueError(f"{who}pct_start * total_steps - 1 = {self.end_warmup:g} must lie strictly "
                             f"between 0 and total_steps - 1 = {self.total_steps - 1}")
        if self.cycle_momentum:
            if not (hasattr(optimizer, "beta1") or hasattr(optimizer, "momentum")):
                raise ValueError(f"{who}cycle_momentum=True needs an optimizer with momentum or beta1, "
                                 f"got {type(optimizer).__name__}; pass cycle_momentum=False")
        super().__init__(optimizer)

    @staticmethod
    def _anneal(start, end, pct):
        return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)

    def _phase(self, t):
        t = self._t(t)
        if t > self.total_steps:
            raise ValueError(f"OneCycleLR: step {t} is past total_steps = {self.total_steps}")
        if t <= self.end_warmup:
            return t / self.end_warmup, True
        return (t - self.end_warmup) / (self.total_steps - 1 - self.end_warmup), False

    def lr_at(self, t):
        pct, up = self._phase(t)
        return self._anneal(self.initial_lr, self.max_lr, pct) if up else self._anneal(self.max_lr, self.min_lr, pct)

    def momentum_at(self, t):
        """The momentum (SGD's ``momentum``, Adam's ``beta1``) the schedule sets for step t."""
        pct, up = self._phase(t)
        if up:
            return self._anneal(self.max_momentum, self.base_momentum, pct)
        return self._anneal(self.base_momentum, self.max_momentum, pct)

    def _apply(self):
        super()._apply()
        if self.cycle_momentum:
            name = "beta1" if hasattr(self.optimizer, "beta1") else "momentum"
            setattr(self.optimizer, name, self.momentum_at(self.last_step))


SCHEDULES = {"step": StepLR, "exponential": ExponentialLR, "cosine": CosineAnnealingLR, "linear": LinearLR,
             "one_cycle": OneCycleLR}
