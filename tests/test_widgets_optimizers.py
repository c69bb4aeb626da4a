"""The optimizer explorer, tested headless: set the controls, read back the plotted paths.

Every plotted path is compared with a trajectory computed here, independently of the explorer, by
stepping an nnkernel optimizer on a float64 parameter array of shape (2,) from the surface's start.
"""
import io
import math
import warnings

import ipywidgets as W
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image

import nnkernel as nk
from widgets.optimizers import (OPTIMIZER_CHOICES, OPTIMIZER_COLORS, OPTIMIZER_MARKERS, SURFACES, OptimizerExplorer, make_optimizer,
                                plot_paths, trajectory)

plt.switch_backend("Agg")

ALL = tuple(OPTIMIZER_CHOICES)


def reference_optimizer(name, lr, beta):
    """The optimizer each explorer choice stands for, written out here rather than taken from the explorer."""
    O = nk.optim
    return {"sgd": lambda: O.SGD(lr=lr),
            "momentum": lambda: O.SGD(lr=lr, momentum=beta),
            "nesterov": lambda: O.SGD(lr=lr, momentum=beta, nesterov=True) if beta > 0 else O.SGD(lr=lr),
            "adagrad": lambda: O.Adagrad(lr=lr),
            "rmsprop": lambda: O.RMSProp(lr=lr, beta=beta),
            "adam": lambda: O.Adam(lr=lr, beta1=beta)}[name]()


def reference_path(surface, name, lr, beta, steps, limit=1e6):
    """(points, diverged_at): step the optimizer until `steps` or until a coordinate is non-finite or beyond limit."""
    opt = reference_optimizer(name, lr, beta)
    theta = np.array(surface.start, dtype=np.float64)
    points = [theta.copy()]
    with np.errstate(all="ignore"):
        for t in range(1, steps + 1):
            opt.step([theta], [surface.grad(theta)])
            if not np.all(np.isfinite(theta)) or np.max(np.abs(theta)) > limit:
                return np.array(points), t
            points.append(theta.copy())
    return np.array(points), None


def set_controls(ex, **values):
    """Set several controls, then update once (as a reader moving them one by one would, but faster)."""
    with ex.quietly():
        for k, v in values.items():
            ex.controls[k].value = v
    ex.update()


@pytest.fixture
def explorer():
    return OptimizerExplorer(mode="image", optimizers=ALL)


# ----------------------------------------------------------------------------- the surfaces
@pytest.mark.parametrize("key", list(SURFACES))
def test_surface_gradients_match_finite_differences(key):
    s = SURFACES[key]
    g = np.random.default_rng(0)
    for p in np.c_[g.uniform(*s.xlim, 20), g.uniform(*s.ylim, 20)]:
        numeric = nk.numerical_gradient(lambda q: s.f(q[0], q[1]), p)
        np.testing.assert_allclose(s.grad(p), numeric, rtol=1e-6, atol=1e-6)
    for m in (*s.minima, *s.saddles):
        np.testing.assert_allclose(s.grad(np.array(m)), 0.0, atol=1e-12)
    # f_min is the global minimum: no grid value is lower
    assert np.min(s.grid()[2]) >= s.f_min - 1e-12
    assert min(s.f(*m) for m in s.minima) == pytest.approx(s.f_min, abs=1e-12)


def test_turned_valley_is_the_valley_turned():
    v, r = SURFACES["valley"], SURFACES["rotated"]
    c = math.sqrt(0.5)
    R = np.array([[c, -c], [c, c]])  # (u, v) -> (x, y)
    np.testing.assert_allclose(R @ np.array(v.start), r.start, rtol=0, atol=1e-14)
    for lr in (0.05, 0.15):
        a, b = trajectory(v, nk.optim.SGD(lr=lr, momentum=0.9), 100), trajectory(r, nk.optim.SGD(lr=lr, momentum=0.9), 100)
        np.testing.assert_allclose(b.path, a.path @ R.T, atol=1e-12)


# ----------------------------------------------------------------------------- what is drawn
@pytest.mark.parametrize("key", list(SURFACES))
def test_plotted_paths_are_nnkernel_trajectories(explorer, key):
    lr, beta, steps = SURFACES[key].lr, 0.8, 120
    set_controls(explorer, surface=key, lr=lr, beta=beta, steps=steps, optimizers=ALL)
    s = SURFACES[key]
    for name in ALL:
        ref, diverged_at = reference_path(s, name, lr, beta, steps)
        line = explorer.lines[name]
        assert line.get_visible() and explorer.curves[name].get_visible()
        np.testing.assert_array_equal(line.get_xydata(), ref)
        np.testing.assert_array_equal(explorer.ends[name].get_xydata(), ref[-1:])
        np.testing.assert_array_equal(explorer.curves[name].get_ydata(),
                                      np.maximum(s.f(ref[:, 0], ref[:, 1]) - s.f_min, 1e-12))
        assert explorer.trajectories[name].diverged_at == diverged_at


