"""Explorer update time: control change -> finished redraw (Agg draw and PNG encoding included).

For each explorer, the main control is swept over at least 50 values across
its range; ``timings_ms`` (kept by every explorer) gives the update times.  The
naive approach, re-creating the figure from scratch on every change, is timed
on the same data for comparison.
"""
from __future__ import annotations

import importlib
import io
import statistics

import numpy as np
from matplotlib.figure import Figure

#: (module, class, constructor kwargs, control, values or None for the slider's own range)
EXPLORERS = [
    ("widgets.activations", "ActivationExplorer", {"activation": "elu"}, "alpha", None),
    ("widgets.activations", "ActivationExplorer", {"activation": "swish"}, "beta", None),
    ("widgets.activations", "ActivationExplorer", {"activation": "tanh"}, "z_spread", None),
    ("widgets.dead_units", "DeadUnitsExplorer", {}, "lr", None),
    ("widgets.losses", "HuberExplorer", {}, "delta", None),
    ("widgets.kl_fit", "KLFitExplorer", {}, "d", None),
    ("widgets.sigmoid_loss", "SigmoidLossExplorer", {}, "w0", None),
    ("widgets.likelihood", "CoinExplorer", {}, None, None),
    ("widgets.likelihood", "GaussianNoiseExplorer", {}, "sigma", None),
    ("widgets.logistic_surface", "LogisticSurfaceExplorer", {}, None, None),
    ("widgets.initialization", "InitExplorer", {}, None, None),
    ("widgets.batchnorm", "BatchNormExplorer", {}, "momentum", None),
    ("widgets.bn_training", "BNTrainingExplorer", {}, "lr", None),
    ("widgets.ewma", "EWMAExplorer", {}, "beta", None),
    ("widgets.optimizers", "OptimizerExplorer", {}, "lr", None),
    ("widgets.momentum_rate", "MomentumRateExplorer", {}, "alpha", None),
]


def _sweep_values(control, n=60):
    """At least ``n`` changes across the control's range: up and down its grid of values."""
    if hasattr(control, "options") and not hasattr(control, "min"):
        vals = [o[1] if isinstance(o, tuple) else o for o in control.options]
    else:
        lo, hi = control.min, control.max
        step = getattr(control, "step", None) or (hi - lo) / n
        count = int(round((hi - lo) / step)) + 1
        idx = np.unique(np.round(np.linspace(0, count - 1, min(count, n))).astype(int))
        vals = [lo + i * step for i in idx]
        if type(control).__name__ == "FloatLogSlider":
            vals = [float(control.base ** v) for v in vals]
        elif isinstance(control.value, int) and not isinstance(control.value, bool):
            vals = [int(round(v)) for v in vals]
        else:
            vals = [float(min(max(v, lo), hi)) for v in vals]
    zigzag = list(vals)
    while len(zigzag) < n + 1 and len(vals) > 1:
        zigzag += vals[::-1][1:] if len(zigzag) % 2 else vals[1:]
        vals = vals[::-1]
    return zigzag[: max(n + 1, len(vals))]


def naive_redraw(explorer):
    """Re-create the explorer's current figure from scratch and encode it: the approach explorers avoid."""
    src = explorer.fig
    fig = Figure(figsize=src.get_size_inches(), dpi=explorer.dpi, layout="constrained")
    for ax_src in src.axes:
        spec = ax_src.get_subplotspec()
        if spec is not None:
            rows, cols, first, _ = spec.get_geometry()
            ax = fig.add_subplot(rows, cols, first + 1)
        else:
            ax = fig.add_subplot()
        for line in ax_src.lines:
            ax.plot(*line.get_data(), color=line.get_color(), lw=line.get_linewidth(), ls=line.get_linestyle(),
                    label=line.get_label())
        for coll in ax_src.collections:
            offs = coll.get_offsets()
            if len(offs):
                ax.scatter(offs[:, 0], offs[:, 1], s=12)
        rects = [p for p in ax_src.patches if hasattr(p, "get_width")]
        if rects:
            ax.bar([r.get_x() for r in rects], [r.get_height() for r in rects], [r.get_width() for r in rects],
                   bottom=[r.get_y() for r in rects], align="edge")
        ax.set_title(ax_src.get_title())
        ax.set_xlabel(ax_src.get_xlabel())
        ax.set_ylabel(ax_src.get_ylabel())
        ax.set_xlim(ax_src.get_xlim())
        ax.set_ylim(ax_src.get_ylim())
        if ax_src.get_legend() is not None:
            ax.legend()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def run(results, steps=60):
    import time

    dropdowns(results)

    for module, cls, kwargs, control_name, values in EXPLORERS:
        try:
            Explorer = getattr(importlib.import_module(module), cls)
        except (ImportError, AttributeError):
            print(f"explorers: {module}.{cls} not available; skipped")
            continue
        ex = Explorer(mode="image", **kwargs)
        if control_name is None:  # the first slider the explorer has
            control_name = next(n for n, c in ex.controls.items() if hasattr(c, "min"))
        control = ex.controls[control_name]
        vals = values or _sweep_values(control, steps)
        start = len(ex.timings_ms)
        naive = []
        for v in vals:
            if control.value == v:
                continue
            control.value = v
            t0 = time.perf_counter()
            naive_redraw(ex)
            naive.append((time.perf_counter() - t0) * 1e3)
        t = ex.timings_ms[start:]
        label = f"{cls}.{control_name}" + (f" ({kwargs['activation']})" if "activation" in kwargs else "")
        med, p95 = statistics.median(t), float(np.percentile(t, 95))
        results.add("explorer-update", f"{label} median over {len(t)} steps", med, "ms", goal=15, direction="max",
                    section="explorers")
        results.add("explorer-update", f"{label} p95", p95, "ms", goal=40, direction="max", section="explorers")
        results.add("explorer-update", f"{label} naive re-create median", statistics.median(naive), "ms",
                    section="explorers")
        results.add("explorer-update", f"{label} naive / in place", statistics.median(naive) / med, "ratio",
                    section="explorers")


