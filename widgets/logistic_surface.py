"""The likelihood surface of one-input logistic regression, p(y = 1 | x) = sigmoid(w x + b).

:class:`LogisticSurfaceExplorer` shows, on the left, the mean negative log-likelihood (the mean binary
cross-entropy) over the plane of the two parameters (w, b), with its minimum (the maximum-likelihood
estimate, found by Newton's method) and the path of plain gradient descent; on the right, the data
and the fitted curves.  A slider pulls the two classes apart.  While they overlap the surface is a
bowl with one lowest point; once a threshold separates them it is a valley that keeps falling towards
zero along a ray, there is no maximum-likelihood estimate, and gradient descent walks off to infinity.
An L2 penalty (lambda / 2) w^2, a Gaussian prior on w, gives the surface a lowest point again (the MAP
estimate).

Every number comes from :mod:`nnkernel`: the whole surface is one call of
``nk.losses.binary_cross_entropy_with_logits`` on the (w, b, point) array of logits, and the
gradients of Newton's method and gradient descent are ``binary_cross_entropy_with_logits_grad``
pulled back through z = w x + b.  The computed states are cached, so a state seen once is redrawn
without computing anything.  The surface, its contour lines, the markers and the curves are all
animated artists over a fixed background (the axes never change), so an update only draws them.
"""
from __future__ import annotations

from dataclasses import dataclass

import contourpy
import ipywidgets as W
import matplotlib
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.colors import BoundaryNorm, ListedColormap

import nnkernel as nk

from .base import Explorer
from .style import COLORS, legend_size

__all__ = ["make_data", "nll_surface", "nll_and_grad", "newton", "gradient_descent", "gradient_descent_batch", "separation_gap",
           "LogisticState", "solve", "LogisticSurfaceExplorer"]

#: the data: ``N_PER_CLASS`` points per class, x = -+ separation / 2 + a standard normal draw (seeded)
N_PER_CLASS = 12
SEED = 2
#: the window of the (w, b) plane and its grid
W_RANGE = (-2.0, 9.0)
B_RANGE = (-5.0, 5.0)
GRID = 121
#: gradient descent: start, learning rate and number of steps
GD_START = (-1.0, 3.0)
GD_LR = 1.0
GD_STEPS = 300
#: the contour levels of the mean NLL (nats per point), shared by every state
LEVELS = (0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.7, 1.0, 2.0, 4.0)
#: the L2 penalties the explorer offers (lambda in (lambda / 2) w^2)
PENALTIES = (0.0, 0.003, 0.01, 0.03, 0.1)


# ----------------------------------------------------------------------------- computations
def make_data(separation: float, n_per_class: int = N_PER_CLASS, seed: int = SEED):
    """(x, y): class 0 at -separation/2 and class 1 at +separation/2, each plus the same seeded N(0, 1) draws.

    The draws do not depend on ``separation``, so moving the slider only slides the two classes apart.
    """
    rng = np.random.default_rng(seed)
    z0 = rng.standard_normal(n_per_class)
    z1 = rng.standard_normal(n_per_class)
    s = float(separation)
    x = np.concatenate([-0.5 * s + z0, 0.5 * s + z1])
    y = np.concatenate([np.zeros(n_per_class), np.ones(n_per_class)])
    return x, y


