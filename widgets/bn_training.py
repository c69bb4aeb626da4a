"""Batch normalization's headline result, interactive: the same network trained with and without it at a
learning rate the reader picks, both training-loss curves against the step.

The experiment is the batch-normalization chapter's "larger learning rates" section (:class:`Setup`): the
two-moons data, five hidden layers of 32 ReLU units and one output logit, built by the chapter's
``make_net`` (``Dense`` -> [``BatchNorm``] -> ``Activation("relu")``, the Dense weights seeded by the
network's seed, so both networks start from the same weights), and plain SGD on the binary cross-entropy of
the logit with batches of 32 for 20 epochs, each epoch shuffled by ``default_rng(1000 * seed + epoch)``.
:func:`train` runs exactly the operations of ``nnkernel.models.fit`` called one epoch at a time, as the
chapter's ``train`` does, but keeps the loss of every step; so its epoch means are the chapter's, and its
final loss (:func:`final_loss`: the whole training set in evaluation mode) is the number the chapter's
table takes the median of over seeds 0, 1 and 2.

A run diverges at the step whose network output is no longer finite; it stops there, without warnings.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import ipywidgets as W
import numpy as np
from matplotlib.lines import Line2D

import nnkernel as nk
from nnkernel.layers import Activation, BatchNorm, Dense
from nnkernel.models import Sequential
from nnkernel.optim import SGD

from .base import Explorer
from .style import COLORS, legend_size

#: the learning rates the slider offers: a 1-2-3-5 sequence over three decades, holding every rate of the
#: chapter's table (0.03, 0.1, 0.3, 1, 3, 10)
LEARNING_RATES = (0.01, 0.02, 0.03, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0)
#: the seeds offered (the chapter's SEEDS): each gives other initial weights and another batch order
SEEDS = (0, 1, 2)
#: a final loss above this is reported only as "no fit" (the chapter's NO_FIT): such a run is chaotic, its
#: loss changes with the last bits of the arithmetic
NO_FIT = 0.3
#: the loss axis (log scale); a loss outside it is drawn at its edge
LOSS_LIMITS = (1e-4, 30.0)

LOSS = "binary_cross_entropy_with_logits"
NET_COLORS = {False: COLORS["reference"], True: COLORS["function"]}
NET_LABELS = {False: "without BN", True: "with BN"}
NET_DASHES = {False: "-", True: "--"}
DIVERGED = {False: "x", True: "+"}


@dataclass(frozen=True)
class Setup:
    """The chapter's experiment (every run of the explorer uses it)."""

    n: int = 300          # nk.data.two_moons(n, noise, seed=0)
    noise: float = 0.15
    depth: int = 5        # hidden layers
    width: int = 32       # units per hidden layer
    batch: int = 32
    epochs: int = 20


@dataclass
class Run:
    """One training run: ``loss[k]`` the mini-batch loss (training mode) of step k + 1, NaN after a
    divergence; ``diverged`` the step (1-based) whose output was not finite, or None; ``final`` the loss
    of the trained network on the whole training set in evaluation mode (inf if it diverged)."""

    batchnorm: bool
    lr: float
    seed: int
    loss: np.ndarray
    diverged: int | None
    final: float

    @property
    def last(self) -> int:
        """The number of steps with a finite loss."""
        return len(self.loss) if self.diverged is None else self.diverged - 1


def data(setup: Setup = Setup()):
    """The training set as the chapter makes it: X (n, 2) and labels y (n, 1) in {0, 1}."""
    X, y = nk.data.two_moons(n=setup.n, noise=setup.noise, seed=0)
    return X, nk.asarray(nk.to_numpy(y)[:, None])


def make_net(batchnorm: bool, seed: int = 0, setup: Setup = Setup()) -> Sequential:
    """The chapter's ``make_net``: depth x (Dense -> [BatchNorm] -> ReLU), then Dense(width, 1), a logit."""
    layers, fan_in = [], 2
    for i in range(setup.depth):
        layers.append(Dense(fan_in, setup.width, seed=100 * seed + i))
        if batchnorm:
            layers.append(BatchNorm(setup.width))
        layers.append(Activation("relu"))
        fan_in = setup.width
    layers.append(Dense(fan_in, 1, seed=100 * seed + 99))
    return Sequential(layers)


