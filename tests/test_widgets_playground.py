"""The Playground explorers, tested headless: change each control, click the buttons, read back the network."""
import html
import re

import matplotlib.pyplot as plt
import numpy as np
import pytest

from nnkernel import activations as _act
from nnkernel import data as _data
from nnkernel import init as _init
from nnkernel import playground as pg
from nnkernel.layers import BatchNorm
from widgets.playground import BETAS, HIDE_GROUPS, LEARNING_RATES, RATES, SCALES, Playground, PlaygroundReplay

plt.switch_backend("Agg")


@pytest.fixture(scope="module")
def _shared():
    return Playground(mode="image")


@pytest.fixture
def p(_shared):
    """One Playground for the module (building a figure is the slow part), back at the defaults, epoch 0."""
    _shared.restore("show_test=0;discretize=0")
    _shared.restore("")
    with _shared.quietly():
        _shared.preset.value = ""
    _shared.reset()
    assert _shared.net.config == pg.Config() and _shared.net.epoch == 0
    return _shared


def _epoch_shown(markup):
    return int(re.search(r"epoch <b>(\d+)</b>", markup).group(1))


class _Redraw:
    """What one change did to the figure: the snapshot, the readout and the alt text before and after."""

    def __init__(self, p):
        self.p = p
        self.before = (p.snapshot(), p.readout.value, p.alt.value, len(p.timings_ms))

    @property
    def redraws(self):
        return len(self.p.timings_ms) - self.before[3]

    @property
    def pixels_changed(self):
        return not np.array_equal(self.p.snapshot(), self.before[0])

    @property
    def text_changed(self):
        return self.p.readout.value != self.before[1] or self.p.alt.value != self.before[2]


def _layer_buttons(p):
    """(+ layer, − layer, [(−, +, batch norm) per hidden layer]) as the layer box shows them now."""
    head, *rows = p.layer_box.children
    _, plus_layer, minus_layer = head.children
    return plus_layer, minus_layer, [(r.children[1], r.children[2], r.children[3]) for r in rows]


# ----------------------------------------------------------------------------- the starting state
def test_starts_at_tf_playgrounds_defaults(p):
    C = p.controls
    assert C["dataset"].value == "circle" and C["noise"].value == 0 and C["train"].value == 50
    assert C["batch"].value == 10 and C["lr"].value == 0.03 and C["activation"].value == "tanh"
    assert [n for n in pg.FEATURES if C[f"f_{n}"].value] == ["x1", "x2"]
    assert C["alpha"].disabled and C["beta1"].disabled and C["beta2"].disabled and C["rate"].disabled
    assert C["bn_momentum"].disabled
    assert p.state() == ""
    assert _epoch_shown(p.readout.value) == 0


# ----------------------------------------------------------------------------- every control
@pytest.mark.parametrize("problem", ["classification", "regression"])
def test_every_dataset(p, problem):
    p._problem.value = problem
    options = list(p.controls["dataset"].options)
    assert options == [k for k in _data.PLAYGROUND if _data.PLAYGROUND_PROBLEM[k] == problem]
    assert p.net.config.dataset == options[0] and p.net.config.problem == problem
    assert [v for _, v in p.controls["loss"].options] == list(pg.LOSSES[problem])
    for name in options[1:] + options[:1]:
        r = _Redraw(p)
        p.controls["dataset"].value = name
        assert p.net.config.dataset == name
        np.testing.assert_array_equal(p.net.X_train, pg.Network(pg.Config(dataset=name), grid=4).X_train)
        assert r.redraws == 1 and r.pixels_changed
        assert f"{name} data ({problem}" in p.alt.value


def test_noise_train_seed_change_the_data(p):
    C = p.controls
    for name, value, field, expected in (("noise", 30, "noise", 0.3), ("train", 80, "train", 80),
                                         ("seed", 7, "seed", 7)):
        r = _Redraw(p)
        y = p.net.y_train.copy()
        C[name].value = value
        assert getattr(p.net.config, field) == expected
        assert r.redraws == 1 and r.pixels_changed, name
        assert len(p.net.y_train) != len(y) or not np.array_equal(p.net.y_train, y)
    assert len(p.net.y_train) == 400
    assert "noise 30%" in p.alt.value
    r = _Redraw(p)
    p.regenerate.click()
    assert C["seed"].value == 8 and p.net.config.seed == 8 and r.pixels_changed


