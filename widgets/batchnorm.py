"""The batch-normalization explorer: how the running statistics track a feature's true mean and variance.

A seeded stream stands in for one feature (one hidden unit's pre-activation)
seen by a :class:`nnkernel.layers.BatchNorm` layer during training: at step t
the layer receives a batch of ``batch_size`` values drawn from
N(mu(t), sigma^2(t)), where mu and sigma^2 drift while the earlier layers
learn and then settle.  The stream is generated once, as a (steps, 256) array
whose row t holds the candidates for step t; a batch of size B is the first B
entries of its row, so changing the batch size changes how many values each
step sees, not which values.

Each slider change recomputes the running estimates with a vectorised
exponentially weighted average (``scipy.signal.lfilter``) that performs the
same floating-point operations, in the same order, as ``BatchNorm.forward``:

    running_mean <- (1 - momentum) running_mean + momentum * batch_mean
    running_var  <- (1 - momentum) running_var  + momentum * batch_var * B / (B - 1)

starting from running_mean = 0 and running_var = 1, so the plotted curves are
what the layer stores (the tests check this against ``BatchNorm`` itself).
"""
from __future__ import annotations

import ipywidgets as W
import numpy as np

import nnkernel as nk

from .base import Explorer
from .style import COLORS, legend_size

#: the batch sizes and momenta the sliders offer
BATCH_SIZES = (2, 4, 8, 16, 32, 64, 128, 256)
MOMENTA = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)
#: the y-limits hold the true statistics and the running estimates for every batch size at these momenta
LIMIT_MOMENTA = tuple(m for m in MOMENTA if m <= 0.3)


def true_statistics(steps: int):
    """The feature's true mean and variance at steps 1..steps.

    The mean rises from 0.5 towards 2 and the variance falls from 4 towards 1, with a time
    constant of 50 steps, as a hidden unit's input drifts while the layers before it learn.
    """
    t = np.arange(steps, dtype=np.float64)
    decay = np.exp(-t / 50.0)
    return 2.0 - 1.5 * decay, 1.0 + 3.0 * decay


def feature_stream(steps: int = 300, max_batch: int = BATCH_SIZES[-1], seed: int = 0):
    """The seeded stream: ``(X, true_mean, true_var)`` with X of shape (steps, max_batch).

    Row t of X holds the values available at step t; ``X[t, :B]`` is the batch of size B.
    """
    if int(steps) < 1 or int(max_batch) < 2:
        raise ValueError(f"steps must be >= 1 and max_batch >= 2, got {steps!r} and {max_batch!r}")
    mean, var = true_statistics(int(steps))
    z = np.random.default_rng(seed).standard_normal((int(steps), int(max_batch)))
    return mean[:, None] + np.sqrt(var)[:, None] * z, mean, var


def batch_statistics(X, batch_size: int):
    """Per-step batch mean and biased batch variance of ``X[:, :batch_size]``, as BatchNorm computes them."""
    xb = X[:, :batch_size]
    mean = np.mean(xb, axis=1)
    centred = xb - mean[:, None]
    return mean, np.mean(centred * centred, axis=1)


def running_statistics(batch_mean, batch_var, batch_size: int, momentum: float, init_mean=0.0, init_var=1.0):
    """The running mean and variance after each step, for the given per-step batch statistics.

    A first-order recursive filter, y_t = x_t + (1 - momentum) y_{t-1}, fed with
    x_t = momentum * batch_mean_t and x_t = (momentum * batch_var_t) * B / (B - 1): exactly
    BatchNorm's update, term by term (the unbiased variance goes into the running estimate).
    """
    m = float(momentum)
    if not 0.0 <= m <= 1.0:
        raise ValueError(f"momentum must be in [0, 1], got {momentum!r}")
    n = int(batch_size)
    keep = 1 - m
    a = [1.0, -keep]
    from scipy.signal import lfilter  # here, not at import: scipy.signal takes a second to import

    rmean = lfilter([1.0], a, m * np.asarray(batch_mean), zi=[keep * init_mean])[0]
    rvar = lfilter([1.0], a, m * np.asarray(batch_var) * (n / (n - 1)), zi=[keep * init_var])[0]
    return rmean, rvar


