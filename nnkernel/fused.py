"""Accelerated paths for large NumPy arrays: fused Numba loops and block-wise NumPy ufuncs.

NumPy evaluates a formula such as e^{-|z|} / (1 + e^{-|z|})^2 one operation at
a time: every operation reads a whole array, allocates a new one and writes it.
On a million elements that memory traffic, not the arithmetic, is the cost.
Two remedies are here, for each formula:

* a fused loop compiled by Numba: one pass that reads z once, writes the
  result once and splits the array across the cores.  For float32 arrays it
  computes in float64 with :mod:`nnkernel.vecmath` (exp, expm1, log1p, tanh
  and erfc as arithmetic that compiles to SIMD instructions) and rounds once;
  for float64 it calls the C library (within about an ulp, one element
  at a time);
* the same NumPy ufuncs as the array-API formula, evaluated block by block
  (``BLOCK`` elements, so the temporaries stay in the cache) into ``out=``
  buffers, on one thread or split over a small thread pool (NumPy releases
  the GIL): NumPy's SIMD functions without the memory traffic.

Which one is fastest depends on the CPU (SIMD width, cores, libm), so
``nnkernel.planner`` times the candidates once per kernel, dtype and size
class on the machine and remembers the choice.

These kernels accelerate, they do not define: ``activations.py`` and
``losses.py`` state every formula in array-API code, which is what runs on
CuPy, on other array libraries and on small NumPy arrays, and the tests check
that all paths agree to round-off (the block-wise path does the same
operations in the same order, so it agrees bit for bit).  A path here is used
when Numba is installed and every operand is a NumPy array of float32 or
float64, with at least ``MIN_SIZE`` elements in all; ``NNKERNEL_FUSED=0`` (or
false/no/off) turns them all off.  A process forked after its parent ran a
kernel (multiprocessing on Linux) uses the formulas, since the parent's thread
pools do not survive a fork; calls from several threads take turns in the
fused loops.  Numba is imported, and each loop compiled, on first large use;
the compiled code is cached on disk (in ``planner.cache_dir()``), so later
processes load it instead of compiling again.

A fused formula rounds fewer times than the same formula evaluated step by
step, so float32 results can differ from NumPy's in the last bit.
"""
from __future__ import annotations

import hashlib
import importlib.util
import math
import os
import sys
import threading
from functools import lru_cache

import numpy as np

from ._common import CHECK_MIN_SIZE, env_flag

#: the smallest work (elements, all operands together) that the accelerated paths take
MIN_SIZE = 1 << 16
#: elements per block in the block-wise path: a few float64 temporaries of this size fit in L2
BLOCK = 8192

_FLOATS = (np.float32, np.float64)
#: one kernel at a time: Numba's fallback thread pool (workqueue) aborts the process on concurrent use
_LOCK = threading.Lock()
#: set in a child process forked after the parent ran a kernel: the child's thread pool is not usable
_FORKED_AFTER_USE = False


def _after_fork_in_child():
    global _FORKED_AFTER_USE, _POOL
    _POOL = None  # the parent's worker threads do not exist here
    if _loops.cache_info().currsize:  # the parent started Numba's threads (GNU OpenMP cannot survive a fork)
        _FORKED_AFTER_USE = True


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


@lru_cache(maxsize=None)
def _numba_works() -> bool:
    """Whether Numba imports (it can be installed yet refuse a NumPy newer than it supports)."""
    try:
        import numba  # noqa: F401
    except Exception:  # any failure: the array-API formulas serve alone
        return False
    return True


def enabled() -> bool:
    """Whether the fused kernels are in use: Numba importable, ``NNKERNEL_FUSED`` not off, not a forked child.

    ``NNKERNEL_FUSED`` accepts 1/true/yes/on and 0/false/no/off (any case); anything else is a ValueError.
    """
    return env_flag("NNKERNEL_FUSED", True) and not _FORKED_AFTER_USE and _numba_works()