def test_batch_size(p):
    r = _Redraw(p)
    p.controls["batch"].value = 25
    assert p.net.config.batch == 25 and r.redraws == 1
    p.step_button.click()
    assert p.net.steps == 250 // 25  # one epoch: the 250 training points in batches of 25


@pytest.mark.parametrize("feature", list(pg.FEATURES))
def test_each_feature_toggle(p, feature):
    toggle = p.controls[f"f_{feature}"]
    r = _Redraw(p)
    toggle.value = not toggle.value
    expected = tuple(n for n in pg.FEATURES if n in ("x1", "x2") and n != feature or
                     n == feature and n not in ("x1", "x2"))
    assert p.net.config.features == expected
    assert p.net.weights[0].shape == (len(expected), 4)
    assert r.redraws == 1 and r.pixels_changed
    assert pg.FEATURES[feature][0] in p.alt.value or feature in ("x1", "x2")


def test_last_feature_off_keeps_the_toggles_truthful(p):
    """With every toggle off the network falls back to X1: the X1 toggle should then show it."""
    p.controls["f_x2"].value = False
    p.controls["f_x1"].value = False
    used = p.net.config.features
    shown = tuple(n for n in pg.FEATURES if p.controls[f"f_{n}"].value)
    assert used == shown, f"the network uses {used} while the toggles show {shown}"


@pytest.mark.parametrize("activation", pg.HIDDEN_ACTIVATIONS)
def test_each_activation_and_its_parameter(p, activation):
    a = p.controls["alpha"]
    r = _Redraw(p)
    p.controls["activation"].value = activation
    assert p.net.config.activation == activation
    assert all(act.kind == activation for act in p.net.hidden_acts)
    assert (r.redraws == 1) == (activation != "tanh")
    spec = _act.REGISTRY[activation].params
    if activation != "tanh":
        assert r.pixels_changed and f", {activation}" in p.alt.value
    if not spec:
        assert a.disabled and p.net.config.alpha is None
        return
    spec = spec[0]
    assert not a.disabled and a.description == spec.name
    assert (a.min, a.max) == spec.slider[:2] and a.value == spec.default
    assert p.net.config.alpha == spec.default
    other = spec.slider[0] if spec.default != spec.slider[0] else spec.slider[1]
    r = _Redraw(p)
    a.value = other
    assert p.net.config.alpha == pytest.approx(other)
    assert p.net.hidden_acts[0].kwargs == {spec.name: pytest.approx(other)}
    assert r.redraws == 1 and r.pixels_changed
    # back to a parameterless activation: the slider is disabled and the parameter dropped
    p.controls["activation"].value = "tanh"
    assert a.disabled and p.net.config.alpha is None


@pytest.mark.parametrize("problem, loss", [(pr, loss) for pr in pg.LOSSES for loss in pg.LOSSES[pr]])
def test_each_loss(p, problem, loss):
    p._problem.value = problem
    r = _Redraw(p)
    p.controls["loss"].value = loss
    assert p.net.config.loss == loss
    assert (p.net.out_act is not None) == (loss == "square" and problem == "classification")
    if loss != "square":
        assert r.redraws == 1 and r.text_changed and f"{loss} loss" in p.alt.value
        assert f"train loss <b>{p.net.history[-1].train_loss:.3g}</b>" in p.readout.value


@pytest.mark.parametrize("init", list(_init.INITIALIZERS))
def test_each_initializer(p, init):
    r = _Redraw(p)
    p.controls["init"].value = init
    assert p.net.config.init == init
    if init != "random_uniform":
        assert r.redraws == 1 and r.pixels_changed and f"{init} initialization" in p.alt.value
        ref = pg.Network(pg.Config(init=init), grid=4)
        for w, w0 in zip(p.net.weights, ref.weights):
            np.testing.assert_array_equal(w, w0)


def test_scale(p):
    w = p.net.weights[0].copy()
    for scale in SCALES:
        if scale == 1.0:
            continue
        r = _Redraw(p)
        p.controls["scale"].value = scale
        assert p.net.config.scale == scale
        np.testing.assert_allclose(p.net.weights[0], scale * w, rtol=1e-15)
        assert r.redraws == 1 and r.pixels_changed


