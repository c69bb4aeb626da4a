"""The batch-normalization explorer, tested headless: set the sliders, read back the plotted data.

The running-estimate curves must be what ``nnkernel.layers.BatchNorm`` stores in
``running_mean`` and ``running_var`` when it is fed the explorer's batches in
training mode, one batch per step.
"""
import io

import ipywidgets as W
import matplotlib.pyplot as plt
import numpy as np
import pytest
from PIL import Image

import nnkernel as nk
from nnkernel.layers import BatchNorm
from widgets.batchnorm import (BATCH_SIZES, LIMIT_MOMENTA, MOMENTA, BatchNormExplorer, batch_statistics,
                               feature_stream, running_statistics, true_statistics)

plt.switch_backend("Agg")  # an earlier test may have imported ipympl's backend


@pytest.fixture(scope="module")
def explorer():
    return BatchNormExplorer(mode="image")


@pytest.fixture
def fresh():
    return BatchNormExplorer(mode="image")


def png(explorer):
    return np.asarray(Image.open(io.BytesIO(explorer.view.value)))


def batchnorm_history(explorer, batch_size, momentum):
    """Feed BatchNorm the explorer's batches in training mode; record its running statistics after each step."""
    layer = BatchNorm(1, momentum=momentum)
    means, variances = [], []
    for t in range(len(explorer.steps)):
        layer.forward(explorer.batch(t, batch_size), training=True)
        means.append(float(nk.to_numpy(layer.running_mean)[0]))
        variances.append(float(nk.to_numpy(layer.running_var)[0]))
    return np.array(means), np.array(variances)


# ----------------------------------------------------------------------------- the stream
def test_stream_is_seeded_and_follows_the_true_statistics():
    X1, m1, v1 = feature_stream(300, 256, seed=0)
    X2, _, _ = feature_stream(300, 256, seed=0)
    X3, _, _ = feature_stream(300, 256, seed=1)
    np.testing.assert_array_equal(X1, X2)
    assert not np.array_equal(X1, X3)
    assert X1.shape == (300, 256)
    mean, var = true_statistics(300)
    np.testing.assert_array_equal(m1, mean)
    np.testing.assert_array_equal(v1, var)
    assert mean[0] == pytest.approx(0.5) and var[0] == pytest.approx(4.0)
    assert mean[-1] == pytest.approx(2.0, abs=0.01) and var[-1] == pytest.approx(1.0, abs=0.02)
    # the standardised stream is standard normal: the drift is all in mu(t) and sigma(t)
    z = (X1 - mean[:, None]) / np.sqrt(var)[:, None]
    assert abs(z.mean()) < 0.01 and abs(z.var() - 1) < 0.01


def test_bad_arguments():
    with pytest.raises(ValueError, match="batch_size must be one of"):
        BatchNormExplorer(batch_size=3, mode="image")
    with pytest.raises(ValueError, match="momentum must be one of"):
        BatchNormExplorer(momentum=0.15, mode="image")
    with pytest.raises(ValueError, match="mode must be one of"):
        BatchNormExplorer(mode="svg")
    with pytest.raises(ValueError, match="momentum must be in"):
        running_statistics(np.zeros(3), np.ones(3), 4, 1.5)
    with pytest.raises(ValueError, match="max_batch"):
        feature_stream(10, 1)


# ----------------------------------------------------------------------------- the curves are BatchNorm's
@pytest.mark.parametrize("batch_size,momentum", [(32, 0.1), (2, 0.1), (4, 0.01), (256, 0.001), (8, 1.0),
                                                 (64, 0.3), (16, 0.003)])
