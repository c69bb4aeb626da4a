"""The momentum-rate explorer: heavy-ball momentum's worst-case convergence rate over (alpha, beta).

After Goh (2017), "Why Momentum Really Works" (Distill).  On the quadratic
f(x) = 1/2 sum_i lambda_i x_i^2 with eigenvalues in [mu, L] = [1, kappa], heavy-ball momentum,

    x_{k+1} = x_k - alpha grad f(x_k) + beta (x_k - x_{k-1}),   x_{-1} = x_0,

which is ``nnkernel.optim.SGD(lr=alpha, momentum=beta)`` (PyTorch's b_k = beta b_{k-1} + g_k,
x_{k+1} = x_k - lr b_k), moves each eigen-coordinate by the 2x2 matrix
[[1 + beta - alpha lambda, -beta], [1, 0]] acting on (x_k, x_{k-1}).  Its spectral radius is the
coordinate's rate; the worst case over [mu, L] is attained at mu or L (:func:`worst_rate`).

* left: the worst-case rate as an image over (alpha L, beta), drawn as the number of steps that shrink
  the error by a factor e, -1/ln(rho), in bands of 1, 2, 5 x 10^n; grey where rho >= 1 (divergence, bounded by
  the line alpha L = 2 (1 + beta)); the optimum (alpha*, beta*) and plain gradient descent's best
  (beta = 0, alpha = 2 / (L + mu)) marked, and the chosen setting;
* right: f(x_k) - f* relative to f(x_0) - f* (log scale) for the chosen setting, for gradient
  descent's best and for the optimum, from a fixed start on a quadratic with eigenvalues at mu, L and
  three in between; the chosen run's predicted decay rho^(2k) dashed beside it.

The maps and the two reference runs are computed once per kappa at construction; a slider step runs
one simulation (five ``scipy.signal.lfilter`` passes) and blits three artists.
"""
from __future__ import annotations

import math

import ipywidgets as W
import matplotlib
import numpy as np
from matplotlib.colors import BoundaryNorm
from matplotlib.lines import Line2D
from scipy.signal import lfilter, lfiltic

from .base import Explorer
from .optimizers import OPTIMIZER_COLORS
from .style import COLORS, legend_size

__all__ = ["MomentumRateExplorer", "KAPPAS", "rate", "worst_rate", "optimal_parameters", "gd_best",
           "heavy_ball_run", "quadratic_eigenvalues", "relative_gap", "steps_to_reduce", "observed_rate", "RUN_STEPS"]

#: the condition numbers the explorer offers
KAPPAS = (10, 100, 1000, 10000)

#: how many steps each run takes, per kappa (about three times what the optimum needs for 1e-6)
RUN_STEPS = {10: 60, 100: 200, 1000: 600, 10000: 2000}

#: the colours: gradient descent as SGD, momentum's optimum as Momentum (widgets.optimizers), the chosen
#: setting black, the optimum's marker the highlight
RATE_COLORS = {"gd": OPTIMIZER_COLORS["sgd"], "optimum": OPTIMIZER_COLORS["momentum"], "chosen": COLORS["data"],
               "boundary": COLORS["data"]}


def rate(alpha, beta, lam):
    """The spectral radius of [[1 + beta - alpha lam, -beta], [1, 0]] (broadcast over the arguments).

    Its eigenvalues are the roots of r^2 - a r + beta = 0, a = 1 + beta - alpha lam: complex with modulus
    sqrt(beta) when a^2 < 4 beta, else real, the larger in modulus (|a| + sqrt(a^2 - 4 beta)) / 2.
    """
    alpha, beta, lam = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (alpha, beta, lam)))
    if np.any(beta < 0) or np.any(beta >= 1):
        raise ValueError("beta must lie in [0, 1)")
    a = 1.0 + beta - alpha * lam
    s = np.sqrt(beta)
    disc = (a - 2.0 * s) * (a + 2.0 * s)  # a^2 - 4 beta
    # a double root (critical damping, as at the optimum) computed with round-off gives |disc| ~ 1e-16,
    # whose square root would move the rate by 1e-8: within 1e-14 of 0 it counts as a double root
    double = np.abs(disc) <= 1e-14 * (a * a + 4.0 * beta)
    real = (np.abs(a) + np.sqrt(np.maximum(disc, 0.0))) / 2.0
    return np.where((disc < 0) | double, s, real)


