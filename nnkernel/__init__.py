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

Agreements between two computations are shown as round-off bounds that print
the same on every CPU: ``nk.agree(a, b)`` (``nnkernel.roundoff``).
"""
from . import activations, data, fused, init, layers, losses, models, optim, playground, regularization, roundoff
from .ewma import ewma, ewma_weights
from .backend import BACKENDS, asarray, backend_name, gpu_available, to_numpy, use, xp
from .roundoff import Agreement, agree, roundoff_bound
from .gradcheck import GradcheckResult, gradcheck, numerical_derivative, numerical_gradient

__version__ = "0.1.0"

__all__ = [
    "activations", "losses", "data", "fused", "init", "layers", "models", "optim", "playground", "regularization",
    "roundoff", "agree",
    "Agreement", "roundoff_bound", "BACKENDS", "asarray", "backend_name", "gpu_available", "to_numpy", "use",
    "xp", "ewma", "ewma_weights", "gradcheck", "GradcheckResult", "numerical_derivative", "numerical_gradient",
]
