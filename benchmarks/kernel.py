"""nnkernel against PyTorch on the CPU, and CuPy against NumPy on a GPU.

Elementwise work: forward plus derivative of every elementwise activation and
loss on float32 arrays of 1e5 to 1e7 elements; a training step (forward,
backward, Adam update) of a 784-256-256-10 MLP; the time per call of a few
functions at 10 to 1e5 elements (the Python-level overhead against PyTorch's);
the planner's choices (nnkernel.planner); the first use of the fused loops with
a cold and a warm Numba cache.  nnkernel is timed in a process of its own, without
PyTorch (see :func:`measure_nnkernel`), PyTorch in the main process.  Run natively and as on another CPU
(``NPY_DISABLE_CPU_FEATURES="X86_V3 X86_V4 AVX512_ICL AVX512_SPR"
OPENBLAS_CORETYPE=Nehalem NUMBA_NUM_THREADS=1``): each environment records
under its own section (``kernel-cpu``, ``kernel-cpu-baseline``).
"""
from __future__ import annotations

import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

import nnkernel as nk
from nnkernel import fused
from nnkernel.layers import Activation, Dense
from nnkernel.models import Sequential

from .common import best_of

ACTIVATIONS = ["sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu", "softplus", "swish", "gelu"]
LOSSES = ["mse", "mae", "huber", "log_cosh", "binary_cross_entropy_with_logits"]


def _torch_activations(torch):
    F = torch.nn.functional
    return {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu, "leaky_relu": F.leaky_relu,
            "elu": F.elu, "selu": F.selu, "softplus": F.softplus, "swish": F.silu, "gelu": F.gelu}


def _torch_losses(torch):
    F = torch.nn.functional
    return {"mse": F.mse_loss, "mae": F.l1_loss, "huber": F.huber_loss,
            "log_cosh": lambda p, t: torch.log(torch.cosh(p - t)).mean(),
            "binary_cross_entropy_with_logits": F.binary_cross_entropy_with_logits}


def mlp(batch, seed=0):
    model = Sequential([Dense(784, 256, seed=seed), Activation("relu"), Dense(256, 256, seed=seed + 1),
                        Activation("relu"), Dense(256, 10, seed=seed + 2)])
    for layer in model.layers:
        for k, v in layer.params.items():
            layer.params[k] = nk.xp().astype(v, nk.xp().float32)
    rng = np.random.default_rng(seed)
    X = nk.asarray(rng.normal(size=(batch, 784)).astype(np.float32))
    y = nk.asarray(np.eye(10, dtype=np.float32)[rng.integers(0, 10, batch)])
    return model, X, y


def nnkernel_train_step(model, opt, X, y):
    from nnkernel.activations import softmax

    out = model.forward(X)
    grad = (softmax(out) - y) / X.shape[0]  # softmax cross-entropy on logits
    model.backward(grad, input_grad=False)  # as PyTorch: no gradient for the data
    opt.step(model.params, model.grads)


def case_names():
    """The names :func:`elementwise_cases` gives its cases, in its order."""
    return [f"activation {n}" for n in ACTIVATIONS] + [f"loss {n}" for n in LOSSES]


def elementwise_cases(xp_arrays):
    """(name, fn) pairs doing forward + derivative with nnkernel on the given arrays."""
    z, t = xp_arrays
    A, L = nk.activations, nk.losses
    cases = [(f"activation {n}", (lambda n=n: (getattr(A, n)(z), getattr(A, f"{n}_grad")(z)))) for n in ACTIVATIONS]
    tb = (t > 0.5).astype(t.dtype)  # 0/1 targets in z's dtype, as PyTorch's (float32: no promotion)
    for n in LOSSES:
        target = tb if n == "binary_cross_entropy_with_logits" else t
        cases.append((f"loss {n}", (lambda n=n, target=target: (getattr(L, n)(target, z),
                                                                 getattr(L, f"{n}_grad")(target, z)))))
    return cases


#: the elementwise sizes compared with PyTorch
SIZES = (10**5, 10**6, 10**7)
#: sizes of the per-call overhead comparison
OVERHEAD_SIZES = (10, 10**3, 10**5)


