"""Layers, models, initializers, data and the training loop."""
import numpy as np
import pytest

import nnkernel as nk
from nnkernel.layers import Activation, BatchNorm, Dense
from nnkernel.models import Sequential, fit


def _stack(seed=0):
    return Sequential([Dense(5, 8, init="xavier_normal", seed=seed), BatchNorm(8), Activation("tanh"),
                       Dense(8, 6, seed=seed + 1), Activation("leaky_relu", alpha=0.1), BatchNorm(6),
                       Dense(6, 3, seed=seed + 2), Activation("softmax")])


def _flat_params(model):
    return np.concatenate([np.asarray(p).ravel() for p in model.params])


def _set_flat(model, flat):
    i = 0
    for layer, key in model.parameters():
        p = layer.params[key]
        layer.params[key] = flat[i:i + p.size].reshape(p.shape).copy()
        i += p.size


def test_backprop_matches_finite_differences():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(7, 5))
    y = np.eye(3)[rng.integers(0, 3, 7)]
    model = _stack()
    out = model.forward(X)
    grad_in = model.backward(nk.losses.categorical_cross_entropy_grad(y, out))
    analytic = np.concatenate([np.asarray(g).ravel() for g in model.grads])
    flat = _flat_params(model)

    def cost(theta):
        _set_flat(model, theta)
        return nk.losses.categorical_cross_entropy(y, model.forward(X))

    numeric = nk.numerical_gradient(cost, flat)
    _set_flat(model, flat)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)
    numeric_x = nk.numerical_gradient(lambda x: nk.losses.categorical_cross_entropy(y, model.forward(x)), X)
    np.testing.assert_allclose(grad_in, numeric_x, rtol=1e-5, atol=1e-8)


def test_batchnorm_running_statistics_follow_pytorch_rule():
    rng = np.random.default_rng(1)
    bn = BatchNorm(4, momentum=0.3)
    X = rng.normal(3.0, 2.0, size=(10, 4))
    bn.forward(X)
    np.testing.assert_allclose(bn.running_mean, 0.3 * X.mean(0), rtol=1e-14)
    np.testing.assert_allclose(bn.running_var, 0.7 + 0.3 * X.var(0, ddof=1), rtol=1e-14)
    out = bn.forward(X, training=False)
    np.testing.assert_allclose(out, (X - bn.running_mean) / np.sqrt(bn.running_var + 1e-5), rtol=1e-12)
    train_out = bn.forward(X)
    np.testing.assert_allclose(train_out.mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(train_out.var(0), X.var(0) / (X.var(0) + 1e-5), rtol=1e-12)


def test_eval_mode_backward_matches_finite_differences():
    rng = np.random.default_rng(2)
    bn = BatchNorm(3)
    bn.forward(rng.normal(size=(20, 3)))
    X = rng.normal(size=(4, 3))
    w = rng.normal(size=(4, 3))
    bn.forward(X, training=False)
    g = bn.backward(w)
    numeric = nk.numerical_gradient(lambda x: float(np.sum(w * bn.forward(x, training=False))), X)
    np.testing.assert_allclose(g, numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name,kw", [("maxout", {"k": 2}), ("softmax", {}), ("elu", {"alpha": 0.5}),
                                     ("prelu", {"alpha": 0.2}), ("gelu", {})])
def test_activation_layer_backward(name, kw):
    rng = np.random.default_rng(3)
    layer = Activation(name, **kw)
    X = rng.normal(size=(3, 6))
    out = layer.forward(X)
    w = rng.normal(size=out.shape)
    g = layer.backward(w)
    numeric = nk.numerical_gradient(lambda x: float(np.sum(w * layer.forward(x))), X)
    np.testing.assert_allclose(g, numeric, rtol=1e-6, atol=1e-8)


