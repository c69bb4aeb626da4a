"""Interactive explorers for the textbook's chapters (ipywidgets + matplotlib).

Each explorer owns one figure and its controls and updates its artists in
place when a control moves; see :mod:`widgets.base` for the pattern.
"""
from . import dark, plots, style, tables
from .activations import ActivationExplorer
from .base import Explorer
from .batchnorm import BatchNormExplorer
from .bn_training import BNTrainingExplorer
from .dead_units import DeadUnitsExplorer
from .ewma import EWMAExplorer
from .initialization import InitExplorer
from .kl_fit import KLFitExplorer
from .likelihood import CoinExplorer, GaussianNoiseExplorer
from .logistic_surface import LogisticSurfaceExplorer
from .losses import HuberExplorer
from .momentum_rate import MomentumRateExplorer
from .optimizers import OptimizerExplorer
from .playground import Playground, PlaygroundReplay
from .sigmoid_loss import SigmoidLossExplorer

#: every explorer the book shows, by its demo's name (demos/), with the arguments its demo makes it with
DEMOS = {
    "activations": (ActivationExplorer, {"activation": "leaky_relu"}),
    "dead_units": (DeadUnitsExplorer, {}),
    "coin": (CoinExplorer, {}),
    "gaussian_noise": (GaussianNoiseExplorer, {}),
    "logistic_surface": (LogisticSurfaceExplorer, {}),
    "huber": (HuberExplorer, {}),
    "kl_fit": (KLFitExplorer, {}),
    "sigmoid_loss": (SigmoidLossExplorer, {}),
    "initialization": (InitExplorer, {}),
    "batch_normalization": (BatchNormExplorer, {}),
    "bn_training": (BNTrainingExplorer, {}),
    "ewma": (EWMAExplorer, {}),
    "optimizers": (OptimizerExplorer, {}),
    "momentum_rate": (MomentumRateExplorer, {}),
}

#: the live applications with a demo of their own (tested by their own suites: they train as they play, so
#: the explorers' state-by-state tests do not apply)
APPS = {
    "playground": (Playground, {}),
}

__all__ = ["DEMOS", "APPS", "Playground", "PlaygroundReplay", "Explorer", "ActivationExplorer", "DeadUnitsExplorer", "CoinExplorer", "GaussianNoiseExplorer", "LogisticSurfaceExplorer", "HuberExplorer", "KLFitExplorer", "SigmoidLossExplorer", "BatchNormExplorer", "BNTrainingExplorer", "EWMAExplorer", "InitExplorer", "OptimizerExplorer", "MomentumRateExplorer", "style", "plots", "dark", "tables"]