def applies(*arrays) -> bool:
    """True when the fused kernels should take these operands (see the module's docstring)."""
    size = 0
    for a in arrays:
        if type(a) is not np.ndarray or a.dtype.type not in _FLOATS:
            return False
        size += a.size
    return size >= MIN_SIZE and enabled()  # in this order: small work never imports Numba


# ----------------------------------------------------------------------------- the scalar formulas
# Plain Python on floats, the same formulas as the array-API code (see there for why each form is stable).
def _sigmoid(z):
    e = math.exp(-abs(z))
    return (1.0 if z >= 0 else e) / (1.0 + e)


def _sigmoid_grad(z):
    e = math.exp(-abs(z))
    d = 1.0 + e
    return e / (d * d)


def _tanh(z):
    return math.tanh(z)


def _tanh_grad(z):
    e = math.exp(-2.0 * abs(z))
    d = 1.0 + e
    return 4.0 * e / (d * d)


def _leaky_relu(z, alpha):
    return z if z > 0 else (alpha * z if alpha != 0.0 else 0.0)


def _leaky_relu_grad(z, alpha):
    return 1.0 if z > 0 else alpha


def _elu(z, alpha, scale):
    return scale * z if z > 0 else scale * (alpha * math.expm1(z))


def _elu_grad(z, alpha, scale):
    return scale if z > 0 else scale * (alpha * math.exp(z))


def _softplus(z):
    return max(z, 0.0) + math.log1p(math.exp(-abs(z)))


# At z = -inf (and +inf in the derivatives) a product z * 0 is taken as its limit 0, not NaN; beta = 0 is z / 2.
def _swish(z, beta):
    bz = beta * z if beta != 0.0 else 0.0
    e = math.exp(-abs(bz))
    s = (1.0 if bz >= 0 else e) / (1.0 + e)
    return z * s if s != 0.0 else 0.0


def _swish_grad(z, beta):  # e ((1 + b) + e) / (1 + e)^2 for b < 0: 1 + b exact where the terms would cancel
    b = beta * z if beta != 0.0 else 0.0
    e = math.exp(-abs(b))
    if e == 0.0:  # |b| = inf (or so large that b e underflows): the limits 0 and 1
        return 0.0 if b < 0 else 1.0
    d = 1.0 + e
    num = e * ((1.0 + b) + e) if b < 0 else d + b * e
    return num / d / d


def _gelu(z):
    c = math.erfc(-z / 1.4142135623730951)
    return 0.5 * z * c if c != 0.0 else 0.0


def _gelu_grad(z):
    e = math.exp(-0.5 * z * z)
    return 0.5 * math.erfc(-z / 1.4142135623730951) + (z * 0.3989422804014327 * e if e != 0.0 else 0.0)


def _sq_err(t, p):
    r = p - t
    return r * r


def _mse_grad(t, p, c):
    return c * (p - t)


def _huber(t, p, delta):
    a = abs(p - t)
    return 0.5 * a * a if a <= delta else delta * (a - 0.5 * delta)


def _huber_grad(t, p, delta, inv_n):
    return min(max(p - t, -delta), delta) * inv_n


def _log_cosh(t, p):
    a = abs(p - t)
    if a <= 1.0:  # cosh a - 1 = (e^a - 1)(1 - e^-a) / 2, free of cancellation
        return math.log1p(math.expm1(a) * -math.expm1(-a) / 2.0)
    return a + math.log1p(math.exp(-2.0 * a)) - 0.6931471805599453


def _log_cosh_grad(t, p, inv_n):
    return math.tanh(p - t) * inv_n


def _bce_logits(t, z):
    return max(z, 0.0) - z * t + math.log1p(math.exp(-abs(z)))


def _bce_logits_grad(t, z, inv_n):  # (1 - y) sigma(z) - y sigma(-z): no cancellation for y = 1, z large
    e = math.exp(-abs(z))
    d = 1.0 + e
    s_pos = (1.0 if z >= 0 else e) / d
    s_neg = (e if z >= 0 else 1.0) / d
    return ((1.0 - t) * s_pos - t * s_neg) * inv_n


