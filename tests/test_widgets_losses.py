"""The Huber explorer, tested headless: set the delta slider, read back the fit and the plotted data.

Every check compares with nnkernel (the loss the fit must minimise) or with an independent
computation: SciPy's general-purpose minimisers started elsewhere, least squares, a linear programme.
"""
import io

import ipywidgets as W
import matplotlib.pyplot as plt
import numpy as np
import pytest
from PIL import Image
from scipy.optimize import minimize

import nnkernel as nk
from widgets.losses import (HuberExplorer, design, fit_huber, fit_mae, fit_mse, loss_curves, loss_panels,
                            outlier_data, predict)

DELTAS = [0.05, 0.1, 0.3, 0.7, 1.0, 2.0, 3.5, 6.0, 10.0]


@pytest.fixture(scope="module")
def explorer():
    return HuberExplorer(mode="image")


def huber_cost(x, y, delta):
    X = design(x)
    return (lambda c: float(nk.losses.huber(y, X @ c, delta=delta)),
            lambda c: X.T @ nk.to_numpy(nk.losses.huber_grad(y, X @ c, delta=delta)))


def scipy_huber_fit(x, y, delta):
    """An independent fit: BFGS on nnkernel's Huber cost and gradient, started from the MSE fit."""
    cost, grad = huber_cost(x, y, delta)
    res = minimize(cost, fit_mse(x, y), jac=grad, method="BFGS", options={"gtol": 1e-12, "maxiter": 10_000})
    return res.x, res.fun


# ----------------------------------------------------------------------------- the data
def test_data_is_seeded_and_has_planted_outliers():
    x1, y1, p1 = outlier_data(7)
    x2, y2, p2 = outlier_data(7)
    x3, y3, _ = outlier_data(8)
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.allclose(y1, y3)
    assert x1.shape == y1.shape == (66,) and p1.sum() == 6
    assert np.all(np.diff(x1) >= 0)
    # the planted points lie far below the line the others follow
    assert np.all(y1[p1] < predict(fit_mae(x1, y1), x1[p1]) - 2.0)


def test_explorer_uses_its_seed():
    a, b = HuberExplorer(seed=3, mode="image"), HuberExplorer(seed=3, mode="image")
    np.testing.assert_array_equal(a.y, b.y)
    np.testing.assert_array_equal(a.coef, b.coef)
    assert not np.allclose(a.y, HuberExplorer(seed=4, mode="image").y)


# ----------------------------------------------------------------------------- the fits
def test_mse_fit_minimises_nnkernel_mse(explorer):
    x, y, c = explorer.x, explorer.y, explorer.coef_mse
    X = design(x)
    grad = X.T @ nk.losses.mse_grad(y, X @ c)
    np.testing.assert_allclose(grad, 0.0, atol=1e-12)
    res = minimize(lambda v: float(nk.losses.mse(y, X @ v)), np.zeros(2), method="BFGS", options={"gtol": 1e-12})
    np.testing.assert_allclose(c, res.x, atol=1e-6)


def test_mae_fit_minimises_nnkernel_mae(explorer):
    x, y, c = explorer.x, explorer.y, explorer.coef_mae
    X = design(x)
    cost = lambda v: float(nk.losses.mae(y, X @ v))  # noqa: E731
    res = minimize(cost, explorer.coef_mse, method="Nelder-Mead",
                   options={"xatol": 1e-12, "fatol": 1e-15, "maxiter": 20_000, "maxfev": 40_000})
    assert cost(c) <= res.fun + 1e-15
    np.testing.assert_allclose(c, res.x, atol=1e-6)
    # a vertex of the LP: the line passes through two data points
    assert np.sum(np.abs(X @ c - y) < 1e-12) >= 2
    for d in np.array([[1, 0], [-1, 0], [0, 1], [0, -1], [1, 1], [1, -1]]) * 1e-6:
        assert cost(c + d) > cost(c)


@pytest.mark.parametrize("delta", DELTAS)
def test_slider_fit_minimises_nnkernel_huber(explorer, delta):
    explorer.controls["delta"].value = delta
    assert explorer.delta == pytest.approx(delta, rel=1e-12)
    ref, ref_cost = scipy_huber_fit(explorer.x, explorer.y, explorer.delta)
    np.testing.assert_allclose(explorer.coef, ref, atol=1e-6)
    cost, grad = huber_cost(explorer.x, explorer.y, explorer.delta)
    assert cost(explorer.coef) <= ref_cost + 1e-14
    np.testing.assert_allclose(grad(explorer.coef), 0.0, atol=1e-13)
    # the plotted line is that fit
    np.testing.assert_allclose(explorer.line_huber.get_ydata(), predict(explorer.coef, explorer.line_huber.get_xdata()),
                               rtol=0, atol=0)


