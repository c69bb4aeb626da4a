"""Pick the fastest way to evaluate each kernel on this machine by timing the candidates (as FFTW plans).

Which implementation of an elementwise formula is fastest depends on the CPU:
NumPy's SIMD exp and log win where the vectors are wide, Numba's fused loop
wins where memory traffic dominates and there are cores to share it.  So
nothing is assumed: the first time a kernel meets a dtype and a *size class*
(4^k <= n < 4^(k+1) elements), each candidate evaluates that very call once
to warm up and then once to three times against the clock (at most about
0.1 s each), the one with the smallest median time is kept, and its result
is returned:

* ``formula``: the array-API formula, step by step (what small arrays get);
* ``blocks``: the same NumPy ufuncs in cache-sized blocks into ``out=`` buffers;
* ``threads``: the same blocks split over a small thread pool (NumPy releases the GIL);
* ``fused``: the Numba loop (one pass, all cores; for float32, SIMD exp, log1p and erfc from
  :mod:`nnkernel.vecmath` evaluated in float64, for float64 the C library's).

The choices are cached on disk per CPU environment (CPU model and flags,
``NPY_DISABLE_CPU_FEATURES``, ``OPENBLAS_CORETYPE``, ``NUMBA_NUM_THREADS``,
library versions) in ``NNKERNEL_CACHE_DIR`` (default ``~/.cache/nnkernel``),
written atomically so parallel processes never leave a torn file; an
unreadable file is ignored and planned again.  ``NNKERNEL_PLAN=0`` turns
planning off and every large call takes the fused loop, as before the
planner.  Arrays under ``fused.MIN_SIZE`` elements never plan: they take the
formula directly.
"""
from __future__ import annotations

import hashlib
import json
import os
import platform
import statistics
import threading
import time
from functools import lru_cache

import numpy as np

from . import fused
from ._common import env_flag

#: the candidate implementations, in the order they are timed
CANDIDATES = ("formula", "blocks", "threads", "fused")
#: the choice without planning (NNKERNEL_PLAN=0): the fused loop, as before the planner
DEFAULT = "fused"
#: timed seconds per candidate and decision, beyond its warm-up run (at least one timed run)
BUDGET_S = 0.1
#: timed runs per candidate at most
REPEATS = 3
#: environment variables that change which implementation is fastest
ENV_VARS = ("NPY_DISABLE_CPU_FEATURES", "NPY_ENABLE_CPU_FEATURES", "OPENBLAS_CORETYPE", "NUMBA_NUM_THREADS",
            "OMP_NUM_THREADS", "NUMBA_OPT")

_LOCK = threading.Lock()
#: cache file path -> {plan key: {"choice": ..., "times": {...}}}, as loaded and extended by this process
_PLANS: dict = {}


def enabled() -> bool:
    """Whether large calls are planned (``NNKERNEL_PLAN``, default on; 0/false/no/off keeps the fused loop)."""
    return env_flag("NNKERNEL_PLAN", True)


def cache_dir() -> str:
    """``NNKERNEL_CACHE_DIR``, else ``$XDG_CACHE_HOME/nnkernel``, else ``~/.cache/nnkernel``."""
    env = os.environ.get("NNKERNEL_CACHE_DIR", "").strip()
    if env:
        return env
    base = os.environ.get("XDG_CACHE_HOME", "").strip() or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "nnkernel")


def size_class(n: int) -> int:
    """k with 4^k <= n < 4^(k+1): plans are made per power of 4 of the element count."""
    return (max(int(n), 1).bit_length() - 1) // 2


@lru_cache(maxsize=1)
def _machine() -> tuple:
    """(CPU model, sorted CPU flags, architecture) from /proc/cpuinfo where there is one."""
    model, flags = "", ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "model name" and not model:
                    model = value.strip()
                elif key in ("flags", "Features") and not flags:
                    flags = " ".join(sorted(value.split()))
                if key == "" and flags:  # the end of the first processor's block
                    break
    except OSError:  # not Linux: the platform's words
        pass
    return model or platform.processor(), flags, platform.machine()


@lru_cache(maxsize=1)
def _versions() -> tuple:
    from importlib import metadata

    from . import __version__

    out = [("nnkernel", __version__), ("numpy", np.__version__)]
    for dist in ("numba", "scipy"):
        try:
            out.append((dist, metadata.version(dist)))
        except metadata.PackageNotFoundError:
            out.append((dist, None))
    for path in (fused.__file__, os.path.join(os.path.dirname(fused.__file__), "vecmath.py")):
        with open(path, "rb") as f:  # the block functions, the formulas and the SIMD functions themselves
            out.append((os.path.basename(path), hashlib.sha256(f.read()).hexdigest()[:12]))
    return tuple(out)


def environment() -> dict:
    """What the plans depend on: the CPU, the environment variables that steer NumPy, OpenBLAS and Numba,
    and the library versions."""
    model, flags, machine = _machine()
    return {"cpu": model, "flags": flags, "machine": machine, "threads": fused.threads(),
            "env": {v: os.environ.get(v) for v in ENV_VARS}, "versions": dict(_versions())}


