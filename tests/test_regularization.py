"""L1/L2 penalties, the L1 proximal step, and weight decay in the optimizers (against PyTorch when installed)."""
import math

import numpy as np
import pytest

import nnkernel as nk
from nnkernel.gradcheck import gradcheck
from nnkernel.optim import SGD, Adagrad, Adam, RMSProp
from nnkernel.regularization import l1_grad, l1_penalty, l2_grad, l2_penalty, soft_threshold

RATES = [0.0, 0.3, 2.5]


def _params(seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=(4, 3)), rng.normal(size=3), rng.normal(size=(2, 2, 2))]


# ----------------------------------------------------------------------------- penalties and gradients
@pytest.mark.parametrize("rate", RATES)
def test_penalties_match_numpy(rate):
    ps = _params()
    np.testing.assert_allclose(l1_penalty(ps, rate), rate * sum(np.abs(p).sum() for p in ps), rtol=1e-14)
    np.testing.assert_allclose(l2_penalty(ps, rate), rate / 2 * sum((p ** 2).sum() for p in ps), rtol=1e-14)
    for p in ps:
        np.testing.assert_array_equal(nk.to_numpy(l1_grad(p, rate)), rate * np.sign(p))
        np.testing.assert_array_equal(nk.to_numpy(l2_grad(p, rate)), rate * p)
    assert isinstance(l1_penalty(ps, rate), float) and isinstance(l2_penalty(ps, rate), float)


def test_penalties_accept_tuples_dicts_and_empty_lists():
    ps = _params()
    assert l1_penalty(tuple(ps), 0.5) == l1_penalty(ps, 0.5)
    assert l2_penalty({"a": ps[0], "b": ps[1], "c": ps[2]}, 0.5) == l2_penalty(ps, 0.5)
    assert l1_penalty([], 1.0) == 0.0 and l2_penalty([], 1.0) == 0.0


def test_l1_subgradient_is_zero_at_zero():
    p = np.array([-2.0, -0.0, 0.0, 1e-300, 3.0])
    np.testing.assert_array_equal(l1_grad(p, 0.5), [-0.5, 0.0, 0.0, 0.5, 0.5])


@pytest.mark.parametrize("rate", [0.3, 2.5])
@pytest.mark.parametrize("kind", ["l1", "l2"])
def test_gradients_match_central_differences(kind, rate):
    penalty, grad = (l1_penalty, l1_grad) if kind == "l1" else (l2_penalty, l2_grad)
    rng = np.random.default_rng(3)
    x = rng.normal(size=(5, 4))
    x[np.abs(x) < 1e-3] = 0.5  # keep away from |.|'s kink, where no derivative exists
    result = gradcheck(lambda w: penalty([w], rate), lambda w: grad(w, rate), x)
    assert result.ok, result


# ----------------------------------------------------------------------------- soft thresholding
def test_soft_threshold_formula_in_place():
    rng = np.random.default_rng(1)
    p = np.concatenate([rng.normal(size=200), [0.0, -0.0, 0.4, -0.4, 0.4000001, -1e-300]])
    want = np.sign(p) * np.maximum(np.abs(p) - 0.4, 0.0)
    q = p.copy()
    out = soft_threshold(q, 0.4)
    assert out is q
    np.testing.assert_array_equal(q, want)  # exactly: the same single rounding
    assert np.count_nonzero(q == 0) == np.count_nonzero(np.abs(p) <= 0.4)
    r = p.copy()
    soft_threshold(r, 0.0)
    np.testing.assert_array_equal(r, p)


def test_soft_threshold_float32_keeps_dtype():
    p = np.array([-1.0, 0.1, 2.0], dtype=np.float32)
    soft_threshold(p, 0.5)
    assert p.dtype == np.float32
    np.testing.assert_array_equal(p, np.array([-0.5, 0.0, 1.5], dtype=np.float32))