#: name -> (scalar formula, number of array operands, number of scalar parameters)
FORMULAS = {
    "sigmoid": (_sigmoid, 1, 0), "sigmoid_grad": (_sigmoid_grad, 1, 0), "tanh": (_tanh, 1, 0),
    "tanh_grad": (_tanh_grad, 1, 0),
    "leaky_relu": (_leaky_relu, 1, 1), "leaky_relu_grad": (_leaky_relu_grad, 1, 1),
    "elu": (_elu, 1, 2), "elu_grad": (_elu_grad, 1, 2), "softplus": (_softplus, 1, 0),
    "swish": (_swish, 1, 1), "swish_grad": (_swish_grad, 1, 1), "gelu": (_gelu, 1, 0),
    "gelu_grad": (_gelu_grad, 1, 0), "sq_err": (_sq_err, 2, 0), "mse_grad": (_mse_grad, 2, 1),
    "huber": (_huber, 2, 1), "huber_grad": (_huber_grad, 2, 2), "log_cosh": (_log_cosh, 2, 0),
    "log_cosh_grad": (_log_cosh_grad, 2, 1), "bce_logits": (_bce_logits, 2, 0),
    "bce_logits_grad": (_bce_logits_grad, 2, 1),
}


# ----------------------------------------------------------------------------- fused loops (Numba)
def simd_math(fn):
    """``fn`` with ``math`` meaning :mod:`nnkernel.vecmath`: the same formula, with exp, expm1, log1p, tanh
    and erfc as float64 arithmetic that compiles to SIMD code instead of calls into the C library."""
    import types

    from . import vecmath

    return types.FunctionType(fn.__code__, {**fn.__globals__, "math": vecmath}, fn.__name__, fn.__defaults__)


def _loop_source() -> str:
    """Python source of one module with two cached, parallel loops per formula, ``loop_NAME(x, y, a, b, out)``:

    * ``loop_NAME`` evaluates the formula in the arrays' dtype with the C library's exp, log1p, ... (float64);
    * ``simd_NAME`` converts each element to float64, evaluates the formula with :mod:`nnkernel.vecmath`
      (vectorized) and rounds once to the output's dtype (float32): as accurate as float64 arithmetic
      rounded once, and 8 (AVX-512) or 4 (AVX2) elements per instruction.

    Numba caches only module-level functions (not closures made in a factory), so the loops are
    written out as a module; the file's name carries a hash of this file and of vecmath.py, so an edited
    formula is compiled afresh rather than taken from a stale cache.
    """
    lines = ["import math", "import numba", "from nnkernel import fused as _fused", ""]
    for name, (fn, arrays, params) in FORMULAS.items():
        args = ["x[i]", "y[i]"][:arrays] + ["a", "b"][:params]
        wide = [f"numba.float64({v})" for v in ["x[i]", "y[i]"][:arrays]] + ["a", "b"][:params]
        lines += [f"f_{name} = numba.njit(inline='always', error_model='numpy')(_fused.{fn.__name__})",
                  (f"v_{name} = numba.njit(inline='always', error_model='numpy')("
                   f"_fused.simd_math(_fused.{fn.__name__}))"), "",
                  "@numba.njit(parallel=True, cache=True, error_model='numpy')",
                  f"def loop_{name}(x, y, a, b, out):",
                  "    for i in numba.prange(out.size):",
                  f"        out[i] = f_{name}({', '.join(args)})", "", "",
                  "@numba.njit(parallel=True, cache=True, error_model='numpy', fastmath={'contract'})",
                  f"def simd_{name}(x, y, a, b, out):",
                  "    for i in numba.prange(out.size):",
                  f"        out[i] = v_{name}({', '.join(wide)})", "", ""]
    return "\n".join(lines + [_EXTRA_SOURCE])