def test_batch_norm_momentum(p):
    C = p.controls
    assert C["bn_momentum"].disabled
    _layer_buttons(p)[2][0][2].value = True  # batch norm on the first hidden layer
    assert not C["bn_momentum"].disabled
    r = _Redraw(p)
    C["bn_momentum"].value = 0.5
    assert p.net.config.bn_momentum == 0.5 and r.redraws == 1
    assert [b.momentum for b in p.net.model.layers if isinstance(b, BatchNorm)] == [0.5]


@pytest.mark.parametrize("optimizer", list(pg.OPTIMIZERS))
def test_each_optimizer_and_its_betas(p, optimizer):
    C = p.controls
    r = _Redraw(p)
    C["optimizer"].value = optimizer
    assert p.net.config.optimizer == optimizer
    label, uses = pg.OPTIMIZERS[optimizer]
    assert C["beta1"].disabled == ("beta1" not in uses)
    assert C["beta2"].disabled == ("beta2" not in uses)
    if optimizer != "sgd":
        assert r.redraws == 1 and f"{label} at learning rate" in p.alt.value
    for beta in uses:
        p.tick()
        r = _Redraw(p)
        C[beta].value = 0.5
        assert getattr(p.net.config, beta) == 0.5 and r.redraws == 1
        assert p.net.epoch == 1  # a live change: training goes on
        attr = {"momentum": "momentum", "nesterov": "momentum", "rmsprop": "beta"}.get(optimizer, beta)
        assert getattr(p.net.opt_weights, attr) == 0.5
        p.reset()


@pytest.mark.parametrize("lr", LEARNING_RATES)
def test_each_learning_rate_is_live(p, lr):
    p.tick()
    p.tick()
    weights = [w.copy() for w in p.net.weights]
    r = _Redraw(p)
    p.controls["lr"].value = lr
    assert p.net.config.lr == lr and p.net.opt_weights.lr == lr
    assert p.net.epoch == 2  # not started again
    for w, w0 in zip(p.net.weights, weights):
        np.testing.assert_array_equal(w, w0)
    if lr != 0.03:
        assert r.redraws == 1 and f"learning rate {lr:g}" in p.alt.value


@pytest.mark.parametrize("regularization", ["l1", "l2"])
def test_regularization_and_rate(p, regularization):
    C = p.controls
    p.tick()
    C["regularization"].value = regularization
    assert not C["rate"].disabled and p.net.config.regularization == regularization
    r = _Redraw(p)
    C["rate"].value = 0.1
    assert p.net.config.rate == 0.1 and p.net.epoch == 1
    assert r.redraws == 1 and f"{pg.REGULARIZATIONS[regularization]} regularization at rate 0.1" in p.alt.value
    assert p.net.opt_weights.weight_decay == (0.1 if regularization == "l2" else 0.0)
    C["regularization"].value = "none"
    assert C["rate"].disabled and p.net.config.regularization == "none"
    assert "regularization" not in p.alt.value


def test_betas_and_rates_are_on_their_grids():
    assert 0.9 in BETAS and 0.999 in BETAS and 0.0 in RATES and 0.03 in LEARNING_RATES


# ----------------------------------------------------------------------------- the layer buttons
def test_layer_buttons_within_limits(p):
    plus_layer, minus_layer, rows = _layer_buttons(p)
    assert len(rows) == 2 and not plus_layer.disabled and not minus_layer.disabled
    for n in range(3, pg.MAX_LAYERS + 1):
        r = _Redraw(p)
        _layer_buttons(p)[0].click()
        assert p.net.config.hidden == (4, 2) + (2,) * (n - 2)  # a new layer as wide as the last
        assert r.redraws == 1 and r.pixels_changed
    plus_layer, minus_layer, rows = _layer_buttons(p)
    assert len(rows) == pg.MAX_LAYERS and plus_layer.disabled
    plus_layer.click()
    assert len(p.net.config.hidden) == pg.MAX_LAYERS
    for n in range(pg.MAX_LAYERS - 1, -1, -1):
        _layer_buttons(p)[1].click()
        assert len(p.net.config.hidden) == n
    plus_layer, minus_layer, rows = _layer_buttons(p)
    assert rows == [] and minus_layer.disabled and not plus_layer.disabled
    minus_layer.click()
    assert p.net.config.hidden == ()
    plus_layer.click()
    assert p.net.config.hidden == (4,)


