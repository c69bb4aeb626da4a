"""The fused NumPy kernels (nnkernel.fused) agree with the array-API formulas they accelerate."""
import os
import warnings

import numpy as np
import pytest

import nnkernel as nk
from nnkernel import fused

pytestmark = pytest.mark.skipif(not fused.enabled(), reason="Numba is not installed (or NNKERNEL_FUSED=0)")

N = fused.MIN_SIZE * 2


@pytest.fixture(autouse=True)
def _fused_loop_only(monkeypatch):
    """These tests are about the fused loops: no planning (tests/test_planner.py times the candidates)."""
    monkeypatch.setenv("NNKERNEL_PLAN", "0")
A, L = nk.activations, nk.losses

#: (public function, keyword arguments): every function with a fused path
ACTIVATIONS = [("sigmoid", {}), ("sigmoid_grad", {}), ("tanh_grad", {}), ("leaky_relu", {"alpha": 0.2}),
               ("leaky_relu_grad", {"alpha": 0.2}), ("elu", {"alpha": 0.7}), ("elu_grad", {"alpha": 0.7}),
               ("selu", {}), ("selu_grad", {}), ("softplus", {}), ("softplus_grad", {}), ("swish", {"beta": 1.7}),
               ("swish_grad", {"beta": 1.7}), ("gelu", {}), ("gelu_grad", {})]
#: derivatives that pass through zero as a sum of two O(1) terms (swish's and GELU's minimum)
CANCELLING = {"swish_grad", "gelu_grad"}
LOSSES = [("mse", {}), ("mse_grad", {}), ("huber", {"delta": 0.8}), ("huber_grad", {"delta": 0.8}), ("log_cosh", {}), ("log_cosh_grad", {}),
          ("binary_cross_entropy_with_logits", {}), ("binary_cross_entropy_with_logits_grad", {})]


def _inputs(dtype, n=N, seed=0):
    rng = np.random.default_rng(seed)
    z = rng.normal(0, 4, n)
    z[:8] = [0.0, -0.0, 1e4, -1e4, 50.0, -50.0, 1e-30, -1e-30]  # the kinks and the far tails
    return z.astype(dtype)


def _no_worse(ours, ref, truth, ulps=8):
    """Float32 check: the fused result is as close to the float64 truth as the step-by-step float32 result,
    up to ``ulps`` units in the last place (a fused formula rounds less often, so it is usually closer)."""
    ours, ref, truth = (np.asarray(a, dtype=np.float64) for a in (ours, ref, truth))
    eps = np.finfo(np.float32).eps
    slack = ulps * eps * np.maximum(np.abs(truth), np.finfo(np.float32).tiny)
    bad = np.abs(ours - truth) > np.abs(ref - truth) + slack
    assert not bad.any(), (f"{bad.sum()} values further from the truth: ours {ours[bad][:3]}, "
                           f"step by step {ref[bad][:3]}, truth {truth[bad][:3]}")


