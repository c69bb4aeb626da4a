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

__all__ = ["Explorer", "ActivationExplorer", "CoinExplorer", "GaussianNoiseExplorer", "HuberExplorer", "BatchNormExplorer", "EWMAExplorer", "InitExplorer", "OptimizerExplorer", "style", "plots", "dark", "tables"]
