"""nnkernel.playground: TF Playground's configuration, its state string, and the network trained epoch by epoch."""
import copy
import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from nnkernel import activations as _act
from nnkernel import data as _data
from nnkernel import init as _init
from nnkernel import playground as pg
from nnkernel.layers import BatchNorm, Dense


# ----------------------------------------------------------------------------- Config
def test_defaults_are_tf_playgrounds():
    c = pg.Config()
    assert (c.dataset, c.noise, c.train, c.batch) == ("circle", 0.0, 50, 10)
    assert c.features == ("x1", "x2")
    assert c.hidden == (4, 2)
    assert c.activation == "tanh" and c.alpha is None
    assert c.lr == 0.03
    assert c.loss == "square" and c.problem == "classification"
    assert c.optimizer == "sgd" and c.regularization == "none" and c.rate == 0.0
    assert c.init == "random_uniform" and c.scale == 1.0
    assert c.batchnorm == () and c.layer_norms == (0, 0)
    assert c.state() == ""
    assert pg.Config.from_state("") == c


def test_state_names_only_the_changes():
    c = pg.Config(dataset="spiral", hidden=(8, 8), lr=0.01)
    assert c.state() == "dataset=spiral;hidden=8,8;lr=0.01"
    assert pg.Config(hidden=()).state() == "hidden=-"
    assert pg.Config.from_state("hidden=-").hidden == ()
    assert pg.Config.from_state("playground:" + c.state()) == c  # a page address's prefix is dropped
    # a base to change
    assert pg.Config.from_state("lr=0.1", base=c) == c.but(lr=0.1)


@st.composite
def configs(draw):
    """Any valid Config."""
    dataset = draw(st.sampled_from(list(_data.PLAYGROUND)))
    problem = _data.PLAYGROUND_PROBLEM[dataset]
    hidden = tuple(draw(st.lists(st.integers(1, pg.MAX_NEURONS), max_size=pg.MAX_LAYERS)))
    batchnorm = draw(st.one_of(st.just(()), st.lists(st.sampled_from((0, 1)), min_size=len(hidden),
                                                        max_size=len(hidden)).map(tuple)))
    activation = draw(st.sampled_from(pg.HIDDEN_ACTIVATIONS))
    spec = _act.REGISTRY[activation].params
    if spec:
        lo, hi, _ = spec[0].slider
        alpha = draw(st.one_of(st.none(), st.floats(lo, hi)))
    else:
        alpha = draw(st.one_of(st.none(), st.floats(-10, 10)))
    optimizer = draw(st.sampled_from(list(pg.OPTIMIZERS)))
    beta1 = draw(st.floats(0.0, 1.0, exclude_max=True, exclude_min=optimizer == "nesterov"))
    unit = st.floats(0.0, 1.0)
    return pg.Config(
        dataset=dataset, noise=draw(st.floats(0.0, 0.5)), train=draw(st.integers(10, 90)),
        batch=draw(st.integers(2 if any(batchnorm) else 1, 30)), seed=draw(st.integers(0, 10**9)),
        features=tuple(draw(st.lists(st.sampled_from(list(pg.FEATURES)), min_size=1, unique=True))),
        hidden=hidden, activation=activation, alpha=alpha,
        loss=draw(st.sampled_from(list(pg.LOSSES[problem]))), init=draw(st.sampled_from(list(_init.INITIALIZERS))),
        scale=draw(st.floats(0.0, 100.0, exclude_min=True)), batchnorm=batchnorm, bn_momentum=draw(unit),
        optimizer=optimizer, lr=draw(st.floats(1e-5, 10.0)), beta1=beta1,
        beta2=draw(st.floats(0.0, 1.0, exclude_max=True)), regularization=draw(st.sampled_from(list(pg.REGULARIZATIONS))),
        rate=draw(st.floats(0.0, 10.0)))


@given(configs())
def test_state_round_trip(c):
    text = c.state()
    assert pg.Config.from_state(text) == c
    assert pg.Config.from_state(text).state() == text
    assert (text == "") == (c == pg.Config())


