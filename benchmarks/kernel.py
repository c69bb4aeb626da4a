"""nnkernel against PyTorch on the CPU, and CuPy against NumPy on a GPU.

Elementwise work: forward plus derivative of every elementwise activation and
loss on float32 arrays; a training step (forward, backward, Adam update) of a
784-256-256-10 MLP.
"""
from __future__ import annotations

import statistics

import numpy as np

import nnkernel as nk
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
    model.backward(grad)
    opt.step(model.params, model.grads)


def elementwise_cases(xp_arrays):
    """(name, fn) pairs doing forward + derivative with nnkernel on the given arrays."""
    z, t = xp_arrays
    A, L = nk.activations, nk.losses
    cases = [(f"activation {n}", (lambda n=n: (getattr(A, n)(z), getattr(A, f"{n}_grad")(z)))) for n in ACTIVATIONS]
    tb = (t > 0.5) * 1.0 if hasattr(t, "__gt__") else t
    for n in LOSSES:
        target = tb if n == "binary_cross_entropy_with_logits" else t
        cases.append((f"loss {n}", (lambda n=n, target=target: (getattr(L, n)(target, z),
                                                                 getattr(L, f"{n}_grad")(target, z)))))
    return cases


def run_cpu(results, sizes=(10**6, 10**7)):
    """nnkernel (NumPy) / PyTorch (CPU) time ratios, and each op against a memory copy."""
    try:
        import torch
    except ImportError:
        print("kernel: PyTorch is not installed (pip install torch==2.13.0); skipping the CPU comparison")
        return
    torch.set_num_threads(max(1, __import__("os").cpu_count() or 1))
    tacts, tlosses = _torch_activations(torch), _torch_losses(torch)
    ratios = []
    for n in sizes:
        rng = np.random.default_rng(0)
        z = rng.normal(0, 3, n).astype(np.float32)
        t = rng.normal(0, 1, n).astype(np.float32)
        tz = torch.tensor(z, requires_grad=True)
        tt = torch.tensor(t)
        ttb = (tt > 0.5).float()
        copy = best_of(lambda: z.copy(), repeat=5)
        for name, fn in elementwise_cases((z, t)):
            ours = best_of(fn, repeat=5)
            kind, op = name.split(" ", 1)
            if kind == "activation":
                def theirs(op=op):
                    out = tacts[op](tz)
                    (g,) = torch.autograd.grad(out, tz, torch.ones_like(out))
                    return out, g
            else:
                def theirs(op=op):
                    out = tlosses[op](tz, ttb if op.startswith("binary") else tt)
                    (g,) = torch.autograd.grad(out, tz)
                    return out, g
            ref = best_of(theirs, repeat=5)
            ratios.append(ours / ref)
            results.add("kernel-cpu", f"{name} n={n:.0e} nnkernel/torch", ours / ref, "ratio", section="kernel-cpu")
            results.add("kernel-cpu", f"{name} n={n:.0e} time/memcopy", ours / copy, "ratio", section="kernel-cpu")
    results.add("kernel-cpu", "elementwise median nnkernel/torch", statistics.median(ratios), "ratio", goal=1.0,
                direction="max", section="kernel-cpu")

    model, X, y = mlp(256)
    opt = nk.optim.Adam(1e-3)
    ours = best_of(lambda: nnkernel_train_step(model, opt, X, y), repeat=7, number=3)
    tmodel = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 256),
                                 torch.nn.ReLU(), torch.nn.Linear(256, 10))
    topt = torch.optim.Adam(tmodel.parameters(), lr=1e-3)
    tX, ty = torch.tensor(np.asarray(X)), torch.tensor(np.asarray(y).argmax(1))

    def tstep():
        topt.zero_grad()
        torch.nn.functional.cross_entropy(tmodel(tX), ty).backward()
        topt.step()

    ref = best_of(tstep, repeat=7, number=3)
    results.add("kernel-cpu", "MLP 784-256-256-10 batch 256 step, ms (nnkernel)", ours * 1e3, "ms", section="kernel-cpu")
    results.add("kernel-cpu", "MLP 784-256-256-10 batch 256 step, ms (torch)", ref * 1e3, "ms", section="kernel-cpu")
    results.add("kernel-cpu", "MLP training step nnkernel/torch", ours / ref, "ratio", goal=1.3, direction="max",
                section="kernel-cpu")


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
