"""nnkernel: the numeric kernel of the textbook.

Activations, losses and gradient checks that compute in the namespace of their
input arrays (NumPy, CuPy, any array-API library), with a backend switch that
decides where new arrays are made::

    import nnkernel as nk
    nk.use("numpy")                      # or "cupy", or "auto"
    z = nk.asarray([-2.0, 0.0, 2.0])
    nk.activations.sigmoid(z)

On large NumPy arrays the activations and losses with costly formulas run as
fused multithreaded loops (``nnkernel.fused``, with Numba installed); the
results agree with the array-API formulas to round-off.
"""
from . import activations, data, fused, init, layers, losses, models, optim
from .ewma import ewma, ewma_weights
from .backend import BACKENDS, asarray, backend_name, gpu_available, to_numpy, use, xp
from .gradcheck import GradcheckResult, gradcheck, numerical_derivative, numerical_gradient

__version__ = "0.1.0"

__all__ = [
    "activations", "losses", "data", "fused", "init", "layers", "models", "optim", "BACKENDS", "asarray", "backend_name", "gpu_available", "to_numpy", "use",
    "xp", "ewma", "ewma_weights", "gradcheck", "GradcheckResult", "numerical_derivative", "numerical_gradient",
]