def test_neuron_buttons_within_limits(p):
    for n in range(5, pg.MAX_NEURONS + 1):
        _layer_buttons(p)[2][0][1].click()
        assert p.net.config.hidden == (n, 2)
    minus, plus, _ = _layer_buttons(p)[2][0]
    assert plus.disabled and not minus.disabled
    plus.click()
    assert p.net.config.hidden == (pg.MAX_NEURONS, 2)
    r = _Redraw(p)
    _layer_buttons(p)[2][1][0].click()
    assert p.net.config.hidden == (pg.MAX_NEURONS, 1) and r.redraws == 1 and r.pixels_changed
    minus, plus, _ = _layer_buttons(p)[2][1]
    assert minus.disabled and not plus.disabled
    minus.click()
    assert p.net.config.hidden == (pg.MAX_NEURONS, 1)
    assert "layer 2: 1 neuron" in p.layer_box.children[2].children[0].value


def test_batch_norm_checkboxes(p):
    p.controls["batch"].value = 1
    r = _Redraw(p)
    _layer_buttons(p)[2][1][2].value = True
    assert p.net.config.batchnorm == (0, 1)
    assert p.controls["batch"].value == 2 and p.net.config.batch == 2  # a batch variance needs two
    assert p.controls["batch"].min == 2
    assert [type(layer).__name__ for layer in p.net.model.layers].count("BatchNorm") == 1
    assert r.pixels_changed and any(t.get_text() == "2 +BN" for t in p.net_texts)
    assert _layer_buttons(p)[2][1][2].value  # the rebuilt row shows it
    _layer_buttons(p)[0].click()
    assert p.net.config.hidden == (4, 2, 2) and p.net.config.batchnorm == (0, 1, 0)
    _layer_buttons(p)[1].click()
    _layer_buttons(p)[2][1][2].value = False
    assert p.net.config.batchnorm == () and p.controls["batch"].min == 1
    assert not any(isinstance(layer, BatchNorm) for layer in p.net.model.layers)


# ----------------------------------------------------------------------------- play, step, reset
def test_step_play_and_reset(p):
    initial = [np.array(q, copy=True) for q in p.net.model.params]
    r = _Redraw(p)
    p.step_button.click()
    assert p.net.epoch == 1 and len(p.net.history) == 2 and _epoch_shown(p.readout.value) == 1
    assert r.redraws == 1 and r.pixels_changed
    p.reset_button.click()
    for v in (1, 2, 3):
        p.play.value = v
    assert p.net.epoch == 3 and _epoch_shown(p.readout.value) == 3
    assert any(not np.array_equal(q, q0) for q, q0 in zip(p.net.model.params, initial))
    p.reset_button.click()
    assert p.net.epoch == 0 and p.play.value == 0 and len(p.net.history) == 1
    assert _epoch_shown(p.readout.value) == 0
    for q, q0 in zip(p.net.model.params, initial):
        np.testing.assert_array_equal(q, q0)
    p.play.value = 1  # playing again after a reset trains
    assert p.net.epoch == 1


def test_diverging_run_stops_play(p):
    p.restore("dataset=plane;activation=relu;lr=3")
    p.play.playing = True
    for v in range(1, 41):
        p.play.value = v
        if not p.play.playing:
            break
    assert not p.play.playing
    assert p.net.diverged_at is not None
    epoch, step = p.net.diverged_at
    assert p.net.epoch == epoch
    assert "<b>Diverged</b>" in p.readout.value and f"in epoch {epoch + 1}" in p.readout.value
    assert "Diverged" in p.describe()
    assert not p.tick() and p.net.epoch == epoch
    p.reset_button.click()
    assert p.net.diverged_at is None and "Diverged" not in p.readout.value


# ----------------------------------------------------------------------------- state
def _change_several(p):
    C = p.controls
    C["dataset"].value = "xor"
    C["noise"].value = 10
    C["f_x1x2"].value = True
    _layer_buttons(p)[0].click()
    _layer_buttons(p)[2][0][1].click()
    C["activation"].value = "elu"
    C["alpha"].value = 0.5
    C["optimizer"].value = "adam"
    C["beta2"].value = 0.99
    C["lr"].value = 0.01
    C["regularization"].value = "l2"
    C["rate"].value = 0.003
    p.show_test.value = True


