"""Pinball loss, label smoothing and focal loss: values, gradients, reductions, errors.

References: PyTorch in float64 (F.cross_entropy(label_smoothing=...), the
published focal-loss formula of torchvision.ops.sigmoid_focal_loss written in
torch, autograd for its gradient) to rtol 1e-12; mpmath at 50 digits where the
logits are large; central finite differences (nnkernel.gradcheck) for every
gradient.  These losses take extra parameters and stay out of ``LOSSES``.
"""
from __future__ import annotations

import math
import warnings

import mpmath
import numpy as np
import pytest

import nnkernel as nk
from nnkernel import losses as L

RTOL = 1e-12


def npa(a):
    return np.asarray(nk.to_numpy(a), dtype=np.float64)


def close(got, want, rtol=RTOL, atol=1e-15):
    np.testing.assert_allclose(npa(got), np.asarray(want, dtype=np.float64), rtol=rtol, atol=atol)


def gradcheck(xp, loss, grad, x):
    """nnkernel.gradcheck, evaluated in the namespace under test."""
    back = lambda v: xp.asarray(nk.to_numpy(v))  # noqa: E731
    return nk.gradcheck(lambda v: loss(back(v)), lambda v: grad(back(v)), x)


def _pinball_ref(t, p, q):
    r = t - p
    return np.where(r >= 0, q * r, (q - 1) * r)


def _softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


# ----------------------------------------------------------------------------- pinball
@pytest.mark.parametrize("q", [0.1, 0.5, 0.9])
def test_pinball_values_reductions_and_gradient(xp, arr, q):
    rng = np.random.default_rng(1)
    t = rng.normal(size=(3, 4))
    p = t + rng.uniform(0.05, 2, size=t.shape) * rng.choice([-1, 1], size=t.shape)
    ref = _pinball_ref(t, p, q)
    close(L.pinball(arr(t), arr(p), reduction="none", q=q), ref)
    close(L.pinball(arr(t), arr(p), q=q), ref.mean())
    close(L.pinball(arr(t), arr(p), reduction="sum", q=q), ref.sum())
    g = L.pinball_grad(arr(t), arr(p), q=q)
    close(g, np.where(t > p, -q, 1 - q) / t.size)
    assert gradcheck(xp, lambda x: L.pinball(arr(t), x, q=q),
                     lambda x: L.pinball_grad(arr(t), x, q=q), arr(p))


def test_pinball_half_is_half_mae_and_kink_subgradient():
    t, p = np.array([0.0, 1.0, 2.0]), np.array([0.5, 1.0, 1.0])
    close(L.pinball(t, p, q=0.5), 0.5 * L.mae(t, p))
    close(L.pinball_grad(t, p, q=0.5), 0.5 * npa(L.mae_grad(t, p)))
    # at y = y_hat the subgradient 0 is returned (it lies in [-q, 1 - q] / N)
    assert npa(L.pinball_grad(t, p, q=0.3))[1] == 0.0


def test_pinball_minimiser_is_the_sample_quantile():
    y = np.random.default_rng(2).exponential(size=401)
    for q in (0.1, 0.5, 0.9):
        c = np.linspace(y.min(), y.max(), 20001)
        vals = [float(L.pinball(y, np.full_like(y, ci), q=q)) for ci in c[::50]]
        best = c[::50][int(np.argmin(vals))]
        assert abs(best - np.quantile(y, q, method="inverted_cdf")) < 0.05


def test_pinball_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    t, p, q = rng.normal(size=20), rng.normal(size=20), 0.27
    pt = torch.tensor(p, dtype=torch.float64, requires_grad=True)
    r = torch.tensor(t, dtype=torch.float64) - pt
    loss = torch.maximum(q * r, (q - 1) * r).mean()
    loss.backward()
    close(L.pinball(t, p, q=q), loss.item())
    close(L.pinball_grad(t, p, q=q), pt.grad.numpy())


@pytest.mark.parametrize("q", [0.0, 1.0, -0.5, 1.5, float("nan")])
@pytest.mark.parametrize("fn", [L.pinball, L.pinball_grad])
def test_pinball_q_out_of_range(fn, q):
    with pytest.raises(ValueError, match=r"pinball: q must be in \(0, 1\)"):
        fn([0.0, 1.0], [0.5, 0.5], q=q)


def test_pinball_bad_inputs():
    with pytest.raises(TypeError, match="pinball: q must be a real number"):
        L.pinball([0.0], [1.0], q="0.5")
    with pytest.raises(ValueError, match=r"pinball: y_true has shape \(2,\) but y_pred has shape \(3,\)"):
        L.pinball([0.0, 1.0], [0.0, 1.0, 2.0])
    with pytest.raises(ValueError, match="pinball: y_pred contains NaN"):
        L.pinball([0.0], [float("nan")])
    with pytest.raises(ValueError, match="reduction must be one of"):
        L.pinball([0.0], [1.0], reduction="avg")
    with pytest.raises(ValueError, match="input is empty"):
        L.pinball_grad([], [])


