"""The activation explorer: pick an activation, move its parameter, watch g and g' change, and see what a
layer's pre-activations z ~ Normal(mean, spread) do with it: the share of dead and saturated units and the
mean gradient E[g'(z)] that passes back."""
from __future__ import annotations

import math

import ipywidgets as W
import numpy as np
from matplotlib.patches import Polygon

import nnkernel as nk
from nnkernel.activations import REGISTRY

from .base import Explorer
from .style import COLORS

#: the activations the explorer offers: every elementwise one in the kernel's registry
CHOICES = [name for name, info in REGISTRY.items() if info.elementwise]
#: one slider per parameter any of the choices takes (linear's m, the alphas, swish's beta)
SLIDERS = ("alpha", "beta", "m")

#: a unit is saturated where |g'(z)| is below this fraction of the largest |g'| on the plotted range
SATURATION = 0.05
#: the published page's values of the parameter sliders, per activation (the live explorer has every
#: step): with the pre-activations' 5 means x 4 spreads, the full grids (362 settings) would make 7240
#: states; these make 680.  Each holds the activation's default.
PAGE_PARAMS = {
    "linear": {"m": [-1.0, 0.0, 0.5, 1.0, 2.0]},
    "leaky_relu": {"alpha": [0.0, 0.01, 0.1, 0.2, 0.3, 0.5]},
    "prelu": {"alpha": [-0.5, 0.0, 0.25, 0.5, 1.0]},
    "elu": {"alpha": [0.05, 0.5, 1.0, 2.0, 3.0]},
    "swish": {"beta": [0.0, 0.5, 1.0, 2.0, 5.0]},
}
#: the page's pre-activation distributions: 5 means x 4 spreads
PAGE_Z_MEANS = [-3.0, -1.5, 0.0, 1.5, 3.0]
PAGE_Z_SPREADS = [0.5, 1.0, 2.0, 3.0]


def _param_grid(name):
    def values(explorer):
        chosen = explorer.controls["activation"].value
        return PAGE_PARAMS.get(chosen, {}).get(name, [explorer.controls[name].value])
    return values


def _normal_cdf(x):
    return 0.5 * np.array([math.erfc(-v / math.sqrt(2.0)) for v in np.atleast_1d(x)])


#: composite Gauss-Legendre rule on [-1, 1] used for E[g'(z)]
_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(8)


def pre_activation_stats(grad, mean: float, spread: float, gmax: float, *, width: float = 8.0,
                         panels: int = 64, bisections: int = 32) -> dict:
    """For z ~ Normal(mean, spread**2): the fractions of dead units (g'(z) = 0) and saturated ones
    (0 < |g'(z)| < SATURATION * gmax), and the mean gradient E[g'(z)].

    E[g'(z)] = integral of g'(z) phi(z) dz is computed by composite 8-point Gauss-Legendre quadrature on
    ``panels`` equal panels over mean +- ``width`` * spread, the panels split at z = 0 (the only point where
    any activation of the registry has a kink or a jump), so that each panel's integrand is smooth; the
    mass outside the range is below 1.3e-15.  The fractions are P(z in the set) summed over its
    intervals, whose ends are located by bisection on the test itself and weighed with the normal CDF.
    """
    if not spread > 0:
        raise ValueError(f"spread must be positive, got {spread!r}")
    lo, hi = mean - width * spread, mean + width * spread
    edges = np.linspace(lo, hi, panels + 1)
    if lo < 0 < hi:
        edges = np.unique(np.append(edges, 0.0))
    a, b = edges[:-1, None], edges[1:, None]
    nodes = (0.5 * (b - a) * _GL_NODES + 0.5 * (a + b)).ravel()
    weights = (0.5 * (b - a) * _GL_WEIGHTS).ravel()
    density = np.exp(-0.5 * ((nodes - mean) / spread) ** 2) / (spread * math.sqrt(2 * math.pi))
    mean_grad = float(np.sum(weights * density * grad(nodes)))

    def fraction(test):
        zs = np.linspace(lo, hi, 4097)
        inside = test(zs)
        flips = np.flatnonzero(inside[1:] != inside[:-1])
        left, right = zs[flips].copy(), zs[flips + 1].copy()
        for _ in range(bisections):  # each flip's point, to 16 / 4096 / 2^32 ~ 1e-12 of the spread
            mid = 0.5 * (left + right)
            same = test(mid) == inside[flips]
            left, right = np.where(same, mid, left), np.where(same, right, mid)
        bounds = np.concatenate([[-np.inf], 0.5 * (left + right), [np.inf]])
        # the state of each interval: the value at its first grid point
        states = np.concatenate([[inside[0]], inside[flips + 1]])
        cdf = _normal_cdf((bounds - mean) / spread)
        return float(np.sum((cdf[1:] - cdf[:-1])[states]))

    dead = fraction(lambda z: grad(z) == 0)
    small = fraction(lambda z: np.abs(grad(z)) < SATURATION * gmax) if gmax > 0 else dead
    return {"dead": dead, "saturated": max(small - dead, 0.0), "mean_grad": mean_grad}


