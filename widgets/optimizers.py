"""The optimizer explorer: paths of nnkernel's optimizers on two-dimensional loss surfaces.

Every path is computed by an optimizer from :mod:`nnkernel.optim` stepping a
parameter array of shape (2,), exactly as it would step a network's weights;
the surfaces supply the loss and its gradient.  A path that runs away (a
non-finite value, or a coordinate beyond ``limit``) is stopped at the last good
point and reported as diverged at that step: no warnings, no exceptions.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import ipywidgets as W
import matplotlib
import numpy as np
from matplotlib.font_manager import FontProperties

from nnkernel import optim

from .base import Explorer
from .style import COLORS, PALETTE, legend_size

__all__ = ["Surface", "SURFACES", "OPTIMIZER_CHOICES", "OPTIMIZER_COLORS", "OPTIMIZER_MARKERS", "OPTIMIZER_DASHES",
           "Trajectory", "make_optimizer",
           "trajectory", "contours", "draw_surface", "mark_points", "plot_paths", "OptimizerExplorer"]

# ----------------------------------------------------------------------------- surfaces


@dataclass(frozen=True)
class Surface:
    """A loss f(x, y) on the plane with its gradient, a plotting window and a default start.

    ``f`` works elementwise on arrays (for contours); ``grad`` takes a parameter
    array of shape (2,) and returns a new array of shape (2,).  ``minima`` are
    the local minima, ``saddles`` the saddle points, ``f_min`` the global minimum
    value, and ``lr`` a learning rate at which the explorer starts.
    """

    key: str
    label: str
    f: Callable
    grad: Callable
    xlim: tuple
    ylim: tuple
    start: tuple
    f_min: float
    lr: float
    minima: tuple = ()
    saddles: tuple = ()
    log_levels: bool = True
    #: the formula, as plain text for titles
    note: str = ""
    _cache: dict = field(default_factory=dict, compare=False, repr=False)

    def grid(self, n=121):
        """(X, Y, Z): the loss on an n x n grid over the window, computed once and kept."""
        if n not in self._cache:
            X, Y = np.meshgrid(np.linspace(*self.xlim, n), np.linspace(*self.ylim, n))
            self._cache[n] = (X, Y, self.f(X, Y))
        return self._cache[n]

    def levels(self, n=14):
        """Contour levels: log-spaced heights above the minimum, or evenly spaced ones."""
        Z = self.grid()[2]
        if self.log_levels:
            top = float(np.max(Z) - self.f_min)
            return self.f_min + np.geomspace(top * 1e-4, top, n)
        return np.linspace(float(np.min(Z)), float(np.max(Z)), n + 2)[1:-1]


# an axis-aligned valley: curvature 0.2 along x, 10 along y (condition number 50)
VALLEY_CURVATURE = (0.2, 10.0)


def _valley_f(x, y):
    a, b = VALLEY_CURVATURE
    return 0.5 * (a * x * x + b * y * y)


def _valley_grad(p):
    a, b = VALLEY_CURVATURE
    return np.array([a * p[0], b * p[1]])


# the same valley turned by 45 degrees: its axes no longer line up with the parameters
_C = _S = math.sqrt(0.5)


def _rot_f(x, y):
    u, v = _C * x + _S * y, -_S * x + _C * y
    return _valley_f(u, v)


def _rot_grad(p):
    a, b = VALLEY_CURVATURE
    u, v = _C * p[0] + _S * p[1], -_S * p[0] + _C * p[1]
    gu, gv = a * u, b * v
    return np.array([_C * gu - _S * gv, _S * gu + _C * gv])


# the valley's start, turned with it: plain and momentum SGD take exactly the turned path of the valley
_ROT_START = (_C * -9.0 - _S * 2.5, _S * -9.0 + _C * 2.5)


def _rosen_f(x, y):
    return (1.0 - x) ** 2 + 100.0 * (y - x * x) ** 2


def _rosen_grad(p):
    x, y = float(p[0]), float(p[1])
    r = y - x * x
    return np.array([-2.0 * (1.0 - x) - 400.0 * x * r, 200.0 * r])


def _saddle_f(x, y):
    return 0.5 * x * x + 0.25 * y ** 4 - 0.5 * y * y


def _saddle_grad(p):
    x, y = float(p[0]), float(p[1])
    return np.array([x, y ** 3 - y])


def _two_minima_f(x, y):
    return (x * x - 1.0) ** 2 + 0.3 * x + y * y


def _two_minima_grad(p):
    x, y = float(p[0]), float(p[1])
    return np.array([4.0 * x * (x * x - 1.0) + 0.3, 2.0 * y])


def _two_minima_points():
    # critical points of (x^2 - 1)^2 + 0.3 x: roots of 4x^3 - 4x + 0.3 (y = 0)
    roots = np.sort(np.roots([4.0, 0.0, -4.0, 0.3]).real)
    return roots  # global minimum, saddle, local minimum


_TM = _two_minima_points()

#: the learning-rate slider's grid: 10^(LR_EXP_MIN + k * LR_EXP_STEP), from 1e-4 to 10
LR_EXP_MIN, LR_EXP_MAX, LR_EXP_STEP = -4.0, 1.0, 0.05


def _on_lr_grid(lr: float) -> float:
    """The point of the learning-rate slider's grid nearest ``lr`` (a surface's own rate must lie on it: a
    browser snaps a value off the grid and sends it back, and the kernel then draws another run)."""
    k = round((np.log10(lr) - LR_EXP_MIN) / LR_EXP_STEP)
    return float(10 ** (LR_EXP_MIN + k * LR_EXP_STEP))


SURFACES = {
    s.key: s for s in [
        Surface("valley", "ill-conditioned valley", _valley_f, _valley_grad, (-10.0, 10.0), (-3.0, 3.0),
                (-9.0, 2.5), 0.0, _on_lr_grid(0.12), minima=((0.0, 0.0),),
                note="½(0.2x² + 10y²)"),
        Surface("rotated", "turned valley", _rot_f, _rot_grad, (-9.0, 9.0), (-9.0, 9.0),
                _ROT_START, 0.0, _on_lr_grid(0.12), minima=((0.0, 0.0),),
                note="½(0.2u² + 10v²), u = (x + y)/√2, v = (y − x)/√2"),
        Surface("rosenbrock", "Rosenbrock", _rosen_f, _rosen_grad, (-2.0, 2.0), (-1.0, 3.0), (-1.5, 2.0), 0.0, _on_lr_grid(2e-3),
                minima=((1.0, 1.0),), note="(1 − x)² + 100(y − x²)²"),
        Surface("saddle", "saddle point", _saddle_f, _saddle_grad, (-2.5, 2.5), (-1.8, 1.8), (2.2, 1e-3), -0.25,
                _on_lr_grid(0.1), minima=((0.0, -1.0), (0.0, 1.0)), saddles=((0.0, 0.0),), log_levels=False,
                note="½x² + ¼y⁴ − ½y²"),
        Surface("two_minima", "two minima", _two_minima_f, _two_minima_grad, (-2.0, 2.0), (-2.0, 2.0),
                (1.9, 1.8), float(_two_minima_f(_TM[0], 0.0)), _on_lr_grid(0.05),
                minima=((float(_TM[0]), 0.0), (float(_TM[2]), 0.0)), saddles=((float(_TM[1]), 0.0),),
                log_levels=False, note="(x² − 1)² + 0.3x + y²"),
    ]
}

# ----------------------------------------------------------------------------- optimizers

#: the optimizers the explorer offers: key -> label
OPTIMIZER_CHOICES = {"sgd": "SGD", "momentum": "Momentum", "nesterov": "Nesterov", "adagrad": "Adagrad",
                     "rmsprop": "RMSProp", "adam": "Adam"}

#: one colour per optimizer, used by the explorer and the chapter's figures (Okabe-Ito palette)
OPTIMIZER_COLORS = {"sgd": COLORS["function"], "momentum": COLORS["derivative"], "nesterov": PALETTE["olive"],
                    "adagrad": PALETTE["green"], "rmsprop": COLORS["highlight"], "adam": PALETTE["sky"]}
#: each optimizer's marker on its path, the same shape as a character (the readout's key), and its loss
#: curve's dash pattern: the series differ in shape and line as well as colour, for readers who cannot
#: tell the colours apart
OPTIMIZER_MARKERS = {"sgd": ("o", "●"), "momentum": ("s", "■"), "nesterov": ("^", "▲"), "adagrad": ("D", "◆"),
                     "rmsprop": ("v", "▼"), "adam": ("P", "✚")}
OPTIMIZER_DASHES = {"sgd": "-", "momentum": "--", "nesterov": ":", "adagrad": "-.", "rmsprop": (0, (6, 2)),
                    "adam": (0, (3, 1, 1, 1, 1, 1))}


def make_optimizer(name, lr, beta=0.9):
    """The nnkernel optimizer for an explorer choice; ``beta`` is momentum, RMSProp's beta or Adam's beta1.

    Nesterov with beta = 0 is plain gradient descent (nnkernel rejects nesterov=True without momentum).
    """
    if name == "sgd":
        return optim.SGD(lr=lr)
    if name == "momentum":
        return optim.SGD(lr=lr, momentum=beta)
    if name == "nesterov":
        return optim.SGD(lr=lr, momentum=beta, nesterov=True) if beta > 0 else optim.SGD(lr=lr)
    if name == "adagrad":
        return optim.Adagrad(lr=lr)
    if name == "rmsprop":
        return optim.RMSProp(lr=lr, beta=beta)
    if name == "adam":
        return optim.Adam(lr=lr, beta1=beta)
    raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZER_CHOICES)}")


@dataclass
class Trajectory:
    """``path``: the points theta_0 .. theta_k (shape (k + 1, 2)); ``losses``: f at each point;
    ``diverged_at``: the step whose result was non-finite or beyond the limit (None if the run finished)."""

    path: np.ndarray
    losses: np.ndarray
    diverged_at: int | None

    @property
    def diverged(self) -> bool:
        return self.diverged_at is not None


def trajectory(surface, optimizer, steps, start=None, limit=1e6):
    """Step ``optimizer`` ``steps`` times on ``surface`` from ``start`` (default: the surface's start).

    The parameters are one float64 array of shape (2,), updated in place by
    ``optimizer.step([theta], [grad])``.  The run stops at the first step that
    produces a non-finite value or a coordinate larger than ``limit`` in size;
    that step is ``diverged_at`` and the path ends at the point before it.
    """
    theta = np.array(surface.start if start is None else start, dtype=np.float64)
    path = np.empty((int(steps) + 1, 2))
    path[0] = theta
    diverged_at = None
    n = int(steps)
    with np.errstate(all="ignore"):
        for t in range(1, n + 1):
            optimizer.step([theta], [surface.grad(theta)])
            x, y = float(theta[0]), float(theta[1])
            if not (math.isfinite(x) and math.isfinite(y)) or abs(x) > limit or abs(y) > limit:
                diverged_at, n = t, t - 1
                break
            path[t, 0], path[t, 1] = x, y
        path = path[:n + 1]
        losses = surface.f(path[:, 0], path[:, 1])
    return Trajectory(path, losses, diverged_at)


# ----------------------------------------------------------------------------- drawing (explorer and chapter)
LOSS_FLOOR = 1e-12


def contours(ax, X, Y, Z, levels):
    """Grey filled contours (lower is darker) with thin contour lines at ``levels``; returns the two contour sets.

    The bands are shaded by their rank, not their height, so log-spaced levels shade as evenly as linear ones.
    """
    levels = np.asarray(levels, dtype=float)
    bounds = [min(float(np.min(Z)), levels[0]) - 1.0, *levels, max(float(np.max(Z)), levels[-1]) + 1.0]
    shades = matplotlib.colormaps["Greys_r"](np.linspace(0.35, 1.0, len(bounds) - 1))
    return [ax.contourf(X, Y, Z, levels=bounds, colors=shades, alpha=0.5, zorder=0),
            ax.contour(X, Y, Z, levels=levels, colors="0.35", linewidths=0.6, zorder=1)]


def draw_surface(ax, surface, n_levels=14):
    """Shaded contours of ``surface`` on ``ax``, with the window's limits; returns the contour sets."""
    X, Y, Z = surface.grid()
    sets = contours(ax, X, Y, Z, surface.levels(n_levels))
    ax.set_xlim(*surface.xlim)
    ax.set_ylim(*surface.ylim)
    return sets


def mark_points(ax, surface, start=None, show_start=True):
    """Mark the start (square), the minima (stars) and the saddle points (crosses); returns the three artists.

    Markers a surface does not have (no saddle point, or no start when ``show_start`` is false) stay out of legends.
    """
    start = surface.start if start is None else start
    (a,) = ax.plot([start[0]], [start[1]], "s", color="black", ms=7, zorder=5,
                   label="start" if show_start else "_start")
    a.set_visible(show_start)
    (b,) = ax.plot([m[0] for m in surface.minima], [m[1] for m in surface.minima], "*", color="white", mec="black",
                   ms=13, zorder=5, label="minimum")
    (c,) = ax.plot([p[0] for p in surface.saddles], [p[1] for p in surface.saddles], "X", color="white", mec="black",
                   ms=9, zorder=5, label="saddle point" if surface.saddles else "_saddle point")
    return a, b, c


def plot_paths(ax, surface, runs, title=None, legend="lower right"):
    """Draw ``surface`` and, for each ``label -> (Trajectory, colour)`` in ``runs``, its path.

    A diverged run's label says at which step it diverged.  Returns ``ax``.
    """
    draw_surface(ax, surface)
    mark_points(ax, surface, start=next(iter(runs.values()))[0].path[0] if runs else None)
    for label, (tr, color) in runs.items():
        text = f"{label}: diverged at step {tr.diverged_at}" if tr.diverged else label
        ax.plot(tr.path[:, 0], tr.path[:, 1], "-o", color=color, lw=1.5, ms=2.0, zorder=3, label=text)
        ax.plot(tr.path[-1:, 0], tr.path[-1:, 1], "o", color=color, mec="black", mew=0.8, ms=6, zorder=4)
    ax.set_xlabel("first parameter $x$")
    ax.set_ylabel("second parameter $y$")
    ax.set_title(title or f"{surface.label}: f = {surface.note}")
    if legend:
        ax.legend(loc=legend, fontsize=legend_size())
    return ax


# ----------------------------------------------------------------------------- the explorer


class OptimizerExplorer(Explorer):
    """Paths of the chosen optimizers on a loss surface (left) and their loss against the step (right).

    Controls: ``surface`` (a dropdown of :data:`SURFACES`), ``optimizers`` (a
    multiple selection of :data:`OPTIMIZER_CHOICES`), ``lr`` (a log slider; a
    new surface resets it to the surface's own starting value), ``beta``
    (momentum for Momentum and Nesterov, beta for RMSProp, beta1 for Adam) and
    ``steps``.  The contours are drawn once per surface; only the paths, the
    loss curves are redrawn when a slider moves; ``readout`` reports each path.  After each
    update ``trajectories`` maps each shown optimizer to its :class:`Trajectory`.
    """

    figsize = (9.0, 3.7)
    page_name = "optimizers"
    layer_control = "optimizers"
    #: on the published page: for each surface, its own learning rate times 10^(k/4) from 1/100 to 10
    #: times it (the valley's SGD bound 2/lambda_max = 0.2 lies between 0.12 and 0.21); beta at 0, 0.5,
    #: 0.7 (near the valley's critical damping), 0.9 and 0.99; 50, 150 or 300 steps; every optimizer
    page_grid = {
        "lr": lambda self: [lr for k in range(-8, 5)
                            if 1e-4 <= (lr := SURFACES[self.controls["surface"].value].lr * 10 ** (k / 4)) <= 10],
        "beta": [0.0, 0.5, 0.7, 0.9, 0.99],
        "steps": [50, 150, 300],
    }
    page_order = ("surface", "steps", "lr", "beta")  # the contours and the loss panel's x-axis are static
    #: the contours, the title and the loss panel's axes follow these (Explorer: a dropdown's drawings are kept)
    static_controls = ("surface", "steps")

    def __init__(self, surface="valley", optimizers=("sgd", "momentum", "rmsprop", "adam"), lr=None, beta=0.9,
                 steps=150, **kwargs):
        if surface not in SURFACES:
            raise ValueError(f"surface must be one of {', '.join(SURFACES)}, got {surface!r}")
        bad = [o for o in optimizers if o not in OPTIMIZER_CHOICES]
        if bad:
            raise ValueError(f"unknown optimizer(s) {', '.join(map(repr, bad))}; choose from {', '.join(OPTIMIZER_CHOICES)}")
        if lr is not None and not 1e-4 <= lr <= 10:
            raise ValueError(f"lr must be in [1e-4, 10], got {lr!r}")
        if not 0 <= beta <= 0.99:
            raise ValueError(f"beta must be in [0, 0.99], got {beta!r}")
        if not 10 <= int(steps) <= 300:
            raise ValueError(f"steps must be in [10, 300], got {steps!r}")
        self._init = dict(surface=surface, optimizers=tuple(optimizers),
                          lr=SURFACES[surface].lr if lr is None else float(lr), beta=float(beta), steps=int(steps))
        self.trajectories: dict[str, Trajectory] = {}
        self._drawn_surface = None
        self._contours = []
        self._surface_contours: dict = {}  # surface key -> its contour sets
        self._marker_legends: dict = {}  # with a saddle point or not -> the markers' legend
        self._cache: dict = {}
        kwargs.setdefault("dpi", 80)  # a PNG of fewer pixels: encoding it is the largest cost of an update
        super().__init__(**kwargs)

    # -- static part -------------------------------------------------------------------------
    def build(self):
        # laid out again for each surface (its tick labels and title differ): Explorer.invalidate()
        gs = self.fig.add_gridspec(1, 2, width_ratios=[1.25, 1.0])
        self.ax_path, self.ax_loss = gs.subplots()
        ax = self.ax_path
        self.lines, self.ends, self.curves = {}, {}, {}
        for name, label in OPTIMIZER_CHOICES.items():
            color, marker = OPTIMIZER_COLORS[name], OPTIMIZER_MARKERS[name][0]
            (self.lines[name],) = ax.plot([], [], "-", marker=marker, color=color, lw=1.6, ms=3.0, label=label,
                                          zorder=3)
            (self.ends[name],) = ax.plot([], [], marker, color=color, mec="black", mew=0.8, ms=7.5, zorder=4)
            (self.curves[name],) = self.ax_loss.plot([], [], color=color, ls=OPTIMIZER_DASHES[name], lw=1.8,
                                                     label=label)
        self.start_marker, self.min_marker, self.saddle_marker = mark_points(ax, SURFACES[self._init["surface"]])
        ax.set_xlabel(r"first parameter $x$")
        ax.set_ylabel(r"second parameter $y$")
        self.ax_loss.set_yscale("log")
        self.ax_loss.set_xlabel("step t")
        self.ax_loss.set_ylabel(r"$f(\theta_t) - f^*$")
        self.ax_loss.set_title("loss above the minimum")
        # the legend is the colour key of every optimizer, shown or not: the figure's static part does not
        # depend on the choice, so the published page can stack one drawing per optimizer
        self._loss_legend = self.ax_loss.legend(handles=list(self.curves.values()), loc="lower left", fontsize=legend_size(),
                                                ncols=2)
        self.animated = [*self.lines.values(), *self.ends.values(), *self.curves.values()]

        init = self._init
        self.controls["surface"] = W.Dropdown(options=[(s.label, k) for k, s in SURFACES.items()],
                                              value=init["surface"], description="surface")
        self.controls["optimizers"] = W.SelectMultiple(options=[(v, k) for k, v in OPTIMIZER_CHOICES.items()],
                                                       value=init["optimizers"], rows=6, description="optimizers")
        self.controls["lr"] = W.FloatLogSlider(value=init["lr"], base=10, min=LR_EXP_MIN, max=LR_EXP_MAX, step=LR_EXP_STEP,
                                               description="lr η", continuous_update=True, readout_format=".2g")
        self.controls["beta"] = W.FloatSlider(value=init["beta"], min=0.0, max=0.99, step=0.01, description="beta β",
                                              continuous_update=True, readout_format=".2f")
        self.controls["steps"] = W.IntSlider(value=init["steps"], min=10, max=300, step=10, description="steps",
                                             continuous_update=True)
        self.controls["surface"].observe(self._on_surface, names="value")
        #: one line per shown optimizer: where it ended, or the step at which it diverged (drawn by the
        #: browser, not in the figure: a line of text costs Agg more than a trajectory)
        self.readout = W.HTML()

    def _on_surface(self, change):
        # a new surface: start from its own learning rate (the update that follows draws once)
        with self.quietly():
            self.controls["lr"].value = SURFACES[change["new"]].lr

    def choice_values(self, values, name, option):
        """A new surface starts from its own learning rate (``_on_surface``)."""
        out = super().choice_values(values, name, option)
        if name == "surface":
            out["lr"] = SURFACES[option].lr
        return out

    def _draw_surface(self, s: Surface):
        ax = self.ax_path
        # each surface's contours are made once and kept on the axes, hidden while another surface shows
        # (computing them again costs more than the drawing a kept static part saves)
        for c in self._contours:
            c.set_visible(False)
        if s.key not in self._surface_contours:
            self._surface_contours[s.key] = draw_surface(ax, s)
        self._contours = self._surface_contours[s.key]
        for c in self._contours:
            c.set_visible(True)
        ax.set_xlim(*s.xlim)
        ax.set_ylim(*s.ylim)
        X, Y, Z = s.grid()
        self.start_marker.set_data([s.start[0]], [s.start[1]])
        self.min_marker.set_data([m[0] for m in s.minima], [m[1] for m in s.minima])
        self.saddle_marker.set_data([p[0] for p in s.saddles], [p[1] for p in s.saddles])
        title_pt = FontProperties(size=matplotlib.rcParams["axes.titlesize"]).get_size_in_points()
        ax.set_title(f"{s.label}: f = {s.note}", fontsize=0.8 * title_pt)
        top = float(np.max(Z) - s.f_min)
        self.ax_loss.set_ylim(LOSS_FLOOR, 10 * top)
        # the markers' key, with or without the saddle point: both made once, the one that applies shown
        if bool(s.saddles) not in self._marker_legends:
            handles = [self.start_marker, self.min_marker] + ([self.saddle_marker] if s.saddles else [])
            self._marker_legends[bool(s.saddles)] = ax.legend(handles=handles, loc="lower right",
                                                             fontsize=legend_size())
        ax.legend_ = self._marker_legend = self._marker_legends[bool(s.saddles)]

    # -- what moves ---------------------------------------------------------------------------
    def optimizer(self, name, values=None):
        """A fresh nnkernel optimizer for ``name`` at the controls' current (or the given) values."""
        v = self.values() if values is None else values
        return make_optimizer(name, float(v["lr"]), float(v["beta"]))

    def _trajectory(self, surface, name, lr, beta, steps):
        uses_beta = name in ("momentum", "nesterov", "rmsprop", "adam")
        key = (surface, name, lr, beta if uses_beta else None, steps)
        out = self._cache.get(key)
        if out is None:
            if len(self._cache) > 512:
                self._cache.clear()
            out = trajectory(SURFACES[surface], make_optimizer(name, lr, beta), steps)
            self._cache[key] = out
        return out

    def _final_gap(self, s, name, tr, lr, beta, steps) -> str:
        """``f − f*`` at the end of run ``tr``, written to the digits round-off cannot change.

        A run that settles gets three digits ("= 3.85e-03 at the end").  A run still oscillating at its
        end is run again with the learning rate one part in 10^9 away; if that changes its three digits,
        it is chaotic (RMSProp on the turned valley: one unit in the last place of the rate moves its last
        loss by several per cent) and gets the order of magnitude of the geometric mean of its last tenth
        of steps instead ("of order 1e-02, still oscillating"), which such a change leaves alone.
        """
        gaps = np.maximum(tr.losses - s.f_min, 1e-300)
        settled = f"= {gaps[-1]:.2e} at the end"
        tail = gaps[-max(10, len(gaps) // 10):]
        if not np.any(np.diff(tail) > 0):
            return settled
        other = self._trajectory(s.key, name, lr * (1 + 1e-9), beta, steps)
        if not other.diverged and f"{float(other.losses[-1] - s.f_min):.2e}" == f"{gaps[-1]:.2e}":
            return settled
        order = 10.0 ** np.floor(np.mean(np.log10(tail)))
        return f"of order {order:.0e}, still oscillating"

    def redraw(self, values):
        s = SURFACES[values["surface"]]
        steps = int(values["steps"])
        if self._drawn_surface != s.key:
            self._draw_surface(s)
            self._drawn_surface = s.key
            self.invalidate()
        if self.ax_loss.get_xlim() != (0.0, float(steps)):
            self.ax_loss.set_xlim(0.0, float(steps))
            self.invalidate()
        lr, beta = float(values["lr"]), float(values["beta"])
        chosen = [n for n in OPTIMIZER_CHOICES if n in values["optimizers"]]
        self.trajectories = {n: self._trajectory(s.key, n, lr, beta, steps) for n in chosen}
        lines = []
        for name in OPTIMIZER_CHOICES:
            tr = self.trajectories.get(name)
            line, end, curve = self.lines[name], self.ends[name], self.curves[name]
            if tr is None:
                for a in (line, end, curve):
                    a.set_visible(False)
                continue
            line.set_data(tr.path[:, 0], tr.path[:, 1])
            end.set_data(tr.path[-1:, 0], tr.path[-1:, 1])
            curve.set_data(np.arange(tr.path.shape[0]), np.maximum(tr.losses - s.f_min, LOSS_FLOOR))
            for a in (line, end, curve):
                a.set_visible(True)
            label = OPTIMIZER_CHOICES[name]
            # the colour goes to a swatch; the text keeps the page's colour (legible in both modes)
            swatch = (f"<span style='color:{OPTIMIZER_COLORS[name]}' aria-hidden='true'>"
                      f"{OPTIMIZER_MARKERS[name][1]}</span> ")
            if tr.diverged:
                x, y = tr.path[-1]  # the last finite point: where the run away started from
                point = f"({x:.3g}, {y:.3g})".replace("-", "−")  # a minus sign in the numbers only
                lines.append(f"{swatch}<b>{label} diverged at step {tr.diverged_at}</b>, last at {point}")
            else:
                lines.append(f"{swatch}<b>{label}</b>: f − f* {self._final_gap(s, name, tr, lr, beta, steps)}")
        self.readout.value = "<br>".join(lines) if lines else "choose at least one optimizer"

    def control_box(self) -> W.Widget:
        """Surface, learning rate, beta and steps on the left; the optimizers and the status line beside them."""
        sliders = W.VBox([self.controls[k] for k in ("surface", "lr", "beta", "steps")])
        return W.HBox([sliders, self.controls["optimizers"], self.readout],
                      layout=W.Layout(flex_flow="row wrap", align_items="flex-start"))
