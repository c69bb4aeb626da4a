"""Static figures for the chapters, drawn in the book's style (see :mod:`widgets.style`)."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

import nnkernel as nk
from nnkernel.activations import REGISTRY

from .style import COLORS


def activation_panels(names, z=None, params=None, title=None):
    """One column per activation: the function on top, its derivative below.

    ``params`` maps an activation's name to keyword arguments (defaults otherwise).
    Returns the figure.
    """
    z = np.linspace(-5, 5, 801) if z is None else np.asarray(z)
    params = params or {}
    fig, axes = plt.subplots(2, len(names), figsize=(3.2 * len(names), 5.0), squeeze=False, sharex=True,
                             layout="constrained")
    for j, name in enumerate(names):
        info = REGISTRY[name]
        kw = {**info.defaults, **params.get(name, {})}
        f = nk.to_numpy(info.fn(nk.asarray(z), **kw))
        d = nk.to_numpy(info.grad(nk.asarray(z), **kw))
        label = info.label + ("" if not kw else " (" + ", ".join(f"{k}={v:g}" for k, v in kw.items()) + ")")
        axes[0, j].plot(z, f, color=COLORS["function"], label="g(z)")
        axes[1, j].plot(z, d, color=COLORS["derivative"], label="g'(z)")
        axes[0, j].set_title(label)
        axes[1, j].set_xlabel("pre-activation z")
        for ax in axes[:, j]:
            ax.axhline(0, color="black", lw=0.6)
            ax.axvline(0, color="black", lw=0.6)
            ax.legend(loc="upper left")
    axes[0, 0].set_ylabel("g(z)")
    axes[1, 0].set_ylabel("g'(z)")
    if title:
        fig.suptitle(title)
    return fig
