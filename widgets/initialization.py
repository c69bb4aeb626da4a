"""The initialization explorer: a deep stack of dense layers, its activations layer by layer.

A batch of standard-normal inputs goes through ``depth`` dense layers of
``width`` units, each followed by the chosen activation.  The weights of layer
``l`` are ``scale * nnkernel.init.<initializer>(width, width, seed=seed + l)``
and the biases are zero, exactly what ``nnkernel.layers.Dense`` builds.  The
left panel shows one histogram per layer (layer 1 at the top); the right panel
shows, on a log scale, the standard deviation of each layer's activations and
of the gradient that reaches each layer's output when a random gradient
(entries drawn from N(0, 1), seeded) is sent back from the last layer.

Everything that does not depend on the controls is computed once: the inputs,
the top gradient and (per initializer) the unscaled weights.
The forward pass and the histograms of layer l depend on (activation,
initializer, scale) only, not on the depth, so they are cached per setting and
extended when the depth grows; moving the depth slider reruns only the
backward pass (and any layers not computed yet).  The histograms are ``StepPatch``
artists (``Axes.stairs``) updated in place with ``set_data``.
"""
from __future__ import annotations

from collections import OrderedDict

import ipywidgets as W
import numpy as np
from matplotlib.ticker import MaxNLocator

import nnkernel as nk

from .base import Explorer
from .style import COLORS, PALETTE

#: the activations offered, with the x-range of their histograms (values outside are counted in the end bins)
RANGES = {
    "sigmoid": (0.0, 1.0),
    "tanh": (-1.0, 1.0),
    "relu": (0.0, 4.0),
    "selu": (-2.0, 4.0),
}
ACTIVATIONS = tuple(RANGES)

#: the initializers offered: every random one in the kernel (zeros and constant are the symmetry section's)
INITIALIZERS = tuple(name for name in nk.init.INITIALIZERS if name not in ("zeros", "constant"))

#: colour of each activation's histograms (SELU has no book-wide colour yet)
ACTIVATION_COLORS = {name: COLORS.get(name, PALETTE["olive"]) for name in ACTIVATIONS}

#: a histogram's bar height is its density times this factor times the range's width, capped at ROW_CAP
HEIGHT_FACTOR = 0.3
ROW_CAP = 0.92
#: the y-range of the standard-deviation panel (log scale)
STD_LIMITS = (1e-6, 1e6)


#: rows per BLAS call in the explorer's products (see ``_matmul``)
SLICE_ROWS = 16