@pytest.mark.parametrize("c", [
    pg.Config(),
    pg.Config(lr=0.0123456789, noise=0.1 + 0.2, scale=1 / 3),  # more digits than the short form keeps
    pg.Config(hidden=(), batchnorm=()),
    pg.Config(hidden=(4, 2), batchnorm=(0, 0)),  # no batch norm written out: the same configuration
    pg.Config(hidden=(3, 3, 3), batchnorm=(1, 0, 1), batch=2),
    pg.Config(dataset="plane", loss="huber", activation="leaky_relu", alpha=0.2),
    pg.Config(activation="linear", alpha=-1.5, optimizer="nesterov", beta1=0.5, regularization="l1", rate=1e-3),
    *[e.config for e in pg.EXPERIMENTS.values()],
])
def test_state_round_trip_examples(c):
    assert pg.Config.from_state(c.state()) == c


def test_no_batch_norm_is_one_configuration():
    assert pg.Config(batchnorm=(0, 0)) == pg.Config()
    assert pg.Config(batchnorm=(0, 0)).batchnorm == ()


@pytest.mark.parametrize("text, named", [
    ("foo=1", "foo"), ("lr", "'lr'"), ("dataset=circle;colour=red", "colour"),
    ("lr=abc", "lr"), ("hidden=4,x", "hidden"), ("train=50.5", "train"), ("seed=", "seed"),
    ("noise=0.9", "noise"), ("dataset=moons", "dataset"), ("features=x1,x1", "features"),
    ("activation=swishy", "activation"), ("alpha=x", "alpha"),
])
def test_from_state_rejects_unknown_keys_and_bad_values(text, named):
    with pytest.raises(ValueError, match=named):
        pg.Config.from_state(text)


def test_from_state_wants_a_string():
    with pytest.raises(TypeError):
        pg.Config.from_state(None)


@pytest.mark.parametrize("field, changes", [
    ("dataset", {"dataset": "moons"}),
    ("noise", {"noise": 0.6}), ("noise", {"noise": -0.1}), ("noise", {"noise": "0.1"}),
    ("train", {"train": 5}), ("train", {"train": 95}), ("train", {"train": 50.0}),
    ("batch", {"batch": 0}), ("batch", {"batch": 31}),
    ("seed", {"seed": -1}),
    ("features", {"features": ()}), ("features", {"features": ("x1", "x1")}), ("features", {"features": ("x3",)}),
    ("features", {"features": ["x1"]}),
    ("hidden", {"hidden": (9,)}), ("hidden", {"hidden": (4,) * 7}), ("hidden", {"hidden": (0,)}),
    ("hidden", {"hidden": [4, 2]}),
    ("activation", {"activation": "softmax_ish"}),
    ("loss", {"dataset": "plane", "loss": "hinge"}), ("loss", {"loss": "huber"}), ("loss", {"loss": "mse"}),
    ("init", {"init": "orthogonal"}),
    ("scale", {"scale": 0.0}), ("scale", {"scale": 101.0}),
    ("batchnorm", {"batchnorm": (1,)}), ("batchnorm", {"batchnorm": (2, 0)}),
    ("batch", {"batch": 1, "batchnorm": (1, 0)}),
    ("bn_momentum", {"bn_momentum": 1.5}),
    ("optimizer", {"optimizer": "lbfgs"}),
    ("lr", {"lr": 0.0}), ("lr", {"lr": 11.0}), ("lr", {"lr": float("nan")}),
    ("beta1", {"beta1": 1.0}), ("beta2", {"beta2": -0.1}), ("beta1", {"optimizer": "nesterov", "beta1": 0.0}),
    ("regularization", {"regularization": "l3"}),
    ("rate", {"rate": -1.0}), ("rate", {"rate": 11.0}),
    ("alpha", {"alpha": float("nan")}), ("alpha", {"activation": "leaky_relu", "alpha": 0.9}),
    ("alpha", {"activation": "elu", "alpha": 0.0}), ("alpha", {"alpha": "x"}),
])
def test_every_invalid_field_is_named(field, changes):
    with pytest.raises(ValueError, match=rf"^Playground: {field} must be"):
        pg.Config(**changes)
    with pytest.raises(ValueError, match=rf"^Playground: {field} must be"):
        pg.Config().but(**changes)


