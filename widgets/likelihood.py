"""Explorers for the maximum-likelihood chapter.

* :class:`CoinExplorer`: the likelihood and log-likelihood of a sequence of
  coin flips as functions of the coin's bias p, with a marker at the p chosen
  by a slider and the maximum marked.
* :class:`GaussianNoiseExplorer`: the mean negative log-likelihood of a sample
  under Gaussian noise of scale sigma, as a function of a constant prediction;
  the sigma slider rescales and shifts the curve but never moves its minimiser.

Every number plotted is computed by :mod:`nnkernel` (binary cross-entropy for
the coin, mean squared error for the Gaussian); the static curves are computed
once and drawn into the cached background, only the markers, the moving curve
and the read-outs are redrawn when a slider moves.
"""
from __future__ import annotations

import math

import ipywidgets as W
import numpy as np

import nnkernel as nk

from .base import Explorer
from .style import COLORS

#: the chapter's coin: 8 heads (1) and 2 tails (0) in 10 flips
COIN_FLIPS = (1, 1, 0, 1, 1, 1, 1, 0, 1, 1)

_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


# ----------------------------------------------------------------------------- computations
def _check_flips(flips):
    f = np.asarray(flips, dtype=np.float64).ravel()
    if f.size == 0:
        raise ValueError("flips must hold at least one flip")
    if not np.all((f == 0) | (f == 1)):
        raise ValueError("flips must be 0 (tails) or 1 (heads)")
    return f


def coin_log_likelihood(flips, p):
    """log L(p) = sum_i [t_i log p + (1 - t_i) log(1 - p)] for each bias in ``p``.

    Computed as minus the *summed* binary cross-entropy of the flips against the
    constant prediction p (``nk.losses.binary_cross_entropy(..., reduction="sum")``
    row by row).  Returns a NumPy array of the shape of ``p``.
    """
    f = _check_flips(flips)
    p = np.asarray(p, dtype=np.float64)
    ps = p.reshape(-1, 1)
    preds = np.broadcast_to(ps, (ps.shape[0], f.size))
    targets = np.broadcast_to(f, preds.shape)
    bce = nk.to_numpy(nk.losses.binary_cross_entropy(targets, preds, reduction="none"))
    return -np.asarray(bce).sum(axis=1).reshape(p.shape)


def coin_log_likelihood_slope(flips, p):
    """d log L / dp at a single bias p, from nnkernel's gradient of the mean binary cross-entropy.

    ``binary_cross_entropy_grad`` differentiates the *mean* over the N flips with respect to
    each prediction; the log-likelihood is minus the *sum*, so its derivative with respect to the
    shared p is minus N times the sum of those entries.
    """
    f = _check_flips(flips)
    preds = np.full(f.shape, float(p))
    g = nk.to_numpy(nk.losses.binary_cross_entropy_grad(f, preds))
    return -f.size * float(np.sum(g))


def gaussian_mean_nll(targets, predictions, sigma):
    """Mean negative log-likelihood of ``targets`` under t ~ N(y_hat, sigma^2), for each constant prediction.

    Equals ``mse(t, y_hat) / (2 sigma^2) + log(sigma) + log(2 pi) / 2`` with the
    MSE from ``nk.losses.mse``.  Returns an array of the shape of ``predictions``.
    """
    sigma = float(sigma)
    if not sigma > 0:
        raise ValueError(f"sigma must be positive, got {sigma!r}")
    return mse_of_constants(targets, predictions) / (2.0 * sigma * sigma) + math.log(sigma) + _HALF_LOG_2PI


def mse_of_constants(targets, predictions):
    """``nk.losses.mse(t, c)`` for every constant prediction c in ``predictions`` (one row each)."""
    t = np.asarray(targets, dtype=np.float64).ravel()
    c = np.asarray(predictions, dtype=np.float64)
    cs = c.reshape(-1, 1)
    preds = np.broadcast_to(cs, (cs.shape[0], t.size))
    per = nk.to_numpy(nk.losses.mse(np.broadcast_to(t, preds.shape), preds, reduction="none"))
    return np.asarray(per).mean(axis=1).reshape(c.shape)