def environment():
    """``("native", "kernel-cpu")``, or ``("baseline", "kernel-cpu-baseline")`` where NumPy's CPU dispatch is
    narrowed (the "other CPU" emulation, which also sets OpenBLAS's core type): each records under its own
    section.  OPENBLAS_CORETYPE alone does not make the baseline: some machines set it for every process
    (this one to Haswell), and the records note its value."""
    if os.environ.get("NPY_DISABLE_CPU_FEATURES", "").strip():
        return "baseline", "kernel-cpu-baseline"
    return "native", "kernel-cpu"


def _per_call(fn, number, budget_s=0.3):
    """Seconds per call: the fastest run of ``number`` calls (the overhead, not the noise), over at least 5
    runs and ``budget_s`` seconds, after 0.1 s of calls.  Without the warm-up and the budget, the first few
    tens of milliseconds after a pause or after other threads' work, and now and then a stretch of a hundred
    or more, read up to 1.6 times slower here (sigmoid at n = 10: 2.0 against 1.27 us), so that one
    function in five took the hit in a run."""
    warm_until = time.perf_counter() + 0.1
    while time.perf_counter() < warm_until:
        fn()
    best, runs, end = math.inf, 0, time.perf_counter() + budget_s
    while runs < 5 or time.perf_counter() < end:
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - t0) / number)
        runs += 1
    return best


#: the per-call comparison: name -> (nnkernel's call, PyTorch's call name); both take (z, t)
PER_CALL = {
    "sigmoid": lambda z, t: nk.activations.sigmoid(z),
    "relu": lambda z, t: nk.activations.relu(z),
    "gelu": lambda z, t: nk.activations.gelu(z),
    "mse": lambda z, t: nk.losses.mse(t, z),
    "bce_with_logits": lambda z, t: nk.losses.binary_cross_entropy_with_logits(t, z),
}


def _torch_per_call(torch):
    F = torch.nn.functional
    return {"sigmoid": lambda z, t: torch.sigmoid(z), "relu": lambda z, t: torch.relu(z),
            "gelu": lambda z, t: F.gelu(z), "mse": lambda z, t: F.mse_loss(z, t),
            "bce_with_logits": lambda z, t: F.binary_cross_entropy_with_logits(z, t)}


def _per_call_inputs(n):
    rng = np.random.default_rng(1)
    return rng.normal(0, 3, n).astype(np.float32), (rng.random(n) < 0.5).astype(np.float32)


def _per_call_number(n):
    return 2000 if n <= 1000 else 100