def test_valid_edges_are_accepted():
    pg.Config(noise=0.5, train=10, batch=30, hidden=(8,) * 6, lr=10.0, rate=10.0, scale=100.0)
    pg.Config(noise=0, train=90, batch=1, hidden=(1,), lr=1e-5, beta1=0.0, beta2=0.0, bn_momentum=0.0)
    pg.Config(dataset="plane", loss="huber")
    pg.Config(loss="hinge")
    pg.Config(batch=2, batchnorm=(1, 1))


# ----------------------------------------------------------------------------- Network
def _history_arrays(net):
    return [(r.train_loss, r.test_loss, np.array(r.act_std), np.array(r.grad_rms), r.dead) for r in net.history]


def _assert_same_history(a, b):
    assert len(a.history) == len(b.history)
    for ra, rb in zip(_history_arrays(a), _history_arrays(b)):
        for x, y in zip(ra, rb):
            np.testing.assert_array_equal(x, y)


def test_initial_weights_are_uniform_and_biases_a_tenth():
    net = pg.Network(pg.Config(features=tuple(pg.FEATURES), hidden=(8,) * 6), grid=8)
    W = np.concatenate([w.ravel() for w in net.weights])
    assert W.size == 7 * 8 + 5 * 64 + 8
    assert np.all(np.abs(W) <= 0.5)
    assert W.min() < -0.45 and W.max() > 0.45  # the whole interval, not a narrower one
    assert stats.kstest(W, stats.uniform(-0.5, 1.0).cdf).pvalue > 0.01
    for d in net.dense:
        np.testing.assert_array_equal(d.params["b"], np.full(d.params["b"].shape, 0.1))
    # the scale multiplies the same draws
    scaled = pg.Network(net.config.but(scale=2.0), grid=8)
    for w, w2 in zip(net.weights, scaled.weights):
        np.testing.assert_array_equal(w2, 2.0 * w)


def test_data_split_follows_train_percentage():
    net = pg.Network(pg.Config(train=30), grid=8)
    assert len(net.y_train) == 150 and len(net.y_test) == 350
    np.testing.assert_array_equal(net.F_train, pg.feature_matrix(net.X_train, ("x1", "x2")))
    X, y = _data.playground_circle(seed=0)
    both = np.sort(np.r_[net.y_train, net.y_test])
    np.testing.assert_array_equal(both, np.sort(np.asarray(y)))


def test_reset_restores_initial_weights_and_training_is_deterministic():
    net = pg.Network(pg.Config(batchnorm=(1, 0), optimizer="adam"), grid=8)
    initial = [np.array(p, copy=True) for p in net.model.params]
    net.train(5)
    assert net.epoch == 5 and len(net.history) == 6
    assert any(not np.array_equal(p, p0) for p, p0 in zip(net.model.params, initial))
    first = copy.deepcopy(net)
    net.reset()
    assert net.epoch == 0 and net.steps == 0 and len(net.history) == 1 and net.diverged_at is None
    for p, p0 in zip(net.model.params, initial):
        np.testing.assert_array_equal(p, p0)
    bn = [layer for layer in net.model.layers if isinstance(layer, BatchNorm)][0]
    np.testing.assert_array_equal(bn.running_mean, 0.0)
    np.testing.assert_array_equal(bn.running_var, 1.0)
    net.train(5)
    _assert_same_history(first, net)
    for p, q in zip(first.model.params, net.model.params):
        np.testing.assert_array_equal(p, q)
    # a new Network of the same configuration too
    other = pg.Network(net.config, grid=8).train(5)
    _assert_same_history(other, net)


