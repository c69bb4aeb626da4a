"""Interactive explorers for the textbook's chapters (ipywidgets + matplotlib).

Each explorer owns one figure and its controls and updates its artists in
place when a control moves; see :mod:`widgets.base` for the pattern.
"""
from . import dark, plots, style, tables
from .activations import ActivationExplorer
from .base import Explorer
from .batchnorm import BatchNormExplorer
from .ewma import EWMAExplorer
from .initialization import InitExplorer
from .likelihood import CoinExplorer, GaussianNoiseExplorer
from .losses import HuberExplorer
from .optimizers import OptimizerExplorer

#: every explorer the book shows, by its demo's name (demos/), with the arguments its demo makes it with
DEMOS = {
    "activations": (ActivationExplorer, {"activation": "leaky_relu"}),
    "coin": (CoinExplorer, {}),
    "gaussian_noise": (GaussianNoiseExplorer, {}),
    "huber": (HuberExplorer, {}),
    "initialization": (InitExplorer, {}),
    "batch_normalization": (BatchNormExplorer, {}),
    "ewma": (EWMAExplorer, {}),
    "optimizers": (OptimizerExplorer, {}),
}

__all__ = ["DEMOS", "Explorer", "ActivationExplorer", "CoinExplorer", "GaussianNoiseExplorer", "HuberExplorer", "BatchNormExplorer", "EWMAExplorer", "InitExplorer", "OptimizerExplorer", "style", "plots", "dark", "tables"]
