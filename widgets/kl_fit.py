"""The KL-fit explorer: one Gaussian fitted to a two-mode mixture, by KL(p || q) and by KL(q || p).

The target is the mixture p = 0.5 N(-d/2, s^2) + 0.5 N(d/2, s^2) of two Gaussians whose centres lie
``d`` apart; the model is a single Gaussian q = N(mu, sigma^2).  The two directions of the KL divergence
pick different q:

* **forward**, KL(p || q) = -H(p) + 1/2 log(2 pi sigma^2) + (Var_p + (E_p x - mu)^2) / (2 sigma^2), which is
  smallest at the moments of p, mu = E_p x = 0 and sigma^2 = Var_p = s^2 + d^2 / 4 (moment matching,
  :func:`forward_fit`); the fit covers both modes;
* **reverse**, KL(q || p) = -1/2 log(2 pi e sigma^2) - E_q log p, has no closed form; :func:`reverse_fit`
  minimises it numerically (Newton's method on (mu, log sigma)) from three starts, each mode and the
  middle, and keeps the best.  For small d the fit sits in the middle and covers both modes; once the
  modes are far enough apart (d = 5.75 for s = 1) it locks onto one of them.

E_q log p is exact to round-off (:func:`expected_logp`): log p is a quadratic plus the softplus of
d x / s^2, and the softplus's Gaussian expectation is a closed form plus a rapidly decaying remainder,
summed by Gauss-Hermite or the trapezoidal rule; the tests compare it with SciPy's adaptive quadrature.
:func:`grid_kl` recomputes both divergences with ``nnkernel.losses.kl_divergence`` on a fine grid of
x, as a check.
"""
from __future__ import annotations

import functools
import math

import ipywidgets as W
import numpy as np

import nnkernel as nk

from .base import Explorer
from .style import COLORS, PALETTE, legend_size

#: the colours of the two fits (p itself is data: black)
FIT_COLORS = {"p": COLORS["data"], "forward": PALETTE["blue"], "reverse": PALETTE["vermillion"]}

_LOG_2PI = math.log(2.0 * math.pi)


@functools.lru_cache(maxsize=8)
def _nodes(n: int):
    """Gauss-Hermite nodes z and weights w for E f(Z), Z ~ N(0, 1): E f(Z) ~ sum_k w_k f(z_k) (exact for
    polynomials of degree < 2n).  Cached, and read-only."""
    t, w = np.polynomial.hermite.hermgauss(int(n))
    z, w = math.sqrt(2.0) * t, w / math.sqrt(math.pi)
    z.flags.writeable = False
    w.flags.writeable = False
    return z, w


def _num(v: float, digits: int) -> str:
    """``v`` to ``digits`` decimals, with no minus sign on a value that rounds to zero."""
    v = float(v)
    return f"{0.0 if abs(v) < 0.5 * 10.0 ** -digits else v:.{digits}f}"


def _check(d, s):
    d, s = float(d), float(s)
    if not (math.isfinite(d) and d >= 0.0):
        raise ValueError(f"the separation d must be a finite number >= 0, got {d!r}")
    if not (math.isfinite(s) and s > 0.0):
        raise ValueError(f"the component spread s must be a finite number > 0, got {s!r}")
    return d, s


def _component_exponents(x, d, s):
    """The two components' Gaussian exponents at x and their maximum (the log-sum-exp shift)."""
    a = -0.5 * ((x + d / 2) / s) ** 2
    b = -0.5 * ((x - d / 2) / s) ** 2
    return a, b, np.maximum(a, b)


def mixture_logpdf(x, d: float, s: float = 1.0):
    """log p(x) for p = 0.5 N(-d/2, s^2) + 0.5 N(d/2, s^2), computed as a log-sum-exp (finite far out)."""
    d, s = _check(d, s)
    x = np.asarray(x, dtype=np.float64)
    a, b, top = _component_exponents(x, d, s)
    return top + np.log(0.5 * np.exp(a - top) + 0.5 * np.exp(b - top)) - math.log(s) - 0.5 * _LOG_2PI


