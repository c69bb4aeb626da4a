"""The Huber explorer: move delta, refit a line under the Huber loss, see which points it treats as outliers.

The module also holds what the Losses chapter draws with:

* :func:`outlier_data` -- the seeded regression data set (a noisy line plus a few gross outliers);
* :func:`fit_mse`, :func:`fit_mae`, :func:`fit_huber` -- straight-line fits that minimise
  ``nnkernel.losses.mse``, ``mae`` and ``huber`` exactly (least squares, a linear programme, and
  Newton's method on the Huber cost);
* :func:`loss_curves` and :func:`loss_panels` -- per-example loss and derivative of an nnkernel loss
  against the residual (or margin), and the two-row figure the chapter shows for each loss.

Every loss value and gradient comes from :mod:`nnkernel.losses`.
"""
from __future__ import annotations

import ipywidgets as W
import matplotlib.pyplot as plt
import numpy as np

import nnkernel as nk

from .base import Explorer
from .style import COLORS, legend_size

#: a colour per loss, for figures that draw several losses together (the regression trio and
#: cross-entropy come from the book's palette; the others are extra Okabe-Ito-compatible hues)
LOSS_COLORS = {
    "mean_error": COLORS["reference"],
    "mse": COLORS["mse"],
    "rmse": COLORS["mse"],
    "mae": COLORS["mae"],
    "huber": COLORS["huber"],
    "log_cosh": "#CC6677",  # Tol's rose: 3.7:1 on white, 4.9:1 on the dark page
    "msle": "#2E8B7A",  # teal: 4.1:1 and 4.3:1
    "binary_cross_entropy": COLORS["cross_entropy"],
    "binary_cross_entropy_with_logits": COLORS["cross_entropy"],
    "categorical_cross_entropy": COLORS["cross_entropy"],
    "sparse_categorical_cross_entropy": COLORS["cross_entropy"],
    "hinge": "#7B61C9",  # violet: 4.8:1 and 3.7:1
    "squared_hinge": "#AA4499",
    "kl_divergence": "#117733",
}


# ----------------------------------------------------------------------------- data and fits
def outlier_data(seed: int = 7, n: int = 60, n_outliers: int = 6, intercept: float = 1.0, slope: float = 0.6,
                 noise: float = 0.5):
    """A seeded regression set: ``n`` points on ``intercept + slope x`` plus Gaussian noise, and
    ``n_outliers`` points at large x pulled far below the line.  Returns ``(x, y, is_planted)``,
    sorted by x; ``is_planted`` marks the outliers that were put there.
    """
    g = np.random.default_rng(seed)
    x_in = g.uniform(0.0, 10.0, n)
    y_in = intercept + slope * x_in + g.normal(0.0, noise, n)
    x_out = g.uniform(7.0, 10.0, n_outliers)
    y_out = intercept + slope * x_out - g.uniform(5.0, 9.0, n_outliers)
    x = np.concatenate([x_in, x_out])
    y = np.concatenate([y_in, y_out])
    planted = np.concatenate([np.zeros(n, bool), np.ones(n_outliers, bool)])
    order = np.argsort(x, kind="stable")
    return x[order], y[order], planted[order]


def design(x):
    """The design matrix [1, x] of a straight line."""
    x = np.asarray(x, dtype=np.float64)
    return np.column_stack([np.ones_like(x), x])


def predict(coef, x):
    """The line ``coef[0] + coef[1] x``."""
    return coef[0] + coef[1] * np.asarray(x, dtype=np.float64)


def fit_mse(x, y):
    """Least squares: the (intercept, slope) minimising ``nk.losses.mse``."""
    coef, *_ = np.linalg.lstsq(design(x), np.asarray(y, dtype=np.float64), rcond=None)
    return coef


