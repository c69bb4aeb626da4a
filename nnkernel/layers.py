"""Layers with one protocol: ``forward(x, training=True)``, ``backward(grad_out) -> grad_in``.

Each layer keeps its trainable arrays in ``params`` and, after ``backward``,
the gradients of the loss with respect to them in ``grads`` (same keys).
Inputs are batches of shape (N, features) (``BatchNorm(..., axes=...)``,
``GroupNorm``, ``LayerNorm`` and ``RMSNorm`` also take more axes, e.g.
(N, C, H, W) feature maps).  ``min_batch_size`` is the
smallest batch a layer can train on (1; 2 for BatchNorm over the batch axis alone,
whose batch variance needs two examples): :func:`nnkernel.models.fit` never hands it a smaller one.
Constructor arguments are checked (TypeError/ValueError naming the argument).
"""
from __future__ import annotations

from array_api_compat import array_namespace

from . import activations as _act
from . import backend, init as _init
from ._common import check_bool, check_int, check_param, check_seed, prepare

__all__ = ["Layer", "Dense", "Activation", "BatchNorm", "LayerNorm", "RMSNorm", "GroupNorm"]


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

    def backward(self, grad_out, input_grad=True):
        """Fill ``grads`` from dL/dy; return dL/dx, or None with ``input_grad=False`` (a first layer)."""
        self._need_forward()
        grad_out = self._grad_input(grad_out)
        x = self._cache
        self._check("grad_out", (x.shape[0], self.out_features), grad_out.shape)
        xp = array_namespace(grad_out)
        self.grads["W"] = x.T @ grad_out
        self.grads["b"] = xp.sum(grad_out, axis=0)
        return grad_out @ self.params["W"].T if input_grad else None


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

    ``momentum=None`` gives PyTorch's cumulative moving average: the t-th
    training batch (counted in ``num_batches_tracked``) updates with the factor
    1/t, so the running statistics are the plain averages of all batch statistics
    seen so far.  ``axes`` are the axes the statistics are taken over; the one
    axis left out is the feature axis, of length ``num_features``.  The default
    (0,) takes (N, features) inputs; ``axes=(0, 2, 3)`` takes (N, C, H, W) inputs
    with per-channel statistics over N, H and W, as ``torch.nn.BatchNorm2d``
    (N in the formulas is then the number of values per channel, N H W).
    """

    #: the batch variance needs two examples (with feature maps, two values per channel: set per instance)
    min_batch_size = 2

    def __init__(self, num_features, momentum=0.1, eps=1e-5, axes=(0,)):
        super().__init__()
        self.num_features = check_int("num_features", num_features, 1, where="BatchNorm: ")
        if momentum is not None:
            momentum = check_param("momentum", momentum, 0.0, 1.0, where="BatchNorm: ")
        self.momentum = momentum
        self.eps = check_param("eps", eps, 0.0, low_open=True, where="BatchNorm: ")
        self.axes = _check_axes(axes, "BatchNorm")
        if 0 not in self.axes:
            raise ValueError(f"BatchNorm: axes must include the batch axis 0, got {self.axes}")
        ndim = max(self.axes) + 1
        free = [a for a in range(ndim) if a not in self.axes]
        if len(free) > 1:
            raise ValueError(f"BatchNorm: axes {self.axes} leave more than one feature axis ({tuple(free)})")
        #: the number of dimensions of the input, and its feature axis
        self.ndim = ndim + (0 if free else 1)
        self.feature_axis = free[0] if free else ndim
        if self.axes != (0,):  # statistics also over other axes: one example of H x W > 1 values trains
            self.min_batch_size = 1
        self.name = f"BatchNorm({self.num_features})"
        self.params["gamma"] = backend.asarray([1.0] * self.num_features)
        self.params["beta"] = backend.asarray([0.0] * self.num_features)
        self.grads = {k: None for k in self.params}
        self.running_mean = backend.asarray([0.0] * self.num_features)
        self.running_var = backend.asarray([1.0] * self.num_features)
        #: training batches seen (the cumulative average's counter, as in PyTorch)
        self.num_batches_tracked = 0
        self._cache = None

    def _expected(self):
        dims = ["N"] + [f"d{a}" for a in range(1, self.ndim)]
        dims[self.feature_axis] = str(self.num_features)
        return f"({', '.join(dims)})"

    def _bshape(self, xp, v):
        """A per-feature vector reshaped to broadcast along the feature axis."""
        if self.feature_axis == self.ndim - 1:
            return v
        shape = [1] * self.ndim
        shape[self.feature_axis] = self.num_features
        return xp.reshape(v, tuple(shape))

    def forward(self, x, training=True):
        xp, (x,) = self._input(x, training)
        if x.ndim != self.ndim or x.shape[self.feature_axis] != self.num_features:
            raise ValueError(f"{self.name}: input has shape {tuple(x.shape)}, expected {self._expected()}")
        plain = self.axes == (0,)
        if training:
            n = 1
            for a in self.axes:
                n *= x.shape[a]
            if n < 2:
                what = "examples" if plain else "values per feature"
                raise ValueError(f"{self.name}: training needs a batch of at least 2 {what}, got {n}")
            if plain:
                mean = xp.mean(x, axis=0)
                centred = x - mean
                var = xp.mean(centred * centred, axis=0)
            else:
                mean_k = xp.mean(x, axis=self.axes, keepdims=True)
                centred = x - mean_k
                var_k = xp.mean(centred * centred, axis=self.axes, keepdims=True)
                mean = xp.reshape(mean_k, (self.num_features,))
                var = xp.reshape(var_k, (self.num_features,))
            self.num_batches_tracked += 1
            m = self.momentum if self.momentum is not None else 1.0 / self.num_batches_tracked
            self.running_mean = (1 - m) * self.running_mean + m * mean
            self.running_var = (1 - m) * self.running_var + m * var * (n / (n - 1))
            if not plain:
                var = var_k
        else:
            mean, var = self._bshape(xp, self.running_mean), self._bshape(xp, self.running_var)
            centred = x - mean
        inv_std = 1.0 / xp.sqrt(var + self.eps)
        x_hat = centred * inv_std
        self._cache = (x_hat, inv_std, training)
        return self._bshape(xp, self.params["gamma"]) * x_hat + self._bshape(xp, self.params["beta"])

    def backward(self, grad_out):
        self._need_forward()
        grad_out = self._grad_input(grad_out)
        x_hat, inv_std, training = self._cache
        self._check("grad_out", x_hat.shape, grad_out.shape)
        xp = array_namespace(grad_out)
        gamma = self.params["gamma"]
        if self.axes == (0,):
            self.grads["gamma"] = xp.sum(grad_out * x_hat, axis=0)
            self.grads["beta"] = xp.sum(grad_out, axis=0)
            if not training:
                return grad_out * gamma * inv_std
            n = x_hat.shape[0]
            g = grad_out * gamma  # dL/dx_hat
            return (inv_std / n) * (n * g - xp.sum(g, axis=0) - x_hat * xp.sum(g * x_hat, axis=0))
        k = (self.num_features,)
        self.grads["gamma"] = xp.reshape(xp.sum(grad_out * x_hat, axis=self.axes), k)
        self.grads["beta"] = xp.reshape(xp.sum(grad_out, axis=self.axes), k)
        gamma = self._bshape(xp, gamma)
        if not training:
            return grad_out * gamma * inv_std
        n = 1
        for a in self.axes:
            n *= x_hat.shape[a]
        g = grad_out * gamma
        return (inv_std / n) * (n * g - xp.sum(g, axis=self.axes, keepdims=True)
                                - x_hat * xp.sum(g * x_hat, axis=self.axes, keepdims=True))


def _check_axes(axes, where):
    """``axes`` as a sorted tuple of distinct non-negative ints."""
    if isinstance(axes, (int,)) and not isinstance(axes, bool):
        axes = (axes,)
    if not isinstance(axes, (tuple, list)) or not axes:
        raise TypeError(f"{where}: axes must be a non-empty tuple of non-negative integers, got {axes!r}")
    out = tuple(check_int("axes", a, 0, where=f"{where}: ") for a in axes)
    if len(set(out)) != len(out):
        raise ValueError(f"{where}: axes must be distinct, got {out}")
    return tuple(sorted(out))


def _shape_tuple(shape, where):
    """``normalized_shape`` (an int or a tuple of positive ints) as a tuple."""
    if isinstance(shape, (tuple, list)):
        if not shape:
            raise ValueError(f"{where}: normalized_shape must not be empty")
        return tuple(check_int("normalized_shape", s, 1, where=f"{where}: ") for s in shape)
    return (check_int("normalized_shape", shape, 1, where=f"{where}: "),)


class _LastAxesNorm(Layer):
    """Shared machinery of LayerNorm and RMSNorm: statistics over the last len(normalized_shape) axes."""

    def __init__(self, normalized_shape, eps, elementwise_affine, bias, where):
        super().__init__()
        self.normalized_shape = _shape_tuple(normalized_shape, where)
        self.elementwise_affine = check_bool("elementwise_affine", elementwise_affine, where=f"{where}: ")
        bias = check_bool("bias", bias, where=f"{where}: ")
        self.eps = eps
        size = 1
        for s in self.normalized_shape:
            size *= s
        self._size = size
        self.name = f"{where}({self.normalized_shape[0] if len(self.normalized_shape) == 1 else self.normalized_shape})"
        if self.elementwise_affine:
            self.params["gamma"] = xp_reshape(backend.asarray([1.0] * size), self.normalized_shape)
            if bias:
                self.params["beta"] = xp_reshape(backend.asarray([0.0] * size), self.normalized_shape)
        self.grads = {k: None for k in self.params}
        self._cache = None

    def _axes(self, x):
        d = len(self.normalized_shape)
        if x.ndim < d or tuple(x.shape[x.ndim - d:]) != self.normalized_shape:
            raise ValueError(f"{self.name}: input has shape {tuple(x.shape)}, expected (..., "
                             f"{', '.join(map(str, self.normalized_shape))})")
        return tuple(range(x.ndim - d, x.ndim))

    def _affine(self, x_hat):
        if "gamma" in self.params:
            x_hat = self.params["gamma"] * x_hat
        if "beta" in self.params:
            x_hat = x_hat + self.params["beta"]
        return x_hat

    def _affine_backward(self, xp, grad_out, x_hat):
        """Gradients of gamma and beta (summed over the leading axes); returns g = gamma dL/dy."""
        lead = tuple(range(grad_out.ndim - len(self.normalized_shape)))
        if "beta" in self.params:
            self.grads["beta"] = xp.sum(grad_out, axis=lead) if lead else grad_out
        if "gamma" in self.params:
            self.grads["gamma"] = xp.sum(grad_out * x_hat, axis=lead) if lead else grad_out * x_hat
            grad_out = grad_out * self.params["gamma"]
        return grad_out


def xp_reshape(a, shape):
    """``a`` reshaped to ``shape`` on its own backend."""
    return array_namespace(a).reshape(a, tuple(shape))


class LayerNorm(_LastAxesNorm):
    """Layer normalization over the last axes, as ``torch.nn.LayerNorm(normalized_shape, eps=1e-5)``.

    Each example is standardised with its own statistics over the last
    len(normalized_shape) axes (D values): mu = mean(x), var = mean((x - mu)^2)
    (biased), x_hat = (x - mu) / sqrt(var + eps), y = gamma x_hat + beta with
    gamma, beta of shape ``normalized_shape``.  No batch statistics, so training
    and evaluation mode compute the same thing, for any batch size.
    Backward: with g = gamma dL/dy, dL/dx = (1 / (D s)) (D g - sum g - x_hat sum(g x_hat)),
    the sums over the normalized axes, s = sqrt(var + eps).
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True):
        eps = check_param("eps", eps, 0.0, low_open=True, where="LayerNorm: ")
        super().__init__(normalized_shape, eps, elementwise_affine, bias, "LayerNorm")

    def forward(self, x, training=True):
        xp, (x,) = self._input(x, training)
        axes = self._axes(x)
        mean = xp.mean(x, axis=axes, keepdims=True)
        centred = x - mean
        var = xp.mean(centred * centred, axis=axes, keepdims=True)
        inv_std = 1.0 / xp.sqrt(var + self.eps)
        x_hat = centred * inv_std
        self._cache = (x_hat, inv_std, axes)
        return self._affine(x_hat)

    def backward(self, grad_out):
        self._need_forward()
        grad_out = self._grad_input(grad_out)
        x_hat, inv_std, axes = self._cache
        self._check("grad_out", x_hat.shape, grad_out.shape)
        xp = array_namespace(grad_out)
        g = self._affine_backward(xp, grad_out, x_hat)
        n = self._size
        return (inv_std / n) * (n * g - xp.sum(g, axis=axes, keepdims=True)
                                - x_hat * xp.sum(g * x_hat, axis=axes, keepdims=True))