def _vertex(x, y):
    """The minimiser of sampled y(x): the grid minimum refined by the parabola through it and its neighbours.

    For a quadratic (the Gaussian NLL in the prediction) the refinement is exact.
    """
    i = int(np.argmin(y))
    if i == 0 or i == len(y) - 1:
        return float(x[i]), float(y[i])
    x0, x1, x2 = x[i - 1], x[i], x[i + 1]
    y0, y1, y2 = y[i - 1], y[i], y[i + 1]
    denom = (x0 - x1) * (x0 - x2) * (x1 - x2)
    a = (x2 * (y1 - y0) + x1 * (y0 - y2) + x0 * (y2 - y1)) / denom
    b = (x2 * x2 * (y0 - y1) + x1 * x1 * (y2 - y0) + x0 * x0 * (y1 - y2)) / denom
    if a <= 0:
        return float(x1), float(y1)
    xv = -b / (2 * a)
    c = y1 - a * x1 * x1 - b * x1
    return float(xv), float(a * xv * xv + b * xv + c)


# ----------------------------------------------------------------------------- the coin
class CoinExplorer(Explorer):
    """Likelihood (left) and log-likelihood (right) of a sequence of coin flips against the bias p.

    The curves and the maximum are computed once (static); the slider ``p``
    moves a marker along both curves and the read-out of their values.

    Attributes for tests and readers: ``p`` (the slider's bias),
    ``current_likelihood`` and ``current_log_likelihood`` (the values at
    ``p``), ``p_max``, ``max_likelihood`` and ``max_log_likelihood`` (the
    maximum, found numerically), ``p_grid``, ``likelihood`` and
    ``log_likelihood`` (the plotted curves).
    """

    figsize = (8.0, 3.4)
    page_name = "coin"

    def __init__(self, flips=COIN_FLIPS, p: float = 0.5, n_points: int = 981, **kwargs):
        self.flips = _check_flips(flips)
        self.heads = int(self.flips.sum())
        self.n = int(self.flips.size)
        if not 0.01 <= float(p) <= 0.99:
            raise ValueError(f"p must be in [0.01, 0.99], got {p!r}")
        self._initial = float(p)
        self.p_grid = np.linspace(0.01, 0.99, n_points)
        self.log_likelihood = coin_log_likelihood(self.flips, self.p_grid)
        self.likelihood = np.exp(self.log_likelihood)
        self.p_max = self._maximise()
        self.max_log_likelihood = float(coin_log_likelihood(self.flips, self.p_max))
        self.max_likelihood = math.exp(self.max_log_likelihood)
        super().__init__(**kwargs)

    def _maximise(self) -> float:
        """The bias that maximises the log-likelihood.

        A grid search brackets the maximum; there the derivative of the log-likelihood,
        ``-N * nk.losses.binary_cross_entropy_grad`` summed over the flips, changes sign and
        its root is found by Brent's method.  At the ends of the grid the grid value is kept.
        """
        from scipy.optimize import brentq

        i = int(np.argmax(self.log_likelihood))
        if i == 0 or i == len(self.p_grid) - 1:
            return float(self.p_grid[i])
        lo, hi = float(self.p_grid[i - 1]), float(self.p_grid[i + 1])
        slope = lambda q: float(coin_log_likelihood_slope(self.flips, q))  # noqa: E731
        if slope(lo) * slope(hi) > 0:
            return float(self.p_grid[i])
        return float(brentq(slope, lo, hi, xtol=1e-15, rtol=4 * np.finfo(float).eps))

    def build(self):
        self.ax_L, self.ax_l = self.fig.subplots(1, 2)
        h, n = self.heads, self.n
        (self.line_L,) = self.ax_L.plot(self.p_grid, self.likelihood, color=COLORS["function"],
                                        label=f"$L(p) = p^{{{h}}}(1-p)^{{{n - h}}}$")
        (self.line_l,) = self.ax_l.plot(self.p_grid, self.log_likelihood, color=COLORS["function"],
                                        label=r"$\ell(p) = \log L(p)$")
        pm = self.p_max
        self.max_markers = []
        for ax, y in ((self.ax_L, self.max_likelihood), (self.ax_l, self.max_log_likelihood)):
            ax.axvline(pm, color=COLORS["highlight"], ls=":", lw=1.4)
            (m,) = ax.plot([pm], [y], marker="*", ms=14, ls="none", color=COLORS["highlight"],
                           label=f"maximum, p = {pm:.3f}")
            self.max_markers.append(m)
        self.cursors, self.markers = [], []
        for ax in (self.ax_L, self.ax_l):
            # a drop line from the bottom of the axes up to the curve (it never crosses the read-out at the top)
            (cursor,) = ax.plot([self._initial, self._initial], [0.0, 0.0], color=COLORS["data"], ls="--", lw=1.0)
            (marker,) = ax.plot([self._initial], [0.0], marker="o", ms=8, ls="none", color=COLORS["data"],
                                label="current p")
            self.cursors.append(cursor)
            self.markers.append(marker)
            ax.set_xlabel("bias of the coin, p = P(heads)")
            ax.set_xlim(0, 1)
        self.ax_L.set_ylabel("likelihood L(p)")
        self.ax_l.set_ylabel(r"log-likelihood $\ell(p) = \log L(p)$ (nats)")
        self.ax_L.set_ylim(0, 1.25 * self.max_likelihood)
        lo, hi = float(self.log_likelihood.min()), self.max_log_likelihood
        self.ax_l.set_ylim(lo - 0.05 * (hi - lo), hi + 0.3 * (hi - lo))
        self.ax_L.set_title(f"Likelihood of {h} heads in {n} flips")
        self.ax_l.set_title(f"Log-likelihood: max at p = {pm:.2f}")
        self.ax_L.legend(loc="center left")
        # no legend on the right: the left one explains the same symbols, and a drop line would cross it
        self.animated = [*self.cursors, *self.markers]
        self.readout = W.HTML()
        self.controls["p"] = W.FloatSlider(value=self._initial, min=0.01, max=0.99, step=0.01, description="bias p",
                                           continuous_update=True, readout_format=".2f")

    def redraw(self, values):
        p = float(values["p"])
        ll = float(coin_log_likelihood(self.flips, p))
        self.p = p
        self.current_log_likelihood = ll
        self.current_likelihood = math.exp(ll)
        for ax, cursor, marker, y in zip((self.ax_L, self.ax_l), self.cursors, self.markers,
                                         (self.current_likelihood, ll)):
            cursor.set_data([p, p], [ax.get_ylim()[0], y])
            marker.set_data([p], [y])
        ratio = self.current_likelihood / self.max_likelihood
        gap = self.max_log_likelihood - ll
        self.readout.value = (f"at p = <b>{p:.2f}</b>: L(p) = <b>{self.current_likelihood:.3e}</b> = {ratio:.3g} × "
                              f"the maximum; ℓ(p) = <b>{ll:.3f}</b> = the maximum − {gap:.3f}").replace("-", "−")