#: the loops beside the formulas: the finiteness and NaN checks of large arrays (counts, which vectorize
#: without reassociating a float sum), and Adam's update in one pass, in place, in the arrays' dtype with
#: the operations of optim.Adam in their order (no FMA contraction): the formula's numbers, bit for bit
_EXTRA_SOURCE = """
@numba.njit(parallel=True, cache=True, error_model='numpy')
def count_nonfinite(x):
    c = 0
    for i in numba.prange(x.size):
        d = x[i] - x[i]  # 0 for a finite number, NaN for NaN and +-inf
        c += 0 if d == 0 else 1
    return c


@numba.njit(parallel=True, cache=True, error_model='numpy')
def count_nan(x):
    c = 0
    for i in numba.prange(x.size):
        c += 0 if x[i] == x[i] else 1
    return c


@numba.njit(parallel=True, cache=True, error_model='numpy')
def adam_step(p, g, m, v, b1, c1, b2, c2, step, sqrt_bc2, eps):
    for i in numba.prange(p.size):
        gi = g[i]
        mi = b1 * m[i] + c1 * gi
        vi = b2 * v[i] + c2 * gi * gi
        m[i] = mi
        v[i] = vi
        p[i] -= step * mi / (math.sqrt(vi) / sqrt_bc2 + eps)
"""


#: spins of an idle GNU OpenMP worker before it sleeps, for Numba's thread pool.  The default, 300,000,
#: keeps both cores busy for a while after every fused loop, and the BLAS threads of the next matrix
#: product wait for them: the MLP step of the benchmarks took 3 times longer.  1000 spins keep the
#: pool's hand-over between back-to-back loops as fast as before.
SPINCOUNT = "1000"


def _start_threads():
    """Start Numba's thread pool with ``GOMP_SPINCOUNT=1000`` (unless the variable is set): GNU OpenMP reads
    it once, when it loads, so it is set for that moment only and then removed again."""
    from numba.np.ufunc import parallel

    before = os.environ.get("GOMP_SPINCOUNT")
    if before is None:
        os.environ["GOMP_SPINCOUNT"] = SPINCOUNT
    try:
        parallel._launch_threads()  # noqa: SLF001 - what Numba's first parallel loop calls
    finally:
        if before is None:
            os.environ.pop("GOMP_SPINCOUNT", None)


@lru_cache(maxsize=1)
def _loops():
    """The module of loops: imported from the cache directory (compiled code cached beside it), or, where
    that directory cannot be written, executed in memory without a disk cache."""
    import numba

    _start_threads()

    from . import planner

    source = _loop_source()
    digest = hashlib.sha256(numba.__version__.encode() + source.encode())
    for path in (__file__, os.path.join(os.path.dirname(__file__), "vecmath.py")):
        with open(path, "rb") as f:
            digest.update(f.read())
    tag = digest.hexdigest()[:16]
    name = f"nnkernel_loops_{tag}"
    try:
        folder = os.path.join(planner.cache_dir(), "numba")
        path = os.path.join(folder, name + ".py")
        if not os.path.exists(path):
            os.makedirs(folder, exist_ok=True)
            tmp = f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"
            with open(tmp, "w") as f:
                f.write(source)
            os.replace(tmp, path)  # atomic: parallel processes write the same text
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules[name] = module
        return module
    except OSError:  # read-only home and no NNKERNEL_CACHE_DIR: compile in memory, every process
        namespace = {}
        exec(compile(source.replace("cache=True", "cache=False"), name, "exec"), namespace)  # noqa: S102
        return _Namespace(namespace)


class _Namespace:
    def __init__(self, d):
        self.__dict__.update(d)


@lru_cache(maxsize=None)
def kernel(name: str, dtype=np.float64):
    """The loop for ``FORMULAS[name]`` on flat arrays of ``dtype``, split across the cores:
    ``loop(x, y, a, b, out)``; float32 takes the float64-inside SIMD loop, float64 the C library's."""
    prefix = "simd" if np.dtype(dtype) == np.float32 else "loop"
    return getattr(_loops(), f"{prefix}_{name}")


