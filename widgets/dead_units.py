"""Dead ReLUs, counted: a small network trained at a learning rate the reader picks, its dead units per layer
and its training loss drawn against the epoch, for ReLU and for the two usual fixes, leaky ReLU and ELU."""
from __future__ import annotations

import math
from dataclasses import dataclass

import ipywidgets as W
import numpy as np

import nnkernel as nk
from nnkernel.activations import REGISTRY

from .base import Explorer
from .style import COLORS, PALETTE

#: the activations offered: ReLU and the two fixes the chapter discusses
ACTIVATIONS = ("relu", "leaky_relu", "elu")
#: the learning-rate slider: 10^-2 to 10^0.5 in steps of 10^0.25 (every value is on the published page)
LR_LOG10 = (-2.0, 0.5, 0.25)


@dataclass(frozen=True)
class Setup:
    """The experiment: the data, the network and its training (every run of the explorer uses these)."""

    n: int = 200            # two moons, nk.data.two_moons(n, noise, seed)
    noise: float = 0.1
    widths: tuple = (24, 24)  # two hidden layers
    bias: float = 0.1       # every bias starts here; weights He-normal, N(0, 2 / fan_in)
    batch: int = 25
    epochs: int = 30
    seed: int = 0


@dataclass
class Run:
    """One training run: ``dead[e, l]`` the fraction of layer l's units dead after epoch e (row 0: before
    training), ``loss[e]`` the mean training loss (binary cross-entropy on the logit), and ``diverged``
    the epoch in which the loss or a weight stopped being finite (None if it did not; the rows after it
    are NaN).  ``weights`` and ``biases`` are the final parameters (of the last finite epoch)."""

    activation: str
    lr: float
    dead: np.ndarray
    loss: np.ndarray
    diverged: int | None
    weights: list
    biases: list


def data(setup: Setup = Setup()):
    """The training set: two moons as float64 arrays, X (n, 2) and labels y (n, 1) in {0, 1}."""
    X, y = nk.data.two_moons(n=setup.n, noise=setup.noise, seed=setup.seed)
    return np.asarray(nk.to_numpy(X), np.float64), np.asarray(nk.to_numpy(y), np.float64)[:, None]


def initial_parameters(setup: Setup = Setup()):
    """He-normal weights, N(0, 2 / fan_in), and biases ``setup.bias``, from ``default_rng(setup.seed)``."""
    rng = np.random.default_rng(setup.seed)
    sizes = (2, *setup.widths, 1)
    weights = [rng.normal(0.0, math.sqrt(2.0 / a), (a, b)) for a, b in zip(sizes[:-1], sizes[1:])]
    biases = [np.full(b, setup.bias) for b in sizes[1:]]
    return weights, biases


def dead_fractions(activation: str, weights, biases, X) -> list[float]:
    """Per hidden layer, the fraction of units whose gradient g'(z) is exactly 0 on every row of X (a dead
    unit: no example sends a gradient through it, so its incoming weights never change again)."""
    info = REGISTRY[activation]
    out, h = [], X
    for W_, b in zip(weights[:-1], biases[:-1]):
        z = h @ W_ + b
        out.append(float(np.mean(np.all(nk.to_numpy(info.grad(z)) == 0, axis=0))))
        h = nk.to_numpy(info.fn(z))
    return out


def loss_of(activation: str, weights, biases, X, y) -> float:
    """Mean binary cross-entropy of the network's logit o: log(1 + e^o) - y o."""
    info = REGISTRY[activation]
    h = X
    for W_, b in zip(weights[:-1], biases[:-1]):
        h = nk.to_numpy(info.fn(h @ W_ + b))
    o = h @ weights[-1] + biases[-1]
    return float(np.mean(np.logaddexp(0.0, o) - y * o))