class RMSNorm(_LastAxesNorm):
    """Root-mean-square normalization over the last axes, as ``torch.nn.RMSNorm(normalized_shape, eps=None)``.

    x_hat = x / sqrt(mean(x^2) + eps), the mean over the last len(normalized_shape)
    axes (D values), y = gamma x_hat (no centring, no beta; Zhang and Sennrich
    2019).  ``eps=None`` uses, as PyTorch does, the machine epsilon of the input's
    dtype (2.2e-16 in float64, 1.2e-7 in float32).
    Backward: with g = gamma dL/dy and r = 1 / sqrt(mean(x^2) + eps),
    dL/dx = r (g - x_hat mean(g x_hat)).
    """

    def __init__(self, normalized_shape, eps=None, elementwise_affine=True):
        if eps is not None:
            eps = check_param("eps", eps, 0.0, low_open=True, where="RMSNorm: ")
        super().__init__(normalized_shape, eps, elementwise_affine, False, "RMSNorm")

    def forward(self, x, training=True):
        xp, (x,) = self._input(x, training)
        axes = self._axes(x)
        eps = self.eps if self.eps is not None else float(xp.finfo(x.dtype).eps)
        r = 1.0 / xp.sqrt(xp.mean(x * x, axis=axes, keepdims=True) + eps)
        x_hat = x * r
        self._cache = (x_hat, r, axes)
        return self._affine(x_hat)

    def backward(self, grad_out):
        self._need_forward()
        grad_out = self._grad_input(grad_out)
        x_hat, r, axes = self._cache
        self._check("grad_out", x_hat.shape, grad_out.shape)
        xp = array_namespace(grad_out)
        g = self._affine_backward(xp, grad_out, x_hat)
        return r * (g - x_hat * xp.mean(g * x_hat, axis=axes, keepdims=True))