def test_heatmap_is_the_forward_pass_on_the_grid():
    net = pg.Network(pg.Config(features=("x1", "x2", "x1x2")), grid=16).train(3)
    axis, points = pg.grid_points(16)
    step = 12.0 / 16
    np.testing.assert_allclose(axis, -6 + step * (np.arange(16) + 0.5))
    np.testing.assert_allclose(points[0], [-6 + step / 2, 6 - step / 2])  # row 0 is the top: y largest
    np.testing.assert_allclose(points[15], [6 - step / 2, 6 - step / 2])
    F = pg.feature_matrix(points, net.config.features)
    np.testing.assert_array_equal(F[:, 2], points[:, 0] * points[:, 1])
    g = net.grid()
    o = net.outputs(F)
    np.testing.assert_array_equal(g["out"], o["out"].reshape(16, 16))
    # the same numbers written out: tanh(tanh(tanh(F W1 + b1) W2 + b2) W3 + b3)
    h = F
    for d in net.dense:
        h = np.tanh(h @ d.params["W"] + d.params["b"])
    np.testing.assert_allclose(g["out"], h[:, 0].reshape(16, 16), rtol=1e-12, atol=1e-14)
    assert g["out"].std() > 0
    # the features' thumbnails
    np.testing.assert_array_equal(g["features"], F.T.reshape(3, 16, 16))


def test_hidden_thumbnails_are_the_hidden_outputs():
    net = pg.Network(pg.Config(hidden=(3, 5, 2), activation="relu"), grid=12).train(2)
    _, points = pg.grid_points(12)
    o = net.outputs(pg.feature_matrix(points, net.config.features))
    g = net.grid()
    assert [h.shape for h in g["hidden"]] == [(3, 12, 12), (5, 12, 12), (2, 12, 12)]
    for layer, (img, h) in enumerate(zip(g["hidden"], o["hidden"])):
        for u in range(h.shape[1]):
            np.testing.assert_array_equal(img[u], h[:, u].reshape(12, 12))
    # the first layer, by hand
    d = net.dense[0]
    F = pg.feature_matrix(points, net.config.features)
    np.testing.assert_allclose(g["hidden"][0][1], np.maximum(F @ d.params["W"][:, 1] + d.params["b"][1], 0)
                               .reshape(12, 12), rtol=1e-12, atol=1e-15)


def _grads(net, F, T):
    """Each parameter's gradient of the mean loss at (F, T), from the model's backward pass (not changing net)."""
    ref = copy.deepcopy(net)
    out = ref.model.forward(F, training=True)
    ref.model.backward(ref._loss(T, out)[1])
    return [(layer, k, np.array(twin.grads[k], copy=True))
            for (layer, k), (twin, _) in zip(net.model.parameters(), ref.model.parameters())]


@pytest.mark.parametrize("config", [
    pg.Config(), pg.Config(loss="cross_entropy", activation="sigmoid"), pg.Config(loss="hinge", activation="elu"),
    pg.Config(dataset="plane", hidden=(3,)), pg.Config(dataset="multi_gauss", loss="huber", activation="softplus"),
], ids=["square", "cross_entropy", "hinge", "regression_square", "huber"])
def test_loss_gradient_equals_a_numerical_derivative(config):
    net = pg.Network(config, grid=4)
    F, T = net.F_train[:20], net.T_train[:20]
    net.loss_on(F, T)
    eps = 1e-6
    for layer, key, g in _grads(net, F, T):
        p = layer.params[key]
        numeric = np.zeros_like(p)
        for idx in np.ndindex(p.shape):
            keep = p[idx]
            p[idx] = keep + eps
            up = net.loss_on(F, T)
            p[idx] = keep - eps
            down = net.loss_on(F, T)
            p[idx] = keep
            numeric[idx] = (up - down) / (2 * eps)
        np.testing.assert_allclose(g, numeric, rtol=1e-5, atol=1e-8, err_msg=f"{type(layer).__name__}.{key}")


def test_square_loss_is_half_the_squared_error_on_a_tanh_output():
    net = pg.Network(grid=4)
    out = np.tanh(net.F_train @ net.dense[0].params["W"] + 0.1)
    out = np.tanh(out @ net.dense[1].params["W"] + 0.1)
    out = np.tanh(out @ net.dense[2].params["W"] + 0.1)
    expected = np.mean(0.5 * (out - net.T_train) ** 2)
    assert net.history[0].train_loss == pytest.approx(expected, rel=1e-12)
    assert set(np.unique(net.T_train)) == {-1.0, 1.0}
    assert set(np.unique(pg.Network(pg.Config(loss="cross_entropy"), grid=4).T_train)) == {0.0, 1.0}