def _operands(name, args):
    """(flat contiguous operands in the common dtype, parameters padded to two floats, output array)."""
    _, arrays, params = FORMULAS[name]
    operands = args[:arrays]
    dtype = np.result_type(*operands)
    flat = [np.ascontiguousarray(a, dtype=dtype).reshape(-1) for a in operands]
    values = [float(v) for v in args[arrays:]] + [0.0] * (2 - params)
    return flat, values, np.empty(operands[0].shape, dtype=dtype)


def call(name: str, *args):
    """``FORMULAS[name]`` elementwise: the array operands first (one shape), then the scalar parameters."""
    flat, values, out = _operands(name, args)
    loop = kernel(name, out.dtype.type)
    with _LOCK:
        loop(flat[0], flat[-1], values[0], values[1], out.reshape(-1))
    return out


# CHECK_MIN_SIZE (from _common) is the smallest array that the parallel checks below take: under about a
# million elements the array sits in the cache, NumPy's own pass takes 10-80 us and waking the thread pool
# costs as much (measured here: at 1e6 float32 44 us against 108 on a quiet machine, 119 against 79 on a
# busy one)


def check_applies(a) -> bool:
    """Whether :func:`all_finite` and :func:`has_nan` should take ``a``: a NumPy float32/float64 array of at
    least ``CHECK_MIN_SIZE`` elements, the fused kernels enabled."""
    return type(a) is np.ndarray and a.dtype.type in _FLOATS and a.size >= CHECK_MIN_SIZE and enabled()


def _count(loop_name, a) -> int:
    """The count that the loop ``loop_name`` of the extra source makes over ``a``, flattened."""
    loop = getattr(_loops(), loop_name)
    with _LOCK:
        return loop(np.ascontiguousarray(a).reshape(-1))


def all_finite(a) -> bool:
    """Whether every element of the NumPy float array ``a`` is finite: one parallel pass, without the
    boolean array of ``np.isfinite(a).all()`` (see :func:`check_applies`)."""
    return _count("count_nonfinite", a) == 0


def has_nan(a) -> bool:
    """Whether the NumPy float array ``a`` holds a NaN: one parallel pass (see :func:`check_applies`)."""
    return _count("count_nan", a) > 0


def adam_applies(p, g) -> bool:
    """Whether :func:`adam` takes this parameter and gradient: C-contiguous NumPy float32/float64 arrays of
    one dtype and shape, at least ``MIN_SIZE`` elements, the fused kernels enabled."""
    return (type(p) is np.ndarray and type(g) is np.ndarray and p.dtype == g.dtype and p.dtype.type in _FLOATS
            and p.size >= MIN_SIZE and p.shape == g.shape and p.flags.c_contiguous and p.flags.writeable
            and g.flags.c_contiguous and enabled())


def adam(p, g, m, v, beta1, beta2, step, sqrt_bc2, eps):
    """Adam's update in place, one pass over memory on all cores: m <- beta1 m + (1 - beta1) g,
    v <- beta2 v + (1 - beta2) g g, p <- p - step m / (sqrt(v) / sqrt_bc2 + eps), every constant rounded
    to p's dtype first and every operation in that dtype, as NumPy evaluates the same expression
    (``step = lr / (1 - beta1^t)``, ``sqrt_bc2 = sqrt(1 - beta2^t)``)."""
    t = p.dtype.type
    loop = getattr(_loops(), "adam_step")
    with _LOCK:
        loop(p.reshape(-1), g.reshape(-1), m.reshape(-1), v.reshape(-1), t(beta1), t(1 - beta1), t(beta2),
             t(1 - beta2), t(step), t(sqrt_bc2), t(eps))