def measure_nnkernel(sizes=SIZES) -> dict:
    """nnkernel's side of the CPU comparison, timed in this process, which must not have imported PyTorch:
    the elementwise cases per size (and a memory copy), the MLP step, the per-call times and the plans made.

    Why a process of its own: PyTorch's OpenMP threads keep spinning after each of its operations, and on
    a small machine NumPy's BLAS threads then wait for the cores (in one process the MLP step read 9.5 ms,
    alone 2.3 to 3.1); a user of nnkernel alone never meets that, nor a user of PyTorch alone meets
    nnkernel's threads.
    """
    from nnkernel import planner

    assert "torch" not in sys.modules, "measure nnkernel in a process without PyTorch"
    out = {"elementwise": {}, "copy": {}, "per_call": {}}
    for n in sizes:
        rng = np.random.default_rng(0)
        z = rng.normal(0, 3, n).astype(np.float32)
        t = rng.normal(0, 1, n).astype(np.float32)
        number = max(1, 10**6 // n)
        out["copy"][str(n)] = best_of(lambda: z.copy(), repeat=5, number=number)
        for name, fn in elementwise_cases((z, t)):
            out["elementwise"][f"{name} {n}"] = best_of(fn, repeat=5, number=number)  # warm-up: the plan
    model, X, y = mlp(256)
    opt = nk.optim.Adam(1e-3)
    out["mlp"] = best_of(lambda: nnkernel_train_step(model, opt, X, y), repeat=7, number=3)
    for n in OVERHEAD_SIZES:
        z, t = _per_call_inputs(n)
        for name, fn in PER_CALL.items():
            out["per_call"][f"{name} {n}"] = _per_call(lambda fn=fn, z=z, t=t: fn(z, t), _per_call_number(n))
    out["plans"] = [row for row in planner.plan_table() if row["dtype"] == "float32"]
    out["planned"] = planner.enabled()
    return out


def _in_own_process(measure: str, sizes, env=None):
    """``measure(sizes)`` (:func:`measure_nnkernel` or :func:`measure_torch`) in a fresh Python, with ``env``
    added to this process's environment variables; its result."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    code = (f"import json, sys\nfrom benchmarks.kernel import {measure}\n"
            f"print(json.dumps({measure}(json.loads(sys.argv[1]))))")
    done = subprocess.run([sys.executable, "-c", code, json.dumps(list(sizes))], cwd=root, check=True,
                          capture_output=True, text=True, timeout=3600, env={**os.environ, **(env or {})})
    return json.loads(done.stdout.strip().splitlines()[-1])


_FIRST_USE = """
import time, numpy as np
t0 = time.perf_counter()
import nnkernel as nk
from nnkernel import fused
from nnkernel import fused
A, L = nk.activations, nk.losses
for dtype in (np.float32, np.float64):
    z = np.linspace(-5, 5, 100_000).astype(dtype)
    t = (z > 0).astype(dtype)
    for n in ("sigmoid", "sigmoid_grad", "tanh", "tanh_grad", "leaky_relu", "leaky_relu_grad", "elu", "elu_grad",
              "softplus", "swish", "swish_grad", "gelu", "gelu_grad"):
        getattr(A, n)(z)
    for n in ("mse", "mse_grad", "huber", "huber_grad", "log_cosh", "log_cosh_grad",
              "binary_cross_entropy_with_logits", "binary_cross_entropy_with_logits_grad"):
        getattr(L, n)(t, z)
assert fused.kernel.cache_info().currsize == 2 * len(fused.FORMULAS)  # every kernel, both dtypes
print(time.perf_counter() - t0)
"""


def first_use(results, sec):
    """Seconds from import to every fused loop run once in both dtypes, in a fresh process: with an empty
    cache directory (every loop compiled) and again with the cache it left (loops loaded)."""
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NNKERNEL_CACHE_DIR": cache, "NNKERNEL_PLAN": "0"}
        for label in ("cold", "warm"):
            out = subprocess.run([sys.executable, "-c", _FIRST_USE], env=env, capture_output=True, text=True,
                                 timeout=600, check=True)
            results.add(sec, f"fused loops first use, every kernel x 2 dtypes, s ({label} cache)",
                        float(out.stdout.split()[-1]), "s", section=sec)


def plans(results, sec, ours):
    """The planner's choices made during the run (float32, the benchmark's dtype), one record each: the
    chosen candidate's time when planned, with the choice and every candidate's time."""
    for row in ours["plans"]:
        t = row["times"].get(row["choice"], math.nan)
        results.add(sec, f"plan {row['kernel']} float32 4^{row['size_class']}", t * 1e3, "ms", section=sec,
                    choice=row["choice"], times=row["times"], planned=ours["planned"])


#: what makes PyTorch run as on the older CPU that the NumPy switches stand for: its own kernels without
#: AVX2/AVX-512 (ATEN_CPU_CAPABILITY), MKL's SSE2 code path (MKL_CBWR=COMPATIBLE: MKL ignores its ISA
#: switch on this AMD CPU, and COMPATIBLE is the narrowest path it accepts here), oneDNN on SSE4.1
TORCH_AS_OLDER_CPU = {"ATEN_CPU_CAPABILITY": "default", "MKL_CBWR": "COMPATIBLE", "ONEDNN_MAX_CPU_ISA": "SSE41"}


def measure_torch(sizes=SIZES) -> dict:
    """PyTorch's side of the CPU comparison, timed in this process, in the shape of
    :func:`measure_nnkernel`'s result: forward + derivative of each elementwise case per size, the MLP step,
    the per-call times, and the CPU capability PyTorch dispatches to."""
    import torch

    torch.set_num_threads(max(1, os.cpu_count() or 1))
    tacts, tlosses, calls = _torch_activations(torch), _torch_losses(torch), _torch_per_call(torch)
    out = {"elementwise": {}, "per_call": {}, "capability": torch.backends.cpu.get_cpu_capability()}
    for n in sizes:
        rng = np.random.default_rng(0)
        z = rng.normal(0, 3, n).astype(np.float32)
        t = rng.normal(0, 1, n).astype(np.float32)
        tz = torch.tensor(z, requires_grad=True)
        tt = torch.tensor(t)
        ttb = (tt > 0.5).float()
        number = max(1, 10**6 // n)
        for name in case_names():
            kind, op = name.split(" ", 1)
            if kind == "activation":
                def theirs(op=op):
                    y = tacts[op](tz)
                    (g,) = torch.autograd.grad(y, tz, torch.ones_like(y))
                    return y, g
            else:
                def theirs(op=op):
                    y = tlosses[op](tz, ttb if op.startswith("binary") else tt)
                    (g,) = torch.autograd.grad(y, tz)
                    return y, g
            out["elementwise"][f"{name} {n}"] = best_of(theirs, repeat=5, number=number)

    model, X, y = mlp(256)
    tmodel = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 256),
                                 torch.nn.ReLU(), torch.nn.Linear(256, 10))
    topt = torch.optim.Adam(tmodel.parameters(), lr=1e-3)
    tX, ty = torch.tensor(np.asarray(X)), torch.tensor(np.asarray(y).argmax(1))

    def tstep():
        topt.zero_grad()
        torch.nn.functional.cross_entropy(tmodel(tX), ty).backward()
        topt.step()

    out["mlp"] = best_of(tstep, repeat=7, number=3)
    for n in OVERHEAD_SIZES:
        z, t = _per_call_inputs(n)
        tz, tt = torch.tensor(z), torch.tensor(t)
        for name in PER_CALL:
            with torch.no_grad():
                out["per_call"][f"{name} {n}"] = _per_call(lambda f=calls[name], tz=tz, tt=tt: f(tz, tt),
                                                           _per_call_number(n))
    return out


def record_comparison(results, sec, ours, theirs, sizes=SIZES, against=""):
    """The nnkernel/PyTorch ratios of one pair of measurements: per elementwise case and size (and against a
    memory copy), their medians, the MLP step and the per-call times.  ``against`` tells a second PyTorch
    measurement's metrics apart (the goals hold for each)."""
    tag = f" ({against})" if against else ""
    big = []
    for n in sizes:
        ratios = []
        for name in case_names():
            mine, ref = ours["elementwise"][f"{name} {n}"], theirs["elementwise"][f"{name} {n}"]
            ratios.append(mine / ref)
            results.add(sec, f"{name} n={n:.0e} nnkernel/torch{tag}", mine / ref, "ratio", section=sec)
            if not against:
                results.add(sec, f"{name} n={n:.0e} time/memcopy", mine / ours["copy"][str(n)], "ratio",
                            section=sec)
        results.add(sec, f"elementwise n={n:.0e} median nnkernel/torch{tag}", statistics.median(ratios), "ratio",
                    section=sec)
        if n >= 10**6:  # the sizes of the original comparison
            big += ratios
    results.add(sec, f"elementwise median nnkernel/torch{tag}", statistics.median(big), "ratio", goal=1.0,
                direction="max", section=sec)
    if not against:
        results.add(sec, "MLP 784-256-256-10 batch 256 step, ms (nnkernel)", ours["mlp"] * 1e3, "ms", section=sec,
                    openblas_coretype=os.environ.get("OPENBLAS_CORETYPE"))
    results.add(sec, f"MLP 784-256-256-10 batch 256 step, ms ({against or 'torch'})",
                theirs["mlp"] * 1e3, "ms", section=sec, torch_cpu_capability=theirs["capability"],
                torch_env={k: os.environ.get(k) for k in TORCH_AS_OLDER_CPU} if not against else TORCH_AS_OLDER_CPU)
    results.add(sec, f"MLP training step nnkernel/torch{tag}", ours["mlp"] / theirs["mlp"], "ratio", goal=1.0,
                direction="max", section=sec)
    for n in OVERHEAD_SIZES:
        ratios = []
        for name in PER_CALL:
            a, b = ours["per_call"][f"{name} {n}"], theirs["per_call"][f"{name} {n}"]
            ratios.append(a / b)
            if not against:
                results.add(sec, f"per call {name} n={n:.0e}, us (nnkernel)", a * 1e6, "us", section=sec)
            results.add(sec, f"per call {name} n={n:.0e}, us ({against or 'torch'})",
                        b * 1e6, "us", section=sec)
        results.add(sec, f"per call n={n:.0e} median nnkernel/torch{tag}", statistics.median(ratios), "ratio",
                    goal=1.0 if n == 10 else None, direction="max" if n == 10 else None, section=sec)


