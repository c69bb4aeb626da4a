"""Layers with one protocol: ``forward(x, training=True)``, ``backward(grad_out) -> grad_in``.

Each layer keeps its trainable arrays in ``params`` and, after ``backward``,
the gradients of the loss with respect to them in ``grads`` (same keys).
Inputs are batches of shape (N, features).  ``min_batch_size`` is the
smallest batch a layer can train on (1; 2 for BatchNorm, whose batch variance
needs two examples): :func:`nnkernel.models.fit` never hands it a smaller one.
Constructor arguments are checked (TypeError/ValueError naming the argument).
"""
from __future__ import annotations

from array_api_compat import array_namespace

from . import activations as _act
from . import backend, init as _init
from ._common import check_bool, check_int, check_param, check_seed, prepare

__all__ = ["Layer", "Dense", "Activation", "BatchNorm"]


class Layer:
    """Base class: a layer with no parameters passes gradients through unchanged."""

    #: the smallest batch the layer can take in training
    min_batch_size = 1

    def __init__(self):
        self.params: dict = {}
        self.grads: dict = {}
        self.name = type(self).__name__

    def forward(self, x, training=True):  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, grad_out):  # pragma: no cover - abstract
        raise NotImplementedError

    def __call__(self, x, training=True):
        return self.forward(x, training=training)

    def _input(self, x, training):
        """x checked (real numbers, shape (N, features) checked by the layer) and ``training`` a bool."""
        check_bool("training", training, where=f"{self.name}.forward: ")
        return prepare(x, names=("x",), where=f"{self.name}.forward: ")

    def _grad_input(self, grad_out):
        return prepare(grad_out, names=("grad_out",), where=f"{self.name}.backward: ")[1][0]

    def _check(self, what, expected, got):
        if tuple(expected) != tuple(got):
            raise ValueError(f"{self.name}: {what} has shape {tuple(got)}, expected {tuple(expected)}")

    def _need_forward(self):
        if getattr(self, "_cache", None) is None:
            raise RuntimeError(f"{self.name}: call forward before backward")


class Dense(Layer):
    """Fully connected layer: y = x W + b, W of shape (in_features, out_features), b of shape (out_features,).

    Backward: dL/dW = x^T g, dL/db = sum over the batch of g, dL/dx = g W^T.
    """

    def __init__(self, in_features, out_features, init="he_normal", seed=None):
        super().__init__()
        self.in_features = check_int("in_features", in_features, 1, where="Dense: ")
        self.out_features = check_int("out_features", out_features, 1, where="Dense: ")
        seed = check_seed(seed, where="Dense: ")
        self.name = f"Dense({self.in_features}, {self.out_features})"
        self.params["W"] = _init.get(init)(self.in_features, self.out_features, seed=seed)
        self.params["b"] = backend.asarray([0.0] * self.out_features)
        self.grads = {k: None for k in self.params}
        self._cache = None

    def forward(self, x, training=True):
        xp, (x,) = self._input(x, training)
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise ValueError(f"{self.name}: input has shape {tuple(x.shape)}, expected (N, {self.in_features})")
        self._cache = x
        return x @ self.params["W"] + self.params["b"]

    def backward(self, grad_out):
        self._need_forward()
        grad_out = self._grad_input(grad_out)
        x = self._cache
        self._check("grad_out", (x.shape[0], self.out_features), grad_out.shape)
        xp = array_namespace(grad_out)
        self.grads["W"] = x.T @ grad_out
        self.grads["b"] = xp.sum(grad_out, axis=0)
        return grad_out @ self.params["W"].T