def _param_label(info, values):
    parts = [f"{p.name} = {values[p.name]:.2f}" for p in info.params if p.name in values]
    return info.label + (" (" + ", ".join(parts) + ")" if parts else "")


class ActivationExplorer(Explorer):
    """Function (left) and derivative (right) of one activation against its input z, a layer's pre-activations shaded under them.

    Controls: ``activation`` (a dropdown of the registry's elementwise
    activations), ``alpha`` (leaky ReLU, PReLU, ELU), ``beta`` (swish) and
    ``m`` (linear's slope); a slider that does not apply to the chosen
    activation is hidden (and disabled, so that a state leaves it out).  The grey
    dashed curves show the same activation at its default parameters.

    ``z_mean`` and ``z_spread`` set a layer's pre-activations, z ~ Normal(mean,
    spread^2), drawn as a shaded density under the curves; on the derivative
    panel the part of it where units are dead (g'(z) = 0) or saturated
    (|g'(z)| < 5 % of the largest |g'| on the plotted range) is hatched, and a
    dashed line marks the mean gradient E[g'(z)] that passes back
    (:func:`pre_activation_stats`: quadrature, no sampling).
    """

    figsize = (8.0, 3.4)
    #: the reference curves, the axes' ranges and the titles follow the activation (Explorer: a dropdown's drawings are kept)
    static_controls = ("activation",)
    page_name = "activations"
    page_grid = {"alpha": _param_grid("alpha"), "beta": _param_grid("beta"), "m": _param_grid("m"),
                 "z_mean": PAGE_Z_MEANS, "z_spread": PAGE_Z_SPREADS}
    #: the density's height, as a fraction of each panel's y-range
    density_height = 0.3

    def __init__(self, activation: str = "elu", z_max: float = 5.0, n_points: int = 401, **kwargs):
        if activation not in CHOICES:
            raise ValueError(f"activation must be one of {', '.join(CHOICES)}, got {activation!r}")
        self._initial = activation
        self.z = np.linspace(-z_max, z_max, n_points)
        self._z = nk.asarray(self.z)
        self._zero = nk.asarray(np.zeros(1))
        self._limits: dict[str, tuple] = {}
        self._gmax: dict[tuple, float] = {}
        self._stats: dict[tuple, dict] = {}
        super().__init__(**kwargs)

    def build(self):
        self.ax_f, self.ax_d = self.fig.subplots(1, 2)
        (self.line_f,) = self.ax_f.plot(self.z, self.z, color=COLORS["function"], label="g(z)")
        (self.line_d,) = self.ax_d.plot(self.z, self.z, color=COLORS["derivative"], label="g'(z)")
        (self.ref_f,) = self.ax_f.plot(self.z, self.z, color=COLORS["reference"], ls="--", lw=1.2, label="default")
        (self.ref_d,) = self.ax_d.plot(self.z, self.z, color=COLORS["reference"], ls="--", lw=1.2, label="default")
        for ax, what in ((self.ax_f, "g(z)"), (self.ax_d, "g'(z)")):
            ax.set_xlabel("pre-activation z")
            ax.set_ylabel(what)
            ax.axhline(0, color="black", lw=0.6)
            ax.axvline(0, color="black", lw=0.6)
        # the pre-activations' density under the curves (both panels), its dead or saturated part hatched
        self.density = []
        for ax, label in ((self.ax_f, "density of z"), (self.ax_d, "_density of z")):
            patch = Polygon(np.zeros((3, 2)), closed=True, facecolor=COLORS["reference"], alpha=0.3,
                            edgecolor="none", zorder=0.5, label=label)
            ax.add_patch(patch)
            self.density.append(patch)
        self.stuck = Polygon(np.zeros((3, 2)), closed=True, facecolor="none", edgecolor=COLORS["highlight"],
                             hatch="////", lw=0, zorder=0.6, label="dead or saturated")
        self.ax_d.add_patch(self.stuck)
        (self.mean_line,) = self.ax_d.plot(self.z[[0, -1]], [0, 0], color=COLORS["derivative"], ls=":", lw=1.6,
                                            label="E[g'(z)]")
        self.ax_f.legend(loc="upper left")
        self.ax_d.legend(loc="upper left")
        self.animated = [*self.density, self.stuck, self.line_f, self.line_d, self.mean_line]
        self.readout = W.HTML()
        self.controls["activation"] = W.Dropdown(
            options=[(REGISTRY[n].label, n) for n in CHOICES], value=self._initial, description="activation"
        )
        self.controls["alpha"] = W.FloatSlider(value=0.01, min=0.0, max=0.5, step=0.01, description="alpha",
                                               continuous_update=True, readout_format=".2f")
        self.controls["beta"] = W.FloatSlider(value=1.0, min=0.0, max=5.0, step=0.1, description="beta",
                                              continuous_update=True, readout_format=".2f")
        self.controls["m"] = W.FloatSlider(value=1.0, min=-2.0, max=2.0, step=0.1, description="slope m",
                                           continuous_update=True, readout_format=".2f")
        self.controls["z_mean"] = W.FloatSlider(value=0.0, min=-3.0, max=3.0, step=0.1, description="z mean",
                                                continuous_update=True, readout_format=".1f")
        self.controls["z_spread"] = W.FloatSlider(value=1.0, min=0.1, max=3.0, step=0.1, description="z spread",
                                                  continuous_update=True, readout_format=".1f")
        self.controls["activation"].observe(self._on_activation, names="value")
        self._configure_sliders(self._initial)

    # a new activation: reset the sliders to its parameters, then draw once
    def _on_activation(self, change):
        with self.quietly():
            self._configure_sliders(change["new"])

    def _configure_sliders(self, name):
        specs = {p.name: p for p in REGISTRY[name].params}
        for pname in SLIDERS:
            slider = self.controls[pname]
            spec = specs.get(pname)
            if spec is None:
                # not offered: hidden, and disabled so that a state string and the page leave it out
                slider.disabled = True
                slider.layout.display = "none"
                continue
            slider.layout.display = None
            lo, hi, step = spec.slider
            # one message to the browser: sent as separate changes, the front end clamped the value to the
            # old range and sent it back (ELU -> leaky ReLU showed alpha = 0.50, the old maximum)
            with slider.hold_sync():
                slider.disabled = False
                # widen first so that min/max/value can be set in any order
                slider.min, slider.max = min(lo, slider.min), max(hi, slider.max)
                slider.step, slider.value = step, spec.default
                slider.min, slider.max = lo, hi

    def choice_values(self, values, name, option):
        """A new activation resets its sliders to its parameters' defaults (``_configure_sliders``)."""
        out = super().choice_values(values, name, option)
        if name == "activation":
            out.update({p.name: p.default for p in REGISTRY[option].params})
        return out

    def params(self, values: dict) -> dict:
        """The keyword arguments of the chosen activation for the controls' values."""
        info = REGISTRY[values["activation"]]
        return {p.name: values.get(p.name, p.default) for p in info.params}

    def _curves(self, name, params):
        info = REGISTRY[name]
        return nk.to_numpy(info.fn(self._z, **params)), nk.to_numpy(info.grad(self._z, **params))

    def _ylims(self, name):
        """y-limits that hold the curves over the whole slider range (computed once per activation)."""
        if name not in self._limits:
            info = REGISTRY[name]
            settings = [info.defaults]
            for p in info.params:
                lo, hi, _ = p.slider
                settings += [{**info.defaults, p.name: lo}, {**info.defaults, p.name: hi}]
            lims = []
            for k in range(2):
                ys = np.concatenate([self._curves(name, s)[k] for s in settings])
                lo, hi = float(ys.min()), float(ys.max())
                pad = 0.08 * max(hi - lo, 1e-3)
                lims.append((lo - pad, hi + pad))
            self._limits[name] = tuple(lims)
        return self._limits[name]

    def redraw(self, values):
        name = values["activation"]
        info = REGISTRY[name]
        f, d = self._curves(name, self.params(values))
        self.line_f.set_ydata(f)
        self.line_d.set_ydata(d)
        if getattr(self, "_drawn_name", None) != name:
            rf, rd = self._curves(name, info.defaults)
            self.ref_f.set_ydata(rf)
            self.ref_d.set_ydata(rd)
            (fl, dl) = self._ylims(name)
            self.ax_f.set_ylim(*fl)
            self.ax_d.set_ylim(*dl)
            visible = bool(info.params)
            self.ref_f.set_visible(visible)
            self.ref_d.set_visible(visible)
            self.ax_f.set_title(info.label)
            self.ax_d.set_title(f"derivative of {info.label}")
            self._drawn_name = name
            self.invalidate()
        params = self.params(values)
        g0 = float(nk.to_numpy(info.fn(self._zero, **params))[0])
        d0 = float(nk.to_numpy(info.grad(self._zero, **params))[0])
        mean, spread = float(values["z_mean"]), float(values["z_spread"])
        stats = self.stats(name, params, mean, spread)
        self._draw_density(name, params, mean, spread, d)
        self.mean_line.set_ydata([stats["mean_grad"]] * 2)
        text = (f"<b>{_param_label(info, values)}</b>: g(0) = {g0:.3g}, g'(0) = {d0:.3g}; "
                f"g runs from {f.min():.3g} to {f.max():.3g} on the plot<br>"
                f"z ~ Normal({mean:.1f}, {spread:.1f}²): <b>dead</b> (g' = 0) {_percent(stats['dead'])}, "
                f"<b>saturated</b> (|g'| under {100 * SATURATION:g} % of its largest) {_percent(stats['saturated'])}, "
                f"mean gradient <b>E[g'(z)] = {_number(stats['mean_grad'])}</b>")
        self.readout.value = text.replace("-", "−")

    def gmax(self, name, params) -> float:
        """The largest |g'| on the plotted range (on a grid 20 times finer than the curve's)."""
        key = (name, tuple(sorted(params.items())))
        if key not in self._gmax:
            z = np.linspace(self.z[0], self.z[-1], 20 * (len(self.z) - 1) + 1)
            self._gmax[key] = float(np.max(np.abs(nk.to_numpy(REGISTRY[name].grad(nk.asarray(z), **params)))))
        return self._gmax[key]

    def stats(self, name, params, mean, spread) -> dict:
        """Dead and saturated fractions and E[g'(z)] for z ~ Normal(mean, spread^2) (cached per setting)."""
        key = (name, tuple(sorted(params.items())), round(mean, 10), round(spread, 10))
        if key not in self._stats:
            info = REGISTRY[name]

            def grad(z):
                return nk.to_numpy(info.grad(nk.asarray(np.asarray(z, float)), **params))

            self._stats[key] = pre_activation_stats(grad, mean, spread, self.gmax(name, params))
        return self._stats[key]

    def _draw_density(self, name, params, mean, spread, d):
        z = self.z
        pdf = np.exp(-0.5 * ((z - mean) / spread) ** 2)  # scaled to peak 1 (its shape; the x-axis gives its width)
        gmax = self.gmax(name, params)
        stuck = (d == 0) | (np.abs(d) < SATURATION * gmax)
        for ax, patch in zip((self.ax_f, self.ax_d), self.density):
            lo, hi = ax.get_ylim()
            base, height = lo, self.density_height * (hi - lo)
            patch.set_xy(np.column_stack([np.r_[z[0], z, z[-1]], np.r_[base, base + height * pdf, base]]))
            if patch is self.density[1]:
                top = base + height * np.where(stuck, pdf, 0.0)
                self.stuck.set_xy(np.column_stack([np.r_[z[0], z, z[-1]], np.r_[base, top, base]]))


def _percent(p: float) -> str:
    """A fraction as a percentage with one decimal; "0 %" and "100 %" only when exact, and "under 0.1 %" or
    "over 99.9 %" for what would round to them."""
    if p <= 0:
        return "0 %"
    if p >= 1:
        return "100 %"
    if p < 0.0005:
        return "under 0.1 %"
    if p >= 0.9995:
        return "over 99.9 %"
    return f"{100 * p:.1f} %"


def _number(x: float) -> str:
    """A mean gradient at 3 significant digits (0 when it is below 1e-9 in size)."""
    return "0" if abs(x) < 1e-9 else f"{x:.3g}"