def fit_mae(x, y):
    """Least absolute deviations: the (intercept, slope) minimising ``nk.losses.mae``.

    Solved exactly as a linear programme (minimise sum u_i subject to -u <= X theta - y <= u); the
    optimum is a vertex, a line through two data points, which is then solved for in closed form.
    """
    X, y = design(x), np.asarray(y, dtype=np.float64)
    n = len(y)
    c = np.concatenate([np.zeros(2), np.ones(n)])
    A = np.block([[X, -np.eye(n)], [-X, -np.eye(n)]])
    b = np.concatenate([y, -y])
    from scipy.optimize import linprog  # here, not at import: scipy.optimize is slow to import

    res = linprog(c, A_ub=A, b_ub=b, bounds=[(None, None)] * 2 + [(0, None)] * n, method="highs")
    if not res.success:  # pragma: no cover - a feasible, bounded LP
        raise RuntimeError(f"fit_mae: linear programme failed: {res.message}")
    coef = res.x[:2]
    # polish: the line through the two points with the smallest residuals (the LP's active constraints)
    on = np.argsort(np.abs(X @ coef - y), kind="stable")[:2]
    exact = np.linalg.solve(X[on], y[on]) if abs(np.linalg.det(X[on])) > 1e-12 else coef
    return exact if _mae(X, y, exact) <= _mae(X, y, coef) else coef


def _mae(X, y, coef):
    return float(nk.losses.mae(y, X @ coef))


def _huber_cost(X, y, coef, delta):
    return float(nk.losses.huber(y, X @ coef, delta=delta))


def _huber_gradient(X, y, coef, delta):
    """Gradient of the Huber cost in (intercept, slope): X^T (d cost / d prediction), from nnkernel."""
    return X.T @ np.asarray(nk.to_numpy(nk.losses.huber_grad(y, X @ coef, delta=delta)))


def _stationary_point(X, y, inliers, signs, delta):
    """Solve the optimality condition for a given split into inliers and (signed) outliers.

    With S the inliers and s_i = sign(r_i) for the rest, a zero gradient means
    X_S^T X_S theta = X_S^T y_S - delta sum_{i not in S} s_i x_i.
    """
    Xs = X[inliers]
    rhs = Xs.T @ y[inliers] - delta * (X[~inliers].T @ signs[~inliers])
    return np.linalg.solve(Xs.T @ Xs, rhs)


def fit_huber(x, y, delta, start=None, max_iter=100):
    """The (intercept, slope) minimising ``nk.losses.huber(y, a + b x, delta=delta)``.

    Newton's method on the Huber cost, which is convex and piecewise quadratic: its Hessian is
    X_S^T X_S / N over the inliers S (|r| <= delta).  Each step solves that quadratic model and a
    backtracking line search keeps the cost decreasing (when fewer than two points are inliers, the
    iteratively-reweighted-least-squares weights min(1, delta / |r|) stand in for the Hessian).
    The iteration stops when a step leaves the split into inliers and outliers unchanged; the fit is
    then the exact solution of the optimality condition for that split, so it does not depend on
    ``start`` (a warm start only makes it faster).  Returns a NumPy array (intercept, slope).
    """
    X, y = design(x), np.asarray(y, dtype=np.float64)
    n = len(y)
    theta = fit_mse(x, y) if start is None else np.asarray(start, dtype=np.float64).copy()
    cost = _huber_cost(X, y, theta, delta)
    for _ in range(max_iter):
        r = X @ theta - y
        inliers = np.abs(r) <= delta
        signs = np.sign(r)
        g = _huber_gradient(X, y, theta, delta)
        H = X[inliers].T @ X[inliers] / n
        if inliers.sum() < 2 or np.linalg.cond(H) > 1e12:
            w = delta / np.maximum(np.abs(r), delta)
            H = X.T @ (w[:, None] * X) / n
        step = np.linalg.solve(H, g)
        t, slope = 1.0, float(g @ step)
        while True:
            trial = theta - t * step
            trial_cost = _huber_cost(X, y, trial, delta)
            if trial_cost <= cost - 1e-4 * t * slope or t < 1e-12:
                break
            t *= 0.5
        theta, cost = trial, trial_cost
        r = X @ theta - y
        new_inliers = np.abs(r) <= delta
        if np.array_equal(new_inliers, inliers) and np.array_equal(np.sign(r)[~inliers], signs[~inliers]) \
                and inliers.sum() >= 2:
            exact = _stationary_point(X, y, inliers, signs, delta)
            r = X @ exact - y
            if np.array_equal(np.abs(r) <= delta, inliers) and np.array_equal(np.sign(r)[~inliers], signs[~inliers]):
                return exact
    return theta  # pragma: no cover - not reached for line fits in practice


