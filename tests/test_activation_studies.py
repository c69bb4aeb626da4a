"""Tests of widgets/activation_studies.py, the activations chapter's static experiments."""
import math

import numpy as np
import pytest

import nnkernel as nk
from nnkernel.layers import Activation, Dense
from widgets import activation_studies as S


def moons():
    X, y = nk.data.two_moons(n=400, noise=0.15, seed=0)
    return (X - X.mean(axis=0)) / X.std(axis=0), y


def test_build_mlp_shapes_and_bias():
    model = S.build_mlp([2, 5, 4, 1], "relu", seed=3, bias=-0.5)
    dense = [layer for layer in model.layers if isinstance(layer, Dense)]
    assert [d.params["W"].shape for d in dense] == [(2, 5), (5, 4), (4, 1)]
    assert np.all(dense[0].params["b"] == -0.5) and np.all(dense[1].params["b"] == -0.5)
    assert np.all(dense[2].params["b"] == 0.0)  # the output bias is not shifted
    assert sum(isinstance(layer, Activation) for layer in model.layers) == 2


@pytest.mark.parametrize("call, match", [
    (lambda: S.build_mlp([2], "relu"), "widths"),
    (lambda: S.build_mlp([2, 3, 1], "relu", bias=float("nan")), "bias"),
    (lambda: S.train_mlp(S.build_mlp([2, 3, 1], "relu"), np.zeros((4, 2)), np.zeros(4), lr=0.0), "lr"),
    (lambda: S.train_mlp(S.build_mlp([2, 3, 1], "relu"), np.zeros((4, 2)), np.zeros(3)), "X must be"),
    (lambda: S.max_regions_one_layer(-1), "n >= 0"),
    (lambda: S.sawtooth_network(0), "depth"),
    (lambda: S.random_relu_network([2, 3], bias_std=-1), "bias_std"),
    (lambda: S.activation_patterns([np.eye(2)], [], np.zeros((1, 2))), "one bias"),
])
def test_input_checks(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_dead_and_silent_counts_match_an_independent_forward_pass():
    X, y = moons()
    for name, params in [("relu", {}), ("leaky_relu", {"alpha": 0.1}), ("elu", {})]:
        model = S.build_mlp([2, 16, 16, 1], name, seed=1, bias=-1.0, **params)
        W = [layer.params["W"].copy() for layer in model.layers if isinstance(layer, Dense)]
        b = [layer.params["b"].copy() for layer in model.layers if isinstance(layer, Dense)]
        run = S.train_mlp(model, X, y, lr=0.1, epochs=0)
        a, dead, silent = X, [], []
        g = nk.activations.REGISTRY[name]
        for Wk, bk in zip(W[:-1], b[:-1]):
            z = a @ Wk + bk
            silent.append(int(np.sum(np.all(z <= 0, axis=0))))
            dead.append(int(np.sum(np.all(g.grad(z, **params) == 0, axis=0))))
            a = g.fn(z, **params)
        assert run["dead"][0].tolist() == dead
        assert run["silent"][0].tolist() == silent
        if name == "relu":
            assert dead == silent and sum(dead) > 0
        else:
            assert sum(dead) == 0 and sum(silent) > 0
        logits = a @ W[-1] + b[-1]
        assert run["loss"][0] == pytest.approx(
            float(nk.losses.binary_cross_entropy_with_logits(y.reshape(-1, 1), logits)), rel=1e-12)


def test_gradient_quantiles_match_finite_differences():
    # the recorded gradient is d(mean loss)/d(activation); check it entry by entry on a tiny net
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(6, 2)), (rng.uniform(size=6) > 0.5).astype(float)
    model = S.build_mlp([2, 3, 3, 1], "tanh", seed=0)
    run = S.train_mlp(model, X, y, lr=0.1, epochs=0, quantiles=True)
    dense = [layer for layer in model.layers if isinstance(layer, Dense)]
    acts = [layer for layer in model.layers if isinstance(layer, Activation)]

    def loss_from(k, a):  # the loss as a function of hidden layer k's output
        for d, act in zip(dense[k + 1:], acts[k + 1:] + [None]):
            a = a @ d.params["W"] + d.params["b"]
            if act is not None:
                a = np.tanh(a)
        return float(nk.losses.binary_cross_entropy_with_logits(y.reshape(-1, 1), a))

    model.forward(X)
    for k, act in enumerate(acts):
        a0 = act._cache[1].copy()
        numeric = nk.numerical_gradient(lambda a: loss_from(k, a), a0)
        expected = np.quantile(numeric.ravel(), S.QUANTILES)
        np.testing.assert_allclose(run["grad_q"][0, k], expected, rtol=1e-6, atol=1e-10)
        np.testing.assert_allclose(run["act_q"][0, k], np.quantile(a0.ravel(), S.QUANTILES), rtol=1e-14)


def test_diverging_run_stops_and_says_so():
    X, y = moons()
    run = S.train_mlp(S.build_mlp([2, 32, 32, 32, 1], "elu", seed=1), X, y, lr=1.0, epochs=10)
    assert run["diverged"] and len(run["loss"]) < 11 and np.all(np.isfinite(run["loss"]))


def _two_digits_margin(v):
    """How far v is, relatively, from the nearest boundary where its 2-significant-digit text changes."""
    e = math.floor(math.log10(abs(v))) - 1
    scaled = v / 10.0 ** e
    return abs(scaled - math.floor(scaled) - 0.5) / scaled


