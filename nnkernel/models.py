"""Models built from layers, and the training loop.

The training recipe every chapter uses: initialize, then for each mini-batch
run forward, compute the cost, backpropagate, and update the parameters.
Batch, mini-batch and stochastic gradient descent differ only by ``batch_size``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from . import losses as _losses
from .layers import Dense
from ._common import (_describe, check_array, check_bool, check_float, check_int, check_seed,
                      host_scalar)

__all__ = ["Sequential", "History", "fit", "accuracy"]


class Sequential:
    """A stack of layers applied in order; ``backward`` runs them in reverse."""

    def __init__(self, layers):
        if not isinstance(layers, (list, tuple)):
            raise TypeError(f"Sequential: layers must be a list of layers, got {_describe(layers)}")
        self.layers = list(layers)
        if not self.layers:
            raise ValueError("Sequential needs at least one layer")
        for i, layer in enumerate(self.layers):
            if not all(callable(getattr(layer, m, None)) for m in ("forward", "backward")):
                raise TypeError(f"Sequential: layers[{i}] must be a layer (with forward and backward), "
                                f"got {_describe(layer)}")

    def forward(self, x, training=True):
        for layer in self.layers:
            x = layer.forward(x, training=training)
        return x

    __call__ = forward

    def backward(self, grad_out, input_grad=True):
        """Backpropagate ``grad_out`` (dL/d output) through every layer, filling each layer's ``grads``,
        and return dL/d input.  With ``input_grad=False`` (training, where nothing needs it) a first
        Dense layer skips its input gradient, its largest product, and None is returned; other first
        layers still compute it."""
        last = len(self.layers) - 1
        for k, layer in enumerate(reversed(self.layers)):
            if k == last and not input_grad and isinstance(layer, Dense):
                layer.backward(grad_out, input_grad=False)
                return None
            grad_out = layer.backward(grad_out)
        return grad_out

    def parameters(self):
        """(layer, key) for every trainable array, in a fixed order."""
        return [(layer, key) for layer in self.layers for key in layer.params]

    @property
    def params(self):
        return [layer.params[key] for layer, key in self.parameters()]

    @property
    def grads(self):
        return [layer.grads[key] for layer, key in self.parameters()]

    def predict(self, x):
        """Forward in evaluation mode (batch normalization uses its running statistics)."""
        return self.forward(x, training=False)


def accuracy(y_true, y_pred, threshold=0.5):
    """Fraction of correct predictions: argmax for one-hot/probability rows; for one column, y_pred > threshold
    (0.5 for probabilities, 0 for logits).  Both must be finite and non-empty (a NaN prediction is an error,
    not a miss)."""
    threshold = check_float("threshold", threshold, where="accuracy: ")
    xp, t = check_array("y_true", y_true, where="accuracy: ", finite=True, nonempty=True)
    _, p = check_array("y_pred", y_pred, where="accuracy: ", finite=True, nonempty=True)
    if p.ndim == 2 and p.shape[1] > 1:
        hit = xp.argmax(p, axis=1) == (xp.argmax(t, axis=1) if t.ndim == 2 else xp.astype(t, xp.int64))
    else:
        hit = (p > threshold) == (t > 0.5)
    return host_scalar(xp.mean(xp.astype(hit, xp.float64)))


@dataclass
class History:
    """Per-epoch records of a training run: ``history["loss"]`` and any metrics."""

    records: dict = field(default_factory=dict)
    #: (epoch, batch) at which the model's output stopped being finite, or None
    diverged_at: tuple | None = None

    def __getitem__(self, key):
        return self.records[key]

    def append(self, **values):
        for k, v in values.items():
            self.records.setdefault(k, []).append(v)

    def keys(self):
        return self.records.keys()


def _loss_pair(loss):
    if isinstance(loss, str):
        if loss not in _losses.LOSSES:
            raise ValueError(f"unknown loss {loss!r}; choose one of {', '.join(_losses.LOSSES)}")
        return _losses.LOSSES[loss]
    if isinstance(loss, tuple) and len(loss) == 2 and all(callable(f) for f in loss):
        return loss
    raise TypeError(f"fit: loss must be a name from nnkernel.losses or a (loss, gradient) pair of functions, "
                    f"got {_describe(loss)}")


def _batches(n, batch_size, drop_last, min_batch, who="fit"):
    """(start, stop) of each mini-batch: a last batch smaller than ``min_batch`` (the smallest batch a layer
    can train on) joins the one before it, or is dropped with ``drop_last`` when smaller than ``batch_size``."""
    bounds = [(start, min(start + batch_size, n)) for start in range(0, n, batch_size)]
    if drop_last and bounds and bounds[-1][1] - bounds[-1][0] < batch_size:
        bounds.pop()
        if not bounds:
            raise ValueError(f"{who}: drop_last=True with {n} examples and batch_size={batch_size} leaves "
                             "no batch to train on; use a smaller batch_size or drop_last=False")
    elif len(bounds) > 1 and bounds[-1][1] - bounds[-1][0] < min_batch:
        (a, _), (_, b) = bounds[-2], bounds.pop()
        bounds[-1] = (a, b)
    if min(b - a for a, b in bounds) < min_batch:
        raise ValueError(f"{who}: the model has a layer that trains on batches of at least {min_batch} examples "
                         f"(BatchNorm needs 2), but batch_size={batch_size} with {n} examples gives a smaller "
                         "batch; use a larger batch_size")
    return bounds


class _Progress:
    """A progress bar that is visible while training in a notebook and leaves nothing behind."""

    def __init__(self, total, enabled):
        self.bar = self.handle = None
        if not enabled:
            return
        try:
            import ipywidgets as W
            from IPython import get_ipython
            from IPython.display import display
        except ImportError:  # pragma: no cover
            return
        if get_ipython() is None:
            return
        self.bar = W.IntProgress(min=0, max=total, description="epochs")
        self.handle = display(self.bar, display_id=True)

    def update(self, n):
        if self.bar is not None:
            self.bar.value = n

    def close(self):
        if self.bar is not None:
            self.handle.update({"text/plain": ""}, raw=True)
            self.bar.close()


def fit(model, loss, optimizer, X, y, epochs=10, batch_size=32, *, seed=0, metrics=(), validation=None,
        progress=None, drop_last=False):
    """Train ``model`` and return a :class:`History` with the mean training loss per epoch.

    ``loss`` is a name from :mod:`nnkernel.losses` (or a (loss, gradient) pair),
    ``optimizer`` anything with ``step(params, grads)``; the data are shuffled
    each epoch with a generator seeded by ``seed``.  ``metrics`` may contain
    ``"accuracy"``; ``validation=(X_val, y_val)`` adds ``val_loss`` (and
    ``val_accuracy``).  ``progress=None`` shows a bar in notebooks for runs of
    more than 50 epochs; the bar is removed when training ends.

    A run that diverges (the model's output is no longer finite) stops there,
    without warnings; ``history.diverged_at`` says at which (epoch, batch).

    Mini-batches never crash mid-epoch: ``drop_last=True`` (PyTorch's name)
    drops a last batch smaller than ``batch_size``; with ``drop_last=False``
    (the default) a last batch too small for a layer (``min_batch_size``:
    BatchNorm needs 2 examples in training) joins the batch before it.  Every
    argument is checked (TypeError/ValueError naming it); X and y must be
    finite, non-empty and have the same number of examples.
    """
    who = "fit: "
    if not all(callable(getattr(model, m, None)) for m in ("forward", "backward", "predict")):
        raise TypeError(f"fit: model must be a model with forward, backward and predict (e.g. Sequential), "
                        f"got {_describe(model)}")
    if not callable(getattr(optimizer, "step", None)):
        raise TypeError(f"fit: optimizer must have a step(params, grads) method, got {_describe(optimizer)}")
    threshold = 0.0 if loss == "binary_cross_entropy_with_logits" else 0.5
    loss_fn, loss_grad = _loss_pair(loss)
    epochs = check_int("epochs", epochs, 1, where=who)
    batch_size = check_int("batch_size", batch_size, 1, where=who)
    seed = check_seed(seed, where=who)
    drop_last = check_bool("drop_last", drop_last, where=who)
    if progress is not None:
        progress = check_bool("progress", progress, where=who)
    if isinstance(metrics, str) or not isinstance(metrics, (list, tuple, set)) or set(metrics) - {"accuracy"}:
        raise ValueError(f"fit: metrics must be a list of metric names from ('accuracy',), got {metrics!r}")
    xp, X = check_array("X", X, where=who, finite=True, nonempty=True, min_ndim=1)
    _, y = check_array("y", y, where=who, finite=True, nonempty=True, min_ndim=1)
    n = X.shape[0]
    if y.shape[0] != n:
        raise ValueError(f"fit: X has {n} examples but y has {y.shape[0]}")
    if validation is not None:
        if not (isinstance(validation, (list, tuple)) and len(validation) == 2):
            raise TypeError(f"fit: validation must be a pair (X_val, y_val) or None, got {_describe(validation)}")
        _, Xv = check_array("validation X", validation[0], where=who, finite=True, nonempty=True, min_ndim=1)
        _, yv = check_array("validation y", validation[1], where=who, finite=True, nonempty=True, min_ndim=1)
        if Xv.shape[0] != yv.shape[0]:
            raise ValueError(f"fit: validation X has {Xv.shape[0]} examples but validation y has {yv.shape[0]}")
    min_batch = max([int(getattr(layer, "min_batch_size", 1)) for layer in getattr(model, "layers", [])] or [1])
    batches = _batches(n, batch_size, drop_last, min_batch)
    rng = np.random.default_rng(seed)
    history = History({"loss": []})
    bar = _Progress(epochs, epochs > 50 if progress is None else progress)
    try:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            _train(model, loss_fn, loss_grad, optimizer, X, y, xp, n, epochs, batches, rng, metrics,
                   validation, threshold, history, bar)
    finally:
        bar.close()
    return history


def _train(model, loss_fn, loss_grad, optimizer, X, y, xp, n, epochs, batches, rng, metrics, validation,
           threshold, history, bar):
    used = sum(b - a for a, b in batches)  # n, or fewer with drop_last
    if True:
        for epoch in range(epochs):
            order = rng.permutation(n)
            total = 0.0
            for number, (start, stop) in enumerate(batches):
                idx = xp.asarray(order[start:stop], device=getattr(X, "device", None))
                xb, yb = xp.take(X, idx, axis=0), xp.take(y, idx, axis=0)
                out = model.forward(xb, training=True)
                if not bool(xp.all(xp.isfinite(out))):
                    history.diverged_at = (epoch, number)
                    return
                total += host_scalar(loss_fn(yb, out)) * idx.shape[0]
                model.backward(loss_grad(yb, out), input_grad=False)
                optimizer.step(model.params, model.grads)
            history.append(loss=total / used)
            if "accuracy" in metrics:
                p = model.predict(X)
                if not bool(xp.all(xp.isfinite(p))):  # the last update diverged: the next batch would say so
                    history.diverged_at = (epoch + 1, 0)
                    return
                history.append(accuracy=accuracy(y, p, threshold))
            if validation is not None:
                Xv, yv = validation
                pv = model.predict(Xv)
                if not bool(xp.all(xp.isfinite(pv))):
                    history.diverged_at = (epoch + 1, 0)
                    return
                history.append(val_loss=host_scalar(loss_fn(yv, pv)))
                if "accuracy" in metrics:
                    history.append(val_accuracy=accuracy(yv, pv, threshold))
            bar.update(epoch + 1)