def mixture_dlogpdf(x, d: float, s: float = 1.0):
    """d/dx log p(x): the responsibilities' weighted pull, -sum_j r_j(x) (x - m_j) / s^2."""
    d, s = _check(d, s)
    x = np.asarray(x, dtype=np.float64)
    a, b, top = _component_exponents(x, d, s)
    ea, eb = np.exp(a - top), np.exp(b - top)
    return -(ea * (x + d / 2) + eb * (x - d / 2)) / (s * s * (ea + eb))


def gauss_logpdf(x, mu: float, sigma: float):
    """log N(x; mu, sigma^2)."""
    x = np.asarray(x, dtype=np.float64)
    return -0.5 * ((x - mu) / sigma) ** 2 - math.log(sigma) - 0.5 * _LOG_2PI


def mixture_moments(d: float, s: float = 1.0):
    """The mean and variance of p: 0 and s^2 + d^2 / 4 (each component's variance plus the spread of the
    centres, +-d/2, about their mean)."""
    d, s = _check(d, s)
    return 0.0, s * s + d * d / 4.0


#: the grid of v on which E[r(v)] is summed when v is spread wider than one unit (r is below 1e-15 outside)
_V = np.linspace(-32.0, 32.0, 257)
_DV = _V[1] - _V[0]


def _phi(u):
    return np.exp(-0.5 * u * u) / math.sqrt(2.0 * math.pi)


def _softplus_expectation(m, tau, derivatives: bool = True):
    """E f(v), E f'(v) and E f'(v) Z for the softplus f(v) = log(1 + e^v) and v = m + tau Z, Z ~ N(0, 1).

    f = h + r, where h(v) = v Phi(v) + phi(v) (the hinge max(v, 0) smoothed by a unit Gaussian, whose
    Gaussian expectations are exact: E h(v) = m Phi(m/t) + t phi(m/t) with t^2 = 1 + tau^2, E h'(v) =
    Phi(m/t), E h'(v) Z = tau phi(m/t) / t) and r = f - h, smooth and falling off like e^{-|v|}.  E r is a
    Gauss-Hermite sum when tau < 1 and otherwise a sum over a fine grid of v (the trapezoidal rule, exact
    to round-off for such a smooth, decaying integrand).  Arrays broadcast.  Without ``derivatives`` the
    last two are None.
    """
    from scipy.special import ndtr

    m, tau = np.broadcast_arrays(np.asarray(m, dtype=np.float64), np.asarray(tau, dtype=np.float64))
    shape = m.shape
    m, tau = m.reshape(-1), tau.reshape(-1)
    t = np.sqrt(1.0 + tau * tau)
    value = m * ndtr(m / t) + t * _phi(m / t)
    slope = ndtr(m / t)
    slope_z = tau * _phi(m / t) / t

    def r_and_dr(v):
        return np.logaddexp(0.0, v) - (v * ndtr(v) + _phi(v)), 0.5 * (1.0 + np.tanh(0.5 * v)) - ndtr(v)

    narrow = tau < 1.0
    if np.any(narrow):
        z, w = _nodes(40)
        v = m[narrow][..., None] + tau[narrow][..., None] * z
        r, dr = r_and_dr(v)
        value[narrow] += r @ w
        if derivatives:
            slope[narrow] += dr @ w
            slope_z[narrow] += (dr * z) @ w
    wide = ~narrow
    if np.any(wide):
        r, dr = r_and_dr(_V)
        tw = tau[wide][..., None]
        u = (_V - m[wide][..., None]) / tw
        weight = _phi(u) * (_DV / tw)
        value[wide] += weight @ r
        if derivatives:
            slope[wide] += weight @ dr
            slope_z[wide] += (weight * u) @ dr
    if not derivatives:
        return value.reshape(shape), None, None
    return value.reshape(shape), slope.reshape(shape), slope_z.reshape(shape)


