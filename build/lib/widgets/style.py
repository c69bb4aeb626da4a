"""One visual language for the whole book: the same colour for the same concept.

``COLORS`` maps a concept (function, derivative, data, a loss, an optimizer)
to a colour; ``apply()`` sets matplotlib's defaults for the chapters' static
figures, and ``rc(presentation)`` gives the settings an explorer draws with.
"""
from __future__ import annotations

import matplotlib as mpl

#: concept -> colour (colour-blind-safe Okabe-Ito palette).
COLORS = {
    "function": "#0072B2",   # an activation's value, a fitted curve
    "derivative": "#D55E00",  # its derivative, a gradient
    "reference": "#999999",  # a baseline drawn for comparison
    "data": "#000000",
    "highlight": "#CC79A7",  # outliers, a marked point
    "mse": "#0072B2",
    "mae": "#009E73",
    "huber": "#E69F00",
    "cross_entropy": "#56B4E9",
    "sigmoid": "#0072B2",
    "tanh": "#009E73",
    "relu": "#D55E00",
    "selu": "#E69F00",
}

_BASE = {
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "legend.fontsize": 10,
    "legend.framealpha": 0.85,
    "lines.linewidth": 2.0,
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "savefig.facecolor": "white",
}

_PRESENTATION = {
    "axes.titlesize": 20,
    "axes.labelsize": 18,
    "xtick.labelsize": 15,
    "ytick.labelsize": 15,
    "legend.fontsize": 16,
    "lines.linewidth": 4.0,
}


def rc(presentation: bool = False) -> dict:
    """The matplotlib settings for book figures, enlarged for projection when ``presentation``."""
    out = dict(_BASE)
    if presentation:
        out.update(_PRESENTATION)
    return out


def apply(presentation: bool = False) -> None:
    """Make the book's style matplotlib's default (for a chapter's static figures)."""
    mpl.rcParams.update(rc(presentation))
