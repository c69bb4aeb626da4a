"""The activation explorer: pick an activation, move its parameter, watch g and g' change."""
from __future__ import annotations

import ipywidgets as W
import numpy as np

import nnkernel as nk
from nnkernel.activations import REGISTRY

from .base import Explorer
from .style import COLORS

#: the activations the explorer offers: every elementwise one in the kernel's registry
CHOICES = [name for name, info in REGISTRY.items() if info.elementwise]
#: one slider per parameter any of the choices takes (linear's m, the alphas, swish's beta)
SLIDERS = ("alpha", "beta", "m")


def _param_label(info, values):
    parts = [f"{p.name} = {values[p.name]:.2f}" for p in info.params if p.name in values]
    return info.label + (" (" + ", ".join(parts) + ")" if parts else "")


class ActivationExplorer(Explorer):
    """Function (left) and derivative (right) of one activation against its input z.

    Controls: ``activation`` (a dropdown of the registry's elementwise
    activations), ``alpha`` (leaky ReLU, PReLU, ELU), ``beta`` (swish) and
    ``m`` (linear's slope); a slider that does not apply to the chosen
    activation is disabled.  The grey
    dashed curves show the same activation at its default parameters.
    """

    figsize = (8.0, 3.2)
    page_name = "activations"

    def __init__(self, activation: str = "elu", z_max: float = 5.0, n_points: int = 401, **kwargs):
        if activation not in CHOICES:
            raise ValueError(f"activation must be one of {', '.join(CHOICES)}, got {activation!r}")
        self._initial = activation
        self.z = np.linspace(-z_max, z_max, n_points)
        self._z = nk.asarray(self.z)
        self._zero = nk.asarray(np.zeros(1))
        self._limits: dict[str, tuple] = {}
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
            ax.legend(loc="upper left")
        self.animated = [self.line_f, self.line_d]
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
                slider.disabled = True
                continue
            lo, hi, step = spec.slider
            # one message to the browser: sent as separate changes, the front end clamped the value to the
            # old range and sent it back (ELU -> leaky ReLU showed alpha = 0.50, the old maximum)
            with slider.hold_sync():
                slider.disabled = False
                # widen first so that min/max/value can be set in any order
                slider.min, slider.max = min(lo, slider.min), max(hi, slider.max)
                slider.step, slider.value = step, spec.default
                slider.min, slider.max = lo, hi

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
        text = (f"<b>{_param_label(info, values)}</b>: g(0) = {g0:.3g}, g'(0) = {d0:.3g}; "
                f"g runs from {f.min():.3g} to {f.max():.3g} on the plot")
        self.readout.value = text.replace("-", "−")