# ----------------------------------------------------------------------------- label smoothing
@pytest.mark.parametrize("eps", [0.0, 0.1, 0.35, 1.0])
def test_label_smoothing_matches_torch_cross_entropy(eps):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(4)
    z = rng.normal(scale=2.0, size=(6, 5))
    labels = rng.integers(0, 5, size=6)
    onehot, p = np.eye(5)[labels], _softmax(z)
    zt = torch.tensor(z, dtype=torch.float64, requires_grad=True)
    for reduction in ("mean", "sum", "none"):
        ref = F.cross_entropy(zt, torch.tensor(labels), label_smoothing=eps, reduction=reduction)
        got = L.categorical_cross_entropy(onehot, p, reduction=reduction, label_smoothing=eps)
        close(got, ref.detach().numpy())
    ref = F.cross_entropy(zt, torch.tensor(labels), label_smoothing=eps)
    ref.backward()
    # chain rule through softmax: dL/dz_j = sum_c dL/dp_c p_c (delta_cj - p_j)
    g_p = npa(L.categorical_cross_entropy_grad(onehot, p, label_smoothing=eps))
    g_z = p * (g_p - np.sum(g_p * p, axis=-1, keepdims=True))
    close(g_z, zt.grad.numpy(), atol=1e-16)
    # and it is (p - smoothed target) / N
    close(g_z, (p - ((1 - eps) * onehot + eps / 5)) / 6, atol=1e-16)


def test_label_smoothing_soft_targets_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    z, t = rng.normal(size=(4, 3)), _softmax(rng.normal(size=(4, 3)))
    ref = torch.nn.functional.cross_entropy(torch.tensor(z), torch.tensor(t), label_smoothing=0.2)
    close(L.categorical_cross_entropy(t, _softmax(z), label_smoothing=0.2), ref.item())


def test_label_smoothing_gradient_and_default(xp, arr):
    rng = np.random.default_rng(6)
    p, labels = _softmax(rng.normal(size=(3, 4))), rng.integers(0, 4, size=3)
    t = np.eye(4)[labels]
    close(L.categorical_cross_entropy(arr(t), arr(p), label_smoothing=0.0),
          L.categorical_cross_entropy(arr(t), arr(p)))
    assert gradcheck(xp, lambda x: L.categorical_cross_entropy(arr(t), x, label_smoothing=0.3),
                     lambda x: L.categorical_cross_entropy_grad(arr(t), x, label_smoothing=0.3), arr(p))


@pytest.mark.parametrize("eps", [-0.1, 1.5, float("nan")])
@pytest.mark.parametrize("fn", [L.categorical_cross_entropy, L.categorical_cross_entropy_grad])
def test_label_smoothing_out_of_range(fn, eps):
    with pytest.raises(ValueError, match=r"categorical_cross_entropy: label_smoothing must be in \[0, 1\]"):
        fn([[1.0, 0.0]], [[0.7, 0.3]], label_smoothing=eps)


# ----------------------------------------------------------------------------- focal loss
def _torch_focal(torch, t, z, alpha, gamma, reduction="none"):
    """torchvision.ops.sigmoid_focal_loss, as published, in float64 (alpha < 0: no weighting)."""
    F = torch.nn.functional
    p = torch.sigmoid(z)
    ce = F.binary_cross_entropy_with_logits(z, t, reduction="none")
    p_t = p * t + (1 - p) * (1 - t)
    loss = ce * ((1 - p_t) ** gamma)
    if alpha >= 0:
        loss = (alpha * t + (1 - alpha) * (1 - t)) * loss
    return {"none": loss, "mean": loss.mean(), "sum": loss.sum()}[reduction]


@pytest.mark.parametrize("alpha, gamma", [(0.25, 2.0), (None, 2.0), (0.75, 0.5), (0.5, 0.0), (0.25, 5.0)])
def test_focal_matches_published_formula_in_torch(alpha, gamma):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    z = rng.uniform(-4, 4, size=12)
    for t in (rng.integers(0, 2, size=12).astype(float), rng.uniform(size=12)):
        zt = torch.tensor(z, dtype=torch.float64, requires_grad=True)
        tt = torch.tensor(t, dtype=torch.float64)
        a = -1 if alpha is None else alpha
        for reduction in ("none", "mean", "sum"):
            ref = _torch_focal(torch, tt, zt, a, gamma, reduction)
            close(L.focal_loss(t, z, reduction=reduction, alpha=alpha, gamma=gamma), ref.detach().numpy())
        _torch_focal(torch, tt, zt, a, gamma, "mean").backward()
        close(L.focal_loss_grad(t, z, alpha=alpha, gamma=gamma), zt.grad.numpy(), atol=1e-17)