def test_one_sgd_step_is_minus_lr_times_the_gradient():
    net = pg.Network(pg.Config(lr=0.3), grid=4)
    F, T = net.F_train[:10], net.T_train[:10]
    grads = _grads(net, F, T)
    before = {(id(layer), k): np.array(layer.params[k], copy=True) for layer, k, _ in grads}
    assert net.step(F, T)
    assert net.steps == 1
    for layer, k, g in grads:
        assert np.any(g != 0)
        np.testing.assert_array_equal(layer.params[k], before[id(layer), k] - 0.3 * g)


def test_l2_decays_the_weights_only():
    rate, lr = 0.5, 0.1
    net = pg.Network(pg.Config(lr=lr, regularization="l2", rate=rate), grid=4)
    plain = pg.Network(pg.Config(lr=lr), grid=4)
    F, T = net.F_train[:10], net.T_train[:10]
    grads = _grads(net, F, T)
    before = {(id(layer), k): np.array(layer.params[k], copy=True) for layer, k, _ in grads}
    net.step(F, T)
    plain.step(F, T)
    for (layer, k, g), (layer2, k2) in zip(grads, plain.model.parameters()):
        p0 = before[id(layer), k]
        if k == "W":  # SGD with weight_decay: g + rate * W
            np.testing.assert_allclose(layer.params[k], p0 - lr * (g + rate * p0), rtol=1e-14, atol=1e-16)
            assert not np.allclose(layer.params[k], layer2.params[k2])
        else:  # the biases move as without the penalty
            np.testing.assert_array_equal(layer.params[k], layer2.params[k2])
            np.testing.assert_array_equal(layer.params[k], p0 - lr * g)


def test_l1_soft_thresholds_weights_to_exact_zeros():
    lr, rate = 0.1, 0.5
    threshold = lr * rate
    net = pg.Network(pg.Config(lr=lr, regularization="l1", rate=rate), grid=4)
    net.dense[0].params["W"][0, 0] = 0.01  # lands within the threshold after the gradient step
    net.dense[1].params["W"][1, 0] = 0.3   # stays outside it
    F, T = net.F_train[:10], net.T_train[:10]
    grads = _grads(net, F, T)
    before = {(id(layer), k): np.array(layer.params[k], copy=True) for layer, k, _ in grads}
    net.step(F, T)
    for layer, k, g in grads:
        half = before[id(layer), k] - lr * g
        if k == "W":
            expected = np.sign(half) * np.maximum(np.abs(half) - threshold, 0.0)
            np.testing.assert_allclose(layer.params[k], expected, rtol=1e-14, atol=1e-16)
            np.testing.assert_array_equal(layer.params[k] == 0, np.abs(half) <= threshold)
        else:
            np.testing.assert_array_equal(layer.params[k], half)
    half0 = before[id(net.dense[0]), "W"][0, 0] - lr * grads[0][2][0, 0]
    assert abs(half0) < threshold and net.dense[0].params["W"][0, 0] == 0.0
    half1 = before[id(net.dense[1]), "W"][1, 0] - lr * grads[2][2][1, 0]
    assert net.dense[1].params["W"][1, 0] == pytest.approx(half1 - np.sign(half1) * threshold)
    # trained, L1 leaves exact zeros that plain SGD does not
    net.reset()
    net.train(20)
    assert sum(int(np.sum(w == 0)) for w in net.weights) > 0
    plain = pg.Network(net.config.but(regularization="none"), grid=4).train(20)
    assert sum(int(np.sum(w == 0)) for w in plain.weights) == 0


