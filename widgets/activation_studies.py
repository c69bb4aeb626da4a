"""The activations chapter's static experiments: dead units during training, saturation, linear regions.

Three studies, each a function that returns plain NumPy arrays for the chapter to print and plot:

* :func:`train_mlp` trains a small multilayer perceptron built from ``nnkernel`` blocks
  (``Dense``, ``Activation``, ``Sequential``, ``optim.SGD``) with mini-batch SGD on binary
  cross-entropy, and records per epoch and per hidden layer the number of *dead* units (the
  activation's derivative is exactly 0 on every training point, so no gradient ever reaches the
  unit's weights) and of *silent* units (pre-activation ``z <= 0`` on every training point; for ReLU
  silent and dead are the same units, for leaky ReLU and ELU a silent unit still gets a gradient).
  It can also record quantiles of each hidden layer's activations and of the gradient that
  back-propagation sends to them (Glorot and Bengio's saturation study).
* :func:`activation_patterns` gives, for a ReLU network and a set of 2-D inputs, the on/off pattern
  of every hidden unit at every input, as one integer id per input; :func:`count_regions` counts
  the distinct patterns.  Every set of inputs that share one full pattern is a convex polytope (given
  the pattern, every pre-activation is an affine function of the input), so the number of distinct
  patterns met on a grid is a lower bound on the number of activation regions.
* :func:`max_regions_one_layer` is the number of regions that ``n`` lines in general position cut
  the plane into, ``1 + n + n (n - 1) / 2`` (the most a one-hidden-layer ReLU network on 2-D input
  can have), and :func:`sawtooth_network` builds the deep network of Montufar et al. (2014) that
  folds each coordinate in two at every layer and so exceeds that bound.

Everything runs on the host with NumPy; every random draw comes from a seeded generator.
"""
from __future__ import annotations

import numpy as np

import nnkernel as nk
from nnkernel.layers import Activation, Dense
from nnkernel.models import Sequential

__all__ = ["QUANTILES", "build_mlp", "standard_uniform_init", "train_mlp", "activation_patterns", "count_regions",
           "max_regions_one_layer", "random_relu_network", "sawtooth_network"]

#: the quantiles recorded for the saturation study: 5 %, 25 %, 50 %, 75 % and 95 %
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def _check_widths(widths, who):
    widths = [int(w) for w in widths]
    if len(widths) < 2 or min(widths) < 1:
        raise ValueError(f"{who}: widths must list at least an input and an output size, each >= 1, "
                         f"got {widths}")
    return widths


def build_mlp(widths, activation, *, seed=0, bias=0.0, init="he_normal", **params):
    """A ``Sequential`` of ``Dense`` layers ``widths[0] -> ... -> widths[-1]`` with ``activation``
    (a name from ``nnkernel.activations.REGISTRY``, with its ``params``) after every layer but the
    last.  Hidden biases start at ``bias``; the output bias at 0.  Layer ``k`` is seeded ``seed + k``."""
    widths = _check_widths(widths, "build_mlp")
    if not np.isfinite(bias):
        raise ValueError(f"build_mlp: bias must be finite, got {bias}")
    layers = []
    for k, (fan_in, fan_out) in enumerate(zip(widths[:-1], widths[1:])):
        dense = Dense(fan_in, fan_out, init=init, seed=seed + k)
        last = k == len(widths) - 2
        if not last:
            dense.params["b"][...] = bias
            layers.append(dense)
            layers.append(Activation(activation, **params))
        else:
            layers.append(dense)
    return Sequential(layers)