def _mp_focal(y, z, alpha, gamma):
    """Focal loss and its derivative straight from the definition, with 50 digits to spare beyond
    those 1 - sigma(|z|) needs.  The log term is the cross-entropy -(y log p + (1 - y) log(1 - p)),
    which is -log p_t for 0/1 targets (torchvision uses it for soft targets too)."""
    with mpmath.workdps(50 + int(abs(z) / 2.3)):
        def f(zz):
            p = 1 / (1 + mpmath.exp(-zz))
            p_t = p * y + (1 - p) * (1 - y)
            a_t = 1 if alpha is None else alpha * y + (1 - alpha) * (1 - y)
            ce = -(y * mpmath.log(p) if y else 0) - ((1 - y) * mpmath.log(1 - p) if y != 1 else 0)
            return a_t * (1 - p_t) ** gamma * ce
        z = mpmath.mpf(z)
        return float(f(z)), float(mpmath.diff(f, z))


@pytest.mark.parametrize("z", [-700.0, -40.0, -15.0, -0.3, 0.0, 2.0, 15.0, 40.0, 700.0])
@pytest.mark.parametrize("y", [0.0, 1.0])
@pytest.mark.parametrize("alpha, gamma", [(0.25, 2.0), (None, 0.5), (0.6, 1.0)])
def test_focal_against_mpmath_including_large_logits(y, z, alpha, gamma):
    value, deriv = _mp_focal(mpmath.mpf(y), z, None if alpha is None else mpmath.mpf(alpha), mpmath.mpf(gamma))
    with np.errstate(over="raise", divide="raise", invalid="raise"), warnings.catch_warnings():
        warnings.simplefilter("error")
        got = L.focal_loss([y], [z], alpha=alpha, gamma=gamma)
        g = L.focal_loss_grad([y], [z], alpha=alpha, gamma=gamma)
    close(got, value, rtol=1e-13, atol=0)
    close(g, [deriv], rtol=1e-13, atol=0)


def test_focal_soft_targets_against_mpmath():
    for y, z in [(0.3, -6.0), (0.9, 3.0), (0.01, 12.0), (0.5, 0.0)]:
        value, deriv = _mp_focal(mpmath.mpf(y), z, mpmath.mpf("0.25"), mpmath.mpf(2))
        close(L.focal_loss([y], [z]), value, rtol=1e-12)
        close(L.focal_loss_grad([y], [z]), [deriv], rtol=1e-11)


def test_focal_gamma_0_no_alpha_is_bce_and_gradcheck(xp, arr):
    rng = np.random.default_rng(8)
    t, z = rng.uniform(size=(2, 5)).round(1), rng.uniform(-8, 8, size=(2, 5))
    close(L.focal_loss(arr(t), arr(z), alpha=None, gamma=0.0),
          L.binary_cross_entropy_with_logits(arr(t), arr(z)))
    close(L.focal_loss_grad(arr(t), arr(z), alpha=None, gamma=0.0),
          L.binary_cross_entropy_with_logits_grad(arr(t), arr(z)))
    for alpha, gamma in [(0.25, 2.0), (0.8, 0.7)]:
        assert gradcheck(xp, lambda x: L.focal_loss(arr(t), x, alpha=alpha, gamma=gamma),
                         lambda x: L.focal_loss_grad(arr(t), x, alpha=alpha, gamma=gamma), arr(z))
    none = L.focal_loss(arr(t), arr(z), reduction="none")
    assert tuple(none.shape) == (2, 5)
    close(L.focal_loss(arr(t), arr(z), reduction="sum"), np.sum(npa(none)))


def test_focal_down_weights_easy_examples():
    # an easy example (p_t = 0.99) loses (1 - 0.99)^2 = 1e-4 of its cross-entropy
    z = math.log(99.0)
    ratio = float(L.focal_loss([1.0], [z], alpha=None) / L.binary_cross_entropy_with_logits([1.0], [z]))
    assert abs(ratio - 1e-4) < 1e-15


@pytest.mark.parametrize(
    "kwargs, pattern",
    [
        ({"gamma": -1.0}, r"focal_loss: gamma must be in \[0, inf\)"),
        ({"alpha": 1.5}, r"focal_loss: alpha must be in \[0, 1\]"),
        ({"alpha": -1.0}, r"focal_loss: alpha must be in \[0, 1\]"),
        ({"gamma": float("nan")}, r"focal_loss: gamma must be"),
    ],
)
@pytest.mark.parametrize("fn", [L.focal_loss, L.focal_loss_grad])
def test_focal_bad_parameters(fn, kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        fn([0.0, 1.0], [0.3, -0.2], **kwargs)


@pytest.mark.parametrize("fn", [L.focal_loss, L.focal_loss_grad])
def test_focal_bad_targets_and_shapes(fn):
    with pytest.raises(ValueError, match=r"focal_loss: y_true must be probabilities in \[0, 1\]"):
        fn([-1.0, 1.0], [0.3, -0.2])
    with pytest.raises(ValueError, match=r"focal_loss: y_true has shape \(2,\) but y_pred has shape \(1,\)"):
        fn([0.0, 1.0], [0.3])
    with pytest.raises(ValueError, match="focal_loss: y_pred contains NaN"):
        fn([0.0, 1.0], [0.3, float("inf")])


def test_new_losses_stay_out_of_the_registry_but_are_exported():
    for name in ("pinball", "focal_loss"):
        assert name not in L.LOSSES
        assert name in L.__all__ and f"{name}_grad" in L.__all__
