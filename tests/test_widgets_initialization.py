"""The initialization explorer, tested headless: set the controls, compare the plot with nnkernel's own network."""
import io
from functools import partial

import matplotlib.pyplot as plt
import numpy as np
import pytest
from PIL import Image

import nnkernel as nk
from widgets.initialization import (ACTIVATIONS, HEIGHT_FACTOR, INITIALIZERS, RANGES, ROW_CAP, STD_LIMITS,
                                    InitExplorer)

plt.switch_backend("Agg")  # an earlier test may have imported ipympl's backend

WIDTH, BATCH, MAX_DEPTH, SEED = 32, 40, 8, 3


@pytest.fixture
def explorer():
    # small sizes keep the reference computations quick; the batch is not a multiple of the slice size on purpose
    return InitExplorer(width=WIDTH, batch=BATCH, max_depth=MAX_DEPTH, depth=5, seed=SEED, mode="image")


def scaled(name, scale, fan_in, fan_out, seed=None):
    return scale * nk.init.get(name)(fan_in, fan_out, seed=seed)


def reference(activation, initializer, scale, depth):
    """The same network built from nnkernel layers: activations of each layer and the gradients reaching them."""
    layers = []
    for l in range(depth):
        layers += [nk.layers.Dense(WIDTH, WIDTH, init=partial(scaled, initializer, scale), seed=SEED + l),
                   nk.layers.Activation(activation)]
    model = nk.models.Sequential(layers)
    X = np.random.default_rng(SEED).normal(size=(BATCH, WIDTH))
    model.forward(X)
    acts = [nk.to_numpy(layers[2 * l + 1]._cache[1]) for l in range(depth)]
    g = np.random.default_rng(SEED + 10_000).normal(size=(BATCH, WIDTH))
    grads = []
    for layer in reversed(model.layers):
        if isinstance(layer, nk.layers.Activation):
            grads.append(nk.to_numpy(g))
        g = layer.backward(g)
    return acts, grads[::-1]


def near_an_edge(a, edges):
    """How many values lie so close to a bin edge that round-off could move them to the next bin."""
    return int(np.sum(np.min(np.abs(a.ravel()[:, None] - edges[None, :]), axis=1) <= 1e-9 * (1 + np.abs(a.ravel()))))


def check_against_reference(ex, activation, initializer, scale, depth):
    acts, grads = reference(activation, initializer, scale, depth)
    lo, hi = RANGES[activation]
    edges = np.linspace(lo, hi, ex.bins + 1)
    np.testing.assert_array_equal(ex.edges, edges)
    assert ex.counts.shape == (depth, ex.bins)
    for l in range(depth):
        expected = np.histogram(np.clip(acts[l], lo, hi), bins=edges)[0]
        assert np.abs(ex.counts[l] - expected).sum() <= near_an_edge(acts[l], edges), f"layer {l + 1}"
        assert ex.counts[l].sum() == BATCH * WIDTH
    np.testing.assert_allclose(ex.act_std, [a.std() for a in acts], rtol=1e-9)
    np.testing.assert_allclose(ex.grad_std, [g.std() for g in grads], rtol=1e-9)
    # the drawn bars are the documented transformation of the counts, one row per layer, rows below depth hidden
    density = ex.counts / (BATCH * WIDTH * (hi - lo) / ex.bins)
    heights = np.minimum(density * HEIGHT_FACTOR * (hi - lo), ROW_CAP)
    for l, patch in enumerate(ex.stairs):
        assert patch.get_visible() == (l < depth)
        if l < depth:
            data = patch.get_data()
            np.testing.assert_array_equal(data.edges, edges)
            assert data.baseline == -(l + 1)
            np.testing.assert_allclose(data.values - data.baseline, heights[l], rtol=0, atol=1e-12)
    x, y = ex.line_act.get_data()
    np.testing.assert_array_equal(x, np.arange(1, depth + 1))
    np.testing.assert_array_equal(y, ex.act_std)
    np.testing.assert_array_equal(ex.line_grad.get_data()[1], ex.grad_std)


def png(explorer):
    return np.asarray(Image.open(io.BytesIO(explorer.view.value)))


def test_offers_the_kernels_random_initializers():
    assert INITIALIZERS == tuple(n for n in nk.init.INITIALIZERS if n not in ("zeros", "constant"))
    assert set(ACTIVATIONS) == {"sigmoid", "tanh", "relu", "selu"}
    assert all(a in nk.activations.REGISTRY for a in ACTIVATIONS)


def test_initial_figure_matches_nnkernel(explorer):
    check_against_reference(explorer, "tanh", "xavier_normal", 1.0, 5)


def test_histograms_equal_nnkernels_for_every_activation_and_initializer(explorer):
    # one explorer for all 28 settings, recomputing without rendering (the other tests render)
    for activation in ACTIVATIONS:
        for initializer in INITIALIZERS:
            with explorer.quietly():
                explorer.controls["activation"].value = activation
                explorer.controls["initializer"].value = initializer
                explorer.controls["scale"].value = 10 ** 0.35
            explorer.redraw(explorer.values())
            check_against_reference(explorer, activation, initializer, 10 ** 0.35, 5)


