"""nnkernel.vecmath: each SIMD-friendly function against mpmath at 100 bits (relative error below 1e-11, the
bound its docstring states), its special values, and that a loop over it really compiles to vector code."""
import math

import numpy as np
import pytest

from nnkernel import fused, planner

pytestmark = pytest.mark.skipif(not fused.enabled(), reason="Numba is not installed (or NNKERNEL_FUSED=0)")

mpmath = pytest.importorskip("mpmath")
numba = pytest.importorskip("numba")
vm = pytest.importorskip("nnkernel.vecmath")

BOUND = 1e-11  # relative error; float32's rounding is 6e-8


def _loop(f):
    @numba.njit(error_model="numpy", fastmath=vm.FMA)
    def run(x, out):
        for i in range(x.size):
            out[i] = f(x[i])
    return run


LOOPS = {name: _loop(getattr(vm, name)) for name in vm.__all__}


def _apply(name, x):
    x = np.asarray(x, dtype=np.float64)
    out = np.empty_like(x)
    LOOPS[name](x, out)
    return out


def _points(rng, ranges, n=1500):
    return np.concatenate([rng.uniform(lo, hi, n) for lo, hi in ranges])


#: name -> (mpmath reference, ranges of x where the relative error is measured)
CASES = {
    "exp": (mpmath.exp, [(-707.0, 709.7), (-3.0, 3.0), (-1e-8, 1e-8)]),
    "expm1": (mpmath.expm1, [(-40.0, 40.0), (-0.5, 0.5), (-1e-8, 1e-8)]),
    "log1p": (mpmath.log1p, [(0.0, 1.0), (0.0, 1e-3), (0.0, 1e-12)]),
    "tanh": (mpmath.tanh, [(-20.0, 20.0), (-0.5, 0.5), (-1e-8, 1e-8)]),
    "erfc": (mpmath.erfc, [(-11.0, 11.0), (-1.0, 1.0), (5.0, 11.0)]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_relative_error_against_mpmath(name):
    ref, ranges = CASES[name]
    rng = np.random.default_rng(7)
    x = _points(rng, ranges)
    if name == "log1p":  # down to the smallest float32 values e^{-|z|} takes
        x = np.concatenate([x, 10.0 ** rng.uniform(-300, 0, 500)])
    got = _apply(name, x)
    mpmath.mp.prec = 100
    worst = 0.0
    for xi, yi in zip(x, got):
        r = ref(mpmath.mpf(float(xi)))
        if r == 0:
            assert yi == 0, (name, xi, yi)
            continue
        worst = max(worst, float(abs((mpmath.mpf(float(yi)) - r) / r)))
    assert worst < BOUND, f"{name}: relative error {worst:.3g}"


@pytest.mark.parametrize("name,x,want", [
    ("exp", [np.nan, np.inf, -np.inf, 0.0, -0.0, 710.0, -708.0, 1e300, -1e300],
     [np.nan, np.inf, 0.0, 1.0, 1.0, np.inf, 0.0, np.inf, 0.0]),
    ("expm1", [np.nan, np.inf, -np.inf, 0.0, -0.0, 710.0, -50.0, 1e-320],
     [np.nan, np.inf, -1.0, 0.0, -0.0, np.inf, -1.0, 1e-320]),
    ("log1p", [np.nan, 0.0, -0.0, 1e-320, 1.0], [np.nan, 0.0, -0.0, 1e-320, math.log1p(1.0)]),
    ("tanh", [np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-320, 30.0, -30.0],
     [np.nan, 1.0, -1.0, 0.0, -0.0, 1e-320, 1.0, -1.0]),
    ("erfc", [np.nan, np.inf, -np.inf, 0.0, -0.0, 11.5, -11.5, 1e300],
     [np.nan, 0.0, 2.0, 1.0, 1.0, 0.0, 2.0, 0.0]),
])
def test_special_values(name, x, want):
    got = _apply(name, x)
    np.testing.assert_allclose(got, want, rtol=BOUND, atol=0)
    np.testing.assert_array_equal(np.signbit(got), np.signbit(np.asarray(want, dtype=np.float64)))


@pytest.mark.skipif("avx2" not in planner._machine()[1].split(), reason="the packed-instruction check is written for x86-64 with AVX2")
@pytest.mark.parametrize("name", sorted(CASES))
def test_a_loop_over_it_is_vectorized(name):
    """The point of the module: packed (ymm/zmm) arithmetic, and no call into the C library in the loop."""
    LOOPS[name](np.ones(64), np.empty(64))
    asm = "\n".join(LOOPS[name].inspect_asm().values())
    packed = sum(asm.count(op) for op in ("vmulpd", "vfmadd", "vaddpd"))
    assert packed >= 8, f"{name}: {packed} packed float64 instructions"
    for libm in ("exp@", "expm1@", "log1p@", "tanh@", "erfc@", "call\texp", "call\terfc"):
        assert libm not in asm, f"{name} calls {libm}"
