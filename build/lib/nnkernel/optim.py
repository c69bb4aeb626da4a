"""Optimizers: ``step(params, grads)`` updates a list of arrays in place.

The update rules are PyTorch's (torch.optim's documented algorithms, no weight
decay), so trajectories match it to round-off.
"""
from __future__ import annotations

from array_api_compat import array_namespace

from ._common import check_param

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

    def __init__(self, lr):
        self.lr = check_param("lr", lr, 0.0, low_open=True, where=f"{type(self).__name__}: ")
        self.state: dict = {}
        self.t = 0

    def step(self, params, grads):
        params, grads = list(params), list(grads)
        if len(params) != len(grads):
            raise ValueError(f"{type(self).__name__}: {len(params)} parameters but {len(grads)} gradients")
        for i, (p, g) in enumerate(zip(params, grads)):
            if tuple(p.shape) != tuple(g.shape):
                raise ValueError(f"{type(self).__name__}: parameter {i} has shape {tuple(p.shape)} "
                                 f"but its gradient has shape {tuple(g.shape)}")
        self.t += 1
        xp = _namespace(params[0]) if params else None  # one backend per model: look it up once
        for i, (p, g) in enumerate(zip(params, grads)):
            self._update(i, p, g, xp)

    def _update(self, i, p, g, xp):  # pragma: no cover - abstract
        raise NotImplementedError


def _inplace_sub(p, delta):
    p -= delta


class SGD(Optimizer):
    """Stochastic gradient descent, with optional (Nesterov) momentum, as in torch.optim.SGD.

    b_t = momentum b_{t-1} + g_t (b_1 = g_1); the step is g_t + momentum b_t with
    Nesterov, else b_t (plain g_t without momentum); p <- p - lr * step.
    """

    def __init__(self, lr=0.01, momentum=0.0, nesterov=False):
        super().__init__(lr)
        self.momentum = check_param("momentum", momentum, 0.0, 1.0, high_open=True, where="SGD: ")
        self.nesterov = bool(nesterov)
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
    """

    def __init__(self, lr=0.01, eps=1e-10):
        super().__init__(lr)
        self.eps = check_param("eps", eps, 0.0, low_open=True, where="Adagrad: ")

    def _update(self, i, p, g, xp):
        s = self.state.get(i)
        s = g * g if s is None else s + g * g
        self.state[i] = s
        _inplace_sub(p, self.lr * g / (xp.sqrt(s) + self.eps))


class RMSProp(Optimizer):
    """RMSProp, as in torch.optim.RMSprop (its ``alpha`` is our ``beta``).

    v_t = beta v_{t-1} + (1 - beta) g_t^2 (v_0 = 0); p <- p - lr g_t / (sqrt(v_t) + eps).
    """

    def __init__(self, lr=0.01, beta=0.99, eps=1e-8):
        super().__init__(lr)
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
    """

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
        super().__init__(lr)
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