def test_chapter_runs_do_not_move_under_round_off():
    # the dead-unit runs printed in the chapter: a relative change of 1e-13 in the weights (round-off
    # on another CPU) leaves every count and every 2-digit loss unchanged
    X, y = moons()
    for name, params in [("relu", {}), ("leaky_relu", {"alpha": 0.1}), ("elu", {})]:
        runs = []
        for eps in (0.0, 1e-13, -1e-13):
            model = S.build_mlp([2, 32, 32, 32, 1], name, seed=1, bias=-1.0, **params)
            for layer in model.layers:
                if isinstance(layer, Dense):
                    layer.params["W"] *= 1 + eps
            runs.append(S.train_mlp(model, X, y, lr=0.1, epochs=40, batch_size=32))
        for run in runs[1:]:
            np.testing.assert_array_equal(run["dead"], runs[0]["dead"])
            np.testing.assert_array_equal(run["silent"], runs[0]["silent"])
            np.testing.assert_allclose(run["loss"], runs[0]["loss"], rtol=1e-6)
        for e in (0, 10, 40):
            assert _two_digits_margin(runs[0]["loss"][e]) > 1e-4


def test_one_layer_patterns_are_the_signs_and_respect_the_bound():
    u = np.linspace(-2, 2, 120)
    G = np.column_stack([a.ravel() for a in np.meshgrid(u, u)])
    for n in (1, 2, 5, 16):
        for seed in range(3):
            Ws, bs = S.random_relu_network([2, n], seed=seed)
            ids, patterns = S.activation_patterns(Ws, bs, G)
            np.testing.assert_array_equal(patterns, G @ Ws[0] + bs[0] > 0)
            assert ids.max() + 1 == len(np.unique(patterns, axis=0))
            assert S.count_regions(Ws, bs, G) <= S.max_regions_one_layer(n)


def test_max_regions_one_layer():
    assert [S.max_regions_one_layer(n) for n in range(6)] == [1, 2, 4, 7, 11, 16]
    assert S.max_regions_one_layer(16) == 1 + 16 + 16 * 15 // 2 == 137
    assert S.max_regions_one_layer(3, d=1) == 4  # 3 points cut a line into 4 pieces


def test_folding_network_has_4_to_the_depth_regions():
    u = np.linspace(0.001, 0.999, 300)
    G = np.column_stack([a.ravel() for a in np.meshgrid(u, u)])
    for depth in (1, 2, 3, 4):
        assert S.count_regions(*S.sawtooth_network(depth), G) == 4 ** depth
    # its output in each coordinate is the tent map applied `depth` times
    Ws, bs = S.sawtooth_network(3)
    a = G
    for W, b in zip(Ws, bs):
        a = np.maximum(a @ W + b, 0.0)
    tent_x = 2 * a[:, 0] - 4 * a[:, 1]  # t read from the last layer: t^3(x)
    x = G[:, 0]
    for _ in range(3):
        x = np.where(x < 0.5, 2 * x, 2 - 2 * x)
    np.testing.assert_allclose(tent_x, x, atol=1e-12)


def test_wide_patterns_fall_back_to_row_unique():
    rng = np.random.default_rng(0)
    Ws, bs = S.random_relu_network([2, 40, 40], seed=0)  # 80 units: more than 62 bits
    X = rng.uniform(-2, 2, size=(500, 2))
    ids, patterns = S.activation_patterns(Ws, bs, X)
    assert ids.max() + 1 == len(np.unique(patterns, axis=0))


def test_saturation_numbers_do_not_move_under_round_off():
    # the chapter prints the sigmoid run's top-layer quantiles to 2 decimals, the epochs its loss stays
    # above 0.6, and its final loss to 2 digits; a 1e-13 change in the weights leaves them unchanged
    X, y = moons()
    runs = []
    for eps in (0.0, 1e-13, -1e-13):
        model = S.build_mlp([2, 32, 32, 32, 32, 1], "sigmoid", seed=0)
        S.standard_uniform_init(model, seed=0)
        for layer in model.layers:
            if isinstance(layer, Dense):
                layer.params["W"] *= 1 + eps
        runs.append(S.train_mlp(model, X, y, lr=1.0, epochs=30, batch_size=10, quantiles=True))
    base = runs[0]
    for run in runs[1:]:
        np.testing.assert_allclose(run["act_q"], base["act_q"], rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(run["loss"], base["loss"], rtol=1e-6)
    shown = [base["act_q"][0, -1, 2], base["act_q"][1, -1, 2], base["act_q"][20, -1, 2],
             base["act_q"][20, -1, 4], base["act_q"][20, 0, 2]]
    for v in shown:  # not within 1e-4 of a boundary of its 2-decimal text
        assert abs((v * 100) % 1 - 0.5) > 1e-2
    assert np.all(np.abs(base["loss"] - 0.6) > 1e-3)
    assert _two_digits_margin(base["loss"][-1]) > 1e-4
    top = base["act_q"][:, -1]
    assert top[20, 2] < 0.1 < top[0, 2]  # the top layer saturates towards 0 ...
    assert abs(base["act_q"][20, 0, 2] - 0.5) < 0.01  # ... while the first stays at 1/2


def test_region_counts_do_not_move_under_round_off():
    u = np.linspace(-2, 2, 150)
    G = np.column_stack([a.ravel() for a in np.meshgrid(u, u)])
    for widths in ([2, 16], [2, 8, 8], [2, 4, 4, 4, 4]):
        for seed in range(20):
            Ws, bs = S.random_relu_network(widths, seed=seed)
            counts = {S.count_regions([W * (1 + e) for W in Ws], bs, G) for e in (0.0, 1e-13, -1e-13)}
            assert len(counts) == 1