def expected_logp(mu, sigma, d: float, s: float = 1.0, derivatives: bool = True):
    """E_q log p for q = N(mu, sigma^2), and its derivatives in mu and sigma (None without
    ``derivatives``); arrays broadcast.

    Since N(x; d/2, s^2) / N(x; -d/2, s^2) = e^{d x / s^2}, log p(x) = log(1/2) + log N(x; -d/2, s^2)
    + softplus(d x / s^2): a quadratic, whose expectation is exact, plus the softplus of the Gaussian
    v = d x / s^2 (:func:`_softplus_expectation`).
    """
    d, s = _check(d, s)
    return _expected_logp(np.asarray(mu, dtype=np.float64), np.asarray(sigma, dtype=np.float64), d, s, derivatives)


def _expected_logp(mu, sigma, d, s, derivatives=True):
    """:func:`expected_logp` without the checks; ``d`` may be an array too."""
    k = d / (s * s)
    f, df, df_z = _softplus_expectation(k * mu, k * sigma, derivatives)
    value = (math.log(0.5) - 0.5 * _LOG_2PI - math.log(s) - ((mu + d / 2) ** 2 + sigma * sigma) / (2 * s * s) + f)
    if not derivatives:
        return value, None, None
    d_mu = -(mu + d / 2) / (s * s) + k * df
    d_sigma = -sigma / (s * s) + k * df_z
    return value, d_mu, d_sigma


def mixture_entropy(d: float, s: float = 1.0) -> float:
    """H(p) = -E_p log p; p is symmetric, so this is -E log p under either component."""
    d, s = _check(d, s)
    return -float(expected_logp(d / 2, s, d, s, derivatives=False)[0])


def kl_forward(mu: float, sigma: float, d: float, s: float = 1.0) -> float:
    """KL(p || q) for q = N(mu, sigma^2): -H(p) - E_p log q, where E_p log q is exact in p's two moments."""
    mean, var = mixture_moments(d, s)
    cross = 0.5 * _LOG_2PI + math.log(sigma) + (var + (mean - mu) ** 2) / (2.0 * sigma * sigma)
    return cross - mixture_entropy(d, s)


def kl_reverse(mu, sigma, d: float, s: float = 1.0):
    """KL(q || p) for q = N(mu, sigma^2): -H(q) - E_q log p, with H(q) = 1/2 log(2 pi e sigma^2)."""
    sigma = np.asarray(sigma, dtype=np.float64)
    value = -0.5 * (_LOG_2PI + 1.0) - np.log(sigma) - expected_logp(mu, sigma, d, s, derivatives=False)[0]
    return float(value) if value.ndim == 0 else value


def _kl_reverse_and_grad(theta, d, s):
    """KL(q || p) for the rows (mu, log sigma) of ``theta`` (``d`` one per row), and its gradient in them."""
    mu, log_sigma = theta[:, 0], theta[:, 1]
    sigma = np.exp(log_sigma)
    e, e_mu, e_sigma = _expected_logp(mu, sigma, d, s)
    value = -0.5 * (_LOG_2PI + 1.0) - log_sigma - e
    return value, np.stack([-e_mu, -1.0 - sigma * e_sigma], axis=1)