def _matmul(a: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``a @ w``, computed SLICE_ROWS rows at a time in one stacked call.

    Each slice is a product small enough that OpenBLAS runs it on one thread.
    On a busy two-core machine, the threads of a multithreaded product wait for
    each other far longer than these small products take (a 128 x 128 product
    then costs tens of milliseconds instead of a tenth of one); numpy's stacked
    matmul runs the slices one after the other without Python overhead.
    """
    n = a.shape[0]
    k = n - n % SLICE_ROWS
    if k == 0:
        return a @ w
    out = (a[:k].reshape(k // SLICE_ROWS, SLICE_ROWS, a.shape[1]) @ w).reshape(k, w.shape[1])
    if k < n:
        out = np.concatenate([out, a[k:] @ w])
    return out


class InitExplorer(Explorer):
    """Per-layer histograms of activations in a deep network, for one activation, initializer and weight scale.

    Controls: ``scale`` (a log slider: the factor multiplying the initializer's
    weights, 10^-1.5 to 10^1.5), ``depth`` (number of layers, 1 to
    ``max_depth``), ``activation`` and ``initializer`` (dropdowns).

    ``cache_size`` settings (activation, initializer, scale) keep their forward pass, about
    ``max_depth * batch * width * 8`` bytes each (1.3 MB with the defaults).

    Read back for tests: ``edges`` (the bin edges), ``counts`` (one row of bin
    counts per shown layer), ``act_std`` and ``grad_std`` (per shown layer),
    ``stairs`` (one StepPatch per possible layer) and ``line_act``/``line_grad``.
    """

    figsize = (9.0, 4.4)
    presentation_aspect = 0.42  # two rows of controls and a two-line readout above it
    page_name = "initialization"
    #: on the published page: the weight scale at 10^(k/4) from 10^-1.5 to 10^1.5, finer near 1 (the
    #: exercise's range for depth 20 is 0.89 to 1.13) and with 10^0.15 = 1.41 (sqrt 2, relu with Xavier);
    #: depths 1, 2, 5, 10, 15, 20; every activation and initializer
    page_grid = {
        "scale": [10 ** e for e in (-1.5, -1.25, -1.0, -0.75, -0.5, -0.25, -0.1, -0.05, 0.0, 0.05, 0.1, 0.15,
                                    0.25, 0.5, 0.75, 1.0, 1.25, 1.5)],
        "depth": [1, 2, 5, 10, 15, 20],
    }
    page_order = ("activation", "initializer", "scale", "depth")  # the title and x-axis follow the first two
    #: the title, the bins and the x-axis follow the two choices (Explorer: a dropdown's drawings are kept)
    static_controls = ("activation", "initializer")

    def __init__(self, activation: str = "tanh", initializer: str = "xavier_normal", depth: int = 10,
                 scale: float = 1.0, width: int = 128, batch: int = 64, max_depth: int = 20, bins: int = 40,
                 seed: int = 0, cache_size: int = 12, **kwargs):
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}, got {activation!r}")
        if initializer not in INITIALIZERS:
            raise ValueError(f"initializer must be one of {', '.join(INITIALIZERS)}, got {initializer!r}")
        for name, value, low in (("width", width, 1), ("batch", batch, 2), ("max_depth", max_depth, 1),
                                 ("bins", bins, 2)):
            if isinstance(value, bool) or int(value) != value or int(value) < low:
                raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
        if not 1 <= int(depth) <= int(max_depth):
            raise ValueError(f"depth must be between 1 and max_depth={max_depth}, got {depth!r}")
        if not 10 ** -1.5 <= float(scale) <= 10 ** 1.5:
            raise ValueError(f"scale must be between 10^-1.5 and 10^1.5, got {scale!r}")
        self.width, self.batch, self.max_depth, self.bins = int(width), int(batch), int(max_depth), int(bins)
        self.seed = int(seed)
        self._initial = dict(activation=activation, initializer=initializer, depth=int(depth), scale=float(scale))
        # fixed for the explorer's life: the inputs, the gradient sent back from the top, the layer numbers
        self.inputs = np.random.default_rng(self.seed).normal(size=(self.batch, self.width))
        self.top_gradient = np.random.default_rng(self.seed + 10_000).normal(size=(self.batch, self.width))
        self.layer_index = np.arange(1, self.max_depth + 1)
        self._weights: dict[str, list[np.ndarray]] = {}
        self._weight_std: dict[str, float] = {}
        self._forward_cache: OrderedDict = OrderedDict()
        self._backward_cache: OrderedDict = OrderedDict()
        self._cache_size = int(cache_size)
        super().__init__(**kwargs)

    # -- the numbers ------------------------------------------------------------------------------
    def base_weights(self, initializer: str) -> list[np.ndarray]:
        """The unscaled weights of every layer: ``nk.init.<initializer>(width, width, seed=seed + l)``."""
        if initializer not in self._weights:
            fn = nk.init.get(initializer)
            self._weights[initializer] = [nk.to_numpy(fn(self.width, self.width, seed=self.seed + l))
                                          for l in range(self.max_depth)]
            self._weight_std[initializer] = float(np.std(np.stack(self._weights[initializer])))
        return self._weights[initializer]

    def weight_std(self, initializer: str, scale: float = 1.0) -> float:
        """The standard deviation of all the weights (every layer) for ``initializer`` times ``scale``."""
        self.base_weights(initializer)
        return scale * self._weight_std[initializer]

    def edges_for(self, activation: str) -> np.ndarray:
        lo, hi = RANGES[activation]
        return np.linspace(lo, hi, self.bins + 1)

    def forward(self, activation: str, initializer: str, scale: float, depth: int | None = None) -> dict:
        """Pre-activations, histogram counts and standard deviations of the activations of layers 1..depth.

        The result is cached per (activation, initializer, scale) and extended when a deeper network is
        asked for: layer l does not depend on the layers after it, so a depth change reuses what is there.
        Returns a dict whose arrays cover at least ``depth`` layers (all ``max_depth`` when depth is None).
        """
        depth = self.max_depth if depth is None else int(depth)
        key = (activation, initializer, float(scale))
        state = self._forward_cache.get(key)
        if state is None:
            state = {"pre": [], "counts": np.zeros((self.max_depth, self.bins), dtype=np.int64),
                     "act_std": np.zeros(self.max_depth), "last": self.inputs}
            self._forward_cache[key] = state
            if len(self._forward_cache) > self._cache_size:
                self._forward_cache.popitem(last=False)
        else:
            self._forward_cache.move_to_end(key)
        done = len(state["pre"])
        if done < depth:
            fn = nk.activations.REGISTRY[activation].fn
            lo, hi = RANGES[activation]
            weights = self.base_weights(initializer)
            a = state["last"]
            for l in range(done, depth):
                z = _matmul(a, scale * weights[l])
                a = fn(z)
                state["pre"].append(z)
                state["act_std"][l] = a.std()
                state["counts"][l] = self._histogram(a, lo, hi)
            state["last"] = a
        return state

    def _histogram(self, a: np.ndarray, lo: float, hi: float) -> np.ndarray:
        """Counts of ``a`` in ``bins`` equal bins on [lo, hi], values outside counted in the end bins.

        The same counts as ``np.histogram(np.clip(a, lo, hi), bins=edges)`` (up to values within
        round-off of an edge), computed with one multiplication and a bincount.
        """
        idx = ((np.clip(a, lo, hi) - lo) * (self.bins / (hi - lo))).astype(np.intp).ravel()
        np.minimum(idx, self.bins - 1, out=idx)
        return np.bincount(idx, minlength=self.bins)

    def backward(self, activation: str, initializer: str, scale: float, depth: int) -> np.ndarray:
        """Standard deviation of dL/da_l for l = 1..depth, with dL/da_depth = ``top_gradient``."""
        key = (activation, initializer, float(scale), int(depth))
        if key in self._backward_cache:
            self._backward_cache.move_to_end(key)
            return self._backward_cache[key]
        grad_fn = nk.activations.REGISTRY[activation].grad
        pre = self.forward(activation, initializer, scale, depth)["pre"]
        weights = self.base_weights(initializer)
        g = self.top_gradient
        stds = np.empty(depth)
        for l in range(depth - 1, -1, -1):
            stds[l] = g.std()
            if l:
                g = _matmul(g * grad_fn(pre[l]), (scale * weights[l]).T)
        self._backward_cache[key] = stds
        if len(self._backward_cache) > self._cache_size:
            self._backward_cache.popitem(last=False)
        return stds

    def heights(self, counts: np.ndarray, activation: str) -> np.ndarray:
        """Bar heights drawn for bin counts: density times HEIGHT_FACTOR times the range's width, capped."""
        lo, hi = RANGES[activation]
        density = counts / (counts.sum(axis=-1, keepdims=True) * ((hi - lo) / self.bins))
        return np.minimum(density * HEIGHT_FACTOR * (hi - lo), ROW_CAP)

    # -- the figure -------------------------------------------------------------------------------
    def build(self):
        self.ax_h, self.ax_s = self.fig.subplots(1, 2, width_ratios=[1.25, 1.0])
        edges = self.edges_for(self._initial["activation"])
        self.stairs = []
        for l in self.layer_index:
            patch = self.ax_h.stairs(np.full(self.bins, -float(l)), edges, baseline=-float(l), fill=True,
                                     alpha=0.75, linewidth=0.8)
            self.stairs.append(patch)
        self.ax_h.set_ylim(-self.max_depth - 0.3, 0.2)
        step = 1 if self.max_depth <= 12 else 2
        ticks = self.layer_index[::step]
        self.ax_h.set_yticks(-ticks + 0.4, [str(t) for t in ticks])
        self.ax_h.set_ylabel("layer (1 = nearest the input)")
        self.ax_h.grid(axis="y", visible=False)
        self.ax_h.set_title(" ")
        (self.line_act,) = self.ax_s.semilogy([1], [1], marker="o", ms=3.5, color=COLORS["function"],
                                              label="activations $a^{(l)}$")
        (self.line_grad,) = self.ax_s.semilogy([1], [1], marker="s", ms=3.5, color=COLORS["derivative"],
                                               label=r"gradient $\partial L/\partial a^{(l)}$")
        self.ax_s.axhline(1.0, color=COLORS["reference"], ls="--", lw=1.0, label="std of the input")
        self.ax_s.set_xlim(0.5, self.max_depth + 0.5)
        self.ax_s.set_ylim(*STD_LIMITS)
        self.ax_s.set_xlabel("layer l")
        self.ax_s.set_ylabel("standard deviation (log scale)")
        self.ax_s.legend(loc="upper left")
        self.ax_s.xaxis.set_major_locator(MaxNLocator(integer=True))
        self.ax_s.set_title("standard deviation per layer")
        self.animated = [*self.stairs, self.line_act, self.line_grad]
        # the numbers that change with every slider step are shown as text beside the controls: drawing
        # text into the figure costs more than all the histograms together
        self.readout = W.HTML()

        init = self._initial
        self.controls["scale"] = W.FloatLogSlider(value=init["scale"], base=10, min=-1.5, max=1.5, step=0.05,
                                                  description="weight scale", readout_format=".3g",
                                                  continuous_update=True)
        self.controls["depth"] = W.IntSlider(value=init["depth"], min=1, max=self.max_depth, step=1,
                                             description="depth", continuous_update=True)
        self.controls["activation"] = W.Dropdown(options=list(ACTIVATIONS), value=init["activation"],
                                                 description="activation")
        self.controls["initializer"] = W.Dropdown(options=list(INITIALIZERS), value=init["initializer"],
                                                  description="initializer")

    def redraw(self, values):
        act, init = values["activation"], values["initializer"]
        scale, depth = float(values["scale"]), int(values["depth"])
        fwd = self.forward(act, init, scale, depth)
        self.edges = self.edges_for(act)
        self.counts = fwd["counts"][:depth]
        self.act_std = fwd["act_std"][:depth]
        self.grad_std = self.backward(act, init, scale, depth)
        heights = self.heights(self.counts, act)
        colour = ACTIVATION_COLORS[act]
        if getattr(self, "_drawn_activation", None) != act:
            # a new activation: new bin edges, colour and x-range for every row, then a full redraw
            colour = ACTIVATION_COLORS[act]
            for l, patch in enumerate(self.stairs):
                patch.set_data(np.full(self.bins, -float(l + 1)), self.edges, baseline=-float(l + 1))
                patch.set_facecolor(colour)
                patch.set_edgecolor(colour)
            lo, hi = RANGES[act]
            self.ax_h.set_xlim(lo, hi)
            self.ax_h.set_xlabel(f"activation value a = {act}(z)" + ("" if act in ("sigmoid", "tanh")
                                                                     else f"  (values > {hi:g} in the last bin)"))
            self._drawn_activation = act
            self.invalidate()
        if getattr(self, "_drawn_title", None) != (act, init):
            self.ax_h.set_title(f"{act} layers, {init} weights")
            self._drawn_title = (act, init)
            self.invalidate()
        for l, patch in enumerate(self.stairs):
            patch.set_visible(l < depth)
            if l < depth:
                patch.set_data(values=heights[l] - (l + 1))
        layers = self.layer_index[:depth]
        self.line_act.set_data(layers, self.act_std)
        self.line_grad.set_data(layers, self.grad_std)
        w_std = self.weight_std(init, scale)
        self.readout.value = (
            f"weight scale <b>{scale:.3g}</b>: std(W) = <b>{w_std:.3g}</b> &middot; {self.batch} inputs through "
            f"{depth} layers of {self.width} units &middot; std of the last layer's activations <b>{self.act_std[-1]:.3g}</b> "
            f"&middot; std of the gradient reaching layer 1 <b>{self.grad_std[0]:.3g}</b>")