# ----------------------------------------------------------------------------- block-wise NumPy ufuncs
# Each block function evaluates the array-API formula of activations.py / losses.py on one block with the
# same ufuncs in the same order, writing into ``out`` and the scratch buffers ``f`` (floats of the
# block's dtype), ``w`` (float64) and ``m`` (bools): the results are those of the formula, bit for bit.
def _b_exp_neg_abs(x, e, k=-1.0):
    np.abs(x, out=e)
    if k == -1.0:
        np.negative(e, out=e)
    else:
        np.multiply(e, k, out=e)
    return np.exp(e, out=e)


def _b_sigmoid(x, y, a, b, out, f, w, m):
    e = _b_exp_neg_abs(x, f[0])
    np.copyto(out, e)
    np.copyto(out, 1.0, where=np.greater_equal(x, 0, out=m[0]))
    np.divide(out, np.add(e, 1.0, out=f[1]), out=out)


def _b_sigmoid_grad(x, y, a, b, out, f, w, m):
    e = _b_exp_neg_abs(x, f[0])
    d = np.add(e, 1.0, out=f[1])
    np.divide(e, np.multiply(d, d, out=d), out=out)


def _b_tanh(x, y, a, b, out, f, w, m):
    np.tanh(x, out=out)


def _b_tanh_grad(x, y, a, b, out, f, w, m):
    e = _b_exp_neg_abs(x, f[0], -2.0)
    d = np.add(e, 1.0, out=f[1])
    np.divide(np.multiply(e, 4.0, out=out), np.multiply(d, d, out=d), out=out)


def _b_leaky_relu(x, y, a, b, out, f, w, m):
    if a:
        np.multiply(x, a, out=out)
    else:
        out.fill(0.0)
    np.copyto(out, x, where=np.greater(x, 0, out=m[0]))


def _b_leaky_relu_grad(x, y, a, b, out, f, w, m):
    out.fill(a)
    np.copyto(out, 1.0, where=np.greater(x, 0, out=m[0]))


def _b_elu(x, y, a, b, out, f, w, m):
    t = np.expm1(np.minimum(x, 0, out=f[0]), out=f[0])
    np.multiply(t, a, out=out)
    np.copyto(out, x, where=np.greater(x, 0, out=m[0]))
    if b != 1.0:
        np.multiply(out, b, out=out)


def _b_elu_grad(x, y, a, b, out, f, w, m):
    t = np.exp(np.minimum(x, 0, out=f[0]), out=f[0])
    np.multiply(t, a, out=out)
    np.copyto(out, 1.0, where=np.greater(x, 0, out=m[0]))
    if b != 1.0:
        np.multiply(out, b, out=out)


def _b_softplus(x, y, a, b, out, f, w, m):
    e = np.log1p(_b_exp_neg_abs(x, f[0]), out=f[0])
    np.add(np.maximum(x, 0, out=out), e, out=out)


def _b_swish(x, y, a, b, out, f, w, m):
    bz = np.multiply(x, a, out=f[2]) if a else np.zeros_like(x)
    s = f[3]
    _b_sigmoid(bz, None, 0.0, 0.0, s, f, w, m)
    np.copyto(out, x)
    np.copyto(out, 0.0, where=np.equal(s, 0, out=m[0]))
    np.multiply(out, s, out=out)


def _b_swish_grad(x, y, a, b, out, f, w, m):
    bz = np.multiply(x, a, out=f[0]) if a else np.zeros_like(x)
    e = _b_exp_neg_abs(bz, f[1])
    d = np.add(e, 1.0, out=f[2])
    negative = np.less(bz, 0, out=m[0])
    np.copyto(bz, 0.0, where=np.equal(e, 0, out=m[1]))
    neg = np.add(np.add(bz, 1.0, out=f[3]), e, out=f[3])
    np.multiply(e, neg, out=neg)
    np.add(d, np.multiply(bz, e, out=out), out=out)
    np.copyto(out, neg, where=negative)
    np.divide(out, d, out=out)
    np.divide(out, d, out=out)