def _minimise_reverse(theta, d, s, tol=1e-11, max_iter=200):
    """Newton's method on KL(q || p) in (mu, log sigma), for many problems at once (rows of ``theta``).

    The Hessian is the central difference of the exact gradient; its eigenvalues are replaced by their
    absolute values (floored at 1e-8), so that every step goes downhill, steps are at most 1 long, and a
    backtracking line search keeps the divergence falling.  A row stops when its gradient is below ``tol``.
    Returns ``(theta, value, gradient)``.
    """
    theta = np.array(theta, dtype=np.float64)
    d = np.broadcast_to(np.asarray(d, dtype=np.float64), theta.shape[:1]).copy()
    value, grad = _kl_reverse_and_grad(theta, d, s)
    active = np.max(np.abs(grad), axis=1) > tol
    h = 1e-5
    for _ in range(max_iter):
        if not active.any():
            break
        th, dd, g = theta[active], d[active], grad[active]
        H = np.empty((th.shape[0], 2, 2))
        for j in range(2):
            e = np.zeros(2)
            e[j] = h
            H[:, :, j] = (_kl_reverse_and_grad(th + e, dd, s)[1] - _kl_reverse_and_grad(th - e, dd, s)[1]) / (2 * h)
        lam, vec = np.linalg.eigh(0.5 * (H + H.transpose(0, 2, 1)))
        lam = np.maximum(np.abs(lam), 1e-8)
        step = -np.einsum("nij,nj,nkj,nk->ni", vec, 1.0 / lam, vec, g)
        norm = np.linalg.norm(step, axis=1, keepdims=True)
        step = step / np.maximum(norm, 1.0)
        slope = np.sum(g * step, axis=1)
        t = np.ones(th.shape[0])
        f0 = value[active]
        new, new_value, new_grad = th, f0, g
        todo = np.ones(th.shape[0], bool)
        for _ in range(40):  # backtracking, row by row
            trial = th + t[:, None] * step
            tv, tg = _kl_reverse_and_grad(trial, dd, s)
            # Armijo's test, with room for the round-off of a value near 1 (1e-13): close to the minimum a
            # Newton step changes the value by less than that, and the gradient decides
            ok = todo & (tv <= f0 + 1e-4 * t * slope + 1e-13)
            new = np.where(ok[:, None], trial, new)
            new_value = np.where(ok, tv, new_value)
            new_grad = np.where(ok[:, None], tg, new_grad)
            todo &= ~ok
            if not todo.any():
                break
            t = np.where(todo, 0.5 * t, t)
        stuck = todo  # no decrease found: at the minimum to round-off
        idx = np.flatnonzero(active)
        theta[idx], value[idx], grad[idx] = new, new_value, new_grad
        active[idx] = ~stuck & (np.max(np.abs(new_grad), axis=1) > tol) & (norm[:, 0] > 1e-14)
    return theta, value, grad


def forward_fit(d: float, s: float = 1.0):
    """The q = N(mu, sigma^2) minimising KL(p || q): moment matching, ``(mu, sigma) = (0, sqrt(s^2 + d^2/4))``.

    Setting the derivatives of -E_p log q = 1/2 log(2 pi sigma^2) + (Var_p + (E_p x - mu)^2) / (2 sigma^2)
    to zero gives mu = E_p x, then sigma^2 = Var_p; H(p) does not depend on q.
    """
    mean, var = mixture_moments(d, s)
    return mean, math.sqrt(var)


def reverse_fits(d_values, s: float = 1.0):
    """The q = N(mu, sigma^2) minimising KL(q || p), numerically, for each separation in ``d_values``.

    Newton's method on (mu, log sigma) with the exact gradient (:func:`expected_logp`;
    :func:`_minimise_reverse`), from three starts: the left mode (mu = -d/2, sigma = s), the middle
    (mu = 0 with the forward fit's sigma) and the right mode.  Returns one dict per separation with
    ``mu``, ``sigma``, ``kl`` (the smallest KL(q || p)), ``start`` (``"middle"``, ``"left mode"`` or
    ``"right mode"``: where the best run began) and ``runs`` (every start's result).  The two modes are
    mirror images, so their fits tie; a tie goes to the middle, then to the right mode, so that the
    result does not depend on round-off.
    """
    ds = [_check(d, s)[0] for d in np.atleast_1d(d_values)]
    s = _check(0.0, s)[1]
    names = ("left mode", "middle", "right mode")
    theta, dcol = [], []
    for d in ds:
        for m0, s0 in ((-d / 2, s), forward_fit(d, s), (d / 2, s)):
            theta.append((m0, math.log(s0)))
            dcol.append(d)
    theta, value, grad = _minimise_reverse(np.array(theta), np.array(dcol), s)
    out = []
    for i, d in enumerate(ds):
        runs = {name: {"mu": float(theta[3 * i + j, 0]), "sigma": math.exp(float(theta[3 * i + j, 1])),
                       "kl": float(value[3 * i + j]), "gradient": float(np.max(np.abs(grad[3 * i + j])))}
                for j, name in enumerate(names)}
        best = min(run["kl"] for run in runs.values())
        # within 1e-9 of the best counts as a tie (the mirror-image modes)
        name = next(n for n in ("middle", "right mode", "left mode") if runs[n]["kl"] <= best + 1e-9)
        out.append({**runs[name], "start": name, "runs": runs})
    return out