# ----------------------------------------------------------------------------- Gaussian noise
class GaussianNoiseExplorer(Explorer):
    """What the noise scale sigma does to the Gaussian negative log-likelihood.

    Left: the targets' histogram and the noise model N(y_hat*, sigma^2) centred
    at the best constant prediction.  Right: the mean negative log-likelihood
    ``mse / (2 sigma^2) + log sigma + log(2 pi) / 2`` against the constant
    prediction y_hat, for the slider's sigma (solid), with three fixed sigmas
    for reference (grey); the star marks the curve's minimiser, which stays on
    the dotted line at the sample mean whatever sigma is.

    Attributes: ``sigma``, ``predictions`` (the grid of y_hat), ``mse`` (MSE of
    each constant prediction, from nnkernel), ``nll`` (the plotted curve),
    ``minimiser`` and ``min_nll`` (the curve's minimum), ``sample_mean``,
    ``scale`` (1 / (2 sigma^2)) and ``shift`` (log sigma + log(2 pi) / 2).
    """

    figsize = (8.0, 4.0)
    page_name = "noise-scale"
    #: the grey reference curves
    reference_sigmas = (0.5, 1.0, 2.0)

    def __init__(self, targets=None, sigma: float = 1.0, seed: int = 0, n: int = 40, loc: float = 2.0,
                 scale: float = 0.8, sigma_range=(0.3, 3.0), n_points: int = 601, **kwargs):
        if targets is None:
            rng = np.random.default_rng(seed)
            targets = loc + scale * rng.standard_normal(n)
        self.targets = np.asarray(targets, dtype=np.float64).ravel()
        if self.targets.size < 2 or not np.all(np.isfinite(self.targets)):
            raise ValueError("targets must hold at least two finite numbers")
        self.sigma_range = (float(sigma_range[0]), float(sigma_range[1]))
        if not 0 < self.sigma_range[0] < self.sigma_range[1]:
            raise ValueError(f"sigma_range must be (low, high) with 0 < low < high, got {sigma_range!r}")
        if not self.sigma_range[0] <= float(sigma) <= self.sigma_range[1]:
            raise ValueError(f"sigma must lie in sigma_range {self.sigma_range}, got {sigma!r}")
        self._initial = float(sigma)
        self.sample_mean = float(np.mean(self.targets))
        spread = float(np.ptp(self.targets))
        self.predictions = np.linspace(self.targets.min() - 0.5 * spread, self.targets.max() + 0.5 * spread,
                                       n_points)
        # the sigma-free part of the curve, computed once by nnkernel
        self.mse = mse_of_constants(self.targets, self.predictions)
        super().__init__(**kwargs)

    def nll_curve(self, sigma: float) -> np.ndarray:
        """The mean negative log-likelihood of every constant prediction for noise scale ``sigma``."""
        return self.mse / (2.0 * sigma * sigma) + math.log(sigma) + _HALF_LOG_2PI

    def build(self):
        self.ax_d, self.ax_n = self.fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.25]})
        t = self.targets
        lo_s, hi_s = self.sigma_range
        # left: data and the assumed noise density
        self.ax_d.hist(t, bins=12, density=True, color=COLORS["reference"], alpha=0.55, label=f"targets (N = {t.size})")
        self.t_grid = np.linspace(self.predictions[0], self.predictions[-1], 401)
        (self.density,) = self.ax_d.plot(self.t_grid, np.zeros_like(self.t_grid), color=COLORS["mse"],
                                         label=r"noise model N($\hat y^*$, $\sigma^2$)")
        self.ax_d.set_ylim(0, 1.1 / (lo_s * math.sqrt(2 * math.pi)))
        self.ax_d.set_xlim(self.t_grid[0], self.t_grid[-1])
        self.ax_d.set_xlabel("target t")
        self.ax_d.set_ylabel("density")
        self.ax_d.set_title("The noise the loss assumes")
        self.ax_d.legend(loc="upper left")
        # right: the NLL curve, the references, the minimiser
        for s in self.reference_sigmas:
            self.ax_n.plot(self.predictions, self.nll_curve(s), color=COLORS["reference"], lw=1.0, ls="--")
        self.ax_n.plot([], [], color=COLORS["reference"], lw=1.0, ls="--",
                       label=r"$\sigma$ = " + ", ".join(f"{s:g}" for s in self.reference_sigmas))
        self.ax_n.axvline(self.sample_mean, color=COLORS["highlight"], ls=":", lw=1.4,
                          label=f"sample mean = {self.sample_mean:.3f}")
        (self.line_nll,) = self.ax_n.plot(self.predictions, self.nll_curve(self._initial), color=COLORS["mse"],
                                          label=r"mean NLL at the slider's $\sigma$")
        (self.min_marker,) = self.ax_n.plot([self.sample_mean], [0.0], marker="*", ms=14, ls="none",
                                            color=COLORS["highlight"], label="minimiser")
        sig = np.linspace(lo_s, hi_s, 200)
        lows = np.array([self.nll_curve(s).min() for s in sig])
        bottom = float(lows.min())
        top = float(lows.max()) + 3.0
        self.ax_n.set_ylim(bottom - 0.1 * (top - bottom), top)
        self.ax_n.set_xlim(self.predictions[0], self.predictions[-1])
        self.ax_n.set_xlabel(r"constant prediction $\hat y$")
        self.ax_n.set_ylabel("mean negative log-likelihood (nats)")
        self.ax_n.set_title("σ rescales and shifts the curve;\nits minimiser stays put")
        self.fig.legend(*self.ax_n.get_legend_handles_labels(), loc="outside lower right", ncols=2)
        self.animated = [self.density, self.line_nll, self.min_marker]
        self.readout = W.HTML()
        self.controls["sigma"] = W.FloatSlider(value=self._initial, min=lo_s, max=hi_s, step=0.05,
                                               description="noise σ", continuous_update=True, readout_format=".2f")

    def redraw(self, values):
        s = float(values["sigma"])
        self.sigma = s
        self.scale = 1.0 / (2.0 * s * s)
        self.shift = math.log(s) + _HALF_LOG_2PI
        self.nll = self.nll_curve(s)
        self.minimiser, self.min_nll = _vertex(self.predictions, self.nll)
        self.line_nll.set_ydata(self.nll)
        self.min_marker.set_data([self.minimiser], [self.min_nll])
        z = (self.t_grid - self.minimiser) / s
        self.density.set_ydata(np.exp(-0.5 * z * z) / (s * math.sqrt(2 * math.pi)))
        sign = "+" if self.shift >= 0 else "−"
        self.readout.value = (f"σ = <b>{s:.2f}</b>: mean NLL = <b>{self.scale:.3f}</b> · MSE {sign} "
                              f"<b>{abs(self.shift):.3f}</b>; minimised at ŷ = {self.minimiser:.3f} "
                              f"(sample mean {self.sample_mean:.3f})")