class GroupNorm(Layer):
    """Group normalization, as ``torch.nn.GroupNorm(num_groups, num_channels, eps=1e-5)``.

    Input (N, C, ...): the C channels are split into ``num_groups`` groups of
    C/G consecutive channels, and each example's group is standardised with its
    own mean and biased variance over the group's channels and all spatial
    positions (D values); y = gamma_c x_hat + beta_c per channel (Wu and He 2018).
    One group is LayerNorm over (C, ...); C groups is instance normalization.
    Backward: as LayerNorm's within each group, with g = gamma dL/dy.
    """

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True):
        super().__init__()
        self.num_groups = check_int("num_groups", num_groups, 1, where="GroupNorm: ")
        self.num_channels = check_int("num_channels", num_channels, 1, where="GroupNorm: ")
        if self.num_channels % self.num_groups:
            raise ValueError(f"GroupNorm: num_channels ({self.num_channels}) must be divisible by "
                             f"num_groups ({self.num_groups})")
        self.eps = check_param("eps", eps, 0.0, low_open=True, where="GroupNorm: ")
        self.affine = check_bool("affine", affine, where="GroupNorm: ")
        self.name = f"GroupNorm({self.num_groups}, {self.num_channels})"
        if self.affine:
            self.params["gamma"] = backend.asarray([1.0] * self.num_channels)
            self.params["beta"] = backend.asarray([0.0] * self.num_channels)
        self.grads = {k: None for k in self.params}
        self._cache = None

    def _channel(self, xp, v, ndim):
        return xp.reshape(v, (1, self.num_channels) + (1,) * (ndim - 2))

    def forward(self, x, training=True):
        xp, (x,) = self._input(x, training)
        if x.ndim < 2 or x.shape[1] != self.num_channels:
            raise ValueError(f"{self.name}: input has shape {tuple(x.shape)}, expected (N, {self.num_channels}, ...)")
        shape = tuple(x.shape)
        xg = xp.reshape(x, (shape[0], self.num_groups, -1))
        mean = xp.mean(xg, axis=2, keepdims=True)
        centred = xg - mean
        var = xp.mean(centred * centred, axis=2, keepdims=True)
        inv_std = 1.0 / xp.sqrt(var + self.eps)
        x_hat = xp.reshape(centred * inv_std, shape)
        self._cache = (x_hat, inv_std)
        if not self.affine:
            return x_hat
        return self._channel(xp, self.params["gamma"], x.ndim) * x_hat + self._channel(xp, self.params["beta"], x.ndim)

    def backward(self, grad_out):
        self._need_forward()
        grad_out = self._grad_input(grad_out)
        x_hat, inv_std = self._cache
        self._check("grad_out", x_hat.shape, grad_out.shape)
        xp = array_namespace(grad_out)
        shape, ndim = tuple(x_hat.shape), x_hat.ndim
        g = grad_out
        if self.affine:
            other = (0,) + tuple(range(2, ndim))
            self.grads["gamma"] = xp.sum(grad_out * x_hat, axis=other)
            self.grads["beta"] = xp.sum(grad_out, axis=other)
            g = grad_out * self._channel(xp, self.params["gamma"], ndim)
        gg = xp.reshape(g, (shape[0], self.num_groups, -1))
        xh = xp.reshape(x_hat, (shape[0], self.num_groups, -1))
        n = gg.shape[2]
        dx = (inv_std / n) * (n * gg - xp.sum(gg, axis=2, keepdims=True)
                              - xh * xp.sum(gg * xh, axis=2, keepdims=True))
        return xp.reshape(dx, shape)
