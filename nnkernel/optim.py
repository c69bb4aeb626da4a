"""Optimizers: ``step(params, grads)`` updates a list of arrays in place.

The update rules are PyTorch's (torch.optim's documented algorithms, no weight
decay), so trajectories match it to round-off.
"""
from __future__ import annotations

from array_api_compat import array_namespace

from ._common import check_param

__all__ = ["Optimizer", "SGD"]


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
        for i, (p, g) in enumerate(zip(params, grads)):
            self._update(i, p, g, array_namespace(p))

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