def worst_rate(alpha, beta, mu, L):
    """The worst-case rate over eigenvalues in [mu, L]: max(rate(mu), rate(L)).

    The rate depends on lambda only through a = 1 + beta - alpha lambda, and it never decreases as |a|
    grows, so over an interval of lambda its largest value is at an end.
    """
    return np.maximum(rate(alpha, beta, mu), rate(alpha, beta, L))


def optimal_parameters(kappa: float, mu: float = 1.0):
    """``(alpha*, beta*, rho*)``: alpha* = (2 / (sqrt L + sqrt mu))^2, beta* = ((sqrt k - 1)/(sqrt k + 1))^2,
    rho* = (sqrt k - 1)/(sqrt k + 1), with L = kappa mu."""
    kappa, mu = float(kappa), float(mu)
    if not kappa >= 1 or not mu > 0:
        raise ValueError(f"need kappa >= 1 and mu > 0, got {kappa!r} and {mu!r}")
    L = kappa * mu
    s = math.sqrt(kappa)
    return (2.0 / (math.sqrt(L) + math.sqrt(mu))) ** 2, ((s - 1) / (s + 1)) ** 2, (s - 1) / (s + 1)


def gd_best(kappa: float, mu: float = 1.0):
    """``(alpha, rho)`` of plain gradient descent's best step: alpha = 2 / (L + mu), rho = (k - 1)/(k + 1)."""
    kappa, mu = float(kappa), float(mu)
    return 2.0 / (kappa * mu + mu), (kappa - 1) / (kappa + 1)


def quadratic_eigenvalues(kappa: float, n_between: int = 3) -> np.ndarray:
    """mu = 1, L = kappa and ``n_between`` eigenvalues spaced geometrically between them."""
    return np.geomspace(1.0, float(kappa), n_between + 2)


def heavy_ball_run(lams, x0, alpha: float, beta: float, steps: int) -> np.ndarray:
    """Iterates x_0 .. x_steps (rows) of heavy ball on f = 1/2 sum lam_i x_i^2, x_{-1} = x_0.

    Each coordinate follows x_{k+1} = (1 + beta - alpha lam) x_k - beta x_{k-1}, a linear recurrence run by
    ``scipy.signal.lfilter``.  A run that blows up holds inf (no warning).
    """
    lams, x0 = np.asarray(lams, dtype=np.float64), np.asarray(x0, dtype=np.float64)
    out = np.empty((int(steps) + 1, len(lams)))
    out[0] = x0
    zeros = np.zeros(int(steps))
    with np.errstate(all="ignore"):
        for i, (lam, x) in enumerate(zip(lams, x0)):
            den = [1.0, -(1.0 + beta - alpha * lam), beta]
            out[1:, i] = lfilter([1.0], den, zeros, zi=lfiltic([1.0], den, [x, x]))[0]
    return out


def relative_gap(lams, xs) -> np.ndarray:
    """(f(x_k) - f*) / (f(x_0) - f*) for f = 1/2 sum lam_i x_i^2 (f* = 0), nan once the run left the floats."""
    with np.errstate(all="ignore"):
        f = 0.5 * (xs * xs) @ np.asarray(lams)
        g = f / f[0]
    return np.where(np.isfinite(g) & (g < 1e300), g, np.nan)


def _whole_steps(steps: float) -> str:
    """A predicted number of steps as the reader counts them: the next whole step (inf as ∞)."""
    return "∞" if math.isinf(steps) else f"{math.ceil(steps):,}"


def steps_to_reduce(rho: float, factor: float = 1e6) -> float:
    """Steps for f - f* (which shrinks like rho^(2k)) to fall by ``factor``: ln(factor) / (-2 ln rho); inf if rho >= 1."""
    return math.inf if rho >= 1 else math.log(factor) / (-2.0 * math.log(rho)) if rho > 0 else 0.0


def observed_rate(gap: np.ndarray) -> float:
    """The rate per step seen over the second half of a run, N steps: (G_N / G_{N/2})^(1 / (2 (N - N/2))).

    G_j is the largest gap over the N/4 steps up to step j (so that an oscillating run is measured by
    its envelope), and the gap is a squared size, hence the 2.  nan if the run diverged or underflowed to 0."""
    n = len(gap) - 1
    m, w = n // 2, max(1, n // 4)
    a, b = np.max(gap[m - w + 1:m + 1]), np.max(gap[n - w + 1:])
    if not (np.isfinite(a) and np.isfinite(b)) or a <= 0 or b <= 0:
        return math.nan
    return float((b / a) ** (1.0 / (2 * (n - m))))