def dropdowns(results):
    """Kernel side of a dropdown change, per demo explorer with one: its first visit to each option (a full
    layout and drawing), a visit to an option drawn before (the kept static part), and after the kernel
    warmed the options one choice away (Explorer.warm); and each explorer's first slider update after
    it is built (the first update a reader makes)."""
    import ipywidgets as W

    import widgets

    for demo, (cls, kwargs) in widgets.DEMOS.items():
        ex = cls(mode="image", **kwargs)
        slider = next((c for c in ex.controls.values() if hasattr(c, "min") and not c.disabled
                       and not isinstance(c, W.SelectionSlider)), None)
        if slider is not None:
            n = len(ex.timings_ms)
            slider.value = slider.max if slider.value != slider.max else slider.min
            if len(ex.timings_ms) > n:
                results.add("explorer-first-update", f"{demo}: first slider update after building", ex.timings_ms[-1],
                            "ms", goal=100, direction="max", section="explorers")
        names = [n for n in ex.static_controls if isinstance(ex.controls[n], W.Dropdown)]
        if not names:
            continue
        timed = {"first visit": [], "visited before": [], "warmed": []}
        for name in names:
            control = ex.controls[name]
            options = [o[1] if isinstance(o, tuple) else o for o in control.options]
            home = control.value
            for phase, walk in (("first visit", options), ("visited before", options)):
                for option in [*walk, home]:
                    if option != control.value:
                        n = len(ex.timings_ms)
                        control.value = option
                        if len(ex.timings_ms) > n:
                            timed[phase].append(ex.timings_ms[-1])
            ex._statics.clear()
            ex.warm()
            for option in options:
                if option != control.value:
                    n = len(ex.timings_ms)
                    control.value = option
                    if len(ex.timings_ms) > n:
                        timed["warmed"].append(ex.timings_ms[-1])
                    ex.warm()  # the reader pauses: the choices one step away are drawn meanwhile
        for phase, t in timed.items():
            if t:
                results.add("explorer-dropdown", f"{demo}: dropdown change, {phase}, median of {len(t)}",
                            statistics.median(t), "ms", goal=None if phase == "first visit" else 60,
                            direction=None if phase == "first visit" else "max", section="explorers")


#: timed in a fresh interpreter: ``import widgets`` after matplotlib and ipywidgets are already imported
_IMPORT = """
import time
import matplotlib.pyplot, ipywidgets, matplotlib.backends.backend_agg
t0 = time.perf_counter()
import widgets
print(time.perf_counter() - t0)
"""

#: timed in a fresh interpreter: a chapter's set-up cell, as a student runs it first
_SETUP = """
import json, sys, time, io, contextlib
cell = next(c for c in json.load(open(sys.argv[1]))["cells"] if c["cell_type"] == "code")
t0 = time.perf_counter()
with contextlib.redirect_stdout(io.StringIO()):
    exec("".join(cell["source"]), {})
print(time.perf_counter() - t0)
"""


def startup(results, runs=5):
    """How long a live notebook takes to be ready: ``import widgets`` and a chapter's set-up cell, each in a
    fresh interpreter (median of ``runs``; the machine's disk cache is warm after the first)."""
    import glob
    import os
    import subprocess
    import sys

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

    def fresh(code, *args):
        out = subprocess.run([sys.executable, "-c", code, *args], cwd=root, capture_output=True, text=True,
                             check=True)
        return float(out.stdout.strip().splitlines()[-1])

    times = [fresh(_IMPORT) for _ in range(runs)]
    results.add("live-start", "import widgets beyond matplotlib + ipywidgets, median", statistics.median(times),
                "s", goal=0.5, direction="max", section="explorers")
    for path in sorted(glob.glob(os.path.join(root, "lessons", "*.ipynb"))):
        times = [fresh(_SETUP, path) for _ in range(runs)]
        results.add("live-start", f"{os.path.basename(path)} set-up cell, median", statistics.median(times), "s",
                    goal=1.5, direction="max", section="explorers")
