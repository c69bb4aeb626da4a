"""Agreement with PyTorch (float64), the de-facto reference for these formulas.

Skipped as a whole when torch is not installed; the core suite does not need it.

Derivatives on the torch side come from autograd of torch's own functions (or of
the plain formula where torch has none).  Inputs: a grid from -30 to 30 (which
contains the kinks at 0 exactly) plus random points.

Tolerances: rtol=1e-12, atol=1e-14 -- a few ulp; both sides evaluate the same
mathematics with different round-off (e.g. torch's sigmoid' = y (1 - y) loses
relative accuracy in the tails where ours does not, hence the small atol).
"""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import torch.nn.functional as F  # noqa: E402

import nnkernel as nk  # noqa: E402
from nnkernel import activations as A  # noqa: E402
from nnkernel import losses as L  # noqa: E402

RTOL, ATOL = 1e-12, 1e-14

_rng = np.random.default_rng(20240611)
POINTS = np.unique(np.concatenate([np.linspace(-30.0, 30.0, 601), [0.0, -1e-8, 1e-8],
                                   _rng.normal(scale=6.0, size=200), _rng.uniform(-30, 30, size=100)]))


def npa(a):
    return np.asarray(nk.to_numpy(a), dtype=np.float64)


def tt(a, grad=False):
    return torch.tensor(np.asarray(a, dtype=np.float64), dtype=torch.float64, requires_grad=grad)


def torch_value_and_grad(fn, x):
    """fn(x) and d sum(fn(x)) / dx, i.e. the elementwise derivative, by autograd."""
    xt = tt(x, grad=True)
    y = fn(xt)
    (g,) = torch.autograd.grad(y.sum(), xt)
    return y.detach().numpy(), g.numpy()


def close(got, want, rtol=RTOL, atol=ATOL):
    np.testing.assert_allclose(npa(got), np.asarray(want, dtype=np.float64), rtol=rtol, atol=atol)


@pytest.fixture(autouse=True)
def _float64_torch():
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


# ----------------------------------------------------------------------------- activations
TORCH_ACTIVATIONS = [
    ("linear", {"m": 1.0}, lambda x: 1.0 * x),
    ("linear", {"m": -1.7}, lambda x: -1.7 * x),
    ("sigmoid", {}, torch.sigmoid),
    ("tanh", {}, torch.tanh),
    ("relu", {}, F.relu),
    ("leaky_relu", {"alpha": 0.01}, lambda x: F.leaky_relu(x, 0.01)),
    ("leaky_relu", {"alpha": 0.3}, lambda x: F.leaky_relu(x, 0.3)),
    ("prelu", {"alpha": 0.25}, lambda x: F.prelu(x, torch.tensor([0.25]))),
    ("prelu", {"alpha": -0.5}, lambda x: torch.where(x > 0, x, -0.5 * x)),
    ("elu", {"alpha": 1.0}, lambda x: F.elu(x, 1.0)),
    ("elu", {"alpha": 0.3}, lambda x: F.elu(x, 0.3)),
    ("elu", {"alpha": 2.5}, lambda x: F.elu(x, 2.5)),
    ("selu", {}, F.selu),
    # F.softplus switches to the identity above threshold=20, which is not exact: use logaddexp
    ("softplus", {}, lambda x: torch.logaddexp(x, torch.zeros_like(x))),
    ("swish", {"beta": 1.0}, F.silu),
    ("swish", {"beta": 0.0}, lambda x: x * torch.sigmoid(0.0 * x)),
    ("swish", {"beta": 0.5}, lambda x: x * torch.sigmoid(0.5 * x)),
    ("swish", {"beta": 3.0}, lambda x: x * torch.sigmoid(3.0 * x)),
    ("gelu", {}, lambda x: F.gelu(x, approximate="none")),
    ("gaussian", {}, lambda x: torch.exp(-(x**2))),
]