def _check(x, y):
    x = np.asarray(x, dtype=np.float64).ravel()
    y = np.asarray(y, dtype=np.float64).ravel()
    if x.shape != y.shape or x.size == 0:
        raise ValueError(f"x and y must be non-empty and of the same length, got {x.shape} and {y.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError("x must be finite")
    if not np.all((y == 0) | (y == 1)):
        raise ValueError("y must hold 0s and 1s")
    return x, y


def nll_surface(x, y, w, b):
    """The mean NLL, mean_i BCE(y_i, sigmoid(w x_i + b)), for every pair of ``w`` (rows) and ``b`` (columns).

    One call of ``nk.losses.binary_cross_entropy_with_logits`` on the (len(w), len(b), N) array of
    logits w x_i + b (built by broadcasting), averaged over the points.  Returns a (len(w), len(b)) array.
    """
    x, y = _check(x, y)
    w = np.asarray(w, dtype=np.float64).ravel()
    b = np.asarray(b, dtype=np.float64).ravel()
    z = w[:, None, None] * x + b[None, :, None]
    losses = nk.to_numpy(nk.losses.binary_cross_entropy_with_logits(np.broadcast_to(y, z.shape), z,
                                                                    reduction="none"))
    return np.asarray(losses).mean(axis=-1)


def nll_and_grad(x, y, w, b, penalty=0.0):
    """The objective mean NLL + (penalty / 2) w^2 at one (w, b), and its gradient (d/dw, d/db).

    The loss and dBCE/dz_i = (sigmoid(z_i) - y_i) / N come from nnkernel; the chain rule through
    z_i = w x_i + b gives d/dw = sum_i x_i dBCE/dz_i + penalty w and d/db = sum_i dBCE/dz_i.
    """
    z = w * x + b
    loss = float(nk.losses.binary_cross_entropy_with_logits(y, z)) + 0.5 * penalty * w * w
    g = np.asarray(nk.to_numpy(nk.losses.binary_cross_entropy_with_logits_grad(y, z)))
    return loss, np.array([float(g @ x) + penalty * w, float(g.sum())])


def _hessian(x, w, b, penalty):
    """mean_i sigmoid'(z_i) [x_i, 1] [x_i, 1]^T + diag(penalty, 0): the objective's curvature."""
    s = np.asarray(nk.to_numpy(nk.activations.sigmoid_grad(w * x + b))) / x.size
    return np.array([[float(s @ (x * x)) + penalty, float(s @ x)], [float(s @ x), float(s.sum())]])


def newton(x, y, penalty=0.0, start=(0.0, 0.0), tol=1e-12, max_steps=100):
    """Newton's method with backtracking on mean NLL + (penalty / 2) w^2; returns ((w, b), steps).

    Each step solves H d = -g and halves d until the objective does not rise (beyond its round-off).
    Raises ValueError for separable data without a penalty (there is no minimum: the iterates would
    run out along the separating ray until the gradient underflows under ``tol`` and looked like
    convergence), and if the gradient's largest entry is not under ``tol`` within ``max_steps``.
    """
    x, y = _check(x, y)
    if penalty == 0 and separation_gap(x, y) is not None:
        raise ValueError("the classes are separable: the mean NLL has no minimum (it falls towards 0 as |w| "
                         "grows along the separating direction); add a penalty")
    theta = np.array(start, dtype=np.float64)
    loss, g = nll_and_grad(x, y, *theta, penalty)
    for step in range(max_steps):
        if np.max(np.abs(g)) < tol:
            return theta, step
        d = np.linalg.solve(_hessian(x, *theta, penalty), -g)
        # near the minimum the predicted decrease -g.d / 2 falls under the loss's round-off, and a rise of
        # one unit in its last place must not stop a full Newton step
        slack = 8 * np.finfo(float).eps * max(1.0, abs(loss))
        t = 1.0
        while True:
            new = theta + t * d
            new_loss, new_g = nll_and_grad(x, y, *new, penalty)
            if new_loss <= loss + slack or t < 1e-10:
                break
            t *= 0.5
        theta, loss, g = new, new_loss, new_g
    if np.max(np.abs(g)) < tol:
        return theta, max_steps
    raise ValueError(f"Newton's method did not converge in {max_steps} steps (largest gradient entry "
                     f"{np.max(np.abs(g)):.1e}): the objective may have no minimum")


def gradient_descent(x, y, penalty=0.0, start=GD_START, lr=GD_LR, steps=GD_STEPS):
    """Plain gradient descent on mean NLL + (penalty / 2) w^2: the (steps + 1, 2) path of (w, b), start included."""
    x, y = _check(x, y)
    return gradient_descent_batch(x[None], y[None], [penalty], start, lr, steps)[0]


def gradient_descent_batch(xs, ys, penalties, start=GD_START, lr=GD_LR, steps=GD_STEPS):
    """:func:`gradient_descent` on K problems at once (rows of ``xs``, ``ys``; one penalty each): (K, steps + 1, 2).

    The K runs are independent; one nnkernel call per step serves them all.
    ``nk.losses.binary_cross_entropy_with_logits_grad`` on the (K, N) logits divides by K N, the
    gradient of each row's mean by N, hence the factor K.
    """
    xs = np.asarray(xs, dtype=np.float64)
    ys = np.asarray(ys, dtype=np.float64)
    if xs.ndim != 2 or xs.shape != ys.shape:
        raise ValueError(f"xs and ys must be (K, N) arrays of the same shape, got {xs.shape} and {ys.shape}")
    pen = np.asarray(penalties, dtype=np.float64).ravel()
    if pen.shape != (xs.shape[0],) or np.any(pen < 0):
        raise ValueError("penalties must hold one non-negative number per row of xs")
    k = xs.shape[0]
    paths = np.empty((k, steps + 1, 2))
    w = np.full(k, float(start[0]))
    b = np.full(k, float(start[1]))
    paths[:, 0, 0], paths[:, 0, 1] = w, b
    for step in range(steps):
        g = k * np.asarray(nk.to_numpy(nk.losses.binary_cross_entropy_with_logits_grad(ys, w[:, None] * xs
                                                                                        + b[:, None])))
        w, b = w - lr * (np.einsum("kn,kn->k", g, xs) + pen * w), b - lr * g.sum(axis=1)
        paths[:, step + 1, 0], paths[:, step + 1, 1] = w, b
    return paths


def separation_gap(x, y):
    """How the classes sit on the x-axis: (sign, low, high) when a threshold separates them, else None.

    sign = +1 when every class-1 point lies right of every class-0 point (the gap is (low, high) =
    (max of class 0, min of class 1)), -1 for the mirror image.  Any threshold c in the gap classifies
    every point correctly, and the NLL falls to 0 along the ray (w, b) = t * sign * (1, -c), t -> inf.
    """
    x, y = _check(x, y)
    x0, x1 = x[y == 0], x[y == 1]
    if x0.size == 0 or x1.size == 0:
        raise ValueError("both classes need at least one point")
    if x0.max() < x1.min():
        return 1, float(x0.max()), float(x1.min())
    if x1.max() < x0.min():
        return -1, float(x1.max()), float(x0.min())
    return None


@dataclass
class LogisticState:
    """Everything one setting of the explorer shows."""

    separation: float
    penalty: float
    x: np.ndarray
    y: np.ndarray
    surface: np.ndarray            # the objective over the grid (W rows, B columns)
    gap: tuple | None              # separation_gap(x, y)
    minimiser: np.ndarray | None   # Newton's minimiser of the objective, None when there is none
    min_loss: float | None         # the objective there
    min_nll: float | None          # the mean NLL there (the objective less the penalty)
    grad_at_min: float | None      # the largest gradient entry there
    mle: np.ndarray | None         # the unpenalised MLE (None when separable)
    path: np.ndarray               # gradient descent's path
    path_loss: float               # the objective at its end
    segments: list                 # contour lines of the objective at LEVELS


def solve(separation: float, penalty: float, w_grid, b_grid, nll_grid=None, path=None) -> LogisticState:
    """Compute one state: the surface, the separability, the minimiser, the gradient-descent path, the contours.

    ``nll_grid`` (the unpenalised surface for this separation) and ``path`` (gradient descent's) are
    used if given, computed otherwise.
    """
    x, y = make_data(separation)
    nll = nll_surface(x, y, w_grid, b_grid) if nll_grid is None else nll_grid
    surface = nll + 0.5 * penalty * (w_grid * w_grid)[:, None] if penalty else nll
    gap = separation_gap(x, y)
    mle = None if gap is not None else newton(x, y)[0]
    if penalty == 0.0:
        minimiser = mle
    else:
        minimiser = newton(x, y, penalty, start=(0.0, 0.0) if mle is None else tuple(mle))[0]
    min_loss = min_nll = grad = None
    if minimiser is not None:
        min_loss, g = nll_and_grad(x, y, *minimiser, penalty)
        min_nll = min_loss - 0.5 * penalty * minimiser[0] ** 2
        grad = float(np.max(np.abs(g)))
    path = gradient_descent(x, y, penalty) if path is None else path
    path_loss = nll_and_grad(x, y, *path[-1], penalty)[0]
    gen = contourpy.contour_generator(b_grid, w_grid, surface, line_type=contourpy.LineType.Separate)
    segments = [seg for level in LEVELS for seg in gen.lines(level)]  # (b, w) pairs; swapped when drawn
    segments = [seg[:, ::-1] for seg in segments]
    return LogisticState(float(separation), float(penalty), x, y, surface, gap, minimiser, min_loss, min_nll,
                         grad, mle, path, path_loss, segments)


def _g3(v: float) -> str:
    """A number to 3 significant digits with a true minus sign; -0.00 as 0."""
    text = f"{v:.3g}"
    if float(text) == 0:
        text = "0"
    return text.replace("-", "−")


# ----------------------------------------------------------------------------- the explorer
class LogisticSurfaceExplorer(Explorer):
    """The mean negative log-likelihood of logistic regression over its weight w and bias b (left), with its minimum and a gradient-descent path, and the data with the fitted curves (right).

    Controls: ``separation`` (how far apart the two classes' centres are; from 2.75 up a threshold
    separates them) and ``penalty`` (lambda of an L2 penalty (lambda / 2) w^2 added to the mean NLL).
    After each update ``current`` is the :class:`LogisticState` drawn; ``w_grid`` and ``b_grid`` are
    the surface's grid.
    """

    figsize = (9.0, 3.9)
    page_name = "logistic_surface"
    #: on the published page: separations in steps of 0.5, and 2.75, the first separable one (2.5 is the last
    #: that overlaps); every penalty
    page_grid = {"separation": [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 2.75, 3.0, 3.5, 4.0], "penalty": list(PENALTIES)}
    page_order = ("penalty", "separation")

    def __init__(self, separation: float = 1.5, penalty: float = 0.0, **kwargs):
        if not 0.0 <= float(separation) <= 4.0 or abs(4 * float(separation) - round(4 * float(separation))) > 1e-9:
            raise ValueError(f"separation must be a multiple of 0.25 in [0, 4], got {separation!r}")
        if float(penalty) not in PENALTIES:
            raise ValueError(f"penalty must be one of {', '.join(map(str, PENALTIES))}, got {penalty!r}")
        self._init = (float(separation), float(penalty))
        self.w_grid = np.linspace(*W_RANGE, GRID)
        self.b_grid = np.linspace(*B_RANGE, GRID)
        # every slider position's surface, and every state's gradient-descent path (one batched run): what a
        # state needs beyond them (Newton's method, the contour lines) is computed when it is first drawn
        self.separations = tuple(round(0.25 * k, 2) for k in range(17))  # the slider's positions
        data = [make_data(s) for s in self.separations]
        self._nll = {s: nll_surface(x, y, self.w_grid, self.b_grid) for s, (x, y) in zip(self.separations, data)}
        keys = [(s, p) for s in self.separations for p in PENALTIES]
        paths = gradient_descent_batch([data[i][0] for i in range(len(data)) for _ in PENALTIES],
                                       [data[i][1] for i in range(len(data)) for _ in PENALTIES],
                                       [p for _ in data for p in PENALTIES])
        self._paths = dict(zip(keys, paths))
        self._cache: dict = {}
        self.current: LogisticState | None = None
        kwargs.setdefault("dpi", 80)
        super().__init__(**kwargs)

    def compute(self, separation: float, penalty: float) -> LogisticState:
        """The state for these values (cached)."""
        key = (round(float(separation), 2), float(penalty))
        out = self._cache.get(key)
        if out is None:
            out = self._cache[key] = solve(*key, self.w_grid, self.b_grid, self._nll.get(key[0]),
                                           self._paths.get(key))
        return out

    # -- static part -------------------------------------------------------------------------
    def build(self):
        self.ax_s, self.ax_d = self.fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.15, 1.0]})
        ax = self.ax_s
        bounds = [0.0, *LEVELS, 1e9]
        shades = matplotlib.colormaps["Greys_r"](np.linspace(0.35, 1.0, len(bounds) - 1))
        shades[:, 3] = 0.5
        extent = (W_RANGE[0], W_RANGE[1], B_RANGE[0], B_RANGE[1])
        self.image = ax.imshow(np.zeros((GRID, GRID)), origin="lower", extent=extent, aspect="auto",
                               cmap=ListedColormap(shades), norm=BoundaryNorm(bounds, len(bounds) - 1),
                               interpolation="nearest", zorder=0)
        self.lines = LineCollection([], colors="0.35", linewidths=0.6, zorder=1)
        ax.add_collection(self.lines)
        (self.ray,) = ax.plot([], [], ls=":", lw=2.4, color=COLORS["highlight"], zorder=2,
                              label="separating ray: NLL → 0")
        (self.path,) = ax.plot([], [], "-", color=COLORS["derivative"], lw=1.4, zorder=3,
                               label=f"gradient descent (GD), {GD_STEPS} steps")
        (self.path_end,) = ax.plot([], [], "o", color=COLORS["derivative"], mec="black", mew=0.8, ms=6, zorder=4)
        (self.start_marker,) = ax.plot([GD_START[0]], [GD_START[1]], "s", color="black", ms=6, zorder=4,
                                       label="start of GD")
        (self.mle_marker,) = ax.plot([], [], "*", color="white", mec="black", ms=9, zorder=5,
                                     label="MLE, no penalty")
        (self.min_marker,) = ax.plot([], [], "*", color=COLORS["highlight"], mec="black", ms=14, zorder=5,
                                     label="minimum")
        ax.set_xlim(*W_RANGE)
        ax.set_ylim(*B_RANGE)
        ax.set_xlabel("weight w")
        ax.set_ylabel("bias b")
        ax.set_title("Mean NLL + λw²/2 over (w, b): a bowl,\nor a valley falling forever")
        ax.grid(False)
        # right: the data and the curves
        d = self.ax_d
        (self.pts0,) = d.plot([], [], "o", mfc="white", mec=COLORS["data"], ms=6, ls="none", label="y = 0")
        (self.pts1,) = d.plot([], [], "^", color=COLORS["data"], ms=6, ls="none", label="y = 1")
        self.x_plot = np.linspace(-5.0, 5.0, 401)
        (self.fit,) = d.plot([], [], color=COLORS["function"], lw=2.0, label="σ(wx + b), minimum")
        (self.gd_fit,) = d.plot([], [], color=COLORS["derivative"], ls="--", lw=1.6,
                                label="σ(wx + b), end of GD")
        d.set_xlim(-5.0, 5.0)
        d.set_ylim(-0.08, 1.08)
        d.set_xlabel("input x")
        d.set_ylabel("p(y = 1 | x)")
        d.set_title("Data and fitted probability")
        handles = [self.min_marker, self.mle_marker, self.path, self.start_marker, self.ray,
                   self.pts0, self.pts1, self.fit, self.gd_fit]
        self.fig.legend(handles=handles, loc="outside lower center", ncols=3, fontsize=legend_size())
        self.animated = [self.image, self.lines, self.start_marker, self.ray, self.path, self.path_end, self.mle_marker,
                         self.min_marker, self.pts0, self.pts1, self.fit, self.gd_fit]
        self.readout = W.HTML()
        sep, pen = self._init
        self.controls["separation"] = W.FloatSlider(value=sep, min=0.0, max=4.0, step=0.25,
                                                    description="class separation", continuous_update=True,
                                                    readout_format=".2f")
        self.controls["penalty"] = W.Dropdown(options=[("0 (plain ML)" if p == 0 else f"{p:g}", p) for p in PENALTIES],
                                              value=pen, description="L2 penalty λ")

    # -- what moves ---------------------------------------------------------------------------
    def redraw(self, values):
        st = self.compute(values["separation"], values["penalty"])
        self.current = st
        self.image.set_data(st.surface.T)  # rows of the image are b, columns w
        self.lines.set_segments(st.segments)
        self.path.set_data(st.path[:, 0], st.path[:, 1])
        self.path_end.set_data(st.path[-1:, 0], st.path[-1:, 1])
        if st.minimiser is not None:
            self.min_marker.set_data([st.minimiser[0]], [st.minimiser[1]])
        else:
            self.min_marker.set_data([], [])
        if st.penalty and st.mle is not None:
            self.mle_marker.set_data([st.mle[0]], [st.mle[1]])
        else:
            self.mle_marker.set_data([], [])
        if st.gap is not None:
            sign, lo, hi = st.gap
            c = 0.5 * (lo + hi)
            t = np.array([0.0, 20.0])
            self.ray.set_data(sign * t, -sign * c * t)
        else:
            self.ray.set_data([], [])
        self.pts0.set_data(st.x[st.y == 0], np.zeros(int((st.y == 0).sum())))
        self.pts1.set_data(st.x[st.y == 1], np.ones(int((st.y == 1).sum())))
        sig = lambda w, b: np.asarray(nk.to_numpy(nk.activations.sigmoid(w * self.x_plot + b)))  # noqa: E731
        if st.minimiser is not None:
            self.fit.set_data(self.x_plot, sig(*st.minimiser))
        else:
            self.fit.set_data([], [])
        self.gd_fit.set_data(self.x_plot, sig(*st.path[-1]))
        self.readout.value = self.readout_text(st)

    def readout_text(self, st: LogisticState) -> str:
        """The readout for state ``st`` (HTML)."""
        parts = []
        if st.gap is None:
            parts.append("classes overlap: no threshold separates them")
        else:
            sign, lo, hi = st.gap
            c = 0.5 * (lo + hi)
            arrow = "w → +∞" if sign > 0 else "w → −∞"
            where = f"every threshold in ({_g3(lo)}, {_g3(hi)}) classifies all {st.x.size} points correctly"
            if st.penalty == 0:
                parts.append(f"<b>separable: no maximum</b> — the likelihood approaches 1 as |w| grows along "
                             f"(w, b) ∝ ({'1' if sign > 0 else '−1'}, {_g3(-sign * c)}), {arrow}; {where}")
            else:
                parts.append(f"<b>separable</b>: {where}")
        if st.minimiser is not None:
            w, b = st.minimiser
            name = "MLE" if st.penalty == 0 else f"MAP estimate (minimum of NLL + {st.penalty:g}/2·w²)"
            parts.append(f"{name}: <b>w = {_g3(w)}, b = {_g3(b)}</b>, mean NLL there {_g3(st.min_nll)} "
                         f"(Newton's method; largest gradient entry &lt; 1e-10)")
            if st.penalty and st.mle is not None:
                parts.append(f"without the penalty the MLE is w = {_g3(st.mle[0])}, b = {_g3(st.mle[1])}")
            elif st.penalty and st.gap is not None:
                parts.append("the penalty gives the separable data a finite minimum")
        gw, gb = st.path[-1]
        parts.append(f"gradient descent after {GD_STEPS} steps: w = {_g3(gw)}, b = {_g3(gb)}, "
                     f"objective {_g3(st.path_loss)}"
                     + (f" and still falling (w was {_g3(st.path[-101, 0])} 100 steps earlier)"
                        if st.minimiser is None else ""))
        return "<br>".join(parts)

    def describe(self) -> str:
        text = self._describe()
        st = self.current
        if st is None:
            return text
        if st.minimiser is None:
            notice = ("Notice: the contours open into a valley along the dotted ray; the surface has no lowest "
                      "point, and the gradient-descent path keeps moving outwards while the fitted curve "
                      "steepens towards a step.")
        elif st.gap is not None:
            notice = ("Notice: the data are separable, but the penalty closes the valley into a bowl whose "
                      "lowest point (the star) is finite.")
        else:
            notice = ("Notice: the contours form a bowl around one lowest point (the star), where gradient "
                      "descent ends; the more the classes separate, the further right (larger w) it lies.")
        return f"{text} {notice}"
