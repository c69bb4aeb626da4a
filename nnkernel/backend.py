"""The backend switch: where nnkernel makes new arrays.

Kernel functions compute in the namespace of the arrays they are given
(through ``array_api_compat.array_namespace``), so one code path serves NumPy,
CuPy and any array-API library.  The *active backend* only decides where new
arrays (data sets, parameters) are created: ``asarray`` puts an array there and
``to_numpy`` brings any array back to the host, for plotting.

The backend is chosen with :func:`use` or, before import, with the environment
variable ``NNKERNEL_BACKEND`` (``numpy``, ``cupy`` or ``auto``).
"""
from __future__ import annotations

import os

import numpy as np
from array_api_compat import array_namespace, is_array_api_obj

BACKENDS = ("numpy", "cupy", "auto")

_CUPY_HELP = (
    "Install CuPy for your CUDA version, for example `pip install cupy-cuda12x` "
    "(or `pip install -e .[gpu]` from the repository), on a machine with an NVIDIA GPU."
)

_active = {"name": "numpy", "module": np}


def _load_cupy():
    """Return the cupy module if CuPy imports and sees a GPU; else raise RuntimeError."""
    try:
        import cupy
    except ImportError as exc:  # pragma: no cover - depends on the machine
        raise RuntimeError(f"the 'cupy' backend needs CuPy, which is not installed. {_CUPY_HELP}") from exc
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # pragma: no cover - depends on the machine
        raise RuntimeError(f"CuPy is installed but found no usable GPU ({exc}). {_CUPY_HELP}") from exc
    if count < 1:  # pragma: no cover - depends on the machine
        raise RuntimeError(f"CuPy is installed but found no GPU. {_CUPY_HELP}")
    return cupy


def gpu_available() -> bool:
    """True when CuPy imports and sees at least one GPU."""
    try:
        _load_cupy()
    except RuntimeError:
        return False
    return True


def use(name: str = "numpy", *, verbose: bool = True) -> str:
    """Choose the active backend: ``"numpy"``, ``"cupy"`` or ``"auto"``.

    ``"cupy"`` raises a RuntimeError saying how to install CuPy when it or a GPU
    is missing; ``"auto"`` takes CuPy when it can and otherwise falls back to
    NumPy, printing one line that says so (unless ``verbose=False``).
    Returns the name of the backend now active.
    """
    if not isinstance(name, str):
        raise TypeError(f"backend name must be one of {', '.join(map(repr, BACKENDS))}, got {name!r}")
    if not isinstance(verbose, bool):
        raise TypeError(f"verbose must be True or False, got {verbose!r}")
    key = name.strip().lower()
    if key not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}; valid backends are {', '.join(map(repr, BACKENDS))}")
    if key == "numpy":
        _active.update(name="numpy", module=np)
    elif key == "cupy":
        _active.update(name="cupy", module=_load_cupy())
    else:
        try:
            _active.update(name="cupy", module=_load_cupy())
        except RuntimeError as exc:
            _active.update(name="numpy", module=np)
            if verbose:
                print(f"nnkernel: GPU backend unavailable ({str(exc).split('. ')[0]}); using NumPy.")
    return _active["name"]


def backend_name() -> str:
    """The name of the active backend, ``"numpy"`` or ``"cupy"``."""
    return _active["name"]


def xp():
    """The array namespace of the active backend (the module new arrays come from)."""
    return array_namespace(_active["module"].empty(0))


def asarray(a, dtype=None):
    """Put ``a`` on the active backend; Python numbers and lists become float64 arrays."""
    module = _active["module"]
    if dtype is None and not is_array_api_obj(a):
        probe = np.asarray(a)
        if probe.dtype.kind not in "biufc":  # None, strings, objects: refused, not turned into NaN
            raise TypeError(f"asarray: a must be a number, a nested list of numbers or an array, "
                            f"got {type(a).__name__} {a!r:.60}")
        dtype = np.float64 if probe.dtype.kind in "biu" else probe.dtype
    if module is not np and not is_array_api_obj(a):
        return module.asarray(np.asarray(a, dtype=dtype))
    if module is not np and type(a).__module__.startswith("numpy"):
        return module.asarray(a, dtype=dtype)
    if module is np and is_array_api_obj(a) and not isinstance(a, np.ndarray):
        return np.asarray(to_numpy(a), dtype=dtype)
    return module.asarray(a, dtype=dtype)


def to_numpy(a) -> np.ndarray:
    """Bring an array from any backend to a NumPy array on the host (for plotting)."""
    if isinstance(a, np.ndarray):
        return a
    if hasattr(a, "get") and type(a).__module__.startswith("cupy"):
        return a.get()
    if is_array_api_obj(a):
        try:
            return np.from_dlpack(a)
        except Exception:
            return np.asarray(a)
    return np.asarray(a)


def _initial():
    name = os.environ.get("NNKERNEL_BACKEND", "").strip()
    if name:
        if name.lower() not in BACKENDS:
            raise ValueError(f"environment variable NNKERNEL_BACKEND={name!r} is not a backend; "
                             f"use one of {', '.join(map(repr, BACKENDS))} (or leave it unset for numpy)")
        try:
            use(name)
        except RuntimeError as exc:
            raise RuntimeError(f"environment variable NNKERNEL_BACKEND={name!r}: {exc}") from None


_initial()