def test_fit_does_not_depend_on_the_path(explorer):
    s = explorer.controls["delta"]
    s.value = 0.05
    s.value = 0.8
    from_below = explorer.coef.copy()
    s.value = 10.0
    s.value = 0.8
    np.testing.assert_array_equal(explorer.coef, from_below)
    cold = fit_huber(explorer.x, explorer.y, explorer.delta)
    far = fit_huber(explorer.x, explorer.y, explorer.delta, start=[50.0, -20.0])
    np.testing.assert_array_equal(cold, from_below)
    np.testing.assert_array_equal(far, from_below)


def test_tiny_delta_approaches_the_mae_fit(explorer):
    explorer.controls["delta"].value = 0.05
    near_mae = np.max(np.abs(explorer.coef - explorer.coef_mae))
    assert near_mae < 0.05
    assert near_mae < 0.1 * np.max(np.abs(explorer.coef - explorer.coef_mse))
    gaps = [np.max(np.abs(fit_huber(explorer.x, explorer.y, d) - explorer.coef_mae)) for d in (1e-2, 1e-3, 1e-4)]
    assert gaps[0] > gaps[1] > gaps[2] and gaps[2] < 1e-3


def test_huge_delta_equals_the_mse_fit():
    ex = HuberExplorer(mode="image", delta_range=(0.05, 50.0))
    ex.controls["delta"].value = 50.0
    np.testing.assert_allclose(ex.coef, ex.coef_mse, rtol=0, atol=1e-12)
    assert not ex.outlier_mask.any()
    # already at the top of the default range every residual is inside delta, so Huber = MSE / 2 there
    ex.controls["delta"].value = 10.0
    assert np.max(np.abs(predict(ex.coef_mse, ex.x) - ex.y)) < 10.0
    np.testing.assert_allclose(ex.coef, ex.coef_mse, rtol=0, atol=1e-12)