@pytest.mark.parametrize("t", [0.0, 0.25, 1.0])
def test_soft_threshold_is_the_l1_proximal_step(t):
    """soft_threshold(p, t) minimises 0.5 (w - p)^2 + t |w| over w (checked on a dense grid)."""
    grid = np.linspace(-4.0, 4.0, 80001)  # spacing 1e-4, contains 0
    for p in [-3.1, -1.0, -0.25, -0.1, 0.0, 0.05, 0.25, 0.7, 2.2]:
        w = float(soft_threshold(np.array([p]), t)[0])
        objective = lambda v: 0.5 * (v - p) ** 2 + t * np.abs(v)  # noqa: E731
        best = grid[np.argmin(objective(grid))]
        assert abs(w - best) <= 1e-4 + 1e-12
        assert objective(w) <= objective(grid).min() + 1e-12


def test_ista_makes_exact_zeros():
    """Proximal gradient on 0.5 ||A w - b||^2 + rate ||w||_1 gives a sparse w; the subgradient condition holds."""
    rng = np.random.default_rng(2)
    A = rng.normal(size=(40, 10))
    w_true = np.zeros(10)
    w_true[[1, 6]] = [2.0, -3.0]
    b = A @ w_true + 0.01 * rng.normal(size=40)
    rate, lr = 5.0, 1.0 / np.linalg.norm(A, 2) ** 2
    w = np.zeros(10)
    opt = SGD(lr=lr)
    for _ in range(2000):
        opt.step([w], [A.T @ (A @ w - b)])
        soft_threshold(w, lr * rate)
    assert set(np.flatnonzero(w)) == {1, 6}
    g = A.T @ (A @ w - b)
    nz = w != 0
    np.testing.assert_allclose(g[nz], -rate * np.sign(w[nz]), atol=1e-8)
    assert np.all(np.abs(g[~nz]) <= rate + 1e-8)


# ----------------------------------------------------------------------------- validation
BAD_RATES = [(-0.1, ValueError), (math.nan, ValueError), (math.inf, ValueError), ("0.1", TypeError),
             (None, TypeError), (True, TypeError), (1j, TypeError)]


@pytest.mark.parametrize("value,exc", BAD_RATES)
def test_bad_rates_raise(value, exc):
    p = np.ones(3)
    for call in (lambda: l1_penalty([p], value), lambda: l2_penalty([p], value),
                 lambda: l1_grad(p, value), lambda: l2_grad(p, value)):
        with pytest.raises(exc, match="rate"):
            call()
    with pytest.raises(exc, match="threshold"):
        soft_threshold(p, value)


@pytest.mark.parametrize("fn", [l1_penalty, l2_penalty])
def test_bad_params_raise(fn):
    with pytest.raises(TypeError, match=r"params must be a list .*wrap a single array"):
        fn(np.ones(3), 0.1)
    with pytest.raises(TypeError, match="params must be a list"):
        fn("W", 0.1)
    with pytest.raises(TypeError, match=r"params\[1\] must be an array of floats"):
        fn([np.ones(2), np.arange(3)], 0.1)
    with pytest.raises(TypeError, match=r"params\['b'\] must be an array of floats"):
        fn({"a": np.ones(2), "b": [1.0, 2.0]}, 0.1)


@pytest.mark.parametrize("fn", [l1_grad, l2_grad, soft_threshold])
def test_bad_arrays_raise(fn):
    for bad in ([1.0, 2.0], np.arange(3), np.array(["a"]), None, 2.0):
        with pytest.raises(TypeError, match="p must be an array of floats"):
            fn(bad, 0.1)


def test_soft_threshold_refuses_numpy_scalars():
    with pytest.raises(TypeError, match="in place"):
        soft_threshold(np.float64(1.0), 0.1)


# ----------------------------------------------------------------------------- weight decay
OPTIMIZERS = [
    ("sgd", lambda **kw: SGD(lr=0.05, **kw)),
    ("sgd-momentum", lambda **kw: SGD(lr=0.05, momentum=0.9, **kw)),
    ("sgd-nesterov", lambda **kw: SGD(lr=0.05, momentum=0.9, nesterov=True, **kw)),
    ("adagrad", lambda **kw: Adagrad(lr=0.05, **kw)),
    ("rmsprop", lambda **kw: RMSProp(lr=0.01, beta=0.9, **kw)),
    ("adam", lambda **kw: Adam(lr=0.01, beta1=0.8, beta2=0.95, **kw)),
]