def _reference(fn, *args, **kwargs):
    """The array-API formula: the same call with the fused kernels turned off."""
    mp = pytest.MonkeyPatch()
    mp.setenv("NNKERNEL_FUSED", "0")
    try:
        assert not fused.enabled()
        return fn(*args, **kwargs)
    finally:
        mp.undo()
        assert fused.enabled()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name,kwargs", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activations_match_the_array_api_formulas(name, kwargs, dtype):
    z = _inputs(dtype)
    fn = getattr(A, name)
    assert fused.applies(z)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = fn(z, **kwargs)
    ref = _reference(fn, z, **kwargs)
    assert ours.dtype == ref.dtype == dtype and ours.shape == z.shape
    assert np.all(np.isfinite(ours))
    if dtype == np.float32:
        _no_worse(ours, ref, _reference(fn, z.astype(np.float64), **kwargs))
        return
    # a sum of O(1) terms that cancel (at swish's and GELU's minimum): there round-off is absolute
    atol = 4 * np.finfo(dtype).eps if name in CANCELLING else 1e-300
    np.testing.assert_allclose(ours, ref, rtol=1e-13, atol=atol)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name,kwargs", LOSSES, ids=[a[0] for a in LOSSES])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_losses_match_the_array_api_formulas(name, kwargs, reduction, dtype):
    if name.endswith("_grad") and reduction != "mean":
        pytest.skip("gradients are of the mean")
    p = _inputs(dtype, N // 2)
    rng = np.random.default_rng(1)
    t = (rng.random(N // 2) < 0.5).astype(dtype) if "binary" in name else rng.normal(0, 1, N // 2).astype(dtype)
    fn = getattr(L, name)
    args = dict(kwargs) if name.endswith("_grad") else {**kwargs, "reduction": reduction}
    assert fused.applies(t, p)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = fn(t, p, **args)
    ref = _reference(fn, t, p, **args)
    assert np.shape(ours) == np.shape(ref) and np.all(np.isfinite(ours))
    if dtype == np.float32:
        _no_worse(ours, ref, _reference(fn, t.astype(np.float64), p.astype(np.float64), **args))
        return
    # gradients of the mean: a difference of O(1) terms divided by N, so round-off is eps / N
    np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=4 * np.finfo(dtype).eps / t.size)


def test_shapes_layouts_and_mixed_dtypes():
    z = _inputs(np.float64).reshape(512, -1)
    for arr in (z, z.T, z[:, ::2]):  # C order, Fortran order, strided
        np.testing.assert_allclose(A.sigmoid(arr), _reference(A.sigmoid, arr), rtol=1e-15)
        assert A.sigmoid(arr).shape == arr.shape
    p32 = _inputs(np.float32, N // 2)
    t64 = (np.arange(N // 2) % 2).astype(np.float64)
    out = L.binary_cross_entropy_with_logits_grad(t64, p32)  # promoted as NumPy would
    ref = _reference(L.binary_cross_entropy_with_logits_grad, t64, p32.astype(np.float64))
    assert out.dtype == ref.dtype == np.float64  # computed in float64 from the start
    np.testing.assert_allclose(out, ref, rtol=1e-12, atol=4 * np.finfo(np.float64).eps / t64.size)


def test_what_takes_the_fused_path(monkeypatch):
    big = np.zeros(fused.MIN_SIZE)
    assert fused.applies(big) and fused.applies(big[: N // 4], big[: N // 4])
    assert not fused.applies(big[:-1])  # too small to be worth a parallel loop
    assert not fused.applies(big.astype(np.int64)) and not fused.applies(big.astype(np.float16))
    assert not fused.applies(list(big)) and not fused.applies(np.ma.masked_array(big))
    monkeypatch.setenv("NNKERNEL_FUSED", "0")
    assert not fused.applies(big)


#: public function -> the kernel it must reach on a large array
ENTRY_POINTS = {**{name: name for name, _ in ACTIVATIONS},
                "selu": "elu", "selu_grad": "elu_grad", "softplus_grad": "sigmoid",
                "mse": "sq_err", "mse_grad": "mse_grad", "huber": "huber", "huber_grad": "huber_grad", "log_cosh": "log_cosh",
                "log_cosh_grad": "log_cosh_grad", "binary_cross_entropy_with_logits": "bce_logits",
                "binary_cross_entropy_with_logits_grad": "bce_logits_grad"}


@pytest.mark.parametrize("public,kernel_name", sorted(ENTRY_POINTS.items()))
def test_every_entry_point_takes_the_fused_path(public, kernel_name, monkeypatch):
    calls = []
    real = fused.call
    monkeypatch.setattr(fused, "call", lambda name, *args: calls.append(name) or real(name, *args))
    z = _inputs(np.float64)
    if hasattr(A, public):
        getattr(A, public)(z)
    else:
        getattr(L, public)((z > 0) * 1.0, z)
    assert calls == [kernel_name]
    calls.clear()
    (getattr(A, public)(z[:100]) if hasattr(A, public) else getattr(L, public)((z[:100] > 0) * 1.0, z[:100]))
    assert calls == []  # small arrays: the array-API formula


def _sigmoid_sum(n):
    return float(A.sigmoid(np.linspace(-5, 5, n)).sum())


def test_a_process_forked_after_use_falls_back_to_the_formulas():
    import multiprocessing as mp

    if "fork" not in mp.get_all_start_methods():
        pytest.skip("no fork on this platform")
    want = _sigmoid_sum(N)  # runs a kernel here: Numba's threads exist before the fork
    with mp.get_context("fork").Pool(1) as pool:
        got = pool.map_async(_sigmoid_sum, [N]).get(timeout=60)  # a hang or a dead child fails here
    assert got == [pytest.approx(want, rel=1e-12)]


def test_calls_from_several_threads():
    from concurrent.futures import ThreadPoolExecutor

    z = _inputs(np.float64)
    want = _reference(A.gelu, z)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: A.gelu(z), range(8)))
    for r in results:
        np.testing.assert_allclose(r, want, rtol=1e-13, atol=1e-300)


def test_nan_propagates_like_the_formulas():
    z = _inputs(np.float64)
    z[100] = np.nan
    for name, kwargs in ACTIVATIONS:
        fn = getattr(A, name)
        ours, ref = fn(z, **kwargs), _reference(fn, z, **kwargs)
        np.testing.assert_array_equal(np.isnan(ours), np.isnan(ref), err_msg=name)


def test_bad_parameters_are_still_refused():
    z = _inputs(np.float64)
    with pytest.raises(ValueError, match="alpha"):
        A.elu(z, alpha=-1.0)
    with pytest.raises(ValueError, match="beta"):
        A.swish(z, beta=float("nan"))
    with pytest.raises(ValueError, match="delta"):
        L.huber(z, z, delta=0.0)
    with pytest.raises(ValueError, match="NaN or infinite"):
        L.binary_cross_entropy_with_logits(np.zeros_like(z), np.where(z > 0, np.inf, z))


def test_a_numba_that_cannot_import_leaves_the_formulas():
    import subprocess
    import sys

    code = ("import sys; sys.modules['numba'] = None\n"  # installed but broken: import numba raises ImportError
            "import numpy as np, nnkernel as nk\n"
            "from nnkernel import fused\n"
            "z = np.linspace(-5, 5, 2 * fused.MIN_SIZE)\n"
            "s = nk.activations.sigmoid(z)\n"
            "assert not fused.enabled() and not fused.applies(z)\n"
            "print(float(s.sum()))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-1500:]
    assert float(out.stdout) == pytest.approx(float(A.sigmoid(np.linspace(-5, 5, 2 * fused.MIN_SIZE)).sum()))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("opt_class,kwargs", [(nk.optim.Adam, {}), (nk.optim.Adam, {"weight_decay": 0.01}),
                                              (nk.optim.AdamW, {})])
def test_the_fused_adam_step_gives_the_formulas_numbers_bit_for_bit(monkeypatch, dtype, opt_class, kwargs):
    """Adam's one-pass update (fused.adam) against the array formula, five steps, with zeros, a NaN and a
    gradient whose square overflows float32."""
    rng = np.random.default_rng(3)
    p0 = rng.normal(size=(300, 250)).astype(dtype)  # 75,000 >= fused.MIN_SIZE
    grads = [rng.normal(size=p0.shape).astype(dtype) for _ in range(5)]
    grads[2].ravel()[:5] = [0.0, -0.0, 1e-30, np.nan, 1e30]
    assert fused.adam_applies(p0, grads[0])
    results = []
    for flag in ("1", "0"):
        monkeypatch.setenv("NNKERNEL_FUSED", flag)
        p, opt = p0.copy(), opt_class(1e-3, **kwargs)
        with np.errstate(all="ignore"):
            for g in grads:
                opt.step([p], [g])
        results.append(p)
    np.testing.assert_array_equal(results[0], results[1])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_the_parallel_finite_and_nan_checks_agree_with_numpy(dtype, bad):
    """fused.all_finite and fused.has_nan (one pass, no boolean array) against NumPy, at the first, a middle
    and the last element, on a contiguous array and a strided view; and the public checks that use them."""
    rng = np.random.default_rng(5)
    z = rng.normal(0, 3, fused.CHECK_MIN_SIZE + 7).astype(dtype)
    assert fused.check_applies(z) and not fused.check_applies(z[: fused.CHECK_MIN_SIZE - 1])
    assert fused.all_finite(z) and not fused.has_nan(z)
    for i in (0, z.size // 2, z.size - 1):
        w = z.copy()
        w[i] = bad
        for a in (w, w[::2] if i % 2 == 0 else w[1::2]):
            assert fused.all_finite(a) == bool(np.isfinite(a).all())
            assert fused.has_nan(a) == bool(np.isnan(a).any())
        with pytest.raises(ValueError, match="y_pred contains NaN or infinite values"):
            nk.losses.mse(z, w)
        out = nk.activations.leaky_relu(w, 0.1)  # a nan_out activation: NaN in, NaN out, there only
        np.testing.assert_array_equal(np.isnan(out), np.isnan(w))


@pytest.mark.parametrize("preset", [None, "7"])
def test_starting_the_thread_pool_leaves_the_environment_as_it_was(tmp_path, preset):
    """In a fresh process: after the pool has started, GOMP_SPINCOUNT is as it was (unset, or the user's)."""
    import subprocess
    import sys

    code = ("import os, numpy as np, nnkernel as nk\n"
            "nk.activations.sigmoid(np.linspace(-5, 5, 100_000))\n"
            "print(os.environ.get('GOMP_SPINCOUNT'))\n")
    env = {**os.environ, "NNKERNEL_CACHE_DIR": str(tmp_path)}
    env.pop("GOMP_SPINCOUNT", None)
    if preset is not None:
        env["GOMP_SPINCOUNT"] = preset
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300,
                         check=True)
    assert out.stdout.split()[-1] == str(preset)


@pytest.mark.parametrize("preset", [None, "7"])
def test_the_pool_starts_under_the_short_spin_unless_the_user_set_one(monkeypatch, preset):
    """What GNU OpenMP reads when Numba starts its threads: fused.SPINCOUNT, or the user's own value."""
    from numba.np.ufunc import parallel

    seen = []
    monkeypatch.setattr(parallel, "_launch_threads", lambda: seen.append(os.environ.get("GOMP_SPINCOUNT")))
    if preset is None:
        monkeypatch.delenv("GOMP_SPINCOUNT", raising=False)
    else:
        monkeypatch.setenv("GOMP_SPINCOUNT", preset)
    fused._start_threads()
    assert seen == [fused.SPINCOUNT if preset is None else preset]
    assert os.environ.get("GOMP_SPINCOUNT") == preset


def test_the_fused_adam_step_never_runs_on_state_of_another_shape():
    """A parameter replaced by one of another size under the same index: the array formula's error, not a
    loop that reads past the end of the old state."""
    rng = np.random.default_rng(0)
    opt = nk.optim.Adam(1e-3)
    p = rng.normal(size=(300, 250)).astype(np.float32)
    opt.step([p], [np.ones_like(p)])
    q = rng.normal(size=(400, 250)).astype(np.float32)
    with pytest.raises(ValueError):
        opt.step([q], [np.ones_like(q)])