# ----------------------------------------------------------------------------- what is drawn
@pytest.mark.parametrize("delta", [0.05, 0.4, 1.0, 2.5])
def test_outliers_highlighted_are_those_with_large_residuals(explorer, delta):
    explorer.controls["delta"].value = delta
    r = (explorer.coef[0] + explorer.coef[1] * explorer.x) - explorer.y
    mask = np.abs(r) > explorer.delta
    np.testing.assert_array_equal(explorer.outlier_mask, mask)
    np.testing.assert_allclose(explorer.residuals, r, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(explorer.pts_out.get_xdata(), explorer.x[mask])
    np.testing.assert_array_equal(explorer.pts_out.get_ydata(), explorer.y[mask])
    np.testing.assert_array_equal(explorer.pts_in.get_xdata(), explorer.x[~mask])
    np.testing.assert_array_equal(explorer.res_out.get_xdata(), explorer.residuals[mask])
    np.testing.assert_allclose(explorer.res_out.get_ydata(),
                               nk.losses.huber(explorer.y, explorer.y + r, reduction="none", delta=explorer.delta)[mask],
                               rtol=1e-12, atol=1e-15)
    assert f"<b>{mask.sum()}</b> of {explorer.x.size}" in explorer.readout.value
    assert f"{explorer.coef[1]:.3f} x" in explorer.readout.value


@pytest.mark.parametrize("delta", [0.05, 0.5, 3.0, 10.0])
def test_loss_curve_is_nnkernel_huber(explorer, delta):
    explorer.controls["delta"].value = delta
    r = explorer.r_grid
    np.testing.assert_array_equal(explorer.curve.get_xdata(), r)
    np.testing.assert_array_equal(explorer.curve.get_ydata(),
                                  nk.losses.huber(np.zeros_like(r), r, reduction="none", delta=explorer.delta))
    assert list(explorer.thr_lo.get_xdata()) == [-explorer.delta] * 2
    assert list(explorer.thr_hi.get_xdata()) == [explorer.delta] * 2


def test_reference_curves_and_fits_are_static(explorer):
    r = explorer.r_grid
    np.testing.assert_allclose(explorer.ref_sq.get_ydata(), 0.5 * r**2, rtol=1e-15)
    np.testing.assert_allclose(explorer.ref_abs.get_ydata(), np.abs(r), rtol=0, atol=0)
    before = (explorer.line_mse.get_ydata().copy(), explorer.line_mae.get_ydata().copy())
    explorer.controls["delta"].value = 0.2
    np.testing.assert_array_equal(explorer.line_mse.get_ydata(), before[0])
    np.testing.assert_array_equal(explorer.line_mae.get_ydata(), before[1])
    np.testing.assert_allclose(before[0], predict(explorer.coef_mse, explorer.line_mse.get_xdata()))
    np.testing.assert_allclose(before[1], predict(explorer.coef_mae, explorer.line_mae.get_xdata()))
    assert explorer.line_mse not in explorer.animated and explorer.ref_sq not in explorer.animated


def test_residual_axis_holds_every_fit(explorer):
    for delta in (0.05, 1.0, 10.0):
        explorer.controls["delta"].value = delta
        assert np.max(np.abs(explorer.residuals)) <= explorer.r_max
    assert explorer.ax_loss.get_xlim() == (-explorer.r_max, explorer.r_max)


def test_artists_are_reused_and_background_kept(explorer):
    figs = plt.get_fignums()
    fig, line, curve, ax_lines = explorer.fig, explorer.line_huber, explorer.curve, len(explorer.ax_fit.lines)
    explorer.controls["delta"].value = 1.0
    background = explorer._background
    n = len(explorer.timings_ms)
    for value in np.geomspace(0.05, 10.0, 9):
        explorer.controls["delta"].value = float(value)
    assert len(explorer.timings_ms) == n + 9
    assert explorer.fig is fig and explorer.line_huber is line and explorer.curve is curve
    assert len(explorer.ax_fit.lines) == ax_lines
    assert explorer._background is background  # slider moves blit; nothing static is redrawn
    assert plt.get_fignums() == figs


def test_image_shows_the_new_state(explorer):
    explorer.controls["delta"].value = 1.0
    first = explorer.view.value
    explorer.controls["delta"].value = 0.1
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
    controls = box.children[0]
    assert explorer.controls["delta"] in controls.children and explorer.readout in controls.children
    slider = explorer.controls["delta"]
    assert isinstance(slider, W.FloatLogSlider)
    # delta_range's ends, to the slider's step of 10^0.01 (its grid runs through the starting delta)
    assert 0.05 / 10**0.01 < slider.base ** slider.min <= 0.05 and 10.0 <= slider.base ** slider.max < 10 * 10**0.01
    assert list(explorer.controls) == ["delta"]  # the status line is not a control


def test_bad_arguments():
    with pytest.raises(ValueError, match="delta_range"):
        HuberExplorer(mode="image", delta_range=(1.0, 0.5))
    with pytest.raises(ValueError, match="delta must lie"):
        HuberExplorer(mode="image", delta=20.0)


# ----------------------------------------------------------------------------- the chapter's figure helpers
def test_loss_curves_are_per_example_nnkernel_values():
    r = np.linspace(-3, 3, 61)
    value, deriv = loss_curves(nk.losses.huber, nk.losses.huber_grad, r, delta=0.7)
    np.testing.assert_array_equal(value, nk.losses.huber(np.zeros_like(r), r, reduction="none", delta=0.7))
    np.testing.assert_allclose(deriv, np.clip(r, -0.7, 0.7), rtol=1e-14, atol=1e-15)
    value, deriv = loss_curves(nk.losses.hinge, nk.losses.hinge_grad, r, y_true=1.0)
    np.testing.assert_allclose(value, np.maximum(0, 1 - r))
    np.testing.assert_allclose(deriv, np.where(r < 1, -1.0, 0.0))


def test_loss_panels_draw_the_given_curves():
    plt.switch_backend("Agg")
    r = np.linspace(-2, 2, 11)
    v, d = loss_curves(nk.losses.mse, nk.losses.mse_grad, r)
    fig = loss_panels([{"x": r, "xlabel": "residual r", "title": "MSE", "curves": [("MSE", v, d, "C0")]}], title="t")
    top, bottom = fig.axes
    np.testing.assert_array_equal(top.lines[0].get_ydata(), r**2)
    np.testing.assert_allclose(bottom.lines[0].get_ydata(), 2 * r)
    assert top.get_title() == "MSE" and bottom.get_xlabel() == "residual r"
    plt.close(fig)