@pytest.mark.parametrize("control,value", [("lr", 0.03), ("lr", 0.2), ("beta", 0.0), ("beta", 0.5), ("beta", 0.99),
                                           ("steps", 40), ("steps", 300)])
def test_each_slider_redraws_every_path(explorer, control, value):
    before = {n: explorer.lines[n].get_xydata().copy() for n in ALL}
    explorer.controls[control].value = value
    v = explorer.values()
    for name in ALL:
        ref, _ = reference_path(SURFACES[v["surface"]], name, float(v["lr"]), float(v["beta"]), int(v["steps"]))
        np.testing.assert_array_equal(explorer.lines[name].get_xydata(), ref)
    uses_beta = {"momentum", "nesterov", "rmsprop", "adam"}
    changed = {n for n in ALL if before[n].shape != explorer.lines[n].get_xydata().shape
               or not np.array_equal(before[n], explorer.lines[n].get_xydata())}
    if control == "beta":
        assert changed == uses_beta  # beta is momentum, RMSProp's beta and Adam's beta1, and nothing else
    else:
        assert changed == set(ALL)


def test_beta_reaches_the_right_hyperparameter():
    opt = {n: make_optimizer(n, 0.1, 0.7) for n in ALL}
    assert opt["sgd"].momentum == 0.0
    assert opt["momentum"].momentum == 0.7 and not opt["momentum"].nesterov
    assert opt["nesterov"].momentum == 0.7 and opt["nesterov"].nesterov
    assert opt["rmsprop"].beta == 0.7
    assert opt["adam"].beta1 == 0.7 and opt["adam"].beta2 == 0.999
    assert all(o.lr == 0.1 for o in opt.values())
    plain = make_optimizer("nesterov", 0.1, 0.0)  # nesterov=True needs momentum; with none it is plain descent
    assert isinstance(plain, nk.optim.SGD) and plain.momentum == 0.0 and not plain.nesterov
    with pytest.raises(ValueError, match="unknown optimizer"):
        make_optimizer("lbfgs", 0.1)


def test_deselected_optimizers_are_hidden(explorer):
    explorer.controls["optimizers"].value = ("adam",)
    assert list(explorer.trajectories) == ["adam"]
    for name in ALL:
        shown = name == "adam"
        assert explorer.lines[name].get_visible() is shown
        assert explorer.curves[name].get_visible() is shown
    # the legend is the colour key of every optimizer, whichever are shown: the static part of the figure
    # does not depend on the choice (the published page stacks one drawing per optimizer)
    key = [t.get_text() for t in explorer.ax_loss.get_legend().get_texts()]
    assert key == ["SGD", "Momentum", "Nesterov", "Adagrad", "RMSProp", "Adam"]
    explorer.controls["optimizers"].value = ("sgd", "rmsprop")
    assert [t.get_text() for t in explorer.ax_loss.get_legend().get_texts()] == key
    explorer.controls["optimizers"].value = ()
    assert explorer.trajectories == {} and "choose at least one" in explorer.readout.value
    assert [t.get_text() for t in explorer.ax_loss.get_legend().get_texts()] == key


# ----------------------------------------------------------------------------- divergence
@pytest.mark.parametrize("key", ["valley", "rosenbrock", "two_minima"])
def test_divergence_is_a_message_not_a_warning(explorer, key):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        set_controls(explorer, surface=key, lr=10.0, beta=0.9, steps=300, optimizers=ALL)
        s = SURFACES[key]
        diverged = [n for n in ALL if explorer.trajectories[n].diverged]
        assert "sgd" in diverged and "momentum" in diverged
        for name in diverged:
            tr = explorer.trajectories[name]
            ref, at = reference_path(s, name, 10.0, 0.9, 300)
            assert tr.diverged_at == at
            np.testing.assert_array_equal(explorer.lines[name].get_xydata(), ref)  # stops at the last good point
            assert np.all(np.isfinite(tr.path)) and np.max(np.abs(tr.path)) <= 1e6
            assert np.all(np.isfinite(explorer.curves[name].get_ydata()))
            assert f"{OPTIMIZER_CHOICES[name]} diverged at step {at}" in explorer.readout.value
        assert explorer.readout.value.count("diverged at step") == len(diverged)
        assert "aria−hidden" not in explorer.readout.value  # minus signs go to the numbers, not the markup
        # back to a small rate: the messages go away
        explorer.controls["lr"].value = 1e-4
        assert "diverged" not in explorer.readout.value