def standard_uniform_init(model, seed=0):
    """Redraw every Dense layer's weights from Glorot and Bengio's "standard" initialization,
    W_ij ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (variance 1 / (3 fan_in)), in place; returns model."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, Dense):
            W = layer.params["W"]
            limit = 1.0 / np.sqrt(W.shape[0])
            W[...] = rng.uniform(-limit, limit, size=W.shape)
    return model


def _hidden(model):
    return [layer for layer in model.layers if isinstance(layer, Activation)]


def _quantiles(a):
    return np.quantile(np.asarray(a).ravel(), QUANTILES)


def train_mlp(model, X, y, *, lr=0.1, epochs=30, batch_size=32, seed=0, record_every=1,
              quantiles=False):
    """Train ``model`` (one output logit) on ``(X, y)`` (labels 0/1) by mini-batch SGD on
    ``binary_cross_entropy_with_logits``; returns a dict of arrays, one row per recorded epoch
    (epoch 0 is before training):

    ``epoch``; ``loss`` (on all of X); ``dead`` and ``silent`` (shape (epochs, hidden layers),
    counts of units); ``units`` (each hidden layer's width); with ``quantiles=True`` also
    ``act_q`` and ``grad_q`` (shape (epochs, layers, 5)): the :data:`QUANTILES` of each hidden
    layer's activations and of the gradient of the mean loss with respect to them, on all of X.
    A run whose loss stops being finite stops there (``diverged`` True)."""
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float).reshape(-1, 1)
    if X.ndim != 2 or len(X) != len(y):
        raise ValueError(f"train_mlp: X must be (N, d) and y hold N labels, got {X.shape} and {y.shape}")
    if not (lr > 0 and np.isfinite(lr)):
        raise ValueError(f"train_mlp: lr must be a positive finite number, got {lr}")
    epochs, batch_size = int(epochs), int(batch_size)
    if epochs < 0 or batch_size < 1 or record_every < 1:
        raise ValueError("train_mlp: epochs must be >= 0, batch_size and record_every >= 1")
    rng = np.random.default_rng(seed)
    opt = nk.optim.SGD(lr=lr)
    loss_fn = nk.losses.binary_cross_entropy_with_logits
    loss_grad = nk.losses.binary_cross_entropy_with_logits_grad
    hidden = _hidden(model)
    out = {"epoch": [], "loss": [], "dead": [], "silent": [], "act_q": [], "grad_q": [],
           "diverged": False}

    def record(epoch):
        with np.errstate(all="ignore"):
            logits = model.forward(X)
            if not np.all(np.isfinite(logits)):
                return False
            loss = float(loss_fn(y, logits))
            dead, silent = [], []
            for layer in hidden:
                z = layer._cache[0]
                g = layer.info.grad(z, **layer.kwargs)
                dead.append(int(np.sum(np.all(g == 0, axis=0))))
                silent.append(int(np.sum(np.all(z <= 0, axis=0))))
            if quantiles:
                acts = [layer._cache[1] for layer in hidden]
                grads = []
                g = loss_grad(y, logits)
                for layer in reversed(model.layers):
                    if isinstance(layer, Activation):
                        grads.append(g)  # dL/d(activation output)
                    g = layer.backward(g)
                grads = grads[::-1]
                out["act_q"].append([_quantiles(a) for a in acts])
                out["grad_q"].append([_quantiles(a) for a in grads])
        out["epoch"].append(epoch)
        out["loss"].append(loss)
        out["dead"].append(dead)
        out["silent"].append(silent)
        return np.isfinite(loss)

    record(0)
    out["units"] = np.array([layer._cache[0].shape[1] for layer in hidden])
    n = len(X)
    for epoch in range(1, epochs + 1):
        order = rng.permutation(n)
        finite = True
        with np.errstate(all="ignore"):
            for start in range(0, n, batch_size):
                idx = order[start:start + batch_size]
                logits = model.forward(X[idx])
                if not np.all(np.isfinite(logits)):
                    finite = False
                    break
                model.backward(loss_grad(y[idx], logits))
                opt.step(model.params, model.grads)
        if not finite:
            out["diverged"] = True
            break
        if epoch % record_every == 0 or epoch == epochs:
            if not record(epoch):
                out["diverged"] = True
                break
    result = {k: (np.array(v) if isinstance(v, list) else v) for k, v in out.items()}
    return result


# -- linear regions ---------------------------------------------------------------------------------

def random_relu_network(widths, seed=0, bias_std=1.0):
    """Weights and biases of a ReLU network ``widths[0] -> ... -> widths[-1]`` (hidden layers only),
    He-initialized, W_ij ~ N(0, 2 / fan_in), with biases b_j ~ N(0, bias_std^2 * 2 / fan_in) (for
    bias_std = 1 a bias is of the size of one weight).  Returns (Ws, bs), lists of arrays."""
    widths = _check_widths(widths, "random_relu_network")
    if not (bias_std >= 0 and np.isfinite(bias_std)):
        raise ValueError(f"random_relu_network: bias_std must be >= 0 and finite, got {bias_std}")
    rng = np.random.default_rng(seed)
    Ws, bs = [], []
    for fan_in, fan_out in zip(widths[:-1], widths[1:]):
        scale = np.sqrt(2.0 / fan_in)
        Ws.append(rng.normal(0.0, scale, size=(fan_in, fan_out)))
        bs.append(rng.normal(0.0, bias_std * scale, size=fan_out))
    return Ws, bs


def activation_patterns(Ws, bs, X):
    """One integer id per row of X for the on/off pattern (z > 0) of every hidden unit of the ReLU
    network ``relu(... relu(X W_1 + b_1) ...)``; two inputs get the same id exactly when every unit
    is on at both or off at both.  Returns (ids, patterns) with patterns of shape (N, units)."""
    if len(Ws) != len(bs) or not Ws:
        raise ValueError("activation_patterns: give one bias vector per weight matrix (at least one)")
    a = np.asarray(X, dtype=float)
    bits = []
    for W, b in zip(Ws, bs):
        z = a @ W + b
        on = z > 0
        bits.append(on)
        a = np.where(on, z, 0.0)
    patterns = np.concatenate(bits, axis=1)
    if patterns.shape[1] <= 62:  # one integer code per pattern: a fast 1-D unique
        codes = patterns @ (np.int64(1) << np.arange(patterns.shape[1], dtype=np.int64))
        _, ids = np.unique(codes, return_inverse=True)
    else:
        _, ids = np.unique(patterns, axis=0, return_inverse=True)
    return ids.ravel(), patterns


def count_regions(Ws, bs, X):
    """The number of distinct activation patterns of the network at the inputs X: a lower bound on
    the number of its activation regions that meet the region X samples."""
    ids, _ = activation_patterns(Ws, bs, X)
    return int(ids.max()) + 1


def max_regions_one_layer(n, d=2):
    """The most regions n hyperplanes cut R^d into (Zaslavsky; general position): sum_{i<=d} C(n, i).
    For d = 2: 1 + n + n (n - 1) / 2."""
    n, d = int(n), int(d)
    if n < 0 or d < 1:
        raise ValueError(f"max_regions_one_layer: need n >= 0 and d >= 1, got n = {n}, d = {d}")
    from math import comb
    return sum(comb(n, i) for i in range(min(n, d) + 1))


def sawtooth_network(depth):
    """Montufar et al.'s folding construction on the unit square, ``depth`` layers of 4 ReLU units.

    Each layer holds, for each coordinate u, the pair relu(u) and relu(u - 1/2); the next layer reads
    the tent map t(u) = 2 relu(u) - 4 relu(u - 1/2) (which maps [0, 1] onto [0, 1] twice) from them.
    After k layers each coordinate's interval is cut into 2^k pieces with distinct patterns, so the
    network has 4^depth activation regions in (0, 1)^2 with 4 depth units."""
    depth = int(depth)
    if depth < 1:
        raise ValueError(f"sawtooth_network: depth must be >= 1, got {depth}")
    W1 = np.array([[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0]])
    b = np.array([0.0, -0.5, 0.0, -0.5])
    tent = np.array([[2.0, 2.0, 0.0, 0.0], [-4.0, -4.0, 0.0, 0.0],
                     [0.0, 0.0, 2.0, 2.0], [0.0, 0.0, -4.0, -4.0]])
    return [W1] + [tent] * (depth - 1), [b] * depth