# ----------------------------------------------------------------------------- static figures
def loss_curves(loss, grad, x, y_true=0.0, **params):
    """Per-example loss and its derivative with respect to the prediction, for predictions ``x``.

    ``loss`` and ``grad`` are an nnkernel loss and its ``_grad``; every prediction is paired with the
    target ``y_true`` (a number).  The gradient of the mean-reduced loss is multiplied by N to give the
    derivative of one example's loss.
    """
    x = np.asarray(x, dtype=np.float64)
    t = np.full_like(x, y_true)
    value = np.asarray(nk.to_numpy(loss(t, x, reduction="none", **params)))
    deriv = np.asarray(nk.to_numpy(grad(t, x, **params))) * x.size
    return value, deriv


def loss_panels(specs, title=None, width=3.3):
    """One column per curve set: the losses on top, their derivatives below.

    ``specs`` is a list of dicts with ``x`` (the horizontal values), ``xlabel``, ``title`` and
    ``curves``: a list of ``(label, loss_values, derivative_values, color[, linestyle])``; optional
    keys ``ylim`` and ``dylim`` (limits of the two rows), ``vline`` (where the vertical reference line
    goes, 0 by default) and ``legend`` (its location).  Returns the figure.
    """
    fig, axes = plt.subplots(2, len(specs), figsize=(width * len(specs), 5.2), squeeze=False,
                             layout="constrained")
    for j, spec in enumerate(specs):
        top, bottom = axes[0, j], axes[1, j]
        for curve in spec["curves"]:
            label, value, deriv, color = curve[:4]
            ls = curve[4] if len(curve) > 4 else "-"
            top.plot(spec["x"], value, color=color, ls=ls, label=label)
            bottom.plot(spec["x"], deriv, color=color, ls=ls, label=label)
        top.set_title(spec["title"])
        bottom.set_xlabel(spec["xlabel"])
        if "ylim" in spec:
            top.set_ylim(*spec["ylim"])
        if "dylim" in spec:
            bottom.set_ylim(*spec["dylim"])
        for ax in (top, bottom):
            ax.axhline(0, color="black", lw=0.6)
            ax.axvline(spec.get("vline", 0.0), color="black", lw=0.6)
        top.legend(loc=spec.get("legend", "upper center"), fontsize=legend_size())
    axes[0, 0].set_ylabel("loss of one example")
    axes[1, 0].set_ylabel("derivative w.r.t. the prediction")
    if title:
        fig.suptitle(title)
    return fig