@pytest.mark.parametrize("name,make", OPTIMIZERS, ids=[o[0] for o in OPTIMIZERS])
def test_weight_decay_is_the_l2_gradient_added(name, make):
    rng = np.random.default_rng(11)
    p0 = [rng.normal(size=(4, 3)), rng.normal(size=3)]
    grads = [[rng.normal(size=(4, 3)), rng.normal(size=3)] for _ in range(6)]
    wd = 0.1
    a, b = [p.copy() for p in p0], [p.copy() for p in p0]
    opt_a, opt_b = make(weight_decay=wd), make()
    assert opt_a.weight_decay == wd and opt_b.weight_decay == 0.0
    for g in grads:
        opt_a.step(a, g)
        opt_b.step(b, [gi + l2_grad(pi, wd) for gi, pi in zip(g, b)])
    for pa, pb in zip(a, b):
        np.testing.assert_allclose(pa, pb, rtol=1e-13)
    assert not np.allclose(a[0], p0[0])


@pytest.mark.parametrize("cls", [SGD, Adagrad, RMSProp, Adam])
@pytest.mark.parametrize("value,exc", [(-0.1, ValueError), (math.nan, ValueError), (math.inf, ValueError),
                                       ("0.1", TypeError), (None, TypeError)])
def test_bad_weight_decay_raises(cls, value, exc):
    with pytest.raises(exc, match=rf"{cls.__name__}: weight_decay"):
        cls(weight_decay=value)


# ----------------------------------------------------------------------------- against PyTorch
TORCH_OPTIMIZERS = [
    ("sgd", lambda: SGD(lr=0.05, weight_decay=0.1), lambda t: t.optim.SGD, {"lr": 0.05}),
    ("sgd-momentum", lambda: SGD(lr=0.05, momentum=0.9, weight_decay=0.1), lambda t: t.optim.SGD,
     {"lr": 0.05, "momentum": 0.9}),
    ("sgd-nesterov", lambda: SGD(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1), lambda t: t.optim.SGD,
     {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    ("adagrad", lambda: Adagrad(lr=0.05, eps=1e-10, weight_decay=0.1), lambda t: t.optim.Adagrad,
     {"lr": 0.05, "eps": 1e-10}),
    ("rmsprop", lambda: RMSProp(lr=0.01, beta=0.9, eps=1e-8, weight_decay=0.1), lambda t: t.optim.RMSprop,
     {"lr": 0.01, "alpha": 0.9, "eps": 1e-8}),
    ("adam", lambda: Adam(lr=0.01, beta1=0.8, beta2=0.95, eps=1e-8, weight_decay=0.1), lambda t: t.optim.Adam,
     {"lr": 0.01, "betas": (0.8, 0.95), "eps": 1e-8}),
]


@pytest.mark.parametrize("name,ours,theirs,kw", TORCH_OPTIMIZERS, ids=[o[0] for o in TORCH_OPTIMIZERS])
def test_weight_decay_trajectories_match_torch(name, ours, theirs, kw):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    A, b = rng.normal(size=(12, 4)), rng.normal(size=(12, 3))
    W0 = rng.normal(size=(4, 3))
    W = W0.copy()
    opt = ours()
    tW = torch.tensor(W0.copy(), dtype=torch.float64, requires_grad=True)
    topt = theirs(torch)([tW], weight_decay=0.1, **kw)
    for _ in range(20):  # least squares 0.5 ||A W - b||^2: each side takes its own gradient at its own W
        opt.step([W], [A.T @ (A @ W - b)])
        topt.zero_grad()
        (0.5 * ((torch.tensor(A) @ tW - torch.tensor(b)) ** 2).sum()).backward()
        topt.step()
        np.testing.assert_allclose(W, tW.detach().numpy(), rtol=1e-12, atol=1e-14)
    assert not np.allclose(W, W0)