class BatchNormExplorer(Explorer):
    """Running mean (left) and running variance (right) of one feature against its true statistics.

    Controls: ``batch_size`` and ``momentum`` (selection sliders over
    :data:`BATCH_SIZES` and :data:`MOMENTA`).  Black dashed: the true statistic;
    grey dots: each step's batch statistic (the unbiased variance on the right);
    blue: the running estimate BatchNorm keeps for evaluation mode.  The
    read-outs give the root-mean-square tracking error over all steps.

    Attributes for tests and readers: ``X``, ``true_mean``, ``true_var`` (the
    stream), ``steps`` (1..steps), ``running_mean`` and ``running_var`` (the
    plotted curves), ``batch_mean`` and ``batch_var`` (the dots),
    ``rms_error`` (a dict with the two tracking errors, also shown in ``readout``).
    """

    figsize = (8.0, 3.4)
    page_name = "batch-norm"

    def __init__(self, batch_size: int = 32, momentum: float = 0.1, steps: int = 300, seed: int = 0, **kwargs):
        if batch_size not in BATCH_SIZES:
            raise ValueError(f"batch_size must be one of {BATCH_SIZES}, got {batch_size!r}")
        if momentum not in MOMENTA:
            raise ValueError(f"momentum must be one of {MOMENTA}, got {momentum!r}")
        self._initial = (int(batch_size), float(momentum))
        self.X, self.true_mean, self.true_var = feature_stream(steps, BATCH_SIZES[-1], seed)
        self.steps = np.arange(1, int(steps) + 1)
        self._stats = {b: batch_statistics(self.X, b) for b in BATCH_SIZES}
        super().__init__(**kwargs)

    # -- computations -------------------------------------------------------------------
    def batch(self, t: int, batch_size: int):
        """The (batch_size, 1) input BatchNorm receives at step ``t`` (0-based), on the active backend."""
        return nk.asarray(self.X[t, :batch_size, None])

    def estimates(self, batch_size: int, momentum: float):
        """(running_mean, running_var) after each step for these settings (NumPy arrays)."""
        mean, var = self._stats[int(batch_size)]
        return running_statistics(mean, var, batch_size, momentum)

    def unbiased_batch_var(self, batch_size: int):
        """Each step's unbiased batch variance, the quantity the running variance averages."""
        n = int(batch_size)
        return self._stats[n][1] * (n / (n - 1))

    def tracking_error(self, batch_size: int, momentum: float):
        """Root-mean-square difference between the running estimates and the true statistics, over all steps."""
        rm, rv = self.estimates(batch_size, momentum)
        return (float(np.sqrt(np.mean((rm - self.true_mean) ** 2))),
                float(np.sqrt(np.mean((rv - self.true_var) ** 2))))

    def _limits(self):
        curves_m = [self.true_mean, [0.0]]
        curves_v = [self.true_var, [1.0]]
        for b in BATCH_SIZES:
            for m in LIMIT_MOMENTA:
                rm, rv = self.estimates(b, m)
                curves_m.append(rm)
                curves_v.append(rv)
        out = []
        for curves in (curves_m, curves_v):
            lo = min(float(np.min(c)) for c in curves)
            hi = max(float(np.max(c)) for c in curves)
            pad = 0.05 * (hi - lo)
            out.append((lo - pad, hi + pad))
        return out

    # -- the figure ---------------------------------------------------------------------
    def build(self):
        self.ax_m, self.ax_v = self.fig.subplots(1, 2)
        s = self.steps
        (self.dots_m,) = self.ax_m.plot(s, self.true_mean, ls="none", marker=".", ms=3, alpha=0.45,
                                        color=COLORS["reference"], label="batch mean")
        (self.dots_v,) = self.ax_v.plot(s, self.true_var, ls="none", marker=".", ms=3, alpha=0.45,
                                        color=COLORS["reference"], label="batch variance (unbiased)")
        (self.true_m,) = self.ax_m.plot(s, self.true_mean, color=COLORS["data"], ls="--", lw=1.5, label="true mean")
        (self.true_v,) = self.ax_v.plot(s, self.true_var, color=COLORS["data"], ls="--", lw=1.5,
                                        label="true variance")
        (self.line_m,) = self.ax_m.plot(s, self.true_mean, color=COLORS["function"], label="running_mean")
        (self.line_v,) = self.ax_v.plot(s, self.true_var, color=COLORS["function"], label="running_var")
        (m_lo_hi, v_lo_hi) = self._limits()
        self.ax_m.set_ylim(*m_lo_hi)
        self.ax_v.set_ylim(*v_lo_hi)
        for ax, what in ((self.ax_m, "mean"), (self.ax_v, "variance")):
            ax.set_xlim(0, s[-1] + 1)
            ax.set_xlabel("training step (one batch each)")
            ax.set_ylabel(f"{what} of the feature")
            ax.legend(loc="upper right" if what == "variance" else "lower right", fontsize=legend_size())
            ax.set_title(f"running {what} vs true {what}")
        self.animated = [self.dots_m, self.dots_v, self.true_m, self.true_v, self.line_m, self.line_v]
        self.readout = W.HTML()
        self.controls["batch_size"] = W.SelectionSlider(options=list(BATCH_SIZES), value=self._initial[0],
                                                        description="batch size", continuous_update=True)
        self.controls["momentum"] = W.SelectionSlider(options=list(MOMENTA), value=self._initial[1],
                                                      description="momentum", continuous_update=True)

    def redraw(self, values):
        b, m = int(values["batch_size"]), float(values["momentum"])
        self.batch_mean = self._stats[b][0]
        self.batch_var = self.unbiased_batch_var(b)
        self.running_mean, self.running_var = self.estimates(b, m)
        self.dots_m.set_ydata(self.batch_mean)
        self.dots_v.set_ydata(self.batch_var)
        self.line_m.set_ydata(self.running_mean)
        self.line_v.set_ydata(self.running_var)
        err_m = float(np.sqrt(np.mean((self.running_mean - self.true_mean) ** 2)))
        err_v = float(np.sqrt(np.mean((self.running_var - self.true_var) ** 2)))
        self.rms_error = {"mean": err_m, "var": err_v}
        self.readout.value = (f"batch size <b>{b}</b>, momentum <b>{m:g}</b>: RMS error of running_mean "
                              f"<b>{err_m:.3f}</b>, of running_var <b>{err_v:.3f}</b> (against the true values)")