_SQRT_2 = math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def _erfc():
    from scipy.special import erfc

    return erfc


def _b_gelu(x, y, a, b, out, f, w, m):
    v = w[0]
    np.copyto(v, x)  # float32 in float64, as the formula
    c = _erfc()(np.divide(np.negative(v, out=w[1]), _SQRT_2, out=w[1]), out=w[1])
    np.copyto(v, 0.0, where=np.equal(c, 0, out=m[0]))
    np.multiply(np.multiply(v, 0.5, out=v), c, out=v)
    np.copyto(out, v, casting="same_kind")


def _b_gelu_grad(x, y, a, b, out, f, w, m):
    v = w[0]
    np.copyto(v, x)
    c = np.clip(v, -1e3, 1e3, out=w[1])
    e = np.exp(np.multiply(np.multiply(c, -0.5, out=w[2]), c, out=c), out=c)  # (-0.5 c) c, as the formula
    g = _erfc()(np.divide(np.negative(v, out=w[2]), _SQRT_2, out=w[2]), out=w[2])
    np.multiply(g, 0.5, out=g)
    np.copyto(v, 0.0, where=np.equal(e, 0, out=m[0]))
    np.multiply(np.multiply(v, _INV_SQRT_2PI, out=v), e, out=v)
    np.add(g, v, out=g)
    np.copyto(out, g, casting="same_kind")


def _b_sq_err(t, p, a, b, out, f, w, m):
    r = np.subtract(p, t, out=out)
    np.multiply(r, r, out=out)


def _b_mse_grad(t, p, a, b, out, f, w, m):
    np.multiply(np.subtract(p, t, out=out), b, out=out)  # b: the coefficient 2 / N in the formula's dtype


def _b_huber(t, p, a, b, out, f, w, m):
    d = np.abs(np.subtract(p, t, out=f[0]), out=f[0])
    np.multiply(np.multiply(d, 0.5, out=out), d, out=out)
    big = np.multiply(np.subtract(d, 0.5 * a, out=f[1]), a, out=f[1])
    np.copyto(out, big, where=np.greater(d, a, out=m[0]))  # not (a <= delta); NaN is refused by the checks


def _b_huber_grad(t, p, a, b, out, f, w, m):
    np.divide(np.clip(np.subtract(p, t, out=out), -a, a, out=out), b, out=out)  # b: N


def _b_log_cosh(t, p, a, b, out, f, w, m):
    d = np.abs(np.subtract(p, t, out=f[0]), out=f[0])
    s = np.minimum(d, 1.0, out=f[1])
    q = np.negative(np.expm1(np.negative(s, out=f[2]), out=f[2]), out=f[2])
    np.multiply(np.expm1(s, out=f[1]), q, out=f[1])
    small = np.log1p(np.divide(f[1], 2.0, out=f[1]), out=f[1])
    e = np.log1p(_b_exp_neg_abs(d, f[2], -2.0), out=f[2])
    np.subtract(np.add(d, e, out=out), 0.6931471805599453, out=out)
    np.copyto(out, small, where=np.less_equal(d, 1.0, out=m[0]))


def _b_log_cosh_grad(t, p, a, b, out, f, w, m):
    np.divide(np.tanh(np.subtract(p, t, out=out), out=out), b, out=out)  # b: N


def _b_bce_logits(t, z, a, b, out, f, w, m):
    np.subtract(np.maximum(z, 0, out=out), np.multiply(z, t, out=f[0]), out=out)
    np.add(out, np.log1p(_b_exp_neg_abs(z, f[0]), out=f[0]), out=out)


