"""The sigmoid-loss explorer: one sigmoid unit trained by cross-entropy and by squared error from the same start.

The unit sees one example, x = 1 with target y = 1, and predicts p = sigma(w x) = sigma(w): its logit is
z = w.  Gradient descent on either loss moves w; the slider sets the starting weight w0, from confidently
wrong (w0 = -8, p = 0.0003) to confidently right (w0 = 8).  The gradients with respect to the logit are

* cross-entropy: d/dz BCE(y, sigma(z)) = p - y (``nnkernel.losses.binary_cross_entropy_with_logits_grad``);
* squared error: d/dz (p - y)^2 = 2 (p - y) p (1 - p) (``nnkernel.losses.mse_grad`` times
  ``nnkernel.activations.sigmoid_grad``, the chain rule),

and the squared error's extra factor p (1 - p) all but stops training from a confidently wrong start.
Every run (all starts, both losses) is computed once, vectorised over the starts, when the explorer is made.
"""
from __future__ import annotations

import ipywidgets as W
import numpy as np

import nnkernel as nk

from .base import Explorer
from .style import COLORS, legend_size

#: the two losses' colours and line styles, as in the Losses chapter's static figure
LOSS_STYLE = {"ce": {"color": COLORS["cross_entropy"], "ls": "-"}, "se": {"color": COLORS["mse"], "ls": "--"}}
LOSS_NAMES = {"ce": "cross-entropy", "se": "squared error"}


def losses_of_logit(z, y: float = 1.0):
    """Per-example cross-entropy and squared error of p = sigma(z) against target ``y``, from nnkernel."""
    z = np.asarray(z, dtype=np.float64)
    t = np.full_like(z, y)
    ce = np.asarray(nk.to_numpy(nk.losses.binary_cross_entropy_with_logits(t, z, reduction="none")))
    se = np.asarray(nk.to_numpy(nk.losses.mse(t, nk.activations.sigmoid(z), reduction="none")))
    return ce, se


def grads_of_logit(z, y: float = 1.0):
    """Per-example d loss / dz for cross-entropy (p - y) and squared error (2 (p - y) p (1 - p)), from nnkernel.

    nnkernel's ``_grad`` functions are gradients of the batch mean, so they are multiplied by the batch
    size to give each example's own derivative.
    """
    z = np.asarray(z, dtype=np.float64)
    t = np.full_like(z, y)
    n = z.size
    ce = np.asarray(nk.to_numpy(nk.losses.binary_cross_entropy_with_logits_grad(t, z))) * n
    p = nk.activations.sigmoid(z)
    se = np.asarray(nk.to_numpy(nk.losses.mse_grad(t, p))) * n * np.asarray(nk.to_numpy(nk.activations.sigmoid_grad(z)))
    return ce, se


def train(w0, steps: int, lr: float = 1.0, y: float = 1.0):
    """Gradient descent on one weight (x = 1, so the logit is w) from each start in ``w0``, for both losses.

    Each step takes the gradients of :func:`grads_of_logit` (nnkernel's), for every start at once.
    Returns ``{"ce": W, "se": W}``, each W of shape (steps + 1, len(w0)): the weight before step k in row k.
    """
    w0 = np.atleast_1d(np.asarray(w0, dtype=np.float64))
    if int(steps) < 1 or not lr > 0:
        raise ValueError(f"steps must be >= 1 and lr > 0, got {steps!r} and {lr!r}")
    L, A = nk.losses, nk.activations
    t, n = np.full_like(w0, y), w0.size
    out = {name: np.empty((int(steps) + 1, w0.size)) for name in ("ce", "se")}
    out["ce"][0] = out["se"][0] = w0
    wc, ws = w0, w0
    for k in range(int(steps)):  # the loop body is grads_of_logit, inlined (it runs 2 x 2000 times)
        wc = wc - lr * (L.binary_cross_entropy_with_logits_grad(t, wc) * n)
        ws = ws - lr * (L.mse_grad(t, A.sigmoid(ws)) * n * A.sigmoid_grad(ws))
        out["ce"][k + 1], out["se"][k + 1] = wc, ws
    return out


def first_step_below(loss, threshold: float):
    """For each column of ``loss`` (rows: steps), the first step k with loss <= ``threshold``, or -1 if none."""
    below = np.asarray(loss) <= threshold
    return np.where(below.any(axis=0), np.argmax(below, axis=0), -1)