def reverse_fit(d: float, s: float = 1.0):
    """:func:`reverse_fits` for one separation ``d``."""
    return reverse_fits([d], s)[0]


def profiles(d: float, mu, s: float = 1.0, n_sigma: int = 36, sigma_range=(0.25, 6.0)):
    """For each mean in ``mu``: the smallest KL(p || q) and the smallest KL(q || p) over sigma.

    The forward one is exact (sigma^2 = Var_p + mu^2); the reverse one is the minimum over a log-spaced
    grid of sigma, refined by a parabola through the three points around it (good to a few 1e-3, for a
    picture).  p is symmetric, so both depend on |mu| only, and each |mu| is computed once.
    Returns ``(forward, reverse)`` as arrays shaped like ``mu``.
    """
    d, s = _check(d, s)
    mu = np.asarray(mu, dtype=np.float64)
    mean, var = mixture_moments(d, s)
    sig2 = var + (mean - mu) ** 2
    forward = 0.5 * (_LOG_2PI + np.log(sig2) + 1.0) - mixture_entropy(d, s)
    ls = np.linspace(math.log(sigma_range[0]), math.log(sigma_range[1]), int(n_sigma))
    half, back = np.unique(np.round(np.abs(mu), 12), return_inverse=True)
    f = kl_reverse(half[:, None], np.exp(ls)[None, :], d, s)
    i = np.clip(np.argmin(f, axis=1), 1, ls.size - 2)
    rows = np.arange(half.size)
    f0, f1, f2 = f[rows, i - 1], f[rows, i], f[rows, i + 1]
    curv = f0 - 2 * f1 + f2
    shift = np.where(curv > 0, 0.5 * (f0 - f2) / np.where(curv > 0, curv, 1.0), 0.0)
    reverse = np.minimum(f1 - 0.25 * (f0 - f2) * shift, f.min(axis=1))
    return forward, reverse[back.reshape(mu.shape)]


def grid_kl(mu: float, sigma: float, d: float, s: float = 1.0, x=None):
    """``(KL(p || q), KL(q || p))`` of the two densities sampled on a uniform grid of x and normalised:
    ``nnkernel.losses.kl_divergence`` of the discrete distributions (a Riemann sum of the integral).

    The default grid, 4001 points over mean +- 12 standard deviations of p and of q, puts the error of
    the sum far below 1e-6, as long as each density stays above e^-100 wherever the other has mass:
    nnkernel clamps log at -100, as PyTorch does (a wide q against well-separated modes breaks this).
    """
    d, s = _check(d, s)
    if x is None:
        _, var = mixture_moments(d, s)
        half = 12.0 * max(math.sqrt(var), sigma) + abs(mu)
        x = np.linspace(-half, half, 4001)
    p = np.exp(mixture_logpdf(x, d, s))
    q = np.exp(gauss_logpdf(x, mu, sigma))
    p, q = (p / p.sum())[None, :], (q / q.sum())[None, :]
    return float(nk.losses.kl_divergence(p, q)), float(nk.losses.kl_divergence(q, p))


