"""nnkernel.losses.gaussian_nll and gaussian_nll_grad: values against torch.nn.GaussianNLLLoss (float64,
rtol 1e-12), gradients against torch autograd and central finite differences, the clamp of the variance
at eps, the shapes of a shared variance, and readable errors."""
from __future__ import annotations

import math

import numpy as np
import pytest

import nnkernel as nk
from nnkernel import losses as L

RTOL, ATOL = 1e-12, 1e-15


def data(shape=(6, 3), seed=0):
    g = np.random.default_rng(seed)
    return g.normal(size=shape), g.normal(size=shape), g.uniform(0.2, 2.0, size=shape)


def reference(t, mu, var, reduction="mean", full=False, eps=1e-6):
    v = np.maximum(np.asarray(var, dtype=float), eps)
    losses = 0.5 * (np.log(v) + (mu - t) ** 2 / v) + (0.5 * math.log(2 * math.pi) if full else 0.0)
    losses = np.broadcast_to(losses, np.shape(mu))
    return {"mean": losses.mean(), "sum": losses.sum(), "none": losses}[reduction]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("full", [False, True])
def test_values_against_formula_and_scipy(reduction, full):
    t, mu, var = data()
    got = L.gaussian_nll(t, mu, var, reduction=reduction, full=full)
    np.testing.assert_allclose(got, reference(t, mu, var, reduction, full), rtol=RTOL, atol=ATOL)
    if full and reduction == "none":
        from scipy import stats
        np.testing.assert_allclose(got, -stats.norm.logpdf(t, loc=mu, scale=np.sqrt(var)), rtol=1e-12)


def test_full_adds_half_log_two_pi():
    t, mu, var = data()
    diff = L.gaussian_nll(t, mu, var, full=True) - L.gaussian_nll(t, mu, var)
    assert diff == pytest.approx(0.5 * math.log(2 * math.pi), rel=1e-14)


def test_var_below_eps_is_clamped():
    t, mu = np.array([0.0, 1.0, 2.0]), np.array([0.5, 1.0, 1.0])
    var = np.array([0.0, 1e-9, 0.5])
    eps = 1e-3
    got = L.gaussian_nll(t, mu, var, reduction="none", eps=eps)
    want = reference(t, mu, np.array([eps, eps, 0.5]), "none")
    np.testing.assert_allclose(got, want, rtol=RTOL)
    assert np.all(np.isfinite(got))


@pytest.mark.parametrize("mu_shape,var_shape", [
    ((6, 3), (6, 3)), ((6, 3), (6,)), ((6, 3), (6, 1)), ((4, 3, 5), (4, 1, 5)), ((5,), ()),
])
def test_shared_variance_shapes(mu_shape, var_shape):
    g = np.random.default_rng(1)
    t, mu = g.normal(size=mu_shape), g.normal(size=mu_shape)
    var = g.uniform(0.3, 2.0, size=var_shape)
    vb = var[..., None] if var_shape == mu_shape[:-1] and var_shape != () else var
    got = L.gaussian_nll(t, mu, var, reduction="none")
    np.testing.assert_allclose(got, reference(t, mu, vb, "none"), rtol=RTOL)
    gm, gv = L.gaussian_nll_grad(t, mu, var)
    assert gm.shape == mu.shape and gv.shape == var.shape
    num = nk.numerical_gradient(lambda v: L.gaussian_nll(t, mu, v), var)
    np.testing.assert_allclose(gv, num, rtol=1e-5, atol=1e-8)


def test_a_python_number_var():
    t, mu, _ = data()
    got = L.gaussian_nll(t, mu, 0.7)
    np.testing.assert_allclose(got, reference(t, mu, 0.7), rtol=RTOL)
    gm, gv = L.gaussian_nll_grad(t, mu, 0.7)
    assert np.shape(gv) == ()
    num = nk.numerical_derivative(lambda v: L.gaussian_nll(t, mu, float(np.squeeze(v))), np.array([0.7]))
    np.testing.assert_allclose(float(gv), float(np.squeeze(num)), rtol=1e-6)


def test_gradients_against_finite_differences():
    t, mu, var = data(seed=3)
    gm, gv = L.gaussian_nll_grad(t, mu, var)
    assert nk.gradcheck(lambda m: L.gaussian_nll(t, m, var), lambda m: L.gaussian_nll_grad(t, m, var)[0], mu).ok
    assert nk.gradcheck(lambda v: L.gaussian_nll(t, mu, v), lambda v: L.gaussian_nll_grad(t, mu, v)[1], var).ok
    # the closed forms
    n = mu.size
    np.testing.assert_allclose(gm, (mu - t) / var / n, rtol=RTOL)
    np.testing.assert_allclose(gv, (1 / var - (mu - t) ** 2 / var**2) / (2 * n), rtol=RTOL)