class SigmoidLossExplorer(Explorer):
    """A sigmoid unit trained from a starting weight w₀ by cross-entropy and by squared error: the gradient at the start (left) and the loss at each step (right).

    One slider, the starting weight ``w0`` (``-w_max`` to ``w_max`` in steps of ``w_step``); the unit
    predicts p = sigma(w) for target y = 1 and is trained by gradient descent with learning rate ``lr``
    for ``steps`` steps.  Success is p >= ``p_target``, that is a loss at or below
    BCE(1, p_target) = -log p_target for cross-entropy and (1 - p_target)^2 for squared error.

    Attributes after every update: ``w0``, ``grads`` (``{"ce": ..., "se": ...}`` at the start),
    ``curves`` (each loss at steps 0 ... ``steps``) and ``steps_to_target`` (-1: not within ``steps``).
    """

    figsize = (9.0, 3.7)
    page_name = "sigmoid_loss"

    def __init__(self, w0: float = -6.0, w_max: float = 8.0, w_step: float = 0.5, lr: float = 1.0,
                 steps: int = 2000, p_target: float = 0.9, **kwargs):
        if not (w_max > 0 and w_step > 0):
            raise ValueError(f"w_max and w_step must be > 0, got {w_max!r} and {w_step!r}")
        n = int(round(2 * w_max / w_step))
        k = (float(w0) + w_max) / w_step
        if not -w_max - 1e-9 <= float(w0) <= w_max + 1e-9 or abs(k - round(k)) > 1e-9:
            raise ValueError(f"w0 must be a multiple of w_step={w_step} in [-{w_max}, {w_max}], got {w0!r}")
        if not 0.5 < p_target < 1:
            raise ValueError(f"p_target must lie in (0.5, 1), got {p_target!r}")
        self._w0, self.w_step, self.w_max = float(w0), float(w_step), float(w_max)
        self.lr, self.steps, self.p_target = float(lr), int(steps), float(p_target)
        self.w_grid = -self.w_max + np.arange(n + 1) * self.w_step
        # the thresholds: each loss at p = p_target, computed by nnkernel
        one, pt = np.ones(1), np.array([self.p_target])
        self.thresholds = {"ce": float(nk.losses.binary_cross_entropy(one, pt)), "se": float(nk.losses.mse(one, pt))}
        # every start's two runs, at once
        runs = train(self.w_grid, self.steps, self.lr)
        self.weights = runs
        # the losses along each run, one start at a time: small arrays stay on nnkernel's plain NumPy
        # formulas (a whole table would take the Numba kernels, compiled on first use: seconds)
        self.loss_table = {}
        for j, name in enumerate(("ce", "se")):
            self.loss_table[name] = np.column_stack([losses_of_logit(runs[name][:, i])[j]
                                                     for i in range(self.w_grid.size)])
        self.grad_table = dict(zip(("ce", "se"), grads_of_logit(self.w_grid)))
        self.step_table = {name: first_step_below(self.loss_table[name], self.thresholds[name]) for name in ("ce", "se")}
        self.z = np.linspace(-self.w_max - 0.4, self.w_max + 0.4, 673)  # a margin: the marks at the ends show whole
        super().__init__(**kwargs)

    def build(self):
        ax_g, ax_l = self.fig.subplots(1, 2)
        self.ax_g, self.ax_l = ax_g, ax_l
        g_ce, g_se = grads_of_logit(self.z)
        for name, g in (("ce", g_ce), ("se", g_se)):
            ax_g.semilogy(self.z, np.abs(g), lw=2.0, **LOSS_STYLE[name])
        self.start_line = ax_g.axvline(self._w0, color=COLORS["highlight"], lw=1.4, ls=":")
        (self.dot_ce,) = ax_g.plot([0], [1], "o", ms=7, color=COLORS["cross_entropy"], mec="black", mew=0.6)
        (self.dot_se,) = ax_g.plot([0], [1], "s", ms=7, color=COLORS["mse"], mec="black", mew=0.6)
        ax_g.set_xlim(self.z[0], self.z[-1])
        ax_g.set_ylim(1e-8, 3.0)
        ax_g.set_xlabel("weight w = logit z (target y = 1)")
        ax_g.set_ylabel("|∂ loss / ∂z|  (log scale)")
        ax_g.set_title("Squared error's gradient vanishes when confidently wrong")

        # the steps drawn: every one up to 30, then about 300 spread evenly on the logarithmic axis
        k = np.unique(np.concatenate([np.arange(min(31, self.steps + 1)),
                                      np.round(np.geomspace(30, self.steps, 300)).astype(int)]))
        self.k = k
        self.curves_lines = {}
        for name in ("ce", "se"):
            (self.curves_lines[name],) = ax_l.plot(k, np.ones_like(k, dtype=float), lw=2.2, **LOSS_STYLE[name])
            ax_l.axhline(self.thresholds[name], color=LOSS_STYLE[name]["color"], lw=1.0, ls=":")
        (self.hit_ce,) = ax_l.plot([], [], "o", ms=8, color=COLORS["cross_entropy"], mec="black", mew=0.6)
        (self.hit_se,) = ax_l.plot([], [], "s", ms=8, color=COLORS["mse"], mec="black", mew=0.6)
        ax_l.set_xscale("symlog", linthresh=1.0, linscale=0.4)
        ax_l.set_yscale("log")
        ax_l.set_xlim(-0.15, 1.15 * self.steps)
        ax_l.set_ylim(1e-8, 20.0)
        ax_l.set_xlabel(f"gradient-descent step (learning rate {self.lr:g})")
        ax_l.set_ylabel("loss (log scale)")
        ax_l.set_title(f"Loss at each step from w₀ (marks: p reaches {self.p_target:g})")

        from matplotlib.lines import Line2D

        handles = [Line2D([], [], lw=2.2, label="cross-entropy, ∂/∂z = p − y", **LOSS_STYLE["ce"]),
                   Line2D([], [], lw=2.2, label="squared error, ∂/∂z = 2(p − y)p(1 − p)", **LOSS_STYLE["se"]),
                   Line2D([], [], color="black", lw=1.0, ls=":", label=f"each loss at p = {self.p_target:g}")]
        self.fig.legend(handles=handles, loc="outside lower center", ncols=2 if self.presentation else 3,
                        fontsize=legend_size())
        self.animated = [self.start_line, self.dot_ce, self.dot_se, *self.curves_lines.values(), self.hit_ce,
                         self.hit_se]
        self.readout = W.HTML(layout=W.Layout(margin="0 0 0 1em"))
        self.controls["w0"] = W.FloatSlider(value=self._w0, min=-self.w_max, max=self.w_max, step=self.w_step,
                                            description="start w₀", continuous_update=True, readout_format=".1f")

    def _index(self, w0: float) -> int:
        i = int(round((float(w0) + self.w_max) / self.w_step))
        if not 0 <= i < self.w_grid.size or abs(self.w_grid[i] - float(w0)) > 1e-6:
            raise ValueError(f"w0 = {w0!r} is not on the slider's grid")
        return i

    def redraw(self, values):
        w0 = float(values["w0"])
        i = self._index(w0)
        self.w0 = w0
        self.grads = {name: float(self.grad_table[name][i]) for name in ("ce", "se")}
        self.curves = {name: self.loss_table[name][:, i] for name in ("ce", "se")}
        self.steps_to_target = {name: int(self.step_table[name][i]) for name in ("ce", "se")}
        self.start_line.set_xdata([w0, w0])
        self.dot_ce.set_data([w0], [abs(self.grads["ce"])])
        self.dot_se.set_data([w0], [abs(self.grads["se"])])
        for name, line in self.curves_lines.items():
            line.set_ydata(np.maximum(self.curves[name][self.k], 1e-30))
        for name, dot in (("ce", self.hit_ce), ("se", self.hit_se)):
            k = self.steps_to_target[name]
            dot.set_data(([k], [self.curves[name][k]]) if k >= 0 else ([], []))
        self.readout.value = self._readout_text()

    def _readout_text(self) -> str:
        p = float(nk.activations.sigmoid(np.array([self.w0]))[0])
        if p < 0.1:
            state = "confidently wrong"
        elif p < 0.5:
            state = "wrong"
        elif p == 0.5:
            state = "undecided"
        elif p < self.p_target:
            state = "right, not yet sure"
        else:
            state = "already right and sure"
        g_ce, g_se = abs(self.grads["ce"]), abs(self.grads["se"])

        def steps(name):
            k = self.steps_to_target[name]
            return f"<b>{k}</b>" if k >= 0 else f"not within <b>{self.steps}</b>"

        th = self.thresholds
        ratio = g_ce / g_se
        times = f"{ratio:,.0f}" if ratio >= 100 else f"{ratio:.3g}"
        return (f"start w₀ = {self.w0:.1f}: p = σ(w₀) = {p:.4g} for y = 1, {state}<br>"
                f"gradient at the start |∂ loss/∂z|: cross-entropy <b>{g_ce:.3g}</b>, squared error "
                f"<b>{g_se:.3g}</b> ({times} times smaller)<br>"
                f"steps to p ≥ {self.p_target:g} (cross-entropy ≤ {th['ce']:.3f}, squared error ≤ {th['se']:.3f}): "
                f"cross-entropy {steps('ce')}, squared error {steps('se')}.")

    def control_box(self) -> W.Widget:
        """The slider, with the gradients and the step counts beside it."""
        return W.HBox([self.controls["w0"], self.readout],
                      layout=W.Layout(flex_flow="row wrap", align_items="center"))
