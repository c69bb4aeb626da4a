"""The EWMA explorer: move beta, toggle bias correction, watch the smoothed series and its weights change.

A seeded, noisy temperature-like series (:func:`nnkernel.data.temperature_series`)
is generated once.  Each control change calls :func:`nnkernel.ewma` (a single
``scipy.signal.lfilter`` pass) and updates the existing artists in place:

* left: the daily temperatures (static dots) and the smoothed series V_t,
  with the last day's effective window, the most recent 1 / (1 - beta) days,
  shaded;
* right: the weight V_T gives to the value k days before the last day,
  (1 - beta) beta^k, or, with bias correction, the same weights divided by
  their sum 1 - beta^T, on a log scale, so the geometric decay is a straight line.
"""
from __future__ import annotations

import math

import ipywidgets as W
import numpy as np

import nnkernel as nk

from .base import Explorer
from .style import COLORS, PALETTE, legend_size

#: colours of the chapter's concepts: the raw series is data (black), the smoothed series V_t the fitted
#: curve (blue), the effective window a highlight
EWMA_COLORS = {
    "raw": COLORS["data"],
    "ewma": COLORS["function"],
    "weights": COLORS["function"],
    "window": COLORS["highlight"],
}

#: one colour per beta for figures that compare several (0.9, the usual default, is the smoothed-curve blue);
#: a bias-corrected curve keeps its beta's colour and is drawn dashed
BETA_COLORS = {0.5: PALETTE["sky"], 0.9: COLORS["function"], 0.98: PALETTE["olive"]}


def station_series(days: int = 365, start_day: int = 182, seed: int = 3):
    """A weather station switched on at ``start_day`` of the year (182: early July), recording ``days`` days.

    Returns ``(day, temperature)`` as NumPy arrays, day = 0, 1, ..., days - 1 counted from the start;
    the temperatures are ``nnkernel.data.temperature_series(start_day + days, seed)`` from ``start_day`` on.
    """
    if int(days) < 2 or int(start_day) < 0:
        raise ValueError(f"days must be >= 2 and start_day >= 0, got {days!r} and {start_day!r}")
    _, temp = nk.data.temperature_series(days=int(start_day) + int(days), seed=seed)
    temp = np.asarray(nk.to_numpy(temp), dtype=np.float64)[int(start_day):]
    return np.arange(int(days), dtype=np.float64), temp


def effective_window(beta: float) -> float:
    """The rule-of-thumb window 1 / (1 - beta), in values (days)."""
    return 1.0 / (1.0 - float(beta))