def test_set_live_changes_lr_without_starting_again():
    net = pg.Network(pg.Config(optimizer="momentum", beta1=0.5), grid=4).train(3)
    weights = [np.array(w, copy=True) for w in net.weights]
    history = len(net.history)
    net.set_live(net.config.but(lr=0.1, beta1=0.9, regularization="l2", rate=0.01))
    assert net.epoch == 3 and len(net.history) == history
    for w, w0 in zip(net.weights, weights):
        np.testing.assert_array_equal(w, w0)
    assert net.config.lr == 0.1
    assert net.opt_weights.lr == 0.1 and net.opt_rest.lr == 0.1
    assert net.opt_weights.momentum == 0.9 and net.opt_weights.weight_decay == 0.01
    assert net.opt_rest.weight_decay == 0.0
    assert net.opt_weights.state  # the momentum buffers are kept
    net.train(1)
    assert net.epoch == 4


def test_set_live_lr_is_the_step_size():
    net = pg.Network(grid=4).train(2)
    net.set_live(net.config.but(lr=0.5))
    F, T = net.F_train[:10], net.T_train[:10]
    grads = _grads(net, F, T)
    W0 = [np.array(w, copy=True) for w in net.weights]
    net.step(F, T)
    for w, w0, g in zip(net.weights, W0, [g for _, k, g in grads if k == "W"]):
        np.testing.assert_array_equal(w, w0 - 0.5 * g)


def test_divergence_stops_training_without_a_warning():
    net = pg.Network(pg.Config(dataset="plane", activation="relu", lr=3.0), grid=8)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        net.train(40)
        assert net.diverged_at is not None
        epoch, step = net.diverged_at
        assert net.epoch == epoch < 40
        assert len(net.history) == epoch + 1
        steps_per_epoch = math.ceil(len(net.y_train) / net.config.batch)
        assert epoch * steps_per_epoch <= step < (epoch + 1) * steps_per_epoch  # the step that failed, from 0
        assert all(math.isfinite(r.train_loss) for r in net.history)
        assert not net.train_epoch()
        net.train(5)
        assert net.epoch == epoch and net.diverged_at == (epoch, step)
        assert net.loss_on(net.F_train, net.T_train) == math.inf
        net.grid()  # still drawable
        net.reset()
    assert net.diverged_at is None and net.epoch == 0


def test_batch_norm_layers_where_asked():
    net = pg.Network(pg.Config(hidden=(4, 3, 2), batchnorm=(1, 0, 1), bn_momentum=0.3), grid=4)
    kinds = [type(layer).__name__ for layer in net.model.layers]
    assert kinds == ["Dense", "BatchNorm", "Activation", "Dense", "Activation", "Dense", "BatchNorm", "Activation",
                     "Dense", "Activation"]
    bns = [layer for layer in net.model.layers if isinstance(layer, BatchNorm)]
    assert [b.num_features for b in bns] == [4, 2] and all(b.momentum == 0.3 for b in bns)
    assert not any(isinstance(layer, BatchNorm) for layer in pg.Network(grid=4).model.layers)
    net.train(2)
    assert not np.array_equal(bns[0].running_mean, np.zeros(4))


def test_output_unit_follows_the_loss():
    assert pg.Network(grid=4).out_act is not None
    for config in (pg.Config(loss="cross_entropy"), pg.Config(loss="hinge"), pg.Config(dataset="plane")):
        net = pg.Network(config, grid=4)
        assert net.out_act is None and isinstance(net.model.layers[-1], Dense)


def test_activation_parameter_reaches_the_layers():
    net = pg.Network(pg.Config(activation="leaky_relu", alpha=0.2), grid=4)
    assert all(a.kwargs == {"alpha": 0.2} for a in net.hidden_acts)
    net = pg.Network(pg.Config(activation="leaky_relu"), grid=4)
    assert all(a.kwargs == {"alpha": 0.01} for a in net.hidden_acts)


@pytest.mark.parametrize("hidden", [(4,), (4, 2)])
def test_dead_units_of_a_relu_net_with_very_negative_biases(hidden):
    net = pg.Network(pg.Config(activation="relu", hidden=hidden), grid=4)
    assert net.history[0].dead == 0.0
    for d in net.dense[:-1]:
        d.params["b"][...] = -100.0
    net.train(1)
    assert net.history[-1].dead == 1.0
    np.testing.assert_array_equal(net.dense[0].params["b"], -100.0)  # no gradient reaches them
    # only the first layer dead: its units out of all hidden units
    net = pg.Network(pg.Config(activation="relu", hidden=hidden), grid=4)
    net.dense[0].params["b"][...] = -100.0
    net.train(1)
    assert net.history[-1].dead == pytest.approx(4 / sum(hidden))