class MomentumRateExplorer(Explorer):
    """Heavy-ball momentum's worst-case rate over step and momentum (left) and runs on a quadratic (right).

    Controls: ``kappa`` (condition number, a dropdown), ``alpha`` (the step in units of 1/L, 0 to 4) and
    ``beta`` (momentum, 0 to 0.999).  A slider value that shows as alpha*'s or gradient descent's best
    step (three decimals), or as beta*, is taken as that exact value.  ``maps[kappa]`` holds each worst-case
    rate map (rows beta, columns alpha L); ``gap`` the chosen run's relative f - f*.
    """

    figsize = (9.5, 3.8)
    #: the rate map, its colour bar, the reference runs and the x-range follow kappa (Explorer: a dropdown's drawings are kept)
    static_controls = ("kappa",)
    page_name = "momentum_rate"

    def __init__(self, kappa: int = 100, alpha: float = 1.5, beta: float = 0.5, n_alpha: int = 321,
                 n_beta: int = 250, **kwargs):
        if int(kappa) not in KAPPAS:
            raise ValueError(f"kappa must be one of {KAPPAS}, got {kappa!r}")
        if not 0 <= float(alpha) <= 4 or not 0 <= float(beta) <= 0.999:
            raise ValueError(f"need 0 <= alpha <= 4 (units of 1/L) and 0 <= beta <= 0.999, got {alpha!r}, {beta!r}")
        self._initial = (int(kappa), float(alpha), float(beta))
        self.alpha_grid = np.linspace(0.0, 4.0, int(n_alpha))  # alpha L
        self.beta_grid = np.linspace(0.0, 0.999, int(n_beta))
        A, B = np.meshgrid(self.alpha_grid, self.beta_grid)
        self.maps, self.reference = {}, {}
        for k in KAPPAS:
            self.maps[k] = worst_rate(A / k, B, 1.0, float(k))
            lams = quadratic_eigenvalues(k)
            a_opt, b_opt, _ = optimal_parameters(k)
            a_gd, _ = gd_best(k)
            x0 = np.ones(len(lams))
            self.reference[k] = {
                "optimum": relative_gap(lams, heavy_ball_run(lams, x0, a_opt, b_opt, RUN_STEPS[k])),
                "gd": relative_gap(lams, heavy_ball_run(lams, x0, a_gd, 0.0, RUN_STEPS[k])),
            }
        self._kappa_drawn = None
        self.gap = None
        super().__init__(**kwargs)

    # -- the exact values behind the sliders ---------------------------------------------------
    def parameters(self, values: dict):
        """``(kappa, alpha, beta)`` for the controls' values, alpha in absolute units, snapped to the optimum or
        gradient descent's best where the slider shows their three decimals."""
        k = int(values["kappa"])
        aL, b = float(values["alpha"]), float(values["beta"])
        a_opt, b_opt, _ = optimal_parameters(k)
        a_gd, _ = gd_best(k)
        if f"{aL:.3f}" == f"{a_opt * k:.3f}":
            aL = a_opt * k
        elif f"{aL:.3f}" == f"{a_gd * k:.3f}":
            aL = a_gd * k
        if f"{b:.3f}" == f"{b_opt:.3f}":
            b = b_opt
        return k, aL / k, b

    # -- figure and controls ------------------------------------------------------------------
    def build(self):
        gs = self.fig.add_gridspec(1, 2, width_ratios=[1.0, 1.15])
        self.ax_m = self.fig.add_subplot(gs[0, 0])
        self.ax_c = self.fig.add_subplot(gs[0, 1])
        k0 = self._initial[0]
        ax = self.ax_m
        # bands of 1, 2, 5 x 10^n steps: flat colours read like contours, and compress well (encode_png)
        self.norm = self._bands(k0)
        cmap = matplotlib.colormaps["viridis"].with_extremes(bad="0.86", over="#fde725")
        self.image = ax.imshow(self._steps_map(k0), origin="lower", aspect="auto", cmap=cmap, norm=self.norm,
                               extent=(0, 4, 0, 0.999), interpolation="nearest")
        self.cbar = cbar = self.fig.colorbar(self.image, ax=ax, pad=0.02, extend="max")
        cbar.set_label("steps per e-fold, $-1/\\ln\\rho$")
        self._ticks(k0)
        bb = np.linspace(0, 0.999, 2)
        ax.plot(2 * (1 + bb), bb, color=RATE_COLORS["boundary"], lw=1.4, ls="--")
        (self.opt_mark,) = ax.plot([], [], ls="none", marker="*", ms=15, mfc=RATE_COLORS["optimum"], mec="white",
                                   mew=1.0, clip_on=False)
        (self.gd_mark,) = ax.plot([], [], ls="none", marker="o", ms=9, mfc=RATE_COLORS["gd"], mec="white", mew=1.0,
                                  clip_on=False)
        (self.cur_mark,) = ax.plot([], [], ls="none", marker="X", ms=11, mfc="white", mec="black", mew=1.2,
                                   clip_on=False)
        ax.set_xlim(0, 4)
        ax.set_ylim(0, 1)
        ax.set_xlabel("step $\\alpha$ in units of $1/L$")
        ax.set_ylabel("momentum $\\beta$")
        ax.grid(False)
        handles = [Line2D([], [], ls="none", marker="*", ms=11, mfc=RATE_COLORS["optimum"], mec="white",
                          label="optimum"),
                   Line2D([], [], ls="none", marker="o", ms=7, mfc=RATE_COLORS["gd"], mec="white",
                          label="best GD"),
                   Line2D([], [], ls="none", marker="X", ms=9, mfc="white", mec="black", label="yours")]
        # below the map, in the figure's margin (constrained layout makes room for it)
        self.fig.legend(handles=handles, loc="outside lower left", ncol=3, fontsize=legend_size(), frameon=False,
                        handletextpad=0.2, columnspacing=0.8)
        ax.text(3.3, 0.2, "diverges\n$\\rho \\geq 1$", ha="center", va="center", fontsize=legend_size())
        ax.set_title("Worst-case rate: fastest at the star")

        ax = self.ax_c
        (self.gd_line,) = ax.plot([], [], color=RATE_COLORS["gd"], lw=1.8, ls=":", label="best plain GD")
        (self.opt_line,) = ax.plot([], [], color=RATE_COLORS["optimum"], lw=1.8, ls="--",
                                   label="momentum at $\\alpha^*, \\beta^*$")
        (self.pred_line,) = ax.plot([], [], color="0.45", lw=1.2, ls="-.", label="predicted $\\rho^{2k}$")
        (self.run_line,) = ax.plot([], [], color=RATE_COLORS["chosen"], lw=1.6, label="your $\\alpha, \\beta$")
        ax.set_yscale("log")
        ax.set_ylim(1e-16, 1e4)
        ax.set_xlabel("step $k$")
        ax.set_ylabel("$(f(x_k) - f^*) / (f(x_0) - f^*)$")
        ax.legend(loc="lower left", fontsize=legend_size(), framealpha=0.9)
        ax.set_title("f − f*: your run against the two best")
        self.animated = [self.cur_mark, self.run_line, self.pred_line]
        self.readout = W.HTML(layout=W.Layout(margin="0 0 0 1em"))

        self.controls["kappa"] = W.Dropdown(options=[(f"{k:g}", k) for k in KAPPAS], value=k0,
                                            description="condition number κ")
        self.controls["alpha"] = W.FloatSlider(value=self._initial[1], min=0.0, max=4.0, step=0.001,
                                               description="α·L", continuous_update=True, readout_format=".3f")
        self.controls["beta"] = W.FloatSlider(value=self._initial[2], min=0.0, max=0.999, step=0.001,
                                              description="β", continuous_update=True, readout_format=".3f")

    # the published page: a coarse grid per kappa that holds the optimum and gradient descent's best, and
    # brackets both ends of the plateau that the chapter's exercise asks for (kappa = 100, beta = 0.9:
    # kappa (1 - sqrt(beta))^2 = 0.263 <= alpha L <= (1 + sqrt(beta))^2 = 3.797)
    page_grid = {
        "alpha": lambda ex: sorted({0.25, 0.3, 0.5, 1.0, 1.5, 2.5, 3.0, 3.5, 3.75, 3.85,
                                    round(optimal_parameters(ex.controls["kappa"].value)[0]
                                          * ex.controls["kappa"].value, 3),
                                    round(gd_best(ex.controls["kappa"].value)[0] * ex.controls["kappa"].value, 3)}),
        "beta": lambda ex: sorted({0.0, 0.25, 0.5, 0.75, 0.9, 0.99,
                                   round(optimal_parameters(ex.controls["kappa"].value)[1], 3)}),
    }

    @staticmethod
    def _bands(k):
        """The colour bands for condition number k: 1, 2, 5 x 10^n steps per e-fold, up to 10 kappa."""
        bounds = [m * 10.0 ** e for e in range(int(round(math.log10(k))) + 2) for m in (1, 2, 5)][:-2]
        return BoundaryNorm(bounds, 256, extend="max")

    def _ticks(self, k):
        top = int(round(math.log10(k))) + 1
        self.cbar.set_ticks([10.0 ** e for e in range(top + 1)], labels=[f"$10^{e}$" for e in range(top + 1)])
        self.cbar.minorticks_off()

    def _steps_map(self, k):
        """The map as steps per e-fold, -1 / ln(rho); nan (grey) where rho >= 1."""
        rho = self.maps[k]
        with np.errstate(divide="ignore"):
            steps = -1.0 / np.log(np.where(rho < 1, rho, np.nan))
        return steps

    # -- data ---------------------------------------------------------------------------------
    def _draw_kappa(self, k):
        """The static part for condition number k: the map, the marks, the reference runs, the x-range."""
        self.image.set_data(self._steps_map(k))
        if self._kappa_drawn is not None and k != self._kappa_drawn:
            self.image.set_norm(self._bands(k))
            self.cbar.update_normal(self.image)
            self._ticks(k)
        a_opt, b_opt, _ = optimal_parameters(k)
        a_gd, _ = gd_best(k)
        self.opt_mark.set_data([a_opt * k], [b_opt])
        self.gd_mark.set_data([a_gd * k], [0.0])
        steps = np.arange(RUN_STEPS[k] + 1)
        self.gd_line.set_data(steps, self.reference[k]["gd"])
        self.opt_line.set_data(steps, self.reference[k]["optimum"])
        self.ax_c.set_xlim(0, RUN_STEPS[k])
        self.ax_c.set_title(f"κ = {k:g}: your run against the two best")
        if self._kappa_drawn is not None:
            self.invalidate()
        self._kappa_drawn = k

    def redraw(self, values):
        k, alpha, beta = self.parameters(values)
        if k != self._kappa_drawn:
            self._draw_kappa(k)
        lams = quadratic_eigenvalues(k)
        n = RUN_STEPS[k]
        steps = np.arange(n + 1)
        self.gap = relative_gap(lams, heavy_ball_run(lams, np.ones(len(lams)), alpha, beta, n))
        rho = float(worst_rate(alpha, beta, 1.0, float(k)))
        self.rho = rho
        self.cur_mark.set_data([alpha * k], [beta])
        self.run_line.set_data(steps, np.where(self.gap > 1e-300, self.gap, np.nan))
        with np.errstate(all="ignore"):
            pred = rho ** (2.0 * steps)
        self.pred_line.set_data(steps, np.where((pred > 1e-300) & (pred < 1e300), pred, np.nan))
        a_opt, b_opt, r_opt = optimal_parameters(k)
        _, r_gd = gd_best(k)
        self.observed = observed_rate(self.gap)
        below = np.nonzero(self.gap <= 1e-6)[0]
        self.reached = int(below[0]) if len(below) else None
        k_opt, k_gd = steps_to_reduce(r_opt), steps_to_reduce(r_gd)
        if rho >= 1:
            head = f"worst-case rate ρ = <b>{rho:.4f}</b> ≥ 1: <b>diverges</b> (or stalls)"
        else:
            obs = "n/a" if math.isnan(self.observed) else f"{self.observed:.4f}"
            seen = (f"first reached at step {self.reached}" if self.reached is not None
                    else f"not within {n} steps")
            head = (f"predicted rate ρ = <b>{rho:.4f}</b>, observed over steps {n // 2}–{n}: <b>{obs}</b>; "
                    f"f − f* down by 10⁶ after ≈ <b>{_whole_steps(steps_to_reduce(rho))}</b> steps ({seen})")
        self.readout.value = (f"{head}<br>optimum α* = {a_opt * k:.3f}/L, β* = {b_opt:.3f}: ρ* = {r_opt:.4f}, "
                              f"≈ {_whole_steps(k_opt)} steps; best plain GD α = {2 * k / (k + 1):.3f}/L: "
                              f"ρ = {r_gd:.4f}, ≈ {_whole_steps(k_gd)} steps")

    def control_box(self) -> W.Widget:
        """The three controls in a row, the readout under them."""
        row = W.HBox(list(self.controls.values()), layout=W.Layout(flex_flow="row wrap", align_items="center"))
        return W.VBox([row, self.readout])