def _b_bce_logits_grad(t, z, a, b, out, f, w, m):
    e = _b_exp_neg_abs(z, f[0])
    d = np.add(e, 1.0, out=f[1])
    pos = np.greater_equal(z, 0, out=m[0])
    s_pos, s_neg = f[2], f[3]
    np.copyto(s_pos, e)  # sigmoid(z) = where(z >= 0, 1, e) / (1 + e)
    np.copyto(s_pos, 1.0, where=pos)
    np.divide(s_pos, d, out=s_pos)
    np.copyto(s_neg, e)  # sigmoid(-z) = where(-z >= 0, 1, e) / (1 + e)
    np.copyto(s_neg, 1.0, where=np.less_equal(z, 0, out=m[1]))
    np.divide(s_neg, d, out=s_neg)
    np.multiply(np.subtract(1.0, t, out=out), s_pos, out=out)
    np.subtract(out, np.multiply(t, s_neg, out=s_neg), out=out)
    np.divide(out, b, out=out)  # b: N


#: name -> block function; the parameters a, b as the formula takes them (a count N where it divides by N)
BLOCKS = {name: globals()[f"_b_{name}"] for name in FORMULAS}


def _block_params(name, values):
    """The fused kernels' parameters as the block functions take them: the formulas divide by N where the
    fused loops multiply by 1/N, so 1/N becomes N (exact: 1 / (1/N) rounds back to N)."""
    a, b = values
    if name == "huber_grad":
        return a, float(round(1.0 / b))
    if name in ("log_cosh_grad", "bce_logits_grad"):
        return 0.0, float(round(1.0 / a))
    if name == "mse_grad":
        return 0.0, a
    return a, b


def _run_blocks(name, flat, a, b, out, lo, hi):
    fn = BLOCKS[name]
    dt = out.dtype
    size = min(BLOCK, hi - lo)
    f = [np.empty(size, dt) for _ in range(4)]
    w = [np.empty(size, np.float64) for _ in range(3)] if name.startswith("gelu") else None
    m = [np.empty(size, bool) for _ in range(2)]
    x, y = flat[0], flat[-1]
    for i in range(lo, hi, BLOCK):
        j = min(i + BLOCK, hi)
        n = j - i
        if n != size:
            f = [v[:n] for v in f]
            w = w and [v[:n] for v in w]
            m = [v[:n] for v in m]
        fn(x[i:j], y[i:j], a, b, out[i:j], f, w, m)


_POOL = None
_POOL_LOCK = threading.Lock()


def threads() -> int:
    """Worker threads of the block-wise threaded path: ``NUMBA_NUM_THREADS`` when set (as the fused
    loops), else the CPUs this process may use, at most 8."""
    env = os.environ.get("NUMBA_NUM_THREADS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cpus = os.cpu_count() or 1
    return max(1, min(8, cpus))


def _pool():
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            from concurrent.futures import ThreadPoolExecutor

            _POOL = ThreadPoolExecutor(threads(), thread_name_prefix="nnkernel")
        return _POOL


def blocks(name: str, *args, workers: int = 1):
    """``FORMULAS[name]`` elementwise by the array-API formula's NumPy ufuncs, block by block, over
    ``workers`` threads (same arguments as :func:`call`)."""
    flat, values, out = _operands(name, args)
    a, b = _block_params(name, values)
    o = out.reshape(-1)
    n = o.size
    if workers <= 1 or n < 2 * BLOCK:
        _run_blocks(name, flat, a, b, o, 0, n)
        return out
    step = -(-n // workers // BLOCK) * BLOCK  # contiguous parts, whole blocks each
    parts = [(lo, min(lo + step, n)) for lo in range(0, n, step)]
    jobs = [_pool().submit(_run_blocks, name, flat, a, b, o, lo, hi) for lo, hi in parts]
    for job in jobs:
        job.result()
    return out


# ----------------------------------------------------------------------------- dispatch
def run(name: str, formula, xp, *args):
    """``FORMULAS[name]`` on large NumPy operands by the planned path (``formula(xp, *args)`` is the
    array-API formula, one of the candidates); with ``NNKERNEL_PLAN=0``, the fused loop."""
    from . import planner

    return planner.run(name, formula, xp, args)
