"""The planner (nnkernel.planner): every candidate agrees with the array-API formula, plans are cached per
CPU environment and survive a corrupt file, NNKERNEL_PLAN=0 turns planning off, small arrays never plan."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import nnkernel as nk
from nnkernel import fused, planner

A, L = nk.activations, nk.losses
N = fused.MIN_SIZE + 1000  # not a whole number of blocks: the short last block is exercised too

pytestmark = pytest.mark.skipif(not fused.enabled(), reason="Numba is not installed (or NNKERNEL_FUSED=0)")


@pytest.fixture(autouse=True)
def _own_cache(tmp_path, monkeypatch):
    """Each test plans into its own cache directory, starting from nothing in memory."""
    monkeypatch.setenv("NNKERNEL_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("NNKERNEL_PLAN", raising=False)
    planner.reset()
    yield
    planner.reset()


EXTREMES = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e4, -1e4, 1e30, -1e30, 50.0, -50.0, 1e-30, -1e-30, 5e-324,
            1.0, -1.0, 0.5, -0.5, 2.0, -2.0, 88.0, -88.0, 710.0, -710.0, 38.0, -38.0]


def _load(path):
    with open(path) as f:
        return json.load(f)


def _z(dtype, finite=False, seed=0):
    rng = np.random.default_rng(seed)
    z = rng.normal(0, 4, N)
    z[::97] *= 30.0  # a sprinkle of the far tails
    ext = [v for v in EXTREMES if np.isfinite(v) or not finite]
    z[: len(ext)] = ext
    z[-len(ext):] = ext  # in the short last block too
    with np.errstate(over="ignore"):
        return z.astype(dtype)


#: kernel -> (array-API formula, function of (dtype) giving the arguments after xp)
def _act(params=()):
    return lambda dtype: (_z(dtype), *params)


def _pair(params=(), probs=False):
    def args(dtype):
        t = _z(dtype, finite=True, seed=1)
        if probs:
            t = (np.abs(t) % 1.0).astype(dtype)
            t[:4] = [0.0, 1.0, 0.5, 1.0]
        p = _z(dtype, finite=True)
        return (t, p, *(v(p) if callable(v) else v for v in params))
    return args


KERNELS = {
    "sigmoid": (A._sigmoid, _act()), "sigmoid_grad": (A._sigmoid_grad, _act()),
    "tanh": (A._tanh, _act()), "tanh_grad": (A._tanh_grad, _act()),
    "leaky_relu": (A._leaky_relu, _act((0.2,))), "leaky_relu_grad": (A._leaky_relu_grad, _act((0.2,))),
    "elu": (A._elu, _act((0.7, 1.0))), "elu_grad": (A._elu_grad, _act((0.7, 1.0))),
    "softplus": (A._softplus, _act()), "swish": (A._swish, _act((1.7,))),
    "swish_grad": (A._swish_grad, _act((1.7,))), "gelu": (A._gelu, _act()), "gelu_grad": (A._gelu_grad, _act()),
    "sq_err": (L._sq_err, _pair()), "mse_grad": (L._mse_grad, _pair((lambda p: 2.0 / p.size,))),
    "huber": (L._huber, _pair((0.8,))), "huber_grad": (L._huber_grad, _pair((0.8, lambda p: 1.0 / p.size))),
    "log_cosh": (L._log_cosh, _pair()), "log_cosh_grad": (L._log_cosh_grad, _pair((lambda p: 1.0 / p.size,))),
    "bce_logits": (L._bce_logits, _pair(probs=True)),
    "bce_logits_grad": (L._bce_logits_grad, _pair((lambda p: 1.0 / p.size,), probs=True)),
}
#: extra parameter sets: SELU's constants, a zero leak, swish with beta = 0
VARIANTS = {"elu": [(A.SELU_ALPHA, A.SELU_LAMBDA)], "elu_grad": [(A.SELU_ALPHA, A.SELU_LAMBDA)],
            "leaky_relu": [(0.0,)], "swish": [(0.0,)], "swish_grad": [(0.0,)]}
#: derivatives that pass through zero as a sum of two O(1) terms: compared with an absolute slack
CANCELLING = {"swish_grad", "gelu_grad"}


def test_every_kernel_has_a_block_function_and_a_test():
    assert set(KERNELS) == set(fused.FORMULAS) == set(fused.BLOCKS)


def _cases():
    for name in KERNELS:
        for variant in [None, *VARIANTS.get(name, [])]:
            for dtype in (np.float64, np.float32):
                yield pytest.param(name, variant, dtype, id=f"{name}-{variant}-{np.dtype(dtype).name}")


def _args(name, variant, dtype):
    formula, make = KERNELS[name]
    args = make(dtype)
    if variant is not None:
        args = (*args[: fused.FORMULAS[name][1]], *variant)
    return formula, args


@pytest.mark.parametrize("name,variant,dtype", list(_cases()))
def test_every_candidate_agrees_with_the_formula(name, variant, dtype):
    formula, args = _args(name, variant, dtype)
    xp = nk.xp()
    with np.errstate(all="ignore"):
        ref = np.asarray(formula(xp, *args))
        for choice in planner.CANDIDATES:
            out = planner.runner(choice, name, formula, xp, args)()
            assert out.dtype == ref.dtype and out.shape == ref.shape, choice
            np.testing.assert_array_equal(np.isnan(out), np.isnan(ref), err_msg=f"{choice}: NaN positions")
            if choice in ("blocks", "threads"):  # the same ufuncs in the same order: bit for bit
                np.testing.assert_array_equal(out, ref, err_msg=choice)
                num = ~np.isnan(ref)
                assert np.array_equal(np.signbit(out[num]), np.signbit(ref[num])), f"{choice}: the sign of zero"
                continue
            ok = ~np.isnan(ref)
            np.testing.assert_array_equal(np.isinf(out[ok]), np.isinf(ref[ok]), err_msg=choice)
            fin = ok & np.isfinite(ref)
            eps = np.finfo(dtype).eps
            atol = _atol(name, dtype, args[0].size)
            if dtype == np.float64:  # rounding of z magnified by the conditioning, ~ z^2 in the tails
                x = np.minimum(np.abs(args[fused.FORMULAS[name][1] - 1].astype(np.float64)), 1e3)[fin]
                bad = np.abs(out[fin] - ref[fin]) > 1e-13 * (1 + x * x) * np.abs(ref[fin]) + atol
                assert not bad.any(), f"{choice}: {out[fin][bad][:3]} vs formula {ref[fin][bad][:3]}"
            else:  # the fused loop rounds less often: as close to the float64 truth as the formula, or closer
                wide = [a.astype(np.float64) if isinstance(a, np.ndarray) else a for a in args]
                truth = np.asarray(formula(xp, *wide))[fin]
                o, r = out[fin].astype(np.float64), ref[fin].astype(np.float64)
                bad = np.abs(o - truth) > np.abs(r - truth) + 8 * eps * np.abs(truth) + atol
                assert not bad.any(), f"{choice}: {o[bad][:3]} vs formula {r[bad][:3]}, truth {truth[bad][:3]}"


def _atol(name, dtype, n):
    """Absolute round-off: sums of O(1) terms that cancel (activations), or of O(1/N) terms (gradients of
    a mean over N); otherwise the smallest normal number (subnormal results carry no relative precision,
    and libraries differ in where they underflow to 0)."""
    eps, sub = np.finfo(dtype).eps, float(np.finfo(dtype).tiny)
    if name in CANCELLING:
        return 8 * eps
    if name in ("mse_grad", "huber_grad", "log_cosh_grad", "bce_logits_grad"):
        return 8 * eps / n
    return sub


def test_the_public_functions_plan_once_and_reuse_the_plan(monkeypatch):
    z = _z(np.float32)
    want = A.gelu(z)  # plans
    (row,) = planner.plan_table()
    assert (row["kernel"], row["dtype"], row["size_class"]) == ("gelu", "float32", planner.size_class(N))
    assert row["choice"] in planner.candidates() and set(row["times"]) == set(planner.candidates())
    monkeypatch.setattr(planner, "_plan", lambda *a: pytest.fail("planned twice"))
    np.testing.assert_array_equal(np.isnan(A.gelu(z)), np.isnan(want))


def test_the_cache_round_trips(monkeypatch):
    z = _z(np.float64, finite=True)
    A.softplus(z)
    L.huber(z, z[::-1].copy())
    before = {(r["kernel"], r["dtype"], r["size_class"]): r["choice"] for r in planner.plan_table()}
    assert len(before) == 2
    data = _load(planner.cache_path())
    assert data["environment"] == json.loads(json.dumps(planner.environment()))
    planner.reset()  # a new process, as far as the plans go
    monkeypatch.setattr(planner, "_plan", lambda *a: pytest.fail("the cached plan was not used"))
    A.softplus(z)
    L.huber(z, z[::-1].copy())
    after = {(r["kernel"], r["dtype"], r["size_class"]): r["choice"] for r in planner.plan_table()}
    assert after == before


def test_the_cache_is_keyed_per_cpu_environment(monkeypatch):
    # values unlike the process's own (the suite also runs as on another CPU, with these variables set)
    native = planner.cache_path()
    features = os.environ.get("NPY_DISABLE_CPU_FEATURES")
    monkeypatch.setenv("NPY_DISABLE_CPU_FEATURES", "X86_V4" if features != "X86_V4" else "X86_V3")
    other = planner.cache_path()
    threads = os.environ.get("NUMBA_NUM_THREADS")
    monkeypatch.setenv("NUMBA_NUM_THREADS", "3" if threads != "3" else "2")
    third = planner.cache_path()
    assert len({native, other, third}) == 3
    assert os.path.dirname(native) == os.environ["NNKERNEL_CACHE_DIR"]
    # the process's own thread count again: Numba refuses a new one once its threads run
    if threads is None:
        monkeypatch.delenv("NUMBA_NUM_THREADS")
    else:
        monkeypatch.setenv("NUMBA_NUM_THREADS", threads)
    assert planner.cache_path() == other
    A.sigmoid(_z(np.float64))
    assert os.path.exists(other) and not os.path.exists(native)


@pytest.mark.parametrize("garbage", ["{not json", "[]", '{"plans": {"sigmoid/float64/8": "fast"}}',
                                     '{"fingerprint": "x", "plans": {}}', ""])
def test_a_corrupt_cache_file_is_planned_again(garbage):
    path = planner.cache_path()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(garbage)
    z = _z(np.float64)
    np.testing.assert_allclose(A.sigmoid(z), A._sigmoid(nk.xp(), z), rtol=1e-13, atol=1e-300)
    data = _load(path)  # rewritten whole
    assert data["plans"]["sigmoid/float64/8"]["choice"] in planner.CANDIDATES


def test_a_bad_plan_entry_is_ignored():
    path = planner.cache_path()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fp = os.path.basename(path)[5:-5]
    with open(path, "w") as f:
        json.dump({"fingerprint": fp, "plans": {"sigmoid/float64/8": {"choice": "magic"},
                                                "softplus/float64/8": {"choice": "blocks"}}}, f)
    assert set(planner.plans()) == {"softplus/float64/8"}


def test_plan_off_takes_the_fused_loop(monkeypatch):
    monkeypatch.setenv("NNKERNEL_PLAN", "0")
    calls = []
    real = fused.call
    monkeypatch.setattr(fused, "call", lambda name, *args: calls.append(name) or real(name, *args))
    monkeypatch.setattr(planner, "_plan", lambda *a: pytest.fail("planned with NNKERNEL_PLAN=0"))
    A.swish(_z(np.float32))
    assert calls == ["swish"] and planner.plan_table() == []
    assert not os.path.exists(planner.cache_path())
    monkeypatch.setenv("NNKERNEL_PLAN", "maybe")
    with pytest.raises(ValueError, match="NNKERNEL_PLAN"):
        A.swish(_z(np.float32))


def test_small_arrays_never_plan(monkeypatch):
    monkeypatch.setattr(planner, "_plan", lambda *a: pytest.fail("planned a small array"))
    monkeypatch.setattr(planner, "run", lambda *a: pytest.fail("dispatched a small array"))
    z = np.linspace(-40.0, 40.0, fused.MIN_SIZE // 2 - 1)
    t = (z > 0) * 1.0
    for name in ("sigmoid", "sigmoid_grad", "tanh_grad", "softplus", "gelu", "gelu_grad", "selu", "swish_grad"):
        getattr(A, name)(z)
    for name in ("mse", "mse_grad", "huber", "log_cosh_grad", "binary_cross_entropy_with_logits_grad"):
        getattr(L, name)(t, z)


def test_small_arrays_import_no_numba_and_write_no_cache(tmp_path):
    code = ("import sys, numpy as np, nnkernel as nk\n"
            "z = np.linspace(-5, 5, 10_000)\n"
            "for n in ('sigmoid', 'gelu', 'gelu_grad', 'swish', 'selu', 'softplus'):\n"
            "    getattr(nk.activations, n)(z)\n"
            "nk.losses.mse(z, z[::-1]); nk.losses.binary_cross_entropy_with_logits((z > 0) * 1.0, z)\n"
            "assert 'numba' not in sys.modules, 'numba imported'\n")
    env = {**os.environ, "NNKERNEL_CACHE_DIR": str(tmp_path / "cache")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env,
                         check=False)
    assert out.returncode == 0, out.stderr[-1500:]
    assert not (tmp_path / "cache").exists()


def test_parallel_processes_share_one_cache_file(tmp_path):
    code = ("import numpy as np, nnkernel as nk\n"
            "z = np.linspace(-5, 5, 70_000)\n"
            "for n in ('sigmoid', 'softplus', 'tanh_grad', 'elu'):\n"
            "    getattr(nk.activations, n)(z)\n")
    env = {**os.environ, "NNKERNEL_CACHE_DIR": str(tmp_path)}
    procs = [subprocess.Popen([sys.executable, "-c", code], env=env, stderr=subprocess.PIPE, text=True)
             for _ in range(3)]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err[-1500:]
    (path,) = [p for p in tmp_path.iterdir() if p.name.startswith("plan-")]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    plans = _load(path)["plans"]
    assert {k.split("/")[0] for k in plans} == {"sigmoid", "softplus", "tanh_grad", "elu"}


def test_the_numba_loops_are_cached_on_disk(tmp_path):
    code = ("import numpy as np, nnkernel as nk\n"
            "from nnkernel import fused\n"
            "nk.activations.sigmoid(np.linspace(-5, 5, 70_000))\n"
            "loop = fused.kernel('sigmoid')\n"
            "print(sum(loop.stats.cache_hits.values()), sum(loop.stats.cache_misses.values()))\n")
    env = {**os.environ, "NNKERNEL_CACHE_DIR": str(tmp_path), "NNKERNEL_PLAN": "0"}
    runs = []
    for _ in range(2):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env,
                             check=False)
        assert out.returncode == 0, out.stderr[-1500:]
        runs.append(tuple(int(v) for v in out.stdout.split()))
    assert runs == [(0, 1), (1, 0)]  # compiled and saved, then loaded from the disk cache
    names = os.listdir(tmp_path / "numba" / "__pycache__")
    assert any("loop_sigmoid" in n and n.endswith(".nbi") for n in names)