@pytest.mark.parametrize("name, params, torch_fn", TORCH_ACTIVATIONS,
                         ids=[f"{n}-{p}" if p else n for n, p, _ in TORCH_ACTIVATIONS])
def test_activation_value_and_derivative_match_torch(name, params, torch_fn):
    info = A.REGISTRY[name]
    want, want_grad = torch_value_and_grad(torch_fn, POINTS)
    close(info.fn(POINTS, **params), want)
    close(info.grad(POINTS, **params), want_grad)  # includes z = 0: the kink conventions are PyTorch's


def test_binary_step_matches_heaviside():
    want = torch.heaviside(tt(POINTS), torch.tensor(1.0)).numpy()
    close(A.binary_step(POINTS), want)
    close(A.binary_step_grad(POINTS), np.zeros_like(POINTS))  # no gradient signal (torch has none either)


def test_every_elementwise_activation_is_compared():
    covered = {n for n, _, _ in TORCH_ACTIVATIONS} | {"binary_step"}
    assert covered == {n for n, info in A.REGISTRY.items() if info.elementwise}


def _rows(shape, scale=10.0, seed=0):
    return np.random.default_rng(seed).normal(scale=scale, size=shape)


@pytest.mark.parametrize("shape", [(5,), (4, 7), (2, 3, 6)])
def test_softmax_and_log_softmax_match_torch(shape):
    z = _rows(shape)
    close(A.softmax(z), torch.softmax(tt(z), dim=-1).numpy())
    close(A.log_softmax(z), torch.log_softmax(tt(z), dim=-1).numpy())
    close(A.softmax(z, axis=0), torch.softmax(tt(z), dim=0).numpy())
    close(A.log_softmax(z, axis=0), torch.log_softmax(tt(z), dim=0).numpy())


def test_softmax_extreme_logits_match_torch():
    z = np.array([[-1e4, -1e3, -50.0, 0.0, 50.0, 1e3, 1e4], [3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0]])
    close(A.softmax(z), torch.softmax(tt(z), dim=-1).numpy())
    close(A.log_softmax(z), torch.log_softmax(tt(z), dim=-1).numpy())