# ----------------------------------------------------------------------------- the explorer
class HuberExplorer(Explorer):
    """A line fitted under the Huber loss (left) and the loss against the residual (right).

    The data are :func:`outlier_data` for ``seed``.  Moving ``delta`` (a logarithmic slider) refits
    the line by :func:`fit_huber`, warm-started from the previous fit, and shows it beside the MSE
    and MAE fits (computed once); points whose residual r = y_hat - y has |r| > delta are highlighted.
    The right panel draws ``nk.losses.huber`` for that delta with half the squared error and the
    absolute error for reference, the thresholds +-delta, and each point's residual on the curve.

    Attributes after every update: ``delta``, ``coef`` (intercept, slope), ``residuals``,
    ``outlier_mask``; fixed: ``x``, ``y``, ``coef_mse``, ``coef_mae``, ``r_grid``.
    """

    figsize = (9.0, 3.9)
    page_name = "huber"

    def __init__(self, seed: int = 7, delta: float = 1.0, delta_range=(0.05, 10.0), n_grid: int = 401, **kwargs):
        lo, hi = float(delta_range[0]), float(delta_range[1])
        if not 0 < lo < hi:
            raise ValueError(f"delta_range must be (low, high) with 0 < low < high, got {delta_range!r}")
        if not lo <= delta <= hi:
            raise ValueError(f"delta must lie in delta_range {delta_range!r}, got {delta!r}")
        self.seed = seed
        self._delta0, self._range = float(delta), (lo, hi)
        self.x, self.y, self.planted = outlier_data(seed)
        self._n_grid = n_grid
        self.coef = None
        super().__init__(**kwargs)

    # -- static part, computed once --------------------------------------------------------
    def build(self):
        x, y = self.x, self.y
        self.coef_mse = fit_mse(x, y)
        self.coef_mae = fit_mae(x, y)
        lo, hi = self._range
        # residual range: the largest residual any fit over the slider's range can produce
        extremes = [self.coef_mse, self.coef_mae, fit_huber(x, y, lo), fit_huber(x, y, hi)]
        r_max = max(float(np.max(np.abs(predict(c, x) - y))) for c in extremes)
        self.r_max = 1.08 * r_max
        self.r_grid = np.linspace(-self.r_max, self.r_max, self._n_grid)
        zeros = np.zeros_like(self.r_grid)
        self.x_line = np.array([x.min() - 0.3, x.max() + 0.3])

        self.ax_fit, self.ax_loss = self.fig.subplots(1, 2, width_ratios=[1.15, 1.0])
        ax = self.ax_fit
        (self.pts_in,) = ax.plot(x, y, "o", ms=4, color=COLORS["data"], alpha=0.75, label="data, |r| ≤ δ")
        (self.pts_out,) = ax.plot(x, y, "o", ms=7, mfc=COLORS["highlight"], mec="black", mew=0.6,
                                  label="outliers, |r| > δ")
        (self.line_mse,) = ax.plot(self.x_line, predict(self.coef_mse, self.x_line), color=COLORS["mse"], ls="--",
                                   lw=1.6, label="MSE: fit and ½r²")
        (self.line_mae,) = ax.plot(self.x_line, predict(self.coef_mae, self.x_line), color=COLORS["mae"], ls=":",
                                   lw=2.0, label="MAE: fit and |r|")
        (self.line_huber,) = ax.plot(self.x_line, predict(self.coef_mse, self.x_line), color=COLORS["huber"], lw=2.6,
                                     label="Huber: fit and L_δ(r)")
        ax.set_xlabel("x")
        ax.set_ylabel("y")
        pad = 0.06 * (y.max() - y.min())
        ax.set_ylim(y.min() - pad, y.max() + pad)
        ax.set_xlim(*self.x_line)

        ax = self.ax_loss
        self.ref_sq = ax.plot(self.r_grid, 0.5 * np.asarray(nk.losses.mse(zeros, self.r_grid, reduction="none")),
                              color=COLORS["mse"], ls="--", lw=1.4)[0]
        self.ref_abs = ax.plot(self.r_grid, np.asarray(nk.losses.mae(zeros, self.r_grid, reduction="none")),
                               color=COLORS["mae"], ls=":", lw=1.8)[0]
        (self.curve,) = ax.plot(self.r_grid, zeros, color=COLORS["huber"], lw=2.6)
        self.thr_lo = ax.axvline(-1.0, color=COLORS["huber"], lw=1.0, ls="-.", label="r = ±δ")
        self.thr_hi = ax.axvline(1.0, color=COLORS["huber"], lw=1.0, ls="-.")
        (self.res_in,) = ax.plot([], [], "o", ms=3.5, color=COLORS["data"], alpha=0.7)
        (self.res_out,) = ax.plot([], [], "o", ms=6, mfc=COLORS["highlight"], mec="black", mew=0.6)
        ax.set_xlim(-self.r_max, self.r_max)
        ax.set_ylim(0.0, 0.8 * self.r_max)
        ax.axhline(0, color="black", lw=0.6)
        ax.set_xlabel("residual r = ŷ − y")
        ax.set_ylabel("loss of one point")
        ax.set_title("Huber loss against the residual")
        handles, labels = self.ax_fit.get_legend_handles_labels()
        handles.append(self.thr_lo)
        labels.append(self.thr_lo.get_label())
        self.fig.legend(handles, labels, loc="outside lower center", ncols=3 if self.presentation else 6,
                        fontsize=legend_size())

        self.animated = [self.line_huber, self.pts_in, self.pts_out, self.curve, self.thr_lo, self.thr_hi,
                         self.res_in, self.res_out]
        self.ax_fit.set_title("Data with the MSE, MAE and Huber fits")
        #: a line of text beside the slider: the fitted line and the number of outliers (not drawn in the figure,
        #: where re-rendering text on every step would cost more than the rest of the update)
        self.readout = W.HTML()
        # a grid of steps of 10^0.01 through the starting delta, reaching just past both ends of delta_range:
        # every value the slider takes, the first included, lies on it (a browser snaps a value off the grid
        # and sends it back)
        step, here = 0.01, np.log10(self._delta0)
        lo_exp = here - np.ceil((here - np.log10(lo)) / step - 1e-9) * step
        hi_exp = here + np.ceil((np.log10(hi) - here) / step - 1e-9) * step
        self.controls["delta"] = W.FloatLogSlider(value=self._delta0, base=10, min=lo_exp, max=hi_exp,
                                                  step=step, description="delta δ",
                                                  continuous_update=True, readout_format=".3f")

    # -- what moves with delta -------------------------------------------------------------
    def fit(self, delta, start=None):
        """The Huber fit for ``delta`` (warm-started from ``start``, or the current fit)."""
        return fit_huber(self.x, self.y, delta, start=self.coef if start is None else start)

    def redraw(self, values):
        delta = float(values["delta"])
        self.delta = delta
        self.coef = self.fit(delta)
        self.residuals = predict(self.coef, self.x) - self.y
        self.outlier_mask = np.abs(self.residuals) > delta
        inl, out = ~self.outlier_mask, self.outlier_mask
        self.line_huber.set_ydata(predict(self.coef, self.x_line))
        self.pts_in.set_data(self.x[inl], self.y[inl])
        self.pts_out.set_data(self.x[out], self.y[out])
        zeros = np.zeros_like(self.r_grid)
        self.curve.set_ydata(np.asarray(nk.to_numpy(nk.losses.huber(zeros, self.r_grid, reduction="none",
                                                                    delta=delta))))
        self.thr_lo.set_xdata([-delta, -delta])
        self.thr_hi.set_xdata([delta, delta])
        point_loss = np.asarray(nk.to_numpy(nk.losses.huber(self.y, predict(self.coef, self.x), reduction="none",
                                                            delta=delta)))
        self.res_in.set_data(self.residuals[inl], point_loss[inl])
        self.res_out.set_data(self.residuals[out], point_loss[out])
        self.readout.value = (f"Huber fit: <b>y = {self.coef[0]:.3f} + {self.coef[1]:.3f} x</b>; "
                             f"<b>{int(out.sum())}</b> of {self.x.size} points have |r| &gt; δ")

    def control_box(self) -> W.Widget:
        """The delta slider, with the current fit and outlier count written beside it."""
        return W.HBox([self.controls["delta"], self.readout], layout=W.Layout(flex_flow="row wrap", align_items="center"))