def test_bad_shapes_name_the_layer_and_both_shapes():
    d = Dense(4, 3, seed=0)
    with pytest.raises(ValueError, match=r"Dense\(4, 3\): input has shape \(2, 5\), expected \(N, 4\)"):
        d.forward(np.zeros((2, 5)))
    d.forward(np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"Dense\(4, 3\): grad_out has shape \(2, 2\), expected \(2, 3\)"):
        d.backward(np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"BatchNorm\(3\): input has shape \(5, 2\)"):
        BatchNorm(3).forward(np.zeros((5, 2)))
    with pytest.raises(ValueError, match="at least 2"):
        BatchNorm(2).forward(np.zeros((1, 2)))
    with pytest.raises(ValueError, match="unknown activation"):
        Activation("relu6")
    with pytest.raises(RuntimeError, match="forward before backward"):
        Dense(2, 2).backward(np.zeros((1, 2)))
    with pytest.raises(ValueError, match="momentum"):
        BatchNorm(2, momentum=1.5)


@pytest.mark.parametrize("name,var", [
    ("xavier_uniform", lambda i, o: 2 / (i + o)), ("xavier_normal", lambda i, o: 2 / (i + o)),
    ("he_uniform", lambda i, o: 2 / i), ("he_normal", lambda i, o: 2 / i), ("lecun_normal", lambda i, o: 1 / i),
    ("random_normal", lambda i, o: 0.01 ** 2), ("random_uniform", lambda i, o: 0.05 ** 2 / 3)])
def test_initializer_variances(name, var):
    fan_in, fan_out = 400, 300
    W = nk.to_numpy(getattr(nk.init, name)(fan_in, fan_out, seed=0))
    assert W.shape == (fan_in, fan_out)
    # sample variance of 120,000 draws: within 2 % of the target
    assert abs(W.var() / var(fan_in, fan_out) - 1) < 0.02
    assert abs(W.mean()) < 4 * np.sqrt(var(fan_in, fan_out) / W.size)
    np.testing.assert_array_equal(W, nk.to_numpy(getattr(nk.init, name)(fan_in, fan_out, seed=0)))


def test_initializer_limits_and_errors():
    assert np.abs(nk.init.xavier_uniform(10, 20, seed=0)).max() <= np.sqrt(6 / 30)
    assert np.abs(nk.init.he_uniform(10, 20, seed=0)).max() <= np.sqrt(6 / 10)
    np.testing.assert_array_equal(nk.init.zeros(2, 3), np.zeros((2, 3)))
    np.testing.assert_array_equal(nk.init.constant(2, 3, value=0.5), np.full((2, 3), 0.5))
    with pytest.raises(ValueError, match="fan_in must be a positive integer"):
        nk.init.he_normal(0, 3)
    with pytest.raises(ValueError, match="std"):
        nk.init.random_normal(2, 2, std=-1)
    with pytest.raises(ValueError, match="unknown initializer"):
        Dense(2, 2, init="glorot")


def test_symmetric_initialization_keeps_units_identical():
    X, y = nk.data.xor(64, seed=0)
    model = Sequential([Dense(2, 4, init="constant", seed=0), Activation("tanh"), Dense(4, 1, init="constant"),
                        Activation("sigmoid")])
    fit(model, "binary_cross_entropy", nk.optim.SGD(0.5), X, y[:, None], epochs=20, batch_size=16)
    W = model.layers[0].params["W"]
    np.testing.assert_allclose(W, W[:, :1] * np.ones((1, 4)), rtol=1e-12)


def test_fit_learns_two_moons_and_is_reproducible():
    X, y = nk.data.two_moons(200, seed=1)

    def run():
        m = Sequential([Dense(2, 16, seed=0), Activation("relu"), Dense(16, 1, seed=1), Activation("sigmoid")])
        return fit(m, "binary_cross_entropy", nk.optim.SGD(0.5), X, y[:, None], epochs=60, batch_size=32,
                   metrics=["accuracy"], validation=(X, y[:, None]))

    h1, h2 = run(), run()
    assert h1["loss"] == h2["loss"]
    assert h1["loss"][-1] < 0.5 * h1["loss"][0]
    assert h1["accuracy"][-1] > 0.95 and len(h1["val_loss"]) == 60


def test_batch_size_one_and_full_batch_differ_only_by_batch_size():
    X, y = nk.data.function_1d(40, seed=0)
    for bs in (1, 40):
        m = Sequential([Dense(1, 8, seed=0), Activation("tanh"), Dense(8, 1, seed=1)])
        h = fit(m, "mse", nk.optim.SGD(0.05), X, y, epochs=30, batch_size=bs)
        assert h["loss"][-1] < h["loss"][0]