class EWMAExplorer(Explorer):
    """The smoothed series (left) and the last day's weights (right) for one beta.

    Controls: ``beta`` (a slider, 0 to 0.99) and ``bias_correction`` (a checkbox).
    ``series`` holds the temperatures, ``day`` the day numbers; ``smoothed`` and
    ``weights`` are the data currently plotted.
    """

    figsize = (9.0, 3.5)
    page_name = "ewma"

    def __init__(self, beta: float = 0.9, bias_correction: bool = False, days: int = 365, start_day: int = 182,
                 seed: int = 3, max_lag: int = 150, **kwargs):
        beta = float(beta)
        if not 0.0 <= beta <= 0.99:
            raise ValueError(f"beta must be in [0, 0.99] for the explorer, got {beta!r}")
        self._initial = (beta, bool(bias_correction))
        self.day, self.series = station_series(days, start_day, seed)
        self.start_day = int(start_day)
        self.k = np.arange(min(int(max_lag), len(self.series)), dtype=np.float64)
        self.smoothed = None
        self.weights = None
        super().__init__(**kwargs)

    # -- figure and controls ------------------------------------------------------------------
    def build(self):
        gs = self.fig.add_gridspec(1, 5)
        self.ax_s = self.fig.add_subplot(gs[0, :3])
        self.ax_w = self.fig.add_subplot(gs[0, 3:])
        T = len(self.series)
        self.ax_s.plot(self.day, self.series, ls="none", marker="o", ms=2.2, alpha=0.45, color=EWMA_COLORS["raw"],
                       label="daily temperature $x_t$")
        # the shaded effective window: drawn as a filled band over the full y-range, updated in place
        lo, hi = float(self.series.min()), float(self.series.max())
        pad = 0.06 * (hi - lo)
        self.ax_s.set_ylim(min(lo - pad, -pad), hi + pad)  # 0 stays in view: the uncorrected start is there
        self.ax_s.set_xlim(-0.01 * T, T * 1.01)
        self.span = self.ax_s.axvspan(T - 10, T - 1, color=EWMA_COLORS["window"], alpha=0.18, lw=0,
                                      label="last day's window $1/(1-\\beta)$")
        (self.line_s,) = self.ax_s.plot(self.day, self.series, color=EWMA_COLORS["ewma"], lw=2.2,
                                        label="smoothed $V_t$")
        self.ax_s.axhline(0, color="black", lw=0.6)
        self.ax_s.set_xlabel(f"day since the station started (day {self.start_day} of the year)")
        self.ax_s.set_ylabel("temperature (°C)")
        self.ax_s.legend(loc="upper center", fontsize=legend_size())
        self.ax_s.set_title("Larger β: a smoother curve that trails further behind")

        (self.line_w,) = self.ax_w.plot(self.k, self.k, color=EWMA_COLORS["weights"], marker="o", ms=2.0, lw=1.2,
                                        label="weight of $x_{T-k}$")
        self.vline = self.ax_w.axvline(10, color=EWMA_COLORS["window"], lw=1.6, ls="--",
                                       label="$k = 1/(1-\\beta)$")
        self.ax_w.set_yscale("log")
        self.ax_w.set_ylim(1e-4, 1.5)
        self.ax_w.set_xlim(-2, self.k[-1] + 2)
        self.ax_w.set_xlabel("days before the last day, k")
        self.ax_w.set_ylabel("weight in $V_T$ (log scale)")
        self.ax_w.legend(loc="upper right", fontsize=legend_size())
        self.ax_w.set_title("Weights decay geometrically")
        # only what changes is redrawn per step; the changing numbers go to an HTML readout beside the
        # controls instead of a figure text, since rendering text costs more than all the lines together
        self.animated = [self.span, self.line_s, self.line_w, self.vline]
        self.readout = W.HTML(layout=W.Layout(margin="0 0 0 1em"))

        self.controls["beta"] = W.FloatSlider(value=self._initial[0], min=0.0, max=0.99, step=0.01,
                                              description="beta", continuous_update=True, readout_format=".2f")
        self.controls["bias_correction"] = W.Checkbox(value=self._initial[1], description="bias correction",
                                                      indent=False)

    # -- data ---------------------------------------------------------------------------------
    def compute(self, values: dict):
        """``(smoothed, weights)`` for the controls' values: nk.ewma of the series and the last day's weights."""
        beta, corrected = float(values["beta"]), bool(values["bias_correction"])
        smoothed = np.asarray(nk.to_numpy(nk.ewma(self.series, beta, bias_correction=corrected)))
        T = len(self.series)
        weights = nk.ewma_weights(beta, T)
        if corrected:
            weights = weights / (1.0 - beta ** T)
        return smoothed, weights

    def redraw(self, values):
        beta = float(values["beta"])
        self.smoothed, self.weights = self.compute(values)
        T = len(self.series)
        self.line_s.set_ydata(self.smoothed)
        shown = self.weights[: len(self.k)]
        self.line_w.set_ydata(np.where(shown > 0, shown, np.nan))  # beta = 0: only k = 0 has a weight
        window = effective_window(beta)
        self.span.set_x(T - 1 - window)
        self.span.set_width(window)
        self.vline.set_xdata([window, window])
        n = max(1, math.ceil(window - 1e-9))  # 1 / (1 - 0.9) is 10.000000000000002 in floating point
        share = float(np.sum(self.weights[:n]) / np.sum(self.weights))
        days = f"the last {n} day{'s' if n > 1 else ''}"
        # day 1 shows what bias correction does: without it the average starts at (1 - beta) x_1
        self.readout.value = (f"window 1/(1 − β) = <b>{window:.1f}</b> days; {days} carry <b>{share:.0%}</b> "
                              f"of the weight; the weights sum to <b>{np.sum(self.weights):.3f}</b>; day 1's "
                              f"average <b>{self.smoothed[0]:.1f}</b> °C (reading {self.series[0]:.1f} °C)")

    def control_box(self) -> W.Widget:
        """The slider and the checkbox in a row, with the numbers of the current setting beside them."""
        return W.HBox([self.controls["beta"], self.controls["bias_correction"], self.readout],
                      layout=W.Layout(flex_flow="row wrap", align_items="center"))
