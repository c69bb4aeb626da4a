"""Optimizers (update rules, validation) and the EWMA."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import nnkernel as nk
from nnkernel.optim import SGD, Adagrad, Adam, RMSProp


def _reference_trajectory(kind, p0, grads, **hp):
    """The update rules written out step by step, independently of nnkernel's code."""
    p = p0.copy()
    m = np.zeros_like(p)
    v = np.zeros_like(p)
    for t, g in enumerate(grads, start=1):
        if kind == "adagrad":
            v = v + g * g
            p = p - hp["lr"] * g / (np.sqrt(v) + hp["eps"])
        elif kind == "rmsprop":
            v = hp["beta"] * v + (1 - hp["beta"]) * g * g
            p = p - hp["lr"] * g / (np.sqrt(v) + hp["eps"])
        elif kind == "adam":
            m = hp["beta1"] * m + (1 - hp["beta1"]) * g
            v = hp["beta2"] * v + (1 - hp["beta2"]) * g * g
            m_hat, v_hat = m / (1 - hp["beta1"] ** t), v / (1 - hp["beta2"] ** t)
            p = p - hp["lr"] * m_hat / (np.sqrt(v_hat) + hp["eps"])
    return p


@pytest.mark.parametrize("kind,cls,hp", [
    ("adagrad", Adagrad, {"lr": 0.1, "eps": 1e-10}),
    ("rmsprop", RMSProp, {"lr": 0.01, "beta": 0.9, "eps": 1e-8}),
])
def test_update_rules(kind, cls, hp):
    rng = np.random.default_rng(0)
    p0 = rng.normal(size=(4, 3))
    grads = [rng.normal(size=(4, 3)) for _ in range(20)]
    p = p0.copy()
    opt = cls(**hp)
    for g in grads:
        opt.step([p], [g])
    np.testing.assert_allclose(p, _reference_trajectory(kind, p0, grads, **hp), rtol=1e-13)


def test_adam_is_bias_corrected_ewma_of_gradients():
    rng = np.random.default_rng(1)
    p0 = rng.normal(size=5)
    grads = [rng.normal(size=5) for _ in range(30)]
    p = p0.copy()
    opt = Adam(lr=0.01, beta1=0.9, beta2=0.99, eps=1e-8)
    for g in grads:
        opt.step([p], [g])
    G = np.array(grads)
    m_hat = nk.ewma(G, 0.9, bias_correction=True)
    v_hat = nk.ewma(G * G, 0.99, bias_correction=True)
    # PyTorch puts eps after dividing sqrt(v) by sqrt(1 - beta2^t): the same as eps on sqrt(v_hat)
    expected = p0 - 0.01 * np.sum(m_hat / (np.sqrt(v_hat) + 1e-8), axis=0)
    np.testing.assert_allclose(p, expected, rtol=1e-12)
    assert opt.t == 30 and (opt.lr, opt.beta1, opt.beta2, opt.eps) == (0.01, 0.9, 0.99, 1e-8)


@pytest.mark.parametrize("make,match", [
    (lambda: SGD(lr=-1), "lr"), (lambda: SGD(momentum=-0.1), "momentum"), (lambda: Adam(beta1=1.0), "beta1"),
    (lambda: Adam(beta2=1.2), "beta2"), (lambda: RMSProp(beta=1.0), "beta"), (lambda: Adagrad(lr=0), "lr"),
    (lambda: Adam(eps=0), "eps")])
def test_invalid_hyperparameters(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_step_checks_lists():
    with pytest.raises(ValueError, match="2 parameters but 1 gradients"):
        SGD(0.1).step([np.zeros(2), np.zeros(2)], [np.zeros(2)])
    with pytest.raises(ValueError, match=r"parameter 0 has shape \(2,\) but its gradient has shape \(3,\)"):
        SGD(0.1).step([np.zeros(2)], [np.zeros(3)])


@pytest.mark.parametrize("opt", [SGD(0.1, momentum=0.9), Adagrad(0.1), RMSProp(0.01), Adam(0.01)])
def test_training_loop_accepts_every_optimizer(opt):
    X, y = nk.data.two_moons(100, seed=0)
    m = nk.models.Sequential([nk.layers.Dense(2, 8, seed=0), nk.layers.Activation("tanh"),
                              nk.layers.Dense(8, 1, seed=1), nk.layers.Activation("sigmoid")])
    h = nk.models.fit(m, "binary_cross_entropy", opt, X, y[:, None], epochs=15, batch_size=20)
    assert h["loss"][-1] < h["loss"][0]


def test_optimizers_work_on_array_api_strict():
    xs = pytest.importorskip("array_api_strict")
    for make in (lambda: SGD(0.1, momentum=0.5, nesterov=True), lambda: Adagrad(0.1), lambda: RMSProp(0.1),
                 lambda: Adam(0.1)):
        p, q = xs.asarray([1.0, -1.0]), np.array([1.0, -1.0])
        opt_s, opt_n = make(), make()
        for g in ([0.5, 0.25], [-0.1, 0.3], [0.2, 0.2]):
            opt_s.step([p], [xs.asarray(g)])
            opt_n.step([q], [np.array(g)])
        np.testing.assert_allclose(np.asarray(p), q, rtol=1e-14)


# ----------------------------------------------------------------------------- EWMA
def test_ewma_recursion_and_unrolled_weights():
    rng = np.random.default_rng(0)
    x = rng.normal(size=100)
    beta = 0.8
    v, ref = nk.ewma(x, beta), []
    prev = 0.0
    for xt in x:
        prev = beta * prev + (1 - beta) * xt
        ref.append(prev)
    np.testing.assert_allclose(v, ref, rtol=1e-12, atol=1e-15)
    t = 37
    w = nk.ewma_weights(beta, t)
    np.testing.assert_allclose(v[t - 1], np.sum(w * x[:t][::-1]), rtol=1e-12)
    np.testing.assert_allclose(w.sum(), 1 - beta ** t, rtol=1e-14)


@given(st.floats(0.0, 0.99), st.integers(1, 60))
def test_bias_correction_is_a_normalised_weighted_average(beta, T):
    x = np.random.default_rng(T).normal(3.0, 1.0, size=T)
    vc = nk.ewma(x, beta, bias_correction=True)
    for t in (1, T):
        w = nk.ewma_weights(beta, t)
        np.testing.assert_allclose(vc[t - 1], np.sum(w * x[:t][::-1]) / np.sum(w), rtol=1e-10)
    const = nk.ewma(np.full(T, 5.0), beta, bias_correction=True)
    np.testing.assert_allclose(const, 5.0, rtol=1e-12)


def test_ewma_matrix_and_strict_backend():
    xs = pytest.importorskip("array_api_strict")
    X = np.random.default_rng(2).normal(size=(20, 3))
    np.testing.assert_allclose(np.asarray(nk.ewma(xs.asarray(X), 0.7, bias_correction=True)),
                               nk.ewma(X, 0.7, bias_correction=True), rtol=1e-13)
    np.testing.assert_allclose(nk.ewma(X, 0.0), X)


def test_ewma_errors():
    for beta in (-0.1, 1.0, float("nan")):
        with pytest.raises(ValueError, match="beta must be in"):
            nk.ewma(np.ones(3), beta)
    with pytest.raises(ValueError, match="time axis"):
        nk.ewma(np.float64(1.0), 0.5)