@pytest.mark.parametrize("seed", range(4))
def test_softmax_jacobian_matches_torch(seed):
    z = _rows((3, 5), scale=4.0, seed=seed)
    J = npa(A.softmax_jacobian(z))
    for i in range(z.shape[0]):
        want = torch.autograd.functional.jacobian(lambda v: torch.softmax(v, dim=-1), tt(z[i])).numpy()
        np.testing.assert_allclose(J[i], want, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_maxout_matches_torch(k):
    z = _rows((5, 12), seed=k)  # continuous random values: no ties
    xt = tt(z, grad=True)
    y = xt.view(5, 12 // k, k).amax(dim=-1)
    (g,) = torch.autograd.grad(y.sum(), xt)
    close(A.maxout(z, k), y.detach().numpy(), rtol=0, atol=0)
    close(A.maxout_grad(z, k), g.numpy(), rtol=0, atol=0)


def test_maxout_ties_differ_from_torch_amax_by_convention():
    # documented convention: the whole gradient goes to the first maximum;
    # torch.amax splits it evenly among tied maxima.  Both are subgradients.
    z = np.array([[2.0, 2.0, 1.0, 0.0]])
    xt = tt(z, grad=True)
    (g,) = torch.autograd.grad(xt.view(1, 2, 2).amax(-1).sum(), xt)
    np.testing.assert_array_equal(g.numpy(), [[0.5, 0.5, 1.0, 0.0]])
    np.testing.assert_array_equal(npa(A.maxout_grad(z, 2)), [[1.0, 0.0, 1.0, 0.0]])


# ----------------------------------------------------------------------------- losses
def _torch_loss_and_grad(torch_fn, t, p):
    pt = tt(p, grad=True)
    tt_ = torch.tensor(t) if np.asarray(t).dtype.kind in "iu" else tt(t)
    value = torch_fn(tt_, pt)
    (g,) = torch.autograd.grad(value, pt)
    return value.item(), g.numpy()


def _reg(seed, shape=(4, 5)):
    rng = np.random.default_rng(seed)
    t = rng.normal(size=shape)
    return t, t + rng.uniform(0.05, 4.0, size=shape) * rng.choice([-1, 1], size=shape)


def _probs(seed, shape=(6, 4)):
    rng = np.random.default_rng(seed)
    z = rng.normal(scale=2.0, size=shape)
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _data(name, seed):
    rng = np.random.default_rng(seed)
    if name == "msle":
        return rng.uniform(-0.9, 8, size=(4, 5)), rng.uniform(-0.9, 8, size=(4, 5))
    if name == "log_cosh":
        t = rng.normal(size=(4, 5))
        return t, t + rng.uniform(-15, 15, size=(4, 5))
    if name == "binary_cross_entropy":
        t = np.concatenate([rng.integers(0, 2, size=8).astype(float), rng.uniform(size=4), [0.0, 1.0, 1.0, 0.0]])
        p = np.concatenate([rng.uniform(0.001, 0.999, size=12), [0.0, 1.0, 0.0, 1.0]])  # exact 0 and 1 too
        return t, p
    if name == "binary_cross_entropy_with_logits":
        t = np.concatenate([rng.integers(0, 2, size=8).astype(float), rng.uniform(size=4)])
        return t, np.concatenate([rng.uniform(-40, 40, size=10), [-1e3, 1e3]])
    if name in ("hinge", "squared_hinge"):
        t = rng.choice([-1.0, 1.0], size=12)
        p = np.concatenate([rng.normal(scale=2.0, size=10), [1.0, -1.0]])
        t[-2:] = [1.0, -1.0]  # exactly on the kink y * y_hat = 1
        return t, p
    if name == "categorical_cross_entropy":
        p = _probs(seed)
        return np.eye(4)[rng.integers(0, 4, size=6)], p
    if name == "sparse_categorical_cross_entropy":
        return rng.integers(0, 4, size=6), _probs(seed)
    if name == "kl_divergence":
        p = _probs(seed + 100)
        p[0, 1] = 0.0  # 0 log 0 = 0
        return p / p.sum(-1, keepdims=True), _probs(seed)
    return _reg(seed)


TORCH_LOSSES = {
    "mean_error": (lambda t, p: (t - p).mean(), {}),
    "mse": (lambda t, p: F.mse_loss(p, t), {}),
    "mae": (lambda t, p: F.l1_loss(p, t), {}),
    "rmse": (lambda t, p: torch.sqrt(F.mse_loss(p, t)), {}),
    "msle": (lambda t, p: ((torch.log1p(p) - torch.log1p(t)) ** 2).mean(), {}),
    "huber": (lambda t, p: F.huber_loss(p, t, delta=1.0), {}),
    "log_cosh": (lambda t, p: torch.log(torch.cosh(p - t)).mean(), {}),
    "binary_cross_entropy": (lambda t, p: F.binary_cross_entropy(p, t), {}),
    "binary_cross_entropy_with_logits": (lambda t, p: F.binary_cross_entropy_with_logits(p, t), {}),
    "hinge": (lambda t, p: F.relu(1 - t * p).mean(), {}),
    "squared_hinge": (lambda t, p: (F.relu(1 - t * p) ** 2).mean(), {}),
    "categorical_cross_entropy": (lambda t, p: -(t * torch.log(p)).sum(-1).mean(), {}),
    "sparse_categorical_cross_entropy": (lambda t, p: F.nll_loss(torch.log(p), t), {}),
    "kl_divergence": (lambda t, p: F.kl_div(p.log(), t, reduction="batchmean"), {}),
}
HUBER_DELTAS = [0.3, 1.0, 2.5]

# torch floors p (1 - p) at EPSILON = 1e-12 stored as a float32, i.e. 9.999999960041972e-13, where we use the
# float64 1e-12: at p exactly 0 or 1 the gradients differ by 4e-9 relatively.
BCE_CLAMP_RTOL = 1e-8


def test_every_loss_is_compared():
    assert set(TORCH_LOSSES) == set(L.LOSSES)


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("name", list(TORCH_LOSSES))
def test_loss_value_and_gradient_match_torch(name, seed):
    torch_fn, params = TORCH_LOSSES[name]
    fn, grad = L.LOSSES[name]
    t, p = _data(name, seed)
    value, g = _torch_loss_and_grad(torch_fn, t, p)
    close(fn(t, p, **params), value)
    close(grad(t, p, **params), g, rtol=BCE_CLAMP_RTOL if name == "binary_cross_entropy" else RTOL)


@pytest.mark.parametrize("delta", HUBER_DELTAS)
def test_huber_matches_torch_including_the_kink(delta):
    rng = np.random.default_rng(7)
    t = rng.normal(size=20)
    r = np.concatenate([rng.uniform(-5, 5, size=16), [delta, -delta, 0.0, 0.5 * delta]])
    p = t + r
    value, g = _torch_loss_and_grad(lambda tt_, pt: F.huber_loss(pt, tt_, delta=delta), t, p)
    close(L.huber(t, p, delta=delta), value)
    close(L.huber_grad(t, p, delta=delta), g)
    # at |r| = delta exactly both sides give the gradient delta * sign(r) / N
    t0, p0 = np.zeros(2), np.array([delta, -delta])
    _, g0 = _torch_loss_and_grad(lambda tt_, pt: F.huber_loss(pt, tt_, delta=delta), t0, p0)
    close(L.huber_grad(t0, p0, delta=delta), g0)


def test_mae_at_zero_residual_matches_torch():
    t = np.array([1.0, 2.0, 3.0])
    p = np.array([1.0, 2.5, 2.0])
    value, g = _torch_loss_and_grad(lambda a, b: F.l1_loss(b, a), t, p)
    close(L.mae(t, p), value)
    close(L.mae_grad(t, p), g)  # sign(0) = 0 on both sides


def test_reduction_none_and_sum_match_torch():
    t, p = _reg(3)
    close(L.mse(t, p, reduction="none"), F.mse_loss(tt(p), tt(t), reduction="none").numpy())
    close(L.mse(t, p, reduction="sum"), F.mse_loss(tt(p), tt(t), reduction="sum").item())
    close(L.mae(t, p, reduction="sum"), F.l1_loss(tt(p), tt(t), reduction="sum").item())
    close(L.huber(t, p, reduction="none", delta=0.7),
          F.huber_loss(tt(p), tt(t), reduction="none", delta=0.7).numpy())
    tb, pb = _data("binary_cross_entropy", 0)
    close(L.binary_cross_entropy(tb, pb, reduction="none"),
          F.binary_cross_entropy(tt(pb), tt(tb), reduction="none").numpy())
    tl, zl = _data("binary_cross_entropy_with_logits", 0)
    close(L.binary_cross_entropy_with_logits(tl, zl, reduction="sum"),
          F.binary_cross_entropy_with_logits(tt(zl), tt(tl), reduction="sum").item())
    ts, ps = _data("sparse_categorical_cross_entropy", 0)
    close(L.sparse_categorical_cross_entropy(ts, ps, reduction="none"),
          F.nll_loss(torch.log(tt(ps)), torch.tensor(ts), reduction="none").numpy())
    close(L.sparse_categorical_cross_entropy(ts, ps, reduction="sum"),
          F.nll_loss(torch.log(tt(ps)), torch.tensor(ts), reduction="sum").item())
    tk, qk = _data("kl_divergence", 0)
    close(L.kl_divergence(tk, qk, reduction="sum"), F.kl_div(tt(qk).log(), tt(tk), reduction="sum").item())


def test_bce_clamp_matches_torch_at_exact_0_and_1():
    t = np.array([0.0, 1.0, 0.0, 1.0, 0.3])
    p = np.array([0.0, 1.0, 1.0, 0.0, 0.0])
    close(L.binary_cross_entropy(t, p, reduction="none"),
          F.binary_cross_entropy(tt(p), tt(t), reduction="none").numpy())
    _, g = _torch_loss_and_grad(lambda a, b: F.binary_cross_entropy(b, a), t, p)
    close(L.binary_cross_entropy_grad(t, p), g, rtol=BCE_CLAMP_RTOL)
    close(L.binary_cross_entropy_grad(t, p), np.array([0.0, 0.0, 1e12, -1e12, -0.3e12]) / 5, rtol=RTOL)


# ----------------------------------------------------------------------------- torch tensors in, torch tensors out
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("name", list(A.REGISTRY))
def test_activations_compute_in_torchs_namespace(name, dtype):
    info = A.REGISTRY[name]
    host = np.array([[-3.0, -0.5, 0.0, 1.5], [2.0, 0.25, -1.0, 4.0]])
    z = torch.tensor(host, dtype=dtype)
    tol = dict(rtol=1e-12, atol=1e-14) if dtype == torch.float64 else dict(rtol=1e-5, atol=1e-6)
    for fn in (info.fn, info.grad):
        out = fn(z, **info.defaults)
        assert isinstance(out, torch.Tensor) and out.dtype == dtype
        np.testing.assert_allclose(out.numpy(), npa(fn(host, **info.defaults)), **tol)


@pytest.mark.parametrize("name", list(L.LOSSES))
def test_losses_compute_in_torchs_namespace(name):
    fn, grad = L.LOSSES[name]
    t, p = _data(name, 0)
    t_t = torch.tensor(t)
    p_t = torch.tensor(p)
    for f in (fn, grad):
        out = f(t_t, p_t)
        assert isinstance(out, torch.Tensor) and out.dtype == torch.float64
        np.testing.assert_allclose(out.numpy(), npa(f(t, p)), rtol=RTOL, atol=ATOL)


# ----------------------------------------------------------------------------- the fused path (large NumPy arrays)
from nnkernel import fused  # noqa: E402

BIG = np.concatenate([np.resize(POINTS, fused.MIN_SIZE), np.random.default_rng(7).normal(0, 8, 1000)])


@pytest.mark.skipif(not fused.enabled(), reason="Numba is not installed: no fused path to compare")
@pytest.mark.parametrize("name, params, torch_fn", [a for a in TORCH_ACTIVATIONS if a[0] in fused.FORMULAS
                                                    or a[0] in ("tanh", "selu")],
                         ids=lambda v: v if isinstance(v, str) else "")
def test_fused_activations_match_torch(name, params, torch_fn):
    assert fused.applies(BIG)
    info = A.REGISTRY[name]
    want, want_grad = torch_value_and_grad(torch_fn, BIG)
    close(info.fn(BIG, **params), want)
    close(info.grad(BIG, **params), want_grad)


@pytest.mark.skipif(not fused.enabled(), reason="Numba is not installed: no fused path to compare")
@pytest.mark.parametrize("name", ["huber", "log_cosh", "binary_cross_entropy_with_logits"])
def test_fused_losses_match_torch(name):
    rng = np.random.default_rng(3)
    n = fused.MIN_SIZE
    t = (rng.random(n) < 0.5) * 1.0 if name.startswith("binary") else rng.normal(size=n)
    p = rng.normal(0, 6, n)
    assert fused.applies(t, p)
    torch_fn, params = TORCH_LOSSES[name]
    fn, grad = L.LOSSES[name]
    value, g = _torch_loss_and_grad(torch_fn, t, p)
    close(fn(t, p, **params), value)
    close(grad(t, p, **params), g, atol=ATOL / n)