def test_each_control_change_redraws_once_with_nnkernels_numbers(explorer):
    c = explorer.controls
    for name, value, state in [("scale", 0.1, ("tanh", "xavier_normal", 0.1, 5)),
                               ("depth", 8, ("tanh", "xavier_normal", 0.1, 8)),
                               ("activation", "relu", ("relu", "xavier_normal", 0.1, 8)),
                               ("initializer", "he_uniform", ("relu", "he_uniform", 0.1, 8)),
                               ("depth", 2, ("relu", "he_uniform", 0.1, 2))]:
        n = len(explorer.timings_ms)
        c[name].value = value
        assert len(explorer.timings_ms) == n + 1
        check_against_reference(explorer, *state)


def test_weights_are_the_initializers_times_the_scale(explorer):
    explorer.controls["initializer"].value = "he_uniform"
    for l, W in enumerate(explorer.base_weights("he_uniform")):
        np.testing.assert_array_equal(W, nk.to_numpy(nk.init.he_uniform(WIDTH, WIDTH, seed=SEED + l)))
    explorer.controls["scale"].value = 2.0
    expected = 2.0 * np.std(np.stack([nk.to_numpy(nk.init.he_uniform(WIDTH, WIDTH, seed=SEED + l))
                                      for l in range(MAX_DEPTH)]))
    assert explorer.weight_std("he_uniform", 2.0) == pytest.approx(expected, rel=1e-12)
    assert f"{expected:.3g}" in explorer.readout.value


def test_same_figure_and_artists_are_reused(explorer):
    fig, patches, line = explorer.fig, list(explorer.stairs), explorer.line_act
    for v in np.linspace(-1.0, 1.0, 9):
        explorer.controls["scale"].value = float(10 ** v)
    explorer.controls["depth"].value = MAX_DEPTH
    explorer.controls["activation"].value = "selu"
    assert explorer.fig is fig and explorer.stairs == patches and explorer.line_act is line
    assert len(explorer.ax_h.patches) == MAX_DEPTH
    assert len(explorer.ax_s.lines) == 3  # activations, gradients, the reference at 1


def test_depth_change_shows_exactly_that_many_rows(explorer):
    for depth in (1, 3, MAX_DEPTH, 2):
        explorer.controls["depth"].value = depth
        assert sum(p.get_visible() for p in explorer.stairs) == depth
        assert len(explorer.line_act.get_xdata()) == depth == len(explorer.grad_std)
        # the gradient arriving at the last layer is the fixed top gradient
        assert explorer.grad_std[-1] == pytest.approx(explorer.top_gradient.std(), rel=1e-12)
    check_against_reference(explorer, "tanh", "xavier_normal", 1.0, 2)


def test_depth_does_not_change_the_forward_pass(explorer):
    explorer.controls["depth"].value = 2
    first_two = explorer.counts.copy()
    explorer.controls["depth"].value = MAX_DEPTH
    np.testing.assert_array_equal(explorer.counts[:2], first_two)


def test_limits_of_the_controls(explorer):
    c = explorer.controls
    assert (c["scale"].min, c["scale"].max, c["scale"].base) == (-1.5, 1.5, 10)
    assert (c["depth"].min, c["depth"].max) == (1, MAX_DEPTH)
    for value in (10 ** -1.5, 10 ** 1.5):
        c["scale"].value = value
        assert np.all(np.isfinite(explorer.act_std)) and np.all(np.isfinite(explorer.grad_std))
    c["depth"].value = 10 * MAX_DEPTH  # the slider clamps
    assert c["depth"].value == MAX_DEPTH and sum(p.get_visible() for p in explorer.stairs) == MAX_DEPTH
    assert explorer.ax_s.get_ylim() == pytest.approx(STD_LIMITS)


@pytest.mark.parametrize("kwargs", [dict(activation="softmax"), dict(initializer="zeros"), dict(depth=0),
                                    dict(depth=30), dict(scale=100.0), dict(width=0), dict(bins=1.5)])
def test_bad_arguments_are_refused(kwargs):
    with pytest.raises(ValueError):
        InitExplorer(mode="image", **kwargs)


def test_vanishing_and_exploding_are_visible_in_the_numbers():
    ex = InitExplorer(activation="relu", initializer="he_normal", depth=20, mode="image")
    assert 0.3 < ex.act_std[-1] / ex.act_std[0] < 3  # He keeps ReLU activations at their scale
    ex.controls["scale"].value = 10 ** 0.5
    assert ex.act_std[-1] / ex.act_std[0] > 1e6  # x3.16 per layer, 19 times
    ex.controls["scale"].value = 10 ** -0.5
    assert ex.act_std[-1] / ex.act_std[0] < 1e-6


def test_image_changes_with_the_scale(explorer):
    first = png(explorer)
    explorer.controls["scale"].value = 10.0
    second = png(explorer)
    assert first.shape == second.shape and not np.array_equal(first, second)
    np.testing.assert_array_equal(second[..., :3], explorer.snapshot()[..., :3])


def test_activation_change_redraws_the_background(explorer):
    explorer.controls["activation"].value = "relu"
    assert explorer.ax_h.get_xlim() == RANGES["relu"]
    assert "relu" in explorer.ax_h.get_title() and "values > 4" in explorer.ax_h.get_xlabel()