def test_state_round_trip(p):
    _change_several(p)
    expected = pg.Config(dataset="xor", noise=0.1, features=("x1", "x2", "x1x2"), hidden=(5, 2, 2),
                         activation="elu", alpha=0.5, optimizer="adam", beta2=0.99, lr=0.01,
                         regularization="l2", rate=0.003)
    assert p.net.config == expected
    state = p.state()
    assert state == expected.state() + ";show_test=1"
    q = Playground(mode="image", state=state)
    assert q.net.config == p.net.config and q.state() == state
    assert q.show_test.value and not q.discretize.value
    np.testing.assert_array_equal(q.net.grid()["out"], p.net.grid()["out"])  # the same network
    # restore on the shared one: back to the defaults and to the same state again
    p.restore("show_test=0")
    p.restore("")
    assert p.net.config == pg.Config()
    p.restore(state)
    assert p.net.config == expected and p.show_test.value


def test_the_key_over_each_column_matches_its_lines(p):
    """The short line over layer j's column has the colour and dashes of layer j's lines in the statistics panels
    (its outputs' spread, the gradient of the weights that feed it), after the number of layers changed."""
    from matplotlib.colors import to_hex

    for hidden in ("4,2,2", "4", "4,2"):
        p.controls["hidden"].value = hidden
        layers = len(p.net.config.hidden)
        assert len(p.net_keys) == layers + 1 == len(p.stat_lines["grad"])
        assert len(p.stat_lines["act"]) == layers
        for i, key in enumerate(p.net_keys):
            style = (to_hex(key.get_color()), key.get_linestyle())
            assert style == (to_hex(p.stat_lines["grad"][i].get_color()), p.stat_lines["grad"][i].get_linestyle())
            if i < layers:
                act = p.stat_lines["act"][i]
                assert style == (to_hex(act.get_color()), act.get_linestyle())
        styles = {(to_hex(k.get_color()), k.get_linestyle()) for k in p.net_keys}
        assert len(styles) == layers + 1  # every key tells its layer apart


def test_state_button_shows_the_state(p):
    p.controls["lr"].value = 0.1
    p.state_button.click()
    assert p.state_text.value == p.state() == "lr=0.1"


def test_restore_view_settings(p):
    r = _Redraw(p)
    p.restore("show_test=1;discretize=1")
    assert p.show_test.value and p.discretize.value and r.pixels_changed
    assert p.state() == "show_test=1;discretize=1"
    assert p.net.config == pg.Config()
    r = _Redraw(p)
    p.discretize.value = False
    assert r.redraws == 1 and r.pixels_changed and p.state() == "show_test=1"
    r = _Redraw(p)
    p.show_test.value = False
    assert r.redraws == 1 and r.pixels_changed and p.state() == ""


def test_view_settings_the_reader_changed_stay_changed(p):
    """A restore that does not mention show_test (loading an experiment) keeps the reader's choice."""
    p.restore("show_test=1")
    p.show_test.value = False
    p.preset.value = "zero_init"
    assert not p.show_test.value, "loading an experiment turned 'show test data' back on"


@pytest.mark.parametrize("state", ["foo=1", "lr=abc", "noise=0.9", "hidden=9", "loss=hinge;dataset=plane",
                                   "batch=1;batchnorm=1,0"])
def test_bad_state_is_a_value_error(p, state):
    p.controls["lr"].value = 0.1
    with pytest.raises(ValueError):
        p.restore(state)
    assert p.net.config == pg.Config(lr=0.1)
    with pytest.raises(ValueError):
        Playground(mode="image", state=state)


def test_bad_state_leaves_the_view_settings(p):
    with pytest.raises(ValueError):
        p.restore("discretize=1;foo=1")
    p.restore("lr=0.1")
    assert not p.discretize.value, "a refused state string's discretize=1 was applied later"


def test_the_controls_hold_every_state_the_config_allows():
    """The largest batch and seed a Config allows come back from a state string as they were."""
    q = Playground(mode="image", state=f"batch=30;seed={pg.MAX_SEED}")
    assert q.net.config == pg.Config(batch=30, seed=pg.MAX_SEED), q.net.config.state()
    with pytest.raises(ValueError, match="batch"):
        Playground(mode="image", state="batch=31")


# ----------------------------------------------------------------------------- hide, presets, words
def _groups(p):
    p.widget  # builds the control box
    out = {}
    for box in p._groups:
        for cls in box._dom_classes:
            if cls.startswith("nnk-group-"):
                out[cls[len("nnk-group-"):]] = box
    return out