# ----------------------------------------------------------------------------- the explorer
class KLFitExplorer(Explorer):
    """A two-mode mixture p and the Gaussians that minimise KL(p‖q) and KL(q‖p) (left), and the smallest KL over σ against q's mean μ (right).

    One slider, the separation ``d`` of the two modes (0 to ``d_max`` in steps of ``d_step``); each
    component has spread ``s``.  Both fits are computed for every slider value when the explorer is made
    (:func:`forward_fit`, :func:`reverse_fit`, :func:`profiles`), so a slider step only updates lines.

    Attributes after every update: ``d``, ``fits`` (``{"forward": (mu, sigma), "reverse": (mu, sigma)}``),
    ``kl`` (``{(fit, direction): value}``, directions ``"p||q"`` and ``"q||p"``) and ``reverse`` (the
    :func:`reverse_fit` result).
    """

    figsize = (9.0, 3.7)
    page_name = "kl_fit"

    def __init__(self, d: float = 3.0, s: float = 1.0, d_max: float = 8.0, d_step: float = 0.25, **kwargs):
        d, s = _check(d, s)
        if not (d_step > 0 and d_max > 0):
            raise ValueError(f"d_max and d_step must be > 0, got {d_max!r} and {d_step!r}")
        n = int(round(d_max / d_step))
        k = d / d_step
        if d > d_max + 1e-9 or abs(k - round(k)) > 1e-9:
            raise ValueError(f"d must be a multiple of d_step={d_step} in [0, {d_max}], got {d!r}")
        self.s, self._d0, self.d_step = s, d, float(d_step)
        self.d_grid = np.arange(n + 1) * self.d_step
        self.x = np.linspace(-(self.d_grid[-1] / 2 + 4 * s), self.d_grid[-1] / 2 + 4 * s, 481)
        self.mu_grid = np.linspace(-(self.d_grid[-1] / 2 + 2 * s), self.d_grid[-1] / 2 + 2 * s, 61)
        # every slider value's fits and divergences, computed once
        self.table = []
        for dd, rev in zip(self.d_grid, reverse_fits(self.d_grid, s)):
            fwd = forward_fit(dd, s)
            fits = {"forward": fwd, "reverse": (rev["mu"], rev["sigma"])}
            kl = {}
            for name, (m, sg) in fits.items():
                kl[(name, "p||q")] = kl_forward(m, sg, dd, s)
                kl[(name, "q||p")] = kl_reverse(m, sg, dd, s)
            prof = profiles(dd, self.mu_grid, s)
            self.table.append({"fits": fits, "kl": kl, "reverse": rev, "profiles": prof})
        super().__init__(**kwargs)

    def build(self):
        ax_p, ax_k = self.fig.subplots(1, 2, width_ratios=[1.25, 1.0])
        self.ax_p, self.ax_k = ax_p, ax_k
        (self.line_p,) = ax_p.plot(self.x, 0 * self.x, color=FIT_COLORS["p"], lw=3.2,
                                   label="target p")
        (self.line_f,) = ax_p.plot(self.x, 0 * self.x, color=FIT_COLORS["forward"], ls="--", lw=2.2,
                                   label="forward fit: q minimising KL(p‖q)")
        (self.line_r,) = ax_p.plot(self.x, 0 * self.x, color=FIT_COLORS["reverse"], ls="-.", lw=2.2,
                                   label="reverse fit: q minimising KL(q‖p)")
        ax_p.set_xlim(self.x[0], self.x[-1])
        ax_p.set_ylim(0.0, 0.5 / self.s)
        ax_p.set_xlabel("x")
        ax_p.set_ylabel("density")
        ax_p.set_title("Forward KL covers both modes; reverse KL may pick one")

        (self.prof_f,) = ax_k.plot(self.mu_grid, 0 * self.mu_grid, color=FIT_COLORS["forward"], ls="--", lw=2.0)
        (self.prof_r,) = ax_k.plot(self.mu_grid, 0 * self.mu_grid, color=FIT_COLORS["reverse"], ls="-.", lw=2.0)
        (self.dot_f,) = ax_k.plot([0], [0], "o", ms=7, color=FIT_COLORS["forward"])
        (self.dot_r,) = ax_k.plot([0], [0], "s", ms=7, color=FIT_COLORS["reverse"])
        ax_k.set_xlim(self.mu_grid[0], self.mu_grid[-1])
        ax_k.set_ylim(0.0, 2.0)
        ax_k.set_xlabel("mean μ of q")
        ax_k.set_ylabel("smallest KL over σ (nats)")
        ax_k.set_title("Reverse KL's valley splits in two")
        self.fig.legend(handles=[self.line_p, self.line_f, self.line_r], loc="outside lower center",
                        ncols=2 if self.presentation else 3, fontsize=legend_size())
        self.animated = [self.line_p, self.line_f, self.line_r, self.prof_f, self.prof_r, self.dot_f, self.dot_r]
        self.readout = W.HTML(layout=W.Layout(margin="0 0 0 1em"))
        self.controls["d"] = W.FloatSlider(value=self._d0, min=0.0, max=float(self.d_grid[-1]), step=self.d_step,
                                           description="separation d", continuous_update=True, readout_format=".2f")

    def _entry(self, d: float) -> dict:
        i = int(round(float(d) / self.d_step))
        if not 0 <= i < len(self.table) or abs(i * self.d_step - float(d)) > 1e-6:
            raise ValueError(f"d = {d!r} is not on the slider's grid")
        return self.table[i]

    def redraw(self, values):
        d = float(values["d"])
        entry = self._entry(d)
        self.d, self.fits, self.kl, self.reverse = d, entry["fits"], entry["kl"], entry["reverse"]
        self.line_p.set_ydata(np.exp(mixture_logpdf(self.x, d, self.s)))
        for line, name in ((self.line_f, "forward"), (self.line_r, "reverse")):
            line.set_ydata(np.exp(gauss_logpdf(self.x, *self.fits[name])))
        fwd, rev = entry["profiles"]
        self.prof_f.set_ydata(fwd)
        self.prof_r.set_ydata(rev)
        mf, mr = self.fits["forward"][0], self.fits["reverse"][0]
        self.dot_f.set_data([mf], [self.kl[("forward", "p||q")]])
        self.dot_r.set_data([mr], [self.kl[("reverse", "q||p")]])
        self.readout.value = self._readout_text()

    def _readout_text(self) -> str:
        d, kl = self.d, self.kl
        (mf, sf), (mr, sr) = self.fits["forward"], self.fits["reverse"]
        where = self.reverse["start"]
        if where == "middle":
            verdict = "the reverse fit sits between the modes and covers both, like the forward fit"
        else:
            verdict = (f"the reverse fit has locked onto the {where} at x = {d / 2:.2f} "
                       f"(the other mode's mirror-image fit is as good)")
        modes = "two modes" if d > 2 * self.s else f"one mode (d ≤ {2 * self.s:g})"
        return (f"p has {modes}; {verdict}<br>"
                f"<b>forward fit</b> (moment matching) μ = {_num(mf, 2)}, σ = {_num(sf, 2)}: "
                f"KL(p‖q) = <b>{_num(kl[('forward', 'p||q')], 3)}</b>, "
                f"KL(q‖p) = {_num(kl[('forward', 'q||p')], 3)}<br>"
                f"<b>reverse fit</b> (best of 3 starts) μ = {_num(mr, 2)}, σ = {_num(sr, 2)}: "
                f"KL(p‖q) = {_num(kl[('reverse', 'p||q')], 3)}, "
                f"KL(q‖p) = <b>{_num(kl[('reverse', 'q||p')], 3)}</b>.")

    def control_box(self) -> W.Widget:
        """The slider, with both fits and their divergences beside it."""
        return W.HBox([self.controls["d"], self.readout], layout=W.Layout(flex_flow="row wrap", align_items="center"))