def test_plotted_running_estimates_are_what_batchnorm_stores(explorer, batch_size, momentum):
    explorer.controls["batch_size"].value = batch_size
    explorer.controls["momentum"].value = momentum
    assert explorer.values() == {"batch_size": batch_size, "momentum": momentum}
    expected_mean, expected_var = batchnorm_history(explorer, batch_size, momentum)
    np.testing.assert_allclose(explorer.line_m.get_ydata(), expected_mean, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(explorer.line_v.get_ydata(), expected_var, rtol=1e-13, atol=1e-15)
    np.testing.assert_array_equal(explorer.line_m.get_xdata(), np.arange(1, 301))
    np.testing.assert_array_equal(explorer.running_mean, explorer.line_m.get_ydata())


def test_curves_are_bitwise_batchnorm_on_numpy(explorer):
    """The vectorised filter performs BatchNorm's operations in BatchNorm's order: not one bit differs."""
    for b, m in ((32, 0.1), (4, 0.03)):
        rm, rv = explorer.estimates(b, m)
        em, ev = batchnorm_history(explorer, b, m)
        np.testing.assert_array_equal(rm, em)
        np.testing.assert_array_equal(rv, ev)


def test_dots_are_the_batch_statistics(explorer):
    explorer.controls["batch_size"].value = 8
    X = explorer.X[:, :8]
    np.testing.assert_allclose(explorer.dots_m.get_ydata(), X.mean(axis=1), rtol=1e-13)
    # the dots on the right are the unbiased variance, the quantity the running variance averages
    np.testing.assert_allclose(explorer.dots_v.get_ydata(), X.var(axis=1, ddof=1), rtol=1e-12)
    mean, biased = batch_statistics(explorer.X, 8)
    np.testing.assert_allclose(biased, X.var(axis=1, ddof=0), rtol=1e-12)


def test_momentum_one_keeps_only_the_last_batch_and_zero_never_moves(explorer):
    mean, biased = batch_statistics(explorer.X, 16)
    rm, rv = running_statistics(mean, biased, 16, 1.0)
    np.testing.assert_array_equal(rm, mean)
    np.testing.assert_allclose(rv, biased * 16 / 15, rtol=1e-15)
    rm, rv = running_statistics(mean, biased, 16, 0.0)
    assert np.all(rm == 0.0) and np.all(rv == 1.0)


def test_unrolled_form_of_the_running_mean(explorer):
    """running_T = (1 - m)^T * 0 + sum_t m (1 - m)^(T - t) batch_mean_t: an EWMA started at the initial value."""
    m, b = 0.05, 16
    mean, _ = batch_statistics(explorer.X, b)
    rm, rv = explorer.estimates(b, m)
    T = len(mean)
    weights = m * (1 - m) ** np.arange(T - 1, -1, -1)
    assert rm[-1] == pytest.approx(float(weights @ mean), rel=1e-12)
    unbiased = explorer.unbiased_batch_var(b)
    assert rv[-1] == pytest.approx((1 - m) ** T * 1.0 + float(weights @ unbiased), rel=1e-12)


def test_readouts_give_the_tracking_error(explorer):
    explorer.controls["batch_size"].value = 16
    explorer.controls["momentum"].value = 0.03
    rm, rv = explorer.estimates(16, 0.03)
    err_m = np.sqrt(np.mean((rm - explorer.true_mean) ** 2))
    err_v = np.sqrt(np.mean((rv - explorer.true_var) ** 2))
    assert explorer.rms_error["mean"] == pytest.approx(err_m, rel=1e-12)
    assert explorer.tracking_error(16, 0.03) == pytest.approx((err_m, err_v), rel=1e-12)
    assert f"running_mean <b>{err_m:.3f}</b>" in explorer.readout.value
    assert f"running_var <b>{err_v:.3f}</b>" in explorer.readout.value


def test_the_trade_off_the_chapter_describes(explorer):
    """Too small a momentum lags; too large is noisy; larger batches help most at large momentum."""
    errs = {m: explorer.tracking_error(32, m)[0] for m in MOMENTA}
    best = min(errs, key=errs.get)
    assert MOMENTA[0] < best < MOMENTA[-1]
    assert explorer.tracking_error(4, 1.0)[0] > 2 * explorer.tracking_error(256, 1.0)[0]


# ----------------------------------------------------------------------------- figure mechanics
def test_artists_reused_and_limits_fixed(fresh):
    ex = fresh
    fig, lines = ex.fig, (ex.line_m, ex.line_v, ex.dots_m, ex.dots_v)
    n_lines = (len(ex.ax_m.lines), len(ex.ax_v.lines))
    limits = (ex.ax_m.get_ylim(), ex.ax_v.get_ylim(), ex.ax_m.get_xlim())
    for b in BATCH_SIZES:
        for m in MOMENTA:
            with ex.quietly():
                ex.controls["batch_size"].value = b
            ex.controls["momentum"].value = m
            assert (ex.ax_m.get_ylim(), ex.ax_v.get_ylim(), ex.ax_m.get_xlim()) == limits
            if m in LIMIT_MOMENTA:  # the limits hold every running estimate at these momenta
                (lo_m, hi_m), (lo_v, hi_v) = limits[:2]
                assert lo_m <= ex.line_m.get_ydata().min() and ex.line_m.get_ydata().max() <= hi_m
                assert lo_v <= ex.line_v.get_ydata().min() and ex.line_v.get_ydata().max() <= hi_v
    assert ex.fig is fig and (ex.line_m, ex.line_v, ex.dots_m, ex.dots_v) == lines
    assert (len(ex.ax_m.lines), len(ex.ax_v.lines)) == n_lines == (3, 3)
    # the truth, the initial values and the x-range are inside the frame
    (lo_m, hi_m), (lo_v, hi_v), (x0, x1) = limits
    assert lo_m <= min(ex.true_mean.min(), 0.0) and ex.true_mean.max() <= hi_m
    assert lo_v <= min(ex.true_var.min(), 1.0) and ex.true_var.max() <= hi_v
    assert x0 <= 1 and ex.steps[-1] <= x1
    # the true curves never change
    np.testing.assert_array_equal(ex.true_m.get_ydata(), ex.true_mean)
    np.testing.assert_array_equal(ex.true_v.get_ydata(), ex.true_var)


def test_one_redraw_per_move_and_fast_enough(fresh):
    n = len(fresh.timings_ms)
    for i in range(12):
        if i % 2:
            fresh.controls["batch_size"].value = BATCH_SIZES[i % len(BATCH_SIZES)]
        else:
            fresh.controls["momentum"].value = MOMENTA[i % len(MOMENTA)]
    times = fresh.timings_ms[n:]
    assert len(times) == 12
    assert np.median(times) < 100  # about 15 ms on a laptop core; generous for shared CI machines


def test_image_is_updated_and_blitting_equals_a_full_draw(fresh):
    first = fresh.view.value
    fresh.controls["momentum"].value = 0.01
    assert fresh.view.value != first
    img = png(fresh)
    w, h = fresh.fig.canvas.get_width_height()
    assert img.shape[:2] == (h, w)
    fresh.invalidate()
    fresh.render()
    np.testing.assert_array_equal(png(fresh), img)


def test_initial_settings_and_labels():
    ex = BatchNormExplorer(batch_size=4, momentum=0.01, mode="image")
    assert ex.values() == {"batch_size": 4, "momentum": 0.01}
    np.testing.assert_allclose(ex.line_m.get_ydata(), batchnorm_history(ex, 4, 0.01)[0], rtol=1e-13, atol=1e-15)
    for ax in (ex.ax_m, ex.ax_v):
        assert ax.get_xlabel() == "training step (one batch each)"
        assert ax.get_legend() is not None and len(ax.get_legend().get_texts()) == 3
    assert "mean" in ex.ax_m.get_ylabel() and "variance" in ex.ax_v.get_ylabel()
    assert isinstance(ex.controls["batch_size"], W.SelectionSlider)
    assert list(ex.controls["momentum"].options) == list(MOMENTA)


def test_widget_layout_and_presentation():
    ex = BatchNormExplorer(mode="image", presentation=True)
    small = BatchNormExplorer(mode="image")
    assert ex.fig.get_size_inches()[0] > small.fig.get_size_inches()[0]
    assert ex.line_m.get_linewidth() > small.line_m.get_linewidth()
    box = ex.widget
    assert isinstance(box, W.VBox) and ex.view in box.children
    assert "nnk-control-momentum" in ex.controls["momentum"]._dom_classes
    assert "application/vnd.jupyter.widget-view+json" in ex._repr_mimebundle_()
