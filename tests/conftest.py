"""Shared fixtures for the nnkernel test suite.

* ``xp``  -- the array namespace under test: NumPy (through array_api_compat),
  array_api_strict (catches anything that is not portable array-API code) and
  CuPy (skipped cleanly unless CuPy sees a GPU).
* ``arr`` -- makes float64 arrays in that namespace from Python lists or NumPy arrays.
* every test starts and ends on the NumPy backend.

Results come back to the host with ``nnkernel.to_numpy``.
"""
from __future__ import annotations

import functools

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

import nnkernel as nk

settings.register_profile(
    "nnkernel",
    deadline=None,
    max_examples=60,
    derandomize=True,  # the same examples every run: reproducible, no flaky CI
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.load_profile("nnkernel")


def pytest_configure(config):
    config.addinivalue_line("markers", "gpu: needs CuPy and an NVIDIA GPU (skipped otherwise)")


@functools.lru_cache(maxsize=None)
def _gpu() -> bool:
    return nk.gpu_available()


BACKEND_PARAMS = ["numpy", "array_api_strict", pytest.param("cupy", marks=pytest.mark.gpu)]


@pytest.fixture(autouse=True)
def _numpy_backend():
    """Every test starts on the NumPy backend and leaves it there."""
    nk.use("numpy", verbose=False)
    yield
    nk.use("numpy", verbose=False)


@pytest.fixture
def gpu_available():
    return _gpu()


@pytest.fixture(params=BACKEND_PARAMS)
def xp(request):
    """The array namespace the kernel is exercised in."""
    name = request.param
    if name == "numpy":
        import array_api_compat.numpy as ns

        yield ns
    elif name == "array_api_strict":
        ns = pytest.importorskip("array_api_strict")
        yield ns
    else:
        if not _gpu():
            pytest.skip("CuPy backend needs CuPy and a GPU (nnkernel.gpu_available() is False)")
        import array_api_compat.cupy as ns  # pragma: no cover - needs a GPU

        nk.use("cupy")  # pragma: no cover - so that new arrays (finite differences) land on the GPU too
        yield ns  # pragma: no cover


@pytest.fixture
def arr(xp):
    """``arr(data, dtype="float64")``: an array in the namespace under test."""

    def make(data, dtype="float64"):
        host = np.asarray(nk.to_numpy(data))
        if dtype is None:
            return xp.asarray(host)
        return xp.asarray(host.astype(dtype), dtype=getattr(xp, np.dtype(dtype).name))

    return make