def run_cpu(results, sizes=SIZES, compile_times=True):
    """nnkernel (NumPy) / PyTorch (CPU) time ratios, each op against a memory copy, per-call overhead, the
    MLP step, the plans; recorded under this CPU environment's section (see :func:`environment`).
    nnkernel is timed first, in a process of its own (see :func:`measure_nnkernel`), then PyTorch here.

    As on another CPU, PyTorch is timed twice: as it is (its AVX-512 kernels and MKL, which the NumPy
    switches do not touch), and in a process of its own made to run as on the same older CPU
    (:data:`TORCH_AS_OLDER_CPU`), the comparison a user of that CPU would make.
    """
    try:
        import torch  # noqa: F401
    except ImportError:
        print("kernel: PyTorch is not installed (pip install torch==2.13.0); skipping the CPU comparison")
        return
    label, sec = environment()
    print(f"kernel: {label} CPU environment, section {sec}; "
          f"NNKERNEL_PLAN={os.environ.get('NNKERNEL_PLAN', '(on)')}; "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}; nnkernel in its own process", flush=True)
    ours = _in_own_process("measure_nnkernel", sizes)
    theirs = measure_torch(sizes)
    record_comparison(results, sec, ours, theirs, sizes)
    if label == "baseline":
        older = _in_own_process("measure_torch", sizes, TORCH_AS_OLDER_CPU)
        record_comparison(results, sec, ours, older, sizes, against="torch on the same older CPU")
    plans(results, sec, ours)
    if compile_times:
        first_use(results, sec)
    results.add(sec, "load average (1 min) at the end", os.getloadavg()[0], "", section=sec)