def test_hide_groups():
    q = Playground(mode="image", hide=["optimizer", "features"])
    groups = _groups(q)
    assert set(HIDE_GROUPS) <= set(groups)
    for name, box in groups.items():
        assert (box.layout.display == "none") == (name in ("optimizer", "features")), name
    assert q.controls["optimizer"] in groups["optimizer"].children
    assert all(q.controls[f"f_{n}"] in groups["features"].children for n in pg.FEATURES)
    q.controls["lr"].value = 0.1  # hidden controls still work
    assert q.net.config.lr == 0.1


def test_hide_everything_but_the_run_group():
    q = Playground(mode="image", hide=list(HIDE_GROUPS))
    for name, box in _groups(q).items():
        assert (box.layout.display == "none") == (name != "run"), name


@pytest.mark.parametrize("hide", [["colours"], "optimizer", ["optimizer", "run"]])
def test_unknown_hide_group(hide):
    with pytest.raises(ValueError, match="hide"):
        Playground(mode="image", hide=hide)


@pytest.mark.parametrize("name", list(pg.EXPERIMENTS))
def test_each_preset(p, name):
    p.preset.value = name
    config = pg.EXPERIMENTS[name].config
    assert p.net.config == config
    assert p.net.epoch == 0
    assert p.controls["hidden"].value == ",".join(map(str, config.hidden))
    assert len(_layer_buttons(p)[2]) == len(config.hidden)
    assert p.state() == config.state()


@pytest.mark.parametrize("before, name", [("", "default"), ("", "sgd_small_lr"), ("lr=0.1", "default")])
def test_loading_a_preset_starts_it_at_epoch_0(p, before, name):
    p.restore(before)
    p.tick()
    p.preset.value = name
    assert p.net.config == pg.EXPERIMENTS[name].config
    assert p.net.epoch == 0 and _epoch_shown(p.readout.value) == 0


def test_loading_a_different_preset_starts_at_epoch_0(p):
    p.tick()
    p.preset.value = "zero_init"
    assert p.net.epoch == 0 and np.all(p.net.weights[0] == 0)


def test_describe_and_readout(p):
    p.controls["dataset"].value = "gauss"
    for _ in range(3):
        p.tick()
    text = p.describe()
    assert "gauss data (classification" in text and "hidden layers 4, 2" in text and "epoch 3" in text
    assert html.unescape(p.alt.value) == text  # the figure's alt text
    last = p.net.history[-1]
    assert _epoch_shown(p.readout.value) == 3
    assert f"train loss <b>{last.train_loss:.3g}</b>" in p.readout.value
    assert f"test loss <b>{last.test_loss:.3g}</b>" in p.readout.value
    assert f"test accuracy <b>{p.net.accuracy('test'):.0%}</b>" in p.readout.value
    # the loss curve holds the history
    np.testing.assert_allclose(p.loss_lines[0].get_ydata(), [r.train_loss for r in p.net.history])
    p.controls["hidden"].value = ""
    assert "hidden layers none" in p.describe()


# ----------------------------------------------------------------------------- the page's replay
@pytest.fixture(scope="module")
def replay():
    return PlaygroundReplay(mode="image", grid=16)


@pytest.mark.parametrize("name", list(pg.EXPERIMENTS))
def test_replay_every_epoch(replay, name):
    exp = pg.EXPERIMENTS[name]
    replay.controls["experiment"].value = name
    assert tuple(replay.controls["epoch"].options) == exp.epochs
    assert replay.controls["epoch"].value == exp.epochs[-1]
    shots = []
    for epoch in exp.epochs:
        replay.controls["epoch"].value = epoch
        net = replay.net
        assert net.config == exp.config
        assert _epoch_shown(replay.readout.value) == net.epoch
        if net.diverged_at is None:
            assert net.epoch == epoch and len(net.history) == epoch + 1
        else:
            assert net.epoch == net.diverged_at[0] <= epoch
        assert exp.note.split(":")[0] in replay.readout.value.replace("&#x27;", "'")
        shots.append(replay.snapshot())
    assert not np.array_equal(shots[0], shots[-1])


def test_replay_unknown_experiment():
    with pytest.raises(ValueError, match="experiment"):
        PlaygroundReplay(mode="image", experiment="nope")