class Activation(Layer):
    """Applies an activation from :mod:`nnkernel.activations` by name, e.g. ``Activation("leaky_relu", alpha=0.1)``.

    Backward multiplies by the derivative elementwise; for softmax it applies
    the Jacobian, dL/dz = s * (g - sum_j g_j s_j); for maxout it routes each
    group's gradient to the group's maximum.
    """

    def __init__(self, name, **params):
        super().__init__()
        if not isinstance(name, str):
            raise TypeError(f"Activation: name must be the name of an activation ({', '.join(_act.REGISTRY)}), "
                            f"got {name!r}")
        if name not in _act.REGISTRY:
            raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(_act.REGISTRY)}")
        self.info = _act.REGISTRY[name]
        self.kind = name
        self.kwargs = params
        self.name = f"Activation({name!r})"
        k = check_int("k", params["k"], 1, where="maxout: ") if "k" in params else 1
        self.info.fn(backend.asarray([[0.0] * k]), **params)  # validate the parameters now
        self._cache = None

    def forward(self, x, training=True):
        xp, (x,) = self._input(x, training)
        out = self.info.fn(x, **self.kwargs)
        self._cache = (x, out)
        return out

    def backward(self, grad_out):
        self._need_forward()
        grad_out = self._grad_input(grad_out)
        x, out = self._cache
        self._check("grad_out", out.shape, grad_out.shape)
        xp = array_namespace(grad_out)
        if self.kind == "softmax":
            return out * (grad_out - xp.sum(grad_out * out, axis=-1, keepdims=True))
        if self.kind == "maxout":
            k = int(self.kwargs["k"])
            mask = _act.maxout_grad(x, k)
            expanded = xp.reshape(xp.broadcast_to(grad_out[..., None], (*grad_out.shape, k)), x.shape)
            return expanded * mask
        return grad_out * self.info.grad(x, **self.kwargs)


class BatchNorm(Layer):
    """Batch normalization over the batch axis, with PyTorch's semantics.

    Training: x_hat = (x - mu_B) / sqrt(var_B + eps) with the batch mean and the
    biased batch variance; y = gamma x_hat + beta; running statistics updated as
    running = (1 - momentum) running + momentum * batch_stat, with the unbiased
    variance.  Evaluation: the running statistics replace the batch's.
    Backward (training): dL/dx = (gamma / (N sigma)) (N g - sum g - x_hat sum(g x_hat)).
    """

    #: the batch variance needs two examples
    min_batch_size = 2

    def __init__(self, num_features, momentum=0.1, eps=1e-5):
        super().__init__()
        self.num_features = check_int("num_features", num_features, 1, where="BatchNorm: ")
        self.momentum = check_param("momentum", momentum, 0.0, 1.0, where="BatchNorm: ")
        self.eps = check_param("eps", eps, 0.0, low_open=True, where="BatchNorm: ")
        self.name = f"BatchNorm({self.num_features})"
        self.params["gamma"] = backend.asarray([1.0] * self.num_features)
        self.params["beta"] = backend.asarray([0.0] * self.num_features)
        self.grads = {k: None for k in self.params}
        self.running_mean = backend.asarray([0.0] * self.num_features)
        self.running_var = backend.asarray([1.0] * self.num_features)
        self._cache = None

    def forward(self, x, training=True):
        xp, (x,) = self._input(x, training)
        if x.ndim != 2 or x.shape[1] != self.num_features:
            raise ValueError(f"{self.name}: input has shape {tuple(x.shape)}, expected (N, {self.num_features})")
        if training:
            n = x.shape[0]
            if n < 2:
                raise ValueError(f"{self.name}: training needs a batch of at least 2 examples, got {n}")
            mean = xp.mean(x, axis=0)
            centred = x - mean
            var = xp.mean(centred * centred, axis=0)
            m = self.momentum
            self.running_mean = (1 - m) * self.running_mean + m * mean
            self.running_var = (1 - m) * self.running_var + m * var * (n / (n - 1))
        else:
            mean, var = self.running_mean, self.running_var
            centred = x - mean
        inv_std = 1.0 / xp.sqrt(var + self.eps)
        x_hat = centred * inv_std
        self._cache = (x_hat, inv_std, training)
        return self.params["gamma"] * x_hat + self.params["beta"]

    def backward(self, grad_out):
        self._need_forward()
        grad_out = self._grad_input(grad_out)
        x_hat, inv_std, training = self._cache
        self._check("grad_out", x_hat.shape, grad_out.shape)
        xp = array_namespace(grad_out)
        gamma = self.params["gamma"]
        self.grads["gamma"] = xp.sum(grad_out * x_hat, axis=0)
        self.grads["beta"] = xp.sum(grad_out, axis=0)
        if not training:
            return grad_out * gamma * inv_std
        n = x_hat.shape[0]
        g = grad_out * gamma  # dL/dx_hat
        return (inv_std / n) * (n * g - xp.sum(g, axis=0) - x_hat * xp.sum(g * x_hat, axis=0))