def train(activation: str, lr: float, setup: Setup = Setup()) -> Run:
    """Mini-batch SGD on the mean binary cross-entropy, ``setup.epochs`` epochs of shuffled batches
    (order from ``default_rng([seed, 1])``), recording the dead fractions and the loss after each epoch."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}, got {activation!r}")
    if not (isinstance(lr, (int, float)) and math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a positive number, got {lr!r}")
    info = REGISTRY[activation]
    X, y = data(setup)
    weights, biases = initial_parameters(setup)
    order = np.random.default_rng([setup.seed, 1])
    n_layers = len(setup.widths)
    dead = np.full((setup.epochs + 1, n_layers), np.nan)
    loss = np.full(setup.epochs + 1, np.nan)
    dead[0], loss[0] = dead_fractions(activation, weights, biases, X), loss_of(activation, weights, biases, X, y)
    diverged = None
    with np.errstate(all="ignore"):
        for epoch in range(1, setup.epochs + 1):
            saved = [w.copy() for w in weights], [b.copy() for b in biases]
            perm = order.permutation(len(y))
            for start in range(0, len(y), setup.batch):
                idx = perm[start:start + setup.batch]
                h, t = X[idx], y[idx]
                zs, hs = [], [h]
                for W_, b in zip(weights[:-1], biases[:-1]):
                    z = h @ W_ + b
                    h = nk.to_numpy(info.fn(z))
                    zs.append(z)
                    hs.append(h)
                o = h @ weights[-1] + biases[-1]
                g = (1.0 / (1.0 + np.exp(-o)) - t) / len(idx)  # d loss / d o
                for k in range(len(weights) - 1, -1, -1):
                    gw, gb = hs[k].T @ g, g.sum(axis=0)
                    if k > 0:
                        g = (g @ weights[k].T) * nk.to_numpy(info.grad(zs[k - 1]))
                    weights[k] -= lr * gw
                    biases[k] -= lr * gb
            value = loss_of(activation, weights, biases, X, y)
            if not (math.isfinite(value) and all(np.all(np.isfinite(w)) for w in weights + biases)):
                diverged = epoch
                weights, biases = saved
                break
            dead[epoch], loss[epoch] = dead_fractions(activation, weights, biases, X), value
    return Run(activation, float(lr), dead, loss, diverged, weights, biases)


def _sig(x: float, digits: int = 2) -> str:
    """``x`` to ``digits`` significant digits, in plain notation."""
    return f"{float(f'{x:.{digits}g}'):g}" if x != 0 else "0"


class DeadUnitsExplorer(Explorer):
    """Dead units per layer (left) and training loss (right) against epoch, for a small network trained at the chosen learning rate.

    A two-moons classifier with two hidden layers of 24 units (:class:`Setup`) is
    trained by mini-batch SGD; a unit is dead when its gradient g'(z) is 0 on
    every training example.  Controls: ``activation`` (ReLU, leaky ReLU, ELU)
    and ``lr`` (a log slider).  Runs are cached per setting.
    """

    figsize = (8.0, 3.2)
    page_name = "dead_units"
    page_order = ("activation", "lr")

    def __init__(self, activation: str = "relu", lr: float = 1.0, setup: Setup | None = None, **kwargs):
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}, got {activation!r}")
        self.setup = setup or Setup()
        self._initial = (activation, float(lr))
        self._runs: dict[tuple, Run] = {}
        self.epochs = np.arange(self.setup.epochs + 1)
        super().__init__(**kwargs)

    def run(self, activation: str, lr: float) -> Run:
        """The training run for a setting (computed once, then kept)."""
        key = (activation, round(math.log10(lr), 6))
        if key not in self._runs:
            self._runs[key] = train(activation, lr, self.setup)
        return self._runs[key]

    def build(self):
        self.ax_d, self.ax_l = self.fig.subplots(1, 2)
        styles = ["-", "--", "-.", ":"]
        colors = [PALETTE["vermillion"], PALETTE["blue"], PALETTE["green"], PALETTE["olive"]]
        self.dead_lines = []
        for k in range(len(self.setup.widths)):
            (line,) = self.ax_d.plot(self.epochs, np.zeros_like(self.epochs, float), color=colors[k],
                                     ls=styles[k], lw=2, marker="o" if k else None, ms=3,
                                     label=f"layer {k + 1}")
            self.dead_lines.append(line)
        (self.loss_line,) = self.ax_l.plot(self.epochs, np.ones_like(self.epochs, float),
                                           color=COLORS["function"], lw=2, label="training loss")
        self.ax_d.set_ylim(-3, 130)  # room above 100 % for the legend
        self.ax_d.set_yticks([0, 20, 40, 60, 80, 100])
        self.ax_d.set_xlim(0, self.setup.epochs)
        self.ax_d.set_xlabel("epoch")
        self.ax_d.set_ylabel("dead units (%)")
        self.ax_d.set_title("dead units: g'(z) = 0 on every example")
        self.ax_d.legend(loc="upper center", ncol=2)
        self.ax_l.set_yscale("log")
        self.ax_l.set_ylim(1e-3, 10)
        self.ax_l.set_xlim(0, self.setup.epochs)
        self.ax_l.set_xlabel("epoch")
        self.ax_l.set_ylabel("cross-entropy (log scale)")
        self.ax_l.set_title("training loss: too high a rate stalls it")
        self.ax_l.legend(loc="upper right")
        self.animated = [*self.dead_lines, self.loss_line]
        self.readout = W.HTML()
        self.controls["activation"] = W.Dropdown(
            options=[(REGISTRY[n].label, n) for n in ACTIVATIONS], value=self._initial[0], description="activation")
        lo, hi, step = LR_LOG10
        self.controls["lr"] = W.FloatLogSlider(value=self._initial[1], base=10, min=lo, max=hi, step=step,
                                               description="learning rate", continuous_update=True,
                                               readout_format=".3g")

    def redraw(self, values):
        run = self.run(values["activation"], float(values["lr"]))
        for k, line in enumerate(self.dead_lines):
            line.set_ydata(100 * run.dead[:, k])
        self.loss_line.set_ydata(np.clip(run.loss, 1.1e-3, 9.0))  # a loss off the scale drawn at its edge
        last = run.dead[run.diverged - 1] if run.diverged else run.dead[-1]
        final = run.loss[run.diverged - 1] if run.diverged else run.loss[-1]
        widths = self.setup.widths
        layers = ", ".join(f"layer {k + 1}: {round(f * w)} of {w} ({100 * f:.3g} %)"
                           for k, (f, w) in enumerate(zip(last, widths)))
        label = REGISTRY[values["activation"]].label
        if run.diverged:
            end = (f"the run <b>diverged</b> in epoch {run.diverged} (loss or weights not finite); "
                   f"dead units after epoch {run.diverged - 1}: {layers}")
        else:
            end = (f"dead units after epoch {self.setup.epochs}: <b>{layers}</b>; "
                   f"final training loss <b>{_sig(final)}</b>")
        self.readout.value = f"<b>{label}</b>, learning rate {float(values['lr']):.3g}: {end}"