def batches(n: int, batch: int) -> list[tuple[int, int]]:
    """(start, stop) of each mini-batch, as ``fit`` makes them: a last batch of one example (too small for
    BatchNorm) joins the one before it."""
    bounds = [(start, min(start + batch, n)) for start in range(0, n, batch)]
    if len(bounds) > 1 and bounds[-1][1] - bounds[-1][0] < 2:
        (a, _), (_, b) = bounds[-2], bounds.pop()
        bounds[-1] = (a, b)
    return bounds


def final_loss(model, X, y) -> float:
    """The chapter's ``final_loss``: binary cross-entropy of ``model.predict(X)`` (inf if not finite)."""
    with np.errstate(all="ignore"):
        out = model.predict(X)
    if not np.all(np.isfinite(nk.to_numpy(out))):
        return math.inf
    return float(nk.losses.binary_cross_entropy_with_logits(y, out))


def train(batchnorm: bool, lr: float, seed: int = 0, setup: Setup = Setup()) -> Run:
    """Train the chapter's network at learning rate ``lr`` with plain SGD, recording every step's loss."""
    if not (isinstance(lr, (int, float)) and math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a positive number, got {lr!r}")
    X, y = data(setup)
    model, optimizer = make_net(bool(batchnorm), seed, setup), SGD(lr)
    loss_fn, loss_grad = nk.losses.LOSSES[LOSS]
    bounds = batches(setup.n, setup.batch)
    xp = nk.xp()
    loss = np.full(setup.epochs * len(bounds), np.nan)
    step, diverged = 0, None
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for epoch in range(setup.epochs):
            order = np.random.default_rng(1000 * seed + epoch).permutation(setup.n)
            for start, stop in bounds:
                idx = xp.asarray(order[start:stop])
                xb, yb = xp.take(X, idx, axis=0), xp.take(y, idx, axis=0)
                out = model.forward(xb, training=True)
                if not bool(xp.all(xp.isfinite(out))):
                    diverged = step + 1
                    break
                loss[step] = float(np.asarray(nk.to_numpy(loss_fn(yb, out))))
                model.backward(loss_grad(yb, out))
                optimizer.step(model.params, model.grads)
                step += 1
            if diverged is not None:
                break
    final = math.inf if diverged is not None else final_loss(model, X, y)
    return Run(bool(batchnorm), float(lr), int(seed), loss, diverged, final)


def epoch_means(run: Run, setup: Setup = Setup()) -> np.ndarray:
    """The mean training loss of each epoch, weighted by batch size as ``fit`` averages it (the chapter's
    per-epoch losses); NaN for an epoch the run did not finish."""
    bounds = batches(setup.n, setup.batch)
    sizes = [b - a for a, b in bounds]
    out = np.full(setup.epochs, np.nan)
    for epoch in range(run.last // len(bounds)):
        total = 0.0
        for k, size in enumerate(sizes):
            total += run.loss[epoch * len(bounds) + k] * size
        out[epoch] = total / sum(sizes)
    return out


def _sig(x: float, digits: int = 2) -> str:
    """``x`` to ``digits`` significant digits, trailing zeros kept (the chapter's ``#.2g``)."""
    return f"{x:#.{digits}g}"


def verdict(run: Run, setup: Setup = Setup()) -> str:
    """The readout's words for a run: its final loss, "no fit", or where it diverged."""
    if run.diverged is not None:
        steps = len(batches(setup.n, setup.batch))
        return f"diverged at step {run.diverged} (epoch {(run.diverged - 1) // steps + 1})"
    if run.final > NO_FIT:
        return f"no fit (final loss above {NO_FIT:g})"
    return f"final loss {_sig(run.final)}"


class BNTrainingExplorer(Explorer):
    """Training loss against step for the same network trained with and without batch normalization, at the chosen learning rate.

    The chapter's experiment (:class:`Setup`): a two-moons classifier with five hidden layers of 32 ReLU
    units, plain SGD, batches of 32, 20 epochs.  Controls: ``lr`` (learning rate, 0.01 to 10 on a 1-2-3-5
    scale) and ``seed`` (initial weights and batch order, the chapter's seeds 0, 1, 2).  Runs are computed
    when first asked for and then kept.
    """

    figsize = (8.0, 3.4)
    page_name = "bn_training"
    page_order = ("seed", "lr")

    def __init__(self, lr: float = 2.0, seed: int = 0, setup: Setup | None = None, **kwargs):
        if lr not in LEARNING_RATES:
            raise ValueError(f"lr must be one of {LEARNING_RATES}, got {lr!r}")
        if seed not in SEEDS:
            raise ValueError(f"seed must be one of {SEEDS}, got {seed!r}")
        self.setup = setup or Setup()
        self._initial = (float(lr), int(seed))
        self._runs: dict[tuple, Run] = {}
        self.per_epoch = len(batches(self.setup.n, self.setup.batch))
        self.steps = np.arange(1, self.setup.epochs * self.per_epoch + 1)
        super().__init__(**kwargs)

    def run(self, batchnorm: bool, lr: float, seed: int) -> Run:
        """The training run for a setting (computed once, then kept)."""
        key = (bool(batchnorm), float(lr), int(seed))
        if key not in self._runs:
            self._runs[key] = train(*key, setup=self.setup)
        return self._runs[key]

    def build(self):
        ax = self.ax = self.fig.subplots()
        self.lines, self.means, self.ends = {}, {}, {}
        epoch_ends = self.steps[self.per_epoch - 1::self.per_epoch]
        for bn in (False, True):
            (self.lines[bn],) = ax.plot(self.steps, np.ones(len(self.steps)), color=NET_COLORS[bn],
                                        ls=NET_DASHES[bn], lw=0.8, alpha=0.45)
            (self.means[bn],) = ax.plot(epoch_ends, np.ones(len(epoch_ends)), color=NET_COLORS[bn],
                                        ls=NET_DASHES[bn], lw=2.4, marker="s" if bn else "o", ms=4,
                                        label=f"{NET_LABELS[bn]}: epoch mean")
            (self.ends[bn],) = ax.plot([np.nan], [np.nan], DIVERGED[bn], ms=12, mew=3, color=NET_COLORS[bn],
                                       clip_on=False)
        handles = [self.means[False], self.means[True],
                   Line2D([], [], color=COLORS["reference"], lw=0.8, alpha=0.6, label="each batch"),
                   Line2D([], [], ls="none", marker="x", ms=9, mew=2.5, color=COLORS["reference"],
                          label="diverged: loss no\nlonger finite")]
        ax.set_yscale("log")
        ax.set_ylim(*LOSS_LIMITS)
        ax.set_xlim(0, self.steps[-1] + 1)
        ax.set_xlabel(f"training step (one batch of {self.setup.batch}; {self.per_epoch} steps an epoch)")
        ax.set_ylabel("training loss (log scale)")
        ax.set_title("With BN, larger learning rates still train")
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=legend_size())
        self.animated = [*self.lines.values(), *self.means.values(), *self.ends.values()]
        self.readout = W.HTML()
        self.controls["lr"] = W.SelectionSlider(options=list(LEARNING_RATES), value=self._initial[0],
                                                description="learning rate", continuous_update=True)
        self.controls["seed"] = W.Dropdown(options=[(str(s), s) for s in SEEDS], value=self._initial[1],
                                           description="seed")

    def redraw(self, values):
        lr, seed = float(values["lr"]), int(values["seed"])
        lo, hi = LOSS_LIMITS
        self.current = {}
        parts = []
        for bn in (False, True):
            run = self.current[bn] = self.run(bn, lr, seed)
            self.lines[bn].set_ydata(np.clip(run.loss, lo * 1.01, hi / 1.01))
            self.means[bn].set_ydata(np.clip(epoch_means(run, self.setup), lo * 1.01, hi / 1.01))
            if run.diverged is not None:
                y_end = run.loss[run.last - 1] if run.last else hi
                self.ends[bn].set_data([run.diverged], [min(max(y_end, lo * 1.01), hi / 1.5)])
            else:
                self.ends[bn].set_data([np.nan], [np.nan])
            parts.append(f"{NET_LABELS[bn]}: <b>{verdict(run, self.setup)}</b>")
        self.readout.value = (f"learning rate <b>{lr:g}</b>, seed {seed}: " + "; ".join(parts)
                              + " (final loss: the whole training set, evaluation mode)")

    def describe(self) -> str:
        text = self._describe()
        plain, bn = self.current[False], self.current[True]
        bn_fits = bn.diverged is None and bn.final <= NO_FIT
        if plain.diverged is not None and bn_fits:
            notice = ("Notice: the curve without batch normalization stops with a cross where its loss "
                      "stopped being finite, while the batch-normalized network trains to a low loss.")
        elif not bn_fits:
            notice = ("Notice: at this rate even the batch-normalized network fails; normalization widens the "
                      "range of usable learning rates, it does not remove the limit.")
        else:
            notice = ("Notice: how fast each curve falls and how noisy it is; raise the learning rate to see "
                      "the network without batch normalization fail first.")
        return f"{text} {notice}"