def fingerprint(env: dict | None = None) -> str:
    """A short hash of :func:`environment`: the plan file's name."""
    text = json.dumps(environment() if env is None else env, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def cache_path() -> str:
    """The plan file for this CPU environment (worked out once per setting of the variables it reads)."""
    env = os.environ
    return _cache_path((env.get("NNKERNEL_CACHE_DIR"), env.get("XDG_CACHE_HOME"), env.get("HOME"),
                        *(env.get(v) for v in ENV_VARS)))


@lru_cache(maxsize=32)
def _cache_path(_variables: tuple) -> str:
    return os.path.join(cache_dir(), f"plan-{fingerprint()}.json")


def _read(path: str) -> dict:
    """The plans stored at ``path``; {} when missing, unreadable, of another environment or malformed."""
    try:
        with open(path) as f:
            data = json.load(f)
        plans = data["plans"]
        if data.get("fingerprint") != os.path.basename(path)[5:-5] or not isinstance(plans, dict):
            return {}
        return {k: v for k, v in plans.items()
                if isinstance(k, str) and isinstance(v, dict) and v.get("choice") in CANDIDATES}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def _write(path: str, plans: dict) -> None:
    """Merge ``plans`` into the file at ``path`` (another process may have added some) and replace it
    atomically; a cache that cannot be written is skipped (the plans stay in memory)."""
    try:
        merged = {**_read(path), **plans}
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"
        with open(tmp, "w") as f:
            json.dump({"fingerprint": os.path.basename(path)[5:-5], "environment": environment(),
                       "plans": merged}, f, indent=1, sort_keys=True)
        os.replace(tmp, path)
    except OSError:
        pass


def plans() -> dict:
    """This environment's plans: the cache file's, read once per process, plus those made since."""
    path = cache_path()
    with _LOCK:
        got = _PLANS.get(path)
        if got is None:
            got = _PLANS[path] = _read(path)
        return got


def reset() -> None:
    """Forget the plans held in memory (the next large call reads the cache file again)."""
    with _LOCK:
        _PLANS.clear()


def candidates() -> tuple:
    """The candidates on this machine: ``threads`` only where there is more than one thread to use."""
    return tuple(c for c in CANDIDATES if c != "threads" or fused.threads() > 1)


def runner(choice: str, name: str, formula, xp, args):
    """A function of no arguments evaluating the kernel ``name`` on ``args`` by ``choice``."""
    if choice == "formula":
        return lambda: formula(xp, *args)
    if choice == "blocks":
        return lambda: fused.blocks(name, *args)
    if choice == "threads":
        return lambda: fused.blocks(name, *args, workers=fused.threads())
    if choice == "fused":
        return lambda: fused.call(name, *args)
    raise ValueError(f"unknown plan {choice!r}; the candidates are {', '.join(CANDIDATES)}")


def key(name: str, args) -> str:
    """The plan key of a call: kernel, dtype and size class, e.g. ``"sigmoid/float32/9"``."""
    arrays = args[:fused.FORMULAS[name][1]]
    dtype = np.result_type(*arrays)
    return f"{name}/{dtype.name}/{size_class(sum(a.size for a in arrays))}"


def run(name: str, formula, xp, args):
    """Evaluate the kernel by this machine's plan for its key, making the plan first if there is none."""
    if not enabled():
        return fused.call(name, *args)
    k = key(name, args)
    entry = plans().get(k)
    if entry is not None:
        return runner(entry["choice"], name, formula, xp, args)()
    return _plan(k, name, formula, xp, args)


def _plan(k, name, formula, xp, args):
    """Time every candidate on this call, keep the fastest as the plan for ``k``, return its result."""
    times, best, result = {}, None, None
    for choice in candidates():
        fn = runner(choice, name, formula, xp, args)
        out = fn()  # warm-up: compiles the fused loop, starts the thread pool, faults the pages in
        runs = []
        while len(runs) < REPEATS and (not runs or sum(runs) < BUDGET_S):
            t0 = time.perf_counter()
            out = fn()
            runs.append(time.perf_counter() - t0)
        times[choice] = statistics.median(runs)  # not the minimum: a lucky run of a parallel loop on a
        # busy machine would win a plan that is slow in use
        if best is None or times[choice] < times[best]:
            best, result = choice, out
    entry = {"choice": best, "times": {c: float(f"{t:.3g}") for c, t in times.items()}}
    path = cache_path()
    with _LOCK:
        _PLANS.setdefault(path, {})[k] = entry
        mine = dict(_PLANS[path])
    _write(path, mine)
    return result


def plan_table() -> list:
    """The plans of this environment, as rows {"kernel", "dtype", "size_class", "elements", "choice",
    "times"} (seconds per candidate, as measured when planning), sorted; for benchmarks and the book."""
    rows = []
    for k, entry in plans().items():
        name, dtype, cls = k.split("/")
        rows.append({"kernel": name, "dtype": dtype, "size_class": int(cls), "elements": f"4^{cls}",
                     "choice": entry["choice"], "times": dict(entry.get("times", {}))})
    return sorted(rows, key=lambda r: (r["kernel"], r["dtype"], r["size_class"]))