def test_fit_errors():
    m = Sequential([Dense(2, 1, seed=0)])
    with pytest.raises(ValueError, match="unknown loss"):
        fit(m, "l2", nk.optim.SGD(0.1), np.zeros((4, 2)), np.zeros((4, 1)))
    with pytest.raises(ValueError, match="4 examples but y has 3"):
        fit(m, "mse", nk.optim.SGD(0.1), np.zeros((4, 2)), np.zeros((3, 1)))


def test_sgd_momentum_and_nesterov_rules():
    p = np.array([1.0, -2.0])
    opt = nk.optim.SGD(lr=0.1, momentum=0.9, nesterov=True)
    g1, g2 = np.array([0.5, 1.0]), np.array([-1.0, 2.0])
    opt.step([p], [g1])
    b1 = g1
    np.testing.assert_allclose(p, np.array([1.0, -2.0]) - 0.1 * (g1 + 0.9 * b1))
    q = p.copy()
    opt.step([p], [g2])
    b2 = 0.9 * b1 + g2
    np.testing.assert_allclose(p, q - 0.1 * (g2 + 0.9 * b2))
    with pytest.raises(ValueError, match="lr"):
        nk.optim.SGD(lr=0)
    with pytest.raises(ValueError, match="momentum"):
        nk.optim.SGD(momentum=1.0)


@pytest.mark.parametrize("maker", [nk.data.xor, nk.data.two_moons, nk.data.circles, nk.data.spirals,
                                   nk.data.function_1d, nk.data.linear_with_outliers])
def test_data_sets_are_seeded(maker):
    X1, y1 = maker(seed=3)
    X2, y2 = maker(seed=3)
    X3, _ = maker(seed=4)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)
    assert X1.shape[0] == y1.shape[0] and np.all(np.isfinite(X1))


def test_temperature_series():
    t, temp = nk.data.temperature_series(365, seed=0)
    assert t.shape == temp.shape == (365,)
    assert temp[170:200].mean() > temp[:30].mean() + 10  # summer is warmer than January


def test_a_diverging_run_stops_quietly_and_says_where():
    import warnings

    X, y = nk.data.function_1d(64, seed=0)
    m = Sequential([Dense(1, 16, seed=0), Activation("relu"), Dense(16, 1, seed=1)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        h = fit(m, "mse", nk.optim.SGD(50.0), X * 100, y, epochs=50, batch_size=8)
    assert h.diverged_at is not None
    epoch, batch = h.diverged_at
    assert len(h["loss"]) == epoch and 0 <= batch < 8


def test_accuracy_of_logits_uses_threshold_zero():
    X, y = nk.data.two_moons(200, seed=1)
    m = Sequential([Dense(2, 16, seed=0), Activation("relu"), Dense(16, 1, seed=1)])
    h = fit(m, "binary_cross_entropy_with_logits", nk.optim.SGD(0.5), X, y[:, None], epochs=40, batch_size=32,
            metrics=["accuracy"])
    logits = m.predict(X)
    assert h["accuracy"][-1] == nk.models.accuracy(y[:, None], logits, threshold=0.0)
    assert h["accuracy"][-1] > 0.9


def test_backward_without_the_input_gradient_fills_the_same_grads():
    """Sequential.backward(input_grad=False) skips the first Dense layer's dL/dx (training needs none of it)
    and returns None; every parameter gradient is the one the full backward pass gives."""
    rng = np.random.default_rng(0)
    x, g = rng.normal(size=(16, 5)), rng.normal(size=(16, 3))
    grads = []
    for input_grad in (True, False):
        model = Sequential([Dense(5, 4, seed=1), Activation("tanh"), Dense(4, 3, seed=2)])
        model.forward(x)
        out = model.backward(g, input_grad=input_grad)
        assert (out is None) == (not input_grad)
        if input_grad:
            assert out.shape == x.shape
        grads.append(model.grads)
    for a, b in zip(*grads):
        np.testing.assert_array_equal(a, b)