def run_gpu(results, sizes=(10**6, 10**7)):
    """CuPy / NumPy speed-ups (NumPy time divided by CuPy time) for the same nnkernel code."""
    if not nk.gpu_available():
        print("kernel: no GPU (CuPy with a CUDA device); skipping the GPU part")
        return None
    import cupy as cp

    sync = cp.cuda.Device().synchronize
    name = cp.cuda.runtime.getDeviceProperties(0)["name"].decode()
    speedups = []
    for n in sizes:
        rng = np.random.default_rng(0)
        z = rng.normal(0, 3, n).astype(np.float32)
        t = rng.normal(0, 1, n).astype(np.float32)
        zc, tc = cp.asarray(z), cp.asarray(t)
        for (label, f_np), (_, f_cp) in zip(elementwise_cases((z, t)), elementwise_cases((zc, tc))):
            t_np = best_of(f_np, repeat=3)
            t_cp = best_of(f_cp, repeat=5, sync=sync)
            speedups.append(t_np / t_cp)
            results.add("kernel-gpu", f"{label} n={n:.0e} numpy/cupy", t_np / t_cp, "x", section="kernel-gpu")
    results.add("kernel-gpu", "elementwise median numpy/cupy", statistics.median(speedups), "x", section="kernel-gpu")
    for batch in (256, 8192):
        nk.use("numpy")
        model, X, y = mlp(batch)
        opt = nk.optim.Adam(1e-3)
        t_np = best_of(lambda: nnkernel_train_step(model, opt, X, y), repeat=3)
        nk.use("cupy")
        model, X, y = mlp(batch)
        opt = nk.optim.Adam(1e-3)
        t_cp = best_of(lambda: nnkernel_train_step(model, opt, X, y), repeat=5, number=3, sync=sync)
        nk.use("numpy")
        results.add("kernel-gpu", f"MLP step batch {batch}, ms (numpy)", t_np * 1e3, "ms", section="kernel-gpu")
        results.add("kernel-gpu", f"MLP step batch {batch}, ms (cupy)", t_cp * 1e3, "ms", section="kernel-gpu")
        goal = 20.0 if batch == 8192 else None
        results.add("kernel-gpu", f"MLP training step batch {batch} numpy/cupy", t_np / t_cp, "x", goal=goal,
                    direction="min" if goal else None, section="kernel-gpu")
    return name