def test_trajectory_stops_at_the_first_bad_step():
    s = SURFACES["valley"]
    tr = trajectory(s, nk.optim.SGD(lr=0.5), 200)  # factor 1 - 0.5 * 10 = -4 per step along y
    ref, at = reference_path(s, "sgd", 0.5, 0.0, 200)
    assert tr.diverged and tr.diverged_at == at
    assert tr.path.shape == (at, 2)
    np.testing.assert_array_equal(tr.path, ref)
    assert abs(2.5 * (-4.0) ** at) > 1e6 >= abs(2.5 * (-4.0) ** (at - 1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        huge = trajectory(s, nk.optim.SGD(lr=0.5), 2000, limit=np.inf)  # runs into inf and nan, silently
    assert huge.diverged and np.all(np.isfinite(huge.path))
    fine = trajectory(s, nk.optim.SGD(lr=0.1), 50)
    assert not fine.diverged and fine.path.shape == (51, 2)


# ----------------------------------------------------------------------------- the machinery
def test_artists_are_reused_and_background_kept(explorer):
    figs = plt.get_fignums()
    fig, lines, curves = explorer.fig, dict(explorer.lines), dict(explorer.curves)
    n_lines, n_collections = len(explorer.ax_path.lines), len(explorer.ax_path.collections)
    explorer.controls["lr"].value = 0.05
    background = explorer._background
    n = len(explorer.timings_ms)
    for lr in np.geomspace(0.01, 0.15, 9):
        explorer.controls["lr"].value = float(lr)
    for b in (0.3, 0.6, 0.95):
        explorer.controls["beta"].value = b
    assert len(explorer.timings_ms) == n + 12
    assert explorer.fig is fig and explorer.lines == lines and explorer.curves == curves
    assert len(explorer.ax_path.lines) == n_lines and len(explorer.ax_path.collections) == n_collections
    assert explorer._background is background  # slider moves blit; the contours are not redrawn
    assert set(explorer.animated) >= {*lines.values(), *curves.values()}
    assert plt.get_fignums() == figs


def test_a_new_surface_redraws_the_contours_once(explorer):
    first = list(explorer._contours)
    explorer.controls["surface"].value = "rosenbrock"
    assert explorer.controls["lr"].value == SURFACES["rosenbrock"].lr  # the surface brings its own rate
    # the first surface's contours are kept, hidden; the new surface's are drawn
    assert all(c in explorer.ax_path.collections and not c.get_visible() for c in first)
    assert all(c in explorer.ax_path.collections and c.get_visible() for c in explorer._contours)
    assert not set(first) & set(explorer._contours)
    assert explorer.ax_path.get_xlim() == SURFACES["rosenbrock"].xlim
    assert explorer.ax_path.get_ylim() == SURFACES["rosenbrock"].ylim
    assert "Rosenbrock" in explorer.ax_path.get_title()
    background = explorer._background
    assert background is not None
    explorer.controls["lr"].value = 1e-3
    assert explorer._background is background
    np.testing.assert_array_equal(explorer.lines["sgd"].get_xydata(),
                                  reference_path(SURFACES["rosenbrock"], "sgd", 1e-3, 0.9, 150)[0])
    # back to the first surface: its contours shown again, not computed again (one visible set at a time)
    rosenbrock = list(explorer._contours)
    explorer.controls["surface"].value = "valley"
    assert explorer._contours == first and all(c.get_visible() for c in first)
    assert not any(c.get_visible() for c in rosenbrock)
    assert len(explorer.ax_path.collections) == len(first) + len(rosenbrock)


def test_image_shows_the_new_state(explorer):
    explorer.controls["lr"].value = 0.05
    first = explorer.view.value
    explorer.controls["lr"].value = 0.1
    second = explorer.view.value
    assert first != second
    img = np.asarray(Image.open(io.BytesIO(second)))
    w, h = explorer.fig.canvas.get_width_height()
    assert img.shape[:2] == (h, w)
    explorer.invalidate()
    explorer.render()
    np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(explorer.view.value))), img)


