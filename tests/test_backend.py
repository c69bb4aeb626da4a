"""The backend switch: use(), backend_name(), xp(), asarray(), to_numpy(), NNKERNEL_BACKEND."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import array_api_compat.numpy as compat_np
import numpy as np
import pytest

import nnkernel as nk

REPO = Path(__file__).resolve().parents[1]

gpu = pytest.mark.gpu


def no_gpu():
    if nk.gpu_available():
        pytest.skip("tests the behaviour without a GPU; this machine has one")


# ----------------------------------------------------------------------------- use / backend_name
def test_backends_tuple():
    assert nk.BACKENDS == ("numpy", "cupy", "auto")


def test_use_numpy():
    assert nk.use("numpy") == "numpy"
    assert nk.backend_name() == "numpy"
    assert nk.xp() is compat_np


@pytest.mark.parametrize("spelling", ["NumPy", " numpy ", "NUMPY"])
def test_use_is_case_and_space_insensitive(spelling):
    assert nk.use(spelling) == "numpy"
    assert nk.backend_name() == "numpy"


@pytest.mark.parametrize("bad", ["torch", "gpu", "", "np", None, 3])
def test_unknown_backend_lists_the_valid_names(bad):
    # a name that is not a string at all (None, 3) is a TypeError; an unknown string a ValueError
    with pytest.raises(ValueError if isinstance(bad, str) else TypeError) as info:
        nk.use(bad)
    msg = str(info.value)
    assert repr(str(bad)) in msg or repr(bad) in msg
    for name in ("'numpy'", "'cupy'", "'auto'"):
        assert name in msg
    assert nk.backend_name() == "numpy"  # unchanged by the failed call


def test_use_cupy_without_gpu_says_how_to_install():
    no_gpu()
    with pytest.raises(RuntimeError, match=r"pip install cupy") as info:
        nk.use("cupy")
    assert "GPU" in str(info.value) or "CuPy" in str(info.value)
    assert nk.backend_name() == "numpy"  # the failed switch leaves NumPy active


def test_gpu_available_is_bool():
    assert isinstance(nk.gpu_available(), bool)


def test_use_auto_without_gpu_falls_back_with_one_line(capsys):
    no_gpu()
    assert nk.use("auto") == "numpy"
    assert nk.backend_name() == "numpy"
    assert nk.xp() is compat_np
    out = capsys.readouterr()
    lines = out.out.strip().splitlines()
    assert len(lines) == 1, out.out
    assert "numpy" in lines[0].lower()
    assert "gpu" in lines[0].lower() or "cupy" in lines[0].lower()
    assert out.err == ""


def test_use_auto_quiet(capsys):
    no_gpu()
    assert nk.use("auto", verbose=False) == "numpy"
    assert capsys.readouterr().out == ""


def test_use_numpy_prints_nothing(capsys):
    nk.use("numpy")
    assert capsys.readouterr().out == ""


@gpu
def test_use_cupy_with_gpu():  # pragma: no cover - needs a GPU
    if not nk.gpu_available():
        pytest.skip("needs CuPy and a GPU")
    import cupy

    assert nk.use("cupy") == "cupy"
    assert nk.backend_name() == "cupy"
    a = nk.asarray([1, 2, 3])
    assert isinstance(a, cupy.ndarray) and a.dtype == cupy.float64
    back = nk.to_numpy(a)
    assert isinstance(back, np.ndarray)
    np.testing.assert_array_equal(back, [1.0, 2.0, 3.0])
    assert nk.use("auto") == "cupy"
    # NumPy arrays move to the GPU, CuPy arrays stay
    b = nk.asarray(np.float32([1, 2]))
    assert isinstance(b, cupy.ndarray) and b.dtype == cupy.float32


# ----------------------------------------------------------------------------- NNKERNEL_BACKEND
def _import_with_env(value):
    env = dict(os.environ)
    env["NNKERNEL_BACKEND"] = value
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    code = textwrap.dedent(
        """
        import nnkernel
        print("ACTIVE=" + nnkernel.backend_name())
        """
    )
    return subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=60)


def test_env_numpy_honoured_at_import():
    proc = _import_with_env("numpy")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines() == ["ACTIVE=numpy"]


def test_env_auto_honoured_at_import():
    proc = _import_with_env("auto")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    if nk.gpu_available():  # pragma: no cover - needs a GPU
        assert lines[-1] == "ACTIVE=cupy"
    else:
        assert lines[-1] == "ACTIVE=numpy"
        assert len(lines) == 2 and "numpy" in lines[0].lower()  # the one fallback line


def test_env_cupy_without_gpu_fails_at_import_with_help():
    no_gpu()
    proc = _import_with_env("cupy")
    assert proc.returncode != 0
    assert "RuntimeError" in proc.stderr and "pip install cupy" in proc.stderr


def test_env_unknown_fails_at_import():
    proc = _import_with_env("tensorflow")
    assert proc.returncode != 0
    assert "ValueError" in proc.stderr and "'numpy'" in proc.stderr
    assert "NNKERNEL_BACKEND" in proc.stderr  # the error names the variable


def test_env_empty_means_numpy():
    proc = _import_with_env("  ")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ACTIVE=numpy"


# ----------------------------------------------------------------------------- asarray / to_numpy
@pytest.mark.parametrize(
    "data, expected",
    [
        ([1.5, -2.0, 3.25], [1.5, -2.0, 3.25]),
        ([1, 2, 3], [1.0, 2.0, 3.0]),          # Python ints become float64
        ([[1, 2], [3, 4]], [[1.0, 2.0], [3.0, 4.0]]),
        ([True, False], [1.0, 0.0]),           # so do bools
        (7, 7.0),                              # and bare numbers
        (2.5, 2.5),
    ],
)
def test_asarray_from_python_is_float64(data, expected):
    a = nk.asarray(data)
    assert isinstance(a, np.ndarray)
    assert a.dtype == np.float64
    np.testing.assert_array_equal(a, np.asarray(expected, dtype=np.float64))
    back = nk.to_numpy(a)
    assert back.dtype == np.float64
    np.testing.assert_array_equal(back, expected)


def test_asarray_explicit_dtype():
    a = nk.asarray([1, 2, 3], dtype=np.float32)
    assert a.dtype == np.float32
    np.testing.assert_array_equal(a, [1, 2, 3])


def test_asarray_keeps_float32():
    x = np.asarray([0.1, 0.2], dtype=np.float32)
    a = nk.asarray(x)
    assert a.dtype == np.float32
    np.testing.assert_array_equal(a, x)
    assert nk.to_numpy(a).dtype == np.float32


def test_asarray_keeps_dtype_of_existing_arrays():
    # only Python numbers and lists are promoted; an existing array keeps its dtype
    a = nk.asarray(np.arange(3))
    assert a.dtype == np.arange(3).dtype


def test_to_numpy_of_numpy_is_identity():
    x = np.arange(4.0)
    assert nk.to_numpy(x) is x


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64"])
def test_array_api_strict_round_trip(dtype):
    xs = pytest.importorskip("array_api_strict")
    host = np.asarray([[1, -2], [3, 4]], dtype=dtype)
    a = xs.asarray(host, dtype=getattr(xs, dtype))
    back = nk.to_numpy(a)
    assert isinstance(back, np.ndarray)
    assert back.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(back, host)
    on_backend = nk.asarray(a)  # a foreign array is moved to the (NumPy) backend
    assert isinstance(on_backend, np.ndarray)
    assert on_backend.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(on_backend, host)


def test_to_numpy_of_lists_and_scalars():
    np.testing.assert_array_equal(nk.to_numpy([1.0, 2.0]), [1.0, 2.0])
    assert float(nk.to_numpy(np.float64(3.5))) == 3.5
    assert nk.to_numpy(np.float64(3.5)).shape == ()


def test_round_trip_through_backend():
    data = [[0.5, -1.0, 1e-300], [1e300, -0.0, 2.0]]
    np.testing.assert_array_equal(nk.to_numpy(nk.asarray(data)), np.asarray(data))