def test_var_gradient_at_the_clamp_passes_through():
    """Below eps the loss is flat in var, but the returned gradient is the formula at v = eps (PyTorch's)."""
    t, mu, var, eps = np.array([0.0]), np.array([0.5]), np.array([1e-5]), 1e-3
    _, gv = L.gaussian_nll_grad(t, mu, var, eps=eps)
    assert gv[0] == pytest.approx(0.5 * (1 / eps - 0.25 / eps**2), rel=1e-14)
    flat = nk.numerical_gradient(lambda v: L.gaussian_nll(t, mu, v, eps=eps), var)
    assert flat[0] == 0.0


def test_bad_input_is_refused():
    t, mu, var = data()
    with pytest.raises(ValueError, match="var must be >= 0"):
        L.gaussian_nll(t, mu, -var)
    with pytest.raises(ValueError, match="var must be >= 0"):
        L.gaussian_nll_grad(t, mu, -1.0)
    with pytest.raises(ValueError, match="y_true has shape .* but mean has shape"):
        L.gaussian_nll(t[:, :2], mu, var)
    with pytest.raises(ValueError, match="var has shape"):
        L.gaussian_nll(t, mu, var[:, :2])
    with pytest.raises(ValueError, match="var contains NaN"):
        L.gaussian_nll(t, mu, np.full_like(var, np.nan))
    with pytest.raises(ValueError, match="eps"):
        L.gaussian_nll(t, mu, var, eps=0.0)
    with pytest.raises(ValueError, match="reduction"):
        L.gaussian_nll(t, mu, var, reduction="max")
    with pytest.raises(TypeError, match="full"):
        L.gaussian_nll(t, mu, var, full=1)
    with pytest.raises(ValueError, match="empty"):
        L.gaussian_nll(np.zeros(0), np.zeros(0), np.ones(0))
    assert L.gaussian_nll(np.zeros(0), np.zeros(0), np.ones(0), reduction="sum") == 0.0


# ----------------------------------------------------------------------------- PyTorch
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("mu_shape,var_shape", [((7, 3), (7, 3)), ((7, 3), (7,)), ((7, 3), (7, 1)), ((4, 3, 5), (4, 1, 5))])
def test_against_torch(reduction, full, mu_shape, var_shape):
    torch = pytest.importorskip("torch")
    g = np.random.default_rng(7)
    t, mu = g.normal(size=mu_shape), g.normal(size=mu_shape)
    var = g.uniform(0.0, 2.0, size=var_shape)
    var.flat[0] = 0.0  # clamped
    var.flat[-1] = 1e-8  # clamped
    eps = 1e-4
    tm = torch.tensor(mu, dtype=torch.float64, requires_grad=True)
    tv = torch.tensor(var, dtype=torch.float64, requires_grad=True)
    want = torch.nn.GaussianNLLLoss(full=full, eps=eps, reduction=reduction)(tm, torch.tensor(t), tv)
    got = L.gaussian_nll(t, mu, var, reduction=reduction, full=full, eps=eps)
    np.testing.assert_allclose(got, want.detach().numpy(), rtol=RTOL, atol=ATOL)
    if reduction == "mean":
        want.backward()
        gm, gv = L.gaussian_nll_grad(t, mu, var, full=full, eps=eps)
        np.testing.assert_allclose(gm, tm.grad.numpy(), rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose(gv, tv.grad.numpy(), rtol=RTOL, atol=ATOL)


def test_negative_var_refused_like_torch():
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError):
        torch.nn.functional.gaussian_nll_loss(torch.zeros(3), torch.zeros(3), -torch.ones(3))
    with pytest.raises(ValueError):
        L.gaussian_nll(np.zeros(3), np.zeros(3), -np.ones(3))


def test_array_api_strict():
    xps = pytest.importorskip("array_api_strict")
    t, mu, var = data()
    got = L.gaussian_nll(xps.asarray(t), xps.asarray(mu), xps.asarray(var[:, 0]))
    np.testing.assert_allclose(float(got), reference(t, mu, var[:, :1]), rtol=RTOL)
    gm, gv = L.gaussian_nll_grad(xps.asarray(t), xps.asarray(mu), xps.asarray(var[:, 0]))
    assert tuple(gv.shape) == (6,)