def test_widget_layout(explorer):
    box = explorer.widget
    assert isinstance(box, W.VBox) and explorer.view in box.children
    assert list(explorer.controls) == ["surface", "optimizers", "lr", "beta", "steps"]
    assert isinstance(explorer.controls["surface"], W.Dropdown)
    assert isinstance(explorer.controls["optimizers"], W.SelectMultiple)
    lr = explorer.controls["lr"]
    assert isinstance(lr, W.FloatLogSlider) and lr.base ** lr.min == pytest.approx(1e-4) and lr.base ** lr.max == 10
    assert (explorer.controls["beta"].min, explorer.controls["beta"].max) == (0.0, 0.99)
    flat = []
    stack = [box.children[0]]
    while stack:
        w = stack.pop()
        flat.append(w)
        stack.extend(getattr(w, "children", ()))
    assert explorer.readout in flat and all(c in flat for c in explorer.controls.values())


def test_update_time_is_recorded(explorer):
    n = len(explorer.timings_ms)
    for lr in np.geomspace(0.02, 0.15, 10):
        explorer.controls["lr"].value = float(lr)
    t = np.array(explorer.timings_ms[n:])
    assert t.size == 10 and np.all(t > 0)
    assert np.median(t) < 1000  # generous: a shared test machine; the chapter reports the real figure


def test_default_explorer_and_colours():
    ex = OptimizerExplorer(mode="image")
    assert ex.values()["surface"] == "valley" and ex.values()["lr"] == SURFACES["valley"].lr
    assert set(ex.trajectories) == {"sgd", "momentum", "rmsprop", "adam"}
    assert not any(t.diverged for t in ex.trajectories.values())
    for name, line in ex.lines.items():
        assert line.get_color() == OPTIMIZER_COLORS[name]
    assert len(set(OPTIMIZER_COLORS.values())) == len(OPTIMIZER_COLORS)


def test_bad_arguments():
    with pytest.raises(ValueError, match="surface"):
        OptimizerExplorer(mode="image", surface="moon")
    with pytest.raises(ValueError, match="unknown optimizer"):
        OptimizerExplorer(mode="image", optimizers=("sgd", "lbfgs"))
    with pytest.raises(ValueError, match="lr"):
        OptimizerExplorer(mode="image", lr=100.0)
    with pytest.raises(ValueError, match="beta"):
        OptimizerExplorer(mode="image", beta=1.0)
    with pytest.raises(ValueError, match="steps"):
        OptimizerExplorer(mode="image", steps=5)


def test_plot_paths_labels_divergence():
    fig = Figure()
    ax = fig.add_subplot()
    s = SURFACES["valley"]
    runs = {"fast": (trajectory(s, nk.optim.SGD(lr=0.5), 50), "C0"), "slow": (trajectory(s, nk.optim.SGD(lr=0.05), 50), "C1")}
    plot_paths(ax, s, runs)
    labels = ax.get_legend_handles_labels()[1]
    at = runs["fast"][0].diverged_at
    assert f"fast: diverged at step {at}" in labels and "slow" in labels
    assert "saddle point" not in labels  # the valley has none
    np.testing.assert_array_equal(ax.lines[3].get_xydata(), runs["fast"][0].path)


def test_series_differ_in_shape_and_line_not_only_colour(explorer):
    """Each optimizer has its own marker on the path, its own dash pattern in the loss panel, and the
    readout's key shows the same shape (WCAG 1.4.1: colour is not the only means of telling them apart)."""
    markers = [explorer.lines[n].get_marker() for n in ALL]
    assert len(set(markers)) == len(ALL)
    assert all(explorer.ends[n].get_marker() == explorer.lines[n].get_marker() for n in ALL)
    dashes = [str(explorer.curves[n]._unscaled_dash_pattern) for n in ALL]
    assert len(set(dashes)) == len(ALL)
    explorer.controls["optimizers"].value = tuple(ALL)
    shapes = [OPTIMIZER_MARKERS[n][1] for n in ALL]
    assert len(set(shapes)) == len(ALL) and all(f">{s}</span>" in explorer.readout.value for s in shapes)


@pytest.mark.parametrize("surface", list(SURFACES))
def test_readout_digits_survive_round_off_in_the_learning_rate(surface):
    """A browser may send the learning rate back a unit in the last place away from the kernel's value; the
    readout (and so the alt text) must not change.  RMSProp on the turned valley is chaotic there: its last
    loss moves by several per cent, and the readout gives its order of magnitude only."""
    ex = OptimizerExplorer(mode="image", surface=surface, optimizers=ALL)
    lr = ex.controls["lr"].value
    texts = []
    for value in (lr, np.nextafter(lr, 1.0), np.nextafter(lr, 0.0)):
        ex.controls["lr"].value = float(value)
        texts.append(ex.readout.value)
    assert texts[0] == texts[1] == texts[2]
    if surface == "rotated":
        assert "RMSProp</b>: f − f* of order 1e-02, still oscillating" in texts[0]