def test_no_hidden_layer():
    net = pg.Network(pg.Config(hidden=(), features=("x1_sq", "x2_sq")), grid=8).train(20)
    assert len(net.dense) == 1 and net.grid()["hidden"] == []
    assert net.history[-1].dead == 0.0 and net.history[-1].act_std == []
    assert net.accuracy() >= 0.9


def test_replay_snapshots_each_epoch():
    exp = pg.EXPERIMENTS["zero_init"]
    runs = exp.replay(grid=8)
    assert list(runs) == list(exp.epochs)
    for epoch, net in runs.items():
        assert net.epoch == epoch and len(net.history) == epoch + 1
    assert not np.array_equal(runs[0].weights[-1], runs[100].weights[-1])


# ----------------------------------------------------------------------------- the guided experiments
_RUNS = {}


def _trained(name):
    if name not in _RUNS:
        exp = pg.EXPERIMENTS[name]
        _RUNS[name] = pg.Network(exp.config, grid=32).train(max(exp.epochs))
    return _RUNS[name]


def test_experiments_are_valid():
    for name, exp in pg.EXPERIMENTS.items():
        assert exp.epochs[0] == 0 and list(exp.epochs) == sorted(set(exp.epochs)), name
        assert exp.title and exp.note


def test_default_finds_the_circle():
    net = _trained("default")
    assert net.epoch == 100 and net.diverged_at is None
    assert net.accuracy("test") >= 0.95
    assert net.history[-1].train_loss < 0.1 * net.history[0].train_loss


def test_spiral_relu_learns_and_sigmoid_does_not():
    relu, sigmoid = _trained("spiral_relu"), _trained("spiral_sigmoid")
    assert relu.accuracy("test") >= 0.90
    assert sigmoid.accuracy("test") <= 0.60
    # the first layer's weight gradient: at least 10 times smaller with sigmoid units
    assert sigmoid.history[-1].grad_rms[0] * 10 <= relu.history[-1].grad_rms[0]
    # and smaller layer by layer from the output down
    g = sigmoid.history[-1].grad_rms
    assert all(a < b for a, b in zip(g, g[1:]))


def test_zero_init_units_stay_equal():
    net = _trained("zero_init")
    g = net.grid()
    for layer in g["hidden"]:
        assert np.max(np.ptp(layer, axis=0)) == 0.0  # every unit of the layer the same at every point
    for w in net.weights[1:]:
        assert np.all(w == w[:, :1]) and np.all(w == w[:1, :])
    assert abs(net.accuracy("test") - 0.5) <= 0.1


def test_adam_beats_sgd_at_a_small_learning_rate():
    sgd, adam = _trained("sgd_small_lr"), _trained("adam_small_lr")
    assert adam.history[-1].train_loss * 10 <= sgd.history[-1].train_loss


def test_batch_norm_makes_the_deep_net_learn():
    assert _trained("deep_batchnorm").accuracy("test") >= 0.90
    assert _trained("deep_plain").accuracy("test") <= 0.60


def test_l1_drops_features():
    net = _trained("l1_features")
    W = net.weights[0]
    assert W.shape == (7, 4)
    zero_rows = int(np.sum(np.all(W == 0, axis=1)))
    assert zero_rows >= 3, f"only {zero_rows} of 7 feature rows are exactly zero: {np.abs(W).sum(axis=1)}"


def test_lr_too_high_diverges():
    """The note: "At learning rate 3 the steps overshoot and grow until the loss is not finite"."""
    exp = pg.EXPERIMENTS["lr_too_high"]
    net = pg.Network(exp.config, grid=8).train(max(exp.epochs))
    assert net.diverged_at is not None, (f"no divergence in {net.epoch} epochs: train loss "
                                         f"{net.history[-1].train_loss:.3g}, dead units {net.history[-1].dead:.0%}")
